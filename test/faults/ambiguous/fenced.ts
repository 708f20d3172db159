/**
 * Fenced writes for the lock and election rows: every holder writes `res/x` with its fencing
 * token (`putIfHeld`), and the run checks etcd's history of `res/` with the fenced-history
 * checker (no two holders at once, tokens never go back).
 */
import type { Conclave } from '../../../src/index.js';
import type { FencedWrites } from '../../../src/types.js';
import { checkFencedWrites } from '../checkers/fenced-history.js';
import { acceptedWrites, historyOf } from '../support.js';
import type { World } from './steps.js';

/** The history window of one run's fenced writes. */
export class FencedLog {
  private n = 0;
  private constructor(
    private readonly observer: Conclave,
    private readonly start: bigint,
  ) {}

  static async open(w: World): Promise<FencedLog> {
    return new FencedLog(w.observer, (await w.observer.put('res/~start', '')).revision);
  }

  /** `holder` writes with `token` through `fenced` (a lock or a leadership). */
  async write(fenced: FencedWrites, holder: string, token: bigint): Promise<void> {
    await fenced.putIfHeld('res/x', JSON.stringify({ holder, token: token.toString(), n: ++this.n }));
  }

  /** Checks the history of `res/` since {@link open}; records violations on the run's log. */
  async check(w: World): Promise<void> {
    const end = (await this.observer.put('res/~end', '')).revision;
    const history = await historyOf(this.observer, 'res/', this.start + 1n, end, 15_000);
    for (const v of checkFencedWrites(acceptedWrites(history, (key) => key.includes('~')))) w.log.that(false, v.kind, v.detail);
  }
}
