/**
 * `npm run bench`: Conclave's coalescing core side by side with etcd3 1.1.2, same run, same etcd.
 *
 * Starts a throwaway single-member etcd (test/harness/standalone.ts), runs every measurement
 * in a fresh child process (bench/worker.ts; one library per process, so RSS is its own),
 * one at a time, waits between them until etcd is back to idle (no watchers, no keep-alive
 * streams), prints a markdown report, writes it to bench/results.md, stops etcd and exits 0.
 *
 * Then the jobs and consumer-group cells (issue 15, Conclave only: `scenarios/jobs.ts`,
 * `scenarios/groups.ts`), one fresh process per cell, with their targets checked.
 *
 * Issue 14 (every path against the raw etcd limit, `scenarios/perf/`): the families of
 * `scenarios/perf/cells.ts`, each cell in a fresh process, rows and targets from `lib/targets.ts`,
 * one SVG chart per family (`bench/<family>.svg`).
 *
 * `npm run bench -- --only=watch,leases,locks,jobs,groups,raw,mutex,contended,…` runs a subset; `--tmpfs` puts etcd's data dir in
 * /dev/shm (removes disk fsync stalls, which both libraries see, from the latency tails).
 * @module
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startSingle, type EtcdMember } from '../test/harness/standalone.js';
import { combineRuns } from './lib/combine.js';
import { snapshot, WATCHERS } from './lib/metrics.js';
import { barChart, fanoutChart } from './lib/chart.js';
import { lookup, renderPerf, valueOf, type PerfResults } from './lib/report-perf.js';
import { FAMILY_CHARTS, TARGET_ROWS } from './lib/targets.js';
import type { PerfResult } from './lib/perf.js';
import { PERF_CELLS, PERF_FAMILIES, type PerfFamily } from './scenarios/perf/cells.js';
import { keyOf, renderReport, type Outcome, type Results } from './lib/report.js';
import { now, sleep } from './lib/timing.js';
import type { Side, WorkerContext } from './lib/worker-context.js';
import type { JobsGroupsInput } from './lib/report-jobs-groups.js';
import { GROUPS_CELLS, type GroupsResult } from './scenarios/groups.js';
import { JOBS_CELLS, type JobsResult } from './scenarios/jobs.js';
import type { LeaseResult } from './scenarios/leases.js';
import type { LockResult } from './scenarios/locks.js';
import type { FanoutResult } from './scenarios/watch-fanout.js';

const WATCH_NS = [1, 100, 1_000, 10_000] as const;
const LEASE_NS = [1, 100, 1_000] as const;
const LOCK_N = 1_000;
const JOBS_N = 1_000;
const GROUPS_N = 2_000;
/** etcd3 at 10,000 subscribers runs only if its 1,000 create-all took at most this long. */
const ETCD3_10K_MAX_CREATE_1K_MS = 2_000;
const WORKER_TIMEOUT_MS = 60_000;
/** Watch cells up to 1,000 subscribers run this many times (fresh processes); the report gives medians. */
const WATCH_REPEATS = 3;
/** Fields combined by max rather than median across runs. */
const COUNT_KEYS = new Set(['watchersAdded', 'streamsAdded', 'n']);

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));
const resultsPath = fileURLToPath(new URL('./results.md', import.meta.url));
const chartPath = fileURLToPath(new URL('./fanout.svg', import.meta.url));
const familyChartPath = (family: string): string => fileURLToPath(new URL(`./${family}.svg`, import.meta.url));

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Runs one measurement in a child process; bounded by `timeoutMs` (the child is killed by its PID). */
function runWorker<T>(ctx: WorkerContext, scenario: string, side: Side, n: number, timeoutMs = WORKER_TIMEOUT_MS): Promise<Outcome<T>> {
  const args = ['--import', 'tsx', workerPath, scenario, side, String(n), ctx.endpoint, ctx.metricsUrl, ctx.runId];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    // Processes the cell started (etcd, grpc-proxy, child clients) are reported as `child-pid <pid>`:
    // killed by PID once the cell is over, in case it died (or was killed) before stopping them.
    const killLeftovers = (): void => {
      for (const m of out.matchAll(/^child-pid (\d+)$/gm)) {
        try {
          process.kill(Number(m[1]), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      err = (err + chunk).slice(-4000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killLeftovers();
      if (timedOut) {
        resolve({ ok: false, reason: `timed out (> ${timeoutMs / 1000} s)` });
        return;
      }
      const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      if (!line) {
        const cause = /^\w*Error\b.*$/m.exec(err)?.[0] ?? err.trim().split('\n')[0] ?? '';
        resolve({ ok: false, reason: `crashed (exit code ${code}, signal ${signal})${cause ? `: ${cause.slice(0, 160)}` : ''}` });
        return;
      }
      const parsed = JSON.parse(line) as T & { error?: string };
      resolve(parsed.error !== undefined ? { ok: false, reason: `error: ${parsed.error}` } : { ok: true, value: parsed });
    });
  });
}

/** Waits (bounded) until the previous worker's watchers and keep-alive streams are gone from etcd. */
async function settle(member: EtcdMember): Promise<void> {
  const deadline = now() + 15_000;
  for (;;) {
    const s = await snapshot(member.metricsUrl);
    if (s.get(WATCHERS) === 0 && s.openStreams('LeaseKeepAlive') === 0 && s.openStreams('Watch') === 0) return;
    if (now() > deadline) {
      log(`etcd not idle after 15 s (watchers ${s.get(WATCHERS)}, keep-alive streams ${s.openStreams('LeaseKeepAlive')}); going on`);
      return;
    }
    await sleep(100);
  }
}

/** `x` with `digits` decimals, or `–` when it is not a finite number (JSON turns NaN into null). */
function f(x: unknown, digits = 1): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–';
}

