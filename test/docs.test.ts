/**
 * The API reference builds: TypeDoc (typedoc.json, as `npm run docs` runs it)
 * finishes with no warning — warnings are errors there, and the
 * scripts/typedoc-require-example.mjs plugin warns about any exported function,
 * class or constant without an `@example` — and the reference shows the public surface only: interfaces,
 * functions and types, and no implementation class but the error classes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'conclave-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Reflection {
  name: string;
  kind: number;
  comment?: { blockTags?: Array<{ tag: string }> };
}
const CLASS = 128;

it('TypeDoc builds the API reference with no warning; every exported function, class and constant has an @example; no internal class leaks', async () => {
  const json = join(work, 'api.json');
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--json', json], { cwd: root, timeout: 240_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  expect(output).not.toMatch(/\[warning\]|\[error\]/);
  expect(code, output).toBe(0);

  const project = JSON.parse(readFileSync(json, 'utf8')) as { children: Reflection[]; categories?: Array<{ title: string; children: number[] }> };
  // Grouped by area (scripts/typedoc-categories.mjs), the wire types of the seam apart.
  const categories = new Map((project.categories ?? []).map((c) => [c.title, new Set(c.children)]));
  expect([...categories.keys()]).toEqual(
    expect.arrayContaining(['Client', 'Key-value and transactions', 'Locks', 'Leader election', 'Topics and consumer groups', 'Queues and jobs', 'Errors', 'Transport seam (wire types)']),
  );
  const idOf = (name: string): number => (project.children as Array<Reflection & { id: number }>).find((c) => c.name === name)!.id;
  expect(categories.get('Client')!.has(idOf('connect'))).toBe(true);
  expect(categories.get('Locks')!.has(idOf('Mutex'))).toBe(true);
  expect(categories.get('Transport seam (wire types)')!.has(idOf('RangeRequest'))).toBe(true);
  const names = project.children.map((c) => c.name);
  expect(names).toEqual(expect.arrayContaining(['connect', 'Conclave', 'ConnectionStatus', 'ConclaveEvents', 'toAsyncIterable', 'TelemetryOptions']));
  const classes = project.children.filter((c) => c.kind === CLASS).map((c) => c.name);
  for (const name of classes) expect(name, `class ${name} in the docs`).toMatch(/Error$/);
  for (const internal of ['ConclaveClient', 'Core', 'WatchHub', 'LeaseHub', 'Broadcast', 'SessionImpl', 'ClientEvents', 'Telemetry', 'ConnectionStatusMachine']) {
    expect(names).not.toContain(internal);
  }
}, 300_000);
