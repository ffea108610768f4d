/**
 * Compiles include/exclude patterns to one matcher. `*` matches within a path component, `**` across components,
 * `?` one character; a pattern matches a path or any of its parents (`node_modules` excludes the whole subtree).
 * Patterns are relative to the tree root; a leading `/` or `./` is ignored.
 */
export function compileGlobs(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const res = globSources(patterns).map((source) => new RegExp(source));
  return (path) => res.some((re) => re.test(path));
}

/** The regular expressions `compileGlobs` matches with, as sources: what a worker thread can be given. */
export function globSources(patterns: readonly string[]): string[] {
  return patterns.map((p) => {
    const clean = p.replace(/^\.?\//, '').replace(/\/+$/, '');
    let src = '';
    for (let i = 0; i < clean.length; i++) {
      const c = clean[i] as string;
      if (c === '*' && clean[i + 1] === '*') {
        if (clean[i + 2] === '/') {
          src += '(?:.*/)?';
          i += 2;
        } else {
          src += '.*';
          i += 1;
        }
      } else if (c === '*') src += '[^/]*';
      else if (c === '?') src += '[^/]';
      else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return `^${src}(?:/.*)?$`;
  });
}
