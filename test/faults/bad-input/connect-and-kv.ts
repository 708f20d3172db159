/**
 * Bad input to `connect()` and to the client's key-value, watch and session calls.
 */
import { firstValueFrom } from 'rxjs';
import { AbortError, ConnectionError, connect, EtcdError, InvalidArgumentError, type ConnectOptions } from '../../../src/index.js';
import { freePort } from '../../harness/index.js';
import { loose, OVER_CLIENT_LIMIT, OVER_GRPC_LIMIT, OVER_SERVER_LIMIT, sized, type BadCall, type BadInputEnv } from './case.js';

const IAE = InvalidArgumentError;

/** `connect()` with bad options: refused before dialing (a client that connects anyway is closed). */
function connecting(env: Pick<BadInputEnv, 'endpoints' | 'transport'>, options: Record<string, unknown>): () => Promise<unknown> {
  return async () => {
    const client = await connect(loose<ConnectOptions>({ endpoints: env.endpoints, transport: env.transport, dialTimeoutMs: 2_000, ...options }));
    await client.close();
    return client;
  };
}

export function connectCases(env: BadInputEnv): BadCall[] {
  const bad = (call: string, options: Record<string, unknown>, expect: BadCall['expect'] = IAE): BadCall => ({
    call,
    expect,
    run: () => connecting(env, options)(),
  });
  return [
    bad('connect({ endpoints: [] })', { endpoints: [] }),
    bad("connect({ endpoints: [''] })", { endpoints: [''] }),
    bad("connect({ endpoints: ['not a host!'] })", { endpoints: ['not a host!'] }),
    bad("connect({ endpoints: ['127.0.0.1:99999'] })", { endpoints: ['127.0.0.1:99999'] }),
    bad("connect({ endpoints: ['ftp://127.0.0.1:2379'] })", { endpoints: ['ftp://127.0.0.1:2379'] }),
    bad("connect({ endpoints: ['127.0.0.1:2379/v3'] })", { endpoints: ['127.0.0.1:2379/v3'] }),
    bad('connect({ endpoints: [42] })', { endpoints: [42] }),
    bad("connect({ endpoints: '127.0.0.1:2379' })", { endpoints: '127.0.0.1:2379' }),
    bad("connect({ transport: 'carrier-pigeon' })", { transport: 'carrier-pigeon' }),
    bad('connect({ namespace: 42 })', { namespace: 42 }),
    bad('connect({ sessionTtlSeconds: 0 })', { sessionTtlSeconds: 0 }),
    bad('connect({ sessionTtlSeconds: -5 })', { sessionTtlSeconds: -5 }),
    bad('connect({ sessionTtlSeconds: 1.5 })', { sessionTtlSeconds: 1.5 }),
    bad('connect({ sessionTtlSeconds: NaN })', { sessionTtlSeconds: Number.NaN }),
    bad('connect({ sessionTtlSeconds: Infinity })', { sessionTtlSeconds: Infinity }),
    bad('connect({ sessionTtlSeconds: 1e12 })', { sessionTtlSeconds: 1e12 }),
    bad("connect({ sessionTtlSeconds: '10' })", { sessionTtlSeconds: '10' }),
    bad("connect({ auth: { username: '', password: 'x' } })", { auth: { username: '', password: 'x' } }),
    bad('connect({ auth: { username: 42 } })', { auth: { username: 42 } }),
    bad('connect({ dialTimeoutMs: 0 })', { dialTimeoutMs: 0 }),
    bad('connect({ dialTimeoutMs: -1 })', { dialTimeoutMs: -1 }),
    bad('connect({ dialTimeoutMs: 1e12 }) (beyond a timer)', { dialTimeoutMs: 1e12 }),
    bad('connect({ sessionTtlSeconds: 9e9 + 1 }) (over etcd\'s maximum TTL)', { sessionTtlSeconds: 9_000_000_001 }),
    bad("connect({ signal: 'stop' })", { signal: 'stop' }),
    bad('connect({ signal: <aborted> })', { signal: AbortSignal.abort() }, AbortError),
    { call: 'connect(null)', expect: IAE, run: () => connect(loose<ConnectOptions>(null)) },
    {
      call: 'connect({ endpoints: [<nothing listening>] })',
      expect: ConnectionError,
      prepare: async () => {
        const port = await freePort();
        return { run: connecting({ endpoints: [`127.0.0.1:${port}`], transport: env.transport }, { dialTimeoutMs: 1_000 }) };
      },
    },
  ];
}

