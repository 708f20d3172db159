// TypeDoc plugin: groups the API reference by area (client, locks, election, topics, queues, …;
// the transport seam's wire types apart) from where each export is declared, so no source file
// needs a `@category` tag. Each primitive's contract (`src/<area>/api.ts`) goes by its folder;
// src/types.ts holds the types the areas share: they go by name.
import { Comment, CommentTag, Converter } from 'typedoc';

/** Declaring file (relative to the repo) -> category; the first match wins. */
const BY_PATH = [
  [/errors\.ts$/, 'Errors'],
  [/^src\/locks\//, 'Locks'],
  [/^src\/election\//, 'Leader election'],
  [/^src\/topics\//, 'Topics and consumer groups'],
  [/^src\/queues\//, 'Queues and jobs'],
  [/^src\/barriers\//, 'Barriers'],
  [/^src\/services\//, 'Service registry'],
  [/^src\/kv\//, 'Key-value and transactions'],
  [/^src\/events\//, 'Events and iterators'],
  [/^src\/(telemetry\/|logger\.ts)/, 'Logging and telemetry'],
  [/^src\/codec\.ts$/, 'Codecs and bytes'],
  [/^src\/transport\//, 'Transport seam (wire types)'],
  [/^adapters\//, 'Transports'],
];

/** src/types.ts exports by name -> category. */
const BY_NAME = [
  [/^(FencedWrites|WaitOptions)$/, 'Locks'],
  [/^(KeyValue|WatchEvent)$/, 'Key-value and transactions'],
  [/^Codec$/, 'Codecs and bytes'],
  [/^(Bytes|Rev)$/, 'Transport seam (wire types)'],
];

export const CATEGORY_ORDER = [
  'Client',
  'Key-value and transactions',
  'Locks',
  'Leader election',
  'Topics and consumer groups',
  'Queues and jobs',
  'Barriers',
  'Service registry',
  'Events and iterators',
  'Logging and telemetry',
  'Codecs and bytes',
  'Errors',
  'Transports',
  'Transport seam (wire types)',
];

function categoryOf(file, name) {
  if (file === 'src/types.ts') {
    for (const [re, category] of BY_NAME) if (re.test(name)) return category;
    return 'Client';
  }
  for (const [re, category] of BY_PATH) if (re.test(file)) return category;
  return 'Client';
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const root = process.cwd().replace(/\\/g, '/') + '/';
  const files = new Map();
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (reflection.parent !== context.project) return;
    const symbol = context.getSymbolFromReflection(reflection);
    const declared = symbol?.declarations?.[0]?.getSourceFile().fileName.replace(/\\/g, '/');
    if (declared) files.set(reflection, declared.startsWith(root) ? declared.slice(root.length) : declared);
  });
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of context.project.children ?? []) {
      const file = files.get(reflection);
      if (!file) continue;
      // The tag goes where the TSDoc is: on the declaration, or on a function's first signature.
      const comment = reflection.comment ?? reflection.signatures?.[0]?.comment ?? (reflection.comment = new Comment());
      if (comment.blockTags.some((t) => t.tag === '@category')) continue;
      comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: categoryOf(file, reflection.name) }]));
    }
  });
}
