// TypeDoc plugin: every symbol the package exports (src/index.ts) must carry
// a TSDoc `@example`. A missing one is a warning, and typedoc.json treats
// warnings as errors, so `npm run docs` fails.
import { Converter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of context.project.children ?? []) {
      const comment =
        reflection.comment ??
        reflection.signatures?.[0]?.comment ??
        (reflection.type?.type === 'reflection' ? reflection.type.declaration.signatures?.[0]?.comment : undefined);
      if (!comment?.blockTags.some((tag) => tag.tag === '@example')) {
        app.logger.warn(`${reflection.name} is a public export (src/index.ts) without an @example in its TSDoc`);
      }
    }
  });
}
