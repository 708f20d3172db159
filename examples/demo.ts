/**
 * A tour of Conclave in one program: key-value calls, a namespaced client,
 * coalesced watches, history replay and a session lease.
 *
 * Run: `npm run demo` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { connect } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

const etcd = await exampleEtcd();
const client = await connect({ endpoints: etcd.endpoints, namespace: `demo/${process.pid}/` });
try {
  const text = new TextDecoder();

  // Key-value.
  const { revision } = await client.put('config/mode', 'active');
  const kv = await client.get('config/mode');
  console.log(`put config/mode at revision ${revision}; get -> ${text.decode(kv!.value)}`);

  // A namespaced view on the same connection.
  const orders = client.namespace('orders/');
  await orders.put('1001', JSON.stringify({ item: 'book' }));
  console.log(`orders: ${(await orders.getPrefix('')).map((o) => o.key).join(', ')}`);

  // Three subscribers to one prefix share ONE server watcher.
  const subscribers = [1, 2, 3].map(() => firstValueFrom(client.watch('events/', { prefix: true }).pipe(take(2), toArray())));
  console.log(`3 subscribers -> ${client.stats().serverWatchers} server watcher`);
  await client.put('events/a', 'first');
  await client.put('events/b', 'second');
  for (const [i, events] of (await Promise.all(subscribers)).entries()) {
    console.log(`subscriber ${i + 1} saw: ${events.map((e) => `${e.type} ${e.key}@${e.revision}`).join(', ')}`);
  }

  // Replay history from a revision.
  const replay = await firstValueFrom(client.watch('config/mode', { fromRevision: revision }).pipe(take(1)));
  console.log(`replayed from ${revision}: ${replay.type} ${replay.key} = ${text.decode(replay.value)}`);

  // A session: a lease kept alive on the client's single keep-alive stream.
  const session = await client.session({ ttlSeconds: 5 });
  await client.put('presence/demo', 'here', { lease: session.lease });
  console.log(`session lease ${session.lease.toString(16)}; stats ${JSON.stringify(client.stats())}`);
  await session.close();
  console.log(`after session.close(): presence key ${(await client.get('presence/demo')) ? 'still there' : 'gone'}`);

  await client.delete('', { prefix: true });
} finally {
  await client.close();
  await etcd.stop();
}
console.log('demo done');
