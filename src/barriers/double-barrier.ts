/**
 * Double barrier (recipes layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { DoubleBarrier } from '../types.js';

export function createDoubleBarrier(client: ConclaveClient, name: string, count: number): DoubleBarrier {
  void [name, count];
  void client;
  throw new ConclaveError('DoubleBarrier is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
