/**
 * Public contracts of the service registry: {@link ServiceRegistry}, its instances and a live {@link Registration}.
 * @module
 */
import type { Observable } from 'rxjs';

/**
 * One registered instance of a service.
 *
 * @example
 * ```ts
 * for (const i of await client.services('orders-api').instances()) console.log(i.id, i.address, i.metadata);
 * ```
 */
export interface ServiceInstance<M extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  address: string;
  /** As registered (JSON); typed by `client.services<M>(name)`. */
  metadata: M;
}

/**
 * A live registration: kept while the client lives (and re-written after a network fault); `deregister()` or `await using` removes it.
 *
 * @example
 * ```ts
 * await using reg = await client.services('orders-api').register({ id: 'orders-1', address: '10.0.0.5:8080' });
 * console.log(reg.instance.id, reg.instance.address);
 * reg.lost$.subscribe(() => console.log('registration lost'));
 * // ... serve ...
 * await reg.deregister();
 * ```
 */
export interface Registration<M extends Record<string, unknown> = Record<string, unknown>> extends AsyncDisposable {
  /** The instance as registered (metadata defaulted to `{}`). */
  readonly instance: ServiceInstance<M>;
  readonly lost$: Observable<void>;
  deregister(): Promise<void>;
}

/**
 * The instances of one service: register yours, discover the others.
 *
 * @example
 * ```ts
 * const api = client.services<{ zone: string }>('orders-api');
 * await api.register({ id: 'orders-1', address: '10.0.0.5:8080', metadata: { zone: 'a' } });
 * api.instances$.subscribe((all) => console.log(all.map((i) => `${i.address} in ${i.metadata.zone}`)));
 * ```
 */
export interface ServiceRegistry<M extends Record<string, unknown> = Record<string, unknown>> {
  register(instance: { id: string; address: string; metadata?: M }): Promise<Registration<M>>;
  instances(): Promise<ServiceInstance<M>[]>;
  /** The full current set at subscribe, then on every change. */
  readonly instances$: Observable<ServiceInstance<M>[]>;
}
