/**
 * The executor port's implementations with real processes: the spawn runner through the worker
 * threads (relative $0 like Wazuh, decide on the main thread, time limit), the owner/mode refusal,
 * the in-process runner's cancellation, and the dry-run twins (nothing started, commands reported).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { ScriptInvocation, ScriptLimits } from '../../src/agent/executor/executor-port.js';
import { runScriptInProcess } from '../../src/agent/executor/in-process-script.js';
import { selectRunner } from '../../src/agent/executor/select-runner.js';
import { runScript } from '../../src/agent/executor/spawn-script.js';
import { SpawnWorkerPool } from '../../src/exec/spawn-workers.js';
import { rewriteForScript, withCommand } from '../../src/protocol/ar-message.js';
import type { JsonObject } from '../../src/protocol/json.js';
import { ScriptFailure, type StockScript } from '../../src/scripts/contract/stock-script.js';
import { setProcessDryRun } from '../../src/scripts/contract/tool-scope.js';
import { runTool } from '../../src/scripts/contract/tools.js';
import { installStockScripts } from '../../src/scripts/install.js';
import { isRunning, waitFor } from '../process/process-probe.js';

const LIMITS: ScriptLimits = {
  execMs: 10_000,
  handshakeMs: 5000,
  killGraceMs: 500,
  stderrTailBytes: 4096,
  maxLineBytes: 8191,
};
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-executor-'));
const pool = new SpawnWorkerPool(2);
after(async () => {
  await pool.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const SRCIP = '192.0.2.7';
const RECEIVED: JsonObject = {
  version: 1,
  origin: { name: 'node01', module: 'wazuh-analysisd' },
  command: 'x0',
  parameters: { extra_args: [], alert: { rule: { id: '5712' }, data: { srcip: SRCIP } } },
};

/** A home laid out like Wazuh's with `scripts` (name -> sh text) in active-response/bin, mode 0750. */
function makeHome(scripts: Readonly<Record<string, string>>): string {
  const home = fs.mkdtempSync(path.join(root, 'home-'));
  fs.mkdirSync(path.join(home, 'logs'));
  const bin = path.join(home, 'active-response', 'bin');
  fs.mkdirSync(bin, { recursive: true, mode: 0o750 });
  for (const [name, text] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(bin, name), text, { mode: 0o750 });
  }
  return home;
}

function invocation(home: string, name: string, extra: Partial<ScriptInvocation> = {}): ScriptInvocation {
  const program = `active-response/bin/${name}`;
  const message = rewriteForScript(RECEIVED, 'add', program);
  return {
    home,
    program,
    line: JSON.stringify(message),
    mode: 'add',
    limits: LIMITS,
    decide: () => Promise.resolve(JSON.stringify(withCommand(message, 'continue'))),
    ...extra,
  };
}

/** Logs $0 and the cwd to logs/dollar0, then does the keyed exchange. */
const LOG_DOLLAR0 = `#!/bin/sh
printf '%s %s\\n' "$0" "$(pwd)" > logs/dollar0
read -r line
printf '{"version":1,"origin":{"name":"x","module":"active-response"},"command":"check_keys","parameters":{"keys":["k"]}}\\n'
read -r reply
printf '%s\\n' "$reply" > logs/reply
exit 0
`;

describe('spawned scripts (worker threads)', () => {
  test('run from the home with a relative path: $0 is active-response/bin/x.sh, as under Wazuh', async () => {
    const home = makeHome({ 'x.sh': LOG_DOLLAR0 });
    let decidedOnMain: boolean | undefined;
    const inv = invocation(home, 'x.sh', {
      decide: () => {
        decidedOnMain = isMainThread;
        return Promise.resolve('{"command":"continue"}');
      },
    });
    const outcome = await runScript(inv, Date.now, pool.start);
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.equal(outcome.handshake, 'line');
    assert.equal(decidedOnMain, true);
    assert.equal(
      fs.readFileSync(path.join(home, 'logs', 'dollar0'), 'utf8'),
      `active-response/bin/x.sh ${home}\n`,
    );
    assert.equal(fs.readFileSync(path.join(home, 'logs', 'reply'), 'utf8'), '{"command":"continue"}\n');
  });

  test('the time limit still stops a hanging script and its group', async () => {
    const home = makeHome({ hang: '#!/bin/sh\necho $$ > logs/pid\nsleep 60 &\nwait\n' });
    const t0 = Date.now();
    const outcome = await runScript(
      invocation(home, 'hang', { mode: 'delete', limits: { ...LIMITS, execMs: 300 } }),
      Date.now,
      pool.start,
    );
    assert.equal(outcome.timedOut, true);
    assert.ok(Date.now() - t0 < 8000);
    const pid = Number(fs.readFileSync(path.join(home, 'logs', 'pid'), 'utf8'));
    assert.ok(await waitFor(() => !isRunning(pid), 5000));
  });

  test('selectRunner spawns custom scripts through the workers with the same exchange', async () => {
    const home = makeHome({ 'x.sh': LOG_DOLLAR0 });
    const run = selectRunner({ now: Date.now, spawnWorkers: 1 });
    const outcome = await run(invocation(home, 'x.sh'));
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.match(outcome.firstLine ?? '', /check_keys/);
    assert.match(
      fs.readFileSync(path.join(home, 'logs', 'dollar0'), 'utf8'),
      /^active-response\/bin\/x\.sh /,
    );
  });
});

