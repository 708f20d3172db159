/**
 * A small typed event emitter with the shape of Node's `EventEmitter` (so `events.once(emitter,
 * 'status')` and other Node helpers accept it) that runs anywhere: browsers and edge runtimes
 * have no `node:events`. Listeners run synchronously in registration order; an `'error'` event
 * with no listener is dropped (a client's background errors never crash the process).
 * @module
 */

type Listener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any -- listeners of every event, stored untyped

interface Entry {
  fn: Listener;
  once: boolean;
}

/**
 * An emitter of the events in map `M` (event name -> argument tuple).
 *
 * @example
 * ```ts
 * const e = new TypedEmitter<{ tick: [n: number] }>();
 * e.on('tick', (n) => console.log(n));
 * e.emit('tick', 1);
 * ```
 */
export class TypedEmitter<M extends { [K in keyof M]: unknown[] }> {
  #entries = new Map<keyof M, Entry[]>();

  #add<K extends keyof M>(event: K, fn: (...args: M[K]) => void, once: boolean, prepend: boolean): this {
    const list = this.#entries.get(event) ?? [];
    const entry = { fn: fn as Listener, once };
    this.#entries.set(event, prepend ? [entry, ...list] : [...list, entry]);
    return this;
  }

  on<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    return this.#add(event, listener, false, false);
  }
  addListener<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    return this.#add(event, listener, false, false);
  }
  once<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    return this.#add(event, listener, true, false);
  }
  prependListener<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    return this.#add(event, listener, false, true);
  }
  prependOnceListener<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    return this.#add(event, listener, true, true);
  }

  /** Removes the most recently added registration of `listener` for `event`. */
  off<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    const list = this.#entries.get(event);
    if (!list) return this;
    const i = list.map((e) => e.fn).lastIndexOf(listener as Listener);
    if (i < 0) return this;
    const next = list.filter((_, j) => j !== i);
    if (next.length === 0) this.#entries.delete(event);
    else this.#entries.set(event, next);
    return this;
  }
  removeListener<K extends keyof M>(event: K, listener: (...args: M[K]) => void): this {
    return this.off(event, listener);
  }
  removeAllListeners(event?: keyof M): this {
    if (event === undefined) this.#entries.clear();
    else this.#entries.delete(event);
    return this;
  }

  /** Calls every listener of `event` with `args`; true when there was one. */
  emit<K extends keyof M>(event: K, ...args: M[K]): boolean {
    const list = this.#entries.get(event);
    if (!list || list.length === 0) return false;
    const onces = list.filter((e) => e.once);
    if (onces.length > 0) {
      const left = list.filter((e) => !e.once);
      if (left.length === 0) this.#entries.delete(event);
      else this.#entries.set(event, left);
    }
    for (const entry of list) entry.fn(...args);
    return true;
  }

  listeners<K extends keyof M>(event: K): Array<(...args: M[K]) => void> {
    return (this.#entries.get(event) ?? []).map((e) => e.fn as (...args: M[K]) => void);
  }
  rawListeners<K extends keyof M>(event: K): Array<(...args: M[K]) => void> {
    return this.listeners(event);
  }
  listenerCount(event: keyof M): number {
    return this.#entries.get(event)?.length ?? 0;
  }
  eventNames(): Array<keyof M & (string | symbol)> {
    return [...this.#entries.keys()] as Array<keyof M & (string | symbol)>;
  }
  /** There is no listener limit: kept for Node compatibility. */
  setMaxListeners(_n: number): this {
    return this;
  }
  getMaxListeners(): number {
    return Infinity;
  }
}
