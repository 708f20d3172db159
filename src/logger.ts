/**
 * The client's logger hook: `connect({ logger })` takes any object with pino/console-style
 * `debug` / `info` / `warn` / `error` methods (each optional); the client is silent without one.
 * Each call is `logger.level(fields, message)` — pino's argument order, which `console` prints too.
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/**
 * A logger: `console`, a pino or bunyan logger, or your own object.
 *
 * @example
 * ```ts
 * const client = await connect({ logger: console });            // or: logger: pino()
 * // warn { error: ConnectionError(...) } 'etcd connection lost'
 * ```
 */
export interface Logger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

/**
 * The levels a {@link Logger} may have.
 *
 * @example
 * ```ts
 * const quiet: LogLevel[] = ['warn', 'error'];
 * const logger = Object.fromEntries(quiet.map((l) => [l, console[l]])); // warnings and errors only
 * ```
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * What the SDK logs through: forwards to the user's logger, never throws (a failing logger must
 * not break a lock or a watch), and costs nothing without one.
 * @internal
 */
export class Log {
  constructor(private readonly logger?: Logger) {}

  /** True when `level` goes somewhere (to skip building fields for nothing). */
  enabled(level: LogLevel): boolean {
    return typeof this.logger?.[level] === 'function';
  }

  write(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    const fn = this.logger?.[level];
    if (typeof fn !== 'function') return;
    try {
      fn.call(this.logger, { ...fields, component: 'conclave' }, message);
    } catch {
      // a logger's own failure is not the client's
    }
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }
}

/** A silent log, for code built without a client. */
export const SILENT = new Log();

/** Refuses a `logger` option that is not an object of optional level functions. */
export function checkLogger(logger: unknown): asserts logger is Logger | undefined {
  if (logger === undefined) return;
  if (typeof logger !== 'object' || logger === null) throw new InvalidArgumentError('logger must be an object with debug/info/warn/error methods');
  const levels = logger as Record<string, unknown>;
  if (!LEVELS.some((l) => typeof levels[l] === 'function')) throw new InvalidArgumentError('logger has none of the methods debug, info, warn, error');
  for (const l of LEVELS) {
    if (levels[l] !== undefined && typeof levels[l] !== 'function') throw new InvalidArgumentError(`logger.${l} must be a function`);
  }
}
