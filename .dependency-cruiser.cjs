/* global module */
/**
 * The layers of Conclave, written down once, checked by `npm run lint`
 * (`depcruise src adapters cli --config .dependency-cruiser.cjs`); test/architecture.test.ts
 * proves a wrong import fails.
 *
 *   entry      src/index.ts, src/http.ts (+ src/public.ts, their export list): the only importers of adapters/
 *   client     src/client/: the Conclave facade, connect(), client.events
 *   primitives src/{locks,election,barriers,queues,topics,services,kv}/: each takes a Store, never the client
 *   kit        src/kit/: Store, waits, inbox, session keys, unique keys, registries: shared by primitives
 *   core       src/core/: watch hub, lease hub, sessions, namespace, the observed transport
 *   bottom     the transport seam (src/transport*) and errors, types, util (bytes, backoff, validate,
 *              logger, endpoints, codec), events/ (emitter, event types), telemetry/
 *
 * A layer imports only from layers below it. Contracts (`api.ts` files: interfaces only) may be
 * imported, type-only, from any layer. Adapters implement the seam: from src/ they import only
 * the seam and the bottom utilities they share.
 */

const ENTRY = '^src/(index|http|public)\\.ts$';
const CLIENT = '^src/client/';
const PRIMITIVES = '^src/(locks|election|barriers|queues|topics|services|kv)/';
const KIT = '^src/kit/';
const CORE = '^src/core/';
/** The seam and errors / types / util: everything at the bottom of src/. */
const BOTTOM = [
  '^src/transport(\\.ts$|/)',
  '^src/(errors|types|bytes|backoff|abort-listeners|validate|logger|endpoints|codec)\\.ts$',
  '^src/(events|telemetry)/',
];
/** A contract file: interfaces of one folder (type-only imports of it are allowed from any layer). */
const CONTRACT = '/api\\.ts$';
/** What adapters/ may use from src/: the seam, the errors, and the utilities adapters share with the core. */
const ADAPTER_API = '^src/(transport(\\.ts$|/)|(errors|types|bytes|backoff|logger|endpoints)\\.ts$)';

/** "`from` must not import `to`", for layer rules. */
const down = (name, comment, from, to) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to, pathNot: CONTRACT },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles among source files (type-only imports count).',
      severity: 'error',
      from: { path: '^(src|adapters|cli)/' },
      to: { circular: true },
    },
    {
      name: 'only-entries-import-adapters',
      comment: 'Only the package entries (src/index.ts, src/http.ts) choose and import transports.',
      severity: 'error',
      from: { path: '^(src|cli)/', pathNot: '^src/(index|http)\\.ts$' },
      to: { path: '^adapters/' },
    },
    {
      name: 'adapters-import-only-the-seam',
      comment: 'An adapter implements the transport seam: from src/ it may import the seam, errors and shared utilities only.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^src/', pathNot: ADAPTER_API },
    },
    {
      name: 'cli-imports-only-the-entry',
      comment: 'The CLI is a user of the package: it imports the public entry, not internals.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^src/', pathNot: '^src/(index|http)\\.ts$' },
    },
    {
      name: 'nothing-imports-the-entries',
      comment: 'The entries are the top: no source file imports them (src/public.ts only from the entries).',
      severity: 'error',
      from: { path: '^(src|adapters)/', pathNot: '^src/(index|http)\\.ts$' },
      to: { path: ENTRY },
    },
    down('client-is-above-primitives', 'Primitives, the kit, the core and the bottom never import the client facade (each primitive takes a Store).', [PRIMITIVES, KIT, CORE, ...BOTTOM], CLIENT),
    {
      name: 'primitives-are-independent',
      comment: 'A primitive folder imports no other primitive folder (what two share lives in the kit).',
      severity: 'error',
      from: { path: PRIMITIVES },
      to: { path: PRIMITIVES, pathNot: ['^src/$1/', CONTRACT] },
    },
    down('primitives-reach-the-core-through-the-kit', 'Primitives reach etcd, watches and sessions through the Store only.', PRIMITIVES, CORE),
    down('kit-is-below-primitives', 'The kit, the core and the bottom never import a primitive.', [KIT, CORE, ...BOTTOM], PRIMITIVES),
    down('core-is-below-the-kit', 'The core and the bottom never import the kit.', [CORE, ...BOTTOM], KIT),
    down('bottom-is-below-the-core', 'The seam, errors, types and utilities never import the core.', BOTTOM, CORE),
    {
      name: 'contracts-are-type-only-from-below',
      comment: 'A lower layer may name a contract (api.ts) in types only, never load it at run time.',
      severity: 'error',
      from: { path: [KIT, CORE, ...BOTTOM] },
      to: { path: CONTRACT, pathNot: '^src/(kit|core)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every relative import resolves to a file.',
      severity: 'error',
      from: { path: '^(src|adapters|cli)/' },
      to: { couldNotResolve: true, dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'], conditionNames: ['import', 'require', 'node', 'default'], exportsFields: ['exports'] },
  },
};
