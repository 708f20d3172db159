/**
 * `election.lead` contract: work runs per term with a fencing token; a lost term aborts
 * `term.signal` and the next campaign waits for `work` to settle; `work` returning resigns
 * (another candidate gets a term); errors go to `onError` (or `client.events`); `signal`
 * resigns and resolves; closing the client rejects with `ClosedError` after `work` settled;
 * never two `work`s at once in one client.
 */
import { expect, it } from 'vitest';
import { ClosedError, type Leadership } from '../../src/index.js';
import { describeContract } from './transports.js';

/** Resolves when `check()` holds, polling every 10 ms, bounded by `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

describeContract('election lead', ({ client, open }) => {
  let n = 0;
  const unique = (label: string) => `lead-${label}-${++n}`;

  it('work returning resigns; the other candidate gets the next term; tokens strictly increase', async () => {
    const a = await client();
    const name = unique('handover');
    const terms: Array<{ who: string; revision: bigint }> = [];
    const stop = new AbortController();
    let running = 0;
    let maxRunning = 0;
    const work = (who: string) => async (term: Leadership) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      terms.push({ who, revision: term.revision });
      await new Promise((r) => setTimeout(r, 20));
      running--;
    };
    const loops = [a.election(name).lead('a', work('a'), { signal: stop.signal }), a.election(name).lead('b', work('b'), { signal: stop.signal })];
    await until(() => new Set(terms.map((t) => t.who)).size === 2 && terms.length >= 4, 'terms of both candidates');
    stop.abort();
    await Promise.all(loops);
    expect(maxRunning).toBe(1);
    for (let i = 1; i < terms.length; i++) expect(terms[i]!.revision > terms[i - 1]!.revision).toBe(true);
    expect(await a.election(name).leader()).toBeUndefined();
  });

  it('a lost term aborts term.signal; lead waits for work to settle, then campaigns again', async () => {
    const c = await open();
    const name = unique('lost');
    const stop = new AbortController();
    const tokens: bigint[] = [];
    let settleFirst!: () => void;
    const firstSettled = new Promise<void>((r) => (settleFirst = r));
    let firstDone = false;
    let overlap = false;
    const loop = c.election(name).lead(
      'x',
      async (term) => {
        if (tokens.length > 0 && !firstDone) overlap = true;
        tokens.push(term.revision);
        if (tokens.length === 1) {
          await untilAborted(term.signal);
          await firstSettled; // still running after the loss
          firstDone = true;
        } else await untilAborted(term.signal);
      },
      { signal: stop.signal },
    );
    await until(() => tokens.length === 1, 'first term');
    // Lose the term: delete the leader key behind the client's back.
    const leader = await c.election(name).leader();
    await c.delete(leader!.key);
    await new Promise((r) => setTimeout(r, 300));
    expect(tokens.length).toBe(1); // not campaigning again before work settled
    settleFirst();
    await until(() => tokens.length === 2, 'second term');
    expect(overlap).toBe(false);
    expect(tokens[1]! > tokens[0]!).toBe(true);
    stop.abort();
    await loop;
    expect(await c.election(name).leader()).toBeUndefined();
  });

  it('errors of work go to onError, then lead campaigns again; without onError they are emitted on client.events', async () => {
    const c = await open();
    const name = unique('errors');
    const stop = new AbortController();
    const errors: unknown[] = [];
    let calls = 0;
    const loop = c.election(name).lead(
      'x',
      () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      { signal: stop.signal, onError: (e) => errors.push(e) },
    );
    await until(() => errors.length >= 2, 'two errors');
    stop.abort();
    await loop;
    expect((errors[0] as Error).message).toBe('boom 1');

    const emitted: Error[] = [];
    c.events.on('error', (e) => emitted.push(e));
    const stop2 = new AbortController();
    const loop2 = c.election(unique('events')).lead('x', () => Promise.reject(new Error('via events')), { signal: stop2.signal });
    await until(() => emitted.length >= 1, 'an error event');
    stop2.abort();
    await loop2;
    expect(emitted[0]!.message).toBe('via events');
  });

  it('signal resigns at once (term.signal aborts) and resolves after work settled', async () => {
    const c = await open();
    const name = unique('stop');
    const stop = new AbortController();
    let settled = false;
    let term: Leadership | undefined;
    const loop = c.election(name).lead(
      'x',
      async (t) => {
        term = t;
        await untilAborted(t.signal);
        await new Promise((r) => setTimeout(r, 50));
        settled = true;
      },
      { signal: stop.signal },
    );
    await until(() => term !== undefined, 'elected');
    stop.abort();
    await loop;
    expect(settled).toBe(true);
    expect(term!.signal.aborted).toBe(true);
    expect(await c.election(name).leader()).toBeUndefined();
  });

  it('client close aborts the term and rejects with ClosedError once work settled', async () => {
    const c = await open();
    const name = unique('close');
    let settled = false;
    let elected = false;
    const loop = c.election(name).lead('x', async (t) => {
      elected = true;
      await untilAborted(t.signal);
      settled = true;
    });
    const outcome = loop.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await until(() => elected, 'elected');
    await c.close();
    const result = await outcome;
    expect(result).toBeInstanceOf(ClosedError);
    expect(settled).toBe(true);
  });
});
