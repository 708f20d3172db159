/**
 * Where the examples find etcd: `CONCLAVE_ENDPOINTS` when set, else a
 * throwaway single-member etcd in a temp dir (started from the `etcd` binary,
 * `ETCD_BIN` or PATH — `bash scripts/install-etcd.sh` installs it), stopped on exit.
 */
import { startSingle } from '../../test/harness/standalone.js';

export interface ExampleEtcd {
  endpoints: string[];
  /** Stops the throwaway etcd, if one was started. */
  stop(): Promise<void>;
}

export async function exampleEtcd(): Promise<ExampleEtcd> {
  const configured = process.env['CONCLAVE_ENDPOINTS'];
  if (configured && configured.trim() !== '') {
    return { endpoints: configured.split(',').map((s) => s.trim()), stop: async () => {} };
  }
  const cluster = await startSingle({ name: 'demo' });
  console.log(`(started a throwaway etcd at ${cluster.endpoints.join(', ')}; set CONCLAVE_ENDPOINTS to use yours)`);
  return { endpoints: cluster.endpoints, stop: () => cluster.stop() };
}
