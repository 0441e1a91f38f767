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
import { endParams } from './sqlite-statements.js';

const EMPTY_ARGS = `'"extra_args":[]'`;
const ANY_ARGS = `'"extra_args":'`;

/**
 * The message of `a` has no extra args (see the module header): the 15 characters from its first
 * `"extra_args":` are `"extra_args":[]`. One instr per row (the same test as "the first
 * `"extra_args":` is where the first `"extra_args":[]` is", at half the cost: ~40 of ~100 ms per
 * 100,000 rows went to the two scans). Without any, instr gives 0 and substr from 0 gives 14
 * characters, never equal to the 15 of EMPTY_ARGS.
 */
const NO_EXTRA_ARGS = `substr(a.add_message, instr(a.add_message, ${ANY_ARGS}), 15) = ${EMPTY_ARGS}`;

/**
 * In the scope (@live_after, and @excluded when `excluding`). The exclusion is left out of the
 * statement when there is nothing to exclude (the usual case): it is a look-up per row.
 */
function inScope(excluding: boolean): string {
  const live = 'a.expires_at > @live_after';
  return excluding ? `${live} AND a.key NOT IN (SELECT value FROM json_each(@excluded))` : live;
}

/** Taken by set `i` (@program<i>, @prefix<i>), extra args aside. */
function ofSet(i: number): string {
  return `a.program = @program${i} AND substr(a.key, 1, length(@prefix${i})) = @prefix${i}`;
}

/** Taken by the set (@program0, @prefix0). */
const IN_SET = `${ofSet(0)} AND ${NO_EXTRA_ARGS}`;

/** Not taken by any of `n` sets: the sets' own clauses, no JSON decoded per row. */
function inNoSet(n: number): string {
  if (n === 0) {
    return '1';
  }
  const any = Array.from({ length: n }, (_, i) => `(${ofSet(i)})`).join(' OR ');
  return `NOT ((${any}) AND ${NO_EXTRA_ARGS})`;
}

type Params = Record<string, number | string>;

function scopeParams(scope: ReapplyScope): Params {
  return scope.excluded.length > 0
    ? { live_after: scope.liveAfter, excluded: JSON.stringify(scope.excluded) }
    : { live_after: scope.liveAfter };
}

function setParams(scope: ReapplyScope, set: JoinedReapplySet): Params {
  return { ...scopeParams(scope), program0: set.program, prefix0: set.keyPrefix };
}

const RECORD_INSERT = `INSERT INTO executions (key, ar_name, program, action, agent_id, alert_id, rule_id, srcip, user,
                               started_at, ended_at, exit_code, signal, timed_out, status, stderr_tail, note)
       SELECT a.key, a.ar_name, a.program, 'reapply', a.agent_id, a.alert_id, a.rule_id, a.srcip, a.user,
              @started_at, @ended_at, @exit_code, @signal, @timed_out, @status, @stderr_tail, @note
       FROM active_responses AS a`;

/**
 * The three reads and writes, their statements prepared on first use (only a reboot needs them),
 * one text per shape (with or without excluded keys or failures, per number of sets).
 */
export class SqliteJoinedReapply {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private statement(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  keys(scope: ReapplyScope, set: JoinedReapplySet): { count: number; keys: string } {
    const row = this.statement(
      `SELECT count(*), group_concat(substr(a.key, length(@prefix0) + 1), ',')
       FROM active_responses AS a WHERE ${inScope(scope.excluded.length > 0)} AND ${IN_SET}`,
    )
      .raw(true)
      .get(setParams(scope, set)) as [number, string | null] | undefined;
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
    const failing = records.failures.length > 0;
    const notFailed = failing ? ' AND a.key NOT IN (SELECT value FROM json_each(@failed))' : '';
    add(
      this.statement(
        `${RECORD_INSERT} WHERE ${inScope(scope.excluded.length > 0)} AND ${IN_SET}${notFailed}`,
      ).run({
        ...setParams(scope, set),
        ...endParams(records.end),
        started_at: records.startedAt,
        ...(failing ? { failed: JSON.stringify(records.failures.map((f) => f.key)) } : {}),
      }),
    );
    for (const f of records.failures) {
      add(
        this.statement(`${RECORD_INSERT} WHERE a.key = @key`).run({
          ...endParams(f.end),
          started_at: records.startedAt,
          key: f.key,
        }),
      );
    }
    return ids;
  }

  others(scope: ReapplyScope, sets: readonly JoinedReapplySet[]): string[] {
    const params = scopeParams(scope);
    sets.forEach((s, i) => {
      params[`program${i}`] = s.program;
      params[`prefix${i}`] = s.keyPrefix;
    });
    return this.statement(
      `SELECT a.key FROM active_responses AS a
       WHERE ${inScope(scope.excluded.length > 0)} AND ${inNoSet(sets.length)}
       ORDER BY a.expires_at, a.key`,
    )
      .pluck(true)
      .all(params) as string[];
  }
}
