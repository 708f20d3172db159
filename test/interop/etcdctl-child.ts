/**
 * A long-running `etcdctl` child (`lock`, `elect`) for interop tests: its
 * output is collected as it arrives, waits on it are event-driven and bounded,
 * and it is stopped by PID (tracked by the harness, so never left behind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { findEtcd } from '../harness/etcd-binary.js';
import { cleanEnv } from '../harness/managed-process.js';
import { trackPid, untrackPid } from '../harness/cleanup-registry.js';

export class EtcdctlChild {
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

  /** Spawns `etcdctl --endpoints=<endpoint> ...args`. */
  static start(endpoint: string, args: readonly string[]): EtcdctlChild {
    const child = spawn(findEtcd().etcdctl, [`--endpoints=${endpoint}`, ...args], {
      env: cleanEnv({ ETCDCTL_API: '3' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error('cannot start etcdctl');
    return new EtcdctlChild(child, child.pid);
  }

  /** The non-empty stdout lines so far. */
  lines(): string[] {
    return this.stdout.split('\n').filter((l) => l.length > 0);
  }

  /** Resolves once `predicate(stdout)` holds; rejects after `ms` or if etcdctl exits first. */
  until(predicate: (stdout: string) => boolean, ms = 15_000, what = 'etcdctl output'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.stdout)) finish();
        else if (this.exit) finish(new Error(`etcdctl exited (${JSON.stringify(this.exit)}) before ${what}; stdout ${JSON.stringify(this.stdout)} stderr ${this.stderr}`));
      };
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${ms} ms waiting for ${what}; stdout ${JSON.stringify(this.stdout)} stderr ${this.stderr}`)),
        ms,
      );
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` (by PID) and waits for the exit; SIGKILL after `ms`. */
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
