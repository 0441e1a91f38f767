/**
 * Runs every fixture script (test/fixtures/scripts/{sh,py,js}) through runScript and checks the
 * outcome per behaviour, then that no fixture process is left running. Real processes: this is not
 * a unit test. Limits are generous (an interpreter may take seconds to start on a busy machine),
 * except for the behaviours that exist to hit them, which get short ones and only lower bounds on
 * time plus generous upper bounds.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from '../../src/agent/executor/spawn-script.js';
import type { Handshake, ScriptLimits, ScriptOutcome } from '../../src/agent/executor/spawn-script.js';
import { keysOfCheckKeys, rewriteForScript, withCommand } from '../../src/protocol/ar-message.js';
import { isRiposteError } from '../../src/protocol/error-codes.js';
import { parseLenientJson } from '../../src/protocol/json.js';
import type { JsonObject } from '../../src/protocol/json.js';
import { isRunning, killGroupOf, processesUnder, waitFor } from './process-probe.js';

const LIMITS: ScriptLimits = {
  execMs: 30_000,
  handshakeMs: 15_000,
  killGraceMs: 500,
  stderrTailBytes: 4096,
  maxLineBytes: 8191,
};
/** For read-to-eof: the handshake must time out (it finishes on its own once stdin closes). */
const SHORT_HANDSHAKE: ScriptLimits = { ...LIMITS, handshakeMs: 1500 };
/** For never-exits: killed at execMs. */
const SHORT_EXEC: ScriptLimits = { ...LIMITS, handshakeMs: 1500, execMs: 4000 };
const LANGS = ['sh', 'py', 'js'] as const;
type Lang = (typeof LANGS)[number];

// dist/test/process -> repo root -> test/fixtures/scripts (the fixtures are not compiled).
const FIXTURES = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/scripts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const SRCIP = '192.0.2.7';
const RECEIVED: JsonObject = {
  version: 1,
  origin: { name: 'node01', module: 'wazuh-analysisd' },
  command: 'firewall-drop0',
  parameters: { extra_args: [], alert: { rule: { id: '5712' }, data: { srcip: SRCIP } } },
};

interface Run {
  readonly outcome: ScriptOutcome;
  readonly decided: readonly string[];
  readonly log: string;
  readonly addLine: string;
  readonly elapsedMs: number;
  readonly limits: ScriptLimits;
}

interface RunOptions {
  readonly reply?: 'continue' | 'abort';
  readonly mode?: 'add' | 'delete';
  readonly decide?: (firstLine: string) => Promise<string | undefined>;
  readonly limits?: ScriptLimits;
}

/** A fresh home with logs/ and the one fixture copied to active-response/bin/, as Wazuh lays it out. */
function makeHome(lang: Lang, behaviour: string): string {
  const home = fs.mkdtempSync(path.join(root, `${lang}-${behaviour}-`));
  fs.mkdirSync(path.join(home, 'logs'));
  fs.mkdirSync(path.join(home, 'active-response', 'bin'), { recursive: true });
  const target = path.join(home, 'active-response', 'bin', behaviour);
  fs.copyFileSync(path.join(FIXTURES, lang, behaviour), target);
  fs.chmodSync(target, 0o750);
  return home;
}

async function run(lang: Lang, behaviour: string, opts: RunOptions = {}): Promise<Run> {
  const home = makeHome(lang, behaviour);
  const program = `active-response/bin/${behaviour}`;
  const mode = opts.mode ?? 'add';
  const message = rewriteForScript(RECEIVED, mode, program);
  const decided: string[] = [];
  const reply = opts.reply ?? 'continue';
  const decide =
    opts.decide ??
    ((firstLine: string) => {
      decided.push(firstLine);
      return Promise.resolve(JSON.stringify(withCommand(message, reply)));
    });
  const limits = opts.limits ?? LIMITS;
  const t0 = Date.now();
  const outcome = await runScript(
    { home, program, line: JSON.stringify(message), mode, limits, decide },
    Date.now,
  );
  const elapsedMs = Date.now() - t0;
  const logFile = path.join(home, 'logs', 'active-responses.log');
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  return { outcome, decided, log, addLine: JSON.stringify(message), elapsedMs, limits };
}

interface Expected {
  readonly handshake: Handshake;
  readonly exitCode: number | null;
  readonly signals?: readonly NodeJS.Signals[];
  readonly timedOut?: boolean;
  readonly log: RegExp;
}

