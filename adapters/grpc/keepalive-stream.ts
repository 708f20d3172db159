/**
 * The lease keep-alive stream: one bidi `LeaseKeepAlive` call, opened at once
 * (so the stream the core counts is the stream etcd counts); each `send(id)` writes `{ ID }`, each answer is decoded and
 * handed to `onMessage`.
 *
 * @module
 * @internal
 */
import type * as grpc from '@grpc/grpc-js';
import { ConnectionError } from '../../src/errors.js';
import type { LeaseKeepAliveResponse, LeaseKeepAliveStream, Rev, StreamHandlers } from '../../src/transport/index.js';
import { callIsolated } from '../shared/handlers.js';
import { cancelQuietly, openBidi, type BidiContext } from './bidi.js';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse as PbLeaseKeepAliveResponse } from '../shared/gen/etcdserverpb/rpc_pb.js';
import { leaseKeepAliveRequest } from '../shared/wire/requests.js';
import { leaseKeepAliveResponse } from '../shared/wire/responses.js';
import type { Method } from './services.js';
import { errorOf, failureOf } from './status.js';

/** {@link LeaseKeepAliveStream} over one gRPC bidi call. */
export class GrpcKeepAliveStream implements LeaseKeepAliveStream {
  private state: 'idle' | 'opening' | 'open' | 'ended' = 'idle';
  private call: grpc.ClientDuplexStream<LeaseKeepAliveRequest, PbLeaseKeepAliveResponse> | undefined;
  private token: string | undefined;
  private queued: LeaseKeepAliveRequest[] = [];

  constructor(
    private readonly ctx: BidiContext,
    private readonly method: Method<LeaseKeepAliveRequest, PbLeaseKeepAliveResponse>,
    private readonly handlers: StreamHandlers<LeaseKeepAliveResponse>,
    private readonly onEnded: (stream: GrpcKeepAliveStream) => void,
  ) {}

  send(id: Rev): void {
    if (this.state === 'ended') return;
    const req = leaseKeepAliveRequest(id);
    if (this.state === 'open' && this.call) {
      this.call.write(req);
      return;
    }
    // Before the call is open, one pending refresh per lease is enough.
    if (!this.queued.some((q) => q.ID === req.ID)) this.queued.push(req);
    if (this.state === 'idle') this.open();
  }

  /** Opens the call now rather than on the first `send`. */
  start(): void {
    if (this.state === 'idle') this.open();
  }

  close(): void {
    this.end(undefined);
  }

  private open(): void {
    this.state = 'opening';
    openBidi(this.ctx, this.method).then(
      ({ call, token }) => {
        if (this.state === 'ended') {
          cancelQuietly(call);
          return;
        }
        this.call = call;
        this.token = token;
        this.state = 'open';
        call.on('data', (msg: PbLeaseKeepAliveResponse) => {
          if (this.state !== 'open') return;
          const decoded = leaseKeepAliveResponse(msg);
          callIsolated(() => this.handlers.onMessage(decoded));
        });
        call.on('error', (err: unknown) => {
          const mapped = errorOf(failureOf(err), err);
          this.ctx.tokens?.invalidateIfRefused(mapped, this.token);
          this.end(mapped);
        });
        call.on('status', (status: grpc.StatusObject) => {
          if (status.code === 0) this.end(new ConnectionError('etcd closed the keep-alive stream'));
        });
        const queued = this.queued;
        this.queued = [];
        for (const req of queued) call.write(req);
      },
      (err: unknown) => this.end(err instanceof Error ? err : new ConnectionError(String(err))),
    );
  }

  private end(error: Error | undefined): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.queued = [];
    const call = this.call;
    this.call = undefined;
    if (call) cancelQuietly(call);
    this.onEnded(this);
    if (error) callIsolated(() => this.handlers.onError(error));
  }
}
