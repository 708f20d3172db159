/**
 * Child processes started by a cell (candidates, subscriber processes): spawned with tsx,
 * reported to the runner by PID (so it can kill them if the cell dies), read line by line, and
 * killed by PID at the end.
 *
 * @example
 * ```ts
 * const child = spawnChild('bench/scenarios/perf/candidate-main.ts', [endpoint, name, '2']);
 * await child.line((l) => l === 'elected', 60_000);
 * child.kill();
 * ```
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { reportChildPid } from './perf.js';
import { within } from './timing.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A child node process running a bench script under tsx. */
export class Child {
  readonly #proc: ChildProcess;
  readonly #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  /** Called for every stdout line. */
  onLine: (line: string) => void = () => undefined;
  #exited = false;

  constructor(script: string, args: readonly string[]) {
    this.#proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    reportChildPid(this.#proc.pid);
    let buffer = '';
    this.#proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        this.onLine(line);
        for (const w of [...this.#waiters]) {
          if (w.match(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    this.#proc.on('exit', () => (this.#exited = true));
  }

  /** OS process id. */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Resolves with the first stdout line from now on that `match`es (bounded). */
  line(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return within(new Promise<string>((resolve) => this.#waiters.push({ match, resolve })), timeoutMs, `a line from child ${this.pid}`);
  }

  /** SIGKILL by PID (no-op once exited). */
  kill(): void {
    if (!this.#exited && this.#proc.pid !== undefined) {
      try {
        process.kill(this.#proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Starts `script` (a path from the repository root) under tsx. */
export function spawnChild(script: string, args: readonly string[]): Child {
  return new Child(script, args);
}
