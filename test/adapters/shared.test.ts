/**
 * Pure unit tests of adapters/shared/: etcd's semantics that every adapter
 * applies the same way (no server needed).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAuthNotEnabled, isTokenError, needsFreshToken, revokeTolerantly, watchCancelOf } from '../../adapters/shared/answers.js';
import { EndpointRotation, failoverAction, isRetryableAnswer, outcomeUnknown, type FailureKind } from '../../adapters/shared/failover.js';
import { callIsolated } from '../../adapters/shared/handlers.js';
import { nonNegative } from '../../adapters/shared/options.js';
import { RETRY_SAFE, isReadOnlyTxn, isRetrySafe } from '../../adapters/shared/retry-safety.js';
import { TokenManager, tokenManagerFor } from '../../adapters/shared/token-manager.js';
import {
  AbortError,
  AuthError,
  ClosedError,
  CompactedError,
  ConnectionError,
  EtcdError,
  InvalidArgumentError,
  errorFromStatus,
} from '../../src/errors.js';
import type { RequestOp, TxnRequest } from '../../src/transport/index.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const range: RequestOp = { range: { key: b('k') } };
const put: RequestOp = { put: { key: b('k'), value: b('v') } };
const txn = (success: RequestOp[], failure: RequestOp[] = []): TxnRequest => ({ compare: [], success, failure });

describe('retry safety', () => {
  it('is a table: reads, revoke, TTL, member list, status and authenticate are safe; writes are not', () => {
    expect(RETRY_SAFE).toEqual({
      range: true,
      put: false,
      deleteRange: false,
      compact: false,
      leaseGrant: false,
      leaseRevoke: true,
      leaseTimeToLive: true,
      memberList: true,
      status: true,
      authenticate: true,
    });
    expect(isRetrySafe('range')).toBe(true);
    expect(isRetrySafe('put')).toBe(false);
  });

  it('a txn is safe only when every op, nested ones included, reads', () => {
    expect(isRetrySafe('txn', txn([range], [range]))).toBe(true);
    expect(isRetrySafe('txn', txn([]))).toBe(true);
    expect(isRetrySafe('txn', txn([range], [put]))).toBe(false);
    expect(isRetrySafe('txn', txn([{ deleteRange: { key: b('k') } }]))).toBe(false);
    expect(isReadOnlyTxn(txn([range], [{ txn: txn([range]) }]))).toBe(true);
    expect(isReadOnlyTxn(txn([{ txn: txn([range], [{ txn: txn([put]) }]) }]))).toBe(false);
  });
});

describe('failover policy', () => {
  const unavailable = new ConnectionError('etcdserver: no leader');
  const final = new EtcdError('etcdserver: requested lease not found', 5);
  const cases: [FailureKind, boolean, Error, string][] = [
    ['not-sent', true, unavailable, 'resend'],
    ['not-sent', false, unavailable, 'resend'],
    ['transport', true, unavailable, 'resend'],
    ['transport', false, unavailable, 'outcome-unknown'],
    ['answer', true, unavailable, 'resend'],
    ['answer', false, unavailable, 'final'],
    ['answer', true, final, 'final'],
    ['answer', true, new AuthError('etcdserver: invalid auth token', { code: 'INVALID_TOKEN', retryable: true }), 'final'],
  ];
  it.each(cases)('%s, idempotent %s, %s -> %s', (kind, idempotent, error, action) => {
    expect(failoverAction(kind, idempotent, error as ConnectionError)).toBe(action);
  });

  it('retries retryable answers, but not token errors (the refresh handles those)', () => {
    expect(isRetryableAnswer(errorFromStatus(14, 'etcdserver: no leader'))).toBe(true);
    expect(isRetryableAnswer(errorFromStatus(16, 'etcdserver: invalid auth token'))).toBe(false);
    expect(isRetryableAnswer(errorFromStatus(9, 'etcdserver: lease expired'))).toBe(false);
  });

  it('says an outcome is unknown with a retryable ConnectionError', () => {
    const cause = new Error('reset');
    const e = outcomeUnknown('read ECONNRESET', cause);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/may or may not have been applied: read ECONNRESET/);
    expect(e.cause).toBe(cause);
  });

  it('rotates endpoints round robin, only off the one in use', () => {
    const r = new EndpointRotation(3);
    expect(r.current).toBe(0);
    r.markBroken();
    expect(r.current).toBe(1);
    r.markBroken(0); // a stale report about an endpoint no longer in use
    expect(r.current).toBe(1);
    r.markBroken(1);
    r.markBroken(2);
    expect(r.current).toBe(0);
    expect([1, 2, 3, 6].map((t) => r.roundDone(t))).toEqual([false, false, true, true]);
  });
});

describe('etcd answers', () => {
  it('tells token errors and when a fresh token helps', () => {
    const invalid = errorFromStatus(2, 'etcdserver: invalid auth token');
    const unauthenticated = errorFromStatus(16, 'etcdserver: unauthenticated');
    const empty = errorFromStatus(3, 'etcdserver: user name is empty');
    expect(isTokenError(invalid)).toBe(true);
    expect(isTokenError(unauthenticated)).toBe(true);
    expect(isTokenError(errorFromStatus(7, 'etcdserver: permission denied'))).toBe(false);
    expect(needsFreshToken(invalid, 'tok')).toBe(true);
    expect(needsFreshToken(empty, '')).toBe(true); // auth was off when we authenticated, now it is on
    expect(needsFreshToken(empty, 'tok')).toBe(false);
    expect(needsFreshToken(errorFromStatus(7, 'etcdserver: permission denied'), 'tok')).toBe(false);
  });

  it('tells auth-not-enabled apart', () => {
    expect(isAuthNotEnabled(errorFromStatus(9, 'etcdserver: authentication is not enabled'))).toBe(true);
    expect(isAuthNotEnabled(errorFromStatus(3, 'etcdserver: authentication failed, invalid user ID or password'))).toBe(false);
  });

  it('tolerates a lease that is already gone on revoke, nothing else', async () => {
    await expect(revokeTolerantly(() => Promise.reject(errorFromStatus(5, 'etcdserver: requested lease not found')))).resolves.toEqual({
      header: { revision: 0n },
    });
    const header = { revision: 7n };
    await expect(revokeTolerantly(() => Promise.resolve({ header }))).resolves.toEqual({ header });
    const other = errorFromStatus(14, 'etcdserver: no leader');
    await expect(revokeTolerantly(() => Promise.reject(other))).rejects.toBe(other);
  });

  it('maps a cancelled watcher', () => {
    const compacted = watchCancelOf(42n, 'mvcc: required revision has been compacted');
    expect(compacted.error).toBeInstanceOf(CompactedError);
    expect((compacted.error as CompactedError).compactRevision).toBe(42n);
    const denied = watchCancelOf(0n, 'rpc error: code = PermissionDenied desc = etcdserver: permission denied');
    expect(denied.error).toBeInstanceOf(AuthError);
    expect((denied.error as AuthError).code).toBe('PERMISSION_DENIED');
    expect(isTokenError(watchCancelOf(0n, 'rpc error: code = Unauthenticated desc = etcdserver: invalid auth token').error)).toBe(true);
    expect(watchCancelOf(0n, '')).toMatchObject({ compactRevision: 0n, reason: '', error: expect.any(ClosedError) });
  });
});

describe('token manager', () => {
  it('authenticates once for concurrent callers and refreshes a stale token once', async () => {
    let n = 0;
    const tokens = new TokenManager(async () => `t${++n}`);
    expect(await Promise.all([tokens.get(), tokens.get()])).toEqual(['t1', 't1']);
    expect(await Promise.all([tokens.refresh('t1'), tokens.refresh('t1')])).toEqual(['t2', 't2']);
    expect(await tokens.refresh('t1')).toBe('t2'); // already replaced
    tokens.invalidateIfRefused(new ConnectionError('down'), 't2');
    expect(await tokens.get()).toBe('t2');
    tokens.invalidateIfRefused(errorFromStatus(16, 'etcdserver: invalid auth token'), 't2');
    expect(await tokens.get()).toBe('t3');
  });

  it("lets one caller abort without cancelling the others' authentication", async () => {
    let release!: (t: string) => void;
    const tokens = new TokenManager(() => new Promise<string>((r) => (release = r)));
    const ac = new AbortController();
    const first = tokens.get(ac.signal);
    const second = tokens.get();
    ac.abort();
    await expect(first).rejects.toBeInstanceOf(AbortError);
    release('t');
    await expect(second).resolves.toBe('t');
  });

  it('is built only with credentials; a cluster without auth gives the empty token', async () => {
    expect(tokenManagerFor(undefined, () => Promise.reject(new Error('not called')))).toBeUndefined();
    const off = tokenManagerFor({ username: 'u', password: 'p' }, () => Promise.reject(errorFromStatus(9, 'etcdserver: authentication is not enabled')));
    await expect(off!.get()).resolves.toBe('');
    const wrong = errorFromStatus(3, 'etcdserver: authentication failed, invalid user ID or password');
    const failing = tokenManagerFor({ username: 'u', password: 'p' }, () => Promise.reject(wrong));
    await expect(failing!.get()).rejects.toBe(wrong);
    const seen: string[] = [];
    const ok = tokenManagerFor({ username: 'u', password: 'p' }, (name, password) => {
      seen.push(`${name}:${password}`);
      return Promise.resolve({ header: { revision: 1n }, token: 'tok' });
    });
    await expect(ok!.get()).resolves.toBe('tok');
    expect(seen).toEqual(['u:p']);
  });
});

describe('handlers and options', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('calls a handler isolated: what it throws is rethrown later, not into the caller', () => {
    const later: (() => void)[] = [];
    vi.stubGlobal('queueMicrotask', (fn: () => void) => later.push(fn));
    const boom = new Error('handler bug');
    expect(() =>
      callIsolated(() => {
        throw boom;
      }),
    ).not.toThrow();
    callIsolated(() => undefined);
    expect(later).toHaveLength(1);
    expect(() => later[0]!()).toThrow(boom);
  });

  it('checks numeric options', () => {
    expect(nonNegative(undefined, 5, 'x')).toBe(5);
    expect(nonNegative(0, 5, 'x')).toBe(0);
    expect(() => nonNegative(-1, 5, 'callTimeoutMs')).toThrow(InvalidArgumentError);
    expect(() => nonNegative(Number.NaN, 5, 'callTimeoutMs')).toThrow(/callTimeoutMs must be a non-negative number/);
  });
});
