/**
 * A protected resource outside etcd that honours fencing tokens: it accepts a write only with a
 * token at least as high as the highest it has accepted, and records every decision. This is
 * what a storage service does with `lock.fencingToken` so that a holder that lost its lock
 * (paused past its TTL, partitioned) cannot overwrite the next holder's work.
 */

/** One decision of the resource. */
export interface ResourceWrite {
  token: bigint;
  holder: string;
  accepted: boolean;
}

/** See the module documentation. */
export class FencedResource {
  /** Every write attempt, in arrival order. */
  readonly log: ResourceWrite[] = [];
  #highest = -1n;

  /** The highest token accepted so far (-1 before any). */
  get highest(): bigint {
    return this.#highest;
  }

  /** Accepts (true) when `token` >= the highest accepted token; records the decision. */
  write(token: bigint, holder: string): boolean {
    const accepted = token >= this.#highest;
    if (accepted) this.#highest = token;
    this.log.push({ token, holder, accepted });
    return accepted;
  }

  /** The writes accepted, in order. */
  accepted(): ResourceWrite[] {
    return this.log.filter((w) => w.accepted);
  }
}
