/**
 * Public types of the EventEmitter facade (`client.events`), for code that
 * does not use RxJS.
 * @module
 */
import type { TypedEmitter } from './emitter.js';
import type { SessionLostError } from '../errors.js';
import type { Leader, Leadership } from '../election/api.js';
import type { Lock } from '../locks/api.js';
import type { ConnectionStatus, Rev } from '../types.js';

/**
 * A session of the client whose lease was lost (expired, revoked, or unreachable past its TTL).
 *
 * @example
 * ```ts
 * client.events.on('sessionLost', ({ lease, shared, error }) => {
 *   console.log(`lease ${lease.toString(16)} lost${shared ? ' (locks and elections with it)' : ''}: ${error.message}`);
 * });
 * ```
 */
export interface LostSessionEvent {
  /** The lost lease. */
  lease: Rev;
  /** Whether it was the client's shared session (the one of its locks, elections, barriers and registrations). */
  shared: boolean;
  error: SessionLostError;
}

/**
 * The events of {@link ConclaveEvents}, with the arguments of their listeners.
 *
 * @example
 * ```ts
 * const onLeader = (...[election, leader]: ConclaveEventMap['leader']) => console.log(election, leader?.key);
 * client.events.on('leader', onLeader);
 * ```
 */
export interface ConclaveEventMap {
  /** The connection status changed (the current one is {@link ConclaveEvents.status}). */
  status: [status: ConnectionStatus];
  /** A session of the client was lost; the locks and leaderships on it are lost too. */
  sessionLost: [lost: LostSessionEvent];
  /** The leader of a followed election (see {@link ConclaveEvents.followLeader}); `undefined` = no leader. */
  leader: [election: string, leader: Leader | undefined];
  /** A followed lock or leadership (see {@link ConclaveEvents.followLock}) was lost before it was released. */
  lockLost: [key: string, error: Error];
  /** A followed election's leader stream failed (e.g. with `CompactedError`). */
  error: [error: Error];
}

/**
 * The client's events as a typed EventEmitter (Node's `EventEmitter` shape: `events.once(client.events,
 * 'status')` works; it runs in browsers too): the connection
 * status, lost sessions, and — once followed — election leaders and lost
 * locks. Everything here is also an Observable (`status$`, `leader$`,
 * `lost$`); use whichever reads better. Listeners are called synchronously;
 * an `'error'` event with no listener is dropped (it never throws).
 *
 * @example
 * ```ts
 * client.events.on('status', (s) => console.log('etcd connection:', s.state));
 * client.events.on('sessionLost', ({ lease }) => console.log('lost lease', lease.toString(16)));
 *
 * const unfollow = client.events.followLeader('scheduler');
 * client.events.on('leader', (election, leader) => console.log(election, 'leader:', leader?.key ?? 'none'));
 *
 * const lock = await client.mutex('jobs/nightly').acquire();
 * client.events.followLock(lock);
 * client.events.on('lockLost', (key, error) => console.log('lost', key, error.message));
 * // ...
 * unfollow();
 * ```
 */
export interface ConclaveEvents extends TypedEmitter<ConclaveEventMap> {
  /** The current connection status. */
  readonly status: ConnectionStatus;
  /**
   * Emits `'leader'` with the current leader of election `name`, then on every
   * change, until the returned function is called (or the client closes).
   */
  followLeader(name: string): () => void;
  /**
   * Emits `'lockLost'` if `lock` (a lock or a leadership) is lost before it is
   * released. Returns a function that stops following it; releasing it stops too.
   */
  followLock(lock: Lock | Leadership): () => void;
}
