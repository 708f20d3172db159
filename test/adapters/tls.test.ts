/**
 * Client TLS with client-certificate auth (`--client-cert-auth`), over the
 * transports that dial etcd members directly: `grpc` and `http`.
 *
 * A TLS failure (a CA that did not sign the server certificate, no client certificate, a
 * plain dial to a TLS port) is reported at once, well before the dial timeout, as a
 * `ConnectionError` whose `cause` chain holds the TLS error (issue 11, bug 17); and no
 * DEP0123 warning ("Setting the TLS ServerName to an IP address") is printed.
 */
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, connect, type Conclave } from '../../src/index.js';
import { uniquePrefix } from '../harness/index.js';
import { makeTestPki, startTlsSingle, type TestPki, type TlsEtcd } from '../harness/tls.js';

let pki: TestPki;
let etcd: TlsEtcd;
/** Process warnings seen while this file runs (DEP0123 is emitted once per process, on first use). */
const warnings: Error[] = [];
const onWarning = (w: Error): void => void warnings.push(w);

beforeAll(async () => {
  process.on('warning', onWarning);
  pki = await makeTestPki();
  etcd = await startTlsSingle(pki);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await etcd?.stop();
  await pki?.remove();
});

/** The messages and codes of `error` and its causes. */
function causeChain(error: unknown): string[] {
  const out: string[] = [];
  for (let e = error as { message?: unknown; code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    out.push(`${String(e.code ?? '')} ${String(e.message ?? e)}`);
  }
  return out;
}

/** What a TLS failure's cause says: a certificate verification error, a TLS alert, or a non-TLS answer. */
const TLS_FAILURE = /certificate|CERT_|SSL|TLS|tls|alert|handshake|EPROTO|HTTPS server/;

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

    const failures = [
      ['a CA that did not sign the server certificate', () => etcd.clientUrl, () => ({ ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey })],
      ['no client certificate', () => etcd.clientUrl, () => ({ ca: pki.ca })],
      ['a plain (non-TLS) dial to the TLS port', () => etcd.address, () => undefined],
    ] as const;
    // etcd answers neither a plain request to its TLS port nor (TLS 1.3) a request without the
    // required client certificate: the client probes the silent endpoint with a TLS handshake of
    // its own (grpc: adapters/grpc/channel.ts; http: adapters/http/node-diagnose.ts) and says why.
    for (const [what, endpoint, tls] of failures) {
      it(`fails at once with ConnectionError, the TLS error as its cause, given ${what}`, async () => {
        const dialTimeoutMs = 30_000;
        const started = performance.now();
        const err = await connect({ endpoints: [endpoint()], transport, tls: tls(), dialTimeoutMs }).then(
          async (c) => {
            await c.close();
            return 'connected';
          },
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ConnectionError);
        // Not when the dial timeout runs out: at once (with slack for a busy machine).
        expect(performance.now() - started).toBeLessThan(10_000);
        expect((err as Error).message).not.toMatch(/did not answer/);
        const chain = causeChain(err);
        expect(chain.slice(1).some((m) => TLS_FAILURE.test(m)), chain.join(' <- ')).toBe(true);
      });
    }
  });
}

it('never sets an IP address as the TLS server name (no DEP0123 warning)', async () => {
  // Both transports over IP endpoints, once more, in case this file's other tests were skipped.
  for (const transport of ['grpc', 'http'] as const) {
    const c = await connect({ endpoints: [etcd.clientUrl], transport, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
    await c.get('tls/dep0123');
    await c.close();
  }
  expect(warnings.filter((w) => (w as { code?: string }).code === 'DEP0123').map((w) => w.message)).toEqual([]);
});
