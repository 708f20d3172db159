/**
 * The typed error of double barriers, beside the core's in `src/errors.ts`.
 * @module
 */
import { ConclaveError, type ConclaveErrorOptions } from '../errors.js';

/**
 * A double barrier already holds `count` participants: the extra `enter()` is
 * refused and leaves no key behind (Go's `recipe.ErrTooManyClients`). Retryable:
 * once the current participants have left, entering may succeed.
 *
 * @example
 * ```ts
 * try { await barrier.enter() } catch (e) { if (e instanceof BarrierFullError) console.log('full, try later') }
 * ```
 */
export class BarrierFullError extends ConclaveError {
  constructor(message = 'too many participants: the double barrier is full', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'BARRIER_FULL', retryable: true, ...options });
  }
}
