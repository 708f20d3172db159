/**
 * A transport decorator for the ambiguous-outcome fault table: it counts the WRITES an
 * operation makes (put, deleteRange, a txn with a write, leaseGrant, leaseRevoke), lets a test
 * act just before the Nth one (switch a relay to `loseReplies` / `delayReplies`), and records
 * every lease etcd granted, so that "no lease left behind" can be checked after the client
 * closed — also a lease whose grant reply was lost above this layer.
 *
 * Stack it UNDER `lostReplyTransport` (so the lost calls are counted and their leases seen):
 * `lostReplyTransport(recordingTransport(createGrpcTransport(...)))`.
 *
 * @module
 */
import type { RequestOp, Transport, TxnRequest } from '../../../src/transport/index.js';
import { interceptTransport, type UnaryMethod } from '../../harness/intercept.js';

/** The unary calls counted as writes. */
export type WriteMethod = 'put' | 'deleteRange' | 'txn' | 'leaseGrant' | 'leaseRevoke';

/** One write seen while counting. */
export interface SeenWrite {
  method: WriteMethod;
  /** Keys it writes (decoded), for failure reports. */
  keys: string[];
}

/** See {@link recordingTransport}. */
export interface RecordingTransport extends Transport {
  /** Count writes (and call {@link onWrite}) only while true. */
  counting: boolean;
  /** The writes seen while counting, in call order. */
  readonly writes: readonly SeenWrite[];
  /** Every lease id etcd granted through this transport (counting or not). */
  readonly leases: ReadonlySet<bigint>;
  /** The lease granted by the counted write of each index (1-based), for grants made while counting. */
  readonly leaseOfWrite: ReadonlyMap<number, bigint>;
  /** Called (while counting) before the call of the `index`-th (1-based) write is sent. */
  onWrite: ((index: number, write: SeenWrite) => void) | undefined;
  /** Forgets the counted writes (not the leases). */
  resetCount(): void;
}

const utf8 = new TextDecoder();

function opWrites(op: RequestOp): string[] {
  if ('put' in op) return [utf8.decode(op.put.key)];
  if ('deleteRange' in op) return [utf8.decode(op.deleteRange.key)];
  if ('txn' in op) return txnWrites(op.txn);
  return [];
}

function txnWrites(txn: TxnRequest): string[] {
  return [...(txn.success ?? []), ...(txn.failure ?? [])].flatMap(opWrites);
}

/** The write a call makes (undefined for reads and txns that write nothing). */
function writeOf(method: UnaryMethod, request: unknown): SeenWrite | undefined {
  switch (method) {
    case 'put':
    case 'deleteRange':
      return { method, keys: [utf8.decode((request as { key: Uint8Array }).key)] };
    case 'txn': {
      const keys = txnWrites(request as TxnRequest);
      return keys.length > 0 ? { method, keys } : undefined;
    }
    case 'leaseGrant':
      return { method, keys: [] };
    case 'leaseRevoke':
      return { method, keys: [(request as bigint).toString(16)] };
    default:
      return undefined;
  }
}

/** Wraps `inner`; see the module documentation. */
export function recordingTransport(inner: Transport): RecordingTransport {
  const writes: SeenWrite[] = [];
  const leases = new Set<bigint>();
  const leaseOfWrite = new Map<number, bigint>();
  const base = interceptTransport(inner, async (method, request, _signal, send) => {
    const write = writeOf(method, request);
    const index = write ? seen(write) : 0;
    const res = await send();
    if (method === 'leaseGrant') {
      const id = (res as { id: bigint }).id;
      leases.add(id);
      if (index > 0) leaseOfWrite.set(index, id);
    }
    return res;
  });
  const self: RecordingTransport = {
    ...base,
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    counting: false,
    onWrite: undefined,
    get writes() {
      return writes;
    },
    get leases() {
      return leases;
    },
    get leaseOfWrite() {
      return leaseOfWrite;
    },
    resetCount() {
      writes.length = 0;
    },
  };
  /** Counts `write`; returns its 1-based index, or 0 when not counting. */
  function seen(write: SeenWrite): number {
    if (!self.counting) return 0;
    writes.push(write);
    self.onWrite?.(writes.length, write);
    return writes.length;
  }
  return self;
}
