/**
 * The error of an STM that ran out of retries.
 * @module
 */
import { ConclaveError, type ConclaveErrorOptions } from '../errors.js';

/**
 * `stm()` gave up: every attempt conflicted with concurrent writes and
 * `maxRetries` re-runs were used. Nothing was committed; `retryable` (running the
 * whole `stm` again may succeed).
 *
 * @example
 * ```ts
 * try {
 *   await client.stm(increment, { maxRetries: 3 });
 * } catch (e) {
 *   if (e instanceof StmConflictError) console.log(`gave up after ${e.attempts} attempts`);
 * }
 * ```
 */
export class StmConflictError extends ConclaveError {
  /** How many times the function ran (each one conflicted). */
  readonly attempts: number;
  constructor(attempts: number, options: ConclaveErrorOptions = {}) {
    super(`stm: every one of ${attempts} attempts conflicted with concurrent writes; nothing was committed`, {
      code: 'STM_CONFLICT',
      retryable: true,
      ...options,
    });
    this.attempts = attempts;
  }
}
