/**
 * Real multi-member etcd clusters on loopback, in a fresh temp dir.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runEtcdctl, type EtcdctlOptions, type EtcdctlResult } from './etcdctl.js';
import { health, kvRoundTrip } from './gateway.js';
import { startGrpcProxy, type GrpcProxy, type GrpcProxyOptions } from './grpc-proxy.js';
import { EtcdMember, EtcdStartError, type MemberSpec } from './member.js';
import { freePorts, LOOPBACK } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { pollUntil } from './wait.js';

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  /** Number of members (default 3). */
  size?: number;
  /** Label used in member names and the temp dir name (default `'etcd'`). */
  name?: string;
  /** More etcd flags for every member, e.g. `['--max-request-bytes=4096']`. */
  extraArgs?: readonly string[];
  /** Extra environment for every member process. */
  env?: Record<string, string>;
  /** Deadline for the cluster to become healthy, in ms (default 20 000). */
  timeoutMs?: number;
}

/** Thrown by {@link EtcdCluster.leader} when no running member reports itself as leader. */
export class NoLeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoLeaderError';
  }
}

/** Options of {@link EtcdCluster.waitForLeader}. */
export interface WaitForLeaderOptions {
  /** Deadline in ms (default 20 000). */
  timeoutMs?: number;
  /** Wait for a leader other than this member (e.g. the one just killed). */
  notMember?: EtcdMember;
}

/** Options of {@link EtcdCluster.startGrpcProxy}; `endpoints` defaults to the cluster's. */
export type ClusterGrpcProxyOptions = Partial<GrpcProxyOptions>;

const HEARTBEAT_MS = 100;
const ELECTION_TIMEOUT_MS = 1_000;

/**
 * A running etcd cluster. Members keep their ports and data dirs for the cluster's lifetime;
 * {@link stop} kills every process the cluster started and removes its temp dir.
 */
export class EtcdCluster {
  /** Label given at start. */
  readonly name: string;
  /** The cluster's temp dir (one sub-dir per member). */
  readonly dir: string;
  readonly members: EtcdMember[];
  readonly #proxies: GrpcProxy[] = [];
  #stopped: Promise<void> | undefined;

  constructor(name: string, dir: string, members: EtcdMember[]) {
    this.name = name;
    this.dir = dir;
    this.members = members;
  }

