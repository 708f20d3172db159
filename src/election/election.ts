/**
 * Leader election with the algorithm and key layout of etcd's Go
 * `concurrency.Election` (and so of `etcdctl elect`): each candidate puts
 * `${name}/${leaseIdHex}` = its proposal on the client's shared session
 * lease; the leader is the key with the smallest create revision; a candidate
 * waits only for the delete of its immediate predecessor. Campaigns of one
 * name inside one client share the session key, so they queue locally, FIFO
 * (with mutexes of the same name, which would share the key too). Candidates
 * of longer names under the same prefix (election `${name}/x`) are not
 * candidates here (see `../locks/own-keys.ts`).
 * @module
 * @internal
 */
import type { Observable } from 'rxjs';
import { hex, toBytes } from '../bytes.js';
import type { ConclaveClient } from '../client.js';
import { localQueueFor } from '../locks/local-queue.js';
import { firstKeys, storedKey, storedPrefix } from '../locks/lock-keys.js';
import { isOwnKey, ownKeys, SESSION_SUFFIX, shapeOf } from '../locks/own-keys.js';
import { enqueueSessionKey, waitForTurn, type QueuedKey } from '../locks/session-key.js';
import type { SessionImpl } from '../core/session.js';
import { checkWaitOptions, WaitScope } from '../locks/wait-scope.js';
import type { Bytes, Rev, WaitOptions } from '../types.js';
import type { Election, LeadOptions, Leader, Leadership } from './api.js';
import { checkSize, checkValue, NAME_COPIES } from '../validate.js';
import { lead } from './lead.js';
import { LeadershipImpl } from './leadership.js';
import { leaderStream, toLeader } from './leader-stream.js';

/**
 * The newest fencing token a term of each session key had (per session, by stored key in hex).
 * A leftover key of a term whose resign failed still has that token: it must not be reused.
 */
const issuedTokens = new WeakMap<SessionImpl, Map<string, Rev>>();

function lastToken(queued: QueuedKey): Rev | undefined {
  return issuedTokens.get(queued.session)?.get(hex(queued.key));
}

function recordToken(queued: QueuedKey): void {
  let tokens = issuedTokens.get(queued.session);
  if (!tokens) issuedTokens.set(queued.session, (tokens = new Map()));
  tokens.set(hex(queued.key), queued.revision);
}

class ElectionImpl implements Election {
  readonly leader$: Observable<Leader | undefined>;

  constructor(
    private readonly client: ConclaveClient,
    private readonly name: string,
  ) {
    this.leader$ = leaderStream(client, name);
  }

  async campaign(value: string | Bytes, opts: WaitOptions = {}): Promise<Leadership> {
    checkValue(value);
    checkWaitOptions(opts);
    const bytes = toBytes(value);
    // The key is `${name}/` + at most 16 hex digits.
    checkSize(storedKey(this.client, `${this.name}/ffffffffffffffff`), bytes, this.client.core.maxRequestBytes, { key: NAME_COPIES });
    this.client.core.checkOpen();
    const scope = new WaitScope(opts);
    try {
      const slot = await localQueueFor(this.client, `${this.name}/`).take(scope.signal);
      try {
        // Go reuses a leftover key of the session (its value proclaimed); but a key left by an earlier
        // term (a resign whose delete failed) carries that term's token: create it anew so tokens increase.
        let queued = await enqueueSessionKey(this.client, this.name, bytes, 'reuse');
        const last = lastToken(queued);
        if (last !== undefined && queued.revision <= last) queued = await enqueueSessionKey(this.client, this.name, bytes, 'recreate');
        await waitForTurn(this.client, this.name, queued, scope);
        recordToken(queued);
        return new LeadershipImpl({ client: this.client, session: queued.session, storedKey: queued.key, revision: queued.revision, slot });
      } catch (error) {
        slot.release();
        throw error;
      }
    } finally {
      scope.dispose();
    }
  }

  lead(value: string | Bytes, work: (term: Leadership) => Promise<void> | void, opts?: LeadOptions): Promise<void> {
    return lead(this.client, this, this.name, value, work, opts);
  }

  async leader(): Promise<Leader | undefined> {
    const { core } = this.client;
    core.checkOpen();
    const first = firstKeys(storedPrefix(this.client, `${this.name}/`), 1, false);
    const res = await core.transport.range(first);
    core.observe(res.header);
    const shape = shapeOf(first, SESSION_SUFFIX);
    // The oldest key under `${name}/` may be a candidate of a longer name (`${name}/x`): look past it.
    const kv = res.kvs[0] && !isOwnKey(shape, res.kvs[0].key) ? (await ownKeys(this.client, first, shape, 1))[0] : res.kvs[0];
    return kv && toLeader(this.client, kv);
  }
}

/**
 * An election named `name`, compatible with Go's `concurrency.NewElection(s, name)` and `etcdctl elect name`.
 *
 * @example
 * ```ts
 * const election = client.election('scheduler');
 * election.leader$.subscribe((l) => console.log('leader:', l && new TextDecoder().decode(l.value)));
 * const term = await election.campaign('node-a');   // resolves when elected
 * term.signal.addEventListener('abort', () => stopWork());
 * ```
 */
export function createElection(client: ConclaveClient, name: string): Election {
  return new ElectionImpl(client, name);
}
