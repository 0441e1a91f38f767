/**
 * The SQLite store: the shared contract suite, plus what only a durable store must do (survive
 * close/reopen and kill -9, migrate idempotently, keep its files private).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { consecutiveIds, openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';
import { applyMigrations, schemaVersion } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { ActiveResponse } from '../../src/protocol/execution-records.js';
import { agentStoreContract } from './agent-store.contract.js';
import {
  assertRiposteError,
  freshDbFiles,
  fullActive,
  sampleActive,
  sampleEnd,
  sampleStart,
} from './agent-store.fixtures.js';

/** A fresh database path in a directory that does not exist yet. */
const freshFile = freshDbFiles();

agentStoreContract('sqlite', (opts) => openSqliteAgentStore(freshFile(), opts));

const modeOf = (p: string): number => fs.statSync(p).mode & 0o777;

void describe('SQLite agent store: group commit', () => {
  void test('transaction commits every write together, or none when it throws', () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      const id = s.transaction(() => {
        s.putActive(sampleActive({ key: 'k1' }));
        s.setOffenderCount('k1', 1);
        return s.startExecution(sampleStart({ key: 'k1' }));
      });
      assert.equal(s.getExecution(id)?.status, 'running');
      assert.throws(
        () =>
          s.transaction(() => {
            s.removeActive('k1');
            s.setOffenderCount('k1', 2);
            s.putActive(sampleActive({ key: 'k2' }));
            throw new Error('fault in the middle of a batch');
          }),
        /fault in the middle/,
      );
      assert.deepStrictEqual(
        s.listActive().map((a) => a.key),
        ['k1'],
      );
      assert.equal(s.getOffenderCount('k1'), 1);
    } finally {
      s.close();
    }
  });

  void test('nested transactions join the outer one', () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      assert.throws(() =>
        s.transaction(() => {
          s.transaction(() => {
            s.putActive(sampleActive({ key: 'inner' }));
          });
          throw new Error('outer fails');
        }),
      );
      assert.equal(s.countActive(), 0);
    } finally {
      s.close();
    }
  });
});

