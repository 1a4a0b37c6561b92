/** Dense integer ids for distinct keys, in first-seen order (states, values, strings). */

/**
 * Returns `intern(key, value)`: the id of `key`, giving it the next id (and pushing `value` onto
 * `values`, so `values[id]` is what the id stands for) the first time. Pass `values` and `ids`
 * already holding entries to reserve ids (e.g. 0 for nil).
 */
export function interner<K, V>(values: V[], ids: Map<K, number> = new Map()): (key: K, value: V) => number {
  return (key, value) => {
    let id = ids.get(key);
    if (id === undefined) {
      id = values.length;
      values.push(value);
      ids.set(key, id);
    }
    return id;
  };
}
