/**
 * Vitest setup file (runs in every test worker): after each test file, SIGKILL any process the
 * harness started that is still tracked and remove the temp dirs it left, so a test that failed
 * or timed out before `cluster.stop()` leaks nothing. Exit/SIGINT/SIGTERM are covered by the
 * registry itself.
 *
 * @module
 */

import { afterAll } from 'vitest';
import { killAllTracked, removeAllTrackedDirs } from './cleanup-registry.js';

afterAll(() => {
  const leaked = killAllTracked();
  if (leaked.length > 0) console.warn(`harness: killed ${leaked.length} leftover process(es): ${leaked.join(', ')}`);
  if (process.env['CONCLAVE_KEEP_ETCD_DIRS'] !== '1') removeAllTrackedDirs();
});
