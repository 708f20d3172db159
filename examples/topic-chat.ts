/**
 * Two services talking over topics: `orders` publishes orders on one topic,
 * `billing` reads them with `for await`, and answers each on another topic
 * (which `orders` reads as an Observable). Every subscriber sees every message
 * published after it subscribed, in order, exactly once.
 *
 * Then billing scales out: two replicas join the consumer group `billing`
 * (`topic.consume`). The group gets every order, and each order is handled by
 * ONE replica (at least once: redelivered if a replica throws or dies); the
 * group's progress is kept in etcd.
 *
 * Run: `npx tsx examples/topic-chat.ts` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { firstValueFrom, take, tap, toArray, timeout } from 'rxjs';
import { connect } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

interface Order {
  id: number;
  item: string;
  cents: number;
}
interface Invoice {
  order: number;
  total: string;
}

const etcd = await exampleEtcd();
const namespace = `examples/topic-chat/${process.pid}/`;
// Two services, two clients (as two processes would have).
const ordersService = await connect({ endpoints: etcd.endpoints, namespace });
const billingService = await connect({ endpoints: etcd.endpoints, namespace });
const controller = new AbortController();
try {
  const orders = { out: ordersService.topic<Order>('orders'), in: ordersService.topic<Invoice>('invoices') };
  const billing = { in: billingService.topic<Order>('orders'), out: billingService.topic<Invoice>('invoices') };

  // billing: reads orders with an async iterator (subscribed from this call on), answers each with an invoice.
  const incoming = billing.in.messages({ signal: controller.signal });
  const billed = (async () => {
    let count = 0;
    for await (const { value: order, revision } of incoming) {
      console.log(`billing: got order #${order.id} (${order.item}) at revision ${revision}`);
      await billing.out.publish({ order: order.id, total: `$${(order.cents / 100).toFixed(2)}` });
      if (++count === 3) break; // leaving the loop unsubscribes
    }
    return count;
  })();

  // orders: listens for invoices (an Observable), then publishes three orders.
  const invoices = firstValueFrom(
    orders.in.messages$().pipe(
      tap(({ value }) => console.log(`orders: invoice for #${value.order}: ${value.total}`)),
      take(3),
      toArray(),
      timeout(15_000),
    ),
  );
  const published: bigint[] = [];
  for (const [id, item, cents] of [[1, 'book', 1250], [2, 'lamp', 3999], [3, 'pen', 199]] as const) {
    const { revision } = await orders.out.publish({ id, item, cents });
    published.push(revision);
    console.log(`orders: published order #${id} at revision ${revision}`);
  }

  const got = await invoices;
  console.log(`billing handled ${await billed} orders; orders got invoices for ${got.map((m) => `#${m.value.order}`).join(', ')}`);
  // A late reader can replay the topic from a revision, then continue live.
  const replay = await firstValueFrom(
    billingService.topic<Order>('orders').messages$({ fromRevision: published[0] }).pipe(take(3), toArray(), timeout(15_000)),
  );
  console.log(`replay from revision ${published[0]}: ${replay.map((m) => m.value.item).join(', ')}`);

  // billing, scaled out: two replicas (two clients, as two processes would be) in ONE consumer group.
  // A new group starts where `startAt` says (here: the first order); each order goes to one replica.
  const replicas = [billingService, await connect({ endpoints: etcd.endpoints, namespace })];
  const billedBy = new Map<number, string>();
  const stop = new AbortController();
  const running = replicas.map((client, i) =>
    client.topic<Order>('orders').consume(
      async ({ value: order }, { attempt }) => {
        billedBy.set(order.id, `replica-${i + 1}`);
        console.log(`billing replica-${i + 1}: order #${order.id} (attempt ${attempt})`);
      },
      { group: 'billing', startAt: published[0], signal: stop.signal },
    ),
  );
  for (const [id, item, cents] of [[4, 'desk', 15000], [5, 'mug', 899], [6, 'ink', 1500]] as const) await orders.out.publish({ id, item, cents });
  const deadline = Date.now() + 15_000;
  while (billedBy.size < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  stop.abort(); // stop both replicas; consume() resolves once their running handlers settled
  await Promise.all(running);
  if (billedBy.size !== 6) throw new Error(`the billing group handled ${billedBy.size} of 6 orders`);
  console.log(`billing group: 6 orders, each by one replica (${[...billedBy].map(([id, r]) => `#${id}: ${r}`).join(', ')})`);
  await replicas[1]!.close();
} finally {
  controller.abort();
  await ordersService.close();
  await billingService.close();
  await etcd.stop();
}
console.log('topic-chat done');
