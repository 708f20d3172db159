/**
 * Node-only companion of the HTTP transport: tells why an endpoint that accepted a connection
 * answers nothing. etcd gives no answer at all to a plain HTTP request on its TLS port, nor (TLS 1.3)
 * to a request without the client certificate it requires: fetch only sees silence until its
 * timeout. A direct TLS handshake shows the reason at once. `connect({ transport: 'http' })` passes
 * this in Node; browsers do without it.
 *
 * @module
 */
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { TlsOptions } from '../../src/transport/index.js';

const PROBE_MS = 1_500;

function pem(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

/** Runs one TLS handshake (and, when `request`, one request) against `host:port`. */
function probe(options: ConnectionOptions, request: boolean): Promise<'handshake' | 'answered' | Error | undefined> {
  return new Promise((resolve) => {
    const socket = tlsConnect(options);
    let settled = false;
    const done = (outcome: 'handshake' | 'answered' | Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(undefined), PROBE_MS);
    socket.once('secureConnect', () => {
      if (!request) return done('handshake');
      socket.write(`GET /health HTTP/1.1\r\nHost: ${String(options.host)}\r\nConnection: close\r\n\r\n`);
    });
    socket.once('data', () => done('answered'));
    socket.once('error', (error) => done(error));
  });
}

function tlsError(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? {} : { cause }), { name: 'TlsError' });
}

/**
 * A `diagnose` for `createHttpTransport` that uses `tls` (the client's TLS options, if any).
 *
 * @example
 * ```ts
 * const transport = createHttpTransport({ endpoints: ['http://127.0.0.1:2379'], diagnose: nodeDiagnose(undefined) });
 * ```
 */
export function nodeDiagnose(tls: TlsOptions | undefined): (baseUrl: string) => Promise<Error | undefined> {
  return async (baseUrl) => {
    const url = new URL(baseUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const servername = tls?.serverName ?? (isIP(host) ? undefined : host);
    if (url.protocol === 'http:') {
      const outcome = await probe({ host, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, false);
      return outcome === 'handshake' ? tlsError(`${baseUrl} speaks TLS: use https:// endpoints (and tls options)`) : undefined;
    }
    const options: ConnectionOptions = { host, port, rejectUnauthorized: tls?.insecureSkipVerify !== true, ...(servername ? { servername } : {}) };
    if (tls?.ca !== undefined) options.ca = pem(tls.ca);
    if (tls?.cert !== undefined) options.cert = pem(tls.cert);
    if (tls?.key !== undefined) options.key = pem(tls.key);
    const outcome = await probe(options, true);
    if (outcome instanceof Error) {
      const code = (outcome as { code?: unknown }).code;
      const hint = /CERTIFICATE_REQUIRED/.test(String(code)) ? ' (etcd requires a client certificate: pass tls.cert and tls.key)' : '';
      return tlsError(`TLS with ${baseUrl} failed: ${outcome.message}${hint}`, outcome);
    }
    return undefined;
  };
}
