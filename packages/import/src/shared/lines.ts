import { FileWindow } from "./file-window.js";

/**
 * The lines of a text file, read 1 MiB at a time (memory bounded by that and the longest line),
 * without their line endings (`\n` or `\r\n`). A last line without a newline is included.
 */
export async function* readLines(file: string): AsyncGenerator<string> {
  const window = await FileWindow.open(file);
  const decoder = new TextDecoder();
  try {
    let carry = "";
    for (let position = 0; position < window.size; ) {
      const bytes = await window.bytes(position, 1 << 20);
      if (bytes.length === 0) break;
      position += bytes.length;
      const text = carry + decoder.decode(bytes, { stream: position < window.size });
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        yield text.charCodeAt(nl - 1) === 13 && nl > start
          ? text.slice(start, nl - 1)
          : text.slice(start, nl);
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    carry += decoder.decode();
    if (carry !== "") yield carry.endsWith("\r") ? carry.slice(0, -1) : carry;
  } finally {
    await window.close();
  }
}
