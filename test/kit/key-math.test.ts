import { describe, expect, it } from 'vitest';
import { FROM_KEY, prefixEnd, toBytes, utf8 } from '../../src/bytes.js';
import { Namespace } from '../../src/core/namespace.js';
import { parseEndpoint, parseEndpoints } from '../../src/endpoints.js';
import { InvalidArgumentError } from '../../src/errors.js';

const b = (...xs: number[]) => Uint8Array.from(xs);

describe('prefixEnd', () => {
  it('increments the last byte below 0xff and drops the rest', () => {
    expect(prefixEnd(toBytes('a/'))).toEqual(toBytes('a0'));
    expect(prefixEnd(b(1, 0xff, 0xff))).toEqual(b(2));
    expect(prefixEnd(b(0xff, 0xff))).toEqual(FROM_KEY);
    expect(prefixEnd(b())).toEqual(FROM_KEY);
  });
});

describe('Namespace', () => {
  const ns = new Namespace(toBytes('a/'));
  it('prefixes keys and strips them', () => {
    expect(utf8(ns.key(toBytes('k')))).toBe('a/k');
    expect(utf8(ns.strip(toBytes('a/k')))).toBe('k');
  });
  it('maps the from-key end to the end of the namespace', () => {
    expect(ns.rangeEnd(FROM_KEY)).toEqual(toBytes('a0'));
    expect(new Namespace().rangeEnd(FROM_KEY)).toEqual(FROM_KEY);
    expect(utf8(ns.rangeEnd(toBytes('z'))!)).toBe('a/z');
    expect(ns.rangeEnd(undefined)).toBeUndefined();
  });
  it('a prefix range never leaves the namespace, even for the empty prefix', () => {
    expect(ns.prefixRange(toBytes(''))).toEqual({ key: toBytes('a/'), rangeEnd: toBytes('a0') });
    // Without a namespace the empty prefix is the whole keyspace: etcd's key "\0" .. range end "\0"
    // (an empty key is refused by etcd: "key is not provided"; issue 11 bug 14).
    expect(new Namespace().prefixRange(toBytes(''))).toEqual({ key: FROM_KEY, rangeEnd: FROM_KEY });
  });
  it('nested namespaces compose', () => {
    const inner = ns.child(toBytes('b/'));
    expect(utf8(inner.key(toBytes('k')))).toBe('a/b/k');
    expect(inner.prefixRange(toBytes(''))).toEqual({ key: toBytes('a/b/'), rangeEnd: toBytes('a/b0') });
  });
});

describe('endpoints', () => {
  it('parses the accepted forms', () => {
    expect(parseEndpoint('127.0.0.1:2379')).toMatchObject({ scheme: undefined, host: '127.0.0.1', port: 2379 });
    expect(parseEndpoint('http://localhost:23790')).toMatchObject({ scheme: 'http', host: 'localhost', port: 23790 });
    expect(parseEndpoint('https://etcd.example:2379/')).toMatchObject({ scheme: 'https', port: 2379 });
    expect(parseEndpoint('[::1]:2379')).toMatchObject({ host: '::1', address: '[::1]:2379' });
  });
  it.each([[''], ['   '], ['ftp://x:1'], ['host:99999'], ['a b:1'], ['http://'], [42], [null]])('refuses %j', (e) => {
    expect(() => parseEndpoint(e)).toThrow(InvalidArgumentError);
  });
  it('refuses an empty list', () => {
    expect(() => parseEndpoints([])).toThrow(InvalidArgumentError);
  });
});
