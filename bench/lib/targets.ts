/**
 * Issue 14's targets as data, in one place: every row of the issue-14 report (what is measured,
 * where each column's number comes from, its target and how it is checked) and the rows each
 * family's chart shows. Targets are printed with ✓/✗ by the bench; they are never timed
 * assertions in tests.
 *
 * A value is `'<cell id>:<metric>'` (a cell of `scenarios/perf/cells.ts`) or a function of the
 * lookup. A missing or failed cell gives NaN, and a target that needs it shows `?`.
 *
 * @example
 * ```ts
 * const row = TARGET_ROWS.find((r) => r.what.startsWith('uncontended'));
 * row.target?.met(lookup); // true, false or undefined (not measured)
 * ```
 * @module
 */
import type { PerfFamily } from '../scenarios/perf/cells.js';

/** Reads a measured number: `n('mutex.uncontended.conclave:cyclesPerSecond')`, NaN when absent. */
export interface Lookup {
  n(ref: string): number;
  /** A note of a cell (`note('mutex.uncontended.conclave', 'rpcs')`), '' when absent. */
  note(cell: string, name: string): string;
}

export type Value = string | ((v: Lookup) => number);

export interface Target {
  /** The target in words, with its threshold from this run where it has one. */
  text(v: Lookup): string;
  /** Met, missed, or undefined when a number it needs is missing. */
  met(v: Lookup): boolean | undefined;
  /** The threshold drawn on the chart (same unit as the row), when there is one. */
  line?(v: Lookup): number;
}

export interface TargetRow {
  family: PerfFamily;
  what: string;
  conclave?: Value;
  etcd3?: Value;
  /** The raw etcd limit (or floor / bare node) measured in the same run. */
  raw?: Value;
  /** Decimals shown (default: 0 over 100, 1 over 10, else 2). */
  digits?: number;
  target?: Target;
  /** A cell whose `rpcs` note is shown under the row (RPCs by method). */
  rpcNote?: string;
  /** Shown in this family's chart. */
  chart?: boolean;
}

/** Title and unit of each family's chart (its `chart: true` rows share the unit). */
export const FAMILY_CHARTS: Record<PerfFamily, { title: string; unit: string; log?: boolean }> = {
  raw: { title: 'Raw etcd limit (etcd3 KV stubs)', unit: 'ops/s' },
  mutex: { title: 'Uncontended mutex: acquire+release cycles/s', unit: 'cycles/s' },
  contended: { title: 'Mutex, 10 contenders: wait (ms)', unit: 'ms', log: true },
  rwlock: { title: 'RW-lock, 8 readers + 2 writers in 10 clients (ms)', unit: 'ms', log: true },
  semaphore: { title: 'Semaphore (3 permits), 10 contenders in 10 clients (ms)', unit: 'ms', log: true },
  election: { title: 'Election: resign handover (ms)', unit: 'ms', log: true },
  resume: { title: 'Watch resume after an etcd restart (ms)', unit: 'ms', log: true },
  topics: { title: 'Topic publish: msgs/s', unit: 'msgs/s' },
  queues: { title: 'Queues, 4 consumers: items/s', unit: 'items/s' },
  memory: { title: 'Memory: process RSS (MB)', unit: 'MB' },
  proxy: { title: '20 processes × 500 subscribers on one key: put→all p99 (ms)', unit: 'ms', log: true },
};

