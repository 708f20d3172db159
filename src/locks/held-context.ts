/**
 * Which locks the current async context holds through `withLock`, so that a nested `withLock`
 * (or `acquire`) of the same mutex in the same client fails with `DeadlockError` instead of
 * waiting for itself forever. Uses `AsyncLocalStorage` where the runtime has it (Node, Bun,
 * Deno: found through the runtime's `getBuiltinModule`, with no static import, so browser bundles are
 * unaffected); elsewhere nothing is tracked and nesting is the caller's to avoid.
 * @module
 * @internal
 */

interface Storage<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

type AsyncHooks = { AsyncLocalStorage: new <T>() => Storage<T> };
type ProcessLike = { getBuiltinModule?: (id: string) => unknown };

function loadStorage(): Storage<ReadonlySet<object>> | undefined {
  try {
    const hooks = (globalThis as { process?: ProcessLike }).process?.getBuiltinModule?.('node:async_hooks') as AsyncHooks | undefined;
    return hooks ? new hooks.AsyncLocalStorage<ReadonlySet<object>>() : undefined;
  } catch {
    return undefined;
  }
}

const storage = loadStorage();

/** True where nested holds can be detected (the runtime has `AsyncLocalStorage`). */
export const tracksHolds = storage !== undefined;

/** True when the current async context runs inside a `withLock` of `resource`. */
export function holdsInContext(resource: object): boolean {
  return storage?.getStore()?.has(resource) ?? false;
}

/**
 * Runs `fn` with `resource` marked as held by this async context (and every one it starts).
 *
 * @example
 * ```ts
 * return runHolding(queue, () => fn(lock));
 * ```
 */
export function runHolding<R>(resource: object, fn: () => R): R {
  if (!storage) return fn();
  const held = storage.getStore();
  return storage.run(new Set(held ? [...held, resource] : [resource]), fn);
}
