/**
 * A long-lived process running etcd's real Go client (`test/interop/go/`, built by
 * `go-build.ts`), driven by JSON lines like the Node children of
 * `test/harness/client-process.ts`: `{ id, op, args }` in, `{ id, ok, result | error }` and
 * `{ event, at, seq, ... }` out.
 *
 * Ops (`args.obj` names an object; it lives on its own session unless `args.session` names a
 * shared one; `args.name` is the etcd prefix or key):
 * - `mutex.lock` / `mutex.unlock` — `concurrency.NewMutex(s, name)`; result `{ key, revision }`
 * - `election.campaign {value}` / `.proclaim {value}` / `.resign` / `.leader` / `.observe` /
 *   `.unobserve` — `concurrency.NewElection(s, name)`; observe emits `election.observed`
 *   events `{ key, value, revision, modRevision }`
 * - `rwlock.rlock` / `.runlock` / `.lock` / `.unlock` — `recipe.NewRWMutex(s, name)`
 * - `queue.enqueue {value}` / `queue.dequeue` — `recipe.NewQueue(client, name)`
 * - `pqueue.enqueue {value, priority}` / `pqueue.dequeue` — `recipe.NewPriorityQueue(client, name)`
 * - `barrier.hold` / `.release` / `.wait` — `recipe.NewBarrier(client, name)`
 * - `dbarrier.enter {count}` / `dbarrier.leave` — `recipe.NewDoubleBarrier(s, name, count)`
 * - `session.open` / `session.close {session}` (revokes the lease), `cancel {target}` (a
 *   request id: cancels a `mutex.lock` or `election.campaign` in flight), `ping`.
 *
 * Every op that succeeds emits an event named like the op (fields: `obj`, `name`, `request`
 * and the result's), before its answer: `seq` orders the Go side's completions.
 *
 * @example
 * ```ts
 * const go = await GoDriver.start({ endpoints: sharedCluster().endpoints });
 * const locked = go.call('mutex.lock', { obj: 'm1', name: 'jobs' });
 * await go.waitForEvent((e) => e.event === 'mutex.lock' && e['obj'] === 'm1');
 * await go.request('mutex.unlock', { obj: 'm1' });
 * await go.stop();
 * ```
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { trackPid, untrackPid } from '../harness/cleanup-registry.js';
import { ChildRequestError, type ChildEvent } from '../harness/client-process.js';
import { cleanEnv, type ExitInfo } from '../harness/managed-process.js';
import { goDriverBinary } from './go-build.js';

export { ChildRequestError };
export type { ChildEvent };

/** Options of {@link GoDriver.start}. */
export interface GoDriverOptions {
  /** `127.0.0.1:<port>` etcd endpoints (the Go client always talks to etcd directly). */
  endpoints: readonly string[];
  /** Key prefix of every key (Go's `clientv3/namespace`, like Conclave's `namespace` option). */
  namespace?: string;
  /** Default session TTL in seconds (default 10). */
  ttlSeconds?: number;
  /** A name for messages (default `go`). */
  label?: string;
}

