/**
 * Opening the long-lived bidi streams (Watch, LeaseKeepAlive): wait for a
 * connection (bounded by `dialTimeoutMs`), attach the current token, start
 * the call. Streams are never re-sent by the adapter: a broken stream is
 * reported and the core opens a new one.
 *
 * @module
 * @internal
 */
import * as grpc from '@grpc/grpc-js';
import type { TokenManager } from '../shared/token-manager.js';
import type { EtcdChannel } from './channel.js';
import type { Method } from './services.js';

/** A started bidi call and the token it carries. */
export interface OpenedBidi<Req, Res> {
  call: grpc.ClientDuplexStream<Req, Res>;
  token: string | undefined;
}

/** What a stream needs from its transport. */
export interface BidiContext {
  readonly channel: EtcdChannel;
  readonly tokens: TokenManager | undefined;
  readonly dialTimeoutMs: number;
}

/** Waits for a connection, gets the token, starts the call. Rejects with Conclave errors. */
export async function openBidi<Req, Res>(ctx: BidiContext, method: Method<Req, Res>): Promise<OpenedBidi<Req, Res>> {
  const client = await ctx.channel.getClient();
  await ctx.channel.waitReady(client, Date.now() + ctx.dialTimeoutMs, undefined, ctx.dialTimeoutMs);
  const token = ctx.tokens ? await ctx.tokens.get() : undefined;
  const metadata = new grpc.Metadata();
  if (token) metadata.set('token', token);
  const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, metadata, {});
  return { call, token };
}

/** Cancels `call` and silences it: no more data or status events, and the CANCELLED error of the cancel swallowed. */
export function cancelQuietly<Req, Res>(call: grpc.ClientDuplexStream<Req, Res>): void {
  call.removeAllListeners('data');
  call.removeAllListeners('status');
  call.on('error', () => undefined);
  call.cancel();
}
