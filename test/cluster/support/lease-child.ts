/**
 * A timers' lease in a process of its own, for the SIGSTOP test (order-bus.test.ts):
 *   node dist/test/cluster/support/lease-child.js STORE_URL EVERY_MS TTL_MS
 * prints "leader true" / "leader false" at each change of its leadership (onChange), and answers
 * each line ID read on stdin with "is ID true|false" (isLeader() when it reads the line). Stops its
 * lease and exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import { startPgLease } from '../../../src/cluster/pg-lease.js';

const [url, every, ttl] = process.argv.slice(2);
if (url === undefined || every === undefined || ttl === undefined) {
  throw new Error('usage: lease-child STORE_URL EVERY_MS TTL_MS');
}
const lease = startPgLease({
  connectionString: url,
  everyMs: Number(every),
  ttlMs: Number(ttl),
  onChange: (leader) => {
    process.stdout.write(`leader ${String(leader)}\n`);
  },
  onWarn: (text) => {
    process.stderr.write(`${text}\n`);
  },
});
const lines = createInterface({ input: process.stdin });
lines.on('line', (id) => {
  process.stdout.write(`is ${id} ${String(lease.isLeader())}\n`);
});
lines.on('close', () => {
  void lease.stop().then(() => process.exit(0));
});