  /** `127.0.0.1:<port>` client addresses, one per member. */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientAddress);
  }

  /** `http://127.0.0.1:<port>` client URLs, one per member. */
  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** `http://127.0.0.1:<port>` metrics URLs, one per member. */
  get metricsUrls(): string[] {
    return this.members.map((m) => m.metricsUrl);
  }

  /** Every PID the cluster has started (members, all generations, and grpc-proxies). */
  get startedPids(): number[] {
    return [...this.members.flatMap((m) => m.pids), ...this.#proxies.map((p) => p.pid)];
  }

  /**
   * The current leader: asks every running, unpaused member for `/v3/maintenance/status` and
   * returns the one that reports itself as leader (highest raft term if several do).
   *
   * @throws NoLeaderError when none does.
   */
  async leader(signal?: AbortSignal): Promise<EtcdMember> {
    const candidates = this.members.filter((m) => m.running && !m.paused);
    const answers = await Promise.all(
      candidates.map(async (member) => {
        try {
          const perCall = AbortSignal.timeout(1_000);
          const status = await member.status(signal ? AbortSignal.any([signal, perCall]) : perCall);
          return { member, status };
        } catch {
          return undefined;
        }
      }),
    );
    let best: { member: EtcdMember; term: bigint } | undefined;
    for (const answer of answers) {
      if (!answer || answer.status.leader === '0' || answer.status.leader !== answer.status.memberId) continue;
      if (!best || answer.status.raftTerm > best.term) best = { member: answer.member, term: answer.status.raftTerm };
    }
    if (!best) throw new NoLeaderError(`no leader among ${candidates.map((m) => m.name).join(', ') || 'no running member'}`);
    return best.member;
  }

  /** Poll {@link leader} until there is one (optionally not `notMember`), bounded in time. */
  waitForLeader(options: WaitForLeaderOptions = {}): Promise<EtcdMember> {
    return pollUntil(
      async (signal) => {
        const leader = await this.leader(signal);
        return leader === options.notMember ? undefined : leader;
      },
      { timeoutMs: options.timeoutMs ?? 20_000, description: `a leader in cluster ${this.name}` },
    );
  }

  /** The running members other than the current leader. */
  async followers(): Promise<EtcdMember[]> {
    const leader = await this.leader();
    return this.members.filter((m) => m !== leader && m.running);
  }

  /**
   * Wait until every member is running, reports `{"health":"true"}`, and a put + get + delete
   * through it works. Fails fast when a member is not running or its process exits.
   */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await Promise.all(
      this.members.map((member) =>
        pollUntil(
          async (signal) => {
            const call = (): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(2_000)]);
            if (!(await health(member.clientUrl, call()))) throw new Error(`${member.name}: /health is false`);
            await kvRoundTrip(member.clientUrl, call());
            await member.status(call());
            return true;
          },
          { timeoutMs, signal: member.exitSignal(), description: `etcd member ${member.name} to be healthy` },
        ).catch((err: unknown) => {
          if (err instanceof EtcdStartError) throw err;
          throw new EtcdStartError(`${(err as Error).message}\n${member.logTail()}`, { cause: err });
        }),
      ),
    );
  }

  /**
   * Stop every member gracefully, one at a time and the current leader first (a leader that
   * gets SIGTERM while its peers are also stopping waits ~5-7 s trying to hand over
   * leadership), then start them all again on the same data dirs and wait until healthy.
   */
  async restartAll(timeoutMs = 20_000): Promise<void> {
    for (let i = 0; i < this.members.length; i += 1) {
      const running = this.members.filter((m) => m.running);
      const next = (await this.leader().catch(() => undefined)) ?? running[0];
      if (!next) break;
      await next.stop();
    }
    await Promise.all(this.members.map((m) => m.launch()));
    await this.waitHealthy(timeoutMs);
  }

  /**
   * Start `etcd grpc-proxy` in front of this cluster (all members unless `endpoints` is given);
   * it is stopped with the cluster.
   */
  async startGrpcProxy(options: ClusterGrpcProxyOptions = {}): Promise<GrpcProxy> {
    const proxy = await startGrpcProxy({ ...options, endpoints: options.endpoints ?? this.endpoints });
    this.#proxies.push(proxy);
    return proxy;
  }

  /** Run etcdctl against this cluster's endpoints (unless `options.endpoints` is given). */
  etcdctl(args: readonly string[], options: EtcdctlOptions = {}): Promise<EtcdctlResult> {
    return runEtcdctl(args, { ...options, endpoints: options.endpoints ?? this.endpoints });
  }

  /**
   * SIGKILL every process the cluster started (proxies and members), wait for their exits, and
   * remove the temp dir (unless `CONCLAVE_KEEP_ETCD_DIRS=1`). Idempotent. (A graceful SIGTERM
   * of a whole cluster costs ~7 s: the leader waits to transfer leadership to peers that are
   * stopping too; the data is thrown away anyway.)
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await Promise.allSettled(this.#proxies.map((p) => p.stop()));
      const results = await Promise.allSettled(this.members.map((m) => m.kill()));
      await removeTempDir(this.dir);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.#stopped;
  }

  /** Same as {@link stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function isPortClash(err: unknown): boolean {
  return err instanceof Error && /address already in use/i.test(err.message);
}

async function startOnce(size: number, name: string, options: StartClusterOptions): Promise<EtcdCluster> {
  const ports = await freePorts(size * 3);
  const dir = await makeTempDir(name);
  const token = `conclave-${name}-${randomUUID()}`;
  const specs = Array.from({ length: size }, (_, i) => {
    const memberName = `${name}-${i}`;
    const at = (k: number): number => ports[i * 3 + k] as number;
    return { memberName, clientPort: at(0), peerPort: at(1), metricsPort: at(2), dir: join(dir, memberName) };
  });
  const initialCluster = specs.map((s) => `${s.memberName}=http://${LOOPBACK}:${s.peerPort}`).join(',');
  const members = await Promise.all(
    specs.map(async (s): Promise<EtcdMember> => {
      await mkdir(s.dir);
      const clientUrl = `http://${LOOPBACK}:${s.clientPort}`;
      const peerUrl = `http://${LOOPBACK}:${s.peerPort}`;
      const spec: MemberSpec = {
        name: s.memberName,
        dir: s.dir,
        clientPort: s.clientPort,
        peerPort: s.peerPort,
        metricsPort: s.metricsPort,
        env: options.env ?? {},
        args: [
          `--name=${s.memberName}`,
          `--data-dir=${join(s.dir, 'data')}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          `--initial-cluster-token=${token}`,
          `--listen-metrics-urls=http://${LOOPBACK}:${s.metricsPort}`,
          `--heartbeat-interval=${HEARTBEAT_MS}`,
          `--election-timeout=${ELECTION_TIMEOUT_MS}`,
          '--logger=zap',
          `--log-outputs=${join(s.dir, 'etcd.log')}`,
          ...(options.extraArgs ?? []),
        ],
      };
      return new EtcdMember(spec);
    }),
  );
  const cluster = new EtcdCluster(name, dir, members);
  try {
    await Promise.all(members.map((m) => m.launch()));
    await cluster.waitHealthy(options.timeoutMs ?? 20_000);
    return cluster;
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Start an etcd cluster of `size` members (default 3) on free loopback ports in a fresh temp
 * dir, and wait until every member is healthy and serves a put + get. Retries (up to 3 times,
 * with new ports) when a port was taken between allocation and bind.
 *
 * @throws EtcdStartError with the failing member's log tail.
 *
 * @example
 * ```ts
 * await using cluster = await startCluster({ size: 3 });
 * const leader = await cluster.leader();
 * await leader.kill();
 * const next = await cluster.waitForLeader({ notMember: leader });
 * ```
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  const name = options.name ?? 'etcd';
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(size, name, options);
    } catch (err) {
      if (attempt < 3 && isPortClash(err)) continue;
      throw err;
    }
  }
}

/** A one-member cluster (for demos and simple tests). */
export function startSingle(options: Omit<StartClusterOptions, 'size'> = {}): Promise<EtcdCluster> {
  return startCluster({ ...options, size: 1 });
}
