/**
 * Stores `value` as the newest entry of `map`, dropping the oldest once it holds `limit`: with
 * a `get` before each call, a map of the `limit` most recently used entries.
 */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): V {
  map.delete(key);
  if (map.size >= limit) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}
