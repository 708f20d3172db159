/**
 * Read/write lock (recipes layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { RWLock } from '../types.js';

export function createRWLock(client: ConclaveClient, name: string): RWLock {
  void [name];
  void client;
  throw new ConclaveError('RWLock is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
