/**
 * Issue #13 finding 5: a full disk must not crash the daemon, leave a truncated JSON log line, or
 * turn an applied execution into "interrupted". Each case runs in a child process inside a private
 * mount namespace (`unshare -m`) on a tiny tmpfs, so the host's real disks are never filled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendToExecq } from '../../src/agent/execq-socket.js';
import { localClient } from '../../src/cli/local-client.js';
import { arMessage, startDaemon, waitFor } from './support/daemon-harness.js';
import { onPrivateTmpfs } from '../support/private-tmpfs.js';

/** Runs the ES module `script` with node in a fresh mount namespace where `dir` is a tmpfs of `size`. */
function onTinyDisk(size: string, script: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-full-'));
  try {
    const [cmd = 'unshare', ...prefix] = onPrivateTmpfs(dir, `size=${size},mode=0750`);
    const r = spawnSync(cmd, [...prefix, process.execPath, '--input-type=module', '-e', script, dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    return JSON.parse(last) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const url = (p: string): string => new URL(p, import.meta.url).href;

/** Fills the file system holding `dir` (returns the filler's path); the child's helper. */
const FILL = `
import fs from 'node:fs';
function fill(path) {
  const fd = fs.openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 120);
  try { for (;;) fs.writeSync(fd, chunk); } catch {}
  try { for (;;) fs.writeSync(fd, chunk, 0, 1); } catch {}
  fs.closeSync(fd);
}`;

test('the log sink drops and counts lines on ENOSPC, never throws, leaves only whole lines, and says so once space is back', () => {
  const result = onTinyDisk(
    '64k',
    `${FILL}
    const { FileSink } = await import(${JSON.stringify(url('../../src/log/file-sink.js'))});
    const { StorageHealth } = await import(${JSON.stringify(url('../../src/log/storage-health.js'))});
    const dir = process.argv[1];
    fs.writeFileSync(dir + '/spare', Buffer.alloc(16384, 1));
    const health = new StorageHealth();
    const events = [];
    health.subscribe((e) => events.push(e.kind));
    const sink = new FileSink(dir + '/riposte.log', 0o640, health);
    const line = (i) => JSON.stringify({ level: 30, msg: 'line ' + i + ' ' + 'x'.repeat(90) }) + '\\n';
    let i = 0;
    for (; i < 3000; i++) sink.write(line(i));
    const fullSnapshot = health.snapshot();
    const dropped = sink.droppedLines;
    fs.rmSync(dir + '/spare');
    sink.write(line(i));
    const text = fs.readFileSync(dir + '/riposte.log', 'utf8');
    const lines = text.split('\\n');
    const parsed = lines.slice(0, -1).map((l) => JSON.parse(l));
    console.log(JSON.stringify({ fullSnapshot, dropped, endsWithNewline: text.endsWith('\\n'),
      written: parsed.length, last: parsed.at(-1).msg, notice: parsed.at(-2).msg, events,
      after: health.snapshot() }));`,
  ) as Record<string, unknown> & { fullSnapshot: { diskFull: boolean; droppedLogLines: number } };
  assert.equal(result.fullSnapshot.diskFull, true);
  assert.ok((result.dropped as number) > 1000, JSON.stringify(result));
  assert.equal(result.fullSnapshot.droppedLogLines, result.dropped);
  assert.equal(result.endsWithNewline, true, 'no truncated line at the end');
  // 3001 lines and the notice: each one is either whole in the file or counted as dropped
  assert.equal((result.written as number) + (result.dropped as number), 3002, JSON.stringify(result));
  assert.match(
    result.notice as string,
    new RegExp(`^Log: ${String(result.dropped)} line\\(s\\) dropped since .* \\(ENOSPC\\)$`),
  );
  assert.match(result.last as string, /^line 3000 /);
  assert.deepEqual(result.events, ['full', 'recovered']);
  assert.equal((result.after as { diskFull: boolean }).diskFull, false);
});

test("the manager's ar.conf that cannot be written on a full disk leaves the one in place and no temp file", () => {
  const result = onTinyDisk(
    '64k',
    `${FILL}
    const { installArConf } = await import(${JSON.stringify(url('../../src/link/install-ar-conf.js'))});
    const home = process.argv[1] + '/home';
    const written = installArConf(home, 'a - b - 0\\n');
    fill(process.argv[1] + '/filler');
    let threw = false;
    try { installArConf(home, 'c - d - 0\\n'.repeat(20000)); } catch (err) { threw = err.code; }
    console.log(JSON.stringify({ written, threw, left: fs.readdirSync(home + '/etc/shared'),
      kept: fs.readFileSync(home + '/etc/shared/ar.conf', 'utf8') }));`,
  );
  assert.deepEqual(result, { written: true, threw: 'ENOSPC', left: ['ar.conf'], kept: 'a - b - 0\n' });
});

test('an execution outcome that cannot be written on a full disk is kept, shown, and recorded once space is back', () => {
  const result = onTinyDisk(
    '1m',
    `${FILL}
    const { openSqliteAgentStore } = await import(${JSON.stringify(url('../../src/store/sqlite-agent-store.js'))});
    const { storageHealth } = await import(${JSON.stringify(url('../../src/log/storage-health.js'))});
    const dir = process.argv[1];
    const file = dir + '/var/agent.db';
    const s = openSqliteAgentStore(file);
    const start = { key: undefined, arName: 'firewall-drop600', program: 'active-response/bin/firewall-drop',
      action: 'add', agentId: '000', alertId: undefined, ruleId: undefined, srcip: '192.0.2.7', user: undefined, startedAt: 1 };
    const ids = [s.startExecution(start), s.startExecution(start)];
    fill(dir + '/filler');
    const end = (k) => ({ key: k, endedAt: 2, exitCode: 0, signal: undefined, timedOut: false, status: 'ok', stderrTail: '', note: undefined });
    let threw = false;
    let big = 0;
    try {
      // grow until SQLite itself cannot write, then end the executions
      for (; big < 500; big++) s.setSetting('pad' + big, 'y'.repeat(3000));
    } catch (err) { threw = err.code; }
    s.endExecution(ids[0], end('firewall-drop-192.0.2.7'));
    s.endExecution(ids[1], end('firewall-drop-192.0.2.8'));
    const whileFull = { snapshot: storageHealth.snapshot(), status: s.getExecution(ids[0]).status,
      listed: s.listExecutions({}).map((r) => r.status) };
    fs.rmSync(dir + '/filler');
    s.setSetting('after', 'space');
    const afterSnapshot = storageHealth.snapshot();
    s.close();
    const again = openSqliteAgentStore(file);
    const stored = ids.map((id) => again.getExecution(id).status);
    again.close();
    console.log(JSON.stringify({ threw, whileFull, afterSnapshot, stored }));`,
  ) as {
    threw: unknown;
    whileFull: {
      snapshot: { diskFull: boolean; deferredStoreWrites: number };
      status: string;
      listed: string[];
    };
    afterSnapshot: { diskFull: boolean; deferredStoreWrites: number };
    stored: string[];
  };
  assert.equal(result.threw, 'STORE_FULL', JSON.stringify(result));
  assert.equal(result.whileFull.snapshot.diskFull, true);
  assert.equal(result.whileFull.snapshot.deferredStoreWrites, 2);
  assert.equal(result.whileFull.status, 'ok', 'shown as ended while pending');
  assert.deepEqual(result.whileFull.listed, ['ok', 'ok']);
  assert.equal(result.afterSnapshot.diskFull, false);
  assert.equal(result.afterSnapshot.deferredStoreWrites, 0);
  assert.deepEqual(
    result.stored,
    ['ok', 'ok'],
    'recorded, not left running (= "interrupted" at the next start)',
  );
});

const BLOCKER = `#!/bin/sh
read -r line
ip=$(printf '%s' "$line" | sed -n 's/.*"srcip":"\\([^"]*\\)".*/\\1/p')
printf '{"version":1,"origin":{"name":"blocker","module":"active-response"},"command":"check_keys","parameters":{"keys":["%s"]}}\\n' "$ip"
read -r reply
exit 0
`;

/** Polls the async `check` every 50 ms until it returns a value, or fails after `ms`. */
async function poll<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${String(ms)} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Execution {
  readonly id: number;
  readonly key: string | undefined;
  readonly status: string;
  readonly srcip: string | undefined;
}

test('riposte agent on a 2 MB tmpfs keeps running when the disk fills, and records and logs once space is back', async () => {
  const home = mkdtempSync(join(tmpdir(), 'riposte-full-'));
  const d = await startDaemon(home, ['agent'], {}, onPrivateTmpfs(home, 'size=2m,mode=0750'));
  const root = `/proc/${String(d.proc.pid)}/root${home}`; // the daemon's view of its tmpfs
  const api = localClient(root);
  const send = (message: string): Promise<void> => sendToExecq(join(root, 'queue/alerts/execq'), message);
  const executions = async (): Promise<Execution[]> => {
    const body = await api.call<{ items?: Execution[]; executions?: Execution[] }>(
      'GET',
      '/executions?limit=1000',
    );
    return body.items ?? body.executions ?? [];
  };
  try {
    for (const name of ['blocker', 'blocker2']) {
      writeFileSync(join(root, 'active-response/bin', name), BLOCKER, { mode: 0o750 });
    }
    writeFileSync(
      join(root, 'etc/shared/ar.conf'),
      'blocker600 - blocker - 600\nblockerb600 - blocker2 - 600\n',
    );
    await send(arMessage('blocker600', '192.0.2.1'));
    await poll('the first block', 20_000, async () =>
      (await executions()).some((e) => e.status === 'ok') ? true : undefined,
    );
    const fd = openSync(join(root, 'filler'), 'w');
    try {
      for (;;) {
        writeSync(fd, Buffer.alloc(4096, 120));
      }
    } catch {
      closeSync(fd);
    }
    for (let i = 10; i < 40; i++) {
      await send(arMessage('blocker600', `192.0.2.${i}`));
    }
    await waitFor('the disk-full report', 20_000, () =>
      d.output().includes('Disk full') ? true : undefined,
    );
    assert.equal(d.proc.exitCode, null, `the daemon died:\n${d.output()}`);
    await api.call('GET', '/status');
    rmSync(join(root, 'filler'));
    await send(arMessage('blockerb600', '192.0.2.99'));
    // An execution that got past check_keys applied its response: it must come to read ok, never
    // stay running (= "interrupted" after a restart), and each active key needs its ok execution.
    // Adds of blocker600 may still be finishing when the new block is ok: checked until all settle.
    // Executions still running without a key never reached their script: adds that failed to start
    // on the full disk leave blocker's per-program queue waiting (issue #13 finding 1, fixed in
    // run-add by the batching work), not a store problem.
    let seen = '';
    await poll('the block after space is back, every applied execution ok', 20_000, async () => {
      const all = await executions();
      const active = await api.call<{ items?: { key: string }[] }>('GET', '/active-responses');
      const stuck = all.filter((e) => e.status === 'running' && e.key !== null && e.key !== undefined);
      const orphans = (active.items ?? []).filter(
        ({ key }) => !all.some((e) => e.key === key && e.status === 'ok'),
      );
      seen = JSON.stringify({ stuck, orphans, all });
      const blocked = all.some((e) => e.srcip === '192.0.2.99' && e.status === 'ok');
      return blocked && stuck.length === 0 && orphans.length === 0 ? true : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${seen}`);
    });
    const lines = readFileSync(join(root, 'logs/riposte.log'), 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the log ends with a whole line');
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(
      msgs.some((m) => /^Log: \d+ line\(s\) dropped since /.test(m) || m.startsWith('Disk space is back')),
      msgs.join('\n'),
    );
  } finally {
    await d.kill9(); // a clean stop waits for the stalled queue above (finding 1)
    rmSync(home, { recursive: true, force: true });
  }
});
