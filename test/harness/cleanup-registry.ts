/**
 * Module-level registry of every OS process and temp dir the harness created.
 *
 * Each spawned process is {@link trackPid | tracked} until its exit is observed; each temp dir
 * until it is removed. Whatever is still tracked is cleaned up synchronously (processes
 * SIGKILLed, dirs removed) when this Node process exits or receives SIGINT/SIGTERM, and by
 * {@link killAllTracked} (called from the vitest setup file's `afterAll`), so a failing or
 * timed-out test never leaves etcd behind. Only PIDs recorded here are ever signalled.
 *
 * @module
 */

import { rmSync } from 'node:fs';

const pids = new Set<number>();
const dirs = new Set<string>();
let handlersInstalled = false;

/**
 * SIGKILL every tracked PID, synchronously. Errors (already gone) are ignored.
 *
 * @returns the PIDs that were signalled.
 */
export function killAllTracked(): number[] {
  const killed: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // ESRCH: already gone.
    }
  }
  pids.clear();
  return killed;
}

/** Remove every tracked temp dir, synchronously (best effort). */
export function removeAllTrackedDirs(): void {
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort at exit.
    }
  }
  dirs.clear();
}

function cleanupAtExit(): void {
  killAllTracked();
  if (process.env['CONCLAVE_KEEP_ETCD_DIRS'] !== '1') removeAllTrackedDirs();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAtExit();
  // If nobody else handles this signal, restore the default behaviour (terminate).
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupAtExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Record a PID the harness started; it is SIGKILLed at exit unless {@link untrackPid | untracked} first. */
export function trackPid(pid: number): void {
  installHandlers();
  pids.add(pid);
}

/** Forget a PID whose exit was observed. */
export function untrackPid(pid: number): void {
  pids.delete(pid);
}

/** The PIDs currently tracked (started and not yet seen to exit). */
export function trackedPids(): number[] {
  return [...pids];
}

/** Record a temp dir; it is removed at exit unless {@link untrackDir | untracked} first. */
export function trackDir(dir: string): void {
  installHandlers();
  dirs.add(dir);
}

/** Forget a temp dir that was removed. */
export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/**
 * Whether a process with this PID exists (signal-0 probe). A zombie (exited, not yet reaped by
 * its parent) still counts as alive.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
