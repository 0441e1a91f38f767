/** Sample records and helpers for the AgentStore contract suite. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import type { ActiveResponse, ExecutionEnd, ExecutionStart } from '../../src/protocol/execution-records.js';
import { isRiposteError } from '../../src/protocol/error-codes.js';
import type { AgentStoreOptions } from '../../src/store/store-options.js';

export type MakeAgentStore = (opts?: AgentStoreOptions) => AgentStore;

/**
 * Fresh database paths (`<root>/case-N/var/agent.db`, in a directory that does not exist yet) under
 * one temp root, removed when the calling test file ends. Call once, at a test file's top level.
 */
export function freshDbFiles(): () => string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  let seq = 0;
  return () => {
    seq += 1;
    return path.join(root, `case-${seq}`, 'var', 'agent.db');
  };
}

/** Runs `fn` on a fresh store and closes it afterwards. */
export function withStore<T>(make: MakeAgentStore, fn: (s: AgentStore) => T, opts?: AgentStoreOptions): T {
  const s = make(opts);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/** Asserts that `fn` throws a RiposteError with `code`. */
export function assertRiposteError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isRiposteError(err) && err.code === code);
}

/** A complete active response with every optional field absent; override what a test needs. */
export function sampleActive(over: Partial<ActiveResponse> = {}): ActiveResponse {
  const key = over.key ?? 'firewall-drop-192.0.2.10';
  return {
    key,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    deleteMessage: JSON.stringify({ command: 'delete', key }),
    addMessage: JSON.stringify({ command: 'add', key }),
    agentId: '000',
    createdAt: 1_700_000_000_000,
    addedAt: 1_700_000_000_000,
    timeoutSec: 600,
    expiresAt: 1_700_000_600_000,
    repeatCount: 1,
    alertId: undefined,
    ruleId: undefined,
    srcip: undefined,
    user: undefined,
    ...over,
  };
}

/** The same with every optional field present. */
export function fullActive(over: Partial<ActiveResponse> = {}): ActiveResponse {
  return sampleActive({
    alertId: '1700000000.12345',
    ruleId: 5712,
    srcip: '192.0.2.10',
    user: 'root',
    ...over,
  });
}

export function sampleStart(over: Partial<ExecutionStart> = {}): ExecutionStart {
  return {
    key: undefined,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    action: 'add',
    agentId: '000',
    alertId: undefined,
    ruleId: undefined,
    srcip: undefined,
    user: undefined,
    startedAt: 1_700_000_000_000,
    ...over,
  };
}

export function sampleEnd(over: Partial<ExecutionEnd> = {}): ExecutionEnd {
  return {
    endedAt: 1_700_000_000_250,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
    ...over,
  };
}
