/**
 * Tables of live objects kept per connection (or per session), so that every namespace and
 * every primitive object of one client finds the same entry: the local queue of a session key,
 * the dispatcher and delay promoter of a queue, the active registration of a service instance,
 * the `lead` turn of an election. An owner that is garbage collected takes its tables with it.
 * @module
 * @internal
 */

/**
 * Entries of type `V` by string id, one table per owner (a {@link Store}'s `connection`, or a session).
 *
 * @example
 * ```ts
 * const queues = new Registry<LocalQueue>();
 * const queue = queues.ensure(store.connection, id, (forget) => new LocalQueue(forget));
 * ```
 */
export class Registry<V> {
  /** The table of each owner. */
  private readonly tables = new WeakMap<object, Map<string, V>>();

  /** The table of `owner` (created empty on first use). */
  table(owner: object): Map<string, V> {
    let table = this.tables.get(owner);
    if (!table) this.tables.set(owner, (table = new Map()));
    return table;
  }

  /**
   * The entry `id` of `owner`; when there is none, the one `create` makes. `create` receives
   * `forget()`, which removes that entry, if it is still the one registered under `id`.
   */
  ensure(owner: object, id: string, create: (forget: () => void) => V): V {
    const table = this.table(owner);
    const existing = table.get(id);
    if (existing !== undefined) return existing;
    const entry: V = create(() => {
      if (table.get(id) === entry) table.delete(id);
    });
    table.set(id, entry);
    return entry;
  }
}