/** The write round trip of this run: mean latency of one-at-a-time puts. */
const RTT = 'raw.put1.raw:rttMean';
const fmt = (x: number): string => (!Number.isFinite(x) ? '–' : Number.isInteger(x) ? x.toLocaleString('en-US') : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const known = (...xs: number[]): boolean => xs.every((x) => Number.isFinite(x));

/** `ref ≥ factor × base` (base a Value). */
function atLeast(ref: string, factor: number, base: Value, baseName: string): Target {
  const b = (v: Lookup): number => (typeof base === 'string' ? v.n(base) : base(v));
  return {
    text: (v) => `≥ ${Math.round(factor * 100)} % of ${baseName} (${fmt(factor * b(v))})`,
    met: (v) => (known(v.n(ref), b(v)) ? v.n(ref) >= factor * b(v) : undefined),
    line: (v) => factor * b(v),
  };
}

/** `ref ≤ limit`. */
function atMost(ref: string, limit: number | ((v: Lookup) => number), text: string): Target {
  const l = (v: Lookup): number => (typeof limit === 'number' ? limit : limit(v));
  return {
    text: (v) => (typeof limit === 'number' ? text : `${text} (${fmt(l(v))})`),
    met: (v) => (known(v.n(ref), l(v)) ? v.n(ref) <= l(v) : undefined),
    line: l,
  };
}

/** One etcd write (revision) per message, sent as one write call (a Put, or a txn that also carries the trim); reads are not writes. */
function oneWritePerMessage(cell: string): Target {
  const calls = (v: Lookup): number => ['Put', 'Txn', 'DeleteRange'].reduce((sum, m) => sum + (v.n(`${cell}:rpc.${m}`) || 0), 0);
  return {
    text: () => '1 write per message (a Put, or a txn carrying the trim): revisions and write calls ≤ 1.01',
    met: (v) => (known(v.n(`${cell}:writesPerOp`)) ? v.n(`${cell}:writesPerOp`) <= 1.01 && calls(v) <= 1.01 : undefined),
  };
}

/** Rows for a wait: handover ≤ 2 round trips and no 100 ms mode. */
function handoverRows(family: PerfFamily, cell: string, label: string, etcd3?: string): TargetRow[] {
  return [
    {
      family,
      what: `${label}: handover p50 ms (grant − the release it waited for)`,
      conclave: `${cell}:handoverP50`,
      ...(etcd3 ? { etcd3: `${etcd3}:handoverP50` } : {}),
      raw: RTT,
      target: atMost(`${cell}:handoverP50`, (v) => 2 * v.n(RTT), '≤ 2 round trips (2 × raw write round trip)'),
    },
    {
      family,
      what: `${label}: handover p99 ms / handovers ≥ 100 ms`,
      conclave: `${cell}:handoverP99`,
      ...(etcd3 ? { etcd3: `${etcd3}:handoverP99` } : {}),
      target: {
        text: (v) => `no 100 ms mode: 0 of ${fmt(v.n(`${cell}:handoverSamples`))} handovers ≥ 100 ms (here ${fmt(v.n(`${cell}:handoversOver100ms`))})`,
        met: (v) => (known(v.n(`${cell}:handoversOver100ms`)) ? v.n(`${cell}:handoversOver100ms`) === 0 : undefined),
      },
    },
  ];
}

/** Every row of the issue-14 report, family by family. */
export const TARGET_ROWS: readonly TargetRow[] = [
  { family: 'raw', what: 'put+delete pairs/s, one at a time', raw: 'raw.pairs.raw:pairsPerSecond', chart: true },
  { family: 'raw', what: 'lock-shaped txn pairs/s (acquire txn + guarded delete), one at a time', raw: 'raw.txnPairs.raw:pairsPerSecond', chart: true },
  { family: 'raw', what: 'fresh client: lease grant then one txn, p50 ms', raw: 'raw.first.raw:firstP50' },
  { family: 'raw', what: 'put/s, 1 in flight', raw: 'raw.put1.raw:putsPerSecond', chart: true },
  { family: 'raw', what: 'put/s, 64 in flight', raw: 'raw.put64.raw:putsPerSecond', chart: true },
  { family: 'raw', what: 'write round trip ms: mean of one-at-a-time puts (the unit of the round-trip targets)', raw: RTT },
  { family: 'raw', what: 'put latency p50 ms (1 in flight)', raw: 'raw.put1.raw:rttP50' },
  { family: 'raw', what: 'put latency p99 ms (1 in flight)', raw: 'raw.put1.raw:rttP99' },

  {
    family: 'mutex',
    what: 'uncontended mutex cycles/s (raw: put+delete pairs/s)',
    conclave: 'mutex.uncontended.conclave:cyclesPerSecond',
    etcd3: 'mutex.uncontended.etcd3:cyclesPerSecond',
    raw: 'raw.pairs.raw:pairsPerSecond',
    target: atLeast('mutex.uncontended.conclave:cyclesPerSecond', 0.9, 'raw.pairs.raw:pairsPerSecond', 'raw pairs'),
    chart: true,
  },
  {
    family: 'mutex',
    what: 'uncontended mutex cycles/s vs the same two txns sent raw (raw: lock-shaped txn pairs/s)',
    conclave: 'mutex.uncontended.conclave:cyclesPerSecond',
    raw: 'raw.txnPairs.raw:pairsPerSecond',
  },
  {
    family: 'mutex',
    what: 'RPCs per uncontended acquire+release (raw: per pair)',
    conclave: 'mutex.uncontended.conclave:rpcsPerOp',
    etcd3: 'mutex.uncontended.etcd3:rpcsPerOp',
    raw: 'raw.pairs.raw:rpcsPerOp',
    target: atMost('mutex.uncontended.conclave:rpcsPerOp', 2, '≤ 2 (1 txn to acquire, 1 to release)'),
    rpcNote: 'mutex.uncontended.conclave',
  },
  { family: 'mutex', what: 'first lock of a fresh client: p50 ms (raw: write round trip)', conclave: 'mutex.first.conclave:firstLockP50', etcd3: 'mutex.first.etcd3:firstLockP50', raw: RTT },
  {
    family: 'mutex',
    what: 'first lock of a fresh client: round trips (p50 ÷ raw write round trip)',
    conclave: (v) => v.n('mutex.first.conclave:firstLockP50') / v.n(RTT),
    etcd3: (v) => v.n('mutex.first.etcd3:firstLockP50') / v.n(RTT),
    target: { text: () => '≤ 2 round trips', met: (v) => (known(v.n('mutex.first.conclave:firstLockP50'), v.n(RTT)) ? v.n('mutex.first.conclave:firstLockP50') / v.n(RTT) <= 2 : undefined) },
  },
  {
    family: 'mutex',
    what: "first lock of a fresh client vs a fresh etcd3 client's raw grant + txn (raw: that p50 ms)",
    conclave: 'mutex.first.conclave:firstLockP50',
    raw: 'raw.first.raw:firstP50',
  },
  { family: 'mutex', what: 'first lock of a fresh client: RPCs (by method below)', conclave: 'mutex.first.conclave:rpcs', etcd3: 'mutex.first.etcd3:rpcs', rpcNote: 'mutex.first.conclave' },

  {
    family: 'contended',
    what: '10 clients: cycles/s vs uncontended (raw: pairs/s)',
    conclave: 'contended.clients10.conclave:cyclesPerSecond',
    etcd3: 'contended.clients10.etcd3:cyclesPerSecond',
    raw: 'raw.pairs.raw:pairsPerSecond',
    target: atLeast('contended.clients10.conclave:cyclesPerSecond', 0.8, 'mutex.uncontended.conclave:cyclesPerSecond', 'uncontended Conclave'),
  },
  {
    family: 'contended',
    what: '10 clients: cycles/s vs etcd3 spinning',
    conclave: 'contended.clients10.conclave:cyclesPerSecond',
    etcd3: 'contended.clients10.etcd3:cyclesPerSecond',
    target: atLeast('contended.clients10.conclave:cyclesPerSecond', 1.5, 'contended.clients10.etcd3:cyclesPerSecond', "etcd3's rate"),
  },
  { family: 'contended', what: '10 clients: wait p50 ms', conclave: 'contended.clients10.conclave:waitP50', etcd3: 'contended.clients10.etcd3:waitP50', raw: RTT, chart: true },
  {
    family: 'contended',
    what: '10 clients: wait p99 ms',
    conclave: 'contended.clients10.conclave:waitP99',
    etcd3: 'contended.clients10.etcd3:waitP99',
    target: atMost('contended.clients10.conclave:waitP99', 40, '≤ 40 ms'),
    chart: true,
  },
  {
    family: 'contended',
    what: '10 clients: Jain fairness over per-contender grants',
    conclave: 'contended.clients10.conclave:jain',
    etcd3: 'contended.clients10.etcd3:jain',
    digits: 3,
    target: { text: () => '≥ 0.99', met: (v) => (known(v.n('contended.clients10.conclave:jain')) ? v.n('contended.clients10.conclave:jain') >= 0.99 : undefined) },
  },
  {
    family: 'contended',
    what: '10 clients: FIFO violations (a grant with a lower fencing token than the previous)',
    conclave: 'contended.clients10.conclave:fifoViolations',
    target: { text: () => '0 (still FIFO)', met: (v) => (known(v.n('contended.clients10.conclave:fifoViolations')) ? v.n('contended.clients10.conclave:fifoViolations') === 0 : undefined) },
  },
  {
    family: 'contended',
    what: '10 clients: mutual-exclusion violations (two holders at once)',
    conclave: 'contended.clients10.conclave:exclusionViolations',
    etcd3: 'contended.clients10.etcd3:exclusionViolations',
    target: { text: () => '0', met: (v) => (known(v.n('contended.clients10.conclave:exclusionViolations')) ? v.n('contended.clients10.conclave:exclusionViolations') === 0 : undefined) },
  },
  { family: 'contended', what: '10 clients: RPCs per cycle', conclave: 'contended.clients10.conclave:rpcsPerOp', etcd3: 'contended.clients10.etcd3:rpcsPerOp', rpcNote: 'contended.clients10.conclave' },
  { family: 'contended', what: '10 clients: etcd3 failed tries/s (spinning)', etcd3: 'contended.clients10.etcd3:failedTriesPerSecond' },
  ...handoverRows('contended', 'contended.clients10.conclave', '10 clients', 'contended.clients10.etcd3'),
  { family: 'contended', what: '1 client: cycles/s', conclave: 'contended.clients1.conclave:cyclesPerSecond', etcd3: 'contended.clients1.etcd3:cyclesPerSecond' },
  { family: 'contended', what: '1 client: wait p50 ms', conclave: 'contended.clients1.conclave:waitP50', etcd3: 'contended.clients1.etcd3:waitP50', chart: true },
  { family: 'contended', what: '1 client: wait p99 ms', conclave: 'contended.clients1.conclave:waitP99', etcd3: 'contended.clients1.etcd3:waitP99', chart: true },
  { family: 'contended', what: '1 client: Jain fairness', conclave: 'contended.clients1.conclave:jain', etcd3: 'contended.clients1.etcd3:jain', digits: 3 },
  { family: 'contended', what: '1 client: FIFO violations', conclave: 'contended.clients1.conclave:fifoViolations' },
  { family: 'contended', what: '1 client: RPCs per cycle', conclave: 'contended.clients1.conclave:rpcsPerOp', etcd3: 'contended.clients1.etcd3:rpcsPerOp', rpcNote: 'contended.clients1.conclave' },
  ...handoverRows('contended', 'contended.clients1.conclave', '1 client', 'contended.clients1.etcd3'),

  { family: 'rwlock', what: 'cycles/s', conclave: 'rwlock.clients10.conclave:cyclesPerSecond' },
  { family: 'rwlock', what: 'wait p50 ms', conclave: 'rwlock.clients10.conclave:waitP50', chart: true },
  { family: 'rwlock', what: 'wait p99 ms', conclave: 'rwlock.clients10.conclave:waitP99', chart: true },
  { family: 'rwlock', what: 'RPCs per cycle', conclave: 'rwlock.clients10.conclave:rpcsPerOp', rpcNote: 'rwlock.clients10.conclave' },
  {
    family: 'rwlock',
    what: 'exclusion violations (a writer with anyone else)',
    conclave: 'rwlock.clients10.conclave:exclusionViolations',
    target: { text: () => '0', met: (v) => (known(v.n('rwlock.clients10.conclave:exclusionViolations')) ? v.n('rwlock.clients10.conclave:exclusionViolations') === 0 : undefined) },
  },
  ...handoverRows('rwlock', 'rwlock.clients10.conclave', 'rw-lock'),

  { family: 'semaphore', what: 'cycles/s', conclave: 'semaphore.clients10.conclave:cyclesPerSecond' },
  { family: 'semaphore', what: 'wait p50 ms', conclave: 'semaphore.clients10.conclave:waitP50', chart: true },
  { family: 'semaphore', what: 'wait p99 ms', conclave: 'semaphore.clients10.conclave:waitP99', chart: true },
  { family: 'semaphore', what: 'Jain fairness', conclave: 'semaphore.clients10.conclave:jain', digits: 3 },
  { family: 'semaphore', what: 'RPCs per cycle', conclave: 'semaphore.clients10.conclave:rpcsPerOp', rpcNote: 'semaphore.clients10.conclave' },
  {
    family: 'semaphore',
    what: 'holders over the permits',
    conclave: 'semaphore.clients10.conclave:exclusionViolations',
    target: { text: () => '0', met: (v) => (known(v.n('semaphore.clients10.conclave:exclusionViolations')) ? v.n('semaphore.clients10.conclave:exclusionViolations') === 0 : undefined) },
  },
  ...handoverRows('semaphore', 'semaphore.clients10.conclave', 'semaphore'),

  {
    family: 'election',
    what: 'resign handover p50 ms (resign() → waiter elected)',
    conclave: 'election.resign.conclave:handoverP50',
    etcd3: 'election.resign.etcd3:handoverP50',
    raw: RTT,
    target: atMost('election.resign.conclave:handoverP50', (v) => 2 * v.n(RTT), '≤ 2 round trips (2 × raw write round trip)'),
    chart: true,
  },
  {
    family: 'election',
    what: 'resign handover p99 ms',
    conclave: 'election.resign.conclave:handoverP99',
    etcd3: 'election.resign.etcd3:handoverP99',
    target: {
      text: (v) => `no 100 ms mode: 0 of ${fmt(v.n('election.resign.conclave:rounds'))} ≥ 100 ms (here ${fmt(v.n('election.resign.conclave:handoversOver100ms'))})`,
      met: (v) => (known(v.n('election.resign.conclave:handoversOver100ms')) ? v.n('election.resign.conclave:handoversOver100ms') === 0 : undefined),
    },
    chart: true,
  },
  { family: 'election', what: 'leader process killed: takeover p50 ms (raw: the session TTL)', conclave: 'election.kill.conclave:takeoverP50', raw: 'election.kill.conclave:ttlMs' },
  { family: 'election', what: 'leader process killed: takeover max ms', conclave: 'election.kill.conclave:takeoverMax' },

  { family: 'resume', what: 'resume p50 ms (stream back or first put → delivered, per watch)', conclave: 'resume.restart.conclave:resumeP50', etcd3: 'resume.restart.etcd3:resumeP50', chart: true },
  { family: 'resume', what: 'resume p99 ms', conclave: 'resume.restart.conclave:resumeP99', etcd3: 'resume.restart.etcd3:resumeP99', chart: true },
  { family: 'resume', what: 'resume max ms', conclave: 'resume.restart.conclave:resumeMax', etcd3: 'resume.restart.etcd3:resumeMax', chart: true },
  {
    family: 'resume',
    what: 'resumes ≥ 100 ms (of all watches × restarts)',
    conclave: 'resume.restart.conclave:resumesOver100ms',
    etcd3: 'resume.restart.etcd3:resumesOver100ms',
    target: {
      text: (v) => `0 of ${fmt(v.n('resume.restart.conclave:resumeSamples'))} (no 100 ms mode)`,
      met: (v) => (known(v.n('resume.restart.conclave:resumesOver100ms')) ? v.n('resume.restart.conclave:resumesOver100ms') === 0 : undefined),
    },
  },
  { family: 'resume', what: 'reconnect p50 ms (etcd serving → first delivery)', conclave: 'resume.restart.conclave:reconnectP50', etcd3: 'resume.restart.etcd3:reconnectP50' },
  { family: 'resume', what: 'watches with no post-restart delivery within 15 s', conclave: 'resume.restart.conclave:missing', etcd3: 'resume.restart.etcd3:missing' },

  {
    family: 'topics',
    what: 'publish msgs/s, 1 in flight (etcd3: put+watch; raw: put)',
    conclave: 'topics.publish1.conclave:msgsPerSecond',
    etcd3: 'topics.publish1.etcd3:msgsPerSecond',
    raw: 'raw.put1.raw:putsPerSecond',
    target: atLeast('topics.publish1.conclave:msgsPerSecond', 0.9, 'raw.put1.raw:putsPerSecond', 'raw put'),
    chart: true,
  },
  {
    family: 'topics',
    what: 'publish msgs/s, 64 in flight',
    conclave: 'topics.publish64.conclave:msgsPerSecond',
    etcd3: 'topics.publish64.etcd3:msgsPerSecond',
    raw: 'raw.put64.raw:putsPerSecond',
    target: atLeast('topics.publish64.conclave:msgsPerSecond', 0.8, 'raw.put64.raw:putsPerSecond', 'raw put'),
    chart: true,
  },
  {
    family: 'topics',
    what: 'etcd writes per message, 1 in flight (calls by method below)',
    conclave: 'topics.publish1.conclave:writesPerOp',
    etcd3: 'topics.publish1.etcd3:writesPerOp',
    target: oneWritePerMessage('topics.publish1.conclave'),
    rpcNote: 'topics.publish1.conclave',
  },
  {
    family: 'topics',
    what: 'etcd writes per message, 64 in flight (calls by method below)',
    conclave: 'topics.publish64.conclave:writesPerOp',
    etcd3: 'topics.publish64.etcd3:writesPerOp',
    target: oneWritePerMessage('topics.publish64.conclave'),
    rpcNote: 'topics.publish64.conclave',
  },
  { family: 'topics', what: 'publish→deliver, 1 subscriber: p50 ms (raw: write round trip)', conclave: 'topics.deliver1.conclave:deliverP50', etcd3: 'topics.deliver1.etcd3:deliverP50', raw: RTT },
  { family: 'topics', what: 'publish→deliver, 1 subscriber: p99 ms', conclave: 'topics.deliver1.conclave:deliverP99', etcd3: 'topics.deliver1.etcd3:deliverP99' },
  { family: 'topics', what: 'publish→deliver, 100 subscribers: p50 ms', conclave: 'topics.deliver100.conclave:deliverP50', etcd3: 'topics.deliver100.etcd3:deliverP50' },
  { family: 'topics', what: 'publish→deliver, 100 subscribers: p99 ms', conclave: 'topics.deliver100.conclave:deliverP99', etcd3: 'topics.deliver100.etcd3:deliverP99' },

  {
    family: 'queues',
    what: 'dequeue() items/s (raw: the 2-txn floor)',
    conclave: 'queues.dequeue.conclave:itemsPerSecond',
    raw: 'queues.floor2.raw:itemsPerSecond',
    target: atLeast('queues.dequeue.conclave:itemsPerSecond', 0.7, 'queues.floor2.raw:itemsPerSecond', 'the 2-txn floor'),
    chart: true,
  },
  {
    family: 'queues',
    what: 'claim()+ack() items/s (raw: the 3-txn floor)',
    conclave: 'queues.claim.conclave:itemsPerSecond',
    raw: 'queues.floor3.raw:itemsPerSecond',
    target: atLeast('queues.claim.conclave:itemsPerSecond', 0.7, 'queues.floor3.raw:itemsPerSecond', 'the 3-txn floor'),
    chart: true,
  },
  { family: 'queues', what: 'dequeue(): Txn RPCs per item (raw: floor)', conclave: 'queues.dequeue.conclave:rpc.Txn', raw: 'queues.floor2.raw:rpc.Txn', rpcNote: 'queues.dequeue.conclave' },
  { family: 'queues', what: 'dequeue(): Txns that wrote nothing, per item (failed guards)', conclave: 'queues.dequeue.conclave:txnNoWritePerOp', raw: 'queues.floor2.raw:txnNoWritePerOp' },
  { family: 'queues', what: 'claim()+ack(): Txn RPCs per item (raw: floor)', conclave: 'queues.claim.conclave:rpc.Txn', raw: 'queues.floor3.raw:rpc.Txn', rpcNote: 'queues.claim.conclave' },
  { family: 'queues', what: 'claim()+ack(): Txns that wrote nothing, per item', conclave: 'queues.claim.conclave:txnNoWritePerOp', raw: 'queues.floor3.raw:txnNoWritePerOp' },

  {
    family: 'memory',
    what: 'idle connected client RSS MB (raw: bare node)',
    conclave: 'memory.idle.conclave:rssMb',
    etcd3: 'memory.idle.etcd3:rssMb',
    raw: 'memory.idle.node:rssMb',
    target: atMost('memory.idle.conclave:rssMb', (v) => v.n('memory.idle.etcd3:rssMb'), "≤ etcd3's"),
    chart: true,
  },
  {
    family: 'memory',
    what: '100,000 subscribers on one key: RSS MB',
    conclave: 'memory.sub100k.conclave:rssMb',
    target: atMost('memory.sub100k.conclave:rssMb', 150, '< 150 MB'),
    chart: true,
  },
  {
    family: 'memory',
    what: '100,000 subscribers on one key: put→all p99 ms (raw: 1 subscriber p99)',
    conclave: 'memory.sub100k.conclave:putAllP99',
    raw: 'memory.sub1.conclave:putAllP99',
    target: atMost('memory.sub100k.conclave:putAllP99', (v) => 2 * v.n('memory.sub1.conclave:putAllP99'), '≤ 2 × 1 subscriber'),
  },
  { family: 'memory', what: '100,000 subscribers on one key: server watchers', conclave: 'memory.sub100k.conclave:serverWatchers' },
  { family: 'memory', what: '10,000 subscribers on 10,000 keys: create ms', conclave: 'memory.keys10k.conclave:createMs', etcd3: 'memory.keys10k.etcd3:createMs' },
  { family: 'memory', what: '10,000 subscribers on 10,000 keys: RSS MB', conclave: 'memory.keys10k.conclave:rssMb', etcd3: 'memory.keys10k.etcd3:rssMb', chart: true },

  { family: 'proxy', what: 'directly: server watchers', conclave: 'proxy.direct.conclave:serverWatchers', etcd3: 'proxy.direct.etcd3:serverWatchers' },
  { family: 'proxy', what: 'through grpc-proxy: server watchers', conclave: 'proxy.proxy.conclave:serverWatchers', etcd3: 'proxy.proxy.etcd3:serverWatchers' },
  { family: 'proxy', what: 'directly: put→all p99 ms', conclave: 'proxy.direct.conclave:putAllP99', etcd3: 'proxy.direct.etcd3:putAllP99', chart: true },
  { family: 'proxy', what: 'through grpc-proxy: put→all p99 ms', conclave: 'proxy.proxy.conclave:putAllP99', etcd3: 'proxy.proxy.etcd3:putAllP99', chart: true },
  { family: 'proxy', what: 'directly: put→all p50 ms', conclave: 'proxy.direct.conclave:putAllP50', etcd3: 'proxy.direct.etcd3:putAllP50' },
  { family: 'proxy', what: 'through grpc-proxy: put→all p50 ms', conclave: 'proxy.proxy.conclave:putAllP50', etcd3: 'proxy.proxy.etcd3:putAllP50' },
  { family: 'proxy', what: 'puts not seen by all within 30 s (directly / through the proxy)', conclave: (v) => v.n('proxy.direct.conclave:failedPuts') + v.n('proxy.proxy.conclave:failedPuts'), etcd3: (v) => v.n('proxy.direct.etcd3:failedPuts') + v.n('proxy.proxy.etcd3:failedPuts') },
];
