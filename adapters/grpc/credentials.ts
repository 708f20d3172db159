/**
 * Channel security for the gRPC adapter: insecure, TLS with the system roots,
 * or TLS with the caller's CA / client certificate.
 *
 * @module
 * @internal
 */
import * as grpc from '@grpc/grpc-js';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Bytes, TlsOptions } from '../../src/transport/index.js';
import type { ParsedEndpoint } from './endpoints.js';

/** Credentials and the channel options that go with them. */
export interface ChannelSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
  readonly secure: boolean;
}

/** The TLS server name (SNI) sent when every endpoint is an IP address: SNI cannot carry an IP (RFC 6066). */
const IP_ONLY_SERVER_NAME = 'localhost';

function pem(value: string | Bytes | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/**
 * Picks the channel security:
 * - `tls` given: TLS for every endpoint, `createSsl(ca, key, cert)` (system
 *   roots when `ca` is absent);
 * - no `tls`, `https://` endpoints: TLS with the system roots;
 * - otherwise plaintext. Mixing `http://` and `https://` without `tls` is refused.
 *
 * One channel serves every endpoint, so there is one TLS name: `tls.serverName`,
 * else the first endpoint host name (sent as SNI and `:authority`). The
 * certificate is accepted when it is valid for `tls.serverName` or, without it,
 * for any configured endpoint host (a channel over several members cannot tell
 * the identity check which member it reached). `insecureSkipVerify` disables
 * both chain and name checks.
 */
export function channelSecurity(endpoints: readonly ParsedEndpoint[], tls: TlsOptions | undefined): ChannelSecurity {
  const schemes = new Set(endpoints.map((e) => e.scheme));
  if (!tls) {
    if (schemes.has('https') && schemes.has('http')) {
      throw new InvalidArgumentError('endpoints mix http:// and https://; one client uses one security mode');
    }
    if (!schemes.has('https')) {
      return { credentials: grpc.credentials.createInsecure(), options: {}, secure: false };
    }
  }
  const cfg: TlsOptions = tls ?? {};
  const hosts = [...new Set(endpoints.map((e) => e.host))];
  const names = cfg.serverName !== undefined ? [cfg.serverName] : hosts;
  const skip = cfg.insecureSkipVerify === true;
  const verify: grpc.VerifyOptions = {
    rejectUnauthorized: !skip,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      if (skip) return undefined;
      let first: Error | undefined;
      for (const name of names) {
        const err = checkServerIdentity(name, cert);
        if (!err) return undefined;
        first ??= err;
      }
      return first;
    },
  };
  let credentials: grpc.ChannelCredentials;
  try {
    credentials = grpc.credentials.createSsl(pem(cfg.ca), pem(cfg.key), pem(cfg.cert), verify);
  } catch (err) {
    throw new InvalidArgumentError(`invalid TLS options: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const options: grpc.ChannelOptions = {};
  const tlsName = cfg.serverName ?? hosts.find((h) => isIP(h) === 0);
  if (tlsName !== undefined && isIP(tlsName) === 0) {
    options['grpc.ssl_target_name_override'] = tlsName;
    options['grpc.default_authority'] = tlsName;
  } else {
    // Only IP addresses: grpc-js would send the IP as the TLS server name (SNI), which RFC 6066
    // forbids and Node warns about (DEP0123). Send a neutral host name instead; the certificate
    // is still checked against the endpoint IPs (`checkServerIdentity` above ignores the name
    // grpc-js passes), and `:authority` stays the endpoint's `ip:port`.
    options['grpc.ssl_target_name_override'] = IP_ONLY_SERVER_NAME;
  }
  return { credentials, options, secure: true };
}
