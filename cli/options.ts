/**
 * The flags every `conclave` command takes, and the connection they describe. Each flag falls
 * back to an environment variable: `CONCLAVE_ENDPOINTS` (as `connect()` reads it),
 * `CONCLAVE_NAMESPACE`, `CONCLAVE_TRANSPORT`, `CONCLAVE_USER`, `CONCLAVE_PASSWORD`,
 * `CONCLAVE_CACERT`, `CONCLAVE_CERT`, `CONCLAVE_KEY`.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  connect,
  createGrpcProxyTransport,
  createGrpcTransport,
  createHttpTransport,
  nodeTlsFetch,
  type Conclave,
  type TlsOptions,
  type Transport,
  type TransportOptions,
} from '../src/index.js';

/** The common flags as commander parses them. */
export interface CommonFlags {
  endpoints?: string;
  namespace?: string;
  transport?: string;
  user?: string;
  password?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
  dialTimeout?: string;
}

/** A usage error: reported with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const TRANSPORTS = ['grpc', 'grpc-proxy', 'http'] as const;

/** Adds the common flags to `command`. */
export function addCommonFlags(command: Command): Command {
  return command
    .option('--endpoints <list>', 'etcd endpoints, comma-separated (env CONCLAVE_ENDPOINTS; default 127.0.0.1:2379)')
    .option('--namespace <prefix>', 'key prefix of the application (env CONCLAVE_NAMESPACE; default none)')
    .option('--transport <name>', 'grpc | grpc-proxy | http (env CONCLAVE_TRANSPORT; default grpc)')
    .option('--user <name>', 'etcd user (env CONCLAVE_USER)')
    .option('--password <password>', 'etcd password (env CONCLAVE_PASSWORD)')
    .option('--cacert <file>', 'CA certificate, PEM (env CONCLAVE_CACERT)')
    .option('--cert <file>', 'client certificate, PEM (env CONCLAVE_CERT)')
    .option('--key <file>', 'client key, PEM (env CONCLAVE_KEY)')
    .option('--insecure-skip-verify', 'do not verify the server certificate (tests only)')
    .option('--dial-timeout <ms>', 'how long to wait for etcd to answer (default 5000)');
}

/** A resolved connection: what to connect with, and how to describe it in messages. */
export interface Connection {
  endpoints: string[];
  namespace: string;
  transportName: (typeof TRANSPORTS)[number];
  transportOptions: TransportOptions;
  dialTimeoutMs: number;
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function pemFile(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** Flags (then environment) to a {@link Connection}; a bad value throws {@link UsageError}. */
export function resolveConnection(flags: CommonFlags): Connection {
  const endpointList = flags.endpoints ?? env('CONCLAVE_ENDPOINTS') ?? '127.0.0.1:2379';
  const endpoints = endpointList.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (endpoints.length === 0) throw new UsageError('--endpoints: expected host:port[,host:port...]');
  const transportName = (flags.transport ?? env('CONCLAVE_TRANSPORT') ?? 'grpc') as Connection['transportName'];
  if (!TRANSPORTS.includes(transportName)) throw new UsageError(`--transport: expected one of ${TRANSPORTS.join(', ')}, got ${JSON.stringify(transportName)}`);
  const user = flags.user ?? env('CONCLAVE_USER');
  const password = flags.password ?? process.env['CONCLAVE_PASSWORD'];
  if ((user === undefined) !== (password === undefined)) throw new UsageError('--user and --password go together');
  const tls: TlsOptions = {
    ca: pemFile(flags.cacert ?? env('CONCLAVE_CACERT'), 'CA certificate'),
    cert: pemFile(flags.cert ?? env('CONCLAVE_CERT'), 'client certificate'),
    key: pemFile(flags.key ?? env('CONCLAVE_KEY'), 'client key'),
    insecureSkipVerify: flags.insecureSkipVerify === true ? true : undefined,
  };
  const withTls = Object.values(tls).some((v) => v !== undefined);
  let dialTimeoutMs = 5000;
  if (flags.dialTimeout !== undefined) {
    dialTimeoutMs = Number(flags.dialTimeout);
    if (!Number.isInteger(dialTimeoutMs) || dialTimeoutMs <= 0) throw new UsageError(`--dial-timeout: expected a positive number of ms, got ${JSON.stringify(flags.dialTimeout)}`);
  }
  return {
    endpoints,
    namespace: flags.namespace ?? env('CONCLAVE_NAMESPACE') ?? '',
    transportName,
    dialTimeoutMs,
    transportOptions: {
      endpoints,
      dialTimeoutMs,
      ...(user !== undefined && password !== undefined ? { auth: { username: user, password } } : {}),
      ...(withTls ? { tls } : {}),
    },
  };
}

/** The transport of a connection (the CLI keeps it: lease TTLs are read through it). */
export function makeTransport(c: Connection): Transport {
  const o = c.transportOptions;
  if (c.transportName === 'grpc-proxy') return createGrpcProxyTransport(o);
  if (c.transportName === 'http') return createHttpTransport(o.tls ? { ...o, ...nodeTlsFetch(o.tls) } : o);
  return createGrpcTransport(o);
}

/** A connected client and its transport. */
export interface Connected {
  client: Conclave;
  transport: Transport;
}

/** Connects (rejects with `ConnectionError` / `AuthError` when etcd cannot be used). */
export async function open(c: Connection): Promise<Connected> {
  const transport = makeTransport(c);
  const client = await connect({ transport, namespace: c.namespace, dialTimeoutMs: c.dialTimeoutMs });
  return { client, transport };
}
