/**
 * Freezes plain objects and arrays recursively. Typed arrays (IP address bytes) cannot be frozen and
 * RegExps and functions are left alone; nothing in Config exposes them for mutation anyway.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) {
    return value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return value;
  }
  for (const v of Object.values(value)) {
    deepFreeze(v);
  }
  return Object.freeze(value);
}
