/**
 * The inspect classifier on hand-made key-values (pure logic: no etcd).
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../cli/inspect/classify.js';
import type { RawKv } from '../../cli/inspect/model.js';
import { changes } from '../../cli/ui/timeline.js';

const enc = new TextEncoder();
let rev = 100n;

function kv(key: string, opts: { value?: string; lease?: bigint; createRevision?: bigint } = {}): RawKv {
  const createRevision = opts.createRevision ?? ++rev;
  return { key, value: enc.encode(opts.value ?? ''), createRevision, modRevision: createRevision, lease: opts.lease ?? 0n };
}

const A = 0x694d9a1b2c3d4e5fn;
const B = 0x694d9a1b2c3d4e71n;
const C = 0x1234n; // a lease whose hex is all digits

describe('classify', () => {
  it('Go-layout session keys: empty value = lock (holder = oldest, waiters in create order), value = election candidate', () => {
    const kvs = [
      kv(`jobs/${C.toString(16)}`, { lease: C, createRevision: 12n }),
      kv(`jobs/${B.toString(16)}`, { lease: B, createRevision: 11n }),
      kv(`jobs/${A.toString(16)}`, { lease: A, createRevision: 10n }),
      kv(`leader/${B.toString(16)}`, { lease: B, value: 'node-2', createRevision: 21n }),
      kv(`leader/${A.toString(16)}`, { lease: A, value: 'node-1', createRevision: 20n }),
    ];
    const m = classify(kvs, new Map([[A.toString(), 7]]));
    expect(m.locks).toEqual([
      {
        name: 'jobs',
        holder: { key: `jobs/${A.toString(16)}`, lease: A.toString(), fencingToken: '10', ttl: 7 },
        waiters: [
          { key: `jobs/${B.toString(16)}`, lease: B.toString(), createRevision: '11' },
          { key: `jobs/${C.toString(16)}`, lease: C.toString(), createRevision: '12' },
        ],
      },
    ]);
    expect(m.elections).toEqual([
      {
        name: 'leader',
        leader: { key: `leader/${A.toString(16)}`, value: 'node-1', lease: A.toString(), revision: '20', ttl: 7 },
        candidates: [
          { key: `leader/${A.toString(16)}`, lease: A.toString(), createRevision: '20' },
          { key: `leader/${B.toString(16)}`, lease: B.toString(), createRevision: '21' },
        ],
      },
    ]);
    expect(m.queues).toEqual([]);
    expect(m.semaphores).toEqual([]);
  });

  it('a hex last segment that is not the key’s own lease is not a lock', () => {
    const m = classify([kv('jobs/abc', { lease: A }), kv(`jobs/${A.toString(16)}`, { lease: B })]);
    expect(m.locks).toEqual([]);
  });

  it('rw-locks: readers hold until the first writer; semaphores list their keys in order; barrier waiters are not reported', () => {
    const m = classify([
      kv('cat/read/1700000000000000001', { lease: A, createRevision: 30n }),
      kv('cat/write/1700000000000000003', { lease: A, createRevision: 32n }),
      kv('cat/read/1700000000000000002', { lease: B, createRevision: 31n }),
      kv('cat/read/1700000000000000004', { lease: B, createRevision: 33n }),
      kv('gpu/1700000000000000009', { lease: B, createRevision: 41n }),
      kv('gpu/1700000000000000008', { lease: A, createRevision: 40n }),
      kv('batch/waiters/1700000000000000005', { lease: A }),
    ]);
    expect(m.rwlocks).toHaveLength(1);
    expect(m.rwlocks[0]!.holders.map((h) => h.key)).toEqual(['cat/read/1700000000000000001', 'cat/read/1700000000000000002']);
    expect(m.rwlocks[0]!.waiters.map((h) => `${h.mode} ${h.key}`)).toEqual(['write cat/write/1700000000000000003', 'read cat/read/1700000000000000004']);
    expect(m.semaphores).toEqual([{ name: 'gpu', keys: [expect.objectContaining({ key: 'gpu/1700000000000000008' }), expect.objectContaining({ key: 'gpu/1700000000000000009' })] }]);
    const writerFirst = classify([kv('w/write/1', { lease: A, createRevision: 1n }), kv('w/read/2', { lease: B, createRevision: 2n })]);
    expect(writerFirst.rwlocks[0]!.holders.map((h) => h.mode)).toEqual(['write']);
  });

  it('queues: FIFO and priority items, claims, delayed items, dead-letter depth; sequence bookkeeping ignored', () => {
    const m = classify([
      kv('emails/1700000000000000001', { value: '{"n":1}' }),
      kv('emails/1700000000000000002', { value: '{"n":2}' }),
      kv('emails.dead/1700000000000000003', { value: '{"n":0}' }),
      kv('__claims/emails/1700000000000000001', { lease: A, value: 'token' }),
      kv('__claims/emails/1699999999999999999', { lease: A, value: 'stale' }),
      kv('__jobs/emails/d/0001700000000000/1700000000000000004', { value: '{"n":4}' }),
      kv('__jobs/emails/n/1700000000000000001@5'),
      kv('tasks/00001/0000000000000000', { value: '"a"' }),
      kv('tasks/00002/0000000000000000', { value: '"b"' }),
      kv('__tasks/00001', { value: '' }),
    ]);
    expect(m.queues).toEqual([
      { name: 'emails', kind: 'fifo', depth: 2, claimed: 1, delayed: 1, deadLetter: 1 },
      { name: 'emails.dead', kind: 'fifo', depth: 1, claimed: 0, delayed: 0, deadLetter: 0 },
      { name: 'tasks', kind: 'priority', depth: 2, claimed: 0, delayed: 0, deadLetter: 0 },
    ]);
  });

  it('topics: retained messages, group lag from low + done, members; services; internal keys skipped', () => {
    const m = classify([
      kv('__topics/orders%2Feu/001700000000000-0123456789abcdef', { value: '1', createRevision: 50n }),
      kv('__topics/orders%2Feu/001700000000001-0123456789abcdef', { value: '2', createRevision: 51n }),
      kv('__topics/orders%2Feu/001700000000002-0123456789abcdef', { value: '3', createRevision: 52n }),
      kv('__topics/orders%2Feu/~groups/billing/0123456789abcdef', { lease: A }),
      kv('__groups/orders%2Feu/billing/low', { value: '00000000000000000051' }),
      kv('__groups/orders%2Feu/billing/done/00000000000000000052', { value: 'ok' }),
      kv('__groups/orders%2Feu/audit/low', { value: '00000000000000000050' }),
      kv('__services/api/api-1', { lease: A, value: JSON.stringify({ id: 'api-1', address: '10.0.0.1:80', metadata: {} }) }),
      kv('__services/api/garbage', { lease: A, value: 'not json' }),
      kv(`__conclave/session/0123/${A.toString(16)}`, { lease: A, value: '{"ttl":10}' }),
    ]);
    expect(m.topics).toEqual([
      {
        name: 'orders/eu',
        retained: 3,
        groups: [
          { name: 'audit', lag: 3, members: 0 },
          { name: 'billing', lag: 1, members: 1 },
        ],
      },
    ]);
    expect(m.services).toEqual([{ name: 'api', instances: [{ id: 'api-1', address: '10.0.0.1:80', lease: A.toString() }] }]);
    expect(m.elections).toEqual([]);
  });

  it('timeline: a lock handover and a leader change', () => {
    const before = classify([kv(`jobs/${A.toString(16)}`, { lease: A, createRevision: 1n }), kv(`jobs/${B.toString(16)}`, { lease: B, createRevision: 2n })]);
    const after = classify([kv(`jobs/${B.toString(16)}`, { lease: B, createRevision: 2n }), kv(`el/${B.toString(16)}`, { lease: B, value: 'x' })]);
    expect(changes(before, after, 5)).toEqual([
      { at: 5, kind: 'lock', name: 'jobs', from: `jobs/${A.toString(16)}`, to: `jobs/${B.toString(16)}` },
      { at: 5, kind: 'election', name: 'el', to: `el/${B.toString(16)}`, value: 'x' },
    ]);
  });
});
