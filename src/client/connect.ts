/**
 * `connect()`: validates options, builds the transport, waits for the
 * cluster to answer, and returns a client.
 * @module
 */
import { toBytes } from '../bytes.js';
import { Core } from '../core/core.js';
import { Namespace } from '../core/namespace.js';
import { parseEndpoints } from '../endpoints.js';
import { ConclaveError, ConnectionError, InvalidArgumentError, abortErrorOf, throwIfAborted } from '../errors.js';
import { Log, checkLogger } from '../logger.js';
import { resolveTelemetry } from '../telemetry/load.js';
import type { Transport, TransportOptions } from '../transport/index.js';
import type { Conclave, ConnectOptions, TransportName } from './api.js';
import { DEFAULT_MAX_REQUEST_BYTES, MAX_TIMER_MS, checkPositiveInt, checkPrefix, checkSignal, checkWellFormed } from '../validate.js';
import { ConclaveClient, MAX_TTL_SECONDS } from './client.js';

/**
 * Builds a transport from resolved options.
 *
 * @example
 * ```ts
 * const factory: TransportFactory = (options) => createGrpcTransport({ ...options, callTimeoutMs: 3000 });
 * const client = await connect({ transport: factory({ endpoints: ['127.0.0.1:2379'] }) });
 * ```
 */
export type TransportFactory = (options: TransportOptions) => Transport;

export const DEFAULT_ENDPOINT = '127.0.0.1:2379';
export const DEFAULT_DIAL_TIMEOUT_MS = 5000;

/** The endpoints to use: the option, else `CONCLAVE_ENDPOINTS`, else the default. */
export function resolveEndpoints(endpoints: string[] | undefined): string[] {
  if (endpoints !== undefined) return endpoints;
  const env = environment('CONCLAVE_ENDPOINTS');
  if (env && env.trim() !== '') return env.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return [DEFAULT_ENDPOINT];
}

/** An environment variable where the runtime has them (Node, Deno, Bun); none in browsers. */
function environment(name: string): string | undefined {
  const runtime = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return runtime?.env?.[name];
}

/**
 * Connects with the given transport factories (the package root binds the
 * built-in adapters). Resolves once the cluster answered.
 */
export async function connectWith(
  options: ConnectOptions,
  factories: Partial<Record<TransportName, TransportFactory>>,
): Promise<Conclave> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  checkSignal(options.signal);
  throwIfAborted(options.signal);
  const endpoints = resolveEndpoints(options.endpoints);
  parseEndpoints(endpoints);
  const namespace = options.namespace ?? '';
  checkPrefix(namespace, 'namespace');
  const sessionTtlSeconds = options.sessionTtlSeconds ?? 10;
  checkPositiveInt(sessionTtlSeconds, 'sessionTtlSeconds', MAX_TTL_SECONDS);
  const dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  checkPositiveInt(dialTimeoutMs, 'dialTimeoutMs', MAX_TIMER_MS);
  if (options.auth !== undefined) {
    const { username, password } = options.auth as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
      throw new InvalidArgumentError('auth must be { username: non-empty string, password: string }');
    }
    for (const [what, text] of [['auth.username', username], ['auth.password', password]] as const) checkWellFormed(text, what);
  }

  if (options.telemetry !== undefined && typeof options.telemetry !== 'boolean' && (typeof options.telemetry !== 'object' || options.telemetry === null)) {
    throw new InvalidArgumentError('telemetry must be a boolean or { meterProvider?, tracerProvider? }');
  }
  checkLogger(options.logger);
  const telemetry = await resolveTelemetry(options.telemetry);
  const transport = makeTransport(options, factories, { endpoints, auth: options.auth, tls: options.tls, dialTimeoutMs, logger: options.logger });
  const core = new Core({
    transport,
    root: new Namespace(toBytes(namespace)),
    sessionTtlSeconds,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    telemetry,
    log: new Log(options.logger),
  });
  const deadline = AbortSignal.timeout(dialTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    await core.transport.status({ signal }); // its header reaches the core through the observed transport
  } catch (error) {
    await core.close().catch(() => undefined);
    if (options.signal?.aborted) throw abortErrorOf(options.signal);
    if (deadline.aborted) {
      throw new ConnectionError(`etcd at ${endpoints.join(', ')} did not answer within ${dialTimeoutMs} ms`, { cause: error });
    }
    if (error instanceof ConclaveError) throw error;
    throw new ConnectionError(`cannot connect to etcd at ${endpoints.join(', ')}`, { cause: error });
  }
  return new ConclaveClient(core, core.root);
}

function makeTransport(
  options: ConnectOptions,
  factories: Partial<Record<TransportName, TransportFactory>>,
  resolved: TransportOptions,
): Transport {
  const choice = options.transport ?? 'grpc';
  if (typeof choice === 'object' && choice !== null) return choice;
  const factory = typeof choice === 'string' ? factories[choice] : undefined;
  if (!factory) {
    throw new InvalidArgumentError(`unknown transport ${JSON.stringify(choice)}; expected one of ${Object.keys(factories).join(', ')} or a Transport`);
  }
  return factory(resolved);
}
