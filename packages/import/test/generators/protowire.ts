/**
 * A minimal protobuf wire-format writer for the test generators, written from the encoding rules
 * (varints, tags = field << 3 | wire type, length-delimited bytes, little-endian fixed32/64) and
 * independent of the readers' protobufjs declarations, so a wrong field number in a reader is caught.
 */
export class Pb {
  readonly #parts: number[] = [];

  #varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.#parts.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.#parts.push(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint(BigInt((field << 3) | wire));
  }

  /** int32/int64/bool/enum field (negative numbers take 10 bytes, as protobuf encodes them). */
  int(field: number, value: number | bigint | boolean): this {
    this.#tag(field, 0);
    this.#varint(BigInt(typeof value === "boolean" ? (value ? 1 : 0) : value));
    return this;
  }

  double(field: number, value: number): this {
    this.#tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.#parts.push(...b);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#parts.push(...b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(BigInt(value.length));
    for (const byte of value) this.#parts.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Pb): this {
    return this.bytes(field, value.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    for (const [i, v] of values.entries()) view.setFloat32(i * 4, v, true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}
