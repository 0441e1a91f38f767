/**
 * In-memory AgentStore: the twin of the SQLite store for tests and dry runs. It passes the same
 * contract suite (test/contract/agent-store.contract.ts), so it copies the SQLite store's
 * observable behaviour: records are copied in and out (callers cannot alias stored state), key
 * order is SQLite's BINARY order (Unicode code points), same defaults, errors and auto-pruning.
 * Nothing survives `close()`.
 */
import type { AgentStore, ExecutionQuery, InterruptedExecution } from '../core/execd/agent-store.js';
import type {
  ActiveResponse,
  ExecutionEnd,
  ExecutionRecord,
  ExecutionStart,
} from '../protocol/execution-records.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import {
  AUTO_PRUNE_EVERY,
  DEFAULT_EXECUTION_LIMIT,
  checkCount,
  resolveExecutionRetention,
  type AgentStoreOptions,
} from './store-options.js';

/** Compares by Unicode code point, like SQLite's BINARY collation on UTF-8 text. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done === true || cb.done === true) {
      return (ca.done === true ? 0 : 1) - (cb.done === true ? 0 : 1);
    }
    const d = (ca.value.codePointAt(0) ?? 0) - (cb.value.codePointAt(0) ?? 0);
    if (d !== 0) {
      return d;
    }
  }
}

/** Copies exactly the ActiveResponse fields (extra properties on the input are not kept). */
function copyActive(a: ActiveResponse): ActiveResponse {
  const { key, arName, program, deleteMessage, addMessage, agentId, createdAt, addedAt } = a;
  const { timeoutSec, expiresAt, repeatCount, alertId, ruleId, srcip, user } = a;
  return {
    key,
    arName,
    program,
    deleteMessage,
    addMessage,
    agentId,
    createdAt,
    addedAt,
    timeoutSec,
    expiresAt,
    repeatCount,
    alertId,
    ruleId,
    srcip,
    user,
  };
}

function newExecution(id: number, s: ExecutionStart): ExecutionRecord {
  return {
    id,
    key: s.key,
    arName: s.arName,
    program: s.program,
    action: s.action,
    agentId: s.agentId,
    alertId: s.alertId,
    ruleId: s.ruleId,
    srcip: s.srcip,
    user: s.user,
    startedAt: s.startedAt,
    endedAt: undefined,
    exitCode: undefined,
    signal: undefined,
    timedOut: false,
    status: 'running',
    stderrTail: '',
    note: undefined,
  };
}

function endedExecution(r: ExecutionRecord, e: ExecutionEnd): ExecutionRecord {
  return {
    ...r,
    key: e.key ?? r.key,
    action: e.action ?? r.action,
    endedAt: e.endedAt,
    exitCode: e.exitCode,
    signal: e.signal,
    timedOut: e.timedOut,
    status: e.status,
    stderrTail: e.stderrTail,
    note: e.note,
  };
}

/** Creates an empty in-memory store. @throws RiposteError CONFIG_INVALID for a bad `executionRetention`. */
export function createMemoryAgentStore(opts?: AgentStoreOptions): AgentStore {
  return new MemoryAgentStore(resolveExecutionRetention(opts));
}

class MemoryAgentStore implements AgentStore {
  private readonly active = new Map<string, ActiveResponse>();
  private readonly offenders = new Map<string, number>();
  /** Insertion (= id) order, so the newest are at the end. Records are immutable objects. */
  private readonly executions = new Map<number, ExecutionRecord>();
  private readonly settings = new Map<string, string>();
  private lastId = 0;
  private closed = false;

  constructor(private readonly retention: number) {}

  private open(): void {
    if (this.closed) {
      throw new RiposteError(ErrorCode.INTERNAL, 'The in-memory agent store is closed');
    }
  }

  /**
   * No rollback: in memory a write cannot half-fail the way a commit can, and `fn` only throws on a
   * programming error (tests and dry runs use this store).
   */
  transaction<T>(fn: () => T): T {
    this.open();
    return fn();
  }

