/**
 * Service registry: discovery between services.
 *
 * An instance is one key `__services/<name>/<id>` (URI-encoded; see
 * `layout.ts`) holding the JSON `{ id, address, metadata }`, on the client's
 * shared session lease: it vanishes within the session TTL when the process
 * dies, and at once when the client closes (the lease is revoked). A
 * registration lost to a network fault is written again on a fresh session as
 * soon as etcd answers (see `registration.ts`).
 *
 * Registering an id that is already registered replaces it: the newest
 * `register()` wins, and the older registration (in this client or another)
 * sees its `lost$` emit and stops maintaining the key.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import type { Registration, ServiceInstance, ServiceRegistry } from './api.js';
import { checkSize, checkWellFormed } from '../validate.js';
import { Registry } from '../kit/registry.js';
import type { Store } from '../kit/store.js';
import { instancesOf, listOf } from './instances.js';
import { checkInstance, decodeInstance, encodeInstance, instanceKey, servicePrefix } from './layout.js';
import { RegistrationImpl } from './registration.js';

/** The active registration of each stored key, per client core (so a second register() of an id displaces the first). */
const active = new Registry<RegistrationImpl>();

/**
 * Creates the registry of service `name`.
 *
 * @example
 * ```ts
 * const api = client.services('api');
 * await using reg = await api.register({ id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'a' } });
 * api.instances$.subscribe((all) => console.log(all.map((i) => i.address)));
 * ```
 */
export function createServiceRegistry(store: Store, name: string): ServiceRegistry {
  return new ServiceRegistryImpl(store, name);
}

class ServiceRegistryImpl implements ServiceRegistry {
  private readonly prefix: string;
  readonly instances$;

  constructor(
    private readonly store: Store,
    private readonly name: string,
  ) {
    this.prefix = servicePrefix(name);
    this.instances$ = instancesOf(this.store, this.prefix);
  }

  async register(instance: { id: string; address: string; metadata?: Record<string, unknown> }): Promise<Registration> {
    const checked = checkInstance(instance);
    for (const field of ['id', 'address'] as const) checkWellFormed(checked[field], `instance.${field}`);
    const key = instanceKey(this.name, checked.id);
    const value = encodeInstance(checked);
    const stored = this.store.key(key);
    checkSize(stored, value, this.store.maxRequestBytes, { key: 4, value: 2 }); // the restore txn: key 4 times, value twice
    const session = await this.store.session();
    const id = hex(stored);
    const registrations = active.table(this.store.connection);
    const registration = new RegistrationImpl(this.store, key, checked, value, session, (r) => {
      if (registrations.get(id) === r) registrations.delete(id);
    });
    registrations.get(id)?.displace();
    registrations.set(id, registration);
    try {
      await registration.start();
    } catch (error) {
      registration.displace();
      throw error;
    }
    return registration;
  }

  async instances(): Promise<ServiceInstance[]> {
    const res = await this.store.range(this.store.prefix(this.prefix));
    const found: ServiceInstance[] = [];
    for (const kv of res.kvs) {
      const instance = decodeInstance(kv.value);
      if (instance) found.push(instance);
    }
    return listOf(found);
  }
}
