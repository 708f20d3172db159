/**
 * Pure logic of consumer groups: rendezvous assignment, and what a member decides from what it knows.
 */
import { describe, expect, it } from 'vitest';
import { ownerOf, score } from '../../src/topics/assignment.js';
import { groupLayout, padRevision, parseStateKey, parseTries } from '../../src/topics/group-layout.js';
import { GroupView } from '../../src/topics/group-view.js';

const keys = Array.from({ length: 3000 }, (_, i) => `${String(1_700_000_000_000 + i).padStart(15, '0')}-${(i * 2654435761 >>> 0).toString(16).padStart(16, '0')}`);
const bytes = new Uint8Array();

describe('rendezvous assignment', () => {
  it('is deterministic and independent of the order of the members', () => {
    for (const k of keys.slice(0, 100)) expect(ownerOf(k, ['a', 'b', 'c'])).toBe(ownerOf(k, ['c', 'a', 'b']));
    expect(ownerOf('x', [])).toBeUndefined();
    expect(score('ab', 'c')).not.toBe(score('a', 'bc'));
  });

  it('spreads messages evenly over the members', () => {
    const members = ['0123456789abcdef', 'fedcba9876543210', '00000000deadbeef'];
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(ownerOf(k, members)!, (counts.get(ownerOf(k, members)!) ?? 0) + 1);
    for (const m of members) expect(counts.get(m)!).toBeGreaterThan(keys.length / 3 - 200);
  });

  it('moves only the messages of a member that leaves, spread over the others', () => {
    const before = ['a1', 'b2', 'c3', 'd4'];
    const after = ['a1', 'b2', 'd4'];
    let moved = 0;
    const to = new Set<string>();
    for (const k of keys) {
      const was = ownerOf(k, before)!;
      const is = ownerOf(k, after)!;
      if (was !== 'c3') expect(is).toBe(was);
      else {
        moved++;
        to.add(is);
      }
    }
    expect(moved).toBeGreaterThan(500);
    expect(to.size).toBe(3);
  });
});

describe('group layout', () => {
  it('parses its keys; revisions sort as bytes', () => {
    const l = groupLayout('a/b', 'g 1');
    expect(l.membersPrefix).toBe('__topics/a%2Fb/~groups/g%201/');
    expect(parseStateKey(l, l.done(42n))).toEqual({ kind: 'done', revision: 42n });
    expect(parseStateKey(l, l.low)).toEqual({ kind: 'low' });
    expect(parseStateKey(l, `${l.statePrefix}other`)).toBeUndefined();
    expect(padRevision(9n) < padRevision(10n)).toBe(true);
    // The error is kept as { name, message, code?, stack? } (the jobs' form); an older text value reads as a plain Error.
    expect(parseTries('{"attempts":2,"error":{"name":"TypeError","message":"x","code":"E1"}}')).toEqual({ attempts: 2, error: { name: 'TypeError', message: 'x', code: 'E1' } });
    expect(parseTries('{"attempts":2,"error":"x"}')).toEqual({ attempts: 2, error: { name: 'Error', message: 'x' } });
    expect(parseTries('garbage')).toEqual({ attempts: 0 });
  });
});

describe('group view decisions', () => {
  /** Self 'me' registered at 10; 'old' at 5, 'new' will register at 20. */
  const view = (low = 1n) => new GroupView('me', 10n, new Map([['old', 5n], ['me', 10n]]), low);
  const keyOwnedBy = (owner: string, members: string[]) => keys.find((k) => ownerOf(k, members) === owner)!;

  it('a message published after we registered goes to its rendezvous owner, with no claim', () => {
    const v = view();
    const mine = v.addMessage(11n, keyOwnedBy('me', ['old', 'me']), bytes)!;
    const theirs = v.addMessage(12n, keyOwnedBy('old', ['old', 'me']), bytes)!;
    expect(v.decide(mine)).toBe('own');
    expect(v.decide(theirs)).toBe('wait');
  });

  it('the owner computed at publish time sticks when a member joins later', () => {
    const v = view();
    const m = v.addMessage(11n, keyOwnedBy('old', ['old', 'me']), bytes)!;
    v.memberPut('new', 20n);
    expect(m.owner).toBe('old');
    expect(v.decide(m)).toBe('wait');
  });

  it("the owner's death makes its messages orphans, claimed by one rendezvous winner among the members registered before them", () => {
    const v = view();
    const k = keys.find((x) => ownerOf(x, ['old', 'me']) === 'old' && ownerOf(x, ['me']) === 'me')!;
    const m = v.addMessage(11n, k, bytes)!;
    expect(v.decide(m)).toBe('wait');
    v.memberDeleted('old');
    expect(v.decide(m)).toBe('claim');
    v.claims.set(11n, 7n);
    expect(v.decide(m)).toBe('wait'); // claimed by someone
  });

  it('a backlog message (published before we registered) is ours to claim only when no live member registered before it', () => {
    const v = view();
    const early = v.addMessage(7n, keys[0]!, bytes)!; // 'old' (registered at 5) may own it: not ours to judge
    const k = keys.find((x) => ownerOf(x, ['old', 'me']) === 'me')!;
    const older = v.addMessage(3n, k, bytes)!; // nobody alive was registered before 3: an orphan, and we win it
    expect(early.owner).toBeUndefined();
    expect(v.decide(early)).toBe('wait');
    expect(v.decide(older)).toBe('claim');
    const lost = v.addMessage(4n, keys.find((x) => ownerOf(x, ['old', 'me']) === 'old')!, bytes)!;
    expect(v.decide(lost)).toBe('wait'); // 'old' wins that one
  });

  it('a message published while no member was registered is an orphan', () => {
    const v = new GroupView('me', 10n, new Map([['me', 10n]]), 1n);
    v.memberDeleted('me');
    const m = v.addMessage(12n, keys[2]!, bytes)!;
    expect(m.owner).toBeNull();
    expect(v.decide(m)).toBe('wait'); // we are not alive ourselves
    const w = new GroupView('me', 10n, new Map([['me', 10n]]), 1n);
    const n = w.addMessage(4n, keys[2]!, bytes)!;
    expect(w.decide(n)).toBe('claim');
  });

  it('done messages are skipped; the low mark moves to the first message not done', () => {
    const v = view(11n);
    v.markDone(12n);
    expect(v.addMessage(12n, keys[3]!, bytes)).toBeUndefined();
    expect(v.addMessage(9n, keys[3]!, bytes)).toBeUndefined(); // below low
    v.addMessage(13n, keys[4]!, bytes);
    v.addMessage(15n, keys[5]!, bytes);
    v.advance(16n);
    expect(v.lowCandidate()).toBe(13n);
    v.markDone(13n);
    expect(v.lowCandidate()).toBe(15n);
    v.markDone(15n);
    expect(v.lowCandidate()).toBe(17n);
    v.setLow(17n);
    expect([...v.done]).toEqual([]);
  });

  it('the oldest live member keeps the low mark', () => {
    const v = view();
    expect(v.advancer).toBe(false);
    v.memberDeleted('old');
    expect(v.advancer).toBe(true);
  });
});
