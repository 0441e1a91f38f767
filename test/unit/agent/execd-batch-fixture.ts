/**
 * Execd with an in-process, batch-capable stock script: a fake firewall-drop whose "kernel set" is
 * an in-memory Set, whose batch form records each call (one call = one OS transaction) and can be
 * told to fail given addresses or to throw. The store is SQLite in a temp dir (real transactions),
 * wrapped to count transactions and to inject a fault at a named method.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Execd } from '../../../src/agent/execd/execd.js';
import { DEFAULT_SCRIPT_LIMITS, type ScriptLimits } from '../../../src/agent/executor/spawn-script.js';
import type { AgentStore } from '../../../src/core/execd/agent-store.js';
import { memoryDaemonLog } from '../../../src/log/daemon-log.js';
import { srcipInput } from '../../../src/scripts/contract/input.js';
import type { StockBatchItem, StockBatchResult } from '../../../src/scripts/contract/stock-batch.js';
import type { StockScript } from '../../../src/scripts/contract/stock-script.js';
import { openSqliteAgentStore } from '../../../src/store/sqlite-agent-store.js';
import { elementText, readAddressList } from '../../../src/scripts/firewall/address-list.js';
import { arMessage, FakeRunner, fakeResolver, FW, RESOLVER_TABLE, T0 } from './execd-fixture.js';

const FAKE_HOST = { home: '/nonexistent', argv0: 'firewall-drop', now: () => new Date(T0) };

export class FakeFirewall {
  /** Addresses currently blocked. */
  readonly blocked = new Set<string>();
  /** One entry per batch-form call: its items as "add 1.2.3.4" / "delete 1.2.3.4". */
  readonly transactions: string[][] = [];
  /** Adds of these addresses fail (their item only). */
  readonly failing = new Set<string>();
  /** Called at the start of each batch-form call (e.g. to look at the store then). */
  onTransaction: (() => void) | undefined;
  /** The next batch-form call throws this. */
  throwNext: Error | undefined;

  readonly script: StockScript = {
    name: 'firewall-drop',
    stateful: true,
    input: (message) => srcipInput(message),
    add: (ctx) => this.apply([{ mode: 'add', ctx }]).then(() => undefined),
    delete: (ctx) => this.apply([{ mode: 'delete', ctx }]).then(() => undefined),
    batch: (items) => this.apply(items),
  };

  /** Calls of the re-apply form: the key text each got. */
  readonly joinedCalls: string[] = [];

  /** The same script with a re-apply form (StockScript.reapplyJoined) over the same "kernel set". */
  readonly joinedScript: StockScript = {
    ...this.script,
    reapplyJoined: async ({ keys, count, started }) => {
      const list = readAddressList(keys, count);
      if (list === undefined) {
        return undefined;
      }
      this.joinedCalls.push(keys);
      const items = Array.from({ length: count }, (_, i) => ({
        mode: 'add' as const,
        ctx: { key: elementText(list, i), extraArgs: [], log: () => undefined, host: FAKE_HOST },
      }));
      const run = this.apply(items);
      started();
      const results = await run;
      return results.flatMap((r, i) => (r === undefined ? [] : [{ key: elementText(list, i), message: r }]));
    },
  };

  private apply(items: readonly StockBatchItem[]): Promise<StockBatchResult[]> {
    this.onTransaction?.();
    const err = this.throwNext;
    this.throwNext = undefined;
    if (err) {
      return Promise.reject(err);
    }
    this.transactions.push(items.map((i) => `${i.mode} ${i.ctx.key ?? ''}`));
    const results = items.map((i): StockBatchResult => {
      const ip = i.ctx.key ?? '';
      if (i.mode === 'add' && this.failing.has(ip)) {
        return `Unable to run nft: element ${ip} refused`;
      }
      if (i.mode === 'add') {
        this.blocked.add(ip);
      } else {
        this.blocked.delete(ip);
      }
      return undefined;
    });
    return new Promise((resolve) => {
      setImmediate(() => {
        resolve(results);
      });
    });
  }
}

/** Store methods a fault can be injected into. */
export type StoreStep =
  | 'transaction'
  | 'startExecution'
  | 'startExecutions'
  | 'setExecutionKey'
  | 'countOffence'
  | 'getActive'
  | 'getActives'
  | 'putActive'
  | 'putActives'
  | 'endExecution'
  | 'endExecutions'
  | 'removeActive'
  | 'deleteActive'
  | 'programsOf'
  | 'revertOrderAfter'
  | 'markRevertOrder';

/** The store wrapped: counts transactions (outermost) and throws once at `faultAt` when armed. */
export class CountingStore {
  transactions = 0;
  faultAt: StoreStep | undefined;
  private depth = 0;
  readonly store: AgentStore;

  constructor(inner: AgentStore) {
    this.store = new Proxy(inner, {
      get: (target, prop: keyof AgentStore) => {
        const value: unknown = Reflect.get(target, prop);
        if (typeof value !== 'function') {
          return value;
        }
        return (...args: unknown[]) => {
          if (this.faultAt === prop) {
            this.faultAt = undefined;
            throw new Error(`injected fault in ${prop}`);
          }
          if (prop === 'transaction') {
            if (this.depth === 0) {
              this.transactions++;
            }
            this.depth++;
            try {
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            } finally {
              this.depth--;
            }
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
}

export interface BatchHarness {
  readonly execd: Execd;
  readonly fw: FakeFirewall;
  readonly counting: CountingStore;
  readonly store: AgentStore;
  readonly runner: FakeRunner;
  readonly log: ReturnType<typeof memoryDaemonLog>;
  readonly clock: { t: number };
  readonly home: string;
  message(arName: string, srcip: string): string;
  close(): Promise<void>;
}

/** A temp home with `var/agent.db`; FW runs in-process through `fw` (other programs: FakeRunner). */
export function batchHarness(
  opts: {
    home?: string;
    now?: () => number;
    inProcess?: boolean;
    /** The in-process script has a re-apply form (FakeFirewall.joinedScript). @default false */
    joined?: boolean;
    /** `<repeated_offenders>` minutes; with none configured an add counts no offence. */
    repeatedOffenders?: readonly number[];
    /** FW's in-process script instead of the fake firewall's (then `joined` is not read). */
    script?: StockScript;
    /** @default DEFAULT_SCRIPT_LIMITS */
    limits?: ScriptLimits;
  } = {},
): BatchHarness {
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-batch-'));
  const clock = { t: T0 };
  const now = opts.now ?? (() => clock.t);
  const counting = new CountingStore(openSqliteAgentStore(path.join(home, 'var', 'agent.db')));
  const fw = new FakeFirewall();
  const runner = new FakeRunner(now);
  const log = memoryDaemonLog();
  const execd = new Execd({
    home,
    agentId: '001',
    store: counting.store,
    resolver: fakeResolver(RESOLVER_TABLE),
    runScript: runner.run,
    inProcessScript: (program) =>
      program === FW && opts.inProcess !== false
        ? (opts.script ?? (opts.joined === true ? fw.joinedScript : fw.script))
        : undefined,
    log,
    now,
    repeatedOffenders: opts.repeatedOffenders ?? [],
    limits: opts.limits ?? DEFAULT_SCRIPT_LIMITS,
  });
  return {
    execd,
    fw,
    counting,
    store: counting.store,
    runner,
    log,
    clock,
    home,
    message: (arName, srcip) => JSON.stringify(arMessage(arName, srcip)),
    close: async () => {
      await execd.stop(false);
      counting.store.close();
      if (opts.home === undefined) {
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
