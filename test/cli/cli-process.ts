/**
 * The `conclave` command as users run it: `node_modules/.bin/conclave` of the app that installed
 * the packed tarball (test/harness/packed.ts). One-shot runs ({@link runCli}) and long-running
 * children ({@link CliChild}: `ui`, `watch`, `lock`), tracked by PID and stopped by PID.
 */
import { join } from 'node:path';
import { OutputChild } from '../harness/output-child.js';
import { packedApp } from '../harness/packed.js';

/** The installed bin. */
export async function cliPath(): Promise<string> {
  const { app } = await packedApp();
  return join(app, 'node_modules/.bin/conclave');
}

/** A running `conclave` child (output collected, bounded waits, stopped by PID: test/harness/output-child.ts). */
export class CliChild extends OutputChild {
  /** Starts `conclave ...args` (environment without CONCLAVE_* unless given in `env`). */
  static async start(args: readonly string[], env: Record<string, string> = {}): Promise<CliChild> {
    const base: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONCLAVE_') && !k.startsWith('ETCD')) base[k] = v;
    return new CliChild('conclave', await cliPath(), args, { env: { ...base, ...env } });
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