export function kvCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  return [
    { call: "get('')", expect: IAE, run: () => c.get('') },
    { call: 'get(42)', expect: IAE, run: () => c.get(loose(42)) },
    { call: 'get(undefined)', expect: IAE, run: () => c.get(loose(undefined)) },
    { call: 'getPrefix(42)', expect: IAE, run: () => c.getPrefix(loose(42)) },
    { call: "put('', 'v')", expect: IAE, run: () => c.put('', 'v') },
    { call: "put(42, 'v')", expect: IAE, run: () => c.put(loose(42), 'v') },
    { call: "put('k', 42)", expect: IAE, run: () => c.put('k', loose(42)) },
    { call: "put('k', null)", expect: IAE, run: () => c.put('k', loose(null)) },
    { call: "put('k', undefined)", expect: IAE, run: () => c.put('k', loose(undefined)) },
    { call: "put('k', {})", expect: IAE, run: () => c.put('k', loose({})) },
    { call: "put('k', 'v', { lease: -1n })", expect: IAE, run: () => c.put('k', 'v', { lease: -1n }) },
    { call: "put('k', 'v', { lease: 7 })", expect: IAE, run: () => c.put('k', 'v', { lease: loose(7) }) },
    { call: "put('k', <2 MiB>) (over the client's limit)", expect: IAE, code: 'TOO_LARGE', run: () => c.put('k', sized(OVER_CLIENT_LIMIT)) },
    { call: "put('k', <100 KiB>) (over the server's limit)", expect: IAE, code: 'TOO_LARGE', run: () => env.warm.put('k', sized(OVER_SERVER_LIMIT)) },
    { call: "put('k', <1 MiB>) (over the server's gRPC limit)", expect: IAE, code: 'TOO_LARGE', run: () => env.warm.put('k', sized(OVER_GRPC_LIMIT)) },
    { call: "put('k', 'v', { lease: <not granted> })", expect: EtcdError, code: 'NOT_FOUND', run: () => c.put('k', 'v', { lease: 0x7e57n }) },
    { call: "delete('')", expect: IAE, run: () => c.delete('') },
    { call: 'delete(42)', expect: IAE, run: () => c.delete(loose(42)) },
    { call: 'delete(42, { prefix: true })', expect: IAE, run: () => c.delete(loose(42), { prefix: true }) },
    { call: "watch('')", expect: IAE, run: () => firstValueFrom(c.watch('')) },
    { call: "watch('k', { fromRevision: -1n })", expect: IAE, run: () => firstValueFrom(c.watch('k', { fromRevision: -1n })) },
    { call: "watch('k', { fromRevision: 0n })", expect: IAE, run: () => firstValueFrom(c.watch('k', { fromRevision: 0n })) },
    { call: "watch('k', { fromRevision: 5 })", expect: IAE, run: () => firstValueFrom(c.watch('k', { fromRevision: loose(5) })) },
    { call: 'session({ ttlSeconds: 0 })', expect: IAE, run: () => c.session({ ttlSeconds: 0 }) },
    { call: 'session({ ttlSeconds: -1 })', expect: IAE, run: () => c.session({ ttlSeconds: -1 }) },
    { call: 'session({ ttlSeconds: 2.5 })', expect: IAE, run: () => c.session({ ttlSeconds: 2.5 }) },
    { call: 'session({ ttlSeconds: 1e12 })', expect: IAE, run: () => c.session({ ttlSeconds: 1e12 }) },
    { call: 'session({ ttlSeconds: NaN })', expect: IAE, run: () => c.session({ ttlSeconds: Number.NaN }) },
    { call: 'session({ ttlSeconds: 9e9 + 1 }) (over etcd\'s maximum TTL)', expect: IAE, run: () => c.session({ ttlSeconds: 9_000_000_001 }) },
    { call: "session({ ttlSeconds: '5' })", expect: IAE, run: () => c.session({ ttlSeconds: loose('5') }) },
    { call: 'namespace(42)', expect: IAE, run: () => c.namespace(loose(42)) },
    { call: 'namespace(undefined)', expect: IAE, run: () => c.namespace(loose(undefined)) },
  ];
}
