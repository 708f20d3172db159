/** Recorders and assertions shared by the adapters' test files, and the users of the auth tests. */
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

/** The root user and a user limited to `app/`, created by {@link AUTH_SETUP}. */
export const ROOT = { username: 'root', password: 'root-pw' };
export const APP = { username: 'app', password: 'app-pw' };

/** `etcdctl` argument lists that create {@link ROOT} and {@link APP} (read-write on `app/`) and enable auth, in order. */
export const AUTH_SETUP: readonly string[][] = [
  ['user', 'add', `${ROOT.username}:${ROOT.password}`],
  ['role', 'add', 'root'],
  ['user', 'grant-role', 'root', 'root'],
  ['user', 'add', `${APP.username}:${APP.password}`],
  ['role', 'add', 'app-role'],
  ['role', 'grant-permission', 'app-role', '--prefix=true', 'readwrite', 'app/'],
  ['user', 'grant-role', 'app', 'app-role'],
  ['auth', 'enable'],
];
