/** A record without a prototype, so that keys such as `__proto__` are plain keys. */
export type Dict<T> = Record<string, T>;

export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

/** Sets an own property on a plain object, `__proto__` included. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A plain-object copy of a dict (what users receive). */
export function toPlain<T, R = T>(source: Dict<T> | undefined, map?: (value: T) => R): Record<string, R> {
  const out: Record<string, R> = {};
  if (source)
    for (const [key, value] of Object.entries(source))
      setOwn(out, key, map ? map(value) : (value as unknown as R));
  return out;
}

/** Copies every own entry of `source` into a prototype-less dict. */
export function toDict<T>(source: Record<string, T> | undefined): Dict<T> {
  const out = dict<T>();
  if (source) for (const [key, value] of Object.entries(source)) out[key] = value;
  return out;
}
