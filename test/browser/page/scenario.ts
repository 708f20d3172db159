/**
 * What the browser page runs: Conclave over the HTTP transport, bundled for the
 * browser (no Node built-ins), against an etcd started with `--cors '*'`.
 * Exposed as `window.conclaveScenario(endpoint)`; resolves with what it saw.
 */
import { createHttpTransport } from '../../../adapters/http/index.js';
import { connectWith } from '../../../src/connect.js';
import type { WatchEvent } from '../../../src/types.js';

export interface ScenarioResult {
  userAgent: string;
  putRevisions: string[];
  eventRevisions: string[];
  eventValues: string[];
  /** Undefined when elections are not available in this build. */
  election?: { leaderValue: string; leaderKey: string; afterResign: boolean } | undefined;
  stats: { serverWatchers: number; keepAliveStreams: number };
}

declare global {
  interface Window {
    conclaveScenario(endpoint: string, prefix: string): Promise<ScenarioResult>;
  }
}

window.conclaveScenario = async (endpoint: string, prefix: string): Promise<ScenarioResult> => {
  const client = await connectWith({ endpoints: [endpoint], transport: 'http', namespace: prefix }, { http: (o) => createHttpTransport(o) });
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
    const stats = client.stats();
    return {
      userAgent: navigator.userAgent,
      putRevisions: [r1.revision.toString(), r2.revision.toString()],
      eventRevisions: events.map((ev) => ev.revision.toString()),
      eventValues: events.map((ev) => dec.decode(ev.value)),
      election,
      stats: { serverWatchers: stats.serverWatchers, keepAliveStreams: stats.keepAliveStreams },
    };
  } finally {
    await client.close();
  }
};
