/**
 * The fault suite's checkers on hand-made histories: each must pass a correct history and
 * find every kind of violation it is there to find (a checker that cannot fail is a defect).
 */
import { describe, expect, it } from 'vitest';
import { checkFencedWrites, checkReportedWrites, type FencedWrite } from './checkers/fenced-history.js';
import { FencedResource } from './checkers/fenced-resource.js';
import { checkLeftovers } from './checkers/leftovers.js';
import { checkClaims, checkTakes, type ConsumerStep } from './checkers/queue-history.js';
import { checkStream } from './checkers/stream-history.js';
import { describeViolations } from './checkers/violation.js';

const kinds = (vs: readonly { kind: string }[]): string[] => vs.map((v) => v.kind);
const w = (revision: number, token: number, holder: string, resource = 'r'): FencedWrite => ({
  resource,
  revision: BigInt(revision),
  token: BigInt(token),
  holder,
});

describe('checkFencedWrites (mutex / election: no two holders at once)', () => {
  it('passes holders taking turns, tokens increasing', () => {
    expect(checkFencedWrites([w(5, 4, 'a'), w(6, 4, 'a'), w(9, 8, 'b'), w(10, 8, 'b'), w(12, 11, 'a')])).toEqual([]);
  });

  it('passes interleaved resources (each is checked on its own) and unsorted input', () => {
    expect(checkFencedWrites([w(10, 8, 'b', 'x'), w(5, 4, 'a', 'x'), w(6, 2, 'c', 'y'), w(7, 9, 'c', 'y')])).toEqual([]);
  });

  it('finds a holder writing after the next holder did (overlap)', () => {
    const found = checkFencedWrites([w(5, 4, 'a'), w(9, 8, 'b'), w(10, 4, 'a'), w(11, 8, 'b')]);
    expect(kinds(found)).toEqual(['stale-write']);
    expect(found[0]!.detail).toContain('token 4 at revision 10');
  });

  it('finds two holders with one token (two leaders in one term)', () => {
    expect(kinds(checkFencedWrites([w(5, 4, 'a'), w(6, 4, 'b')]))).toEqual(['shared-token']);
  });

  it('cross-checks client reports: acknowledged writes present, refused writes absent', () => {
    const accepted = [{ ...w(5, 4, 'a'), n: 1 }, { ...w(6, 4, 'a'), n: 2 }];
    const ok = [
      { resource: 'r', token: 4n, holder: 'a', n: 1, outcome: 'ok' as const, revision: 5n },
      { resource: 'r', token: 4n, holder: 'a', n: 3, outcome: 'rejected' as const },
      { resource: 'r', token: 4n, holder: 'a', n: 4, outcome: 'failed' as const },
    ];
    expect(checkReportedWrites(accepted, ok)).toEqual([]);
    const bad = [
      { resource: 'r', token: 4n, holder: 'a', n: 7, outcome: 'ok' as const, revision: 9n },
      { resource: 'r', token: 4n, holder: 'a', n: 1, outcome: 'ok' as const, revision: 6n },
      { resource: 'r', token: 4n, holder: 'a', n: 2, outcome: 'rejected' as const },
    ];
    expect(kinds(checkReportedWrites(accepted, bad))).toEqual(['lost-ack', 'lost-ack', 'rejected-applied']);
  });
});

describe('FencedResource', () => {
  it('accepts equal or higher tokens and refuses lower ones', () => {
    const r = new FencedResource();
    expect(r.write(5n, 'a')).toBe(true);
    expect(r.write(5n, 'a')).toBe(true);
    expect(r.write(9n, 'b')).toBe(true);
    expect(r.write(5n, 'a')).toBe(false);
    expect(r.highest).toBe(9n);
    expect(r.accepted().map((x) => x.holder)).toEqual(['a', 'a', 'b']);
    expect(r.log).toHaveLength(4);
  });
});

describe('checkStream (topics / watch: all, in order, once)', () => {
  const m = (revision: number, id: string) => ({ revision: BigInt(revision), id });
  const published = [m(5, 'a'), m(6, 'b'), m(9, 'c')];

  it('passes the exact stream, and a maybe-published extra', () => {
    expect(checkStream('s', published, published)).toEqual([]);
    expect(checkStream('s', published, [m(5, 'a'), m(6, 'b'), m(7, 'x'), m(9, 'c')], new Set(['x']))).toEqual([]);
  });

  it('finds a gap', () => {
    expect(kinds(checkStream('s', published, [m(5, 'a'), m(9, 'c')]))).toEqual(['missing']);
  });

  it('finds a duplicate (replayed after a reconnect)', () => {
    expect(kinds(checkStream('s', published, [m(5, 'a'), m(6, 'b'), m(6, 'b'), m(9, 'c')]))).toEqual(['duplicate']);
  });

  it('finds reordering', () => {
    expect(kinds(checkStream('s', published, [m(5, 'a'), m(9, 'c'), m(6, 'b')]))).toEqual(['out-of-order']);
  });

  it('finds messages nobody published, and wrong revisions', () => {
    expect(kinds(checkStream('s', published, [m(5, 'a'), m(6, 'b'), m(8, 'zz'), m(9, 'c')]))).toEqual(['unexpected']);
    expect(kinds(checkStream('s', published, [m(5, 'a'), m(7, 'b'), m(9, 'c')]))).toEqual(['wrong-revision']);
  });
});

