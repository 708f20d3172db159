// TypeDoc plugin: every function, class and constant the package exports (src/index.ts) must
// carry a TSDoc `@example` — what a user calls or constructs. Interfaces and type aliases need
// none (their fields carry one-line comments). A missing one is a warning, and typedoc.json
// treats warnings as errors, so `npm run docs` fails.
import { Converter, ReflectionKind } from 'typedoc';

const NEEDS_EXAMPLE = ReflectionKind.Function | ReflectionKind.Class | ReflectionKind.Variable;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of context.project.children ?? []) {
      if (!reflection.kindOf(NEEDS_EXAMPLE)) continue;
      const comment =
        reflection.comment ??
        reflection.signatures?.[0]?.comment ??
        (reflection.type?.type === 'reflection' ? reflection.type.declaration.signatures?.[0]?.comment : undefined);
      if (!comment?.blockTags.some((tag) => tag.tag === '@example')) {
        app.logger.warn(`${reflection.name} is a public function, class or constant (src/index.ts) without an @example in its TSDoc`);
      }
    }
  });
}
