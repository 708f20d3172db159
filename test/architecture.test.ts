/**
 * The layers are enforced: `.dependency-cruiser.cjs` (run by `npm run lint`) holds every layer
 * rule, the source tree passes them with no import cycle, and each rule really fails a wrong
 * import — shown on a small throw-away tree that breaks one rule per file.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = join(root, '.dependency-cruiser.cjs');
const work = mkdtempSync(join(tmpdir(), 'conclave-layers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: unknown[];
}
interface CruiseResult {
  summary: { violations: Violation[]; error: number; totalCruised: number; ruleSetUsed: { forbidden: Array<{ name: string }> } };
}

/** Runs the depcruise CLI as `npm run lint` does, in `cwd`, with JSON output. */
function depcruise(cwd: string, paths: string[]): Promise<CruiseResult> {
  const bin = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, '--config', config, '--output-type', 'json', ...paths], { cwd, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // A violation makes depcruise exit non-zero: the JSON is still on stdout.
      try {
        resolve(JSON.parse(stdout) as CruiseResult);
      } catch {
        reject(new Error(`depcruise gave no JSON (${String(error)}): ${stderr}`));
      }
    });
  });
}

const LAYER_RULES = [
  'no-circular',
  'only-entries-import-adapters',
  'adapters-import-only-the-seam',
  'cli-imports-only-the-entry',
  'nothing-imports-the-entries',
  'client-is-above-primitives',
  'primitives-are-independent',
  'primitives-reach-the-core-through-the-kit',
  'kit-is-below-primitives',
  'core-is-below-the-kit',
  'bottom-is-below-the-core',
];

it('the source tree keeps every layer rule and has no import cycle', async () => {
  const result = await depcruise(root, ['src', 'adapters', 'cli']);
  expect(result.summary.ruleSetUsed.forbidden.map((r) => r.name)).toEqual(expect.arrayContaining(LAYER_RULES));
  expect(result.summary.totalCruised).toBeGreaterThan(100);
  expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
}, 240_000);

it('a wrong import fails the check: one file per rule, each caught by its rule', async () => {
  // [file, its source, the rule it breaks]; files without a rule are the targets.
  const files: Array<[string, string, string?]> = [
    ['src/index.ts', "export * from './public.js';\nexport { createX } from '../adapters/x/index.js';\n"],
    ['src/public.ts', "export { Client } from './client/client.js';\n"],
    ['src/errors.ts', 'export class E extends Error {}\n'],
    ['src/transport.ts', "export type { E } from './errors.js';\n"],
    ['src/core/core.ts', 'export class Core {}\n'],
    ['src/kit/store.ts', "import type { Core } from '../core/core.js';\nexport class Store { constructor(readonly core?: Core) {} }\n"],
    ['src/locks/mutex.ts', "import type { Store } from '../kit/store.js';\nexport const mutex = (s: Store): Store => s;\n"],
    ['src/client/client.ts', "import { mutex } from '../locks/mutex.js';\nexport class Client { m = mutex; }\n"],
    ['adapters/x/index.ts', "import type { E } from '../../src/errors.js';\nexport const createX = (): E | undefined => undefined;\n"],
    // The breakers:
    ['src/election/uses-client.ts', "import { Client } from '../client/client.js';\nexport const c = new Client();\n", 'client-is-above-primitives'],
    ['src/election/uses-locks.ts', "import { mutex } from '../locks/mutex.js';\nexport const m = mutex;\n", 'primitives-are-independent'],
    ['src/election/uses-core.ts', "import { Core } from '../core/core.js';\nexport const c = new Core();\n", 'primitives-reach-the-core-through-the-kit'],
    ['src/kit/uses-locks.ts', "import { mutex } from '../locks/mutex.js';\nexport const m = mutex;\n", 'kit-is-below-primitives'],
    ['src/core/uses-kit.ts', "import { Store } from '../kit/store.js';\nexport const s = new Store();\n", 'core-is-below-the-kit'],
    ['src/bytes.ts', "import { Core } from './core/core.js';\nexport const c = new Core();\n", 'bottom-is-below-the-core'],
    ['src/core/uses-adapters.ts', "import { createX } from '../../adapters/x/index.js';\nexport const x = createX;\n", 'only-entries-import-adapters'],
    ['adapters/x/uses-core.ts', "import { Core } from '../../src/core/core.js';\nexport const c = new Core();\n", 'adapters-import-only-the-seam'],
    ['cli/program.ts', "import { Core } from '../src/core/core.js';\nexport const c = new Core();\n", 'cli-imports-only-the-entry'],
    ['src/kit/uses-entry.ts', "export * from '../index.js';\n", 'nothing-imports-the-entries'],
    // A cycle is reported once, from its first file.
    ['src/queues/a.ts', "import { b } from './b.js';\nexport const a = (): number => b();\n", 'no-circular'],
    ['src/queues/b.ts', "import { a } from './a.js';\nexport const b = (): number => a();\n"],
  ];
  for (const [path, source] of files) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), source);
  }
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true }, include: ['src', 'adapters', 'cli'] }),
  );
  const result = await depcruise(work, ['src', 'adapters', 'cli']);
  const found = result.summary.violations.map((v) => `${v.rule.name} ${v.from}`);
  for (const [path, , rule] of files) {
    if (rule) expect(found, `${path} breaks ${rule}`).toContain(`${rule} ${path}`);
  }
  // The well-layered files break nothing.
  const clean = files.filter(([, , rule]) => !rule).map(([path]) => path);
  expect(result.summary.violations.filter((v) => clean.includes(v.from))).toEqual([]);
}, 240_000);
