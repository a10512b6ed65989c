/** A LIKE pattern matching values that start with `prefix` taken literally (its % and _ escaped). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** One page of a keyset-paged listing; `next` is the cursor of the following page, if any. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells that another page exists,
 * whose cursor is the key of this page's last row.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last ? { items, next: keyOf(last) } : { items };
}
