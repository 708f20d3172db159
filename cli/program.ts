/**
 * The `conclave` command's program (README, "Operating: the `conclave` command"): `inspect`, `ui`, `watch`,
 * `topic tail`, `lock`, their flags and exit codes (2: usage, 1: failure).
 * @module
 */
import { Command, CommanderError } from 'commander';
import { runInspect } from './commands/inspect.js';
import { runLocked } from './commands/lock.js';
import { runUi } from './commands/ui.js';
import { runTopicTail, runWatch } from './commands/watch.js';
import { EXIT_USAGE, reportFailure } from './errors.js';
import { addCommonFlags, resolveConnection, UsageError, type CommonFlags, type Connection } from './options.js';

/** Runs an action with its resolved connection, reporting any failure (exit code 1, or 2 for usage). */
function action<A extends unknown[]>(fn: (connection: Connection, ...args: A) => Promise<number | void>) {
  return async (...args: A) => {
    // commander passes (...arguments, options, command).
    const flags = args[args.length - 2] as CommonFlags;
    let connection: Connection | undefined;
    try {
      connection = resolveConnection(flags);
      const code = await fn(connection, ...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (error) {
      reportFailure(error, connection?.endpoints);
    }
  };
}

/** The program (exported for tests: `program().parseAsync(argv)`). */
export function program(): Command {
  const root = new Command('conclave');
  root
    .description('Inspect and operate the coordination state Conclave (and Go / etcdctl) keep in etcd.')
    .exitOverride((err) => {
      throw err;
    });
  addCommonFlags(root.command('inspect').description('print the locks, elections, queues, topics and services held right now'))
    .option('--json', 'one JSON object (its shape: the README, "Operating")')
    .action(action(async (c, o: CommonFlags & { json?: boolean }) => runInspect(c, o.json === true)));
  addCommonFlags(root.command('ui').description('serve a live page of the same (loopback by default) and print its URL'))
    .option('--port <n>', 'port to listen on (0: any free port)', '4680')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(action(async (c, o: CommonFlags & { port?: string; host?: string }) => runUi(c, o)));
  addCommonFlags(root.command('watch <key>').description('print every change of a key (or, with --prefix, of every key under it)'))
    .option('--prefix', 'watch every key starting with <key>')
    .action(action(async (c, key: string, o: CommonFlags & { prefix?: boolean }) => runWatch(c, key, o.prefix === true)));
  addCommonFlags(root.command('topic-tail <name>').description('print each new message of a topic, decoded as JSON (also: conclave topic tail <name>)'))
    .action(action(async (c, name: string) => runTopicTail(c, name)));
  addCommonFlags(root.command('lock <name> [command...]').description('run a command holding a mutex: conclave lock <name> -- <command...>'))
    .option('--timeout <ms>', 'give up waiting for the lock after this many ms')
    .action(
      action(async (c, name: string, command: string[] | undefined, o: CommonFlags & { timeout?: string }) => {
        const timeoutMs = o.timeout === undefined ? undefined : Number(o.timeout);
        if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError(`--timeout: expected a positive number of ms, got ${JSON.stringify(o.timeout)}`);
        return runLocked(c, name, command ?? [], timeoutMs);
      }),
    );
  return root;
}

/** `topic tail <name>` is `topic-tail <name>` (one flat command list keeps the common flags in one place). */
function normalize(argv: string[]): string[] {
  const args = argv.slice(2);
  if (args[0] !== 'topic') return argv;
  if (args[1] !== 'tail') throw new UsageError(`topic: expected "topic tail <name>", got ${JSON.stringify(args.slice(1).join(' '))}`);
  return [...argv.slice(0, 2), 'topic-tail', ...args.slice(2)];
}

/** Parses `argv` and runs the command; resolves when it is done (process.exitCode says how). */
export async function main(argv: string[]): Promise<void> {
  const root = program();
  if (argv.length <= 2) {
    root.outputHelp();
    process.exitCode = EXIT_USAGE;
    return;
  }
  try {
    await root.parseAsync(normalize(argv));
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    reportFailure(error);
  }
}
