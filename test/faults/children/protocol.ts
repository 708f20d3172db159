/**
 * The child side of the JSON-lines protocol of `test/harness/client-process.ts`: requests
 * arrive on stdin, replies and events leave on stdout. The process exits when stdin closes
 * (its parent is gone), so a child never outlives its test.
 */
import { createInterface } from 'node:readline';

/** A request handler: resolves with the reply's `result`, or throws (the error is sent back). */
export type Handler = (args: Record<string, unknown>) => unknown;

/** What an error looks like on the wire. */
export interface ErrorInfo {
  name: string;
  code?: string;
  message: string;
}

/** The name, code and message of any thrown value. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
  }
  return { name: 'Error', message: String(error) };
}

function write(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Sends an event to the parent, stamped with `Date.now()`. */
export function emit(event: string, data: Record<string, unknown> = {}): void {
  write({ ...data, event, at: Date.now() });
}

/**
 * Serves requests with `handlers` (by `op`) until stdin closes, then runs `onExit` and exits.
 * Requests run concurrently; each gets exactly one reply.
 */
export function serve(handlers: Record<string, Handler>, onExit: () => Promise<void> = async () => {}): void {
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
    emit('unhandled', { error: errorInfo(reason) });
  });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let request: { id: number; op: string; args?: Record<string, unknown> };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      process.stderr.write(`bad request line: ${line}\n`);
      return;
    }
    const handler = handlers[request.op];
    if (!handler) {
      write({ id: request.id, ok: false, error: { name: 'Error', message: `unknown op ${request.op}` } });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args ?? {}))
      .then(
        (result) => write({ id: request.id, ok: true, result }),
        (error: unknown) => write({ id: request.id, ok: false, error: errorInfo(error) }),
      );
  });
  lines.on('close', () => {
    const bound = setTimeout(() => process.exit(0), 5_000);
    bound.unref();
    void onExit()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  write({ ready: true, pid: process.pid });
}