/** The checks every outcome must pass, plus the behaviour's expected kind of ending. */
function assertOutcome(r: Run, want: Expected): void {
  const o = r.outcome;
  assert.equal(o.spawnError, undefined);
  assert.equal(o.handshake, want.handshake);
  assert.equal(o.exitCode, want.exitCode);
  if (want.signals === undefined) {
    assert.equal(o.signal, null);
  } else {
    assert.ok(o.signal !== null && want.signals.includes(o.signal), `signal ${String(o.signal)}`);
  }
  assert.equal(o.timedOut, want.timedOut ?? false);
  assert.ok(o.endedAt >= o.startedAt);
  assert.ok(o.endedAt - o.startedAt <= r.elapsedMs + 1);
  assert.match(r.log, want.log);
  if (want.handshake === 'line') {
    assert.equal(r.decided.length, 1, 'decide is called once with the first line');
    assert.equal(r.decided[0], o.firstLine);
    assert.notEqual(o.reply, undefined);
  } else {
    assert.equal(r.decided.length, 0, 'decide must not be called without a first line');
    assert.equal(o.firstLine, undefined);
    assert.equal(o.reply, undefined);
  }
  if (!(want.timedOut ?? false) && want.handshake !== 'timeout') {
    assert.ok(r.elapsedMs < r.limits.execMs, `took ${r.elapsedMs} ms`);
  }
}

function commandOf(line: string | undefined): unknown {
  const parsed = parseLenientJson(line ?? '');
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? parsed['command']
    : undefined;
}

for (const lang of LANGS) {
  void describe(`runScript with ${lang} fixtures`, () => {
    void test(`${lang}/stateless-ok: no first line (eof), logs the add message, exit 0`, async () => {
      const r = await run(lang, 'stateless-ok');
      assertOutcome(r, { handshake: 'eof', exitCode: 0, log: /^stateless-ok: received .*"command":"add"/ });
      assert.ok(r.log.includes(r.addLine), 'the script received the exact add line');
    });

    void test(`${lang}/stateful-ok: check_keys [srcip] -> continue`, async () => {
      const r = await run(lang, 'stateful-ok', { reply: 'continue' });
      assertOutcome(r, {
        handshake: 'line',
        exitCode: 0,
        log: /stateful-ok: received srcip=192\.0\.2\.7\nstateful-ok: continue\n$/,
      });
      assert.deepEqual(keysOfCheckKeys(parseLenientJson(r.outcome.firstLine ?? '')), [SRCIP]);
      assert.equal(commandOf(r.outcome.reply), 'continue');
    });

    void test(`${lang}/stateful-ok: check_keys [srcip] -> abort`, async () => {
      const r = await run(lang, 'stateful-ok', { reply: 'abort' });
      assertOutcome(r, { handshake: 'line', exitCode: 0, log: /stateful-ok: abort\n$/ });
      assert.equal(commandOf(r.outcome.reply), 'abort');
    });

    void test(`${lang}/abort-path: abort logs "Aborted", continue logs "Ended"`, async () => {
      const aborted = await run(lang, 'abort-path', { reply: 'abort' });
      assertOutcome(aborted, { handshake: 'line', exitCode: 0, log: /^abort-path: Aborted\n$/ });
      const ended = await run(lang, 'abort-path', { reply: 'continue' });
      assertOutcome(ended, { handshake: 'line', exitCode: 0, log: /^abort-path: Ended\n$/ });
    });

    void test(`${lang}/no-output: eof, no reply, exit 0`, async () => {
      const r = await run(lang, 'no-output');
      assertOutcome(r, { handshake: 'eof', exitCode: 0, log: /^no-output: received\n$/ });
    });

    void test(`${lang}/non-json-first-line: any first line still gets a reply`, async () => {
      const r = await run(lang, 'non-json-first-line');
      assertOutcome(r, {
        handshake: 'line',
        exitCode: 0,
        log: /^non-json-first-line: reply .*"command":"continue"/,
      });
      assert.equal(r.outcome.firstLine, 'hello world');
    });

    void test(`${lang}/empty-keys: check_keys with no keys`, async () => {
      const r = await run(lang, 'empty-keys');
      assertOutcome(r, { handshake: 'line', exitCode: 0, log: /^empty-keys: reply .*"command":"continue"/ });
      assert.deepEqual(keysOfCheckKeys(parseLenientJson(r.outcome.firstLine ?? '')), []);
    });

    void test(`${lang}/exit-without-reading: our stdin write hits a closed pipe harmlessly`, async () => {
      const r = await run(lang, 'exit-without-reading');
      assertOutcome(r, { handshake: 'eof', exitCode: 0, log: /^exit-without-reading: exiting\n$/ });
    });

    void test(`${lang}/read-to-eof: handshake times out, closing stdin lets it finish`, async () => {
      const r = await run(lang, 'read-to-eof', { limits: SHORT_HANDSHAKE });
      assertOutcome(r, {
        handshake: 'timeout',
        exitCode: 0,
        log: /^read-to-eof: got EOF after (\d+) chars\n$/,
      });
      const chars = Number(/after (\d+) chars/.exec(r.log)?.[1]);
      assert.ok(chars >= r.addLine.length, `the script read the whole line (${chars} chars)`);
      assert.ok(r.elapsedMs >= r.limits.handshakeMs, `ended before the handshake timeout: ${r.elapsedMs} ms`);
      assert.ok(r.elapsedMs < r.limits.execMs, `took ${r.elapsedMs} ms`);
    });

    void test(`${lang}/never-exits: killed at execMs`, async () => {
      const r = await run(lang, 'never-exits', { limits: SHORT_EXEC });
      assertOutcome(r, {
        handshake: 'timeout',
        exitCode: null,
        signals: ['SIGTERM', 'SIGKILL'],
        timedOut: true,
        log: /^never-exits: sleeping\n$/,
      });
      assert.ok(r.elapsedMs >= r.limits.execMs, `killed too early: ${r.elapsedMs} ms`);
      assert.ok(
        r.elapsedMs < r.limits.execMs + r.limits.killGraceMs + 10_000,
        `killed too late: ${r.elapsedMs} ms`,
      );
    });

    void test(`${lang}/huge-output: first line cut at maxLineBytes, the rest drained`, async () => {
      const r = await run(lang, 'huge-output');
      assertOutcome(r, {
        handshake: 'line',
        exitCode: 0,
        log: /^huge-output: writing\nhuge-output: done\n$/,
      });
      assert.equal(r.outcome.firstLine, 'x'.repeat(LIMITS.maxLineBytes));
    });

    void test(`${lang}/crash: killed by its own signal, eof`, async () => {
      const r = await run(lang, 'crash');
      assertOutcome(r, {
        handshake: 'eof',
        exitCode: null,
        signals: ['SIGSEGV', 'SIGABRT'],
        log: /^crash: crashing\n$/,
      });
    });

    void test(`${lang}/background-child: the grandchild holding stdout does not delay the outcome; it is left running, as by Wazuh`, async () => {
      const r = await run(lang, 'background-child');
      assertOutcome(r, { handshake: 'eof', exitCode: 0, log: /^background-child: started (\d+)\n$/ });
      const pid = Number(/started (\d+)/.exec(r.log)?.[1]);
      assert.ok(Number.isInteger(pid) && pid > 1);
      try {
        assert.equal(isRunning(pid), true, `grandchild ${pid} was killed with its script`);
      } finally {
        killGroupOf(pid);
      }
    });

    void test(`${lang}/delete mode: no stdout pipe, no handshake, decide never called`, async () => {
      const stateless = await run(lang, 'stateless-ok', { mode: 'delete' });
      assertOutcome(stateless, {
        handshake: 'none',
        exitCode: 0,
        log: /^stateless-ok: received .*"command":"delete"/,
      });
      const stateful = await run(lang, 'stateful-ok', { mode: 'delete' });
      assertOutcome(stateful, { handshake: 'none', exitCode: 0, log: /stateful-ok: no reply\n$/ });
    });
  });
}

