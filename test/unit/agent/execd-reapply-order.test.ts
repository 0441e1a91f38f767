/**
 * Per-key order across the bulk re-apply of a restore: a revert that falls due while the re-apply
 * after a reboot acts (armed by it, outside the program's batch queue) must act after the re-add,
 * never beside it. A backend that reads, then writes (route-null: `ip route show`, then one
 * `ip -batch` of the changes the listing says are needed) shows the race: a delete that lists
 * before the re-add lands removes nothing, and the block stays while the store says reverted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { srcipInput } from '../../../src/scripts/contract/input.js';
import type { StockBatchItem, StockBatchResult } from '../../../src/scripts/contract/stock-batch.js';
import type { StockScript } from '../../../src/scripts/contract/stock-script.js';
import { elementText, readAddressList } from '../../../src/scripts/firewall/address-list.js';
import { turn, until } from '../../support/event-turns.js';
import { batchHarness, type BatchHarness } from './execd-batch-fixture.js';
import { T0 } from './execd-fixture.js';

let h: BatchHarness | undefined;
let home: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (home !== undefined) {
    fs.rmSync(home, { recursive: true, force: true });
    home = undefined;
  }
});

const FAKE_HOST = { home: '/nonexistent', argv0: 'firewall-drop', now: () => new Date(T0) };

/** What the next re-apply does between its listing and its writes. */
interface ReapplyStep {
  /** Called right after the listing (synchronously, as the OS work starts). */
  readonly started: () => void;
  /** Awaited before the writes (the tool still runs). */
  readonly hold: () => Promise<void>;
}

/** A read-then-write backend over an in-memory "kernel", with a keyed and a joined re-apply form. */
class ListThenWrite {
  readonly kernel = new Set<string>();
  /** "list [a,b] for add x,delete y" per call, then "add x" / "del y" per change written. */
  readonly calls: string[] = [];
  /** The next re-apply's step (its first add call, keyed or joined); consumed by it. */
  nextReapply: ReapplyStep | undefined;

  readonly script: StockScript = {
    name: 'firewall-drop',
    stateful: true,
    input: (message) => srcipInput(message),
    add: (ctx) => this.apply([{ mode: 'add', ctx }]).then(() => undefined),
    delete: (ctx) => this.apply([{ mode: 'delete', ctx }]).then(() => undefined),
    batch: (items) => this.apply(items),
  };

  readonly joinedScript: StockScript = {
    ...this.script,
    reapplyJoined: async ({ keys, count, started }) => {
      const list = readAddressList(keys, count);
      if (list === undefined) {
        return undefined;
      }
      const items = Array.from({ length: count }, (_, i) => ({
        mode: 'add' as const,
        ctx: { key: elementText(list, i), extraArgs: [], log: () => undefined, host: FAKE_HOST },
      }));
      await this.apply(items, started);
      return [];
    },
  };

  private async apply(items: readonly StockBatchItem[], started?: () => void): Promise<StockBatchResult[]> {
    const present = new Set(this.kernel); // `ip route show proto 247`
    const what = items.map((i) => `${i.mode} ${i.ctx.key ?? ''}`).join(',');
    this.calls.push(`list [${[...present].join(',')}] for ${what}`);
    const step = items[0]?.mode === 'add' ? this.nextReapply : undefined;
    this.nextReapply = undefined;
    step?.started();
    started?.();
    await (step === undefined ? turn() : step.hold()); // `ip -batch` runs
    for (const { mode, ctx } of items) {
      const ip = ctx.key ?? '';
      if (mode === 'add' && !present.has(ip)) {
        this.kernel.add(ip);
        this.calls.push(`add ${ip}`);
      } else if (mode === 'delete' && present.has(ip)) {
        this.kernel.delete(ip);
        this.calls.push(`del ${ip}`);
      }
    }
    return items.map(() => undefined);
  }
}

/**
 * The re-apply's step (deadline T0 + 600 s passes as its OS work starts): it writes only once a
 * revert, falling due at once, has had many turns to list (an unheld one lists within a turn or
 * two of falling due). `seen.armed`: what was armed as it acted.
 */
function deadlinePassesDuring(hh: BatchHarness, be: ListThenWrite, seen: { armed?: number }): ReapplyStep {
  return {
    started: () => {
      hh.clock.t = T0 + 600_000;
    },
    hold: async () => {
      await Promise.resolve(); // the restore arms its deadlines once the call's synchronous part returns
      const armed = hh.execd.armed;
      seen.armed = armed;
      await until('a revert to fall due', () => hh.execd.armed < armed);
      for (let i = 0; i < 50 && !be.calls.some((c) => c.includes('for delete')); i++) {
        await turn();
      }
    },
  };
}

