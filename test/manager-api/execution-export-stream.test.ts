/**
 * `GET /executions?format=csv|ndjson` over a real SQLite manager store (a file) holding many
 * executions: the export is streamed a page at a time (execution-export-stream.ts), so
 * - the event loop is never held for the whole export: a request sent when the export read its
 *   first page is answered before it reads its last one, and a timer keeps ticking (its longest
 *   gap stays far below the seconds the export used to stall everything: issue of the review,
 *   11 s and 2 GB for 100,000 rows);
 * - the body is byte for byte the whole-text form the export sent before (toCsv / toNdjson);
 * - at most two exports stream at once; a third is refused with DAEMON_UNREACHABLE, 503 and
 *   `Retry-After: 1`, and a slot comes back when an export ends, fails or its client goes away;
 *   an export whose client went away stops reading;
 * - a store failure before the first byte is the usual error answer (its code, its status); one
 *   after it cuts the body short: never a body that looks complete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { execution } from './fake-manager-service.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import type { ExecutionQuery } from '../../src/core/orders/manager-console-store.js';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';
import { toCsv, toNdjson } from '../../src/manager-api/execution-export.js';
import { EXPORT_PAGE } from '../../src/manager-api/execution-export-stream.js';
import { ErrorCode, RiposteError } from '../../src/protocol/error-codes.js';
import { until } from '../support/event-turns.js';

/** Rows stored: enough pages that the unstreamed export held the loop for seconds here. */
const ROWS = 30_000;
const TAIL = `${'x'.repeat(1000)}\n`;

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The body ended as HTTP says (for chunked, its final chunk came). */
  readonly complete: boolean;
}

let f: ApiFixture;
let store: ManagerStore;
let dir: string;
let port: number;
/** Every row, most recent first, read from the store apart from the API (the expected export). */
let all: FleetExecution[];

async function seed(): Promise<void> {
  for (let b = 0; b < ROWS / 1000; b++) {
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      ...execution(`00${1 + (i % 3)}`, b * 1000 + i + 1),
      status: 'failed' as const,
      exitCode: 1,
      stderrTail: TAIL,
      key: `firewall-drop-10.0.${b}.${i % 250}`,
      note: i % 7 === 0 ? 'a "quoted", note\r\nwith =lines' : undefined,
    }));
    await store.recordExecutions(batch);
  }
}

async function readAll(q: Omit<ExecutionQuery, 'limit' | 'cursor'> = {}): Promise<FleetExecution[]> {
  const rows: FleetExecution[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryExecutions({
      ...q,
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return rows;
}

/**
 * GET over real HTTP; `abortAfterFirstChunk`: the client goes away once the body has started;
 * `cutOk`: a response cut short (`complete` false) is an answer, not a failure.
 */
function get(url: string, abortAfterFirstChunk = false, cutOk = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: url, headers: f.auth('read') }, (res) => {
      const chunks: Buffer[] = [];
      const done = (): void => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          complete: res.complete,
        });
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (abortAfterFirstChunk) {
          req.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', cutOk ? done : reject);
    });
    req.on('error', (err) => {
      if (!abortAfterFirstChunk && !cutOk) {
        reject(err);
      }
    });
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-export-'));
  store = openSqliteManagerStore(path.join(dir, 'manager.db'));
  await seed();
  all = await readAll();
  f = await apiFixture();
  f.service.queryExecutions = (q) => store.queryExecutions(q);
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  port = (f.app.server.address() as AddressInfo).port;
});

