/**
 * etcd user auth over every transport, on a cluster of its own (auth is
 * cluster-wide state): a user restricted to the prefix `app/` works inside
 * its namespace, gets `AuthError` (never a hang) outside it; a wrong password
 * is an `AuthError`; simple tokens that expire (`--auth-token-ttl 2`) are
 * refreshed transparently for unary calls and for watches.
 */
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, connect, type Conclave } from '../../src/index.js';
import { APP, AUTH_SETUP, ROOT } from './recorders.js';
import { transportsUnderTest } from '../contract/transports.js';
import { pollUntil, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';

const dec = new TextDecoder();

let cluster: EtcdCluster;
const endpointsOf = new Map<string, string[]>();
const opened: Conclave[] = [];

async function etcdctl(args: string[], asRoot: boolean): Promise<void> {
  const r = await cluster.etcdctl(asRoot ? [`--user=${ROOT.username}:${ROOT.password}`, ...args] : args);
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
}

beforeAll(async () => {
  cluster = await startSingle({ name: 'auth', extraArgs: ['--auth-token=simple', '--auth-token-ttl=2'] });
  // Proxies first: their readiness check is an unauthenticated read.
  for (const t of transportsUnderTest()) endpointsOf.set(t.name, await t.endpointsFor(cluster));
  for (const args of AUTH_SETUP) {
    await etcdctl(args, false);
  }
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
  await cluster?.stop();
});

/**
 * Resolves once a token of `app` that nobody has used since this call started
 * is rejected: any token last used before then has expired too (simple
 * tokens expire `--auth-token-ttl` after their last use; etcd checks every second).
 */
async function waitForTokenExpiry(): Promise<void> {
  const url = cluster.clientUrls[0]!;
  const auth = (await (await fetch(`${url}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: APP.username, password: APP.password }) })).json()) as {
    token: string;
  };
  let first = true;
  await pollUntil(
    async () => {
      if (first) {
        first = false; // (checking a token renews it: wait a full TTL + check period between checks)
        return undefined;
      }
      const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', headers: { authorization: auth.token }, body: JSON.stringify({ key: btoa('app/x') }) });
      await res.text();
      return res.status === 401 ? true : undefined;
    },
    { intervalMs: 3_500, timeoutMs: 30_000, description: 'the auth token to expire' },
  );
}

for (const transport of transportsUnderTest()) {
  describe(`auth [${transport.name}]`, () => {
    const open = async (options: Parameters<typeof connect>[0]): Promise<Conclave> => {
      const c = await connect({ endpoints: endpointsOf.get(transport.name)!, transport: transport.name, ...options });
      opened.push(c);
      return c;
    };

    it('a wrong password fails connect with AuthError', async () => {
      const err = await open({ auth: { username: APP.username, password: 'wrong' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
    });

    it('a user limited to app/ works inside namespace app/', async () => {
      const space = `${uniquePrefix(transport.name).slice(2)}`; // keys live under app/<space>
      const client = await open({ auth: APP, namespace: 'app/' });
      const c = client.namespace(space);
      const watched = firstValueFrom(c.watch('k').pipe(take(2), toArray(), timeout(20_000)));
      const r1 = await c.put('k', 'v1');
      expect(dec.decode((await c.get('k'))!.value)).toBe('v1');
      const r2 = await c.put('k', 'v2');
      expect((await watched).map((e) => e.revision)).toEqual([r1.revision, r2.revision]);
      expect((await c.getPrefix('')).map((kv) => kv.key)).toEqual(['k']);
      const session = await c.session();
      expect(session.lease).toBeGreaterThan(0n);
      // Primitives on the session.
      const lock = await c.mutex('m').acquire({ timeoutMs: 10_000 });
      expect(lock.key.startsWith('m/')).toBe(true);
      await lock.release();
      const leadership = await c.election('e').campaign('me');
      expect(dec.decode((await c.election('e').leader())!.value)).toBe('me');
      await leadership.resign();
      expect((await c.delete('k')).deleted).toBe(1);
      await session.close();
      // (Its watches must not outlive the test: through a grpc-proxy they would pin the proxy's shared
      // upstream watch stream, and its token, for the expiry test below; see README-transports.)
      await client.close();
    });

    it('outside its permissions the user gets AuthError (permission denied), never a hang', async () => {
      const c = await open({ auth: APP });
      const denied = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => e);
      for (const err of [await denied(c.put('outside', 'x')), await denied(c.get('outside')), await denied(c.session())]) {
        expect(err).toBeInstanceOf(AuthError);
        expect((err as AuthError).code).toBe('PERMISSION_DENIED');
      }
      const watchErr = await firstValueFrom(c.watch('outside').pipe(timeout(20_000))).catch((e: unknown) => e);
      expect(watchErr).toBeInstanceOf(AuthError);
    });

    it('expired tokens are refreshed transparently for unary calls and live watches', async () => {
      const space = `${uniquePrefix(transport.name).slice(2)}`;
      const c = (await open({ auth: APP, namespace: 'app/' })).namespace(space);
      const root = await open({ auth: ROOT, namespace: `app/${space}` });
      // A live watch opened with the first token.
      const live = firstValueFrom(c.watch('a').pipe(take(2), toArray(), timeout(30_000)));
      const a1 = await root.put('a', '1');
      await pollUntil(async () => ((await c.get('a')) ? true : undefined), { description: 'a visible' });
      await waitForTokenExpiry();
      // A new watch sent with the expired token: refreshed, and the hub resumes every watcher.
      const later = firstValueFrom(c.watch('b').pipe(take(1), toArray(), timeout(30_000)));
      const b1 = await root.put('b', '1');
      expect((await later).map((e) => e.revision)).toEqual([b1.revision]);
      const a2 = await root.put('a', '2');
      expect((await live).map((e) => e.revision)).toEqual([a1.revision, a2.revision]);
      // A unary call after the next expiry.
      await waitForTokenExpiry();
      const put = await c.put('c', 'after expiry');
      expect(put.revision).toBeGreaterThan(a2.revision);
    });
  });
}