interface Pending {
  op: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const STDERR_KEEP = 16_384;

/** A Go client process under the test's control. See the module documentation. */
export class GoDriver {
  /** Every event received so far, in arrival (= Go `seq`) order. */
  readonly events: ChildEvent[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | undefined;
  #stderr = '';
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(event: ChildEvent | undefined) => void>();
  #ready: (() => void) | undefined;

  private constructor(
    readonly label: string,
    readonly pid: number,
    private readonly child: ChildProcess,
  ) {
    trackPid(pid);
    this.exited = new Promise<ExitInfo>((done) => {
      child.once('exit', (code, signal) => {
        untrackPid(pid);
        this.#exit = { code, signal };
        const why = new Error(`${label} (pid ${pid}) exited (code ${code}, signal ${signal})${this.#tail()}`);
        for (const pending of this.#pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(why);
        }
        this.#pending.clear();
        for (const listener of [...this.#listeners]) listener(undefined);
        done(this.#exit);
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    child.stdin!.on('error', () => {
      // The process may be gone; pending requests are rejected by the exit handler.
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.#onLine(line));
  }

  /**
   * Builds the driver if needed, starts it and waits until it is connected and ready.
   *
   * @throws Error when Go is missing, the build fails, or the process exits or stays silent.
   */
  static async start(options: GoDriverOptions): Promise<GoDriver> {
    const bin = await goDriverBinary();
    const args = [`-endpoints=${options.endpoints.join(',')}`, `-ttl=${options.ttlSeconds ?? 10}`, `-namespace=${options.namespace ?? ''}`];
    const child = spawn(bin, args, { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid === undefined) {
      const err = await new Promise<Error>((done) => child.once('error', done));
      throw new Error(`cannot start ${bin}: ${err.message}`, { cause: err });
    }
    child.on('error', () => {
      // Surfaces through the exit handler.
    });
    const driver = new GoDriver(options.label ?? 'go', child.pid, child);
    const ready = new Promise<void>((done) => (driver.#ready = done));
    const failed = driver.exited.then((exit) => {
      throw new Error(`${driver.label} exited before ready (${JSON.stringify(exit)})${driver.#tail()}`);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${driver.label} not ready within 20 s${driver.#tail()}`)), 20_000);
    });
    try {
      await Promise.race([ready, failed, late]);
    } catch (error) {
      await driver.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return driver;
  }

  /** True until the exit has been observed. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /**
   * Sends a request and resolves with its result (after its event arrived).
   *
   * @throws ChildRequestError when the Go call failed; Error on timeout (default 30 s) or exit.
   */
  request<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}, options: { timeoutMs?: number } = {}): Promise<T> {
    return this.call<T>(op, args, options).result;
  }

  /** Like {@link request}, also returning the request id (for `cancel`). */
  call<T = Record<string, unknown>>(
    op: string,
    args: Record<string, unknown> = {},
    options: { timeoutMs?: number } = {},
  ): { id: number; result: Promise<T> } {
    const id = this.#nextId++;
    if (!this.running) return { id, result: Promise.reject(new Error(`${this.label} is not running`)) };
    const timeoutMs = options.timeoutMs ?? 30_000;
    const result = new Promise<T>((done, fail) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        fail(new Error(`${this.label}: ${op} ${JSON.stringify(args)} got no answer within ${timeoutMs} ms${this.#tail()}`));
      }, timeoutMs);
      this.#pending.set(id, { op, resolve: done as (value: unknown) => void, reject: fail, timer });
      this.child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    });
    return { id, result };
  }

  /**
   * Resolves with the first event at index >= `from` (default 0) that matches, waiting for it
   * if needed; rejects after `timeoutMs` (default 20 000) or when the process exits first.
   */
  waitForEvent(
    predicate: (event: ChildEvent) => boolean,
    options: { timeoutMs?: number; from?: number; description?: string } = {},
  ): Promise<ChildEvent> {
    const found = this.events.slice(options.from ?? 0).find(predicate);
    if (found) return Promise.resolve(found);
    const what = options.description ?? 'an event';
    const timeoutMs = options.timeoutMs ?? 20_000;
    return new Promise<ChildEvent>((done, fail) => {
      const finish = (error: Error | undefined, event?: ChildEvent): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        if (error) fail(error);
        else done(event!);
      };
      const listener = (event: ChildEvent | undefined): void => {
        if (event === undefined) finish(new Error(`${this.label} exited while waiting for ${what}${this.#tail()}`));
        else if (predicate(event)) finish(undefined, event);
      };
      const timer = setTimeout(() => {
        const seen = this.events.map((e) => `${e.event}(${String(e['obj'] ?? '')})`).join(' ');
        finish(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; events: ${seen}${this.#tail()}`));
      }, timeoutMs);
      if (!this.running) listener(undefined);
      else this.#listeners.add(listener);
    });
  }

  /** Graceful: close stdin (the driver revokes its sessions and exits); SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ExitInfo> {
    if (!this.running) return this.#exit!;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.#kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL (its sessions then expire with their TTL) and wait for the exit. */
  async kill(): Promise<ExitInfo> {
    this.#kill();
    return this.exited;
  }

  #kill(): void {
    if (!this.running) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }

  #tail(): string {
    const tail = this.#stderr.trim().split('\n').slice(-15).join('\n');
    return tail ? `\n--- ${this.label} stderr ---\n${tail}` : '';
  }

  #onLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.#stderr = (this.#stderr + `[stdout] ${line}\n`).slice(-STDERR_KEEP);
      return;
    }
    if (message['ready'] === true) {
      this.#ready?.();
      return;
    }
    if (typeof message['event'] === 'string') {
      const event = { ...message, receivedAt: Date.now() } as ChildEvent;
      this.events.push(event);
      for (const listener of [...this.#listeners]) listener(event);
      return;
    }
    const id = message['id'] as number;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (message['ok'] === true) pending.resolve(message['result']);
    else pending.reject(new ChildRequestError(pending.op, (message['error'] ?? {}) as { name?: string; code?: string; message?: string }));
  }
}
