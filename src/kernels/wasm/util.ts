/** Helpers shared by the WebAssembly kernels' callers (index.ts) and their second thread (threads.ts). */

/** The bytes of a base64 text (the embedded module). */
export function decodeBase64(text: string): Uint8Array {
  const bin = atob(text)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return bytes
}

/** x rounded up to a multiple of 16. */
export const align16 = (x: number): number => (x + 15) & ~15

/** One past the largest index of a rows×cols view at (off, rs, cs); -1 for a negative stride. */
export function extent(off: number, rows: number, cols: number, rs: number, cs: number): number {
  if (rs < 0 || cs < 0) return -1
  return off + (rows - 1) * rs + (cols - 1) * cs + 1
}
