/** decodeText / decodeJson: one short call to read a value (pure). */
import { expect, it } from 'vitest';
import { decodeJson, decodeText } from '../../src/public.js';

it('reads values as text and JSON', () => {
  const bytes = new TextEncoder().encode('{"item":"böök","n":2}');
  expect(decodeText(bytes)).toBe('{"item":"böök","n":2}');
  expect(decodeJson<{ item: string; n: number }>(bytes)).toEqual({ item: 'böök', n: 2 });
  expect(decodeText(Uint8Array.of(0xff))).toBe('\ufffd');
  expect(() => decodeJson(new TextEncoder().encode('not json'))).toThrow(SyntaxError);
});
