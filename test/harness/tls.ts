/**
 * TLS for tests: a throw-away PKI made with `openssl` in a harness temp dir, and
 * a single etcd member serving clients over TLS with client-certificate auth.
 *
 * ```ts
 * const pki = await makeTestPki();
 * const etcd = await startTlsSingle(pki);       // https://127.0.0.1:<port>, --client-cert-auth
 * await connect({ endpoints: [etcd.clientUrl], tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
 * await etcd.stop();
 * await pki.remove();
 * ```
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findEtcd } from './etcd-binary.js';
import { cleanEnv, ManagedProcess } from './managed-process.js';
import { memberLogTail } from './member.js';
import { freePorts, LOOPBACK } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { pollUntil } from './wait.js';

/** PEM files and contents of a test PKI. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** The CA certificate (PEM). */
  readonly ca: string;
  /** A client certificate signed by the CA, and its key (PEM). No CN: etcd's gateway refuses CN'd client certs when auth is on. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A second, unrelated CA (PEM): trusting only it must fail. */
  readonly otherCa: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Creates a CA, a server certificate for `localhost` / `127.0.0.1`, a client
 * certificate, and an unrelated second CA, with `openssl` (RSA 2048, 2 days).
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await makeTempDir('pki');
  const f = (name: string): string => join(dir, name);
  const openssl = (args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir, timeout: 30_000 });
  const selfSigned = (name: string, cn: string): Promise<unknown> =>
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`)]);
  await selfSigned('ca', 'conclave-test-ca');
  await selfSigned('other-ca', 'conclave-other-ca');
  await writeFile(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=localhost'],
    ['client', '/O=conclave-test-client'],
  ] as const) {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
    await openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`)]);
  }
  const read = (name: string): Promise<string> => readFile(f(name), 'utf8');
  return {
    dir,
    caFile: f('ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    ca: await read('ca.crt'),
    clientCert: await read('client.crt'),
    clientKey: await read('client.key'),
    otherCa: await read('other-ca.crt'),
    remove: () => removeTempDir(dir),
  };
}

/** A single etcd member with TLS client URLs; see {@link startTlsSingle}. */
export interface TlsEtcd {
  /** `https://127.0.0.1:<port>` */
  readonly clientUrl: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly pid: number;
  /** SIGKILL and remove the data dir. Idempotent. */
  stop(): Promise<void>;
}

function httpsHealth(url: string, pki: TestPki, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/health`, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts one etcd member serving clients on `https://127.0.0.1:<port>` with
 * `--cert-file --key-file --client-cert-auth --trusted-ca-file` (peers stay
 * plain), and waits until `/health` answers over TLS with the client certificate.
 */
export async function startTlsSingle(pki: TestPki, extraArgs: readonly string[] = []): Promise<TlsEtcd> {
  const [clientPort, peerPort] = await freePorts(2);
  const dir = await makeTempDir('tls-etcd');
  await mkdir(join(dir, 'data'));
  const clientUrl = `https://${LOOPBACK}:${clientPort}`;
  const peerUrl = `http://${LOOPBACK}:${peerPort}`;
  const args = [
    '--name=tls',
    `--data-dir=${join(dir, 'data')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=tls=${peerUrl}`,
    '--initial-cluster-state=new',
    `--cert-file=${pki.serverCertFile}`,
    `--key-file=${pki.serverKeyFile}`,
    `--trusted-ca-file=${pki.caFile}`,
    '--client-cert-auth',
    '--logger=zap',
    `--log-outputs=${join(dir, 'etcd.log')}`,
    ...extraArgs,
  ];
  const proc = await ManagedProcess.spawn(findEtcd().etcd, args, { logFile: join(dir, 'stdio.log'), cwd: dir, env: cleanEnv() });
  let stopped: Promise<void> | undefined;
  const etcd: TlsEtcd = {
    clientUrl,
    address: `${LOOPBACK}:${clientPort}`,
    pid: proc.pid,
    stop: () =>
      (stopped ??= (async () => {
        await proc.kill();
        await removeTempDir(dir);
      })()),
  };
  const exited = new AbortController();
  void proc.exited.then((exit) => exited.abort(new Error(`etcd exited (code ${exit.code}, signal ${exit.signal})\n${memberLogTail(dir)}`)));
  try {
    await pollUntil(
      async (signal) => ((await httpsHealth(clientUrl, pki, AbortSignal.any([signal, AbortSignal.timeout(2_000)]))) ? true : undefined),
      { timeoutMs: 20_000, signal: exited.signal, description: `TLS etcd on ${clientUrl}` },
    );
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  return etcd;
}
