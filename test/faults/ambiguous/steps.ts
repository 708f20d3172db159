/**
 * Bounded steps for the ambiguous-outcome and compaction-outage tables: every wait has a
 * deadline, and a deadline that passes is reported as a `hang` (not left to the test timeout).
 */
import { ConclaveError, type Conclave } from '../../../src/index.js';
import type { Violation } from '../checkers/violation.js';

/** Thrown by {@link within} when its deadline passes. */
export class HangError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not settle within ${ms} ms`);
    this.name = 'HangError';
  }
}

/** `promise`, or a {@link HangError} after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new HangError(what, ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** How an operation ended. */
export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: unknown };

/** Settles `promise` into an {@link Outcome}, bounded by `ms` (a hang is a failed outcome with a {@link HangError}). */
export async function settle<T>(promise: Promise<T>, ms: number, what: string): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await within(promise, ms, what) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A short text for an error. */
export function describeError(error: unknown): string {
  if (error instanceof ConclaveError) return `${error.name}(${error.code}${error.retryable ? ', retryable' : ''}): ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Violations recorded by one run of a case, plus free-form notes. */
export class RunLog {
  readonly violations: Violation[] = [];
  readonly notes: string[] = [];

  constructor(readonly label: string) {}

  /** Records `kind` unless `ok`. */
  that(ok: boolean, kind: string, detail: string): boolean {
    if (!ok) this.violations.push({ kind, detail: `${this.label}: ${detail}` });
    return ok;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Runs a bounded step; a hang or an error becomes a violation of `kind` (default `hang` / `step-failed`). Returns the outcome. */
  async step<T>(what: string, promise: Promise<T>, ms: number, kind?: string): Promise<Outcome<T>> {
    const out = await settle(promise, ms, what);
    if (!out.ok) this.that(false, kind ?? (out.error instanceof HangError ? 'hang' : 'step-failed'), `${what}: ${describeError(out.error)}`);
    return out;
  }

  /** A wait that must NOT finish within `ms` (someone else holds the resource). */
  async stillBlocked(what: string, start: (signal: AbortSignal) => Promise<unknown>, ms: number, kind: string): Promise<void> {
    const controller = new AbortController();
    const out = await settle(start(controller.signal), ms, what);
    controller.abort();
    if (out.ok) {
      this.that(false, kind, `${what} went through although it must wait`);
      await (out.value as { release?: () => Promise<void>; resign?: () => Promise<void> })?.release?.().catch(() => undefined);
      await (out.value as { resign?: () => Promise<void> })?.resign?.().catch(() => undefined);
    }
  }
}

/** The participants of one run, every client namespaced to the run's prefix. */
export interface World {
  /** The client under fault. */
  subject: Conclave;
  /** Fault-free clients: another participant, and a third one. */
  peer: Conclave;
  third: Conclave;
  /** Fault-free reader. */
  observer: Conclave;
  prefix: string;
  log: RunLog;
  /** Whether a fault is injected in this run (false in the clean run that counts the writes). */
  faulted: boolean;
}

/** Bound of one waiting step in a case (the machine is loaded: generous, but finite). */
export const STEP_MS = 10_000;
/** How long "must still wait" checks wait before deciding the wait is blocked. */
export const BLOCKED_MS = 400;

/** Parses a JSON `{ id }` message value. */
export function idOf(value: unknown): string {
  return (value as { id?: string } | undefined)?.id ?? String(value);
}
