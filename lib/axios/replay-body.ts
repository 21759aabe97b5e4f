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

/**
 * The body as it leaves for the wire (after every transformRequest), kept for a replay:
 * the same bytes even if the app changes its buffer or form after the first send.
 * Strings and Blobs cannot change, so they are kept as they are; streams cannot be
 * replayed at all, so they are kept only to be recognized as such.
 */
export function snapshotBody(data: unknown): unknown {
  if (data === null || typeof data !== 'object') return data;
  if (data instanceof ArrayBuffer) return data.slice(0);
  if (ArrayBuffer.isView(data)) return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (data instanceof URLSearchParams) return new URLSearchParams(data);
  if (isSpecFormData(data)) return copyFormData(data);
  return data;
}

interface FormDataLike {
  append(name: string, value: unknown): void;
  entries(): IterableIterator<[string, unknown]>;
}

/** WHATWG FormData (Node's global, or a polyfill of it), told by its tag and methods, not by class. */
function isSpecFormData(data: object): data is FormDataLike {
  const candidate = data as Partial<FormDataLike> & { [Symbol.toStringTag]?: unknown };
  return candidate[Symbol.toStringTag] === 'FormData' && typeof candidate.append === 'function' && typeof candidate.entries === 'function';
}

/** A copy of the same class; entries are strings and Blobs, which cannot change. */
function copyFormData(form: FormDataLike): FormDataLike {
  const copy = new (form.constructor as new () => FormDataLike)();
  for (const [name, value] of form.entries()) copy.append(name, value);
  return copy;
}
