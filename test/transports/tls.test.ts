/**
 * Client TLS with client-certificate auth (`--client-cert-auth`), over the
 * transports that dial etcd members directly: `grpc` and `http`.
 */
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, connect, type Conclave } from '../../src/index.js';
import { uniquePrefix } from '../harness/index.js';
import { makeTestPki, startTlsSingle, type TestPki, type TlsEtcd } from '../harness/tls.js';

let pki: TestPki;
let etcd: TlsEtcd;

beforeAll(async () => {
  pki = await makeTestPki();
  etcd = await startTlsSingle(pki);
});

afterAll(async () => {
  await etcd?.stop();
  await pki?.remove();
});

const dec = new TextDecoder();

for (const transport of ['grpc', 'http'] as const) {
  describe(`tls [${transport}]`, () => {
    const opened: Conclave[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((c) => c.close()));
    });

    it('connects with { ca, cert, key } and runs put, get and watch', async () => {
      const c = await connect({
        endpoints: [etcd.clientUrl],
        transport,
        tls: { ca: pki.ca, cert: pki.clientCert, key: Buffer.from(pki.clientKey) },
        namespace: uniquePrefix(`tls-${transport}`),
      });
      opened.push(c);
      const events = firstValueFrom(c.watch('k').pipe(take(1), toArray(), timeout(20_000)));
      const { revision } = await c.put('k', 'over tls');
      expect(dec.decode((await c.get('k'))!.value)).toBe('over tls');
      expect((await events).map((e) => e.revision)).toEqual([revision]);
    });

    it('host:port endpoints use https when tls is given', async () => {
      const c = await connect({ endpoints: [etcd.address], transport, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
      opened.push(c);
      expect(await c.get(`${uniquePrefix('tls')}missing`)).toBeUndefined();
    });

    for (const [what, tls] of [
      ['a CA that did not sign the server certificate', () => ({ ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey })],
      ['no client certificate', () => ({ ca: pki.ca })],
    ] as const) {
      it(`fails with ConnectionError within the dial timeout given ${what}`, async () => {
        const dialTimeoutMs = 1_500;
        const started = performance.now();
        const err = await connect({ endpoints: [etcd.clientUrl], transport, tls: tls(), dialTimeoutMs }).then(
          async (c) => {
            await c.close();
            return 'connected';
          },
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ConnectionError);
        // Bounded by the dial timeout (plus scheduling slack on a busy machine), never a hang.
        expect(performance.now() - started).toBeLessThan(dialTimeoutMs + 5_000);
      });
    }
  });
}
