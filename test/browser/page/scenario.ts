/**
 * What the browser page runs: Conclave over the HTTP transport, bundled for the
 * browser (no Node built-ins), against an etcd started with `--cors '*'`.
 * It imports `conclave/http` exactly as an app would: the test bundles it from the packed tarball.
 * Exposed as `window.conclaveScenario(endpoint)`; resolves with what it saw.
 */
import { connect, type WatchEvent } from 'conclave/http';

export interface ScenarioResult {
  userAgent: string;
  putRevisions: string[];
  eventRevisions: string[];
  eventValues: string[];
  /** Undefined when elections are not available in this build. */
  election?: { leaderValue: string; leaderKey: string; afterResign: boolean } | undefined;
  stats: { serverWatchers: number; keepAliveStreams: number };
  /** Locks taken in the page: mutex (with its fencing token), rw-lock (two readers at once, then a writer), semaphore. */
  locks: { mutexKey: string; fencingToken: string; readers: number; writerKey: string; semaphoreHeld: number; semaphoreFull: boolean };
  /** Every value handed out is a plain Uint8Array. */
  plainBytes: boolean;
}

declare global {
  interface Window {
    conclaveScenario(endpoint: string, prefix: string): Promise<ScenarioResult>;
  }
}

window.conclaveScenario = async (endpoint: string, prefix: string): Promise<ScenarioResult> => {
  const client = await connect({ endpoints: [endpoint], namespace: prefix });
  try {
    const dec = new TextDecoder();
    const events: WatchEvent[] = [];
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no watch events within 20 s')), 20_000);
      client.watch('greeting').subscribe({
        next: (e) => {
          events.push(e);
          if (events.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
        error: reject,
      });
    });
    const r1 = await client.put('greeting', 'hello');
    const r2 = await client.put('greeting', 'from the browser');
    await seen;

    let election: ScenarioResult['election'];
    const e = client.election('browser-election');
    if (typeof e.campaign === 'function') {
      const leadership = await e.campaign('browser-tab');
      const leader = await e.leader();
      await leadership.resign();
      election = { leaderValue: leader ? dec.decode(leader.value) : '', leaderKey: leader?.key ?? '', afterResign: (await e.leader()) === undefined };
    }
    const lock = await client.mutex('browser-mutex').acquire({ timeoutMs: 10_000 });
    const rw = client.rwlock('browser-rw');
    const [r1l, r2l] = await Promise.all([rw.readLock({ timeoutMs: 10_000 }), rw.readLock({ timeoutMs: 10_000 })]);
    const readers = [r1l, r2l].filter((l) => !l.signal.aborted).length;
    await Promise.all([r1l.release(), r2l.release()]);
    const writer = await rw.writeLock({ timeoutMs: 10_000 });
    const sem = client.semaphore('browser-sem', 2);
    const permits = [await sem.acquire({ timeoutMs: 10_000 }), await sem.acquire({ timeoutMs: 10_000 })];
    const third = await sem.tryAcquire();
    const locks = {
      mutexKey: lock.key,
      fencingToken: lock.fencingToken.toString(),
      readers,
      writerKey: writer.key,
      semaphoreHeld: permits.length,
      semaphoreFull: third === undefined,
    };
    await Promise.all([lock.release(), writer.release(), ...permits.map((p) => p.release())]);
    const kv = await client.get('greeting');
    const plainBytes = kv !== undefined && Object.getPrototypeOf(kv.value) === Uint8Array.prototype && events.every((ev) => Object.getPrototypeOf(ev.value) === Uint8Array.prototype);
    const stats = client.stats();
    return {
      userAgent: navigator.userAgent,
      putRevisions: [r1.revision.toString(), r2.revision.toString()],
      eventRevisions: events.map((ev) => ev.revision.toString()),
      eventValues: events.map((ev) => dec.decode(ev.value)),
      election,
      stats: { serverWatchers: stats.serverWatchers, keepAliveStreams: stats.keepAliveStreams },
      locks,
      plainBytes,
    };
  } finally {
    await client.close();
  }
};
