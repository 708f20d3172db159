/**
 * The queue loop of a worker: consume items `{ id }` of a queue until stopped, either with
 * `dequeue()` (at-most-once; event `taken`) or with `claim()` + `ack()` (at-least-once; events
 * `claimed`, then `acked` or `ack-failed`).
 */
import { pause } from './pause.js';
import { emit, errorInfo } from './protocol.js';
import type { WorkerState } from './worker.js';

export interface QueueLoopArgs {
  queue: string;
  mode: 'take' | 'claim';
  /** Claim mode: time spent "working" on an item between claim and ack (default 0). */
  workMs?: number;
}

interface Item {
  id: number;
}

/** Runs until `state.stop` aborts; resolves with counts. */
export async function queueLoop(state: WorkerState, args: QueueLoopArgs): Promise<Record<string, number>> {
  const stats = { taken: 0, claimed: 0, acked: 0, ackFailed: 0, consumeErrors: 0 };
  const queue = state.client().queue<Item>(args.queue);
  while (!state.stop.aborted) {
    try {
      if (args.mode === 'take') {
        const item = await queue.dequeue({ signal: state.stop });
        stats.taken++;
        emit('taken', { queue: args.queue, id: item.id });
        continue;
      }
      const claim = await queue.claim({ signal: state.stop });
      stats.claimed++;
      emit('claimed', { queue: args.queue, id: claim.value.id, key: claim.key });
      if (args.workMs) await pause(args.workMs, state.stop);
      try {
        await claim.ack();
        stats.acked++;
        emit('acked', { queue: args.queue, id: claim.value.id, key: claim.key });
      } catch (error) {
        stats.ackFailed++;
        emit('ack-failed', { queue: args.queue, id: claim.value.id, key: claim.key, error: errorInfo(error) });
        // If the ack was not applied, hand the item back (a no-op if the claim is gone).
        await claim.release().catch(() => undefined);
      }
    } catch (error) {
      if (state.stop.aborted) break;
      stats.consumeErrors++;
      emit('consume-error', { queue: args.queue, error: errorInfo(error) });
      await pause(100, state.stop);
    }
  }
  return stats;
}
