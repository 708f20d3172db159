/**
 * Client processes for fault tests: a TypeScript child program (run with `node --import tsx`)
 * that holds locks, leaderships or queue claims in its own process, so a test can SIGKILL it,
 * SIGSTOP it past its session TTL and SIGCONT it, like a real service.
 *
 * ## Protocol (JSON lines)
 * - parent → child, on stdin: `{ "id": 1, "op": "acquire", "args": { ... } }`
 * - child → parent, on stdout:
 *   - `{ "ready": true, "pid": 123 }` once, when the child serves requests;
 *   - `{ "id": 1, "ok": true, "result": ... }` or `{ "id": 1, "ok": false, "error": { "name", "code", "message" } }`;
 *   - `{ "event": "lost", "at": <Date.now()>, ... }` at any time.
 *
 * The child side lives in `test/faults/children/protocol.ts`. A child exits when its stdin
 * closes, so it never outlives the test process; it is also PID-tracked by the harness and
 * SIGKILLed after each test file.
 *
 * @example
 * ```ts
 * const child = await ClientProcess.start('test/faults/children/worker.ts', { label: 'A' });
 * await child.request('connect', { endpoints: cluster.endpoints, sessionTtlSeconds: 3 });
 * const { token } = await child.request<{ token: string }>('acquire', { lock: 'jobs' });
 * child.pause();                                                    // SIGSTOP past the TTL
 * child.resume();                                                   // SIGCONT
 * await child.waitForEvent((e) => e.event === 'lost', { timeoutMs: 10_000 });
 * await child.kill();
 * ```
 * @module
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { trackPid, untrackPid } from './cleanup-registry.js';
import { cleanEnv, type ExitInfo } from './managed-process.js';

/** The repository root (children run with it as working directory, so `--import tsx` resolves). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An event a child reported, with the parent's receive time. */
export interface ChildEvent {
  /** Event name, e.g. `'lost'`, `'acquired'`. */
  event: string;
  /** `Date.now()` in the child when it was emitted. */
  at: number;
  /** `Date.now()` in the parent when it arrived. */
  receivedAt: number;
  [field: string]: unknown;
}

/** A request the child answered with an error; `name` and `code` are the child's error's. */
export class ChildRequestError extends Error {
  readonly code: string | undefined;
  readonly remoteName: string;
  constructor(op: string, error: { name?: string; code?: string; message?: string }) {
    super(`${op}: ${error.name ?? 'Error'}${error.code ? ` (${error.code})` : ''}: ${error.message ?? ''}`);
    this.name = 'ChildRequestError';
    this.remoteName = error.name ?? 'Error';
    this.code = error.code;
  }
}

/** Options of {@link ClientProcess.start}. */
export interface ClientProcessOptions {
  /** A name for messages (default: the script's file name). */
  label?: string;
  /** Extra arguments after the script. */
  args?: readonly string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** How long to wait for the child's `ready` line (default 30 000 ms). */
  readyTimeoutMs?: number;
}

interface Pending {
  op: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

type Message =
  | { ready: true; pid: number }
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: { name?: string; code?: string; message?: string } }
  | ({ event: string; at: number } & Record<string, unknown>);

const STDERR_KEEP = 16_384;

