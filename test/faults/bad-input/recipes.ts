/**
 * Bad input to barriers, double barriers, queues, topics and the service registry, and misuse
 * of claims and registrations (double ack, ack after release, double deregister).
 */
import { firstValueFrom } from 'rxjs';
import { AbortError, InvalidArgumentError, LockLostError, type Codec } from '../../../src/index.js';
import { circular, loose, OVER_CLIENT_LIMIT, OVER_SERVER_LIMIT, sized, type BadCall, type BadInputEnv } from './case.js';

const IAE = InvalidArgumentError;
let unique = 0;
const fresh = (what: string): string => `bad/${what}/${++unique}`;

export function barrierCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  return [
    { call: "barrier('')", expect: IAE, run: () => c.barrier('') },
    { call: 'barrier(42)', expect: IAE, run: () => c.barrier(loose(42)) },
    { call: "barrier.wait({ signal: 'x' })", expect: IAE, run: () => c.barrier(fresh('b')).wait({ signal: loose('x') }) },
    { call: 'barrier.wait({ signal: <aborted> })', expect: AbortError, run: () => c.barrier(fresh('b')).wait({ signal: AbortSignal.abort() }) },
    { call: 'barrier.release() when not held', expect: 'ok', run: () => c.barrier(fresh('b')).release() },
    {
      call: 'barrier.hold() twice',
      expect: 'ok',
      prepare: async () => {
        const barrier = env.warm.barrier(fresh('held'));
        await barrier.hold();
        return { run: () => barrier.hold(), cleanup: () => barrier.release() };
      },
    },
    { call: "doubleBarrier('', 2)", expect: IAE, run: () => c.doubleBarrier('', 2) },
    { call: "doubleBarrier('d', 0)", expect: IAE, run: () => c.doubleBarrier(fresh('d'), 0) },
    { call: "doubleBarrier('d', -2)", expect: IAE, run: () => c.doubleBarrier(fresh('d'), -2) },
    { call: "doubleBarrier('d', 2.5)", expect: IAE, run: () => c.doubleBarrier(fresh('d'), 2.5) },
    { call: "doubleBarrier('d', NaN)", expect: IAE, run: () => c.doubleBarrier(fresh('d'), Number.NaN) },
    { call: "doubleBarrier('d', '2')", expect: IAE, run: () => c.doubleBarrier(fresh('d'), loose('2')) },
    { call: 'doubleBarrier.leave() without enter()', expect: IAE, run: () => c.doubleBarrier(fresh('d'), 2).leave() },
    { call: "doubleBarrier.enter({ signal: 'x' })", expect: IAE, run: () => c.doubleBarrier(fresh('d'), 2).enter({ signal: loose('x') }) },
    { call: 'doubleBarrier.enter({ signal: <aborted> })', expect: AbortError, run: () => c.doubleBarrier(fresh('d'), 2).enter({ signal: AbortSignal.abort() }) },
  ];
}

