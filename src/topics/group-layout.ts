/**
 * Key layout of consumer groups, inside the client's namespace. For topic `t`
 * and group `g` (both URI-encoded):
 *
 * | key | lease | value | meaning |
 * |---|---|---|---|
 * | `__topics/<t>/~groups/<g>/<member id>` | the member's session | `''` | a live member |
 * | `__groups/<t>/<g>/low` | none | revision, 20 digits | every message below it is done |
 * | `__groups/<t>/<g>/done/<rev>` | none | `ok` or `dead` | message `rev` (>= low) is done |
 * | `__groups/<t>/<g>/claims/<rev>` | the claimant's session | member id | message `rev` was reassigned to that member |
 * | `__groups/<t>/<g>/tries/<rev>` | none | JSON `{ attempts, error? }` (`error`: `{ name, message, code?, stack? }`) | deliveries of `rev` counted so far, the last error |
 *
 * Member keys live under the topic's own prefix (after the message keys,
 * which start with a digit) so that ONE watch of the topic delivers messages
 * and membership changes in revision order: every member then knows exactly
 * which members were registered when each message was published.
 * @module
 * @internal
 */
import type { JobErrorRecord } from '../kit/dead-letters.js';

/** Revisions as fixed-width decimal: byte order is numeric order (etcd compares values as bytes). */
export function padRevision(revision: bigint): string {
  return revision.toString().padStart(20, '0');
}

export interface GroupLayout {
  readonly topic: string;
  readonly group: string;
  /** Prefix of the topic's keys (messages and member keys). */
  readonly topicPrefix: string;
  /** Prefix of this group's member keys (inside {@link topicPrefix}). */
  readonly membersPrefix: string;
  /** Prefix of this group's durable state. */
  readonly statePrefix: string;
  readonly low: string;
  done(revision: bigint): string;
  claim(revision: bigint): string;
  tries(revision: bigint): string;
}

/** The layout of group `group` of topic `topic`. */
export function groupLayout(topic: string, group: string): GroupLayout {
  const t = encodeURIComponent(topic);
  const g = encodeURIComponent(group);
  const statePrefix = `__groups/${t}/${g}/`;
  return {
    topic,
    group,
    topicPrefix: `__topics/${t}/`,
    membersPrefix: `__topics/${t}/~groups/${g}/`,
    statePrefix,
    low: `${statePrefix}low`,
    done: (r) => `${statePrefix}done/${padRevision(r)}`,
    claim: (r) => `${statePrefix}claims/${padRevision(r)}`,
    tries: (r) => `${statePrefix}tries/${padRevision(r)}`,
  };
}

/** A key of the group's state, parsed. */
export type StateKey = { kind: 'low' } | { kind: 'done' | 'claims' | 'tries'; revision: bigint };

const STATE_KEY = /^(done|claims|tries)\/([0-9]{20})$/;

/** Parses a user key under `layout.statePrefix`; undefined for anything else. */
export function parseStateKey(layout: GroupLayout, key: string): StateKey | undefined {
  if (!key.startsWith(layout.statePrefix)) return undefined;
  const rest = key.slice(layout.statePrefix.length);
  if (rest === 'low') return { kind: 'low' };
  const m = STATE_KEY.exec(rest);
  if (!m) return undefined;
  return { kind: m[1] as 'done' | 'claims' | 'tries', revision: BigInt(m[2]!) };
}

/** The member id of a member key of this group, else undefined. */
export function memberIdOf(layout: GroupLayout, key: string): string | undefined {
  if (!key.startsWith(layout.membersPrefix)) return undefined;
  const id = key.slice(layout.membersPrefix.length);
  return /^[0-9a-f]{16}$/.test(id) ? id : undefined;
}

/** Parses a stored revision value (`low`); undefined when malformed. */
export function parseRevision(text: string): bigint | undefined {
  return /^[0-9]{1,20}$/.test(text) ? BigInt(text) : undefined;
}

/** A tries record. */
export interface Tries {
  attempts: number;
  /** The last handler error, as in a jobs error record. */
  error?: JobErrorRecord['error'];
}

/** Parses a tries value; a malformed one counts as no attempt (an error kept as text, as older versions did, becomes `{ name: 'Error', message }`). */
export function parseTries(text: string): Tries {
  try {
    const v = JSON.parse(text) as { attempts?: unknown; error?: unknown };
    const attempts = typeof v.attempts === 'number' && v.attempts >= 0 ? v.attempts : 0;
    const error = errorOf(v.error);
    return { attempts, ...(error ? { error } : {}) };
  } catch {
    return { attempts: 0 };
  }
}

function errorOf(v: unknown): JobErrorRecord['error'] | undefined {
  if (typeof v === 'string') return { name: 'Error', message: v };
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.name !== 'string' || typeof e.message !== 'string') return undefined;
  return { name: e.name, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}), ...(typeof e.stack === 'string' ? { stack: e.stack } : {}) };
}
