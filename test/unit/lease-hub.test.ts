import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseHub } from '../../src/core/lease-hub.js';
import { FakeTransport, header } from './fake-transport.js';

describe('LeaseHub (state machine, fake clock)', () => {
  let transport: FakeTransport;
  let hub: LeaseHub;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    transport = new FakeTransport();
    hub = new LeaseHub(transport, () => {});
  });
  afterEach(() => {
    hub.close();
    vi.useRealTimers();
  });
  const answer = (id: bigint, ttl: bigint) => transport.keepAliveStreams.at(-1)!.handlers.onMessage({ header: header(1n), id, ttl });

  it('keeps every lease alive over one stream, each at TTL/3', async () => {
    const lost: bigint[] = [];
    for (let i = 1n; i <= 1000n; i++) hub.keep(i, 9, performance.now(), () => lost.push(i));
    expect(transport.keepAliveStreams).toHaveLength(1);
    expect(hub.stats()).toEqual({ leases: 1000, keepAliveStreams: 1 });
    await vi.advanceTimersByTimeAsync(2900);
    expect(transport.keepAliveStreams[0]!.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.keepAliveStreams[0]!.sent).toHaveLength(1000);
    for (let i = 1n; i <= 1000n; i++) answer(i, 9n);
    await vi.advanceTimersByTimeAsync(3000);
    expect(transport.keepAliveStreams[0]!.sent).toHaveLength(2000);
    expect(lost).toHaveLength(0);
  });

  it('an answer with TTL <= 0 loses the lease at once', async () => {
    const lost: string[] = [];
    hub.keep(7n, 9, performance.now(), (r) => lost.push(r));
    await vi.advanceTimersByTimeAsync(3100);
    answer(7n, 0n);
    expect(lost).toHaveLength(1);
    expect(hub.stats()).toEqual({ leases: 0, keepAliveStreams: 0 });
  });

  it('no answer before the deadline loses the lease at the deadline, measured from the oldest unanswered send', async () => {
    const lost: number[] = [];
    const t0 = performance.now();
    hub.keep(7n, 9, t0, () => lost.push(performance.now() - t0));
    await vi.advanceTimersByTimeAsync(8900);
    expect(lost).toHaveLength(0);
    expect(transport.keepAliveStreams[0]!.sent).toEqual([7n]); // not repeated on the same stream while unanswered
    await vi.advanceTimersByTimeAsync(200);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeGreaterThanOrEqual(9000);
    expect(lost[0]).toBeLessThan(9100);
  });

  it('the deadline moves to the send time of the answered keep-alive + TTL', async () => {
    const lost: number[] = [];
    hub.keep(7n, 9, performance.now(), () => lost.push(performance.now()));
    await vi.advanceTimersByTimeAsync(3050); // sent at ~3000
    answer(7n, 9n);
    await vi.advanceTimersByTimeAsync(8000); // 11 s in: alive thanks to the answer (deadline ~12 s), though no more answers
    expect(lost).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1100);
    expect(lost).toHaveLength(1);
  });

  it('a broken stream is reopened with backoff and refreshes every lease at once, unanswered ones included', async () => {
    hub.keep(1n, 30, performance.now(), () => {});
    await vi.advanceTimersByTimeAsync(10_100); // the first keep-alive is sent, and stays unanswered
    expect(transport.keepAliveStreams[0]!.sent).toEqual([1n]);
    transport.keepAliveStreams[0]!.handlers.onError(new Error('broken'));
    expect(hub.stats().keepAliveStreams).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.keepAliveStreams).toHaveLength(2);
    expect(transport.keepAliveStreams[1]!.sent).toEqual([1n]);
  });

  it('release() stops the keep-alives without a loss, and closes the unused stream', async () => {
    const lost: string[] = [];
    const kept = hub.keep(1n, 9, performance.now(), (r) => lost.push(r));
    kept.release();
    expect(transport.keepAliveStreams[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(20000);
    expect(lost).toHaveLength(0);
  });
});
