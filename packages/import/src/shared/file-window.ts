import { type FileHandle, open } from "node:fs/promises";

/**
 * Positional reads of a file through one reused window, so a reader walks a file of any size with
 * memory bounded by the window (plus the largest single read asked for). The file is opened
 * read-only: importers never change their source.
 */
export class FileWindow {
  readonly path: string;
  readonly size: number;
  readonly #handle: FileHandle;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;

  private constructor(path: string, handle: FileHandle, size: number, windowBytes: number) {
    this.path = path;
    this.#handle = handle;
    this.size = size;
    // A small file gets a buffer of its own size (mlruns holds thousands of tiny files).
    this.#buffer = new Uint8Array(Math.max(1, Math.min(windowBytes, size)));
  }

  static async open(path: string, windowBytes = 1 << 20): Promise<FileWindow> {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      return new FileWindow(path, handle, size, windowBytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * The bytes `[position, position + length)` when the window already holds them (no I/O, no
   * promise: the per-record fast path of the readers), else `undefined`.
   */
  cached(position: number, length: number): Uint8Array | undefined {
    const end = Math.min(this.size, position + length);
    if (position >= this.#start && end <= this.#end) {
      return this.#buffer.subarray(position - this.#start, end - this.#start);
    }
    return undefined;
  }

  /**
   * The bytes `[position, position + length)`, or fewer at the end of the file. The view is valid
   * until the next call.
   */
  async bytes(position: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, position + length);
    if (position >= this.#start && end <= this.#end) {
      return this.#buffer.subarray(position - this.#start, end - this.#start);
    }
    if (end - position > this.#buffer.length) {
      // Larger than the window: read it into its own array, so the window does not stay that big.
      const once = new Uint8Array(end - position);
      return once.subarray(0, await this.#read(once, position));
    }
    const filled = await this.#read(
      this.#buffer.subarray(0, Math.min(this.#buffer.length, this.size - position)),
      position,
    );
    this.#start = position;
    this.#end = position + filled;
    return this.#buffer.subarray(0, Math.min(filled, end - position));
  }

  async #read(into: Uint8Array, position: number): Promise<number> {
    let filled = 0;
    while (filled < into.length) {
      const { bytesRead } = await this.#handle.read(into, filled, into.length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}
