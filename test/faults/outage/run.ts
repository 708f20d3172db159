/**
 * Runs one row of the compaction-during-outage table: the client under test waits (through a
 * relay) on a primitive; while it is cut off, fault-free clients write what it waits for and
 * etcd's history is compacted past it; the relay's connections are reset and restored; the
 * wait must end as documented (the event arrives, or a `CompactedError` where that is the
 * contract), within a bound, and the client leaves nothing behind when it closes.
 */
import { createGrpcTransport } from '../../../adapters/grpc/index.js';
import { connect, type Conclave } from '../../../src/index.js';
import { startRelay } from '../../harness/relay.js';
import { uniquePrefix } from '../../harness/prefix.js';
import { recordingTransport } from '../ambiguous/recorder.js';
import { checkLeftBehind, SUBJECT_TTL_SECONDS, type Participants } from '../ambiguous/run.js';
import { describeError, RunLog, settle, type World } from '../ambiguous/steps.js';
import { compactDuringOutage } from '../outage.js';

/** One waiting primitive. */
export interface OutageCase<S = unknown> {
  name: string;
  /** Starts the wait on `w.subject`; resolves once it is in place (see {@link inPlace}). */
  start(w: World): Promise<S>;
  /** What fault-free clients write while the subject is cut off. */
  during(w: World, state: S): Promise<void>;
  /** After the relay is open again: the wait's outcome (bounded), recorded on `w.log`. */
  verify(w: World, state: S): Promise<void>;
  /** Keys the primitive keeps by design. */
  keeps?: (key: string) => boolean;
}

/** What one run found. */
export interface OutageResult {
  violations: RunLog['violations'];
  notes: string[];
  compactRevision?: bigint;
}

let probes = 0;

/**
 * Resolves once `w.subject` has more watch subscribers than `before` and etcd confirmed them:
 * a probe watch opened after them on the same stream sees a probe put.
 */
export async function inPlace(w: World, before: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (w.subject.stats().watchSubscribers <= before) {
    if (Date.now() > deadline) throw new Error('the wait never subscribed a watch');
    await new Promise((r) => setTimeout(r, 10));
  }
  const key = `~probe/${++probes}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('probe watch never saw its put')), Math.max(1, deadline - Date.now()));
    const sub = w.subject.watch(key).subscribe({
      next: () => {
        clearTimeout(timer);
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      },
      error: (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
    });
    // A probe watch created after the wait's watch: once it sees the put, the earlier one was created too.
    void w.peer.put(key, 'probe');
  });
}

/** Runs `c` once. `member`: the etcd member the relay leads to. */
export async function runOutage<S>(c: OutageCase<S>, member: string, parts: Participants): Promise<OutageResult> {
  const prefix = uniquePrefix(c.name);
  const log = new RunLog(`${c.name} [compaction during outage]`);
  const relay = await startRelay(member);
  const recorder = recordingTransport(createGrpcTransport({ endpoints: [relay.address] }));
  let subjectRoot: Conclave | undefined;
  try {
    subjectRoot = await connect({ transport: recorder, sessionTtlSeconds: SUBJECT_TTL_SECONDS });
    const w: World = {
      subject: subjectRoot.namespace(prefix),
      peer: parts.peer.namespace(prefix),
      third: parts.third.namespace(prefix),
      observer: parts.observer.namespace(prefix),
      prefix,
      log,
      faulted: true,
    };
    const started = await settle(c.start(w), 20_000, 'start the wait');
    if (!started.ok) {
      log.that(false, 'start-failed', describeError(started.error));
      return { violations: log.violations, notes: log.notes };
    }
    const compactRevision = await compactDuringOutage({ relay, compactor: parts.raw, during: () => c.during(w, started.value) });
    const verified = await settle(c.verify(w, started.value), 60_000, 'verify');
    if (!verified.ok) log.that(false, 'verify-failed', describeError(verified.error));
    const closed = await settle(subjectRoot.close(), 10_000, 'close');
    log.that(closed.ok, 'hang', `client close: ${closed.ok ? '' : describeError(closed.error)}`);
    await checkLeftBehind(prefix, recorder.leases, undefined, c.keeps, parts, log);
    return { violations: log.violations, notes: log.notes, compactRevision };
  } finally {
    await subjectRoot?.close().catch(() => undefined);
    await relay.close();
  }
}