  putActive(active: ActiveResponse): void {
    this.open();
    this.active.set(active.key, copyActive(active));
  }

  getActive(key: string): ActiveResponse | undefined {
    this.open();
    const a = this.active.get(key);
    return a === undefined ? undefined : copyActive(a);
  }

  removeActive(key: string): ActiveResponse | undefined {
    const a = this.getActive(key);
    this.active.delete(key);
    return a;
  }

  listActive(): ActiveResponse[] {
    this.open();
    return [...this.active.values()]
      .sort((x, y) => x.expiresAt - y.expiresAt || compareCodePoints(x.key, y.key))
      .map(copyActive);
  }

  countActive(): number {
    this.open();
    return this.active.size;
  }

  listDeadlines(): { key: string; expiresAt: number }[] {
    return this.listActive().map((a) => ({ key: a.key, expiresAt: a.expiresAt }));
  }

  getOffenderCount(key: string): number {
    this.open();
    return this.offenders.get(key) ?? 0;
  }

  setOffenderCount(key: string, count: number): void {
    this.open();
    this.offenders.set(key, checkCount('Offender count', count));
  }

  startExecution(start: ExecutionStart): number {
    this.open();
    // AUTOINCREMENT semantics: ids are never reused, even after pruning.
    this.lastId += 1;
    this.executions.set(this.lastId, newExecution(this.lastId, start));
    if (this.lastId % AUTO_PRUNE_EVERY === 0) {
      this.pruneExecutions(this.retention);
    }
    return this.lastId;
  }

  setExecutionKey(id: number, key: string): void {
    this.open();
    const r = this.executions.get(id);
    if (r !== undefined) {
      this.executions.set(id, { ...r, key });
    }
  }

  /** An unknown id (e.g. already pruned) is ignored: there is nothing left to complete. */
  endExecution(id: number, end: ExecutionEnd): void {
    this.open();
    const r = this.executions.get(id);
    if (r !== undefined) {
      this.executions.set(id, endedExecution(r, end));
    }
  }

  getExecution(id: number): ExecutionRecord | undefined {
    this.open();
    return this.executions.get(id);
  }

  /** @throws RiposteError REQUEST_INVALID when `limit` is not a non-negative integer. */
  listExecutions(query?: ExecutionQuery): ExecutionRecord[] {
    this.open();
    const limit = checkCount('Execution query limit', query?.limit ?? DEFAULT_EXECUTION_LIMIT);
    const out: ExecutionRecord[] = [];
    const newestFirst = [...this.executions.values()].reverse();
    for (const r of newestFirst) {
      if (out.length >= limit) {
        break;
      }
      const keyOk = query?.key === undefined || r.key === query.key;
      if (keyOk && (query?.beforeId === undefined || r.id < query.beforeId)) {
        out.push(r);
      }
    }
    return out;
  }

  failRunningExecutions(now: number): InterruptedExecution[] {
    this.open();
    const out: InterruptedExecution[] = [];
    for (const r of this.executions.values()) {
      if (r.status === 'running') {
        this.executions.set(r.id, { ...r, status: 'failed', endedAt: now, note: 'interrupted' });
        out.push({ id: r.id, key: r.key, action: r.action });
      }
    }
    return out;
  }

  /** @throws RiposteError REQUEST_INVALID when `keep` is not a non-negative integer. */
  pruneExecutions(keep: number): number {
    this.open();
    const excess = this.executions.size - checkCount('Executions to keep', keep);
    const doomed = [...this.executions.keys()].slice(0, Math.max(0, excess));
    for (const id of doomed) {
      this.executions.delete(id);
    }
    return doomed.length;
  }

  getSetting(name: string): string | undefined {
    this.open();
    return this.settings.get(name);
  }

  setSetting(name: string, value: string): void {
    this.open();
    this.settings.set(name, value);
  }

  /** Drops all data; idempotent. Any other call afterwards throws. */
  close(): void {
    this.closed = true;
    this.active.clear();
    this.offenders.clear();
    this.executions.clear();
    this.settings.clear();
  }
}
