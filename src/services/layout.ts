/**
 * Key layout of the service registry, inside the client's namespace:
 * `__services/<encodeURIComponent(name)>/<encodeURIComponent(id)>`, value the
 * JSON `{ id, address, metadata }`, lease = the registering client's session lease.
 * Names and ids are URI-encoded so that no service's prefix contains another's.
 * @module
 * @internal
 */
import { InvalidArgumentError } from '../errors.js';
import type { ServiceInstance } from './api.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function servicePrefix(name: string): string {
  return `__services/${encodeURIComponent(name)}/`;
}

export function instanceKey(name: string, id: string): string {
  return servicePrefix(name) + encodeURIComponent(id);
}

/** Checks what `register()` was given and returns the instance as stored. */
export function checkInstance(instance: unknown): ServiceInstance {
  if (typeof instance !== 'object' || instance === null) throw new InvalidArgumentError('instance must be an object { id, address, metadata? }');
  const { id, address, metadata } = instance as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('instance.id must be a non-empty string');
  if (typeof address !== 'string' || address.length === 0) throw new InvalidArgumentError('instance.address must be a non-empty string');
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw new InvalidArgumentError('instance.metadata must be a plain object');
  }
  return { id, address, metadata: (metadata as Record<string, unknown> | undefined) ?? {} };
}

export function encodeInstance(instance: ServiceInstance): Uint8Array {
  let text: string;
  try {
    text = JSON.stringify({ id: instance.id, address: instance.address, metadata: instance.metadata });
  } catch (cause) {
    throw new InvalidArgumentError(`instance.metadata cannot be encoded as JSON: ${(cause as Error).message}`, { cause });
  }
  return encoder.encode(text);
}

/** The instance stored in `bytes`, or undefined when it is not one (such keys are ignored). */
export function decodeInstance(bytes: Uint8Array): ServiceInstance | undefined {
  try {
    const value = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null) return undefined;
    const { id, address, metadata } = value;
    if (typeof id !== 'string' || typeof address !== 'string') return undefined;
    const meta = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : {};
    return { id, address, metadata: meta };
  } catch {
    return undefined;
  }
}
