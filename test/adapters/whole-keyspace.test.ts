/**
 * The empty prefix means the whole keyspace, on a client without a namespace too (issue 11,
 * bug 14): `getPrefix('')`, `delete('', { prefix: true })` and `watch('', { prefix: true })`
 * send etcd's "every key" range (key `\0`, range end `\0`) instead of an empty key, which
 * etcd refuses ("key is not provided"). On a cluster of its own (the delete wipes it), and
 * with auth: a user limited to a prefix gets `AuthError` `PERMISSION_DENIED`, not an
 * `EtcdError`. Over every transport.
 */
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, connect, type Conclave } from '../../src/index.js';
import { APP, AUTH_SETUP } from './recorders.js';
import { transportsUnderTest } from '../contract/transports.js';
import { startSingle, type EtcdCluster } from '../harness/index.js';

const dec = new TextDecoder();

let plain: EtcdCluster;
let secured: EtcdCluster;
const endpointsOf = new Map<string, { plain: string[]; secured: string[] }>();
const opened: Conclave[] = [];

beforeAll(async () => {
  [plain, secured] = await Promise.all([startSingle({ name: 'whole-keyspace' }), startSingle({ name: 'whole-keyspace-auth' })]);
  for (const t of transportsUnderTest()) endpointsOf.set(t.name, { plain: await t.endpointsFor(plain), secured: await t.endpointsFor(secured) });
  for (const args of AUTH_SETUP) {
    const r = await secured.etcdctl(args);
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
  }
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
  await Promise.all([plain?.stop(), secured?.stop()]);
});

for (const transport of transportsUnderTest()) {
  describe(`the empty prefix is the whole keyspace [${transport.name}]`, () => {
    const open = async (which: 'plain' | 'secured', options: Parameters<typeof connect>[0] = {}): Promise<Conclave> => {
      const c = await connect({ endpoints: endpointsOf.get(transport.name)![which], transport: transport.name, ...options });
      opened.push(c);
      return c;
    };

    it("getPrefix(''), watch('', { prefix: true }) and delete('', { prefix: true }) without a namespace", async () => {
      const c = await open('plain');
      await c.delete('', { prefix: true }); // this file's own etcd: start from an empty keyspace
      const watched = firstValueFrom(c.watch('', { prefix: true }).pipe(take(3), toArray(), timeout(20_000)));
      const tag = transport.name;
      const r1 = await c.put(`${tag}/b`, '2');
      const r2 = await c.put(`${tag}/a`, '1');
      const r3 = await c.put(`\u0001${tag}`, 'low byte'); // a key below every printable one
      const all = await c.getPrefix('');
      expect(all.map((kv) => kv.key)).toEqual([`\u0001${tag}`, `${tag}/a`, `${tag}/b`]);
      expect(all.map((kv) => dec.decode(kv.value))).toEqual(['low byte', '1', '2']);
      expect((await watched).map((e) => e.revision)).toEqual([r1.revision, r2.revision, r3.revision]);
      const deleted = await c.delete('', { prefix: true });
      expect(deleted.deleted).toBe(3);
      expect(await c.getPrefix('')).toEqual([]);
    });

    it("a user limited to app/ gets AuthError PERMISSION_DENIED from getPrefix('') and delete('', { prefix: true })", async () => {
      const c = await open('secured', { auth: APP });
      const denied = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => e);
      for (const err of [await denied(c.getPrefix('')), await denied(c.delete('', { prefix: true }))]) {
        expect(err).toBeInstanceOf(AuthError);
        expect((err as AuthError).code).toBe('PERMISSION_DENIED');
      }
      // Inside its namespace the empty prefix is its whole space, and allowed.
      const app = await open('secured', { auth: APP, namespace: 'app/' });
      await app.put(`${transport.name}/k`, 'v');
      expect((await app.getPrefix('')).map((kv) => kv.key)).toContain(`${transport.name}/k`);
    });
  });
}
