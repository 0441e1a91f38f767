/**
 * One cluster node as a real process for the cluster tests (no CLI flag needed):
 *   node dist/test/cluster/support/node-main.js CONF HOME STORE_URL ALERTS_FILE
 * runs startManagerRuntime with cluster { storeUrl, bus: PostgreSQL NOTIFY } and the REST API on
 * 127.0.0.1:0, prints "listening PORT" once serving, stops cleanly on SIGTERM.
 */
import { createManagerApi } from '../../../src/manager-api/create-manager-api.js';
import { startManagerRuntime } from '../../../src/runtime/manager-runtime.js';

const [conf, home, storeUrl, alertsFile] = process.argv.slice(2);
if (conf === undefined || home === undefined || storeUrl === undefined || alertsFile === undefined) {
  throw new Error('usage: node-main CONF HOME STORE_URL ALERTS_FILE');
}
const m = await startManagerRuntime({
  configPath: conf,
  home,
  listen: { host: '127.0.0.1', port: 0 },
  localAgent: false,
  createApi: createManagerApi,
  heartbeatMs: 1_000,
  deadAfterMs: 3_000,
  alertsFile,
  alertsPollMs: 100,
  cluster: { storeUrl, bus: 'postgres', sweepEveryMs: 500, staleAfterMs: 3_000, leaseEveryMs: 500 },
});
process.stdout.write(`listening ${m.address.port}\n`);
process.on('SIGTERM', () => {
  void m.stop().then(() => process.exit(0));
});
