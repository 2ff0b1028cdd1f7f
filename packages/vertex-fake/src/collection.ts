/**
 * One kind of resource, keyed by its canonical name and kept in creation order (a replaced
 * resource keeps its place). Reads through {@link Collection.get} hand out copies so that no caller
 * can change the stored state by accident; {@link Collection.peek} is for the fake's own handlers.
 */
export class Collection<T extends { name: string }> {
  readonly #items = new Map<string, T>();

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
  }

  delete(name: string): boolean {
    return this.#items.delete(name);
  }

  /** Every stored object directly under `parent` in `collection` (e.g. `parent/contexts/*`), creation order. */
  under(parent: string, collection: string): T[] {
    const prefix = `${parent}/${collection}/`;
    const found: T[] = [];
    for (const [name, item] of this.#items) {
      if (name.startsWith(prefix) && !name.includes("/", prefix.length)) found.push(item);
    }
    return found;
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
  }

  get size(): number {
    return this.#items.size;
  }
}
