/**
 * Running `etcdctl` (v3 API) as a bounded, PID-tracked child process.
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { findEtcd } from './etcd-binary.js';
import { cleanEnv } from './managed-process.js';
import { trackPid, untrackPid } from './cleanup-registry.js';

/** Options of {@link runEtcdctl}. */
export interface EtcdctlOptions {
  /** `host:port` endpoints (passed as `--endpoints`). */
  endpoints?: readonly string[];
  /** Kill etcdctl after this many milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Text written to etcdctl's stdin (e.g. a value for `put`). */
  input?: string;
}

/** What an etcdctl run printed and how it ended. */
export interface EtcdctlResult {
  /** Exit code; `null` when killed (e.g. on timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run etcdctl with `args` and collect its output. Never rejects on a non-zero exit: check
 * `code`. The process is SIGKILLed at `timeoutMs`.
 *
 * @example
 * ```ts
 * const r = await runEtcdctl(['get', 'k', '--print-value-only'], { endpoints: cluster.endpoints });
 * r.code;   // 0
 * r.stdout; // 'v\n'
 * ```
 */
export function runEtcdctl(args: readonly string[], options: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fullArgs = options.endpoints ? [`--endpoints=${options.endpoints.join(',')}`, ...args] : [...args];
  return new Promise<EtcdctlResult>((resolve, reject) => {
    const child = spawn(findEtcd().etcdctl, fullArgs, {
      env: cleanEnv({ ETCDCTL_API: '3' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) {
      trackPid(pid);
      child.once('exit', () => untrackPid(pid));
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => {
      // etcdctl may exit before reading stdin.
    });
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) untrackPid(pid);
      reject(new Error(`cannot run etcdctl: ${err.message}`, { cause: err }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
