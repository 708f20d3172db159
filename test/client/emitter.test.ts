/** The client's event emitter: Node's EventEmitter shape (node:events helpers accept it), pure. */
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { TypedEmitter } from '../../src/events/emitter.js';
import type { ConclaveEvents } from '../../src/events/types.js';

type Map = { tick: [n: number]; error: [e: Error] };

it('calls listeners in order: prepended first, once-listeners once; off removes one registration', () => {
  const e = new TypedEmitter<Map>();
  const seen: string[] = [];
  const a = (n: number) => seen.push(`a${n}`);
  e.on('tick', a);
  e.once('tick', (n) => seen.push(`once${n}`));
  e.prependListener('tick', (n) => seen.push(`first${n}`));
  e.prependOnceListener('tick', (n) => seen.push(`firstOnce${n}`));
  expect(e.listenerCount('tick')).toBe(4);
  expect(e.emit('tick', 1)).toBe(true);
  expect(e.emit('tick', 2)).toBe(true);
  expect(seen).toEqual(['firstOnce1', 'first1', 'a1', 'once1', 'first2', 'a2']);
  e.off('tick', a);
  expect(e.listenerCount('tick')).toBe(1);
  expect(e.eventNames()).toEqual(['tick']);
  e.removeAllListeners();
  expect(e.emit('tick', 3)).toBe(false);
});

it("an 'error' with no listener is dropped, not thrown", () => {
  const e = new TypedEmitter<Map>();
  expect(e.emit('error', new Error('x'))).toBe(false);
});

it("node:events once() accepts it (types and run time): the client's `once(client.events, 'status')`", async () => {
  const e = new TypedEmitter<Map>();
  const next = once(e, 'tick');
  e.emit('tick', 7);
  expect(await next).toEqual([7]);
  // Type check only: a client's events are accepted by node:events' once().
  const typed = (events: ConclaveEvents) => once(events, 'status');
  expect(typeof typed).toBe('function');
});
