/**
 * Harness temp dirs under `os.tmpdir()`, tracked so they are removed even on abrupt exit.
 *
 * @module
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir, untrackDir } from './cleanup-registry.js';

/** Create `<tmpdir>/conclave-<label>-XXXXXX` (label reduced to `[A-Za-z0-9_-]`). */
export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `conclave-${label.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
  trackDir(dir);
  return dir;
}

/** Remove a dir made by {@link makeTempDir} (kept when `CONCLAVE_KEEP_ETCD_DIRS=1`). */
export async function removeTempDir(dir: string): Promise<void> {
  untrackDir(dir);
  if (process.env['CONCLAVE_KEEP_ETCD_DIRS'] === '1') return;
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
