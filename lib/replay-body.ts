/**
 * Whether a request body can be sent a second time. Strings, buffers, typed arrays,
 * URLSearchParams, Blobs, spec FormData and plain objects can; a stream (Node or web)
 * or an async iterable is consumed by the first send, so its 401 is returned instead.
 */
export function isReplayableBody(data: unknown): boolean {
  if (data === null || typeof data !== 'object') return true;
  const candidate = data as { pipe?: unknown; getReader?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof candidate.pipe !== 'function' &&
    typeof candidate.getReader !== 'function' &&
    typeof candidate[Symbol.asyncIterator] !== 'function'
  );
}