/** A response added before the reboot: at T0 + `laterMs` (then due later), with extra args or not. */
interface Added {
  readonly ip: string;
  readonly laterMs?: number;
  readonly extraArgs?: boolean;
}

/**
 * Adds `added` (firewall-drop600), reboots (a new Execd on the same store, an empty kernel) and
 * restores; the first re-apply's OS work runs as T0 + 600 s passes. Resolves once the reverts
 * due are recorded and nothing runs.
 */
async function rebootWithDeadlineDuringReapply(
  joined: boolean,
  added: readonly Added[],
): Promise<{ be: ListThenWrite; hh: BatchHarness; armed: number | undefined }> {
  const be = new ListThenWrite();
  const script = joined ? be.joinedScript : be.script;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-reapply-order-'));
  const before = batchHarness({ home, script });
  for (const { ip, laterMs, extraArgs } of added) {
    before.clock.t = T0 + (laterMs ?? 0);
    const message = JSON.parse(before.message('firewall-drop600', ip)) as {
      parameters: { extra_args: string[] };
    };
    message.parameters.extra_args = extraArgs === true ? ['--backend', 'nftables'] : [];
    await before.execd.submit(JSON.stringify(message));
  }
  await before.close();
  assert.equal(be.kernel.size, added.length);
  be.kernel.clear(); // the reboot emptied the kernel
  be.calls.length = 0;
  h = batchHarness({ home, script }); // the agent started again: a new Execd, the same store
  const hh = h;
  const seen: { armed?: number } = {};
  be.nextReapply = deadlinePassesDuring(hh, be, seen);
  const summary = await hh.execd.restore(true);
  assert.deepEqual([summary.reapplied, summary.reverted], [added.length, 0]);
  const later = added.filter((a) => (a.laterMs ?? 0) > 0).length;
  await until('the reverts recorded', () => hh.store.countActive() === later);
  await hh.execd.idle();
  return { be, hh, armed: seen.armed };
}

describe('execd restore: a revert falling due during the bulk re-apply', () => {
  for (const joined of [false, true]) {
    const form = joined ? 're-apply form (joined keys)' : 'batch form by key';
    test(`acts after the re-add, and the block is gone (${form}, read-then-write backend)`, async () => {
      const ip = '198.51.100.7';
      const { be, hh, armed } = await rebootWithDeadlineDuringReapply(joined, [{ ip }]);
      assert.equal(armed, 1, 'the deadline was armed while the re-apply acted');
      assert.deepEqual(be.calls, [
        `list [] for add ${ip}`,
        `add ${ip}`,
        `list [${ip}] for delete ${ip}`,
        `del ${ip}`,
      ]);
      assert.deepEqual([...be.kernel], [], 'nothing left in the kernel');
      const records = hh.store
        .listExecutions({ limit: 2 })
        .map((r) => [r.action, r.status, r.note])
        .reverse();
      assert.deepEqual(records, [
        ['reapply', 'ok', 're-applied after reboot'],
        ['delete', 'ok', 'revert (timeout)'],
      ]);
      assert.equal(hh.execd.armed, 0);
    });
  }

  test('falling due during the re-apply form, for a key the keyed re-apply that follows re-adds: acts after it', async () => {
    // 192.0.2.1 is the form's (no extra args, due later); 192.0.2.2 has extra args: re-added by
    // key once the form is done, and due as the form acts.
    const { be, hh, armed } = await rebootWithDeadlineDuringReapply(true, [
      { ip: '192.0.2.1', laterMs: 60_000 },
      { ip: '192.0.2.2', extraArgs: true },
    ]);
    assert.equal(armed, 2);
    assert.deepEqual(be.calls, [
      'list [] for add 192.0.2.1',
      'add 192.0.2.1',
      'list [192.0.2.1] for add 192.0.2.2',
      'add 192.0.2.2',
      'list [192.0.2.1,192.0.2.2] for delete 192.0.2.2',
      'del 192.0.2.2',
    ]);
    assert.deepEqual([...be.kernel], ['192.0.2.1']);
    assert.deepEqual(
      hh.store.listActive().map((a) => a.key),
      ['firewall-drop-192.0.2.1'],
    );
    assert.equal(hh.execd.armed, 1);
  });
});
