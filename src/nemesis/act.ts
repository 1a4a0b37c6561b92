/**
 * Running one cluster call per node, in parallel, without letting one failing node stop the
 * others: the nemesis must keep going (and above all keep healing) when a node misbehaves.
 */

/** Calls `fn` for every node; resolves with one message per node that failed. */
export async function onEach(
  nodes: readonly string[],
  fn: (node: string) => Promise<void>,
): Promise<string[]> {
  const results = await Promise.allSettled(nodes.map((n) => fn(n)));
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') errors.push(`${nodes[i]}: ${errorMessage(r.reason)}`);
  });
  return errors;
}

/** Runs a whole-cluster call; resolves with its error message, if any. */
export async function once(fn: () => Promise<void>): Promise<string[]> {
  try {
    await fn();
    return [];
  } catch (e) {
    return [errorMessage(e)];
  }
}

export function errorMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.slice(0, 300);
}
