/**
 * Semaphore.
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Semaphore } from '../types.js';

export function createSemaphore(client: ConclaveClient, name: string, permits: number): Semaphore {
  void [name, permits];
  void client;
  throw new ConclaveError('Semaphore is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
