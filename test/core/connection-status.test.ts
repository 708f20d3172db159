/**
 * The connection status state machine (src/core/connection-status.ts), one
 * test per transition of its table, with a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionStatusMachine } from '../../src/core/connection-status.js';
import type { ConnectionStatus } from '../../src/types.js';

function machine() {
  let now = 1000;
  const changes: ConnectionStatus[] = [];
  const m = new ConnectionStatusMachine(() => now, { onChange: (s) => changes.push(s) });
  const seen: ConnectionStatus[] = [];
  let completed = false;
  m.status$.subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
  return {
    m,
    seen,
    changes,
    advance: (ms: number) => (now += ms),
    completed: () => completed,
  };
}

const boom = new Error('connection refused');

describe('connection status', () => {
  it('starts connecting; the first success makes it connected', () => {
    const t = machine();
    expect(t.seen).toEqual([{ state: 'connecting' }]);
    expect(t.m.awaitingSuccess).toBe(true);
    t.m.succeeded();
    expect(t.seen).toEqual([{ state: 'connecting' }, { state: 'connected' }]);
    expect(t.m.awaitingSuccess).toBe(false);
  });

  it('a failure while connecting changes nothing (connect() rejects instead)', () => {
    const t = machine();
    t.m.failed(boom);
    expect(t.seen).toEqual([{ state: 'connecting' }]);
  });

  it('connected: successes emit nothing; a failure makes it disconnected with that reason', () => {
    const t = machine();
    t.m.succeeded();
    t.m.succeeded();
    t.m.succeeded();
    expect(t.seen).toHaveLength(2);
    t.m.failed(boom);
    expect(t.seen.at(-1)).toEqual({ state: 'disconnected', reason: boom });
    expect(t.m.down).toBe(true);
    expect(t.m.awaitingSuccess).toBe(true);
  });

  it('disconnected: further failures keep the first reason and emit nothing', () => {
    const t = machine();
    t.m.succeeded();
    t.m.failed(boom);
    t.m.failed(new Error('another'));
    expect(t.seen).toHaveLength(3);
    expect(t.m.status).toEqual({ state: 'disconnected', reason: boom });
  });

  it('disconnected → reconnected on the next success, with the outage length on the monotonic clock', () => {
    const t = machine();
    t.m.succeeded();
    t.m.failed(boom);
    t.advance(1234);
    t.m.failed(new Error('still down'));
    t.advance(66);
    t.m.succeeded();
    expect(t.m.status).toEqual({ state: 'reconnected', downtimeMs: 1300 });
    expect(t.m.down).toBe(false);
    expect(t.m.awaitingSuccess).toBe(false);
  });

  it('reconnected behaves like connected: a failure starts a new outage, measured from its own start', () => {
    const t = machine();
    t.m.succeeded();
    t.m.failed(boom);
    t.advance(10);
    t.m.succeeded();
    t.m.succeeded();
    t.advance(5000);
    const second = new Error('second outage');
    t.m.failed(second);
    t.advance(20);
    t.m.succeeded();
    expect(t.seen.map((s) => s.state)).toEqual(['connecting', 'connected', 'disconnected', 'reconnected', 'disconnected', 'reconnected']);
    expect(t.seen[4]).toEqual({ state: 'disconnected', reason: second });
    expect(t.seen[5]).toEqual({ state: 'reconnected', downtimeMs: 20 });
  });

  it('onChange sees every change, in order, after status$ emitted it', () => {
    const t = machine();
    t.m.succeeded();
    t.m.failed(boom);
    t.m.succeeded();
    expect(t.changes).toEqual(t.seen.slice(1));
  });

  it('a late subscriber gets the current status first', () => {
    const t = machine();
    t.m.succeeded();
    t.m.failed(boom);
    const late: ConnectionStatus[] = [];
    t.m.status$.subscribe((s) => late.push(s));
    expect(late).toEqual([{ state: 'disconnected', reason: boom }]);
  });

  it('close completes status$ and ignores everything after', () => {
    const t = machine();
    t.m.succeeded();
    t.m.close();
    expect(t.completed()).toBe(true);
    t.m.failed(boom);
    t.m.succeeded();
    t.m.close();
    expect(t.seen).toHaveLength(2);
    expect(t.m.awaitingSuccess).toBe(false);
  });
});