/** A child program under the test's control. See the module documentation. */
export class ClientProcess {
  /** Every event received so far, in arrival order. */
  readonly events: ChildEvent[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  readonly label: string;
  readonly pid: number;
  #exit: ExitInfo | undefined;
  #paused = false;
  #stderr = '';
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(event: ChildEvent | undefined) => void>();
  readonly #child: ChildProcess;
  #ready: { resolve(): void; reject(error: Error): void } | undefined;

  private constructor(child: ChildProcess, pid: number, label: string) {
    this.#child = child;
    this.pid = pid;
    this.label = label;
    trackPid(pid);
    this.exited = new Promise<ExitInfo>((done) => {
      child.once('exit', (code, signal) => {
        untrackPid(pid);
        this.#exit = { code, signal };
        this.#paused = false;
        const why = new Error(`child ${label} (pid ${pid}) exited (code ${code}, signal ${signal})${this.#tail()}`);
        for (const [id, pending] of this.#pending) {
          clearTimeout(pending.timer);
          this.#pending.delete(id);
          pending.reject(why);
        }
        this.#ready?.reject(why);
        for (const listener of this.#listeners) listener(undefined);
        done(this.#exit);
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    child.stdin!.on('error', () => {
      // The child may be gone; pending requests are rejected by the exit handler.
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.#onLine(line));
  }

  /**
   * Spawns `node --import tsx <script>` (path relative to the repository root) and waits until
   * it reports ready.
   *
   * @throws Error when it exits or stays silent past `readyTimeoutMs`.
   */
  static async start(script: string, options: ClientProcessOptions = {}): Promise<ClientProcess> {
    const path = isAbsolute(script) ? script : resolve(REPO_ROOT, script);
    const child = spawn(process.execPath, ['--import', 'tsx', path, ...(options.args ?? [])], {
      cwd: REPO_ROOT,
      env: cleanEnv(options.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) {
      const err = await new Promise<Error>((done) => child.once('error', done));
      throw new Error(`cannot start ${script}: ${err.message}`, { cause: err });
    }
    child.on('error', () => {
      // Signalling errors surface through the exit handler.
    });
    const proc = new ClientProcess(child, child.pid, options.label ?? script.split('/').pop() ?? script);
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((ready, fail) => {
        proc.#ready = { resolve: ready, reject: fail };
        timer = setTimeout(() => fail(new Error(`child ${proc.label} not ready within ${timeoutMs} ms${proc.#tail()}`)), timeoutMs);
      });
    } catch (error) {
      await proc.kill().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
      proc.#ready = undefined;
    }
    return proc;
  }

  /** True until the exit has been observed. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** True between {@link pause} and {@link resume}. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Sends a request and resolves with the child's result.
   *
   * @throws ChildRequestError when the child answered with an error; Error on timeout or exit.
   */
  request<T = unknown>(op: string, args: unknown = {}, options: { timeoutMs?: number } = {}): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`child ${this.label} is not running`));
    const id = this.#nextId++;
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<T>((done, fail) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        fail(new Error(`child ${this.label}: ${op} got no answer within ${timeoutMs} ms${this.#tail()}`));
      }, timeoutMs);
      this.#pending.set(id, { op, resolve: done as (value: unknown) => void, reject: fail, timer });
      this.#child.stdin!.write(`${JSON.stringify({ id, op, args }, jsonBigint)}\n`);
    });
  }

  /**
   * Resolves with the first event at index >= `from` (default 0) that matches, waiting for it
   * if needed; rejects after `timeoutMs` (default 20 000) or when the child exits first.
   */
  waitForEvent(
    predicate: (event: ChildEvent) => boolean,
    options: { timeoutMs?: number; from?: number; description?: string } = {},
  ): Promise<ChildEvent> {
    const start = options.from ?? 0;
    const found = this.events.slice(start).find(predicate);
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
        if (event === undefined) finish(new Error(`child ${this.label} exited while waiting for ${what}${this.#tail()}`));
        else if (predicate(event)) finish(undefined, event);
      };
      const timer = setTimeout(() => finish(new Error(`child ${this.label}: no ${what} within ${timeoutMs} ms${this.#tail()}`)), timeoutMs);
      if (!this.running) {
        listener(undefined);
        return;
      }
      this.#listeners.add(listener);
    });
  }

  /** Calls `listener` with every event from now on; returns the unsubscribe function. */
  onEvent(listener: (event: ChildEvent) => void): () => void {
    const wrapped = (event: ChildEvent | undefined): void => {
      if (event) listener(event);
    };
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** SIGSTOP: the process keeps its sockets and timers but runs nothing. */
  pause(): void {
    if (this.#signal('SIGSTOP')) this.#paused = true;
  }

  /** SIGCONT a paused process. */
  resume(): void {
    if (this.#signal('SIGCONT')) this.#paused = false;
  }

  /** SIGKILL (a paused process dies too) and wait for the exit, bounded by `timeoutMs`. */
  async kill(timeoutMs = 10_000): Promise<ExitInfo> {
    this.#signal('SIGKILL');
    return this.#waitExit(timeoutMs, 'SIGKILL');
  }

  /** Graceful: close stdin (the child exits), SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ExitInfo> {
    if (!this.running) return this.#exit!;
    if (this.#paused) this.resume();
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs);
    try {
      return await this.#waitExit(graceMs + 10_000, 'stdin close');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last part of the child's stderr (for failure messages). */
  stderrTail(): string {
    return this.#stderr;
  }

  #tail(): string {
    const tail = this.#stderr.trim().split('\n').slice(-15).join('\n');
    return tail ? `\n--- ${this.label} stderr ---\n${tail}` : '';
  }

  async #waitExit(timeoutMs: number, what: string): Promise<ExitInfo> {
    if (!this.running) return this.#exit!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`child ${this.label} (pid ${this.pid}) did not exit within ${timeoutMs} ms of ${what}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      return this.#child.kill(signal);
    } catch {
      return false;
    }
  }

  #onLine(line: string): void {
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      this.#stderr = (this.#stderr + `[stdout] ${line}\n`).slice(-STDERR_KEEP);
      return;
    }
    if ('ready' in message) {
      this.#ready?.resolve();
      return;
    }
    if ('event' in message) {
      const event: ChildEvent = { ...message, receivedAt: Date.now() };
      this.events.push(event);
      for (const listener of [...this.#listeners]) listener(event);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new ChildRequestError(pending.op, message.error));
  }
}

/** JSON replacer writing bigints as decimal strings. */
export function jsonBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
