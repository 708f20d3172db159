/**
 * Mutex (Go concurrency.Mutex layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Mutex } from '../types.js';

export function createMutex(client: ConclaveClient, name: string): Mutex {
  void [name];
  void client;
  throw new ConclaveError('Mutex is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