export function queueCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  const q = () => c.queue(fresh('q'));
  const pq = () => c.priorityQueue(fresh('pq'));
  return [
    { call: "queue('')", expect: IAE, run: () => c.queue('') },
    { call: "queue('q', { codec: {} })", expect: IAE, run: () => c.queue(fresh('q'), { codec: loose<Codec<unknown>>({}) }) },
    { call: 'enqueue(undefined)', expect: IAE, run: () => q().enqueue(undefined) },
    { call: 'enqueue(() => 1)', expect: IAE, run: () => q().enqueue(() => 1) },
    { call: 'enqueue(10n)', expect: IAE, run: () => q().enqueue(10n) },
    { call: 'enqueue(<circular>)', expect: IAE, run: () => q().enqueue(circular()) },
    { call: 'enqueue(<2 MiB>)', expect: IAE, code: 'TOO_LARGE', run: () => q().enqueue(sized(OVER_CLIENT_LIMIT)) },
    { call: 'enqueue(<100 KiB>) (server limit)', expect: IAE, code: 'TOO_LARGE', run: () => env.warm.queue(fresh('q')).enqueue(sized(OVER_SERVER_LIMIT)) },
    { call: "dequeue({ signal: 'x' })", expect: IAE, run: () => q().dequeue({ signal: loose('x') }) },
    { call: 'dequeue({ signal: <aborted> })', expect: AbortError, run: () => q().dequeue({ signal: AbortSignal.abort() }) },
    { call: "claim({ signal: 'x' })", expect: IAE, run: () => q().claim({ signal: loose('x') }) },
    {
      call: 'claim.ack() twice',
      expect: 'ok',
      prepare: async () => {
        const queue = env.warm.queue(fresh('ack'));
        await queue.enqueue(1);
        const claim = await queue.claim();
        await claim.ack();
        return { run: () => claim.ack() };
      },
    },
    {
      call: 'claim.release() after ack',
      expect: 'ok',
      prepare: async () => {
        const queue = env.warm.queue(fresh('ack'));
        await queue.enqueue(1);
        const claim = await queue.claim();
        await claim.ack();
        return { run: () => claim.release() };
      },
    },
    {
      call: 'claim.ack() after release',
      expect: LockLostError,
      prepare: async () => {
        const queue = env.warm.queue(fresh('rel'));
        await queue.enqueue(1);
        const claim = await queue.claim();
        await claim.release();
        return { run: () => claim.ack(), cleanup: () => queue.dequeue() };
      },
    },
    { call: "priorityQueue('')", expect: IAE, run: () => c.priorityQueue('') },
    { call: "priorityQueue.enqueue('v', -1)", expect: IAE, run: () => pq().enqueue('v', -1) },
    { call: "priorityQueue.enqueue('v', 65536)", expect: IAE, run: () => pq().enqueue('v', 65536) },
    { call: "priorityQueue.enqueue('v', 1.5)", expect: IAE, run: () => pq().enqueue('v', 1.5) },
    { call: "priorityQueue.enqueue('v', NaN)", expect: IAE, run: () => pq().enqueue('v', Number.NaN) },
    { call: "priorityQueue.enqueue('v', '3')", expect: IAE, run: () => pq().enqueue('v', loose('3')) },
    { call: 'priorityQueue.enqueue(undefined, 1)', expect: IAE, run: () => pq().enqueue(undefined, 1) },
    { call: "priorityQueue.enqueue(<2 MiB>, 1)", expect: IAE, code: 'TOO_LARGE', run: () => pq().enqueue(sized(OVER_CLIENT_LIMIT), 1) },
    { call: "priorityQueue.enqueue(<100 KiB>, 1) (server limit)", expect: IAE, code: 'TOO_LARGE', run: () => env.warm.priorityQueue(fresh('pq')).enqueue(sized(OVER_SERVER_LIMIT), 1) },
  ];
}

