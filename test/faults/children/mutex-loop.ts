/**
 * The mutex loop of a worker: acquire, two fenced writes to the protected resource (a `begin`
 * and an `end`, a read round trip apart, so two holders at once would interleave them), release;
 * again until stopped. Every step is reported as an event.
 */
import { LockLostError } from '../../../src/index.js';
import { emit, errorInfo } from './protocol.js';
import { pause } from './pause.js';
import type { WorkerState } from './worker.js';

export interface MutexLoopArgs {
  lock: string;
  /** The resource key is `${resourcePrefix}${lock}`. */
  resourcePrefix: string;
  acquireTimeoutMs?: number;
  /**
   * Negative control: skip the lock and write with plain puts, using the time as a token, as a
   * broken lock would. The checker must then find overlapping "holders".
   */
  unlocked?: boolean;
}

/** Runs until `state.stop` aborts; resolves with counts. */
export async function mutexLoop(state: WorkerState, args: MutexLoopArgs): Promise<Record<string, number>> {
  const stats = { acquisitions: 0, writesOk: 0, writesRejected: 0, writesFailed: 0, acquireErrors: 0, lost: 0 };
  const client = state.client();
  const mutex = client.mutex(args.lock);
  const resource = `${args.resourcePrefix}${args.lock}`;
  let n = 0;
  if (args.unlocked) {
    while (!state.stop.aborted) {
      const token = BigInt(Date.now()) * 1000n + BigInt(n % 1000);
      stats.acquisitions++;
      emit('acquired', { lock: args.lock, token, unlocked: true });
      for (const phase of ['begin', 'end'] as const) {
        n++;
        const value = JSON.stringify({ holder: state.holder, token: token.toString(), phase, n });
        const ok = await client.put(resource, value).then(
          () => true,
          () => false,
        );
        if (ok) stats.writesOk++;
        if (phase === 'begin') await client.get(resource).catch(() => undefined);
      }
    }
    return stats;
  }
  while (!state.stop.aborted) {
    let lock;
    try {
      lock = await mutex.acquire({ timeoutMs: args.acquireTimeoutMs ?? 20_000, signal: state.stop });
    } catch (error) {
      if (state.stop.aborted) break;
      stats.acquireErrors++;
      emit('acquire-error', { lock: args.lock, error: errorInfo(error) });
      await pause(100, state.stop);
      continue;
    }
    const token = lock.fencingToken;
    stats.acquisitions++;
    emit('acquired', { lock: args.lock, token });
    const lost = lock.lost$.subscribe(() => {
      stats.lost++;
      emit('lost', { kind: 'lock', name: args.lock, token, aborted: lock.signal.aborted, reason: errorInfo(lock.signal.reason) });
    });
    for (const phase of ['begin', 'end'] as const) {
      n++;
      const value = JSON.stringify({ holder: state.holder, token: token.toString(), phase, n });
      try {
        const { revision } = await lock.putIfHeld(resource, value);
        stats.writesOk++;
        emit('write', { lock: args.lock, token, phase, n, ok: true, revision });
      } catch (error) {
        const rejected = error instanceof LockLostError;
        if (rejected) stats.writesRejected++;
        else stats.writesFailed++;
        emit('write', { lock: args.lock, token, phase, n, ok: false, rejected, error: errorInfo(error) });
        break;
      }
      // Widen the window between the two writes by one round trip.
      if (phase === 'begin') await client.get(resource).catch(() => undefined);
    }
    await lock.release().catch((error: unknown) => emit('release-error', { lock: args.lock, token, error: errorInfo(error) }));
    lost.unsubscribe();
    emit('released', { lock: args.lock, token });
  }
  return stats;
}
