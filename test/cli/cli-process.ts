/**
 * The `conclave` command as users run it: `node_modules/.bin/conclave` of the app that installed
 * the packed tarball (test/harness/packed.ts). One-shot runs ({@link runCli}) and long-running
 * children ({@link CliChild}: `ui`, `watch`, `lock`), tracked by PID and stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { trackPid, untrackPid } from '../harness/cleanup-registry.js';
import { packedApp } from '../harness/packed.js';

/** The installed bin. */
export async function cliPath(): Promise<string> {
  const { app } = await packedApp();
  return join(app, 'node_modules/.bin/conclave');
}

/** A running `conclave` child. */
export class CliChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
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

  /** Starts `conclave ...args` (environment without CONCLAVE_* unless given in `env`). */
  static async start(args: readonly string[], env: Record<string, string> = {}): Promise<CliChild> {
    const base: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONCLAVE_') && !k.startsWith('ETCD')) base[k] = v;
    const child = spawn(await cliPath(), args, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('cannot start conclave');
    return new CliChild(child, child.pid);
  }

  /** Resolves once `predicate(stdout)` holds; rejects after `ms` or if the command exits first. */
  until(predicate: (stdout: string) => boolean, ms = 20_000, what = 'conclave output'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.stdout)) finish();
        else if (this.exit) finish(new Error(`conclave exited (${JSON.stringify(this.exit)}) before ${what}; stdout ${this.stdout} stderr ${this.stderr}`));
      };
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}; stdout ${this.stdout} stderr ${this.stderr}`)), ms);
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` by PID and waits for the exit; SIGKILL after `ms`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, ms);
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

/** Runs `conclave ...args` to its end (killed after `timeoutMs`). */
export async function runCli(args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = await CliChild.start(args, opts.env);
  const timer = setTimeout(() => void child.stop('SIGKILL'), opts.timeoutMs ?? 30_000);
  try {
    const { code } = await child.exited;
    return { code, stdout: child.stdout, stderr: child.stderr };
  } finally {
    clearTimeout(timer);
  }
}
