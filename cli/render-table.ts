/**
 * `conclave inspect`'s human output: one aligned table per kind of primitive.
 * @module
 */
import type { InspectModel } from './inspect/model.js';

/** Columns padded to their widest cell, two spaces apart. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function ttl(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  return seconds < 0 ? 'expired' : `${seconds}s`;
}

function section(title: string, count: number, body: () => string): string {
  return count === 0 ? `${title}: none` : `${title} (${count})\n${body()}`;
}

/**
 * The report as text, e.g.
 *
 * ```text
 * LOCKS (1)
 * NAME          HOLDER                         TOKEN  TTL  WAITERS
 * jobs/nightly  jobs/nightly/694d9a1b2c3d4e5f  1042   9s   jobs/nightly/694d9a1b2c3d4e71, ...
 * ```
 */
export function renderTable(m: InspectModel): string {
  const parts = [
    section('LOCKS', m.locks.length, () =>
      table(
        ['NAME', 'HOLDER', 'TOKEN', 'TTL', 'WAITERS (in order)'],
        m.locks.map((l) => [l.name, l.holder.key, l.holder.fencingToken, ttl(l.holder.ttl), l.waiters.map((w) => w.key).join(', ') || '-']),
      ),
    ),
    section('ELECTIONS', m.elections.length, () =>
      table(
        ['NAME', 'LEADER', 'VALUE', 'TERM', 'TTL', 'CANDIDATES'],
        m.elections.map((e) => [e.name, e.leader.key, JSON.stringify(e.leader.value), e.leader.revision, ttl(e.leader.ttl), String(e.candidates.length)]),
      ),
    ),
    section('RW-LOCKS', m.rwlocks.length, () =>
      table(
        ['NAME', 'HOLDERS', 'WAITERS (in order)'],
        m.rwlocks.map((r) => [
          r.name,
          r.holders.map((h) => `${h.mode} ${h.key}`).join(', ') || '-',
          r.waiters.map((w) => `${w.mode} ${w.key}`).join(', ') || '-',
        ]),
      ),
    ),
    section('SEMAPHORES', m.semaphores.length, () =>
      table(
        ['NAME', 'KEYS', 'IN ORDER (the first <permits> hold)'],
        m.semaphores.map((s) => [s.name, String(s.keys.length), s.keys.map((k) => k.key).join(', ')]),
      ),
    ),
    section('QUEUES', m.queues.length, () =>
      table(
        ['NAME', 'KIND', 'DEPTH', 'CLAIMED', 'DELAYED', 'DEAD-LETTER'],
        m.queues.map((q) => [q.name, q.kind, String(q.depth), String(q.claimed), String(q.delayed), String(q.deadLetter)]),
      ),
    ),
    section('TOPICS', m.topics.length, () =>
      table(
        ['NAME', 'RETAINED', 'GROUPS (lag, members)'],
        m.topics.map((t) => [t.name, String(t.retained), t.groups.map((g) => `${g.name} (lag ${g.lag}, ${g.members} member${g.members === 1 ? '' : 's'})`).join(', ') || '-']),
      ),
    ),
    section('SERVICES', m.services.length, () =>
      table(
        ['NAME', 'INSTANCE', 'ADDRESS'],
        m.services.flatMap((s) => s.instances.map((i) => [s.name, i.id, i.address])),
      ),
    ),
  ];
  return parts.join('\n\n') + '\n';
}
