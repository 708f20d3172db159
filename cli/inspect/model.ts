/**
 * What `conclave inspect` reports: the coordination state found in one namespace, in the JSON
 * shape the README shows under "Operating" (keys relative to `--namespace`, revisions and
 * leases as decimal strings). Extra keys beyond the contract's are allowed (rw-locks, semaphores, TTLs, ...).
 * @module
 */

/** A key held on a lease (a lock waiter, an election candidate, a semaphore key). */
export interface LeasedKey {
  key: string;
  /** Lease id, decimal. */
  lease: string;
  /** Create revision, decimal. */
  createRevision: string;
}

/** The holder of a mutex: the oldest key of the name. */
export interface LockHolder {
  key: string;
  lease: string;
  /** The holder key's create revision, decimal (what `Lock.fencingToken` is). */
  fencingToken: string;
  /** Seconds left on the holder's lease; -1 if the lease is gone, absent if not asked. */
  ttl?: number;
}

/** A mutex (Conclave's, Go's `concurrency.Mutex`, `etcdctl lock`). */
export interface LockView {
  name: string;
  holder: LockHolder;
  /** Waiters in FIFO (create-revision) order, the holder excluded. */
  waiters: LeasedKey[];
}

/** An election (Conclave's, Go's `concurrency.Election`, `etcdctl elect`). */
export interface ElectionView {
  name: string;
  leader: { key: string; value: string; lease: string; revision: string; ttl?: number };
  /** Every candidate in create-revision order, the leader first. */
  candidates: LeasedKey[];
}

/** One key of a read/write lock. */
export interface RwKey extends LeasedKey {
  mode: 'read' | 'write';
}

/** A read/write lock (Go's `recipe.RWMutex` layout). */
export interface RwLockView {
  name: string;
  holders: RwKey[];
  waiters: RwKey[];
}

/** A semaphore: its keys in create-revision order (the first `permits` hold; permits are not stored). */
export interface SemaphoreView {
  name: string;
  keys: LeasedKey[];
}

/** A queue (FIFO or priority). */
export interface QueueView {
  name: string;
  kind: 'fifo' | 'priority';
  /** Items in the queue, claimed ones included. */
  depth: number;
  /** Items claimed by a consumer (a claim marker on its session). */
  claimed: number;
  /** Delayed items not yet due (`enqueue(v, { delayMs })`). */
  delayed: number;
  /** Depth of the dead-letter queue `${name}.dead`. */
  deadLetter: number;
}

/** A consumer group of a topic. */
export interface GroupView {
  name: string;
  /** Retained messages the group has not finished. */
  lag: number;
  /** Live members. */
  members: number;
}

/** A topic. */
export interface TopicView {
  name: string;
  /** Messages retained in etcd. */
  retained: number;
  groups: GroupView[];
}

/** A registered service instance. */
export interface InstanceView {
  id: string;
  address: string;
  lease: string;
}

/** A service of the registry. */
export interface ServiceView {
  name: string;
  instances: InstanceView[];
}

/** The whole report. */
export interface InspectModel {
  locks: LockView[];
  elections: ElectionView[];
  rwlocks: RwLockView[];
  semaphores: SemaphoreView[];
  queues: QueueView[];
  topics: TopicView[];
  services: ServiceView[];
}

/** A key-value as the classifier needs it (what `client.getPrefix` returns). */
export interface RawKv {
  key: string;
  value: Uint8Array;
  createRevision: bigint;
  modRevision: bigint;
  lease: bigint;
}
