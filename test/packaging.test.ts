/**
 * The published package, as a user gets it (test/harness/packed.ts): the repository packed with
 * `npm pack` WITHOUT a prior build step (the package's `prepare` builds it), installed with
 * `npm install <tarball>` into an empty project, then imported from ESM (`import`) and CommonJS
 * (`require`) — both connect to the shared cluster —, type-checked from TypeScript without the
 * optional peers installed, and its `conclave/http` entry bundled for the browser with no externals.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { beforeAll, expect, it } from 'vitest';
import { sharedCluster, uniquePrefix } from './harness/index.js';
import { packedApp, type PackedApp } from './harness/packed.js';

let pkg: PackedApp;
let app = '';

function run(command: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

beforeAll(async () => {
  pkg = await packedApp();
  app = pkg.app;
}, 600_000);

const smoke = (module: 'esm' | 'cjs') => `
  const key = 'smoke-${module}';
  const client = await connect({ namespace: process.env.SMOKE_PREFIX });
  const { revision } = await client.put(key, 'hello from ${module}');
  const kv = await client.get(key);
  const lock = await client.mutex('smoke-${module}').acquire();
  await lock.release();
  console.log(JSON.stringify({
    value: decodeText(kv.value),
    plain: Object.getPrototypeOf(kv.value) === Uint8Array.prototype,
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

it('npm pack of a clone with no dist/ ships both entries built, with their types, README, CHANGELOG, LICENSE — and no source, .proto or sourcemap', () => {
  const packedFiles = pkg.files;
  for (const entry of ['index', 'http']) {
    for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(packedFiles).toContain(`dist/${entry}.${ext}`);
  }
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) expect(packedFiles).toContain(f);
  expect(packedFiles.filter((f) => f.endsWith('.proto') || f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  console.log(`package: ${packedFiles.length} files, ${(pkg.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  // The protos are compiled in: nothing is read from disk at run time.
  const bundle = readFileSync(join(app, 'node_modules/conclave/dist/index.js'), 'utf8');
  expect(bundle).not.toMatch(/loadSync|\.proto['"]/);
  // The optional peers are not installed with the package.
  expect(existsSync(join(app, 'node_modules/@opentelemetry/api'))).toBe(false);
  expect(existsSync(join(app, 'node_modules/undici'))).toBe(false);
});

it("imports with ESM (`import { connect } from 'conclave'`) and talks to etcd", async () => {
  writeFileSync(join(app, 'esm.mjs'), `import { connect, ConnectionError, ConclaveError, decodeText } from 'conclave';\n${smoke('esm')}`);
  expect(await runSmoke('esm.mjs')).toEqual({ value: 'hello from esm', revision: expect.stringMatching(/^\d+$/), status: 'connected', fencing: 'bigint', errors: true, plain: true });
}, 60_000);

it("requires with CommonJS (`require('conclave')`) and talks to etcd", async () => {
  writeFileSync(join(app, 'cjs.cjs'), `const { connect, ConnectionError, ConclaveError, decodeText } = require('conclave');\n(async () => {${smoke('cjs')}})().catch((e) => { console.error(e); process.exit(1); });`);
  expect(await runSmoke('cjs.cjs')).toEqual({ value: 'hello from cjs', revision: expect.stringMatching(/^\d+$/), status: 'connected', fencing: 'bigint', errors: true, plain: true });
}, 60_000);

it('depends on no protobuf runtime but its own generated schema: neither @grpc/proto-loader nor protobufjs is a dependency, and neither is loaded while it talks to etcd', async () => {
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'conclave', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(Object.keys(installed.dependencies)).not.toContain('@grpc/proto-loader');
  expect(Object.keys(installed.dependencies)).not.toContain('protobufjs');
  expect(Object.keys(installed.dependencies)).toContain('@bufbuild/protobuf');
  // grpc-js still lists proto-loader (it requires it lazily, for channelz/ORCA only): it must never be loaded by us.
  const probe = `const loaded = () => Object.keys(require.cache).filter((p) => /[\\/](protobufjs|proto-loader)[\\/]/.test(p));
const { connect } = require('conclave');
(async () => {
  const client = await connect({ namespace: process.env.SMOKE_PREFIX });
  await client.put('proto', 'x');
  const seen = [];
  const sub = client.watch('proto').subscribe((e) => seen.push(e.type));
  await client.put('proto', 'y');
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
  sub.unsubscribe();
  await client.close();
  console.log(JSON.stringify({ loaded: loaded(), seen }));
})().catch((e) => { console.error(e); process.exit(1); });`;
  writeFileSync(join(app, 'no-protobufjs.cjs'), probe);
  expect(await runSmoke('no-protobufjs.cjs')).toEqual({ loaded: [], seen: ['put'] });
}, 60_000);

it('its types check from TypeScript (NodeNext), both entries, without the optional peers installed', async () => {
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM', 'ESNext.Disposable'], noEmit: true, skipLibCheck: false, types: [] }, files: ['check.mts'] }),
  );
  writeFileSync(
    join(app, 'check.mts'),
    [
      "import { connect, toAsyncIterable, type Conclave, type ConnectionStatus, type Lock, type TelemetryOptions } from 'conclave';",
      "import { connect as connectHttp, ConclaveError as HttpError } from 'conclave/http';",
      "import { jsonCodec } from 'conclave';",
      'const client: Conclave = await connect({ telemetry: false });',
      "interface Job { id: number }",
      "const jobs = client.topic<Job>('jobs', { codec: jsonCodec });",
      "jobs.messages$().subscribe((m) => console.log(m.value.id + 1));",
      "const web: Conclave = await connectHttp({ endpoints: ['http://127.0.0.1:2379'] });",
      'console.log(web, HttpError);',
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
  await run(process.execPath, [join(pkg.root, 'node_modules/typescript/bin/tsc'), '-p', app], app, 170_000);
}, 180_000);

it("`conclave/http` bundles for the browser (esbuild --platform=browser) with no externals, and imports no Node built-in", async () => {
  writeFileSync(join(app, 'web.mjs'), "import { connect } from 'conclave/http';\nglobalThis.connect = connect;\n");
  const out = await build({ absWorkingDir: app, entryPoints: ['web.mjs'], bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, logLevel: 'silent', metafile: true });
  const inputs = Object.keys(out.metafile.inputs);
  expect(inputs.filter((f) => /@grpc|undici|protobufjs|node:/.test(f))).toEqual([]);
  const js = out.outputFiles[0]!.contents;
  console.log(`conclave/http browser bundle: ${(js.length / 1024).toFixed(1)} KiB, ${(gzipSync(js).length / 1024).toFixed(1)} KiB gzip`);
  expect(gzipSync(js).length).toBeGreaterThan(1_000);
}, 60_000);

it('`conclave/http` from Node (ESM and CJS) talks to the HTTP gateway with the same client', async () => {
  const gateway = sharedCluster().clientUrls[0]!;
  const prefix = uniquePrefix('packaging-http');
  writeFileSync(
    join(app, 'http.mjs'),
    `import { connect } from 'conclave/http';
     const client = await connect({ endpoints: [${JSON.stringify(gateway)}], namespace: ${JSON.stringify(prefix)} });
     await client.put('k', 'v');
     const kv = await client.get('k');
     console.log(JSON.stringify({ value: new TextDecoder().decode(kv.value), plain: Object.getPrototypeOf(kv.value) === Uint8Array.prototype }));
     await client.close();`,
  );
  const out = await run(process.execPath, ['http.mjs'], app, 30_000);
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ value: 'v', plain: true });
  writeFileSync(join(app, 'http.cjs'), "const { connect } = require('conclave/http'); console.log(typeof connect);");
  expect((await run(process.execPath, ['http.cjs'], app, 30_000)).trim()).toBe('function');
}, 60_000);
