import { firstValueFrom, take, toArray, timeout, type Observable } from 'rxjs';

/** The first `n` values of `source`, or a rejection after `ms` (so a test never hangs). */
export function firstN<T>(source: Observable<T>, n: number, ms = 20_000): Promise<T[]> {
  return firstValueFrom(source.pipe(take(n), toArray(), timeout(ms)));
}

/** Resolves when `predicate` holds, checking on every call of the returned `check`, rejects after `ms`. */
export function waitFor(predicate: () => boolean, ms = 20_000, what = 'condition'): { promise: Promise<void>; check: () => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  const check = () => {
    if (predicate()) {
      clearTimeout(timer);
      resolve();
    }
  };
  check();
  return { promise, check };
}
