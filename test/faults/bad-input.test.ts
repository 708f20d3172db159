/**
 * Every public method of the contract, called with bad input or misused: each call must end in
 * the documented typed error (`InvalidArgumentError`, `ClosedError`, `AbortError`,
 * `LockLostError`, ...) or the documented idempotent success — and etcd must show that nothing
 * was written: the store revision and the set of leases are the same before and after the call.
 *
 * The suite runs on its own one-member etcd with `--max-request-bytes=65536`, so values over
 * the server's request limit (but under the client's own 1.5 MiB check) are covered too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Conclave, type TransportName } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import { gatewayPost, startSingle, type EtcdCluster } from '../harness/index.js';
import type { BadCall, BadInputEnv, Prepared } from './bad-input/case.js';
import { closedCases } from './bad-input/closed.js';
import { connectCases, kvCases } from './bad-input/connect-and-kv.js';
import { electionCases, lockCases } from './bad-input/locks-and-election.js';
import { illFormedCases, oversizedNameCases } from './bad-input/names.js';
import { barrierCases, queueCases, serviceCases, topicCases } from './bad-input/recipes.js';
import { recordRow } from './report.js';

let cluster: EtcdCluster;
/** The endpoints of each transport on the suite's etcd (the grpc-proxy is started in front of it). */
const endpointsOf = new Map<TransportName, string[]>();
const opened: Conclave[] = [];
const TRANSPORTS: TransportName[] = (['grpc', 'grpc-proxy', 'http'] as const).filter((t) => {
  const only = process.env['CONCLAVE_TRANSPORTS']?.split(',').map((s) => s.trim()).filter(Boolean);
  return !only || only.length === 0 || only.includes(t);
});

type Which = 'cold' | 'warm' | 'other' | 'closed';

/** One transport's clients, made in `beforeAll` (the cases are listed before it runs). */
function transportEnv(transport: TransportName): { env: BadInputEnv; setup: () => Promise<void> } {
  const state: Partial<Record<Which, Conclave>> = {};
  /** A stand-in that forwards to the client made in `beforeAll`. */
  const later = (which: Which): Conclave =>
    new Proxy({} as Conclave, {
      get(_target, property) {
        const client = state[which];
        if (!client) throw new Error(`${which} client not ready`);
        const value: unknown = Reflect.get(client, property);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(client) : value;
      },
    });
  const open = async (): Promise<Conclave> => {
    const client = await connect({ endpoints: endpointsOf.get(transport)!, transport });
    opened.push(client);
    return client;
  };
  const env: BadInputEnv = {
    transport,
    cold: later('cold'),
    warm: later('warm'),
    other: later('other'),
    closed: later('closed'),
    get endpoints() {
      return endpointsOf.get(transport)!;
    },
    open,
  };
  const setup = async (): Promise<void> => {
    state.cold = await open();
    state.warm = await open();
    await (state.warm as ConclaveClient).core.session(); // its shared session exists before any case
    state.other = await open();
    state.closed = await open();
    await state.closed.close();
  };
  return { env, setup };
}

const open = async (): Promise<Conclave> => {
  const client = await connect({ endpoints: cluster.endpoints });
  opened.push(client);
  return client;
};

beforeAll(async () => {
  cluster = await startSingle({ name: 'faults-bad-input', extraArgs: ['--max-request-bytes=65536'] });
  endpointsOf.set('grpc', cluster.endpoints);
  endpointsOf.set('http', cluster.clientUrls);
  if (TRANSPORTS.includes('grpc-proxy')) endpointsOf.set('grpc-proxy', [(await cluster.startGrpcProxy()).address]);
});
afterAll(async () => {
  await Promise.allSettled(opened.map((c) => c.close()));
  await cluster?.stop();
});

/** What etcd holds, as far as "was anything written?" goes: the store revision and the leases. */
async function snapshot(): Promise<{ revision: string; leases: string[] }> {
  const url = cluster.clientUrls[0]!;
  const range = await gatewayPost<{ header: { revision: string } }>(url, '/v3/kv/range', { key: Buffer.from('\0').toString('base64') });
  const leases = await gatewayPost<{ leases?: { ID: string }[] }>(url, '/v3/lease/leases', {});
  return { revision: range.header.revision, leases: (leases.leases ?? []).map((l) => l.ID).sort() };
}

