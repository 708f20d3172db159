/**
 * A child process whose output tests wait on: stdout/stderr collected as they arrive, waits on
 * them event-driven and bounded, stopped by PID (tracked by the harness, so never left behind).
 * Used for `etcdctl lock`/`elect` (test/interop/etcdctl-child.ts) and the `conclave` command
 * (test/cli/cli-process.ts).
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { trackPid, untrackPid } from './cleanup-registry.js';

export type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

export class OutputChild {
  stdout = '';
  stderr = '';
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | undefined;
  private readonly listeners = new Set<() => void>();

  /** Spawns `command ...args`; `name` labels its errors. */
  constructor(
    private readonly name: string,
    command: string,
    args: readonly string[],
    options: Pick<SpawnOptions, 'env'> = {},
  ) {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`cannot start ${name}`);
    const pid = child.pid;
    this.pid = pid;
    trackPid(pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        untrackPid(pid);
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
  }

  /** The non-empty stdout lines so far. */
  lines(): string[] {
    return this.stdout.split('\n').filter((l) => l.length > 0);
  }

  /** Resolves once `predicate(stdout)` holds; rejects after `ms` or if the child exits first. */
  until(predicate: (stdout: string) => boolean, ms = 20_000, what = `${this.name} output`): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.stdout)) finish();
        else if (this.exit) finish(new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}; stdout ${JSON.stringify(this.stdout)} stderr ${this.stderr}`));
      };
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}; stdout ${JSON.stringify(this.stdout)} stderr ${this.stderr}`)), ms);
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` by PID and waits for the exit; SIGKILL after `ms`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<ChildExit> {
    if (!this.exit) kill(this.pid, signal);
    const timer = setTimeout(() => kill(this.pid, 'SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
