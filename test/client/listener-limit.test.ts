/**
 * A client's many users of one AbortSignal print no MaxListenersExceededWarning (Node warns past 10
 * 'abort' listeners on one signal): 30 locks held on the shared session, 15 waits given one caller
 * signal, 12 sessions opened and closed at once, several `for await` loops on one signal. Fails
 * on the code that added a listener per user (real etcd).
 */
import { afterAll, expect, it } from 'vitest';
import { connect, toAsyncIterable, type Conclave } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';

const clients: Conclave[] = [];
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

it('many users of one signal: no MaxListenersExceededWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'MaxListenersExceededWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const c = await connect({ endpoints: sharedCluster().endpoints, namespace: uniquePrefix('listener-limit') });
    clients.push(c);
    const held = await Promise.all(Array.from({ length: 30 }, (_, i) => c.mutex(`m${i}`).acquire()));
    const stop = new AbortController();
    const waits = Array.from({ length: 15 }, () => c.mutex('m0').acquire({ signal: stop.signal }));
    const loops = Array.from({ length: 12 }, async () => {
      for await (const _ of toAsyncIterable(c.topic('t').messages$(), { signal: stop.signal })) void _;
    });
    const sessions = await Promise.all(Array.from({ length: 12 }, () => c.session({ ttlSeconds: 5 })));
    await Promise.all(sessions.map((s) => s.close()));
    stop.abort();
    const settled = await Promise.allSettled([...waits, ...loops]);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true); // every wait ended by the signal
    await Promise.all(held.map((l) => l.release()));
    await new Promise((resolve) => setImmediate(resolve)); // (warnings are emitted on the next tick)
    expect(warnings).toEqual([]);
  } finally {
    process.off('warning', onWarning);
  }
});
