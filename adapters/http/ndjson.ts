/**
 * Reads a streaming gateway answer: newline-delimited JSON objects
 * (`{"result":{...}}` or `{"error":{...}}`), as grpc-gateway writes them.
 *
 * @module
 * @internal
 */

/**
 * Calls `onObject` with each JSON value of `body`, in order, as soon as its
 * line is complete. Resolves when the body ends, rejects when reading fails
 * (abort included) or a line is not JSON. `onObject` returning `false` stops
 * reading (the reader is cancelled).
 *
 * @example
 * ```ts
 * await readJsonLines(response.body!, (msg) => { console.log(msg); return true; });
 * ```
 */
export async function readJsonLines(body: ReadableStream<Uint8Array>, onObject: (value: unknown) => boolean): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '' && !onObject(JSON.parse(line))) {
          await reader.cancel().catch(() => undefined);
          return;
        }
        newline = buffered.indexOf('\n');
      }
      if (done) {
        const rest = buffered.trim();
        if (rest !== '') onObject(JSON.parse(rest));
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
