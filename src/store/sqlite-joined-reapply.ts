/**
 * The joined re-apply after a reboot on SQLite (AgentStore.joinedReapplyKeys, recordJoinedReapplies,
 * otherReapplyKeys): the responses a set takes are chosen by one WHERE clause, used by the read,
 * by the record and (negated) by the read of the others, so the three agree without a key list.
 *
 * "No extra args": the message's first `"extra_args":` is `"extra_args":[]`. Inside a JSON string a
 * quote is escaped, so that text can only be a key of the message: in the messages Wazuh and the
 * manager build, `parameters.extra_args` comes before the alert, so it is that one. A message with
 * its extra args spaced differently is left to the keyed path, which parses them. (Left open: a
 * message whose alert comes first and holds an `"extra_args":[]` of its own; requiring a single
 * occurrence costs another scan of every message, ~0.1 s per 100,000.)
 */
import type Database from 'better-sqlite3';
import type { JoinedReapplyRecords, JoinedReapplySet, ReapplyScope } from '../core/execd/agent-store.js';
import { endParams, type ExecutionEndRow } from './sqlite-statements.js';

const EMPTY_ARGS = `'"extra_args":[]'`;
const ANY_ARGS = `'"extra_args":'`;

/** The message of `a` has no extra args (see the module header). */
const NO_EXTRA_ARGS = `instr(a.add_message, ${EMPTY_ARGS}) > 0
  AND instr(a.add_message, ${ANY_ARGS}) = instr(a.add_message, ${EMPTY_ARGS})`;

/** In the scope (@live_after, @excluded). */
const IN_SCOPE = `a.expires_at > @live_after AND a.key NOT IN (SELECT value FROM json_each(@excluded))`;

/** Taken by the set (@program, @prefix). */
const IN_SET = `a.program = @program AND substr(a.key, 1, length(@prefix)) = @prefix AND ${NO_EXTRA_ARGS}`;

interface ScopeParams {
  live_after: number;
  excluded: string;
}
type SetParams = ScopeParams & { program: string; prefix: string };

function prepare(db: Database.Database) {
  return {
    joinedKeys: db
      .prepare<[SetParams], [number, string | null]>(
        `SELECT count(*), group_concat(substr(a.key, length(@prefix) + 1), ',')
         FROM active_responses AS a WHERE ${IN_SCOPE} AND ${IN_SET}`,
      )
      .raw(true),
    recordJoined: db.prepare<
      [SetParams & Omit<ExecutionEndRow, 'id'> & { started_at: number; failed: string }]
    >(
      `INSERT INTO executions (key, ar_name, program, action, agent_id, alert_id, rule_id, srcip, user,
                               started_at, ended_at, exit_code, signal, timed_out, status, stderr_tail, note)
       SELECT a.key, a.ar_name, a.program, 'reapply', a.agent_id, a.alert_id, a.rule_id, a.srcip, a.user,
              @started_at, @ended_at, @exit_code, @signal, @timed_out, @status, @stderr_tail, @note
       FROM active_responses AS a
       WHERE ${IN_SCOPE} AND ${IN_SET} AND a.key NOT IN (SELECT value FROM json_each(@failed))`,
    ),
    recordOne: db.prepare<[Omit<ExecutionEndRow, 'id'> & { started_at: number; key: string }]>(
      `INSERT INTO executions (key, ar_name, program, action, agent_id, alert_id, rule_id, srcip, user,
                               started_at, ended_at, exit_code, signal, timed_out, status, stderr_tail, note)
       SELECT a.key, a.ar_name, a.program, 'reapply', a.agent_id, a.alert_id, a.rule_id, a.srcip, a.user,
              @started_at, @ended_at, @exit_code, @signal, @timed_out, @status, @stderr_tail, @note
       FROM active_responses AS a WHERE a.key = @key`,
    ),
    // The sets as a JSON array of [program, prefix] pairs.
    otherKeys: db
      .prepare<[ScopeParams & { sets: string }], string>(
        `SELECT a.key FROM active_responses AS a
         WHERE ${IN_SCOPE} AND NOT EXISTS (
           SELECT 1 FROM json_each(@sets) AS s
           WHERE a.program = json_extract(s.value, '$[0]')
             AND substr(a.key, 1, length(json_extract(s.value, '$[1]'))) = json_extract(s.value, '$[1]')
             AND ${NO_EXTRA_ARGS})
         ORDER BY a.expires_at, a.key`,
      )
      .pluck(true),
  };
}

function scopeParams(scope: ReapplyScope): ScopeParams {
  return { live_after: scope.liveAfter, excluded: JSON.stringify(scope.excluded) };
}

function setParams(scope: ReapplyScope, set: JoinedReapplySet): SetParams {
  return { ...scopeParams(scope), program: set.program, prefix: set.keyPrefix };
}

/** The three reads and writes, their statements prepared on first use (only a reboot needs them). */
export class SqliteJoinedReapply {
  private st: ReturnType<typeof prepare> | undefined;

  constructor(private readonly db: Database.Database) {}

  private get statements(): ReturnType<typeof prepare> {
    this.st ??= prepare(this.db);
    return this.st;
  }

  keys(scope: ReapplyScope, set: JoinedReapplySet): { count: number; keys: string } {
    const row = this.statements.joinedKeys.get(setParams(scope, set));
    return { count: row?.[0] ?? 0, keys: row?.[1] ?? '' };
  }

  /**
   * Inside the caller's write transaction: every id it returns is one of the consecutive ids of
   * its INSERTs (AUTOINCREMENT in one transaction).
   */
  record(scope: ReapplyScope, set: JoinedReapplySet, records: JoinedReapplyRecords): number[] {
    const ids: number[] = [];
    const add = ({ changes, lastInsertRowid }: Database.RunResult): void => {
      for (let id = Number(lastInsertRowid) - changes + 1; id <= Number(lastInsertRowid); id++) {
        ids.push(id);
      }
    };
    add(
      this.statements.recordJoined.run({
        ...setParams(scope, set),
        ...endParams(records.end),
        started_at: records.startedAt,
        failed: JSON.stringify(records.failures.map((f) => f.key)),
      }),
    );
    for (const f of records.failures) {
      add(this.statements.recordOne.run({ ...endParams(f.end), started_at: records.startedAt, key: f.key }));
    }
    return ids;
  }

  others(scope: ReapplyScope, sets: readonly JoinedReapplySet[]): string[] {
    return this.statements.otherKeys.all({
      ...scopeParams(scope),
      sets: JSON.stringify(sets.map((s) => [s.program, s.keyPrefix])),
    });
  }
}
