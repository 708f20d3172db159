/**
 * toAsyncIterable (src/events/async-iterable.ts): buffering, completion,
 * errors, break/return, abort — and that nothing stays subscribed.
 */
import { Observable, Subject, of, throwError, concat } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { AbortError, InvalidArgumentError, TimeoutError, toAsyncIterable } from '../../src/index.js';

/** A Subject that counts its subscribers. */
function tracked<T>() {
  const subject = new Subject<T>();
  let subscribers = 0;
  const source = new Observable<T>((s) => {
    subscribers++;
    const sub = subject.subscribe(s);
    return () => {
      subscribers--;
      sub.unsubscribe();
    };
  });
  return { subject, source, subscribers: () => subscribers };
}

describe('toAsyncIterable', () => {
  it('subscribes at once, buffers values until read, and ends on completion', async () => {
    const t = tracked<number>();
    const it = toAsyncIterable(t.source);
    expect(t.subscribers()).toBe(1);
    t.subject.next(1);
    t.subject.next(2);
    const pending = it.next();
    expect(await pending).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: 2, done: false });
    const waiting = it.next();
    t.subject.next(3);
    expect(await waiting).toEqual({ value: 3, done: false });
    t.subject.complete();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(t.subscribers()).toBe(0);
  });

  it('for await + break unsubscribes', async () => {
    const t = tracked<number>();
    const it = toAsyncIterable(t.source);
    for (let i = 0; i < 5; i++) t.subject.next(i);
    const got: number[] = [];
    for await (const v of it) {
      got.push(v);
      if (v === 2) break;
    }
    expect(got).toEqual([0, 1, 2]);
    expect(t.subscribers()).toBe(0);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('await using unsubscribes at the end of the scope', async () => {
    const t = tracked<number>();
    {
      await using it = toAsyncIterable(t.source);
      t.subject.next(1);
      expect((await it.next()).value).toBe(1);
      expect(t.subscribers()).toBe(1);
    }
    expect(t.subscribers()).toBe(0);
  });

  it('delivers the values before an error, then throws it once, then is done', async () => {
    const boom = new Error('boom');
    const it = toAsyncIterable(concat(of(1, 2), throwError(() => boom)));
    expect((await it.next()).value).toBe(1);
    expect((await it.next()).value).toBe(2);
    await expect(it.next()).rejects.toBe(boom);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('an error while next() waits rejects it', async () => {
    const t = tracked<number>();
    const it = toAsyncIterable(t.source);
    const waiting = it.next();
    const boom = new Error('boom');
    t.subject.error(boom);
    await expect(waiting).rejects.toBe(boom);
  });

  it('the signal ends it: a waiting next() rejects with AbortError, buffered values are dropped, the source is unsubscribed', async () => {
    const t = tracked<number>();
    const controller = new AbortController();
    const it = toAsyncIterable(t.source, { signal: controller.signal });
    const waiting = it.next();
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(t.subscribers()).toBe(0);
    expect(await it.next()).toEqual({ value: undefined, done: true });

    const c2 = new AbortController();
    const it2 = toAsyncIterable(t.source, { signal: c2.signal });
    t.subject.next(1);
    c2.abort();
    await expect(it2.next()).rejects.toBeInstanceOf(AbortError);
  });

  it('a timeout signal rejects with TimeoutError; an aborted signal never subscribes', async () => {
    const t = tracked<number>();
    await expect(toAsyncIterable(t.source, { signal: AbortSignal.timeout(10) }).next()).rejects.toBeInstanceOf(TimeoutError);
    const it = toAsyncIterable(t.source, { signal: AbortSignal.abort() });
    expect(t.subscribers()).toBe(0);
    await expect(it.next()).rejects.toBeInstanceOf(AbortError);
  });

  it('removes its abort listener when it ends', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
    const it = toAsyncIterable(of(1), { signal });
    expect((await it.next()).value).toBe(1);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect([added, removed]).toEqual([1, 1]);
  });

  it('synchronous sources work, and several waiting next() calls are served in order', async () => {
    const all: number[] = [];
    for await (const v of toAsyncIterable(of(1, 2, 3))) all.push(v);
    expect(all).toEqual([1, 2, 3]);
    const t = tracked<number>();
    const it = toAsyncIterable(t.source);
    const a = it.next();
    const b = it.next();
    const c = it.next();
    t.subject.next(1);
    t.subject.next(2);
    t.subject.complete();
    expect(await Promise.all([a, b, c])).toEqual([
      { value: 1, done: false },
      { value: 2, done: false },
      { value: undefined, done: true },
    ]);
  });

  it('rejects a bad signal with InvalidArgumentError', () => {
    expect(() => toAsyncIterable(of(1), { signal: {} as AbortSignal })).toThrow(InvalidArgumentError);
  });
});
