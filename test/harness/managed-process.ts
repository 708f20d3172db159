/**
 * A child process the harness owns: tracked in the PID registry, output appended to a log
 * file, with bounded stop/kill/pause/resume.
 *
 * @module
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { trackPid, untrackPid } from './cleanup-registry.js';

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link ManagedProcess.spawn}. */
export interface SpawnOptions {
  /** File that receives the process's stdout and stderr (appended). */
  logFile: string;
  /** Working directory. */
  cwd?: string;
  /** Environment; defaults to {@link cleanEnv}(). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The current environment without `ETCD_*` / `ETCDCTL_*` variables (etcd and etcdctl read those
 * as flags), plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ETCD_') && !key.startsWith('ETCDCTL_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** A spawned, PID-tracked child process. */
export class ManagedProcess {
  /** OS process id. */
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | undefined;
  #paused = false;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, pid: number) {
    this.#child = child;
    this.pid = pid;
    trackPid(pid);
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#paused = false;
        untrackPid(pid);
        resolve(this.#exit);
      });
    });
  }

  /**
   * Start `command` with `args`. Resolves once the OS process exists.
   *
   * @throws Error when the executable cannot be started (e.g. ENOENT).
   */
  static async spawn(command: string, args: readonly string[], options: SpawnOptions): Promise<ManagedProcess> {
    const fd = openSync(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot start ${command}: ${err.message}`, { cause: err });
    }
    child.on('error', () => {
      // Signalling errors are surfaced by the callers; never crash the worker.
    });
    return new ManagedProcess(child, pid);
  }

  /** True until the exit of the process has been observed. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** True between {@link pause} and {@link resume}. */
  get paused(): boolean {
    return this.#paused;
  }

  /** How the process ended, once it has. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /** Send a signal if the process is still running; returns whether it was sent. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      return this.#child.kill(signal);
    } catch {
      return false;
    }
  }

  /** Wait up to `timeoutMs` for the exit; returns whether it exited. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.exited.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGKILL and wait for the exit event (bounded by `timeoutMs`, default 10 s).
   *
   * @throws Error if the exit is not observed in time.
   */
  async kill(timeoutMs = 10_000): Promise<ExitInfo> {
    this.signal('SIGKILL');
    if (!(await this.waitForExit(timeoutMs))) {
      throw new Error(`process ${this.pid} did not exit within ${timeoutMs} ms of SIGKILL`);
    }
    return this.exitInfo as ExitInfo;
  }

  /**
   * Graceful stop: SIGTERM (and SIGCONT if paused), wait up to `graceMs` (default 5 s), then
   * {@link kill}.
   */
  async stop(graceMs = 5_000): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo as ExitInfo;
    this.signal('SIGTERM');
    if (this.#paused) this.resume();
    if (await this.waitForExit(graceMs)) return this.exitInfo as ExitInfo;
    return this.kill();
  }

  /** SIGSTOP: freeze the process. */
  pause(): void {
    if (this.signal('SIGSTOP')) this.#paused = true;
  }

  /** SIGCONT: unfreeze the process. */
  resume(): void {
    if (this.signal('SIGCONT')) this.#paused = false;
  }
}
