/**
 * Software transactional memory over etcd, with the semantics of Go's
 * `concurrency.STM` (clientv3/concurrency/stm.go): a read set guarded by
 * mod-revision compares, a buffered write set committed in one transaction,
 * and the four isolation levels. Serializable levels read from a snapshot (the
 * revision of the attempt's first read) and, when a commit fails, prefetch the
 * read set in the transaction's failure branch for the next attempt.
 * @module
 * @internal
 */
import { toBytes } from '../bytes.js';
import { abortErrorOf, CompactedError, InvalidArgumentError } from '../errors.js';
import type { Store } from '../kit/store.js';
import { WaitScope } from '../kit/wait-scope.js';
import type { Bytes, Compare as WireCompare, RangeRequest, RequestOp, Rev, WireKeyValue } from '../transport/index.js';
import { checkKey, checkValue } from '../validate.js';
import type { Stm, StmIsolation, StmOptions } from './api.js';
import { checkOptions } from './calls.js';
import { StmConflictError } from './errors.js';

const ISOLATIONS: readonly StmIsolation[] = ['serializable-snapshot', 'serializable', 'repeatable-read', 'read-committed'];

/** One key as read: its key-value (absent: undefined) and the header revision of the read. */
interface Read {
  kv: WireKeyValue | undefined;
  rev: Rev;
}

/** Reads carried from a failed commit into the next attempt (serializable levels). */
interface Prefetch {
  reads: Map<string, Read>;
  rev: Rev;
}

type CommitOutcome = { committed: true } | { committed: false; prefetch: Prefetch | undefined };

/** Rejects with the abort error as soon as `signal` aborts, else settles as `work` does. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortErrorOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortErrorOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One run of the user's function: its read set, write set and snapshot. */
class StmAttempt implements Stm {
  private readonly rset = new Map<string, Promise<Read>>();
  private readonly wset = new Map<string, Bytes | undefined>();
  private readonly snapshotLevel: boolean;
  private snapshot: Rev | undefined;
  private first: Promise<Read> | undefined;
  private ended = false;
  /** A snapshot read failed because its revision was compacted: the attempt must be re-run. */
  snapshotLost = false;

  constructor(
    private readonly store: Store,
    private readonly isolation: StmIsolation,
    private readonly signal: AbortSignal,
    private readonly prefetch: Prefetch | undefined,
  ) {
    this.snapshotLevel = isolation === 'serializable-snapshot' || isolation === 'serializable';
    if (this.snapshotLevel && prefetch) this.snapshot = prefetch.rev;
  }

  async get(key: string): Promise<Bytes | undefined> {
    checkKey(key);
    this.checkLive();
    if (this.wset.has(key)) {
      const buffered = this.wset.get(key);
      return buffered && new Uint8Array(buffered);
    }
    return (await this.read(key)).kv?.value;
  }

  async rev(key: string): Promise<Rev> {
    checkKey(key);
    this.checkLive();
    return (await this.read(key)).kv?.modRevision ?? 0n;
  }

  put(key: string, value: string | Bytes): void {
    checkKey(key);
    checkValue(value);
    this.checkLive();
    this.wset.delete(key); // the latest write of a key goes last
    this.wset.set(key, new Uint8Array(toBytes(value)));
  }

  delete(key: string): void {
    checkKey(key);
    this.checkLive();
    this.wset.delete(key);
    this.wset.set(key, undefined);
  }

  /** Ends the attempt: later calls on it throw. */
  end(): void {
    this.ended = true;
  }

  private checkLive(): void {
    if (this.signal.aborted) throw abortErrorOf(this.signal);
    if (this.ended) throw new InvalidArgumentError('this stm attempt has ended: use the Stm only inside its function, awaiting every get');
  }

  private stored(key: string): Bytes {
    return this.store.key(key);
  }

  /** A key of the read set: read once per attempt (Go's `fetch`). */
  private read(key: string): Promise<Read> {
    let read = this.rset.get(key);
    if (!read) {
      const prefetched = this.snapshotLevel ? this.prefetch?.reads.get(key) : undefined;
      read = prefetched ? Promise.resolve(prefetched) : this.fetch(this.stored(key));
      read.catch(() => undefined); // a failure reaches fn through get(), and the commit
      this.rset.set(key, read);
    }
    return read;
  }

  private async fetch(key: Bytes): Promise<Read> {
    // Repeatable-read and read-committed read the latest revision of a member, as Go's WithSerializable().
    if (!this.snapshotLevel) return this.range({ key, serializable: true });
    if (this.snapshot === undefined && this.first) await this.first.then(undefined, () => undefined);
    if (this.snapshot === undefined) {
      // The attempt's first read defines its snapshot.
      this.first = this.range({ key });
      const read = await this.first;
      this.snapshot ??= read.rev;
      return read;
    }
    try {
      return await this.range({ key, revision: this.snapshot, serializable: true });
    } catch (error) {
      if (error instanceof CompactedError) this.snapshotLost = true;
      throw error;
    }
  }

  private async range(request: RangeRequest): Promise<Read> {
    const res = await this.store.range(request, this.signal);
    return { kv: res.kvs[0], rev: res.header.revision };
  }

