/**
 * What every checker returns: the invariant's violations, each with a kind and a human
 * explanation. An empty list means the recorded history satisfies the invariant.
 */

/** One broken invariant, found in a recorded history. */
export interface Violation {
  /** Short machine-readable kind, e.g. `'stale-write'`, `'missing'`. */
  kind: string;
  /** What exactly was seen. */
  detail: string;
}

/** A readable summary of `violations`: counts per kind and the first few details. */
export function describeViolations(violations: readonly Violation[], examples = 5): string {
  if (violations.length === 0) return 'no violations';
  const counts = new Map<string, number>();
  for (const v of violations) counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
  const summary = [...counts].map(([kind, n]) => `${kind} x${n}`).join(', ');
  return `${violations.length} violation(s): ${summary}\n${violations
    .slice(0, examples)
    .map((v) => `  - ${v.kind}: ${v.detail}`)
    .join('\n')}`;
}
