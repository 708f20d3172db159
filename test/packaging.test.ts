/**
 * The published package, as a user gets it: built (into a temp dir, so the
 * repo's dist/ is left alone), packed with `npm pack`, installed with
 * `npm install <tarball>` into an empty project in os.tmpdir() (dependencies
 * from the npm cache), then imported from ESM (`import`) and CommonJS
 * (`require`) — both connect to the shared cluster — and type-checked from a
 * TypeScript file without `@opentelemetry/api` installed.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedCluster, uniquePrefix } from './harness/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'conclave-pack-'));
const stage = join(work, 'stage');
const app = join(work, 'app');
let tarball = '';
let packedFiles: string[] = [];

function run(command: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

beforeAll(async () => {
  mkdirSync(stage);
  mkdirSync(app);
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    if (existsSync(join(root, file))) copyFileSync(join(root, file), join(stage, file));
  }
  // The build the package ships (tsup.config.ts), into the staging dir.
  await run(process.execPath, [join(root, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(stage, 'dist')], root, 240_000);
  const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', work], stage, 60_000)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, packed[0]!.filename);
  packedFiles = packed[0]!.files.map((f) => f.path);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'conclave-smoke', version: '1.0.0', private: true }));
  await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app, 240_000);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const smoke = (module: 'esm' | 'cjs') => `
  const key = 'smoke-${module}';
  const client = await connect({ namespace: process.env.SMOKE_PREFIX });
  const { revision } = await client.put(key, 'hello from ${module}');
  const kv = await client.get(key);
  const lock = await client.mutex('smoke-${module}').acquire();
  await lock.release();
  console.log(JSON.stringify({
    value: new TextDecoder().decode(kv.value),
    revision: String(revision),
    status: client.events.status.state,
    fencing: typeof lock.fencingToken,
    errors: new ConnectionError('x') instanceof ConclaveError,
  }));
  await client.close();
`;

async function runSmoke(file: string): Promise<Record<string, unknown>> {
  const env = { ...process.env, CONCLAVE_ENDPOINTS: sharedCluster().endpoints.join(','), SMOKE_PREFIX: uniquePrefix('packaging') };
  const out = await run(process.execPath, [file], app, 30_000, env);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

it('npm pack ships the ESM and CJS builds with their types, the README and CHANGELOG — and no .proto file or source', () => {
  for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'package.json', 'README.md', 'CHANGELOG.md']) {
    expect(packedFiles).toContain(f);
  }
  expect(packedFiles.filter((f) => f.endsWith('.proto') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  // The protos are compiled in: nothing is read from disk at run time.
  const bundle = readFileSync(join(stage, 'dist/index.js'), 'utf8');
  expect(bundle).not.toMatch(/loadSync|\.proto['"]/);
  // The optional peer is not installed with the package.
  expect(existsSync(join(app, 'node_modules/@opentelemetry/api'))).toBe(false);
});

it("imports with ESM (`import { connect } from 'conclave'`) and talks to etcd", async () => {
  writeFileSync(join(app, 'esm.mjs'), `import { connect, ConnectionError, ConclaveError } from 'conclave';\n${smoke('esm')}`);
  expect(await runSmoke('esm.mjs')).toEqual({ value: 'hello from esm', revision: expect.stringMatching(/^\d+$/), status: 'connected', fencing: 'bigint', errors: true });
}, 60_000);

it("requires with CommonJS (`require('conclave')`) and talks to etcd", async () => {
  writeFileSync(join(app, 'cjs.cjs'), `const { connect, ConnectionError, ConclaveError } = require('conclave');\n(async () => {${smoke('cjs')}})().catch((e) => { console.error(e); process.exit(1); });`);
  expect(await runSmoke('cjs.cjs')).toEqual({ value: 'hello from cjs', revision: expect.stringMatching(/^\d+$/), status: 'connected', fencing: 'bigint', errors: true });
}, 60_000);

it('its types check from TypeScript (NodeNext), without @opentelemetry/api installed', async () => {
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM', 'ESNext.Disposable'], noEmit: true, skipLibCheck: false, types: [] }, files: ['check.mts'] }),
  );
  writeFileSync(
    join(app, 'check.mts'),
    [
      "import { connect, toAsyncIterable, type Conclave, type ConnectionStatus, type Lock, type TelemetryOptions } from 'conclave';",
      'const client: Conclave = await connect({ telemetry: false });',
      "const status: ConnectionStatus = client.events.status;",
      "if (status.state === 'reconnected') console.log(status.downtimeMs.toFixed());",
      "const lock: Lock = await client.mutex('m').acquire({ timeoutMs: 1000 });",
      'const token: bigint = lock.fencingToken;',
      "for await (const e of client.watchIterator('k', { signal: AbortSignal.timeout(10) })) console.log(e.revision + token);",
      'for await (const s of toAsyncIterable(client.status$)) console.log(s.state);',
      'const t: TelemetryOptions = {};',
      'console.log(t);',
      '// @ts-expect-error: fencingToken is a bigint',
      'const wrong: number = lock.fencingToken;',
      'console.log(wrong);',
    ].join('\n'),
  );
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], app, 170_000);
}, 180_000);