/** Runs `fn`, bounded in time: its value or its error (thrown synchronously or rejected). */
async function settle(fn: () => unknown, ms: number): Promise<{ value?: unknown; error?: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no outcome within ${ms} ms`)), ms);
  });
  try {
    return { value: await Promise.race([Promise.resolve().then(fn), late]) };
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

function describeOutcome(outcome: { value?: unknown; error?: unknown }): string {
  if (!('error' in outcome)) return 'success';
  const e = outcome.error as { name?: string; code?: string; message?: string };
  return `${e?.name ?? typeof e}${e?.code ? ` (${e.code})` : ''}: ${e?.message ?? String(e)}`;
}

const results: { call: string; problems: string[] }[] = [];

const groups: [string, (env: BadInputEnv) => BadCall[]][] = [
  ['connect()', connectCases],
  ['key-value, watch, session', kvCases],
  ['locks', lockCases],
  ['election', electionCases],
  ['barriers', barrierCases],
  ['queues', queueCases],
  ['topics', topicCases],
  ['service registry', serviceCases],
  ['ill-formed strings (lone surrogates)', illFormedCases],
  ['names too long for a request', oversizedNameCases],
  ['after close()', closedCases],
];

for (const transport of TRANSPORTS) {
  const { env, setup } = transportEnv(transport);
  describe(`[${transport}]`, () => {
    beforeAll(setup);
    for (const [group, cases] of groups) {
      describe(group, () => {
        for (const bad of cases(env)) {
          const expected = bad.expect === 'ok' ? 'succeeds (idempotent)' : `${bad.expect.name}${bad.code ? ` (${bad.code})` : ''}`;
          it(`${bad.call} -> ${expected}, nothing written`, async () => {
            const prepared: Prepared = bad.prepare ? await bad.prepare() : { run: bad.run! };
            const before = await snapshot();
            const outcome = await settle(prepared.run, 15_000);
            const after = await snapshot();
            await prepared.cleanup?.().catch(() => undefined);
            const problems: string[] = [];
            if (bad.expect === 'ok') {
              if ('error' in outcome) problems.push(`expected success, got ${describeOutcome(outcome)}`);
            } else {
              const error = outcome.error as { code?: string } | undefined;
              if (!(error instanceof bad.expect)) problems.push(`expected ${expected}, got ${describeOutcome(outcome)}`);
              else if (bad.code !== undefined && error.code !== bad.code) problems.push(`expected code ${bad.code}, got ${describeOutcome(outcome)}`);
            }
            if (after.revision !== before.revision) problems.push(`etcd revision moved ${before.revision} -> ${after.revision}: something was written`);
            if (after.leases.join() !== before.leases.join()) problems.push(`leases changed: [${before.leases.join(', ')}] -> [${after.leases.join(', ')}]`);
            results.push({ call: `[${transport}] ${group}: ${bad.call}`, problems });
            expect(problems).toEqual([]);
          });
        }
      });
    }
  });
}

it('summary', ({ task }) => {
  const failed = results.filter((r) => r.problems.length > 0);
  recordRow(task, {
    scenario: `bad input and misuse: every public method (${groups.length} groups, ${TRANSPORTS.join(', ')})`,
    operations: results.length,
    invariant: 'documented typed error or idempotent success; etcd revision and leases unchanged',
    violations: failed.length,
    notes: failed.length ? failed.map((f) => `${f.call}: ${f.problems.join('; ')}`).join(' | ') : undefined,
  });
  expect(results.length).toBeGreaterThan(150);
});

it("a session with etcd's maximum TTL (9e9 s, beyond a timer's reach) is kept without a timer storm", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'TimeoutOverflowWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const client = await open();
  try {
    const hub = (client as ConclaveClient).core.leaseHub;
    const session = await client.session({ ttlSeconds: 9_000_000_000 });
    const sent = hub.messagesSent;
    // Observe a quiet interval: a storm would send keep-alives (or arm 1 ms timers) continuously.
    for (let i = 0; i < 20; i++) await client.get('bad/quiet');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hub.messagesSent - sent).toBeLessThanOrEqual(1);
    expect(warnings).toEqual([]);
    expect(session.ttlSeconds).toBeGreaterThan(1_000_000);
    await session.close();
  } finally {
    process.off('warning', onWarning);
  }
});
