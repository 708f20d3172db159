/**
 * What a benchmark worker process is told by the runner.
 * @module
 */

/** The library under test. */
export type Side = 'conclave' | 'etcd3';

export interface WorkerContext {
  /** `127.0.0.1:<port>` of the etcd client listener. */
  endpoint: string;
  /** `http://127.0.0.1:<port>` serving etcd's `/metrics`. */
  metricsUrl: string;
  /** A unique key prefix for this run. */
  runId: string;
}
