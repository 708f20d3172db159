/**
 * Priority queue (recipes layout).
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Codec, PriorityQueue } from '../types.js';

export function createPriorityQueue<T>(client: ConclaveClient, name: string, codec: Codec<T>): PriorityQueue<T> {
  void client;
  void name;
  void codec;
  throw new ConclaveError('PriorityQueue is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