void describe('runScript guards', () => {
  void test('refuses a program that is absolute or leaves the home dir, spawning nothing', async () => {
    const home = makeHome('sh', 'stateless-ok');
    for (const program of ['/bin/sh', '../outside', 'active-response/bin/../../../bin/sh', '']) {
      await assert.rejects(
        runScript({ home, program, line: '{}', mode: 'add', limits: LIMITS }, Date.now),
        (err: unknown) => isRiposteError(err) && err.code === 'AR_SCRIPT_FAILED',
      );
    }
  });

  void test('a missing script is reported in spawnError', async () => {
    const home = makeHome('sh', 'stateless-ok');
    const o = await runScript(
      { home, program: 'active-response/bin/absent', line: '{}', mode: 'add', limits: LIMITS },
      Date.now,
    );
    assert.match(o.spawnError ?? '', /ENOENT/);
    assert.equal(o.handshake, 'eof');
  });

  void test('a decide that throws: the script is killed and the error passed on', async () => {
    const failure = new Error('decide failed');
    await assert.rejects(
      run('sh', 'stateful-ok', { decide: () => Promise.reject(failure) }),
      (err: unknown) => err === failure,
    );
  });

  void test('the injected clock stamps startedAt and endedAt', async () => {
    const home = makeHome('sh', 'stateless-ok');
    let t = 1_000_000;
    const o = await runScript(
      { home, program: 'active-response/bin/stateless-ok', line: '{}', mode: 'add', limits: LIMITS },
      () => (t += 5),
    );
    assert.equal(o.startedAt, 1_000_005);
    assert.equal(o.endedAt, 1_000_010);
  });

  void test('afterwards no fixture process is left running', async () => {
    const gone = await waitFor(() => processesUnder(root).length === 0, LIMITS.killGraceMs + 3000);
    assert.ok(gone, `still running: ${processesUnder(root).join(', ')}`);
  });
});