describe('checkClaims (queue claim + ack: at-least-once)', () => {
  const s = (consumer: string, id: number, step: ConsumerStep['step'], definite?: boolean): ConsumerStep => ({ consumer, id, step, definite });

  it('passes every item acked once, with redeliveries after a dead consumer', () => {
    const steps = [s('a', 1, 'claimed'), s('a', 1, 'acked'), s('b', 2, 'claimed'), s('c', 2, 'claimed'), s('c', 2, 'acked')];
    expect(checkClaims([1, 2], steps)).toEqual({ violations: [], redelivered: 1 });
  });

  it('accepts an ack with an unknown outcome as delivery', () => {
    expect(checkClaims([1], [s('a', 1, 'claimed'), s('a', 1, 'ack-failed', false)]).violations).toEqual([]);
  });

  it('finds a lost item (never acked, or only refused acks)', () => {
    expect(kinds(checkClaims([1, 2], [s('a', 1, 'claimed'), s('a', 1, 'acked')]).violations)).toEqual(['lost']);
    expect(kinds(checkClaims([1], [s('a', 1, 'claimed'), s('a', 1, 'ack-failed', true)]).violations)).toEqual(['lost']);
  });

  it('finds an item acked by two consumers (two claims at once)', () => {
    const steps = [s('a', 1, 'claimed'), s('b', 1, 'claimed'), s('a', 1, 'acked'), s('b', 1, 'acked')];
    expect(kinds(checkClaims([1], steps).violations)).toEqual(['double-ack']);
    expect(checkClaims([1], steps, new Map([[1, 2]])).violations).toEqual([]);
  });

  it('finds acks without claims and items nobody enqueued', () => {
    expect(kinds(checkClaims([1], [s('a', 1, 'claimed'), s('b', 1, 'acked')]).violations)).toEqual(['ack-without-claim']);
    expect(kinds(checkClaims([1], [s('a', 1, 'claimed'), s('a', 1, 'acked'), s('a', 9, 'claimed')]).violations)).toEqual(['unknown-item']);
  });
});

describe('checkTakes (queue dequeue: at-most-once)', () => {
  const t = (consumer: string, id: number): ConsumerStep => ({ consumer, id, step: 'taken' });

  it('passes each item taken once, the rest still queued', () => {
    expect(checkTakes([1, 2, 3], [t('a', 1), t('b', 2)], [3], 0)).toEqual({ violations: [], lost: [] });
  });

  it('finds an item taken twice', () => {
    expect(kinds(checkTakes([1, 2], [t('a', 1), t('b', 1), t('b', 2)], [], 0).violations)).toEqual(['duplicate-take']);
  });

  it('finds items lost beyond what the kills explain', () => {
    expect(checkTakes([1, 2, 3], [t('a', 1)], [], 2).violations).toEqual([]);
    const r = checkTakes([1, 2, 3], [t('a', 1)], [], 1);
    expect(kinds(r.violations)).toEqual(['lost']);
    expect(r.lost).toEqual([2, 3]);
  });
});

describe('checkLeftovers (nothing left behind after close)', () => {
  const gone = { id: 0x10n, ttl: -1n, keys: [] };

  it('passes no keys, revoked leases, allowed keys, and a keyless lease whose grant reply was lost', () => {
    expect(checkLeftovers([], () => false, [gone])).toEqual([]);
    expect(checkLeftovers(['p/q/item1'], (k) => k.startsWith('p/q/'), [gone, { id: 0x11n, ttl: 9n, keys: [], grantReplyLost: true }])).toEqual([]);
  });

  it('finds a key left behind and a lease still alive', () => {
    expect(kinds(checkLeftovers(['p/lock/694d'], () => false, []))).toEqual(['leftover-key']);
    const found = checkLeftovers([], () => false, [{ id: 0x694dn, ttl: 7n, keys: ['p/lock/694d'] }]);
    expect(kinds(found)).toEqual(['leftover-lease']);
    expect(found[0]!.detail).toContain('694d');
  });

  it('finds a lost-grant lease that carries keys', () => {
    expect(kinds(checkLeftovers([], () => false, [{ id: 0x12n, ttl: 5n, keys: ['k'], grantReplyLost: true }]))).toEqual(['orphan-lease-with-keys']);
  });
});

it('describeViolations summarizes by kind', () => {
  expect(describeViolations([])).toBe('no violations');
  expect(describeViolations([{ kind: 'x', detail: 'd1' }, { kind: 'x', detail: 'd2' }, { kind: 'y', detail: 'd3' }])).toContain('x x2, y x1');
});