after(async () => {
  await f.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

void describe('streamed execution export', () => {
  void test('other requests are answered and timers run while an export reads its pages', async () => {
    // Which page read the export is at, and when /healthz was answered (in page reads).
    let reads = 0;
    let healthAnsweredAt: number | undefined;
    let health: Promise<Answer> | undefined;
    f.service.queryExecutions = (q) => {
      reads++;
      if (reads === 1) {
        health = get('/healthz').then((a) => {
          healthAnsweredAt = reads;
          return a;
        });
      }
      return store.queryExecutions(q);
    };
    let last = Date.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = Date.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    try {
      const started = Date.now();
      const res = await get('/executions?format=ndjson');
      const tookMs = Date.now() - started;
      clearInterval(ticker);
      console.log(`export of ${ROWS} rows: ${tookMs} ms, longest event-loop gap ${longestGap} ms`);
      assert.equal(res.status, 200);
      assert.equal((await health)?.status, 200);
      // Answered before the export read its last page: the export let it in between pages.
      assert.ok(
        healthAnsweredAt !== undefined && healthAnsweredAt < reads,
        `at read ${healthAnsweredAt} of ${reads}`,
      );
      assert.equal(reads, Math.ceil(ROWS / EXPORT_PAGE));
      // Generous (a busy 2-core machine): one page's work, not the export's seconds.
      assert.ok(longestGap < Math.max(1000, tookMs / 4), `event loop held ${longestGap} ms of ${tookMs}`);
    } finally {
      clearInterval(ticker);
      f.service.queryExecutions = (q) => store.queryExecutions(q);
    }
  });

  void test('the streamed body is the whole-text export of every row, CSV and NDJSON', async () => {
    const nd = await get('/executions?format=ndjson');
    assert.equal(nd.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    assert.equal(nd.headers['content-disposition'], 'attachment; filename="executions.ndjson"');
    assert.equal(nd.body, toNdjson(all));
    const csv = await get('/executions?format=csv');
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.headers['content-disposition'], 'attachment; filename="executions.csv"');
    assert.equal(csv.body, toCsv(all));
  });

  void test('filters, limit and cursor apply across pages; nothing matched gives the empty forms', async () => {
    const agent2 = await readAll({ agentId: '002' });
    assert.equal((await get('/executions?format=ndjson&agent=002')).body, toNdjson(agent2));
    const some = await get(`/executions?format=csv&agent=002&limit=${EXPORT_PAGE + 7}`);
    assert.equal(some.body, toCsv(agent2.slice(0, EXPORT_PAGE + 7)));
    // The cursor is a row number: rows are numbered 1..ROWS as stored, `all` is newest first.
    const skip = 2 * EXPORT_PAGE + 5;
    const rest = await get(`/executions?format=ndjson&cursor=${ROWS - skip}`);
    assert.equal(rest.body, toNdjson(all.slice(skip + 1)));
    assert.equal((await get('/executions?format=ndjson&agent=009')).body, '');
    assert.equal((await get('/executions?format=csv&agent=009')).body, toCsv([]));
  });

  void test('two exports at once at most; a slot comes back when an export ends or is abandoned', async () => {
    const [a, b, third] = await heldExports(3);
    assert.deepEqual([a?.status, b?.status], [200, 200]);
    assert.equal(third?.status, 503);
    assert.equal(third.headers['retry-after'], '1');
    assert.equal((JSON.parse(third.body) as { error: { code: string } }).error.code, 'DAEMON_UNREACHABLE');
    // Two clients that go away mid-body (agent 001: 10,000 rows, 20 pages each) give their slots
    // back (else every export would be 503), and their exports stop reading.
    let goneReads = 0;
    f.service.queryExecutions = (q) => {
      goneReads += q.agentId === '001' ? 1 : 0;
      return store.queryExecutions(q);
    };
    const gone = await Promise.all([
      get('/executions?format=ndjson&agent=001', true),
      get('/executions?format=csv&agent=001', true),
    ]);
    assert.deepEqual(
      gone.map((g) => g.status),
      [200, 200],
    );
    let statuses: number[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      statuses = (await heldExports(2)).map((r) => r.status);
      if (!statuses.includes(503)) {
        break;
      }
    }
    f.service.queryExecutions = (q) => store.queryExecutions(q);
    assert.deepEqual(statuses, [200, 200]);
    // A slot comes back once its export's reads are over: what was read is all it will read.
    const pages = (2 * ROWS) / 3 / EXPORT_PAGE;
    assert.ok(goneReads < pages, `${goneReads} page reads for two exports abandoned at once`);
  });

  void test('a store failure before the first byte is the error answer; after it, a cut body', async () => {
    const down = new RiposteError(ErrorCode.STORE_UNAVAILABLE, 'Cannot read the history: ECONNREFUSED');
    let reads = 0;
    f.service.queryExecutions = async (q) => {
      reads++;
      if (reads === 1 || reads === 3) {
        throw down;
      }
      return store.queryExecutions(q);
    };
    try {
      const first = await get('/executions?format=csv');
      assert.equal(first.status, 503);
      assert.deepEqual(JSON.parse(first.body), {
        error: { code: 'STORE_UNAVAILABLE', message: 'Cannot read the history: ECONNREFUSED' },
      });
      // Failing at the third page: the 200 is sent, the body stops short and never ends.
      const cut = await get('/executions?format=ndjson', false, true);
      assert.equal(cut.status, 200);
      assert.equal(cut.complete, false);
      // What was handed to the response before: at most the first two pages.
      const twoPages = toNdjson(all.slice(0, 2 * EXPORT_PAGE));
      assert.ok(twoPages.startsWith(cut.body), 'a prefix of the first two pages');
    } finally {
      f.service.queryExecutions = (q) => store.queryExecutions(q);
    }
    // Both failed exports gave their slots back.
    assert.deepEqual(
      (await heldExports(2)).map((r) => r.status),
      [200, 200],
    );
  });
});

/**
 * `n` small exports started together while the store holds their first page back until every one
 * is either reading or refused; their answers, in order.
 */
const HELD_LIMIT = 10;

async function heldExports(n: number): Promise<Answer[]> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let reads = 0;
  let refused = 0;
  const prev = f.service.queryExecutions.bind(f.service);
  f.service.queryExecutions = async (q) => {
    // Only these exports' reads (limit 10); one of an export still going passes through.
    if (q.limit === HELD_LIMIT) {
      reads++;
      await held;
    }
    return prev(q);
  };
  try {
    const answers = Array.from({ length: n }, (_, i) =>
      get(`/executions?format=${i % 2 === 0 ? 'ndjson' : 'csv'}&limit=${HELD_LIMIT}`).then((r) => {
        refused += r.status === 503 ? 1 : 0;
        return r;
      }),
    );
    await until('every export reading or refused', () => reads + refused >= n);
    release();
    return await Promise.all(answers);
  } finally {
    release();
    f.service.queryExecutions = prev;
  }
}
