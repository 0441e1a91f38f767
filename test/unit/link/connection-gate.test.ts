/**
 * The gate between the manager's TLS server and its connection quota (src/link/connection-gate.ts),
 * with a stand-in server and sockets (events only): every slot is given back exactly once, also
 * for sockets that had no address at accept (reset before it); a linked agent's slot is given back
 * when the link admits it, not before; a connection evicted for a newcomer is closed and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gateConnections, type ConnectionGate } from '../../../src/link/connection-gate.js';
import { ConnectionQuota } from '../../../src/core/net/connection-quota.js';
import { rejectionCount } from '../../../src/protocol/input-rejections.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  readonly localAddress: string | undefined;
  readonly localPort = 1515;
  constructor(
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
  ) {
    super();
    this.localAddress = remoteAddress === undefined ? undefined : '192.0.2.100';
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function gated(limits: { perSource: number; overall: number; minAgeMs?: number }): {
  server: EventEmitter;
  quota: ConnectionQuota<Socket>;
  gate: ConnectionGate;
  warnings: string[];
} {
  const server = new EventEmitter();
  const quota = new ConnectionQuota<Socket>(limits);
  const warnings: string[] = [];
  const gate = gateConnections(server as unknown as Server, quota, { warn: (m: string) => warnings.push(m) });
  return { server, quota, gate, warnings };
}

/** The TLS socket the link sees on `raw`'s connection: same ends, another object. */
function tlsOf(raw: FakeSocket): TLSSocket {
  return new FakeSocket(raw.remoteAddress, raw.remotePort) as unknown as TLSSocket;
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

test('a linked agent gives its slot back when admitted, once; a client keeps its slot until it closes', () => {
  const { server, quota, gate } = gated({ perSource: 10, overall: 10 });
  const agentRaw = new FakeSocket('192.0.2.1', 40_001);
  const clientRaw = new FakeSocket('192.0.2.1', 40_002);
  server.emit('connection', agentRaw);
  server.emit('connection', clientRaw);
  assert.deepEqual(quota.held, { connections: 2, sources: 1 }, 'both held until linked');
  gate.admitted(tlsOf(agentRaw));
  assert.deepEqual(quota.held, { connections: 1, sources: 1 }, 'the client holds one');
  agentRaw.emit('close');
  gate.admitted(tlsOf(agentRaw));
  assert.deepEqual(quota.held, { connections: 1, sources: 1 }, "the agent's slot is given back once");
  clientRaw.emit('close');
  assert.deepEqual(quota.held, { connections: 0, sources: 0 });
});

test("a newcomer past the limit closes its source's oldest connection, counted and warned once per window", () => {
  const { server, quota, warnings } = gated({ perSource: 1, overall: 10, minAgeMs: 0 });
  const before = rejectionCount('connection', 'rate-limited');
  const sockets = [1, 2, 3, 4].map((port) => new FakeSocket('192.0.2.7', port));
  for (const s of sockets) {
    server.emit('connection', s);
  }
  assert.deepEqual(
    sockets.map((s) => s.destroyed),
    [true, true, true, false],
    'each newcomer evicted the one before',
  );
  assert.deepEqual(quota.held, { connections: 1, sources: 1 });
  assert.equal(rejectionCount('connection', 'rate-limited') - before, 3);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /1 connection\(s\) not linked as agents closed: too many.*192\.0\.2\.7/);
});

test('a newcomer past the limit is refused while the oldest is younger than the minimum age', () => {
  const { server, quota } = gated({ perSource: 1, overall: 10, minAgeMs: 60_000 });
  const before = rejectionCount('connection', 'rate-limited');
  const sockets = [1, 2, 3].map((port) => new FakeSocket('192.0.2.8', port));
  for (const s of sockets) {
    server.emit('connection', s);
  }
  assert.deepEqual(
    sockets.map((s) => s.destroyed),
    [false, true, true],
    'the first stays, the newcomers are closed',
  );
  assert.deepEqual(quota.held, { connections: 1, sources: 1 }, 'a refused newcomer holds nothing');
  sockets[1]?.emit('close');
  assert.deepEqual(quota.held, { connections: 1, sources: 1 });
  assert.equal(rejectionCount('connection', 'rate-limited') - before, 2);
});