  /** Commits the write set if the read set (and, for serializable-snapshot, the write set) is unchanged. */
  async commit(): Promise<CommitOutcome> {
    const keys = [...this.rset.keys()];
    const reads = new Map<string, Read>();
    for (const [key, pending] of this.rset) {
      try {
        reads.set(key, await pending);
      } catch (error) {
        // A read fn did not wait for (or swallowed): its failure fails the attempt.
        if (this.snapshotLost) return { committed: false, prefetch: undefined };
        throw error;
      }
    }
    const compare: WireCompare[] = [];
    if (this.isolation !== 'read-committed') {
      for (const [key, read] of reads) {
        compare.push({ target: 'mod', result: 'equal', key: this.stored(key), value: read.kv?.modRevision ?? 0n });
      }
    }
    if (this.isolation === 'serializable-snapshot' && this.snapshot !== undefined) {
      // No key written may have changed after the snapshot (Go: ModRevision(key) < first + 1).
      for (const key of this.wset.keys()) compare.push({ target: 'mod', result: 'less', key: this.stored(key), value: this.snapshot + 1n });
    }
    const success: RequestOp[] = [...this.wset].map(([key, value]) =>
      value === undefined ? { deleteRange: { key: this.stored(key) } } : { put: { key: this.stored(key), value } },
    );
    if (compare.length === 0 && success.length === 0) return { committed: true };
    // Serializable levels fetch the read set in the failure branch, for the next attempt.
    const failure: RequestOp[] = this.snapshotLevel ? keys.map((key) => ({ range: { key: this.stored(key) } })) : [];
    // Not cancelled by the signal: once sent, a commit is reported as it happened.
    const res = await this.store.txn({ compare, success, failure });
    if (res.succeeded) return { committed: true };
    if (!this.snapshotLevel) return { committed: false, prefetch: undefined };
    const prefetched = new Map<string, Read>();
    keys.forEach((key, i) => {
      const op = res.responses[i];
      if (op && 'range' in op) prefetched.set(key, { kv: op.range.kvs[0], rev: res.header.revision });
    });
    return { committed: false, prefetch: { reads: prefetched, rev: res.header.revision } };
  }
}

/** Runs `fn` once on `tx` and commits; a conflict (or a compacted snapshot) resolves `{ committed: false }`. */
async function runAttempt<R>(
  tx: StmAttempt,
  fn: (tx: Stm) => Promise<R>,
  signal: AbortSignal,
): Promise<{ committed: true; result: R } | { committed: false; prefetch: Prefetch | undefined }> {
  try {
    const result = await untilAborted(
      Promise.resolve().then(() => fn(tx)),
      signal,
    );
    tx.end();
    if (signal.aborted) throw abortErrorOf(signal);
    const outcome = await tx.commit();
    return outcome.committed ? { committed: true, result } : outcome;
  } catch (error) {
    tx.end();
    if (!tx.snapshotLost || signal.aborted) throw error;
    return { committed: false, prefetch: undefined };
  }
}

function checkStmOptions(options: StmOptions | undefined): { isolation: StmIsolation; maxRetries: number; opts: StmOptions } {
  const opts = checkOptions(options);
  const isolation = opts.isolation ?? 'serializable-snapshot';
  if (!ISOLATIONS.includes(isolation)) throw new InvalidArgumentError(`isolation must be one of ${ISOLATIONS.join(', ')}, got ${String(isolation)}`);
  const maxRetries = opts.maxRetries ?? Infinity;
  if (typeof maxRetries !== 'number' || !(Number.isSafeInteger(maxRetries) || maxRetries === Infinity) || maxRetries < 0) {
    throw new InvalidArgumentError(`maxRetries must be a non-negative integer or Infinity, got ${String(maxRetries)}`);
  }
  return { isolation, maxRetries, opts };
}

/**
 * `stm(fn, { isolation, maxRetries, signal, timeoutMs })`: runs `fn` against a
 * fresh {@link Stm} until its commit succeeds. Rejects with `fn`'s own error
 * (nothing committed), `StmConflictError` once `maxRetries` re-runs conflicted,
 * or `AbortError`/`TimeoutError` as soon as the scope aborts while `fn` runs or
 * before the commit is sent (nothing committed). A commit already sent is not
 * cancelled: it resolves or conflicts as etcd decides.
 *
 * @example
 * ```ts
 * const next = await runStm(store, async (tx) => {
 *   const n = Number(new TextDecoder().decode((await tx.get('seq')) ?? new Uint8Array())) + 1;
 *   tx.put('seq', String(n));
 *   return n;
 * });
 * ```
 */
export async function runStm<R>(store: Store, fn: (tx: Stm) => Promise<R>, options?: StmOptions): Promise<R> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('stm needs a function');
  const { isolation, maxRetries, opts } = checkStmOptions(options);
  store.checkOpen();
  const scope = new WaitScope(opts);
  try {
    let prefetch: Prefetch | undefined;
    for (let attempt = 1; ; attempt++) {
      if (scope.signal.aborted) throw abortErrorOf(scope.signal);
      store.checkOpen();
      const tx = new StmAttempt(store, isolation, scope.signal, prefetch);
      const ran = await runAttempt(tx, fn, scope.signal);
      if (ran.committed) return ran.result;
      prefetch = ran.prefetch;
      if (attempt > maxRetries) throw new StmConflictError(attempt);
    }
  } finally {
    scope.dispose();
  }
}