export function topicCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  const t = () => c.topic(fresh('t'));
  return [
    { call: "topic('')", expect: IAE, run: () => c.topic('') },
    { call: 'topic(42)', expect: IAE, run: () => c.topic(loose(42)) },
    { call: "topic('t', { codec: 5 })", expect: IAE, run: () => c.topic(fresh('t'), { codec: loose<Codec<unknown>>(5) }) },
    { call: "topic('t', { retention: 'x' })", expect: IAE, run: () => c.topic(fresh('t'), { retention: loose('x') }) },
    { call: "topic('t', { retention: { maxMessages: 0 } })", expect: IAE, run: () => c.topic(fresh('t'), { retention: { maxMessages: 0 } }) },
    { call: "topic('t', { retention: { maxAgeMs: -1 } })", expect: IAE, run: () => c.topic(fresh('t'), { retention: { maxAgeMs: -1 } }) },
    {
      call: "topic('t', { retention: { maxMessages: Infinity, maxAgeMs: Infinity } })",
      expect: IAE,
      run: () => c.topic(fresh('t'), { retention: { maxMessages: Infinity, maxAgeMs: Infinity } }),
    },
    { call: 'publish(undefined)', expect: IAE, run: () => t().publish(undefined) },
    { call: 'publish(10n)', expect: IAE, run: () => t().publish(10n) },
    { call: 'publish(<circular>)', expect: IAE, run: () => t().publish(circular()) },
    { call: 'publish(<2 MiB>)', expect: IAE, code: 'TOO_LARGE', run: () => t().publish(sized(OVER_CLIENT_LIMIT)) },
    { call: 'publish(<100 KiB>) (server limit)', expect: IAE, code: 'TOO_LARGE', run: () => env.warm.topic(fresh('t')).publish(sized(OVER_SERVER_LIMIT)) },
    { call: 'messages$({ fromRevision: 0n })', expect: IAE, run: () => firstValueFrom(t().messages$({ fromRevision: 0n })) },
    { call: 'messages$({ fromRevision: -1n })', expect: IAE, run: () => firstValueFrom(t().messages$({ fromRevision: -1n })) },
    { call: 'messages$({ fromRevision: 3 })', expect: IAE, run: () => firstValueFrom(t().messages$({ fromRevision: loose(3) })) },
    { call: "messages$({ onDecodeError: 'x' })", expect: IAE, run: () => firstValueFrom(t().messages$({ onDecodeError: loose('x') })) },
    { call: "messages$({ onCompacted: 'x' })", expect: IAE, run: () => firstValueFrom(t().messages$({ onCompacted: loose('x') })) },
  ];
}

export function serviceCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  const s = () => c.services(fresh('svc'));
  const reg = (instance: unknown) => () => s().register(loose(instance));
  return [
    { call: "services('')", expect: IAE, run: () => c.services('') },
    { call: 'services(42)', expect: IAE, run: () => c.services(loose(42)) },
    { call: 'register(undefined)', expect: IAE, run: reg(undefined) },
    { call: 'register({})', expect: IAE, run: reg({}) },
    { call: "register({ id: '', address: 'a:1' })", expect: IAE, run: reg({ id: '', address: 'a:1' }) },
    { call: "register({ id: 'a', address: '' })", expect: IAE, run: reg({ id: 'a', address: '' }) },
    { call: "register({ id: 'a', address: 42 })", expect: IAE, run: reg({ id: 'a', address: 42 }) },
    { call: "register({ id: 'a', address: 'a:1', metadata: [] })", expect: IAE, run: reg({ id: 'a', address: 'a:1', metadata: [] }) },
    { call: "register({ id: 'a', address: 'a:1', metadata: 'x' })", expect: IAE, run: reg({ id: 'a', address: 'a:1', metadata: 'x' }) },
    { call: "register({ id: 'a', address: 'a:1', metadata: { n: 10n } })", expect: IAE, run: reg({ id: 'a', address: 'a:1', metadata: { n: 10n } }) },
    { call: "register({ id: 'a', address: 'a:1', metadata: <circular> })", expect: IAE, run: reg({ id: 'a', address: 'a:1', metadata: circular() }) },
    { call: "register({ ..., metadata: <2 MiB> })", expect: IAE, code: 'TOO_LARGE', run: reg({ id: 'a', address: 'a:1', metadata: { blob: sized(OVER_CLIENT_LIMIT) } }) },
    {
      call: "register({ ..., metadata: <100 KiB> }) (server limit)",
      expect: IAE,
      code: 'TOO_LARGE',
      run: () => env.warm.services(fresh('svc')).register({ id: 'a', address: 'a:1', metadata: { blob: sized(OVER_SERVER_LIMIT) } }),
    },
    {
      call: 'registration.deregister() twice',
      expect: 'ok',
      prepare: async () => {
        const registration = await env.warm.services(fresh('svc')).register({ id: 'x', address: 'x:1' });
        await registration.deregister();
        return { run: () => registration.deregister() };
      },
    },
  ];
}
