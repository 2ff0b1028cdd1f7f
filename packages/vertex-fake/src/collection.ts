/**
 * One kind of resource, keyed by its canonical name and kept in creation order (a replaced
 * resource keeps its place). Reads through {@link Collection.get} hand out copies so that no caller
 * can change the stored state by accident; {@link Collection.peek} is for the fake's own handlers.
 */
export class Collection<T extends { name: string }> {
  readonly #items = new Map<string, T>();
  /** `parent/collection` → the items directly in it, in creation order. */
  readonly #byParent = new Map<string, Map<string, T>>();

  has(name: string): boolean {
    return this.#items.has(name);
  }

  /** The stored object itself; callers MUST NOT keep or change it. */
  peek(name: string): T | undefined {
    return this.#items.get(name);
  }

  get(name: string): T | undefined {
    const item = this.#items.get(name);
    return item === undefined ? undefined : structuredClone(item);
  }

  /** Stores `item` as given (the caller hands over ownership). */
  set(item: T): void {
    this.#items.set(item.name, item);
    const key = item.name.slice(0, item.name.lastIndexOf("/"));
    const siblings = this.#byParent.get(key) ?? new Map<string, T>();
    siblings.set(item.name, item);
    this.#byParent.set(key, siblings);
  }

  delete(name: string): boolean {
    this.#byParent.get(name.slice(0, name.lastIndexOf("/")))?.delete(name);
    return this.#items.delete(name);
  }

  /** Every stored object directly under `parent` in `collection` (e.g. `parent/contexts/*`), creation order. */
  under(parent: string, collection: string): T[] {
    return [...(this.#byParent.get(`${parent}/${collection}`)?.values() ?? [])];
  }

  /** Names of every stored object whose name starts with `prefix`. */
  namesStartingWith(prefix: string): string[] {
    return [...this.#items.keys()].filter((name) => name.startsWith(prefix));
  }

  values(): T[] {
    return [...this.#items.values()];
  }

  clear(): void {
    this.#items.clear();
    this.#byParent.clear();
  }

  get size(): number {
    return this.#items.size;
  }
}
