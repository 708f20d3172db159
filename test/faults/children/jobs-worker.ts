/**
 * A Conclave client in its own process for the leader-loop and jobs fault tests: runs
 * `election.lead` (fenced writes to a resource key during each term) or `queue.process`
 * (handlers that succeed, throw or hang for chosen ids), reporting every step as an event.
 *
 * Run: `node --import tsx test/faults/children/jobs-worker.ts <holder-name>`
 */
import { connect, type Conclave, type ConnectOptions } from '../../../src/index.js';
import { pause } from './pause.js';
import { emit, errorInfo, serve } from './protocol.js';

const holder = process.argv[2] ?? `pid-${process.pid}`;
let client: Conclave | undefined;
const running = new Map<string, { stop: AbortController; done: Promise<void> }>();

const need = (): Conclave => {
  if (!client) throw new Error('not connected');
  return client;
};

function start(id: string, run: (signal: AbortSignal) => Promise<void>): void {
  const stop = new AbortController();
  const done = run(stop.signal).then(
    () => emit('loop-ended', { id }),
    (error: unknown) => emit('loop-failed', { id, error: errorInfo(error) }),
  );
  running.set(id, { stop, done });
}

serve(
  {
    connect: async (args) => {
      client = await connect(args as ConnectOptions);
      return { holder };
    },

    /** `lead` with work = fenced writes every `writeEveryMs` until the term ends, or for `workMs` then return. */
    lead: ({ election, resourceKey, writeEveryMs, workMs }) => {
      let n = 0;
      start(`lead:${String(election)}`, (signal) =>
        need()
          .election(String(election))
          .lead(
            holder,
            async (term) => {
              const token = term.revision;
              emit('work-start', { token });
              const until = workMs === undefined ? Infinity : Date.now() + Number(workMs);
              while (!term.signal.aborted && Date.now() < until) {
                n++;
                try {
                  const { revision } = await term.putIfHeld(String(resourceKey), JSON.stringify({ holder, token: token.toString(), n }));
                  emit('write', { token, n, ok: true, revision });
                } catch (error) {
                  emit('write', { token, n, ok: false, rejected: (error as { code?: string }).code === 'NOT_LEADER' || (error as Error).name === 'LockLostError', error: errorInfo(error) });
                }
                await pause(Number(writeEveryMs ?? 50), term.signal);
              }
              emit('work-end', { token, lost: term.signal.aborted });
            },
            { signal, onError: (error) => emit('work-error', { error: errorInfo(error) }) },
          ),
      );
      return {};
    },

    /** `process` of `queue`: ids in `failIds` throw, ids in `hangIds` wait for `job.signal` (or stop), others take `handleMs`. */
    process: ({ queue, concurrency, maxDeliveries, retryDelayMs, visibilityTimeoutMs, failIds, hangIds, handleMs }) => {
      const fail = new Set((failIds as number[] | undefined) ?? []);
      const hang = new Set((hangIds as number[] | undefined) ?? []);
      start(`process:${String(queue)}`, (signal) =>
        need()
          .queue<{ id: number }>(String(queue))
          .process(
            async ({ id }, job) => {
              emit('start', { id, attempt: job.attempt });
              job.signal.addEventListener('abort', () => emit('job-aborted', { id, attempt: job.attempt, reason: errorInfo(job.signal.reason) }), { once: true });
              if (hang.has(id)) await pause(600_000, job.signal);
              else if (handleMs) await pause(Number(handleMs), job.signal);
              if (fail.has(id)) throw new Error(`fail ${id}`);
              emit('done', { id, attempt: job.attempt, lost: job.signal.aborted });
            },
            {
              concurrency: Number(concurrency ?? 1),
              ...(maxDeliveries !== undefined ? { maxDeliveries: Number(maxDeliveries) } : {}),
              ...(retryDelayMs !== undefined ? { retryDelayMs: Number(retryDelayMs) } : {}),
              ...(visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs: Number(visibilityTimeoutMs) } : {}),
              signal,
            },
          ),
      );
      return {};
    },

    produce: async ({ queue, from, to, parallel }) => {
      const q = need().queue<{ id: number }>(String(queue));
      let next = Number(from);
      const end = Number(to);
      await Promise.all(
        Array.from({ length: Number(parallel ?? 4) }, async () => {
          while (next < end) await q.enqueue({ id: next++ });
        }),
      );
      return {};
    },

    stop: async ({ id }) => {
      const loop = running.get(String(id));
      if (!loop) return { ms: 0 };
      const t0 = Date.now();
      loop.stop.abort();
      await loop.done;
      running.delete(String(id));
      return { ms: Date.now() - t0 };
    },
  },
  async () => {
    for (const loop of running.values()) loop.stop.abort();
    await client?.close();
  },
);
