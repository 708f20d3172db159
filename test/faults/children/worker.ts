/**
 * A Conclave client in its own process, driven by a fault test over stdin/stdout (see
 * `test/harness/client-process.ts`). It holds locks and leaderships on request, or runs
 * loops (mutex acquisitions, election terms, queue consumption) that report every step as an
 * event, so the test can kill or SIGSTOP it at any moment and check the recorded history.
 *
 * Run: `node --import tsx test/faults/children/worker.ts <holder-name>`
 */
import { connect, type Conclave, type ConnectOptions, type Leadership, type Lock } from '../../../src/index.js';
import { electionLoop } from './election-loop.js';
import { mutexLoop, type MutexLoopArgs } from './mutex-loop.js';
import { emit, errorInfo, serve } from './protocol.js';
import { queueLoop } from './queue-loop.js';

/** What the loops share. */
export interface WorkerState {
  readonly holder: string;
  client(): Conclave;
  /** Aborted by `stopLoops`: every loop ends after its current step. */
  readonly stop: AbortSignal;
  /** Election loops keep their term (and keep writing) instead of resigning, while true. */
  hold: boolean;
}

const holder = process.argv[2] ?? `pid-${process.pid}`;
let client: Conclave | undefined;
let stopController = new AbortController();
const loops = new Set<Promise<Record<string, number>>>();
const locks = new Map<string, Lock>();
const terms = new Map<string, Leadership>();

const state: WorkerState = {
  holder,
  client: () => {
    if (!client) throw new Error('not connected');
    return client;
  },
  get stop() {
    return stopController.signal;
  },
  hold: false,
};

function held(name: unknown): Lock | Leadership {
  const found = locks.get(String(name)) ?? terms.get(String(name));
  if (!found) throw new Error(`no lock or leadership named ${String(name)} here`);
  return found;
}

function reportLoss(kind: string, name: string, token: bigint, ended: { lost$: Lock['lost$']; signal: AbortSignal }): void {
  ended.lost$.subscribe(() => emit('lost', { kind, name, token, aborted: ended.signal.aborted, reason: errorInfo(ended.signal.reason) }));
}

function startLoop(run: Promise<Record<string, number>>): void {
  const tracked = run.catch((error: unknown) => {
    emit('loop-failed', { error: errorInfo(error) });
    return {};
  });
  loops.add(tracked);
  void tracked.finally(() => loops.delete(tracked));
}

serve(
  {
    connect: async (args) => {
      client = await connect(args as ConnectOptions);
      return { holder };
    },
    ping: () => ({ holder, pid: process.pid }),

    acquire: async ({ lock: name, timeoutMs }) => {
      const lock = await state.client().mutex(String(name)).acquire({ timeoutMs: Number(timeoutMs ?? 30_000) });
      locks.set(String(name), lock);
      reportLoss('lock', String(name), lock.fencingToken, lock);
      return { token: lock.fencingToken, key: lock.key };
    },
    release: async ({ lock: name }) => {
      const h = held(name);
      await ('release' in h ? h.release() : h.resign());
      locks.delete(String(name));
      return {};
    },
    campaign: async ({ election: name, value }) => {
      const term = await state.client().election(String(name)).campaign(String(value ?? holder));
      terms.set(String(name), term);
      reportLoss('leadership', String(name), term.revision, term);
      return { token: term.revision, key: term.key };
    },
    proclaim: async ({ election: name, value }) => {
      const term = terms.get(String(name));
      if (!term) throw new Error(`no leadership named ${String(name)} here`);
      await term.proclaim(String(value));
      return {};
    },
    resign: async ({ election: name }) => {
      await terms.get(String(name))?.resign();
      return {};
    },
    putIfHeld: async ({ name, key, value }) => held(name).putIfHeld(String(key), String(value)),
    /** The state a naive client would act on: its token and whether it knows it lost. */
    token: ({ name }) => {
      const h = held(name);
      return { token: 'fencingToken' in h ? h.fencingToken : h.revision, aborted: h.signal.aborted, reason: h.signal.aborted ? errorInfo(h.signal.reason) : undefined };
    },

    mutexLoop: (args) => {
      for (const name of args['locks'] as string[]) startLoop(mutexLoop(state, { ...(args as unknown as MutexLoopArgs), lock: name }));
      return {};
    },
    electionLoop: (args) => {
      startLoop(electionLoop(state, args as never));
      return {};
    },
    queueLoop: (args) => {
      startLoop(queueLoop(state, args as never));
      return {};
    },
    setHold: ({ hold }) => {
      state.hold = hold === true;
      return {};
    },
    stopLoops: async () => {
      stopController.abort();
      const results = await Promise.all([...loops]);
      stopController = new AbortController();
      const total: Record<string, number> = {};
      for (const stats of results) for (const [k, v] of Object.entries(stats)) total[k] = (total[k] ?? 0) + v;
      return total;
    },
    close: async () => {
      stopController.abort();
      await client?.close();
      return {};
    },
  },
  async () => {
    stopController.abort();
    await client?.close();
  },
);
