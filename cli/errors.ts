/**
 * How the CLI ends on an error: usage errors exit 2 with a hint, everything else exits 1 with
 * one clear line (never a stack trace, unless `CONCLAVE_DEBUG` is set).
 * @module
 */
import { AuthError, ConclaveError, ConnectionError } from '../src/index.js';
import { UsageError } from './options.js';

/** Exit code of a usage error (bad flags, unknown command). */
export const EXIT_USAGE = 2;
/** Exit code of any other failure (etcd unreachable, auth refused, ...). */
export const EXIT_FAILURE = 1;

/** The one-line message and exit code for `error`. */
export function describeFailure(error: unknown, endpoints?: readonly string[]): { message: string; code: number } {
  if (error instanceof UsageError) return { message: `conclave: ${error.message} (see conclave --help)`, code: EXIT_USAGE };
  const where = endpoints ? ` (${endpoints.join(', ')})` : '';
  if (error instanceof ConnectionError) return { message: `conclave: etcd is unreachable: ${error.message}`, code: EXIT_FAILURE };
  if (error instanceof AuthError) return { message: `conclave: etcd refused the credentials${where}: ${error.message}`, code: EXIT_FAILURE };
  if (error instanceof ConclaveError) return { message: `conclave: ${error.name} (${error.code}): ${error.message}`, code: EXIT_FAILURE };
  return { message: `conclave: ${error instanceof Error ? error.message : String(error)}`, code: EXIT_FAILURE };
}

/** Prints `error` as {@link describeFailure} says and sets the exit code. */
export function reportFailure(error: unknown, endpoints?: readonly string[]): void {
  const { message, code } = describeFailure(error, endpoints);
  process.stderr.write(`${message}\n`);
  if (process.env['CONCLAVE_DEBUG'] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exitCode = code;
}
