/**
 * `conclave lock <name> -- <command...>`: runs a command while holding a mutex (the same lock as
 * `client.mutex(name)`, Go's `concurrency.Mutex` and `etcdctl lock`). The command gets the
 * fencing token in `CONCLAVE_FENCING_TOKEN` and the lock key in `CONCLAVE_LOCK_KEY`; if the lock
 * is lost while it runs, it gets SIGTERM. Exits with the command's exit code.
 * @module
 */
import { spawn } from 'node:child_process';
import { open, UsageError, type Connection } from '../options.js';

/** Exit code when the lock was lost while the command ran (as a shell reports SIGTERM). */
export const EXIT_LOCK_LOST = 143;

/** Holds mutex `name` while `command` runs; resolves with the exit code to use. */
export async function runLocked(connection: Connection, name: string, command: readonly string[], timeoutMs?: number): Promise<number> {
  if (command.length === 0) throw new UsageError('lock: give the command after --, e.g. conclave lock jobs/nightly -- ./run.sh');
  const { client } = await open(connection);
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const lock = await client.mutex(name).acquire({ signal: interrupted.signal, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    try {
      const child = spawn(command[0]!, command.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, CONCLAVE_FENCING_TOKEN: lock.fencingToken.toString(), CONCLAVE_LOCK_KEY: lock.key },
      });
      let lost = false;
      const stop = () => child.kill('SIGTERM');
      lock.signal.addEventListener('abort', () => {
        if (child.exitCode === null && child.signalCode === null) {
          lost = true;
          process.stderr.write(`conclave: lost the lock ${name} while the command ran; stopping it\n`);
          stop();
        }
      });
      interrupted.signal.addEventListener('abort', stop);
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', (e) => reject(new Error(`cannot run ${command[0]}: ${e.message}`)));
        child.once('exit', (c, signal) => resolve(c ?? (signal === 'SIGTERM' ? 143 : signal === 'SIGINT' ? 130 : 1)));
      });
      return lost ? EXIT_LOCK_LOST : code;
    } finally {
      await lock.release().catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
}
