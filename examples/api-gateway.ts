/**
 * An API gateway that finds its backends through the service registry.
 * Three backends (real HTTP servers on 127.0.0.1, each with its own client,
 * as separate processes would have) register under the service `orders-api`;
 * each registration lives on its client's session lease. The gateway follows
 * `instances$` and routes requests round-robin. When a backend goes away (its
 * client closes, revoking the lease; a crashed process would drop out within
 * the session TTL), the gateway stops routing to it.
 *
 * Run: `npx tsx examples/api-gateway.ts` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, filter, timeout, type Subscription } from 'rxjs';
import { connect, type Conclave, type ServiceInstance, type ServiceRegistry } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

const etcd = await exampleEtcd();
const namespace = `examples/api-gateway/${process.pid}/`;

interface Backend {
  id: string;
  server: Server;
  client: Conclave;
}

/** Starts one backend: an HTTP server that says who it is, registered in etcd. */
async function startBackend(id: string): Promise<Backend> {
  const server = createServer((req, res) => res.end(JSON.stringify({ backend: id, path: req.url })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = await connect({ endpoints: etcd.endpoints, namespace });
  await client.services('orders-api').register({ id, address: `127.0.0.1:${port}`, metadata: { version: '1.4.2' } });
  console.log(`${id}: serving on 127.0.0.1:${port}, registered`);
  return { id, server, client };
}

function stop(server: Server): void {
  server.close();
  server.closeAllConnections();
}

/** The gateway: follows the registry, routes round-robin. */
class Gateway {
  private instances: ServiceInstance[] = [];
  private next = 0;
  private readonly registry: ServiceRegistry;
  private readonly subscription: Subscription;

  constructor(client: Conclave, service: string) {
    this.registry = client.services(service);
    // The full current set at subscribe, then the new set on every change.
    this.subscription = this.registry.instances$.subscribe((all) => {
      this.instances = [...all].sort((a, b) => a.id.localeCompare(b.id));
      console.log(`gateway: ${service} instances = [${this.instances.map((i) => i.id).join(', ')}]`);
    });
  }

  /** Sends a request to the next instance. */
  async request(path: string): Promise<string> {
    if (this.instances.length === 0) throw new Error('no instance of the service is registered');
    const instance = this.instances[this.next++ % this.instances.length]!;
    const res = await fetch(`http://${instance.address}${path}`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { backend: string }).backend;
  }

  /** Resolves once the registry holds exactly these instance ids. */
  async waitFor(ids: string[]): Promise<void> {
    const want = [...ids].sort().join(',');
    await firstValueFrom(this.registry.instances$.pipe(filter((all) => all.map((i) => i.id).sort().join(',') === want), timeout(15_000)));
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

const backends: Backend[] = [];
const gatewayClient = await connect({ endpoints: etcd.endpoints, namespace });
try {
  const gateway = new Gateway(gatewayClient, 'orders-api');
  for (const id of ['orders-1', 'orders-2', 'orders-3']) backends.push(await startBackend(id));
  await gateway.waitFor(['orders-1', 'orders-2', 'orders-3']);

  const first = [];
  for (let i = 0; i < 6; i++) first.push(await gateway.request(`/orders/${i}`));
  console.log(`gateway: 6 requests went to ${first.join(', ')}`);

  // orders-2 shuts down: its client closes (the lease is revoked, its registration vanishes), then its server stops.
  const gone = backends[1]!;
  console.log(`${gone.id}: shutting down`);
  await gone.client.close();
  await gateway.waitFor(['orders-1', 'orders-3']);
  stop(gone.server);

  const after = [];
  for (let i = 0; i < 4; i++) after.push(await gateway.request(`/orders/${i}`));
  console.log(`gateway: 4 requests went to ${after.join(', ')}`);
  if (after.includes(gone.id)) throw new Error(`the gateway still routed to ${gone.id}`);
  gateway.close();
} finally {
  for (const b of backends) {
    await b.client.close();
    stop(b.server);
  }
  await gatewayClient.close();
  await etcd.stop();
}
console.log('api-gateway done');
