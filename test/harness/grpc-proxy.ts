/**
 * `etcd grpc-proxy start` in front of a cluster.
 *
 * @module
 */

import { join } from 'node:path';
import { findEtcd } from './etcd-binary.js';
import { runEtcdctl } from './etcdctl.js';
import { cleanEnv, ManagedProcess } from './managed-process.js';
import { memberLogTail } from './member.js';
import { freePorts, LOOPBACK } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { pollUntil } from './wait.js';

/** Options of {@link startGrpcProxy}. */
export interface GrpcProxyOptions {
  /** `host:port` addresses of the etcd members the proxy forwards to (required). */
  endpoints: readonly string[];
  /** `--namespace`: prefix added to every key. */
  namespace?: string;
  /** `--resolver-prefix`: register the proxy's address under this (namespaced) key. */
  resolverPrefix?: string;
  /** `--resolver-ttl` in seconds (only with `resolverPrefix`; default 10). */
  resolverTtl?: number;
  /** More `etcd grpc-proxy start` flags. */
  extraArgs?: readonly string[];
  /** Readiness deadline in ms (default 20 000). */
  timeoutMs?: number;
}

/** A running grpc-proxy. It has no HTTP gateway: talk to it with gRPC (or etcdctl). */
export class GrpcProxy {
  /** `127.0.0.1:<port>` the proxy listens on. */
  readonly address: string;
  /** `http://127.0.0.1:<port>` serving the proxy's own `/metrics`. */
  readonly metricsUrl: string;
  /** The proxy's temp directory (`--data-dir`, `stdio.log`); removed by {@link stop}. */
  readonly dir: string;
  readonly #process: ManagedProcess;
  #stopped: Promise<void> | undefined;

  constructor(address: string, metricsUrl: string, dir: string, proc: ManagedProcess) {
    this.address = address;
    this.metricsUrl = metricsUrl;
    this.dir = dir;
    this.#process = proc;
  }

  /** OS process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** Whether the process is alive. */
  get running(): boolean {
    return this.#process.running;
  }

  /** SIGTERM (SIGKILL after a bounded wait), then remove the temp dir. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#process.stop();
      await removeTempDir(this.dir);
    })();
    return this.#stopped;
  }

  /** SIGKILL and wait for the exit (the temp dir stays until {@link stop}). */
  async kill(): Promise<void> {
    await this.#process.kill();
  }

  /** SIGSTOP: the proxy keeps its sockets but answers nothing. */
  pause(): void {
    this.#process.pause();
  }

  /** SIGCONT. */
  resume(): void {
    this.#process.resume();
  }

  /** Same as {@link stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Start `etcd grpc-proxy start` on a free loopback port and wait until a real gRPC request
 * through it (`etcdctl get`) succeeds.
 *
 * @throws Error with the proxy's log tail when it exits or is not ready in time.
 */
export async function startGrpcProxy(options: GrpcProxyOptions): Promise<GrpcProxy> {
  const [port, metricsPort] = await freePorts(2);
  const address = `${LOOPBACK}:${port}`;
  const metricsUrl = `http://${LOOPBACK}:${metricsPort}`;
  const dir = await makeTempDir('grpc-proxy');
  const args = [
    'grpc-proxy',
    'start',
    `--endpoints=${options.endpoints.join(',')}`,
    `--listen-addr=${address}`,
    `--advertise-client-url=${address}`,
    `--metrics-addr=${metricsUrl}`,
    `--data-dir=${join(dir, 'data')}`,
  ];
  if (options.namespace !== undefined) args.push(`--namespace=${options.namespace}`);
  if (options.resolverPrefix !== undefined) {
    args.push(`--resolver-prefix=${options.resolverPrefix}`, `--resolver-ttl=${options.resolverTtl ?? 10}`);
  }
  args.push(...(options.extraArgs ?? []));
  const proc = await ManagedProcess.spawn(findEtcd().etcd, args, {
    logFile: join(dir, 'stdio.log'),
    cwd: dir,
    env: cleanEnv(),
  });
  const proxy = new GrpcProxy(address, metricsUrl, dir, proc);
  const exited = new AbortController();
  void proc.exited.then((exit) =>
    exited.abort(new Error(`grpc-proxy exited (code ${exit.code}, signal ${exit.signal})\n${memberLogTail(dir)}`)),
  );
  try {
    await pollUntil(
      async () => {
        const r = await runEtcdctl(['--dial-timeout=1s', '--command-timeout=1s', 'get', '__harness/ready'], {
          endpoints: [address],
          timeoutMs: 3_000,
        });
        if (r.code !== 0) throw new Error(`etcdctl get via proxy: ${r.stderr.trim()}`);
        return true;
      },
      {
        timeoutMs: options.timeoutMs ?? 20_000,
        intervalMs: 100,
        signal: exited.signal,
        description: `grpc-proxy on ${address}`,
      },
    );
  } catch (err) {
    const tail = memberLogTail(dir);
    await proxy.stop();
    if (err instanceof Error && !err.message.includes('--- stdio.log')) err.message += `\n${tail}`;
    throw err;
  }
  return proxy;
}
