/**
 * A tiny local etcd launcher for the adapter tests (stand-in until the shared
 * harness in test/harness/ is settled): spawns /usr/bin/etcd on free loopback
 * ports in a temp dir, waits on GET /health (polling, bounded), kills by PID.
 *
 * @module
 */
import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ETCD = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
const ETCDCTL = process.env['ETCDCTL_BIN'] ?? '/usr/bin/etcdctl';
const HOST = '127.0.0.1';

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function pollUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() >= deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface LocalMember {
  readonly name: string;
  /** `127.0.0.1:<client port>` */
  readonly clientAddress: string;
  readonly clientUrl: string;
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGKILL) to the process and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on the same ports and data dir; waits for /health. */
  restart(): Promise<void>;
  readonly alive: boolean;
}

export interface LocalCluster {
  readonly endpoints: string[];
  readonly members: LocalMember[];
  readonly dir: string;
  /** Runs etcdctl against the cluster. */
  etcdctl(args: string[], env?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

/** PEM files of a test PKI (see {@link makeTestPki}). */
export interface TestPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  ca: string;
  clientCert: string;
  clientKey: string;
}

/** Creates a CA, a server certificate for localhost/127.0.0.1 and a client certificate (openssl). */
export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-pki-'));
  const run = (args: string[]): Promise<unknown> => promisify(execFile)('openssl', args, { cwd: dir, timeout: 30_000 });
  const f = (n: string): string => join(dir, n);
  await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=conclave-test-ca',
    '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [['server', 'localhost'], ['client', 'conclave-client']] as const) {
    await run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
    await run(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`)]);
  }
  return {
    dir,
    caFile: f('ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
    ca: readFileSync(f('ca.crt'), 'utf8'),
    clientCert: readFileSync(f('client.crt'), 'utf8'),
    clientKey: readFileSync(f('client.key'), 'utf8'),
  };
}

export interface LocalEtcdOptions {
  /** Serve clients over TLS with this PKI (client certificates required). */
  pki?: TestPki;
  size?: number;
  /** Extra etcd flags for every member. */
  args?: string[];
  startTimeoutMs?: number;
}

class Member implements LocalMember {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  constructor(
    readonly name: string,
    readonly clientPort: number,
    private readonly args: string[],
    private readonly logFile: string,
    private readonly startTimeoutMs: number,
    private readonly pki: TestPki | undefined,
  ) {}
  get clientAddress(): string {
    return `${HOST}:${this.clientPort}`;
  }
  get clientUrl(): string {
    return `${this.pki ? 'https' : 'http'}://${this.clientAddress}`;
  }
  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get alive(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }
  spawn(): void {
    const fd = openSync(this.logFile, 'a');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD')) env[k] = v;
    const proc = spawn(ETCD, this.args, { stdio: ['ignore', fd, fd], env });
    closeSync(fd);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }
  async waitHealthy(): Promise<void> {
    await pollUntil(async () => {
      if (!this.alive) throw new Error(`etcd ${this.name} exited:\n${this.logTail()}`);
      const body = this.pki ? await this.httpsHealth(this.pki) : await (await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1000) })).text();
      return (JSON.parse(body) as { health?: string }).health === 'true';
    }, this.startTimeoutMs).catch((err: unknown) => {
      throw new Error(`etcd ${this.name} not healthy: ${String(err)}\n${this.logTail()}`);
    });
  }
  private httpsHealth(pki: TestPki): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${this.clientUrl}/health`,
        { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, timeout: 1000 },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  }
  logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.alive || proc.pid === undefined) return;
    process.kill(proc.pid, signal);
    await this.exited;
  }
  async restart(): Promise<void> {
    await this.kill();
    this.spawn();
    await this.waitHealthy();
  }
}

/** Starts a fresh etcd cluster of `size` members (default 1) on 127.0.0.1. */
export async function startLocalEtcd(options: LocalEtcdOptions = {}): Promise<LocalCluster> {
  const size = options.size ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'conclave-grpc-test-'));
  const ports: number[] = [];
  while (ports.length < size * 2) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const token = `conclave-${process.pid}-${Date.now()}`;
  const names = Array.from({ length: size }, (_, i) => `m${i}`);
  const peerUrl = (i: number): string => `http://${HOST}:${ports[2 * i + 1]!}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const members = names.map((name, i) => {
    const clientUrl = `${options.pki ? 'https' : 'http'}://${HOST}:${ports[2 * i]!}`;
    const tlsArgs = options.pki
      ? ['--cert-file', options.pki.serverCertFile, '--key-file', options.pki.serverKeyFile,
         '--trusted-ca-file', options.pki.caFile, '--client-cert-auth']
      : [];
    const args = [
      '--name', name,
      '--data-dir', join(dir, name),
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl(i),
      '--initial-advertise-peer-urls', peerUrl(i),
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', token,
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'warn',
      ...tlsArgs,
      ...(options.args ?? []),
    ];
    return new Member(name, ports[2 * i]!, args, join(dir, `${name}.log`), options.startTimeoutMs ?? 20_000, options.pki);
  });
  for (const m of members) m.spawn();
  try {
    await Promise.all(members.map((m) => m.waitHealthy()));
  } catch (err) {
    await Promise.all(members.map((m) => m.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const endpoints = members.map((m) => m.clientUrl);
  return {
    endpoints,
    members,
    dir,
    async etcdctl(args: string[], env: Record<string, string> = {}): Promise<string> {
      const { stdout } = await promisify(execFile)(ETCDCTL, [`--endpoints=${endpoints.join(',')}`, ...args], {
        env: { ...process.env, ETCDCTL_API: '3', ...env },
        timeout: 15_000,
      });
      return stdout;
    },
    async stop(): Promise<void> {
      await Promise.all(members.map((m) => m.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
