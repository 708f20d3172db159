/**
 * Jobs: a queue processed at least once, with retries, a delayed job and a dead-letter queue.
 * - `enqueue(value, { delayMs })`: not delivered before the delay;
 * - a handler that throws gets the job again after `retryDelayMs`, with `job.attempt + 1`;
 * - after `maxDeliveries` deliveries that did not succeed the job moves to `${name}.dead` (an
 *   ordinary queue of the original values), its last error kept beside it.
 *
 * Run: `npx tsx examples/jobs.ts` (uses CONCLAVE_ENDPOINTS, else starts a throwaway etcd).
 */
import { connect } from 'conclave';
import { exampleEtcd } from './support/endpoints.js';

const etcd = await exampleEtcd();
const client = await connect({ endpoints: etcd.endpoints, namespace: `examples/jobs/${process.pid}/` });

interface Email {
  to: string;
  flaky?: boolean;
  broken?: boolean;
}

const mail = client.queue<Email>('mail');
const stop = new AbortController();
const finished = new Set<string>();
const t0 = Date.now();
try {
  await mail.enqueue({ to: 'ada@example.com' });
  await mail.enqueue({ to: 'flaky@example.com', flaky: true }); // fails once, then succeeds
  await mail.enqueue({ to: 'nobody@example.invalid', broken: true }); // always fails: dead letter
  await mail.enqueue({ to: 'later@example.com' }, { delayMs: 500 }); // not before 500 ms

  const worker = mail.process(
    async (email, job) => {
      console.log(`+${Date.now() - t0} ms: sending to ${email.to} (attempt ${job.attempt})`);
      if (email.broken) throw new Error(`mailbox ${email.to} does not exist`);
      if (email.flaky && job.attempt === 1) throw new Error('SMTP timeout');
      finished.add(email.to);
    },
    { concurrency: 2, maxDeliveries: 3, retryDelayMs: 200, visibilityTimeoutMs: 10_000, signal: stop.signal },
  );

  // The dead-letter queue is an ordinary queue: a consumer there sees the original value.
  const dead = await client.queue<Email>('mail.dead').dequeue({ signal: AbortSignal.timeout(20_000) });
  console.log(`dead letter: ${dead.to}`);
  while (finished.size < 3) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await worker;
  console.log(`sent: ${[...finished].join(', ')}`);
} finally {
  stop.abort();
  await client.close();
  await etcd.stop();
}
console.log('jobs done');
