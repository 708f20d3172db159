/**
 * Leader election (Go concurrency.Election layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Election } from '../types.js';

export function createElection(client: ConclaveClient, name: string): Election {
  void [name];
  void client;
  throw new ConclaveError('Election is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
