/**
 * Values keyed by relative paths (`a/b/c`), where removing a path removes everything under it in time proportional
 * to what is removed: unpacking a layer that replaces many directories stays linear in the number of entries.
 */
export class PathTree<V> {
  readonly #values = new Map<string, V>();
  /** Every path that has a value, and all its ancestors, to their children in the tree. */
  readonly #children = new Map<string, Set<string>>();

  get size(): number {
    return this.#values.size;
  }

  get(rel: string): V | undefined {
    return this.#values.get(rel);
  }

  set(rel: string, value: V): void {
    this.#values.set(rel, value);
    // Link the path to its ancestors up to the first one already linked: each link is made once.
    for (let p = rel; p !== ''; ) {
      const parent = parentOf(p);
      let siblings = this.#children.get(parent);
      if (siblings === undefined) {
        siblings = new Set();
        this.#children.set(parent, siblings);
      }
      if (siblings.has(p)) break;
      siblings.add(p);
      p = parent;
    }
  }

  /** Removes `rel` and every path under it. */
  deleteTree(rel: string): void {
    if (rel !== '') this.#children.get(parentOf(rel))?.delete(rel);
    const stack = [rel];
    while (stack.length > 0) {
      const p = stack.pop() as string;
      this.#values.delete(p);
      const kids = this.#children.get(p);
      if (kids === undefined) continue;
      this.#children.delete(p);
      for (const k of kids) stack.push(k);
    }
  }

  keys(): IterableIterator<string> {
    return this.#values.keys();
  }
}

export function parentOf(rel: string): string {
  return rel.slice(0, Math.max(0, rel.lastIndexOf('/')));
}
