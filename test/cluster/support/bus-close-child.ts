/**
 * A NATS order bus in a process of its own, for the close tests (nats-outage.test.ts):
 *   node dist/test/cluster/support/bus-close-child.js NATS_URL USER PASSWORD EVENT
 * starts a bus, prints "started", and closes it as soon as it reports EVENT ("disconnect" or
 * "reconnect": the server stopped, or restarted, by the test), then prints "closed". It never calls
 * process.exit: the test checks that nothing the bus left keeps the process alive, and an
 * unhandled rejection ends it with a non-zero status.
 */
import { createNatsBus } from '../../../src/cluster/nats-bus.js';
import { BusSeal, newBusKey } from '../../../src/cluster/bus-seal.js';
import type { OrderBus } from '../../../src/cluster/order-bus.js';

const [url, user, pass, event] = process.argv.slice(2);
if (url === undefined || user === undefined || pass === undefined || event === undefined) {
  throw new Error('usage: bus-close-child NATS_URL USER PASSWORD disconnect|reconnect');
}
let closing = false;
const bus: OrderBus = createNatsBus({
  servers: url,
  seal: new BusSeal(newBusKey()),
  auth: { kind: 'user', user, pass },
  onWarn: (text) => {
    process.stdout.write(`${text}\n`);
    if (!closing && text.includes(`: ${event} (`)) {
      closing = true; // at once, in the same turn: the moment the library is busiest
      void bus.close().then(() => process.stdout.write('closed\n'));
    }
  },
});
await bus.start({ onOrders: () => undefined, onResync: () => undefined });
process.stdout.write('started\n');
