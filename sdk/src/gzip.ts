/**
 * Gzip with the web-standard `CompressionStream`, so the SDK compresses on Node, Bun, Deno,
 * browsers and edge runtimes without a dependency.
 */

const noop = (): void => {};

/**
 * The gzip encoding of `text` as UTF-8, or `undefined` where the runtime has no
 * `CompressionStream` (or it fails): the caller then sends plain JSON rather than nothing.
 */
export async function gzip(text: string): Promise<Uint8Array | undefined> {
  if (typeof CompressionStream !== "function") return undefined;
  try {
    const stream = new CompressionStream("gzip");
    const writer = stream.writable.getWriter();
    // Not awaited: the readable side has to be drained at the same time, or backpressure on a
    // large body stalls the write forever.
    writer.write(new TextEncoder().encode(text)).catch(noop);
    writer.close().catch(noop);
    const reader = stream.readable.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  } catch {
    return undefined;
  }
}