function describe<T>(o: Outcome<T>, summary: (v: T) => string): string {
  return o.ok ? summary(o.value) : o.reason;
}

async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const wanted = (name: string): boolean => !only || only.includes(name);
  const started = now();
  const loadAtStart = loadavg()[0]!;
  // --tmpfs: etcd's data dir in /dev/shm (no fsync stalls from a shared disk); the harness puts it under os.tmpdir().
  const tmpfs = process.argv.includes('--tmpfs');
  if (tmpfs) process.env['TMPDIR'] = '/dev/shm';
  const cluster = await startSingle({ name: 'bench' });
  const member = cluster.members[0]!;
  const ctx: WorkerContext = { endpoint: member.clientAddress, metricsUrl: member.metricsUrl, runId: `bench-${Date.now().toString(36)}` };
  const watch: Results<FanoutResult> = new Map();
  const leases: Results<LeaseResult> = new Map();
  const locks: Results<LockResult> = new Map();
  const jobsGroups: JobsGroupsInput = { jobsN: JOBS_N, groupsN: GROUPS_N, jobs: new Map(), groups: new Map() };
  const perf: PerfResults = new Map();
  try {
    const etcdVersion = (await member.metrics()).match(/etcd_server_version\{server_version="([^"]+)"\}/)?.[1] ?? '?';
    log(`etcd ${etcdVersion} at ${ctx.endpoint} (pid ${member.pid})`);

    if (wanted('watch')) {
      for (const n of WATCH_NS) {
        const repeats = n <= 1_000 ? WATCH_REPEATS : 1;
        const runs: Record<Side, FanoutResult[]> = { conclave: [], etcd3: [] };
        const failures: Record<Side, string[]> = { conclave: [], etcd3: [] };
        const skipped = new Set<Side>();
        for (let rep = 1; rep <= repeats; rep++) {
          for (const side of ['conclave', 'etcd3'] as const) {
            if (side === 'etcd3' && n === 10_000) {
              const k = watch.get(keyOf('etcd3', 1_000));
              if (!k?.ok || k.value.createAllMs > ETCD3_10K_MAX_CREATE_1K_MS) {
                const why = k?.ok ? `create-all of 1,000 took ${f(k.value.createAllMs, 0)} ms > ${ETCD3_10K_MAX_CREATE_1K_MS} ms` : 'no 1,000 result';
                watch.set(keyOf(side, n), { ok: false, reason: `skipped (too slow: ${why})` });
                skipped.add(side);
                log(`watch ${side} N=${n}: skipped (${why})`);
                continue;
              }
            }
            const o = await runWorker<FanoutResult>(ctx, 'watch', side, n);
            if (o.ok) runs[side].push(o.value);
            else failures[side].push(o.reason);
            log(`watch ${side} N=${n} (run ${rep}/${repeats}): ${describe(o, (v) => `watchers +${v.watchersAdded}, create-all ${f(v.createAllMs)} ms, p50/p99 ${f(v.latency.p50)}/${f(v.latency.p99)} ms`)}`);
            await settle(member);
          }
        }
        for (const side of ['conclave', 'etcd3'] as const) {
          if (skipped.has(side)) continue;
          if (runs[side].length === 0) {
            watch.set(keyOf(side, n), { ok: false, reason: failures[side][0] ?? 'no run' });
            continue;
          }
          const value = { ...combineRuns(runs[side], COUNT_KEYS), runs: runs[side].length, failedRuns: failures[side] };
          watch.set(keyOf(side, n), { ok: true, value });
        }
      }
    }
    if (wanted('leases')) {
      for (const n of LEASE_NS) {
        for (const side of ['conclave', 'etcd3'] as const) {
          const o = await runWorker<LeaseResult>(ctx, 'leases', side, n);
          leases.set(keyOf(side, n), o);
          log(`leases ${side} N=${n}: ${describe(o, (v) => `streams ${v.streamsOpen}, ${f(v.messagesPerSecond)} msgs/s, grant-all ${f(v.grantAllMs, 0)} ms`)}`);
          await settle(member);
        }
      }
    }
    if (wanted('locks')) {
      for (const side of ['conclave', 'etcd3'] as const) {
        const o = await runWorker<LockResult>(ctx, 'locks', side, LOCK_N);
        locks.set(keyOf(side, LOCK_N), o);
        log(`locks ${side} N=${LOCK_N}: ${describe(o, (v) => `${v.mode}: leases ${v.grants}, streams ${v.streamsOpen}, ${f(v.messagesPerSecond)} msgs/s`)}`);
        await settle(member);
      }
    }
    const perfFamilies = PERF_FAMILIES.filter((family) => wanted(family));
    // The raw limit runs whenever any issue-14 family does: their targets are relative to it.
    if (perfFamilies.length > 0 && !perfFamilies.includes('raw')) perfFamilies.unshift('raw');
    // contended's first target is relative to the uncontended rate: measure it too.
    const extraCells = perfFamilies.includes('contended') && !perfFamilies.includes('mutex') ? ['mutex.uncontended.conclave'] : [];
    for (const cell of PERF_CELLS.filter((c) => perfFamilies.includes(c.family) || extraCells.includes(c.id))) {
      const o = await runWorker<PerfResult>(ctx, `perf:${cell.id}`, cell.id.endsWith('.etcd3') ? 'etcd3' : 'conclave', 1, cell.timeoutMs);
      perf.set(cell.id, o);
      log(`${cell.id}: ${describe(o, (v) => Object.entries(v.metrics).slice(0, 6).map(([k, x]) => `${k} ${f(x, 2)}`).join(', '))}`);
      await settle(member);
    }
    if (wanted('jobs')) {
      for (const cell of JOBS_CELLS) {
        const o = await runWorker<JobsResult>(ctx, `jobs.${cell}`, 'conclave', JOBS_N, 120_000);
        jobsGroups.jobs.set(cell, o);
        log(`jobs ${cell} N=${JOBS_N}: ${describe(o, (v) => `${f(v.jobsPerSecond, 0)} jobs/s, ${f(v.writesPerJob, 2)} etcd writes/job`)}`);
        await settle(member);
      }
    }
    if (wanted('groups')) {
      for (const cell of GROUPS_CELLS) {
        const o = await runWorker<GroupsResult>(ctx, `groups.${cell}`, 'conclave', GROUPS_N, 120_000);
        jobsGroups.groups.set(cell, o);
        log(`groups ${cell} N=${GROUPS_N}: ${describe(o, (v) => `${f(v.messagesPerSecond, 0)} messages/s${v.writesPerMessage === undefined ? '' : `, ${f(v.writesPerMessage, 2)} etcd writes/message`}`)}`);
        await settle(member);
      }
    }

    const header = [
      `Run ${new Date().toISOString()}: etcd ${etcdVersion} (single member, loopback, throwaway data dir ${tmpfs ? 'on tmpfs (--tmpfs)' : 'on disk'}), Node ${process.version},`,
      `${cpus().length} CPU(s) (${cpus()[0]?.model.trim() ?? '?'}), etcd3 1.1.2; every run is one fresh child process; watch cells up to`,
      `1,000 subscribers are the median of ${WATCH_REPEATS} runs (counts: the largest), the others one run;`,
      `the whole run took ${((now() - started) / 1000).toFixed(0)} s; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
      `(other work on the machine shows in tails and timings). See bench/README.md for what each column means.`,
    ].join('\n');
    const ranFamilies = PERF_FAMILIES.filter((family) => PERF_CELLS.some((c) => c.family === family && perf.has(c.id)));
    const chartLinks = new Map<PerfFamily, string>();
    const v = lookup(perf);
    for (const family of ranFamilies) {
      const groups = TARGET_ROWS.filter((r) => r.family === family && r.chart).map((r) => ({
        label: r.what,
        bars: (['conclave', 'etcd3', 'raw'] as const).filter((side) => r[side] !== undefined).map((side) => ({ series: side, value: valueOf(v, r[side]) })),
        ...(r.target?.line ? { target: r.target.line(v) } : {}),
      }));
      if (groups.length === 0) continue;
      writeFileSync(familyChartPath(family), barChart({ ...FAMILY_CHARTS[family], groups }));
      chartLinks.set(family, `./${family}.svg`);
      log(`wrote ${familyChartPath(family)}`);
    }
    const perfReport = ranFamilies.length > 0 ? renderPerf(perf, ranFamilies, chartLinks) : undefined;
    const report = renderReport({ header, watchNs: WATCH_NS, leaseNs: LEASE_NS, lockN: LOCK_N, watch, leases, locks, jobsGroups, ...(perfReport ? { perf: perfReport } : {}) });
    process.stdout.write(`${report}\n`);
    writeFileSync(resultsPath, report);
    log(`wrote ${resultsPath}`);
    if (watch.size > 0) {
      writeFileSync(chartPath, fanoutChart(watch, WATCH_NS));
      log(`wrote ${chartPath}`);
    }
  } finally {
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
