/**
 * Rows of the ambiguous-outcome table for the locks: mutex, rw-lock (read and write side) and
 * semaphore, `acquire` and `release`. Invariants: while the client under fault holds the lock,
 * nobody else gets it; when its acquire failed, or after its release (retried once if it
 * failed), another client gets the lock at once — no phantom holder while the faulty client
 * lives; tokens increase; etcd's history of the fenced resource shows one holder at a time.
 */
import type { Conclave, Lock } from '../../../src/index.js';
import { FencedLog } from './fenced.js';
import type { AmbiguousCase } from './run.js';
import { BLOCKED_MS, STEP_MS, type World } from './steps.js';

interface LockKind {
  name: string;
  acquire(c: Conclave, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<Lock>;
  /** The peer's acquire that must wait while the subject holds the lock. */
  conflict(c: Conclave, signal: AbortSignal): Promise<Lock>;
  /** The peer's acquire once the subject let go (exclusive, so its token is fenced). */
  next(c: Conclave, opts: { timeoutMs: number }): Promise<Lock>;
}

const mutex: LockKind = {
  name: 'mutex',
  acquire: (c, o) => c.mutex('m').acquire(o),
  conflict: (c, signal) => c.mutex('m').acquire({ signal }),
  next: (c, o) => c.mutex('m').acquire(o),
};
const rwWrite: LockKind = {
  name: 'rwlock.write',
  acquire: (c, o) => c.rwlock('rw').writeLock(o),
  conflict: (c, signal) => c.rwlock('rw').readLock({ signal }),
  next: (c, o) => c.rwlock('rw').writeLock(o),
};
const rwRead: LockKind = {
  name: 'rwlock.read',
  acquire: (c, o) => c.rwlock('rw').readLock(o),
  conflict: (c, signal) => c.rwlock('rw').writeLock({ signal }),
  next: (c, o) => c.rwlock('rw').writeLock(o),
};
const semaphore: LockKind = {
  name: 'semaphore',
  acquire: (c, o) => c.semaphore('s', 1).acquire(o),
  conflict: (c, signal) => c.semaphore('s', 1).acquire({ signal }),
  next: (c, o) => c.semaphore('s', 1).acquire(o),
};

/** The turns after the subject's lock (if any) was let go: the peer gets it, then the subject again. */
async function turns(w: World, fenced: FencedLog, kind: LockKind, after: bigint | undefined, phantomKind: string): Promise<void> {
  const next = await w.log.step(`peer ${kind.name} acquire after the subject let go`, kind.next(w.peer, { timeoutMs: STEP_MS }), STEP_MS + 2_000, phantomKind);
  if (next.ok) {
    const lock = next.value;
    if (after !== undefined) w.log.that(lock.fencingToken > after, 'token-order', `peer token ${lock.fencingToken} is not above the subject's ${after}`);
    if (kind !== rwRead) await fenced.write(lock, 'peer', lock.fencingToken);
    await w.log.step('peer release', lock.release(), STEP_MS);
  }
  const again = await w.log.step(`subject ${kind.name} acquire again (client still usable)`, kind.acquire(w.subject, { timeoutMs: STEP_MS }), STEP_MS + 2_000);
  if (again.ok) {
    if (kind !== rwRead) await fenced.write(again.value, 'subject', again.value.fencingToken);
    await w.log.step('subject release', again.value.release(), STEP_MS);
  }
  await fenced.check(w);
}

function acquireCase(kind: LockKind): AmbiguousCase<undefined> {
  return {
    name: `${kind.name}.acquire`,
    prepare: async () => undefined,
    op: (w) => kind.acquire(w.subject, { timeoutMs: STEP_MS }),
    async verify(w, _s, out) {
      const fenced = await FencedLog.open(w);
      let token: bigint | undefined;
      if (out.ok) {
        const lock = out.value as Lock;
        token = lock.fencingToken;
        if (kind !== rwRead) await fenced.write(lock, 'subject', token);
        await w.log.stillBlocked(`peer acquire while the subject holds ${kind.name}`, (signal) => kind.conflict(w.peer, signal), BLOCKED_MS, 'double-holder');
        await w.log.step('subject release', lock.release(), STEP_MS);
      }
      await turns(w, fenced, kind, token, out.ok ? 'blocked-after-release' : 'phantom-holder');
    },
  };
}

function releaseCase(kind: LockKind): AmbiguousCase<Lock> {
  return {
    name: `${kind.name}.release`,
    prepare: (w) => kind.acquire(w.subject, { timeoutMs: STEP_MS }),
    op: (_w, lock) => lock.release(),
    async verify(w, lock, out) {
      const fenced = await FencedLog.open(w);
      if (!out.ok) await w.log.step('retried release (idempotent)', lock.release(), STEP_MS, 'retry-failed');
      w.log.that(lock.signal.aborted, 'signal', 'lock.signal not aborted after release');
      await turns(w, fenced, kind, lock.fencingToken, 'phantom-holder');
    },
  };
}

/** Every lock row. */
export const lockCases: AmbiguousCase<unknown>[] = [mutex, rwWrite, rwRead, semaphore].flatMap((k) => [
  acquireCase(k) as AmbiguousCase<unknown>,
  releaseCase(k) as AmbiguousCase<unknown>,
]);
