/**
 * A private PostgreSQL (pg-server.ts) and nats-server -js (test/support/nats-server.ts) for one
 * test file: started before its tests, stopped after them. The getters fail a test that runs
 * without them.
 */
import { after, before } from 'node:test';
import { startNatsServer, type NatsServer } from '../../support/nats-server.js';
import { startPgServer, type PgServer } from './pg-server.js';

export interface BusServers {
  pg(): PgServer;
  nats(): NatsServer;
}

function up<T>(what: string, v: T | undefined): T {
  if (v === undefined) {
    throw new Error(`${what} is not running (did its before hook fail?)`);
  }
  return v;
}

export function busServers(): BusServers {
  let pgServer: PgServer | undefined;
  let nats: NatsServer | undefined;
  before(async () => {
    pgServer = await startPgServer();
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
    await pgServer?.stop();
  });
  return { pg: () => up('PostgreSQL', pgServer), nats: () => up('nats-server', nats) };
}
