/**
 * Topic message keys need no txn to stay unique: each client's publisher draws a random id and
 * counter. If two clients ever draw the same and publish in the same millisecond, the later Put
 * replaces the earlier message; the Put asks for the previous value, so the replaced message is
 * published again under a fresh id — nothing is lost. Forced here by making both clients draw
 * the same random numbers and freezing the clock (Date only; timers stay real).
 */
import { afterEach, expect, it, vi } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';

const clients: Conclave[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

/** Both clients' publishers draw id 0x0badcafe and counter 0 (their first two draws); later draws are random. */
function sameDraws(): void {
  const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  let forced = 2;
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    if (forced > 0 && array instanceof Uint32Array && array.length === 2) {
      forced--;
      array.set([0x0badcafe, 0]);
      return array;
    }
    return real(array as Uint32Array) as unknown as T;
  });
}

async function twoClients(): Promise<[Conclave, Conclave]> {
  const namespace = uniquePrefix('topic-keys');
  const a = await connect({ endpoints: sharedCluster().endpoints, namespace });
  const b = await connect({ endpoints: sharedCluster().endpoints, namespace });
  clients.push(a, b);
  return [a, b];
}

async function stored(c: Conclave): Promise<string[]> {
  return (await c.getPrefix('__topics/')).map((kv) => new TextDecoder().decode(kv.value)).sort();
}

it('a key collision on the first publish of two clients loses no message', async () => {
  const [a, b] = await twoClients();
  sameDraws();
  vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 });
  await a.topic<string>('t').publish('from a');
  await b.topic<string>('t').publish('from b'); // same key: replaces a's message, which b publishes again
  expect(await stored(a)).toEqual(['"from a"', '"from b"']);
});

it('a key collision in the steady state (one Put per message) loses no message', async () => {
  const [a, b] = await twoClients();
  sameDraws();
  vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 });
  await a.topic<string>('t').publish('a1'); // a's first publish: counter 0
  vi.setSystemTime(1_700_000_000_005);
  await b.topic<string>('t').publish('b1'); // b's first publish: counter 0, another millisecond
  vi.setSystemTime(1_700_000_000_010);
  await a.topic<string>('t').publish('a2'); // counter 1, one Put
  await b.topic<string>('t').publish('b2'); // counter 1, same millisecond: replaces a2
  expect(await stored(a)).toEqual(['"a1"', '"a2"', '"b1"', '"b2"']);
  const seen: string[] = [];
  const sub = a.topic<string>('t').messages$({ fromRevision: 1n }).subscribe((m) => seen.push(m.value));
  await vi.waitFor(() => expect(seen).toHaveLength(5), { timeout: 10_000 }); // a2 was delivered, then its copy
  sub.unsubscribe();
  expect(seen.filter((v) => v === 'a2')).toHaveLength(2);
});
