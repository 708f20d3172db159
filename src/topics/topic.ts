/**
 * Topics: pub/sub between services.
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Codec, Topic } from '../types.js';

export function createTopic<T>(client: ConclaveClient, name: string, codec: Codec<T>): Topic<T> {
  void client;
  void name;
  void codec;
  throw new ConclaveError('Topic is not implemented yet', { code: 'NOT_IMPLEMENTED' });
}
