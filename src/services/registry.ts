/**
 * Service registry.
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { ServiceRegistry } from '../types.js';

export function createServiceRegistry(client: ConclaveClient, name: string): ServiceRegistry {
  void [name];
  void client;
  throw new ConclaveError('ServiceRegistry is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
