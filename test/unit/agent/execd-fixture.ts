/**
 * In-process Execd fixture: a temporary SQLite store, the memory log, a controllable clock, a fake
 * CommandResolver and a fake ScriptRunner that behaves like a stock stateful script (prints
 * check_keys with the alert's srcip, then reads the continue/abort reply) unless told otherwise.
 */
import type { CommandResolver, ResolvedCommand } from '../../../src/agent/command-resolver.js';
import { memoryDaemonLog } from '../../../src/log/daemon-log.js';
import { Execd } from '../../../src/agent/execd/execd.js';
import type { ScriptRunner } from '../../../src/agent/execd/execd-context.js';
import {
  DEFAULT_SCRIPT_LIMITS,
  type ScriptInvocation,
  type ScriptOutcome,
} from '../../../src/agent/executor/spawn-script.js';
import type { AgentStore } from '../../../src/core/execd/agent-store.js';
import { buildArMessage, buildCheckKeys } from '../../../src/protocol/ar-message.js';
import { getString, parseLenientJson, type JsonObject } from '../../../src/protocol/json.js';
import { tempAgentStore } from '../../support/temp-agent-store.js';

export const T0 = 1_763_600_000_000;
export const FW = 'active-response/bin/firewall-drop';

/** What the fake script does in one run. */
export interface ScriptBehaviour {
  /**
   * First stdout line: the literal 'check-keys' stands for a check_keys line with the alert's srcip
   * as key; any other text is printed as is; undefined = EOF before any line.
   */
  readonly firstLine?: string | undefined;
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly timedOut?: boolean;
  readonly spawnError?: string;
  readonly stderrTail?: string;
  /** The script waits for this before printing its first line (to hold an add mid-flight). */
  readonly hold?: Promise<void>;
  /** Its time limit has passed when its decision is taken (`decide`'s `stopped()`). */
  readonly stopped?: boolean;
}

/** One recorded run: what execd wrote, and the reply it gave to the first line. */
export interface RunRecord {
  readonly inv: ScriptInvocation;
  readonly reply: string | undefined;
}

export class FakeRunner {
  readonly runs: RunRecord[] = [];
  /** Behaviour for the next runs, consumed in order; then `fallback`. */
  readonly next: ScriptBehaviour[] = [];
  fallback: ScriptBehaviour = { firstLine: 'check-keys' };

  constructor(private readonly now: () => number) {}

  readonly run: ScriptRunner = async (inv) => {
    const b = this.next.shift() ?? this.fallback;
    const startedAt = this.now();
    let reply: string | undefined;
    await b.hold;
    const firstLine = inv.mode === 'add' ? lineFor(inv, b) : undefined;
    if (firstLine !== undefined && inv.decide) {
      reply = await inv.decide(firstLine, () => b.stopped === true);
    }
    this.runs.push({ inv, reply });
    return outcomeOf(b, { inv, firstLine, reply, startedAt, endedAt: this.now() });
  };

  /** Runs in `mode`, in order. */
  of(mode: 'add' | 'delete'): RunRecord[] {
    return this.runs.filter((r) => r.inv.mode === mode);
  }
}

function lineFor(inv: ScriptInvocation, b: ScriptBehaviour): string | undefined {
  if (b.spawnError !== undefined || b.firstLine === undefined) {
    return undefined;
  }
  if (b.firstLine !== 'check-keys') {
    return b.firstLine;
  }
  const srcip = getString(parseLenientJson(inv.line), ['parameters', 'alert', 'data', 'srcip']);
  const name = inv.program.slice(inv.program.lastIndexOf('/') + 1);
  return JSON.stringify(buildCheckKeys(name, srcip === undefined ? [] : [srcip]));
}

interface RunFacts {
  readonly inv: ScriptInvocation;
  readonly firstLine: string | undefined;
  readonly reply: string | undefined;
  readonly startedAt: number;
  readonly endedAt: number;
}

function outcomeOf(b: ScriptBehaviour, f: RunFacts): ScriptOutcome {
  const handshake = f.inv.mode === 'delete' ? 'none' : f.firstLine === undefined ? 'eof' : 'line';
  return {
    exitCode:
      b.spawnError !== undefined || b.timedOut === true ? null : b.exitCode === undefined ? 0 : b.exitCode,
    signal: b.signal ?? (b.timedOut === true ? 'SIGKILL' : null),
    timedOut: b.timedOut ?? false,
    handshake,
    firstLine: f.firstLine,
    reply: f.reply,
    stderrTail: b.stderrTail ?? '',
    spawnError: b.spawnError,
    startedAt: f.startedAt,
    endedAt: f.endedAt,
  };
}

/** A resolver over a fixed table; unknown names resolve to 'unknown'. */
export function fakeResolver(table: Readonly<Record<string, ResolvedCommand>>): CommandResolver {
  return {
    resolve: (name) => table[name] ?? { kind: 'unknown' },
    names: () => Object.keys(table),
  };
}

/** firewall-drop600, firewall-drop0 (stateless) and firewall-drop1 (1 s). */
export const RESOLVER_TABLE: Readonly<Record<string, ResolvedCommand>> = {
  'firewall-drop600': { kind: 'found', program: FW, timeout: 600 },
  'firewall-drop0': { kind: 'found', program: FW, timeout: 0 },
  'firewall-drop1': { kind: 'found', program: FW, timeout: 1 },
};

/** The message analysisd would send for `arName` and an sshd alert from `srcip`. */
export function arMessage(arName: string, srcip: string, alertId = '1763626502.1'): JsonObject {
  return buildArMessage({
    nodeName: 'node01',
    arName,
    extraArgs: [],
    alert: {
      rule: { level: 10, id: '5712', groups: ['sshd'] },
      agent: { id: '001', name: 'web-01' },
      id: alertId,
      data: { srcip, dstuser: 'root' },
    },
  });
}

export interface Harness {
  readonly execd: Execd;
  readonly store: AgentStore;
  readonly log: ReturnType<typeof memoryDaemonLog>;
  readonly runner: FakeRunner;
  readonly clock: { t: number };
  readonly executions: number[];
  submit(arName: string, srcip: string, alertId?: string): ReturnType<Execd['submit']>;
}

export interface HarnessOptions {
  readonly store?: AgentStore;
  readonly repeatedOffenders?: readonly number[];
  readonly now?: () => number;
  /** The resolver's table. @default RESOLVER_TABLE */
  readonly commands?: Readonly<Record<string, ResolvedCommand>>;
}

export function harness(opts: HarnessOptions = {}): Harness {
  const clock = { t: T0 };
  const now = opts.now ?? (() => clock.t);
  const store = opts.store ?? tempAgentStore();
  const log = memoryDaemonLog();
  const runner = new FakeRunner(now);
  const executions: number[] = [];
  const execd = new Execd({
    home: '/nonexistent/riposte-test-home',
    agentId: '001',
    store,
    resolver: fakeResolver(opts.commands ?? RESOLVER_TABLE),
    runScript: runner.run,
    log,
    now,
    repeatedOffenders: opts.repeatedOffenders ?? [],
    limits: DEFAULT_SCRIPT_LIMITS,
    onExecution: (id) => executions.push(id),
  });
  return {
    execd,
    store,
    log,
    runner,
    clock,
    executions,
    submit: (arName, srcip, alertId) => execd.submit(JSON.stringify(arMessage(arName, srcip, alertId))),
  };
}

/** `command` of a JSON line (undefined when not JSON). */
export function commandOf(line: string | undefined): string | undefined {
  return line === undefined ? undefined : getString(parseLenientJson(line), ['command']);
}