describe('owner and mode check', () => {
  test('a script writable by others is refused and recorded as failed with the reason', async () => {
    const home = makeHome({ 'x.sh': LOG_DOLLAR0 });
    fs.chmodSync(path.join(home, 'active-response', 'bin', 'x.sh'), 0o757);
    const outcome = await selectRunner({ now: Date.now, spawnWorkers: 0 })(invocation(home, 'x.sh'));
    assert.equal(outcome.exitCode, null);
    assert.equal(outcome.spawnError, undefined);
    assert.match(outcome.stderrTail, /^refused: script .*x\.sh is writable by group or others \(mode 0757\)/);
    assert.equal(fs.existsSync(path.join(home, 'logs', 'dollar0')), false, 'the script must not run');
  });

  test('a group-writable scripts directory is refused', async () => {
    const home = makeHome({ 'x.sh': LOG_DOLLAR0 });
    fs.chmodSync(path.join(home, 'active-response', 'bin'), 0o770);
    const outcome = await selectRunner({ now: Date.now, spawnWorkers: 0 })(invocation(home, 'x.sh'));
    assert.match(
      outcome.stderrTail,
      /^refused: directory .*bin is writable by group or others \(mode 0770\)/,
    );
  });

  test('a script owned by another user is refused', async () => {
    const home = makeHome({ 'x.sh': LOG_DOLLAR0 });
    fs.chownSync(path.join(home, 'active-response', 'bin', 'x.sh'), 4321, 4321);
    const outcome = await selectRunner({ now: Date.now, spawnWorkers: 0 })(invocation(home, 'x.sh'));
    assert.match(outcome.stderrTail, /^refused: script .*x\.sh is owned by uid 4321/);
  });
});

describe('in-process scripts are cancellable', () => {
  test('a timed-out in-process script is stopped: its tool is killed and the run ends as a time-out', async () => {
    const home = makeHome({});
    const pidFile = path.join(home, 'logs', 'tool.pid');
    let ended: string | undefined;
    const slow: StockScript = {
      name: 'slow',
      stateful: false,
      input: () => ({ ok: true, key: undefined }),
      add: async () => {
        try {
          await runTool({ tool: 'sh', args: ['-c', `echo $$ > ${pidFile}; exec sleep 60`] });
          ended = 'completed';
        } catch (err) {
          ended = err instanceof ScriptFailure ? err.message : String(err);
          throw err;
        }
      },
      delete: () => Promise.resolve(),
    };
    const t0 = Date.now();
    const outcome = await runScriptInProcess(
      slow,
      invocation(home, 'slow', { limits: { ...LIMITS, execMs: 400 } }),
      Date.now,
    );
    assert.equal(outcome.timedOut, true);
    assert.equal(outcome.exitCode, null);
    assert.ok(Date.now() - t0 < 10_000);
    assert.match(ended ?? '', /stopped/);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(await waitFor(() => !isRunning(pid), 5000), 'the tool process must be gone');
  });
});

describe('dry run', () => {
  after(() => {
    setProcessDryRun(undefined);
  });

  test('firewall-drop reports the exact nft transaction and starts nothing; decisions still happen', async () => {
    const home = makeHome({});
    installStockScripts(home);
    const unscoped: string[] = [];
    const run = selectRunner({ now: Date.now, dryRun: true, onUnscopedCommand: (l) => unscoped.push(l) });
    const decided: string[] = [];
    const inv = invocation(home, 'firewall-drop', {
      decide: (line) => {
        decided.push(line);
        return Promise.resolve(
          JSON.stringify(
            withCommand(rewriteForScript(RECEIVED, 'add', 'active-response/bin/firewall-drop'), 'continue'),
          ),
        );
      },
    });
    const outcome = await run(inv);
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.equal(decided.length, 1);
    assert.match(decided[0] ?? '', /"keys":\["192\.0\.2\.7"\]/);
    const all = [outcome.stderrTail, ...unscoped].join('\n');
    assert.match(all, /nft -f - <<'EOF'/);
    assert.match(all, /add element inet riposte blocked4 \{ 192\.0\.2\.7 \}/);
    assert.match(outcome.stderrTail, /^dry run: nothing was run on the host/m);
  });

  test('a custom script is reported with its cwd and stdin, not started', async () => {
    const home = makeHome({ 'x.sh': LOG_DOLLAR0 });
    const outcome = await selectRunner({ now: Date.now, dryRun: true })(invocation(home, 'x.sh'));
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.handshake, 'eof');
    assert.match(outcome.stderrTail, new RegExp(`\\(cwd ${home}\\) active-response/bin/x\\.sh <<'EOF'`));
    assert.equal(fs.existsSync(path.join(home, 'logs', 'dollar0')), false);
  });
});
