/**
 * Locating the etcd and etcdctl executables.
 *
 * @module
 */

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** Absolute paths of the etcd server and its CLI. */
export interface EtcdBinaries {
  etcd: string;
  etcdctl: string;
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

const INSTALL_HINT = 'run `bash scripts/install-etcd.sh` (or set ETCD_BIN to the path of an etcd 3.4+ binary)';

let cached: EtcdBinaries | undefined;

/**
 * Find etcd and etcdctl: `ETCD_BIN` (path of the etcd binary, etcdctl beside it or on PATH)
 * or else PATH. The result is cached.
 *
 * @throws Error with installation instructions when either is missing.
 */
export function findEtcd(): EtcdBinaries {
  if (cached) return cached;
  const fromEnv = process.env['ETCD_BIN'];
  let etcd: string | undefined;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv)) {
      throw new Error(`ETCD_BIN=${fromEnv} is not an executable file; ${INSTALL_HINT}`);
    }
    etcd = fromEnv;
  } else {
    etcd = onPath('etcd');
  }
  if (etcd === undefined) throw new Error(`etcd not found on PATH; ${INSTALL_HINT}`);
  const beside = join(dirname(etcd), 'etcdctl');
  const etcdctl = isExecutable(beside) ? beside : onPath('etcdctl');
  if (etcdctl === undefined) throw new Error(`etcdctl not found beside ${etcd} nor on PATH; ${INSTALL_HINT}`);
  cached = { etcd, etcdctl };
  return cached;
}
