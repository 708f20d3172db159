/**
 * One etcd server process of a test cluster.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { findEtcd } from './etcd-binary.js';
import { health, idToHex, memberStatus, type MemberStatus } from './gateway.js';
import { cleanEnv, ManagedProcess } from './managed-process.js';
import { fetchMetrics, parseMetrics, sumMetric } from './metrics.js';
import { LOOPBACK } from './ports.js';
import { pollUntil } from './wait.js';

/** Everything needed to (re)start one member; built by `startCluster`. */
export interface MemberSpec {
  name: string;
  /** The member's own directory (holds `data/`, `etcd.log`, `stdio.log`). */
  dir: string;
  clientPort: number;
  peerPort: number;
  metricsPort: number;
  /** The complete etcd argument list. */
  args: string[];
  /** Extra environment for the process (added to the cleaned parent environment). */
  env: Record<string, string>;
}

/** Thrown when an etcd process exits or fails to serve while the harness waits for it. */
export class EtcdStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EtcdStartError';
  }
}

function tailOf(file: string, lines: number): string {
  try {
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The last `lines` lines of a member's etcd log and stdout/stderr log. */
export function memberLogTail(dir: string, lines = 30): string {
  const stdio = tailOf(`${dir}/stdio.log`, lines);
  const log = tailOf(`${dir}/etcd.log`, lines);
  return [stdio && `--- stdio.log ---\n${stdio}`, log && `--- etcd.log ---\n${log}`].filter(Boolean).join('\n');
}

/**
 * One etcd member: a process started from a fixed argument list on a fixed data dir, so it
 * can be stopped, killed, paused and restarted. Ports and URLs never change.
 */
export class EtcdMember {
  /** The member's `--name`. */
  readonly name: string;
  /** `127.0.0.1:<client port>`, for gRPC clients. */
  readonly clientAddress: string;
  /** `http://127.0.0.1:<client port>` (also serves the HTTP gateway, /health and /metrics). */
  readonly clientUrl: string;
  /** `http://127.0.0.1:<peer port>`. */
  readonly peerUrl: string;
  /** `http://127.0.0.1:<metrics port>` (`/metrics`, `/health`). */
  readonly metricsUrl: string;
  /** The member's own directory. */
  readonly dir: string;
  /** `--data-dir`. */
  readonly dataDir: string;
  /** `--log-outputs` file (zap JSON lines); kept until the cluster is stopped. */
  readonly logFile: string;
  /** The member id in lowercase hex, once learned from `/v3/maintenance/status`. */
  id: string | undefined;
  /** Every PID this member has had, oldest first. */
  readonly pids: number[] = [];
  readonly #spec: MemberSpec;
  #process: ManagedProcess | undefined;

  constructor(spec: MemberSpec) {
    this.#spec = spec;
    this.name = spec.name;
    this.dir = spec.dir;
    this.dataDir = `${spec.dir}/data`;
    this.logFile = `${spec.dir}/etcd.log`;
    this.clientAddress = `${LOOPBACK}:${spec.clientPort}`;
    this.clientUrl = `http://${this.clientAddress}`;
    this.peerUrl = `http://${LOOPBACK}:${spec.peerPort}`;
    this.metricsUrl = `http://${LOOPBACK}:${spec.metricsPort}`;
  }

  /** PID of the current (or last) process; `undefined` before the first start. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** Whether the process is alive (a paused process is still running). */
  get running(): boolean {
    return this.#process?.running ?? false;
  }

  /** Whether the process is SIGSTOPped. */
  get paused(): boolean {
    return this.#process?.paused ?? false;
  }

  /** The last lines of this member's logs, for error messages. */
  logTail(lines = 30): string {
    return memberLogTail(this.dir, lines);
  }

  /**
   * Spawn the process (no waiting). Use {@link restart} for a stopped member.
   *
   * @throws Error when already running.
   */
  async launch(): Promise<void> {
    if (this.running) throw new Error(`member ${this.name} is already running (pid ${this.pid})`);
    const proc = await ManagedProcess.spawn(findEtcd().etcd, this.#spec.args, {
      logFile: `${this.dir}/stdio.log`,
      cwd: this.dir,
      env: cleanEnv(this.#spec.env),
    });
    this.#process = proc;
    this.pids.push(proc.pid);
  }

  /**
   * An `AbortSignal` that aborts, with an {@link EtcdStartError} carrying the log tail, when the
   * current process exits. Used to fail waits fast.
   */
  exitSignal(): AbortSignal {
    const controller = new AbortController();
    const proc = this.#process;
    if (!proc || !proc.running) {
      controller.abort(new EtcdStartError(`etcd member ${this.name} is not running\n${this.logTail()}`));
      return controller.signal;
    }
    void proc.exited.then((exit) => {
      controller.abort(
        new EtcdStartError(
          `etcd member ${this.name} (pid ${proc.pid}) exited (code ${exit.code}, signal ${exit.signal})\n${this.logTail()}`,
        ),
      );
    });
    return controller.signal;
  }

  /**
   * Wait until the process answers `/health` at all (true or false: a member without quorum
   * answers false), bounded by `timeoutMs` (default 20 s). Fails fast if the process exits.
   */
  async waitServing(timeoutMs = 20_000): Promise<void> {
    await pollUntil(
      async (signal) => {
        await health(this.clientUrl, AbortSignal.any([signal, AbortSignal.timeout(1_000)]));
        return true;
      },
      { timeoutMs, signal: this.exitSignal(), description: `etcd member ${this.name} to serve /health` },
    ).catch((err: unknown) => {
      if (err instanceof EtcdStartError) throw err;
      throw new EtcdStartError(`${(err as Error).message}\n${this.logTail()}`, { cause: err });
    });
  }

  /** GET /health on the client URL; true when etcd reports `{"health":"true"}`. */
  health(signal?: AbortSignal): Promise<boolean> {
    return health(this.clientUrl, signal);
  }

  /** `/v3/maintenance/status` of this member; also records {@link id}. */
  async status(signal?: AbortSignal): Promise<MemberStatus> {
    const status = await memberStatus(this.clientUrl, signal);
    if (status.memberId !== '0') this.id = idToHex(status.memberId);
    return status;
  }

  /**
   * Graceful stop: SIGTERM, wait up to `graceMs` (default 5 s), then SIGKILL. Resolves once the
   * exit is observed. No-op when not running.
   */
  async stop(graceMs = 5_000): Promise<void> {
    await this.#process?.stop(graceMs);
  }

  /** SIGKILL and wait for the exit event. No-op when not running. */
  async kill(): Promise<void> {
    if (this.running) await this.#process?.kill();
  }

  /**
   * Start again with the same arguments and data dir (stopping first if running), and wait
   * until it serves `/health` (which may say false while the cluster lacks quorum; use
   * `cluster.waitHealthy()` to wait for a healthy cluster).
   */
  async restart(timeoutMs = 20_000): Promise<void> {
    if (this.running) await this.stop();
    await this.launch();
    await this.waitServing(timeoutMs);
  }

  /** SIGSTOP the process: it keeps its sockets but answers nothing. */
  pause(): void {
    this.#process?.pause();
  }

  /** SIGCONT a paused process. */
  resume(): void {
    this.#process?.resume();
  }

  /** The raw Prometheus text of `GET <metricsUrl>/metrics`. */
  metrics(signal?: AbortSignal): Promise<string> {
    return fetchMetrics(this.metricsUrl, signal);
  }

  /**
   * Sum of the samples of metric `name` whose labels include `labels` (0 when none match).
   *
   * @example
   * ```ts
   * await member.metric('etcd_server_has_leader'); // 1
   * await member.metric('grpc_server_started_total', { grpc_method: 'Watch' });
   * ```
   */
  async metric(name: string, labels: Record<string, string> = {}, signal?: AbortSignal): Promise<number> {
    return sumMetric(parseMetrics(await this.metrics(signal)), name, labels);
  }
}
