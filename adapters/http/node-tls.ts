/**
 * Node-only companion of the HTTP transport: a `fetch` that applies
 * {@link TlsOptions} (CA, client certificate, server name, skip-verify), which
 * the platform `fetch` cannot take. It uses undici's own `fetch` with an undici
 * `Agent` (loaded on first use), so the adapter itself stays runtime-neutral:
 * `connect({ transport: 'http', tls })` passes this in Node; browsers do TLS
 * themselves.
 *
 * @module
 */
import { ConclaveError } from '../../src/errors.js';
import type { TlsOptions } from '../../src/transport/index.js';
import type { FetchFunction } from './gateway.js';

/**
 * What {@link nodeTlsFetch} hands to `createHttpTransport`.
 *
 * @example
 * ```ts
 * const tls = { ca: readFileSync('ca.pem', 'utf8') };
 * const { fetch, onClose } = nodeTlsFetch(tls);
 * const transport = createHttpTransport({ endpoints: ['https://127.0.0.1:2379'], tls, fetch, onClose });
 * ```
 */
export interface NodeTlsFetch {
  fetch: FetchFunction;
  /** Closes the undici Agent (its sockets). */
  onClose: () => Promise<void>;
}

/** True when `tls` carries something only a TLS-configurable fetch can apply. */
export function needsTlsFetch(tls: TlsOptions | undefined): tls is TlsOptions {
  return (
    tls !== undefined &&
    (tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.serverName !== undefined || tls.insecureSkipVerify === true)
  );
}

function pem(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

/**
 * A `fetch` whose connections use `tls`.
 *
 * @example
 * ```ts
 * const t = createHttpTransport({ endpoints: ['https://127.0.0.1:2379'], tls, ...nodeTlsFetch(tls) });
 * ```
 */
export function nodeTlsFetch(tls: TlsOptions): NodeTlsFetch {
  type Loaded = { agent: import('undici').Agent; fetch: typeof import('undici').fetch };
  let loaded: Promise<Loaded> | undefined;
  let closed = false;
  const load = async (): Promise<Loaded> => {
    let undici: typeof import('undici');
    try {
      undici = await import('undici');
    } catch (cause) {
      throw new ConclaveError(
        "the http transport with tls options needs the optional peer dependency 'undici' in Node: run `npm install undici`",
        { code: 'MISSING_DEPENDENCY', retryable: false, cause },
      );
    }
    const connect: Record<string, unknown> = {};
    if (tls.ca !== undefined) connect['ca'] = pem(tls.ca);
    if (tls.cert !== undefined) connect['cert'] = pem(tls.cert);
    if (tls.key !== undefined) connect['key'] = pem(tls.key);
    if (tls.serverName !== undefined) connect['servername'] = tls.serverName;
    if (tls.insecureSkipVerify === true) connect['rejectUnauthorized'] = false;
    return { agent: new undici.Agent({ connect }), fetch: undici.fetch };
  };
  return {
    fetch: async (input, init) => {
      const { agent, fetch } = await (loaded ??= load());
      if (closed) throw new TypeError('fetch after close');
      const res = await fetch(input, { ...(init as Record<string, unknown>), dispatcher: agent });
      return res as unknown as Response;
    },
    onClose: async () => {
      closed = true;
      if (!loaded) return;
      const { agent } = await loaded;
      await agent.destroy().catch(() => undefined);
    },
  };
}
