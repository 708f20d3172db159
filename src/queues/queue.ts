/**
 * Queue (recipes layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Codec, Queue } from '../types.js';

export function createQueue<T>(client: ConclaveClient, name: string, codec: Codec<T>): Queue<T> {
  void client;
  void name;
  void codec;
  throw new ConclaveError('Queue is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
