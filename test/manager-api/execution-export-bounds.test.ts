/**
 * The bounds of a streamed export (src/manager-api/execution-export-stream.ts), apart from HTTP:
 * - backpressure: a consumer that stops taking the body stops the page reads (one page handed
 *   over, one waiting in the body), instead of the whole export being read into memory;
 * - a turn of the event loop between pages, however fast the consumer: other work runs between;
 * - the slot of the gate comes back even when the body is never sent (an onSend hook fails and
 *   the error answer goes instead).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import Fastify from 'fastify';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';
import type { ExecutionPage } from '../../src/core/orders/manager-console-store.js';
import { toNdjson } from '../../src/manager-api/execution-export.js';
import {
  EXPORT_PAGE,
  exportBody,
  exportGate,
  sendExport,
  type ReadPage,
} from '../../src/manager-api/execution-export-stream.js';
import { execution } from './fake-manager-service.js';
import { turn, until } from '../support/event-turns.js';

/** `n` rows, newest first, each long enough that a page is far over the body's 16 KiB buffer. */
function rowsOf(n: number): FleetExecution[] {
  return Array.from({ length: n }, (_, i) => ({ ...execution('001', n - i), stderrTail: 'e'.repeat(200) }));
}

/** A store over `rows`: pages from the cursor (an index into `rows`); counts its reads. */
function pagedStore(rows: readonly FleetExecution[]): { read: ReadPage; reads: () => number } {
  let reads = 0;
  const read: ReadPage = async (q): Promise<ExecutionPage> => {
    reads++;
    const from = q.cursor === undefined ? 0 : Number(q.cursor);
    const to = from + q.limit;
    return { items: rows.slice(from, to), nextCursor: to < rows.length ? String(to) : undefined };
  };
  return { read, reads: () => reads };
}

test('a consumer that stops taking the body stops the page reads; it all comes once it takes it', async () => {
  const rows = rowsOf(10 * EXPORT_PAGE);
  const store = pagedStore(rows);
  const chunks: Buffer[] = [];
  const held: (() => void)[] = [];
  let taking = false;
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      if (taking) {
        cb();
      } else {
        held.push(cb);
      }
    },
  });
  exportBody({ read: store.read, query: {}, max: 100_000, format: 'ndjson' }).pipe(sink);
  await until('the first page handed over', () => chunks.length === 1);
  // The body reads a page per turn or two when nothing holds it back: 50 turns would see 10.
  for (let i = 0; i < 50; i++) {
    await turn();
  }
  assert.equal(store.reads(), 2, 'one page handed over, one waiting in the body');
  assert.equal(chunks.length, 1);
  taking = true;
  for (const cb of held.splice(0)) {
    cb();
  }
  await finished(sink);
  assert.equal(store.reads(), 10);
  assert.equal(Buffer.concat(chunks).toString('utf8'), toNdjson(rows));
});

test('pages are read in turns of the event loop even when the consumer takes each at once', async () => {
  const store = pagedStore(rowsOf(10 * EXPORT_PAGE));
  const sink = new Writable({
    write(_chunk: Buffer, _enc, cb) {
      cb();
    },
  });
  // A callback queued for the next turn: it runs between two page reads, not after the last.
  let readsAtTurn: number | undefined;
  setImmediate(() => (readsAtTurn = store.reads()));
  exportBody({ read: store.read, query: {}, max: 100_000, format: 'csv' }).pipe(sink);
  await finished(sink);
  assert.equal(store.reads(), 10);
  assert.ok(readsAtTurn !== undefined && readsAtTurn < 10, `the turn came at read ${readsAtTurn}`);
});

test('the slot comes back when the body is never sent (an onSend hook failed)', async () => {
  const gate = exportGate(1);
  const store = pagedStore(rowsOf(3));
  const app = Fastify();
  app.addHook('onSend', async (request, _reply, payload) => {
    if (payload instanceof Readable && request.headers['x-fail'] !== undefined) {
      throw new Error('onSend failed');
    }
    return payload;
  });
  app.get('/x', async (_request, reply) =>
    sendExport(reply, { read: store.read, query: {}, max: 10, format: 'ndjson' }, gate),
  );
  try {
    assert.equal((await app.inject({ url: '/x', headers: { 'x-fail': '1' } })).statusCode, 500);
    await until('the slot back', () => {
      const release = gate.enter();
      release?.();
      return release !== undefined;
    });
    const ok = await app.inject({ url: '/x' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, toNdjson(rowsOf(3)));
  } finally {
    await app.close();
  }
});
