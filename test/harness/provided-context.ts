/**
 * Types of what the global setup hands to tests through vitest's `provide` / `inject`.
 *
 * @module
 */

/** The shared cluster started once per test run by `test/harness/global-setup.ts`. */
export interface SharedClusterInfo {
  /** `127.0.0.1:<port>` client addresses. */
  endpoints: string[];
  /** `http://127.0.0.1:<port>` client URLs (HTTP gateway, /health). */
  clientUrls: string[];
  /** `http://127.0.0.1:<port>` metrics URLs (`/metrics`). */
  metricsUrls: string[];
  /** `127.0.0.1:<port>` of the `etcd grpc-proxy` in front of the shared cluster (no namespace). */
  grpcProxyEndpoints: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by the harness's global setup. */
    conclaveEtcd: SharedClusterInfo;
    /** The run's dir where `packed.ts` packs and installs the package once. */
    conclavePackDir: string;
  }
}