void describe('SQLite agent store: durability', () => {
  void test('data survives close and reopen; ids keep increasing', () => {
    const file = freshFile();
    const s1 = openSqliteAgentStore(file);
    const a = fullActive({ key: 'k1' });
    s1.putActive(a);
    s1.putActive(sampleActive({ key: 'k2', expiresAt: 1 }));
    s1.setOffenderCount('k1', 3);
    s1.setSetting('boot-id', 'b1');
    const id = s1.startExecution(sampleStart({ key: 'k1' }));
    s1.close();
    const s2 = openSqliteAgentStore(file);
    try {
      assert.deepStrictEqual(s2.getActive('k1'), a);
      assert.deepStrictEqual(
        s2.listActive().map((r) => r.key),
        ['k2', 'k1'],
      );
      assert.equal(s2.getOffenderCount('k1'), 3);
      assert.equal(s2.getSetting('boot-id'), 'b1');
      assert.equal(s2.getExecution(id)?.status, 'running');
      assert.ok(s2.startExecution(sampleStart()) > id);
    } finally {
      s2.close();
    }
  });

  void test('rows written before a kill -9 are present on reopen', async () => {
    const file = freshFile();
    const moduleUrl = new URL('../../src/store/sqlite-agent-store.js', import.meta.url).href;
    const script = `
      const { openSqliteAgentStore } = await import(process.argv[1]);
      const s = openSqliteAgentStore(process.argv[2]);
      for (let i = 0; i < 50; i++) {
        s.putActive({ key: 'k' + i, arName: 'a', program: 'p', deleteMessage: 'd', addMessage: 'm',
          agentId: '000', createdAt: i, addedAt: i, timeoutSec: 600, expiresAt: i, repeatCount: 1,
          alertId: undefined, ruleId: undefined, srcip: undefined, user: undefined });
      }
      s.setOffenderCount('k0', 4);
      s.setSetting('alerts-offset', '123');
      const id = s.startExecution({ key: 'k0', arName: 'a', program: 'p', action: 'add', agentId: '000',
        alertId: undefined, ruleId: undefined, srcip: undefined, user: undefined, startedAt: 1 });
      process.stdout.write('written ' + id + '\\n');
      setInterval(() => {}, 60_000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, moduleUrl, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const id = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /written (\d+)\n/.exec(out);
        if (m) {
          child.kill('SIGKILL');
          resolve(Number(m[1]));
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        reject(new Error(`child exited (${String(code)}) before reporting the write`));
      });
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      if (child.signalCode !== null || child.exitCode !== null) {
        resolve(child.signalCode);
      } else {
        child.once('exit', (_code, sig) => {
          resolve(sig);
        });
      }
    });
    assert.equal(signal, 'SIGKILL');
    const s = openSqliteAgentStore(file);
    try {
      assert.equal(s.countActive(), 50);
      assert.equal(s.getActive('k49')?.expiresAt, 49);
      assert.equal(s.getOffenderCount('k0'), 4);
      assert.equal(s.getSetting('alerts-offset'), '123');
      assert.equal(s.failRunningExecutions(2).length, 1);
      assert.equal(s.getExecution(id)?.note, 'interrupted');
    } finally {
      s.close();
    }
  });
});

void describe('SQLite agent store: migrations', () => {
  void test('applying migrations twice changes nothing', () => {
    const file = freshFile();
    openSqliteAgentStore(file).close();
    const db = new Database(file);
    try {
      const schema = (): unknown =>
        db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
      const before = schema();
      assert.equal(schemaVersion(db), MIGRATIONS.length);
      assert.deepStrictEqual(applyMigrations(db), []);
      assert.deepStrictEqual(schema(), before);
    } finally {
      db.close();
    }
    const s = openSqliteAgentStore(file);
    s.close();
  });

  void test('a new file gets every migration, in order', () => {
    const db = new Database(':memory:');
    try {
      assert.deepStrictEqual(
        applyMigrations(db),
        MIGRATIONS.map((m) => m.version),
      );
      assert.equal(schemaVersion(db), MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  void test('a file from a newer Riposte is refused with INTERNAL', () => {
    const file = freshFile();
    openSqliteAgentStore(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    assertRiposteError(() => openSqliteAgentStore(file), 'INTERNAL');
  });
});

void describe('SQLite agent store: file permissions', () => {
  void test('creates the directory 0700 and the database (and its WAL) 0600', () => {
    const file = freshFile();
    const s = openSqliteAgentStore(file);
    try {
      s.setSetting('x', 'y');
      assert.equal(modeOf(path.dirname(file)), 0o700);
      assert.equal(modeOf(file), 0o600);
      assert.equal(modeOf(`${file}-wal`), 0o600);
    } finally {
      s.close();
    }
  });

  void test('an existing world-readable database is made 0600', () => {
    const file = freshFile();
    openSqliteAgentStore(file).close();
    fs.chmodSync(file, 0o644);
    openSqliteAgentStore(file).close();
    assert.equal(modeOf(file), 0o600);
  });
});

void describe('SQLite agent store: bulk re-apply records', () => {
  void test('consecutiveIds lists the ids of one multi-row insert, oldest first', () => {
    assert.deepEqual(consecutiveIds(12, 3), [10, 11, 12]);
    assert.deepEqual(consecutiveIds(7, 1), [7]);
    assert.deepEqual(consecutiveIds(7, 0), []);
  });

  void test('recordReapplies returns the id of each row it wrote, in order, after pruned history', () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      for (const k of ['ka', 'kb', 'kc']) {
        s.putActive(sampleActive({ key: k }));
      }
      for (let i = 0; i < 5; i++) {
        s.startExecution(sampleStart({ key: 'old' }));
      }
      s.pruneExecutions(2); // ids 1-3 gone: the new ids do not start at the row count
      const failed = sampleEnd({ status: 'failed', exitCode: 255, stderrTail: 'boom' });
      const ids = s.recordReapplies([
        { keys: ['ka', 'missing', 'kb'], startedAt: 5, end: sampleEnd({ note: 're-applied after reboot' }) },
        { keys: ['kc'], startedAt: 5, end: failed },
        { keys: [], startedAt: 5, end: failed },
      ]);
      assert.equal(ids.length, 3, 'a key no longer active gets no record');
      assert.deepEqual(
        ids.map((id) => {
          const r = s.getExecution(id);
          return [r?.key, r?.action, r?.status, r?.note];
        }),
        [
          ['ka', 'reapply', 'ok', 're-applied after reboot'],
          ['kb', 'reapply', 'ok', 're-applied after reboot'],
          ['kc', 'reapply', 'failed', undefined],
        ],
      );
      assert.ok((ids[0] ?? 0) > 5);
      assert.deepEqual(
        s.listExecutions({ limit: 10 }).map((r) => r.id),
        [...ids].reverse().concat([5, 4]),
        'exactly these rows were added',
      );
    } finally {
      s.close();
    }
  });

  void test('listReapplyTargets: the listed keys of the given programs, in key order, with their extra_args', () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      const fw = 'active-response/bin/firewall-drop';
      const rn = 'active-response/bin/route-null';
      const message = (extra: unknown): string =>
        JSON.stringify({ command: 'add', parameters: { extra_args: extra, alert: {} } });
      s.putActive(sampleActive({ key: 'k1', addMessage: message([]) }));
      s.putActive(sampleActive({ key: 'k2', program: rn, addMessage: message(['--backend', 'ipset', 3]) }));
      s.putActive(
        sampleActive({ key: 'k3', program: 'active-response/bin/custom', addMessage: message([]) }),
      );
      s.putActive(sampleActive({ key: 'k4', addMessage: '{not json' }));
      s.putActive(sampleActive({ key: 'k5', addMessage: message('--backend ipset') }));
      s.putActive(sampleActive({ key: 'k 6 "x"', addMessage: message([]) }));
      const targets = s.listReapplyTargets(['k 6 "x"', 'k2', 'missing', 'k1', 'k3', 'k4', 'k5'], [fw, rn]);
      assert.deepEqual(
        targets.map((t) => [t.key, t.program, [...t.extraArgs]]),
        [
          ['k 6 "x"', fw, []],
          ['k2', rn, ['--backend', 'ipset']],
          ['k1', fw, []],
          ['k4', fw, []],
          ['k5', fw, []],
        ],
      );
      assert.deepEqual(s.listReapplyTargets([], [fw]), []);
      assert.deepEqual(s.listReapplyTargets(['k1'], []), []);
    } finally {
      s.close();
    }
  });

  void test('joined re-apply: one text of the script keys a set takes; records and the others agree with it', () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      const fw = 'active-response/bin/firewall-drop';
      const message = (extra: unknown, alert: unknown = {}): string =>
        JSON.stringify({ command: 'add', parameters: { extra_args: extra, alert } });
      const put = (key: string, over: Partial<ActiveResponse> = {}): void => {
        s.putActive(sampleActive({ key, addMessage: message([]), expiresAt: 2_000, ...over }));
      };
      put('firewall-drop-192.0.2.1');
      put('firewall-drop-192.0.2.2');
      put('firewall-drop-2001:db8::1');
      put('firewall-drop-192.0.2.3', { addMessage: message(['--backend', 'ipset']) });
      put('firewall-drop-192.0.2.4', { addMessage: message(['--backend', 'ipset'], { extra_args: [] }) });
      put('firewall-drop-192.0.2.5', { expiresAt: 1_000 }); // due: not live after 1,000
      put('firewall-drop-192.0.2.6'); // excluded (an interrupted delete)
      put('route-null-192.0.2.7', { program: 'active-response/bin/route-null' });
      put('other-192.0.2.8'); // the program's, but not its key prefix
      const scope = { liveAfter: 1_000, excluded: ['firewall-drop-192.0.2.6'] };
      const set = { program: fw, keyPrefix: 'firewall-drop-' };
      const { count, keys } = s.joinedReapplyKeys(scope, set);
      assert.equal(count, 3);
      assert.deepEqual(keys.split(',').sort(), ['192.0.2.1', '192.0.2.2', '2001:db8::1']);
      assert.deepEqual(s.otherReapplyKeys(scope, [set]), [
        'firewall-drop-192.0.2.3',
        'firewall-drop-192.0.2.4',
        'other-192.0.2.8',
        'route-null-192.0.2.7',
      ]);
      assert.equal(s.otherReapplyKeys(scope, []).length, 7, 'no set: every live key but the excluded');
      const ids = s.recordJoinedReapplies(scope, set, {
        startedAt: 5,
        end: sampleEnd({ note: 're-applied after reboot' }),
        failures: [
          {
            key: 'firewall-drop-192.0.2.2',
            end: sampleEnd({ status: 'failed', exitCode: 255, stderrTail: 'no' }),
          },
        ],
      });
      assert.deepEqual(
        ids.map((id) => {
          const r = s.getExecution(id);
          return [r?.key, r?.action, r?.status, r?.startedAt];
        }),
        [
          ['firewall-drop-192.0.2.1', 'reapply', 'ok', 5],
          ['firewall-drop-2001:db8::1', 'reapply', 'ok', 5],
          ['firewall-drop-192.0.2.2', 'reapply', 'failed', 5],
        ],
      );
      assert.equal(s.listExecutions({ limit: 10 }).length, 3, 'exactly these rows were added');
      assert.deepEqual(s.joinedReapplyKeys({ liveAfter: 5_000, excluded: [] }, set), { count: 0, keys: '' });
    } finally {
      s.close();
    }
  });

  void test('joined re-apply without excluded keys or failures; the no-extra-args test on the message text', () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      const fw = 'active-response/bin/firewall-drop';
      const put = (key: string, addMessage: string): void => {
        s.putActive(sampleActive({ key, addMessage, expiresAt: 2_000 }));
      };
      put('firewall-drop-192.0.2.1', '{"command":"add","parameters":{"extra_args":[],"alert":{}}}');
      put('firewall-drop-192.0.2.2', '{"é":"ü","parameters":{"extra_args":[]}}'); // characters, not bytes
      put('firewall-drop-192.0.2.3', '{"command":"add"}'); // no extra args key at all
      put('firewall-drop-192.0.2.4', '{"xxxxxxxxx":[]}'); // "[]" where a missing key would look
      put('firewall-drop-192.0.2.5', '{"parameters":{"extra_args":["-x"],"alert":{"extra_args":[]}}}');
      put('firewall-drop-192.0.2.6', '{"parameters":{"extra_args":[ ]}}'); // spaced: the keyed path
      const scope = { liveAfter: 1_000, excluded: [] };
      const set = { program: fw, keyPrefix: 'firewall-drop-' };
      const { count, keys } = s.joinedReapplyKeys(scope, set);
      assert.equal(count, 2);
      assert.deepEqual(keys.split(',').sort(), ['192.0.2.1', '192.0.2.2']);
      assert.deepEqual(s.otherReapplyKeys(scope, [set]), [
        'firewall-drop-192.0.2.3',
        'firewall-drop-192.0.2.4',
        'firewall-drop-192.0.2.5',
        'firewall-drop-192.0.2.6',
      ]);
      const other = { program: 'active-response/bin/route-null', keyPrefix: 'route-null-' };
      assert.equal(s.otherReapplyKeys(scope, [other, set]).length, 4, 'two sets: taken by either');
      const ids = s.recordJoinedReapplies(scope, set, {
        startedAt: 5,
        end: sampleEnd({ note: 're-applied after reboot' }),
        failures: [],
      });
      assert.deepEqual(
        ids.map((id) => s.getExecution(id)?.key),
        ['firewall-drop-192.0.2.1', 'firewall-drop-192.0.2.2'],
      );
      assert.equal(s.listExecutions({ limit: 10 }).length, 2, 'exactly these rows were added');
    } finally {
      s.close();
    }
  });

  void test("programsOf: each key's program, aligned with the keys, undefined where none", () => {
    const s = openSqliteAgentStore(freshFile());
    try {
      s.putActive(sampleActive({ key: 'k1' }));
      s.putActive(sampleActive({ key: 'k2', program: 'active-response/bin/route-null' }));
      assert.deepEqual(s.programsOf(['k2', 'gone', 'k1', 'k2']), [
        'active-response/bin/route-null',
        undefined,
        'active-response/bin/firewall-drop',
        'active-response/bin/route-null',
      ]);
      assert.deepEqual(s.programsOf([]), []);
    } finally {
      s.close();
    }
  });

  void test('a bulk record past the retention still prunes the oldest rows', () => {
    const s = openSqliteAgentStore(freshFile(), { executionRetention: 3 });
    try {
      const keys = Array.from({ length: 1_200 }, (_, i) => `k${i}`);
      s.transaction(() => {
        for (const key of keys) {
          s.putActive(sampleActive({ key }));
        }
        s.startExecution(sampleStart({ key: 'old' }));
      });
      const ids = s.recordReapplies([{ keys, startedAt: 5, end: sampleEnd() }]);
      assert.equal(ids.length, 1_200);
      const kept = s.listExecutions({ limit: 2_000 });
      assert.equal(kept.length, 1_200, 'the older row is pruned, the bulk rows are kept');
      assert.ok(kept.every((r) => r.action === 'reapply'));
    } finally {
      s.close();
    }
  });
});
