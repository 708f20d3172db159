/**
 * A scriptable in-memory Transport for unit tests of the core's state
 * machines (never a stand-in for etcd in behaviour tests).
 */
import type {
  LeaseKeepAliveStream,
  ResponseHeader,
  StreamHandlers,
  Transport,
  WatchCreateRequest,
  WatchStream,
  WatcherListener,
  WireEvent,
  LeaseKeepAliveResponse,
} from '../../src/transport/index.js';
import type { Batch, Sink } from '../../src/core/broadcast.js';

export interface FakeWatcher {
  request: WatchCreateRequest;
  listener: WatcherListener;
  canceled: boolean;
  stream: FakeWatchStream;
}

export class FakeWatchStream implements WatchStream {
  closed = false;
  progressRequests = 0;
  readonly watchers: FakeWatcher[] = [];
  constructor(readonly handlers: StreamHandlers<ResponseHeader>) {}
  watch(request: WatchCreateRequest, listener: WatcherListener) {
    const w: FakeWatcher = { request, listener, canceled: false, stream: this };
    this.watchers.push(w);
    return { cancel: () => void (w.canceled = true) };
  }
  requestProgress(): boolean {
    this.progressRequests++;
    return true;
  }
  close(): void {
    this.closed = true;
  }
  /** The stream breaks. */
  fail(): void {
    this.closed = true;
    this.handlers.onError(new Error('stream broke'));
  }
}

export class FakeKeepAliveStream implements LeaseKeepAliveStream {
  closed = false;
  readonly sent: bigint[] = [];
  constructor(readonly handlers: StreamHandlers<LeaseKeepAliveResponse>) {}
  send(id: bigint): void {
    this.sent.push(id);
  }
  close(): void {
    this.closed = true;
  }
}

const unsupported = (): never => {
  throw new Error('not used by this unit test');
};

export function header(revision: bigint): ResponseHeader {
  return { revision };
}

export function putEvent(key: string, revision: bigint, value = 'v'): WireEvent {
  const enc = new TextEncoder();
  return {
    type: 'put',
    kv: { key: enc.encode(key), value: enc.encode(value), createRevision: revision, modRevision: revision, version: 1n, lease: 0n },
  };
}

export class FakeTransport implements Transport {
  readonly name = 'fake';
  readonly capabilities = { progressRequest: true, staleSerializableReads: false };
  readonly watchStreams: FakeWatchStream[] = [];
  readonly keepAliveStreams: FakeKeepAliveStream[] = [];
  range = unsupported;
  put = unsupported;
  deleteRange = unsupported;
  txn = unsupported;
  compact = unsupported;
  leaseGrant = unsupported;
  leaseRevoke = unsupported;
  leaseTimeToLive = unsupported;
  memberList = unsupported;
  status = unsupported;
  authenticate = unsupported;
  openWatch(handlers: StreamHandlers<ResponseHeader>): WatchStream {
    const s = new FakeWatchStream(handlers);
    this.watchStreams.push(s);
    return s;
  }
  openLeaseKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): LeaseKeepAliveStream {
    const s = new FakeKeepAliveStream(handlers);
    this.keepAliveStreams.push(s);
    return s;
  }
  async close(): Promise<void> {}
  /** Every watcher ever opened, on every stream. */
  get watchers(): FakeWatcher[] {
    return this.watchStreams.flatMap((s) => s.watchers);
  }
  get liveWatchers(): FakeWatcher[] {
    return this.watchers.filter((w) => !w.canceled && !w.stream.closed);
  }
}

/** A hub sink that records the revisions, errors and completion it receives. */
export class Recorder implements Sink {
  readonly prefixLength = 0;
  revisions: bigint[] = [];
  errors: Error[] = [];
  completed = false;
  next(batch: Batch): void {
    this.revisions.push(batch.revision);
  }
  error(e: Error): void {
    this.errors.push(e);
  }
  complete(): void {
    this.completed = true;
  }
}
