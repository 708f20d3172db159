/**
 * onAbort (src/abort-listeners.ts): one real 'abort' listener per signal however many callbacks,
 * called once in the order added, removed with the last callback. Pure.
 */
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/abort-listeners.js';

/** A signal whose real listeners are counted. */
function counted(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  const { signal } = controller;
  let n = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, l: EventListenerOrEventListenerObject, o?: AddEventListenerOptions) => {
    n++;
    add(type, l, o);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, l: EventListenerOrEventListenerObject) => {
    n--;
    remove(type, l);
  }) as typeof signal.removeEventListener;
  return { controller, listeners: () => n };
}

describe('onAbort', () => {
  it('adds one real listener for any number of callbacks and calls each once, in order', () => {
    const { controller, listeners } = counted();
    const calls: number[] = [];
    for (let i = 0; i < 50; i++) onAbort(controller.signal, () => calls.push(i));
    expect(listeners()).toBe(1);
    controller.abort();
    controller.abort();
    expect(calls).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('removes a callback, and the real listener with the last one', () => {
    const { controller, listeners } = counted();
    const calls: string[] = [];
    const offA = onAbort(controller.signal, () => calls.push('a'));
    const offB = onAbort(controller.signal, () => calls.push('b'));
    offA();
    offA(); // idempotent
    expect(listeners()).toBe(1);
    offB();
    expect(listeners()).toBe(0);
    onAbort(controller.signal, () => calls.push('c')); // a new fan-out
    expect(listeners()).toBe(1);
    controller.abort();
    expect(calls).toEqual(['c']);
  });

  it('a callback removed by an earlier one during the dispatch is not called (as with EventTarget)', () => {
    const { controller } = counted();
    const calls: string[] = [];
    let offB: () => void = () => undefined;
    onAbort(controller.signal, () => {
      calls.push('a');
      offB();
    });
    offB = onAbort(controller.signal, () => calls.push('b'));
    onAbort(controller.signal, () => calls.push('c'));
    controller.abort();
    expect(calls).toEqual(['a', 'c']);
  });

  it('the same function added twice is called twice; a throwing callback does not stop the others', async () => {
    const { controller } = counted();
    const calls: string[] = [];
    const f = (): number => calls.push('f');
    onAbort(controller.signal, f);
    onAbort(controller.signal, () => {
      throw new Error('boom');
    });
    onAbort(controller.signal, f);
    const uncaught = new Promise<unknown>((resolve) => {
      const handler = (e: unknown): void => {
        process.off('uncaughtException', handler);
        resolve(e);
      };
      process.on('uncaughtException', handler);
    });
    controller.abort();
    expect(calls).toEqual(['f', 'f']);
    expect(await uncaught).toMatchObject({ message: 'boom' });
  });
});
