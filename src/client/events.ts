/**
 * The EventEmitter facade of a client (`client.events`), built on
 * a small Node-compatible typed emitter over the client's Observables. Created on first use.
 * @module
 * @internal
 */
import { skip, Subscription } from 'rxjs';
import type { Core } from '../core/core.js';
import { LockLostError } from '../errors.js';
import type { ConnectionStatus } from '../types.js';
import type { Conclave } from './api.js';
import type { Leadership } from '../election/api.js';
import type { Lock } from '../locks/api.js';
import { TypedEmitter } from '../events/emitter.js';
import type { ConclaveEventMap, ConclaveEvents } from '../events/types.js';

export class ClientEvents extends TypedEmitter<ConclaveEventMap> implements ConclaveEvents {
  private readonly subscriptions = new Subscription();

  constructor(
    private readonly client: Conclave,
    private readonly core: Core,
  ) {
    super();
    // status$ replays the current status: only changes are events.
    this.subscriptions.add(this.core.connection.status$.pipe(skip(1)).subscribe((status) => this.emit('status', status)));
    this.subscriptions.add(this.core.sessionLost$.subscribe((lost) => this.emit('sessionLost', lost)));
  }

  get status(): ConnectionStatus {
    return this.core.connection.status;
  }

  followLeader(name: string): () => void {
    return this.follow(
      this.client.election(name).leader$.subscribe({
        next: (leader) => this.emit('leader', name, leader),
        error: (error: unknown) => this.emit('error', error instanceof Error ? error : new Error(String(error))),
      }),
    );
  }

  followLock(lock: Lock | Leadership): () => void {
    return this.follow(
      lock.lost$.subscribe(() => {
        const reason: unknown = lock.signal.reason;
        this.emit('lockLost', lock.key, reason instanceof Error ? reason : new LockLostError(`${lock.key} lost`));
      }),
    );
  }

  private follow(subscription: Subscription): () => void {
    if (subscription.closed) return () => {};
    this.subscriptions.add(subscription);
    return () => {
      subscription.unsubscribe();
      this.subscriptions.remove(subscription);
    };
  }
}
