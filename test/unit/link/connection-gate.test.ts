/**
 * The gate between the manager's TLS server and its connection quota (src/link/connection-gate.ts),
 * with a stand-in server and sockets (events only): every slot is given back exactly once, also
 * for sockets that had no address at accept (reset before it), and refusals close the socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Server } from 'node:https';
import { gateConnections } from '../../../src/link/connection-gate.js';
import { ConnectionQuota } from '../../../src/link/connection-quota.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    readonly authorized = false,
  ) {
    super();
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function gated(limits: { perSource: number; overall: number }): {
  server: EventEmitter;
  quota: ConnectionQuota;
  warnings: string[];
} {
  const server = new EventEmitter();
  const quota = new ConnectionQuota(limits);
  const warnings: string[] = [];
  gateConnections(server as unknown as Server, quota, { warn: (m: string) => warnings.push(m) });
  return { server, quota, warnings };
}

test('sockets without an address at accept each give their slot back at close', () => {
  const { server, quota } = gated({ perSource: 10, overall: 10 });
  const a = new FakeSocket(undefined, undefined);
  const b = new FakeSocket(undefined, undefined);
  server.emit('connection', a);
  server.emit('connection', b);
  assert.deepEqual(quota.held, { connections: 2, sources: 1 });
  a.emit('close');
  b.emit('close');
  assert.deepEqual(quota.held, { connections: 0, sources: 0 }, 'no slot leaked');
});

test('an agent gives its slot back at the end of its handshake, once; a client without a certificate keeps it', () => {
  const { server, quota } = gated({ perSource: 10, overall: 10 });
  const agentRaw = new FakeSocket('192.0.2.1', 40_001);
  const clientRaw = new FakeSocket('192.0.2.1', 40_002);
  server.emit('connection', agentRaw);
  server.emit('connection', clientRaw);
  server.emit('secureConnection', new FakeSocket('192.0.2.1', 40_001, true));
  server.emit('secureConnection', new FakeSocket('192.0.2.1', 40_002, false));
  assert.deepEqual(quota.held, { connections: 1, sources: 1 }, 'the client holds one');
  agentRaw.emit('close');
  assert.deepEqual(quota.held, { connections: 1, sources: 1 }, "the agent's close gives nothing twice");
  clientRaw.emit('close');
  assert.deepEqual(quota.held, { connections: 0, sources: 0 });
});

test('past the limit a connection is closed at accept, and warned about once per window', () => {
  const { server, quota, warnings } = gated({ perSource: 1, overall: 10 });
  server.emit('connection', new FakeSocket('192.0.2.7', 1));
  const refused = [2, 3, 4].map((port) => new FakeSocket('192.0.2.7', port));
  for (const s of refused) {
    server.emit('connection', s);
  }
  assert.deepEqual(
    refused.map((s) => s.destroyed),
    [true, true, true],
  );
  assert.deepEqual(quota.held, { connections: 1, sources: 1 }, 'a refused one never held a slot');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /1 connection\(s\) refused.*192\.0\.2\.7/);
});
