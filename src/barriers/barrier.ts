/**
 * Barrier (recipes layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Barrier } from '../types.js';

export function createBarrier(client: ConclaveClient, name: string): Barrier {
  void [name];
  void client;
  throw new ConclaveError('Barrier is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
