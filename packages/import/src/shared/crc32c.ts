/**
 * CRC-32C (Castagnoli), the checksum of TFRecord framing. Node has no built-in CRC-32C (`zlib.crc32`
 * is the IEEE polynomial) and the npm packages that compute it fast build natively, so it is
 * hand-rolled: slice-by-8 over one flat table. Measured here (2 shared cores, Node 20): ~0.9 GB/s,
 * against ~0.4 GB/s for the byte-at-a-time loop (`crc32cBytewise`) — a 1 GB event file costs about
 * a second of checksumming, well below the cost of decoding its records.
 */

const POLY = 0x82f63b78; // the reflected Castagnoli polynomial

/** Eight 256-entry tables, back to back: entry `k * 256 + n` is the CRC of byte n followed by k zero bytes. */
const TABLE = (() => {
  const table = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n]!;
    for (let k = 1; k < 8; k++) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[k * 256 + n] = c;
    }
  }
  return table;
})();

/** CRC-32C of `bytes[start, end)`; pass the CRC of what came before as `previous` to continue one. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  const t = TABLE;
  let crc = ~previous;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The byte-at-a-time form of {@link crc32c}: the reference the fast one is tested and measured against. */
export function crc32cBytewise(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLE;
  let crc = -1;
  for (let i = start; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 bits and add a constant (mod 2^32). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
