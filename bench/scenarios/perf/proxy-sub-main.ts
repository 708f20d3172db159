/**
 * One subscriber process of the grpc-proxy cell: N subscribers on one key, through one client.
 * Prints `ready` once subscribed, then `saw <value> <epoch ms>` each time ALL N got a put.
 *
 * `node --import tsx bench/scenarios/perf/proxy-sub-main.ts <conclave|etcd3> <address> <key> <N> <grpc|grpc-proxy>`
 * @module
 */
const [side, address, key, nText, transport] = process.argv.slice(2);
const n = Number(nText);
const counts = new Map<string, number>();
const wallNow = (): number => performance.timeOrigin + performance.now();
const onPut = (value: string): void => {
  const c = (counts.get(value) ?? 0) + 1;
  counts.set(value, c);
  if (c === n) {
    process.stdout.write(`saw ${value} ${wallNow()}\n`);
    counts.delete(value);
  }
};
if (side === 'conclave') {
  const { connect } = await import('../../../src/index.js');
  const c = await connect({ endpoints: [address!], transport: transport === 'grpc-proxy' ? 'grpc-proxy' : 'grpc' });
  const decoder = new TextDecoder();
  for (let i = 0; i < n; i++) c.watch(key!).subscribe((e) => e.type === 'put' && onPut(decoder.decode(e.value)));
} else {
  const { Etcd3 } = await import('etcd3');
  const c = new Etcd3({ hosts: `http://${address}` });
  const ws = await Promise.all(Array.from({ length: n }, () => c.watch().key(key!).create()));
  for (const w of ws) w.on('put', (kv) => onPut(kv.value.toString()));
}
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
