/** Recorders and assertions shared by the gRPC adapter's test files. */
import { expect } from 'vitest';
import type { ResponseHeader, WatchCancel, WatcherListener, WireEvent } from '../../src/transport/index.js';

export const enc = new TextEncoder();
export const b = (s: string): Uint8Array => enc.encode(s);
export const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
export const str = (u: Uint8Array): string => Buffer.from(u).toString('utf8');

/** A WatcherListener that records everything. */
export function recorder(): WatcherListener & {
  created: ResponseHeader[];
  events: WireEvent[];
  progress: ResponseHeader[];
  canceled: WatchCancel[];
} {
  const r = {
    created: [] as ResponseHeader[],
    events: [] as WireEvent[],
    progress: [] as ResponseHeader[],
    canceled: [] as WatchCancel[],
    onCreated: (h: ResponseHeader) => void r.created.push(h),
    onEvents: (e: WireEvent[]) => void r.events.push(...e),
    onProgress: (h: ResponseHeader) => void r.progress.push(h),
    onCanceled: (c: WatchCancel) => void r.canceled.push(c),
  };
  return r;
}

/** Stream handlers that record. */
export function streamRecorder<T>(): { messages: T[]; errors: Error[]; onMessage(m: T): void; onError(e: Error): void } {
  const r = {
    messages: [] as T[],
    errors: [] as Error[],
    onMessage: (m: T) => void r.messages.push(m),
    onError: (e: Error) => void r.errors.push(e),
  };
  return r;
}

export async function expectRejects<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a rejection with ${type.name}`);
}
