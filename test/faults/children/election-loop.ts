/**
 * The election loop of a worker: campaign; once elected, fenced writes to the resource key
 * (`{ holder, token: term revision, seq, n }`); after `writesPerTerm` writes resign and campaign
 * again — or, while `state.hold` is set, keep the term and keep writing (every `holdWriteMs`)
 * until it is lost. Every step is reported as an event.
 */
import { LockLostError } from '../../../src/index.js';
import { pause } from './pause.js';
import { emit, errorInfo } from './protocol.js';
import type { WorkerState } from './worker.js';

export interface ElectionLoopArgs {
  election: string;
  resourceKey: string;
  writesPerTerm: number;
  holdWriteMs?: number;
}

/** Runs until `state.stop` aborts; resolves with counts. */
export async function electionLoop(state: WorkerState, args: ElectionLoopArgs): Promise<Record<string, number>> {
  const stats = { terms: 0, writesOk: 0, writesRejected: 0, writesFailed: 0, campaignErrors: 0, lost: 0 };
  const election = state.client().election(args.election);
  let n = 0;
  while (!state.stop.aborted) {
    let term;
    try {
      term = await election.campaign(state.holder, { signal: state.stop });
    } catch (error) {
      if (state.stop.aborted) break;
      stats.campaignErrors++;
      emit('campaign-error', { election: args.election, error: errorInfo(error) });
      await pause(100, state.stop);
      continue;
    }
    const token = term.revision;
    stats.terms++;
    emit('elected', { election: args.election, token, key: term.key });
    const lost = term.lost$.subscribe(() => {
      stats.lost++;
      emit('lost', { kind: 'leadership', name: args.election, token, aborted: term.signal.aborted, reason: errorInfo(term.signal.reason) });
    });
    let seq = 0;
    while (!state.stop.aborted && !term.signal.aborted && (state.hold || seq < args.writesPerTerm)) {
      seq++;
      n++;
      try {
        const { revision } = await term.putIfHeld(args.resourceKey, JSON.stringify({ holder: state.holder, token: token.toString(), seq, n }));
        stats.writesOk++;
        emit('write', { election: args.election, token, seq, n, ok: true, revision });
      } catch (error) {
        const rejected = error instanceof LockLostError;
        if (rejected) stats.writesRejected++;
        else stats.writesFailed++;
        emit('write', { election: args.election, token, seq, n, ok: false, rejected, error: errorInfo(error) });
        if (rejected) break;
      }
      if (state.hold) await pause(args.holdWriteMs ?? 100, term.signal);
    }
    const wasLost = term.signal.aborted;
    await term.resign().catch((error: unknown) => emit('resign-error', { election: args.election, token, error: errorInfo(error) }));
    lost.unsubscribe();
    emit('resigned', { election: args.election, token, wasLost });
  }
  return stats;
}
