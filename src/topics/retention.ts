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

export interface Retention {
  maxMessages: number;
  maxAgeMs: number;
  /** How far over `maxMessages` the count may go before a publisher trims it back (trims are bulk deletes). */
  slack: number;
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
  return { maxMessages, maxAgeMs, slack };
}

function bound(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (value === Infinity) return Infinity;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${what} must be a positive integer or Infinity, got ${String(value)}`);
  }
  return value;
}
