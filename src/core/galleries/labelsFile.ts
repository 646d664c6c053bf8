/** A labels file: one label per line (UTF-8, trailing newline optional, CRLF accepted). */
export function decodeLabelsFile(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
