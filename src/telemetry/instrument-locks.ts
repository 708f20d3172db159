/**
 * Measures the locks and elections of a client with telemetry on: a span and
 * the wait time around each acquisition (`acquire`, `readLock`, `writeLock`,
 * `campaign`), and the hold time until the lock ends. Each factory wraps the
 * primitive the client made; a client without telemetry never calls these.
 * @module
 * @internal
 */
import { AbortError, InvalidArgumentError, LockLostError, SessionLostError, TimeoutError } from '../errors.js';
import type { Election, Leadership } from '../election/api.js';
import type { Lock, Mutex, RWLock, Semaphore } from '../locks/api.js';
import type { WaitOptions } from '../types.js';
import { Telemetry } from './telemetry.js';
import type { TelemetryAttributes } from './types.js';

type Held = Lock | Leadership;

function tokenOf(held: Held): bigint {
  return 'fencingToken' in held ? held.fencingToken : held.revision;
}

function outcomeOf(error: unknown): string {
  if (error instanceof AbortError) return 'aborted';
  if (error instanceof TimeoutError) return 'timeout';
  return 'error';
}

/** Records the hold time of `held` when its signal aborts (released, lost or closed). */
function measureHold(telemetry: Telemetry, attributes: TelemetryAttributes, held: Held): void {
  const start = performance.now();
  const done = (): void => {
    const reason: unknown = held.signal.reason;
    telemetry.lockHeld(performance.now() - start, attributes, reason instanceof LockLostError || reason instanceof SessionLostError);
  };
  if (held.signal.aborted) done();
  else held.signal.addEventListener('abort', done, { once: true });
}

/** Runs one acquisition inside a span, recording its wait time and then its hold time. */
async function measured<H extends Held>(telemetry: Telemetry, spanName: string, attributes: TelemetryAttributes, acquire: () => Promise<H>): Promise<H> {
  const span = telemetry.startSpan(spanName, attributes);
  const start = performance.now();
  let held: H;
  try {
    held = await acquire();
  } catch (error) {
    telemetry.lockWaited(performance.now() - start, attributes, outcomeOf(error));
    Telemetry.fail(span, error);
    throw error;
  }
  telemetry.lockWaited(performance.now() - start, attributes, 'acquired');
  if (span) {
    span.setAttribute('conclave.lock.fencing_token', tokenOf(held).toString());
    span.end();
  }
  measureHold(telemetry, attributes, held);
  return held;
}

/** A `tryAcquire` never waits: only its hold time is recorded. */
async function measuredTry(telemetry: Telemetry, attributes: TelemetryAttributes, tryAcquire: () => Promise<Lock | undefined>): Promise<Lock | undefined> {
  const lock = await tryAcquire();
  if (lock) measureHold(telemetry, attributes, lock);
  return lock;
}

function attrs(kind: string, name: string): TelemetryAttributes {
  return { 'conclave.lock.kind': kind, 'conclave.lock.name': name };
}

export function instrumentMutex(mutex: Mutex, telemetry: Telemetry, name: string): Mutex {
  const a = attrs('mutex', name);
  const acquire = (opts?: WaitOptions): Promise<Lock> => measured(telemetry, 'conclave.lock.acquire', a, () => mutex.acquire(opts));
  return {
    acquire,
    tryAcquire: () => measuredTry(telemetry, a, () => mutex.tryAcquire()),
    async withLock<R>(fn: (lock: Lock) => Promise<R>, opts?: WaitOptions): Promise<R> {
      if (typeof fn !== 'function') throw new InvalidArgumentError('withLock needs a function');
      const lock = await acquire(opts);
      try {
        return await fn(lock);
      } finally {
        await lock.release().catch(() => undefined);
      }
    },
  };
}

export function instrumentRWLock(rwlock: RWLock, telemetry: Telemetry, name: string): RWLock {
  const read = attrs('rwlock.read', name);
  const write = attrs('rwlock.write', name);
  return {
    readLock: (opts) => measured(telemetry, 'conclave.lock.acquire', read, () => rwlock.readLock(opts)),
    writeLock: (opts) => measured(telemetry, 'conclave.lock.acquire', write, () => rwlock.writeLock(opts)),
  };
}

export function instrumentSemaphore(semaphore: Semaphore, telemetry: Telemetry, name: string): Semaphore {
  const a = attrs('semaphore', name);
  return {
    acquire: (opts) => measured(telemetry, 'conclave.lock.acquire', a, () => semaphore.acquire(opts)),
    tryAcquire: () => measuredTry(telemetry, a, () => semaphore.tryAcquire()),
  };
}

export function instrumentElection(election: Election, telemetry: Telemetry, name: string): Election {
  const a = attrs('election', name);
  return {
    campaign: (value, opts) => measured(telemetry, 'conclave.election.campaign', a, () => election.campaign(value, opts)),
    lead: (value, work, opts) => election.lead(value, work, opts),
    leader: () => election.leader(),
    get leader$() {
      return election.leader$;
    },
  };
}
