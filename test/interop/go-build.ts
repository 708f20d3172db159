/**
 * Builds the Go interop driver (`test/interop/go/*.go`, etcd 3.4's real Go client) at test
 * setup, in GOPATH mode against Debian's `golang-etcd-server-dev` sources
 * (`bash scripts/install-go.sh`). The binary is never committed: it is cached under
 * `<tmpdir>/conclave-go-driver/<hash>/driver`, the hash covering the Go sources and
 * `go version`, so only a change of the driver rebuilds it (a cold build compiles etcd's
 * client and gRPC, ~20 s of CPU; Go's own build cache makes later ones take seconds).
 * Parallel test files share one build through a lock directory.
 *
 * Environment: `CONCLAVE_GO` (a go binary; default `go` on PATH), `CONCLAVE_GOCODE` (the GOPATH
 * tree with go.etcd.io/etcd; default `/usr/share/gocode`), `CONCLAVE_GO_CACHE` (the cache dir).
 * @module
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The driver's Go package. */
export const GO_DRIVER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'go');

const INSTALL_HINT = 'run `bash scripts/install-go.sh` (Debian golang-go + golang-etcd-server-dev)';
/** A lock older than this is a crashed build's: taken over. */
const STALE_LOCK_MS = 5 * 60_000;
const BUILD_TIMEOUT_MS = 5 * 60_000;

let built: Promise<string> | undefined;

/**
 * The path of the built driver, building it first when its sources changed (memoized per
 * process; concurrent processes wait for one build).
 *
 * @throws Error with installation instructions when Go or etcd's sources are missing, or with
 *   the compiler's output when the build fails.
 */
export function goDriverBinary(): Promise<string> {
  built ??= buildOnce().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}

function goEnv(): { go: string; env: NodeJS.ProcessEnv; gocode: string; cacheRoot: string } {
  const go = process.env['CONCLAVE_GO'] || 'go';
  const gocode = process.env['CONCLAVE_GOCODE'] || '/usr/share/gocode';
  const cacheRoot = process.env['CONCLAVE_GO_CACHE'] || join(tmpdir(), 'conclave-go-driver');
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOPATH: `${join(cacheRoot, 'gopath')}:${gocode}` };
  if (!env['GOCACHE'] && !env['HOME'] && !env['XDG_CACHE_HOME']) env['GOCACHE'] = join(cacheRoot, 'go-build');
  return { go, env, gocode, cacheRoot };
}

async function buildOnce(): Promise<string> {
  const { go, env, gocode, cacheRoot } = goEnv();
  if (!existsSync(join(gocode, 'src/go.etcd.io/etcd/clientv3/concurrency'))) {
    throw new Error(`etcd's Go client sources are not in ${gocode}/src/go.etcd.io/etcd; ${INSTALL_HINT}`);
  }
  let version: string;
  try {
    version = (await run(go, ['version'], { env })).stdout.trim();
  } catch (cause) {
    throw new Error(`cannot run \`${go} version\`; ${INSTALL_HINT}`, { cause });
  }
  const hash = createHash('sha256').update(version).update('\0').update(gocode);
  for (const file of (await readdir(GO_DRIVER_DIR)).filter((f) => f.endsWith('.go')).sort()) {
    hash.update('\0').update(file).update('\0').update(await readFile(join(GO_DRIVER_DIR, file)));
  }
  const id = hash.digest('hex').slice(0, 16);
  const bin = join(cacheRoot, id, 'driver');
  if (existsSync(bin)) return bin;
  await mkdir(join(cacheRoot, id), { recursive: true });
  const lock = join(cacheRoot, `${id}.lock`);
  if (!(await takeLock(lock, bin))) return bin; // built by another process while we waited
  try {
    if (existsSync(bin)) return bin;
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      await run(go, ['build', '-o', tmp, '.'], { cwd: GO_DRIVER_DIR, env, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 });
    } catch (cause) {
      const output = (cause as { stderr?: string }).stderr ?? '';
      throw new Error(`building the Go interop driver failed (${INSTALL_HINT} if packages are missing):\n${output}`, { cause });
    }
    await rename(tmp, bin);
    return bin;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Takes the build lock (a directory): true; or waits until its holder built `bin`: false. */
async function takeLock(lock: string, bin: string): Promise<boolean> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS + 30_000;
  for (;;) {
    try {
      await mkdir(lock);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (existsSync(bin)) return false;
    const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to build ${bin} (lock ${lock})`);
    await delay(200);
  }
}
