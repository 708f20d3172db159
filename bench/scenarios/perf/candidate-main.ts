/**
 * A leader in its own process, for the leader-kill cell: connects with a short session TTL,
 * campaigns, prints `elected` and waits to be killed (SIGKILL, by PID).
 *
 * `node --import tsx bench/scenarios/perf/candidate-main.ts <endpoint> <election name> <ttl s>`
 * @module
 */
import { connect } from '../../../src/index.js';

const [endpoint, name, ttl] = process.argv.slice(2);
const client = await connect({ endpoints: [endpoint!], sessionTtlSeconds: Number(ttl) });
await client.election(name!).campaign(`pid ${process.pid}`);
process.stdout.write('elected\n');
setInterval(() => undefined, 60_000);
