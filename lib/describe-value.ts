/**
 * What a bad option value was, for an error message: strings quoted, numbers and the like
 * as written, anything else by its kind. It echoes the value, so it is only for settings
 * that are never secret (URLs, counts, names); credentials are described by kind alone
 * where they are checked.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
