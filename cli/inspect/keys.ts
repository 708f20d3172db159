/**
 * The key shapes the classifier recognises (the layouts of src/locks, src/election,
 * src/queues, src/topics and src/services, and of Go's `concurrency` and `recipes`).
 * @module
 */
import type { RawKv } from './model.js';

/** Recipes' unique keys: Unix nanoseconds. */
export const NANOS = /^[0-9]+$/;
/** Lowercase hex, as Go prints a lease id (`%x`). */
export const HEX = /^[0-9a-f]+$/;
/** A priority-queue item's last two segments: `%05d/%016d`. */
export const PRIORITY_ITEM = /^(.*)\/([0-9]{5})\/([0-9]{16})$/;
/** A topic message suffix: `<15-digit ms>-<16 hex>`. */
export const MESSAGE = /^[0-9]{15}-[0-9a-f]{16}$/;
/** A group member key suffix under a topic: `~groups/<group>/<16 hex>`. */
export const MEMBER = /^~groups\/([^/]+)\/[0-9a-f]{16}$/;
/** A delayed job: `<16-digit due ms>/<nanos>[~priority]`. */
export const DELAYED = /^[0-9]{16}\/[0-9]+(?:~[0-9]+)?$/;

/** `key` split at its last `/`: the name and the last segment; undefined without a `/`. */
export function splitLast(key: string): { name: string; last: string } | undefined {
  const at = key.lastIndexOf('/');
  if (at <= 0 || at === key.length - 1) return undefined;
  return { name: key.slice(0, at), last: key.slice(at + 1) };
}

/** Whether `kv` is a Go-layout session key: `<name>/<its own lease id in hex>`. */
export function isSessionKey(kv: RawKv, last: string): boolean {
  return kv.lease !== 0n && HEX.test(last) && kv.lease.toString(16) === last;
}

/** `decodeURIComponent`, or the text itself when it is not a valid encoding. */
export function decodeName(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Orders keys by create revision (FIFO), then key. */
export function byCreate(a: { createRevision: bigint; key: string }, b: { createRevision: bigint; key: string }): number {
  if (a.createRevision !== b.createRevision) return a.createRevision < b.createRevision ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Orders by name. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A map's list under `key`, created on first use. */
export function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}
