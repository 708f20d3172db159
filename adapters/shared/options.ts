/**
 * Checks of the numeric options the adapters take.
 *
 * @module
 * @internal
 */
import { InvalidArgumentError } from '../../src/errors.js';

/**
 * `value` when it is a non-negative number, `fallback` when it is undefined.
 *
 * @throws InvalidArgumentError naming `what` for anything else.
 */
export function nonNegative(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new InvalidArgumentError(`${what} must be a non-negative number`);
  return value;
}
