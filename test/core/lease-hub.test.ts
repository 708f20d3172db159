import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseHub, leaseMarginMs } from '../../src/core/lease-hub.js';
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

  it('no answer: the lease is lost a margin (max(500 ms, 10 %)) before the earliest server expiry, measured from the grant', async () => {
    const lost: number[] = [];
    const t0 = performance.now();
    hub.keep(7n, 9, t0, () => lost.push(performance.now() - t0));
    await vi.advanceTimersByTimeAsync(8000);
    expect(lost).toHaveLength(0);
    expect(transport.keepAliveStreams[0]!.sent).toEqual([7n]); // not repeated on the same stream while unanswered
    await vi.advanceTimersByTimeAsync(200);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeGreaterThanOrEqual(9000 - 900);
    expect(lost[0]).toBeLessThan(9000 - 900 + 100);
  });

  it('the deadline moves to the send time of the answered keep-alive + TTL − margin', async () => {
    const lost: number[] = [];
    const t0 = performance.now();
    hub.keep(7n, 9, t0, () => lost.push(performance.now() - t0));
    await vi.advanceTimersByTimeAsync(3050); // sent at ~3000
    answer(7n, 9n);
    await vi.advanceTimersByTimeAsync(8000); // 11.05 s in: alive thanks to the answer (deadline 3 + 9 − 0.9 = 11.1 s), though no more answers
    expect(lost).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1100);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeLessThan(12_000 - 800);
  });

  it('margins: max(500 ms, 10 % of the TTL); over grpc-proxy max(1 s, 20 %); never above half the TTL', () => {
    expect(leaseMarginMs(3_000, false)).toBe(500);
    expect(leaseMarginMs(10_000, false)).toBe(1_000);
    expect(leaseMarginMs(60_000, false)).toBe(6_000);
    expect(leaseMarginMs(3_000, true)).toBe(1_000);
    expect(leaseMarginMs(10_000, true)).toBe(2_000);
    expect(leaseMarginMs(1_000, false)).toBe(500);
    expect(leaseMarginMs(1_000, true)).toBe(500);
  });

  it('over grpc-proxy the lease is counted lost 20 % before the earliest expiry', async () => {
    hub.close();
    const proxied = Object.assign(new FakeTransport(), { name: 'grpc-proxy' }) as FakeTransport;
    transport = proxied;
    hub = new LeaseHub(proxied, () => {});
    const lost: number[] = [];
    const t0 = performance.now();
    hub.keep(7n, 10, t0, () => lost.push(performance.now() - t0));
    await vi.advanceTimersByTimeAsync(7_900);
    expect(lost).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeGreaterThanOrEqual(8_000);
  });

  it('an answer with no send waiting for it, or from an older stream, does not move the deadline', async () => {
    const lost: number[] = [];
    const t0 = performance.now();
    hub.keep(7n, 9, t0, () => lost.push(performance.now() - t0));
    await vi.advanceTimersByTimeAsync(3050); // keep-alive sent at ~3000
    const old = transport.keepAliveStreams[0]!;
    old.handlers.onError(new Error('broken')); // reopened after a backoff; resent on the new stream
    await vi.advanceTimersByTimeAsync(1500);
    expect(transport.keepAliveStreams).toHaveLength(2);
    old.handlers.onMessage({ header: header(1n), id: 7n, ttl: 9n }); // a late answer on the old stream
    answer(7n, 9n); // the answer to the resend (~3.1 s)...
    answer(7n, 9n); // ...and an unsolicited duplicate at ~4.55 s
    await vi.advanceTimersByTimeAsync(12_100 - 4_550 - 900 - 200); // just before resend + TTL − margin
    // (The keep-alive due at ~6.1 s stays unanswered.)
    expect(lost).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeLessThan(3_000 + 1_100 + 9_000 - 900 + 100);
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
