/**
 * Unique key prefixes, so tests sharing one etcd never see each other's keys.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';

/**
 * A fresh key prefix `t/<label>/<random8>/`; the label is reduced to `[A-Za-z0-9_.-]`
 * (other characters become `_`, at most 40 kept), default `test`.
 *
 * @example
 * ```ts
 * uniquePrefix('lock renew'); // 't/lock_renew/3f9a0c1e/'
 * ```
 */
export function uniquePrefix(label = 'test'): string {
  const clean = label.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'test';
  return `t/${clean}/${randomBytes(4).toString('hex')}/`;
}
