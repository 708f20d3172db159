/**
 * A topic's retention: the bounds of the window of messages kept as keys.
 * @module
 * @internal
 */
import { InvalidArgumentError } from '../errors.js';
import type { TopicRetention } from './api.js';

/** Default count bound. */
export const DEFAULT_MAX_MESSAGES = 1000;
/** Default age bound: 24 hours. */
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Shortest interval between two age sweeps of one client. */
const MIN_SWEEP_MS = 100;
/** Longest interval between two age sweeps of one client (while it publishes). */
const MAX_SWEEP_MS = 60_000;

export interface Retention {
  maxMessages: number;
  maxAgeMs: number;
  /** How far over `maxMessages` the count may go after a publish returns (besides the publishes in flight); trims are bulk deletes. */
  slack: number;
  /** Once the (estimated) count passes this, the client's trimmer checks the topic in the background: `maxMessages + ceil(slack / 2)`. */
  trimAt: number;
  /** A client sweeps the messages older than `maxAgeMs` at most this often (while it publishes): `maxAgeMs / 10` within [100 ms, 1 min]. */
  sweepEveryMs: number;
}

/** Validates `retention` and fills in the defaults. */
export function resolveRetention(retention: TopicRetention | undefined): Retention {
  if (retention !== undefined && (typeof retention !== 'object' || retention === null)) {
    throw new InvalidArgumentError('retention must be an object { maxMessages?, maxAgeMs? }');
  }
  const maxMessages = bound(retention?.maxMessages, DEFAULT_MAX_MESSAGES, 'retention.maxMessages');
  const maxAgeMs = bound(retention?.maxAgeMs, DEFAULT_MAX_AGE_MS, 'retention.maxAgeMs');
  if (maxMessages === Infinity && maxAgeMs === Infinity) {
    throw new InvalidArgumentError('retention must bound the topic: maxMessages or maxAgeMs must be finite');
  }
  const slack = maxMessages === Infinity ? 0 : Math.max(1, Math.ceil(maxMessages / 10));
  const sweepEveryMs = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(maxAgeMs / 10)));
  return { maxMessages, maxAgeMs, slack, trimAt: maxMessages + Math.ceil(slack / 2), sweepEveryMs };
}

function bound(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (value === Infinity) return Infinity;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${what} must be a positive integer or Infinity, got ${String(value)}`);
  }
  return value;
}
