/**
 * A consumer-group member in its own process, driven over the JSON-lines protocol of
 * `test/harness/client-process.ts`, so a test can SIGKILL it mid-handler.
 *
 * Ops: `connect { endpoints, namespace, sessionTtlSeconds }`, `consume { topic, group, workMs?, concurrency? }`
 * (starts a consume() loop; every message a handler finished is reported as event `handled`
 * `{ group, value, attempt }`), `stop` (aborts every loop and resolves once they settled).
 *
 * Run: `node --import tsx test/faults/children/group-member.ts`
 */
import { connect, type Conclave } from '../../../src/index.js';
import { pause } from './pause.js';
import { emit, errorInfo, serve } from './protocol.js';

let client: Conclave | undefined;
let stop = new AbortController();
const loops = new Set<Promise<void>>();

serve(
  {
    connect: async (args) => {
      client = await connect({
        endpoints: args['endpoints'] as string[],
        namespace: args['namespace'] as string,
        sessionTtlSeconds: Number(args['sessionTtlSeconds'] ?? 2),
      });
      return { ok: true };
    },
    consume: (args) => {
      if (!client) throw new Error('not connected');
      const group = String(args['group']);
      const workMs = Number(args['workMs'] ?? 0);
      const run = client
        .topic<number>(String(args['topic']))
        .consume(
          async (m, ctx) => {
            if (workMs > 0) await pause(workMs, ctx.signal);
            emit('handled', { group, value: m.value, attempt: ctx.attempt });
          },
          { group, concurrency: Number(args['concurrency'] ?? 1), signal: stop.signal },
        )
        .catch((error: unknown) => emit('consume-failed', { group, error: errorInfo(error) }));
      loops.add(run);
      void run.finally(() => loops.delete(run));
      return { started: true };
    },
    stop: async () => {
      stop.abort();
      await Promise.all(loops);
      stop = new AbortController();
      return { stopped: true };
    },
  },
  async () => {
    stop.abort();
    await Promise.all(loops);
    await client?.close();
  },
);
