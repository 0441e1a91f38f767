/**
 * SQLite agent store, migration 3: a delete message that deleteLineOf rebuilds from the add message
 * (what execd builds for every add) is stored as NULL, not as a second copy of the AR message; any
 * other delete message is kept as text; a version-2 store is converted on open. (The contract suite
 * checks that every delete message reads back as written.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';
import { applyMigrations } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { freshDbFiles, fullActive } from './agent-store.fixtures.js';

/** A fresh database path in a directory that does not exist yet. */
const freshFile = freshDbFiles();

void describe('SQLite agent store: derived delete messages (migration 3)', () => {
  void test('a derived delete message is stored once (NULL), any other kept as text; a v2 store is converted', () => {
    const derived = fullActive({ key: 'derived' });
    const kept = fullActive({ key: 'kept', deleteMessage: 'kept' });
    const twice = fullActive({
      key: 'twice',
      addMessage: '{"command":"add","x":"\\"command\\":\\"add\\""}',
      deleteMessage: '{"command":"delete","x":"\\"command\\":\\"add\\""}',
    });
    const twoPairs = fullActive({
      key: 'two-pairs',
      addMessage: '["command":"add","command":"add"]',
      deleteMessage: '["command":"delete","command":"add"]',
    });
    const all = [derived, kept, twice, twoPairs];
    const stored = (file: string): unknown => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT key, delete_message AS d FROM active_responses ORDER BY key').all();
      } finally {
        db.close();
      }
    };
    const expected = [
      { key: 'derived', d: null },
      { key: 'kept', d: 'kept' },
      { key: 'twice', d: null },
      { key: 'two-pairs', d: twoPairs.deleteMessage },
    ];
    // Written by this version.
    const file = freshFile();
    const s = openSqliteAgentStore(file);
    s.putActives(all);
    s.close();
    assert.deepStrictEqual(stored(file), expected);
    // Written by a version-2 store (every delete message as text), then opened by this version.
    const old = freshFile();
    fs.mkdirSync(path.dirname(old), { recursive: true, mode: 0o700 });
    const db = new Database(old);
    applyMigrations(db, MIGRATIONS.slice(0, 2));
    const put = db.prepare(
      `INSERT INTO active_responses (key, ar_name, program, delete_message, add_message, agent_id,
         created_at, added_at, timeout_sec, expires_at, repeat_count, alert_id, rule_id, srcip, user)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const a of all) {
      put.run(
        a.key,
        a.arName,
        a.program,
        a.deleteMessage,
        a.addMessage,
        a.agentId,
        a.createdAt,
        a.addedAt,
        a.timeoutSec,
        a.expiresAt,
        a.repeatCount,
        a.alertId ?? null,
        a.ruleId ?? null,
        a.srcip ?? null,
        a.user ?? null,
      );
    }
    db.close();
    const upgraded = openSqliteAgentStore(old);
    try {
      assert.deepStrictEqual(
        upgraded.getActives(all.map((a) => a.key)).sort((x, y) => (x.key < y.key ? -1 : 1)),
        [derived, kept, twice, twoPairs],
      );
      assert.deepStrictEqual(upgraded.listActive().length, 4);
    } finally {
      upgraded.close();
    }
    assert.deepStrictEqual(stored(old), expected);
  });
});
