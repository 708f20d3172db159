/**
 * `conclave inspect`'s classifier: the raw key-values of a namespace in, the report out. Pure:
 * it reads only what it is given (plus the lease TTLs, when known), so it is unit-tested with
 * hand-made keys.
 *
 * | key (relative to the namespace) | lease | value | is |
 * |---|---|---|---|
 * | `<name>/<own lease id, hex>` | yes | empty | a mutex key (Go, etcdctl, Conclave) |
 * | `<name>/<own lease id, hex>` | yes | non-empty | an election candidate |
 * | `<name>/read/<nanos>`, `<name>/write/<nanos>` | yes | empty | a read/write lock key |
 * | `<name>/waiters/<nanos>` | yes | empty | a double-barrier participant (not reported) |
 * | `<name>/<nanos>` | yes | empty | a semaphore key |
 * | `<name>/<nanos>` | no | any | a FIFO queue item |
 * | `<name>/%05d/%016d` | no | any | a priority queue item |
 * | `__claims/<enc name>/<item suffix>` | yes | token | a claimed item |
 * | `__jobs/<enc name>/d/<due>/<nanos>` | no | item | a delayed item |
 * | `__topics/<enc name>/<ms>-<hex>` | no | message | a retained message |
 * | `__topics/<enc name>/~groups/<enc group>/<id>` | yes | empty | a live group member |
 * | `__groups/<enc topic>/<enc group>/low`, `done/<rev>` | no | | a group's progress |
 * | `__services/<enc name>/<enc id>` | yes | JSON instance | a registered instance |
 * | `__conclave/...` | | | the clients' own bookkeeping (not reported) |
 * @module
 */
import type { InspectModel, QueueView, RawKv, ServiceView, TopicView } from './model.js';
import { DELAYED, MEMBER, MESSAGE, NANOS, PRIORITY_ITEM, byName, decodeName, isSessionKey, listIn, splitLast } from './keys.js';
import { locksAndElections, rwLocks, semaphores } from './locks.js';

interface QueueCounts {
  kind: 'fifo' | 'priority';
  items: Set<string>;
  claims: Set<string>;
  delayed: number;
}

interface TopicState {
  messages: bigint[];
  members: Map<string, number>;
  low: Map<string, bigint>;
  done: Map<string, Set<bigint>>;
}

/** Everything collected in one pass over the keys. */
class Collected {
  readonly session = new Map<string, RawKv[]>();
  readonly rw = new Map<string, Array<RawKv & { mode: 'read' | 'write' }>>();
  readonly sem = new Map<string, RawKv[]>();
  readonly queues = new Map<string, QueueCounts>();
  readonly topics = new Map<string, TopicState>();
  readonly services = new Map<string, ServiceView>();

  queue(name: string, kind?: 'fifo' | 'priority'): QueueCounts {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = { kind: kind ?? 'fifo', items: new Set(), claims: new Set(), delayed: 0 }));
    if (kind) q.kind = kind;
    return q;
  }

  topic(name: string): TopicState {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = { messages: [], members: new Map(), low: new Map(), done: new Map() }));
    return t;
  }
}

/** A service instance's JSON value (`{ id, address, metadata }`), else undefined. */
function instanceOf(value: Uint8Array): { id: string; address: string } | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(value)) as { id?: unknown; address?: unknown } | null;
    return v && typeof v.id === 'string' && typeof v.address === 'string' ? { id: v.id, address: v.address } : undefined;
  } catch {
    return undefined;
  }
}

/** The priority queue's per-priority sequence bookkeeping, `__${name}/%05d` (Go's `newSequentialKV`). */
const SEQUENCE_KEY = /^__.*\/[0-9]{5}$/;

const GROUP_STATE = /^__groups\/([^/]+)\/([^/]+)\/(low|done\/([0-9]{20}))$/;

function internal(c: Collected, kv: RawKv): boolean {
  const parts = kv.key.split('/');
  const [root, encName] = parts;
  if (encName === undefined) return false;
  const rest = parts.slice(2).join('/');
  switch (root) {
    case '__services': {
      const instance = instanceOf(kv.value);
      if (!instance) return true;
      let service = c.services.get(decodeName(encName));
      if (!service) c.services.set(decodeName(encName), (service = { name: decodeName(encName), instances: [] }));
      service.instances.push({ id: instance.id, address: instance.address, lease: kv.lease.toString() });
      return true;
    }
    case '__topics': {
      const topic = c.topic(decodeName(encName));
      const member = MEMBER.exec(rest);
      if (MESSAGE.test(rest)) topic.messages.push(kv.modRevision);
      else if (member) topic.members.set(decodeName(member[1]!), (topic.members.get(decodeName(member[1]!)) ?? 0) + 1);
      return true;
    }
    case '__groups': {
      const m = GROUP_STATE.exec(kv.key);
      if (!m) return true;
      const topic = c.topic(decodeName(m[1]!));
      const group = decodeName(m[2]!);
      if (m[4] === undefined) {
        const low = new TextDecoder().decode(kv.value);
        if (/^[0-9]{1,20}$/.test(low)) topic.low.set(group, BigInt(low));
      } else {
        let done = topic.done.get(group);
        if (!done) topic.done.set(group, (done = new Set()));
        done.add(BigInt(m[4]));
      }
      return true;
    }
    case '__conclave': // the client's own bookkeeping (session markers)
      return true;
    case '__claims':
      c.queue(decodeName(encName)).claims.add(rest);
      return true;
    case '__jobs':
      if (parts[2] === 'd' && DELAYED.test(parts.slice(3).join('/'))) c.queue(decodeName(encName)).delayed++;
      return true;
    default:
      return false;
  }
}

function generic(c: Collected, kv: RawKv): void {
  const split = splitLast(kv.key);
  if (!split) return;
  const { name, last } = split;
  if (isSessionKey(kv, last)) {
    listIn(c.session, name).push(kv);
    return;
  }
  const priority = kv.lease === 0n ? PRIORITY_ITEM.exec(kv.key) : null;
  if (priority && priority[1] !== '') {
    c.queue(priority[1]!, 'priority').items.add(`${priority[2]}/${priority[3]}`);
    return;
  }
  if (!NANOS.test(last)) return;
  if (kv.lease === 0n) {
    c.queue(name).items.add(last);
    return;
  }
  if (kv.value.length !== 0) return;
  const parent = splitLast(name);
  if (parent && (parent.last === 'read' || parent.last === 'write')) {
    listIn(c.rw, parent.name).push({ ...kv, mode: parent.last });
  } else if (parent?.last !== 'waiters') {
    listIn(c.sem, name).push(kv);
  }
}

function queuesOf(c: Collected): QueueView[] {
  const out: QueueView[] = [];
  for (const [name, q] of c.queues) {
    let claimed = 0;
    for (const suffix of q.claims) if (q.items.has(suffix)) claimed++;
    out.push({ name, kind: q.kind, depth: q.items.size, claimed, delayed: q.delayed, deadLetter: c.queues.get(`${name}.dead`)?.items.size ?? 0 });
  }
  return out.filter((q) => q.depth + q.delayed + q.deadLetter > 0 || q.claimed > 0).sort(byName);
}

function topicsOf(c: Collected): TopicView[] {
  const out: TopicView[] = [];
  for (const [name, t] of c.topics) {
    const groups = new Set([...t.members.keys(), ...t.low.keys(), ...t.done.keys()]);
    out.push({
      name,
      retained: t.messages.length,
      groups: [...groups].sort().map((group) => {
        const low = t.low.get(group) ?? 0n;
        const done = t.done.get(group);
        const lag = t.messages.filter((rev) => rev >= low && !done?.has(rev)).length;
        return { name: group, lag, members: t.members.get(group) ?? 0 };
      }),
    });
  }
  return out.sort(byName);
}

/**
 * Classifies the key-values of a namespace (keys relative to it). `ttls` maps a lease id
 * (decimal) to its seconds left, for the holders and leaders.
 *
 * @example
 * ```ts
 * const model = classify(await client.getPrefix(''));
 * model.locks[0]?.holder.fencingToken; // '1234'
 * ```
 */
export function classify(kvs: readonly RawKv[], ttls: ReadonlyMap<string, number> = new Map()): InspectModel {
  const c = new Collected();
  for (const kv of kvs) {
    if (kv.key.startsWith('__') && (internal(c, kv) || SEQUENCE_KEY.test(kv.key))) continue;
    generic(c, kv);
  }
  const { locks, elections } = locksAndElections(c.session);
  for (const lock of locks) {
    const ttl = ttls.get(lock.holder.lease);
    if (ttl !== undefined) lock.holder.ttl = ttl;
  }
  for (const election of elections) {
    const ttl = ttls.get(election.leader.lease);
    if (ttl !== undefined) election.leader.ttl = ttl;
  }
  const services = [...c.services.values()].sort(byName);
  for (const s of services) s.instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { locks, elections, rwlocks: rwLocks(c.rw), semaphores: semaphores(c.sem), queues: queuesOf(c), topics: topicsOf(c), services };
}
