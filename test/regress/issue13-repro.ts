/**
 * Issue 13 repro driver: replays findings 1-9 and 11-13 against ANY build of Riposte through
 * public entry points only (the `riposte manager` and `riposte agent enroll` CLIs, execq datagrams,
 * alerts.json lines, HTTPS `POST /alerts`, `PUT /active-response`, `GET /executions`,
 * `POST /enroll`, the agent link (mTLS WebSocket), SIGKILL and restart, a full tmpfs home in a
 * private mount namespace, files in the home). It imports nothing from the project (only its sibling
 * repro-support.ts), so it runs against the pre-fix code (120650d) too.
 *
 *   node dist/test/regress/issue13-repro.js <build-root>      (root holding dist/src/cli/main.js)
 *
 * Prints, per finding, "reproduced" (the attack worked: the build is vulnerable) or "not
 * reproduced" with the evidence observed. Loopback only; the `mark` fixture script stands in for
 * firewall-drop (same execd path, per-program queue and white-list checks; it never touches the
 * host firewall). Waits are bounded polls; a daemon is stopped by its pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import {
  CONFIG,
  SLOW,
  alertLine,
  arMessage,
  deep,
  deepAlertLine,
  items,
  poll,
  txt,
  type Answer,
  callApi,
  sendTo,
} from './repro-support.js';

const buildRoot = path.resolve(process.argv[2] ?? '.');
const MAIN = path.join(buildRoot, 'dist', 'src', 'cli', 'main.js');
const MARK = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../../test/manager/fixtures/mark',
);

const root = mkdtempSync(path.join(tmpdir(), 'issue13-repro-'));
/** The home the driver reads (for a daemon in its own mount namespace: its view through /proc). */
let home = path.join(root, 'home');
const alertsFile = path.join(root, 'alerts.json');
const results: { finding: string; reproduced: boolean | undefined; evidence: string }[] = [];
let daemon: ChildProcess | undefined;
let port = 0;
let daemonOutput = (): string => '';

const marks = (): string[] => {
  const f = path.join(home, 'marks.log');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n') : [];
};
const marked = (ip: string): boolean => marks().some((l) => l.startsWith(`add ${ip}`));
const logSize = (): number => {
  const f = path.join(home, 'logs', 'riposte.log');
  return existsSync(f) ? statSync(f).size : 0;
};
/** A well-formed alert for the `mark` rule whose `data` also holds a value nested `depth` deep. */
function record(finding: string, reproduced: boolean | undefined, evidence: string): void {
  results.push({ finding, reproduced, evidence });
  const verdict = reproduced === undefined ? 'not run' : reproduced ? 'reproduced' : 'not reproduced';
  console.log(`finding ${finding}: ${verdict} — ${evidence}`);
}

const sendDatagram = (text: string): Promise<string> =>
  sendTo(path.join(home, 'queue', 'alerts', 'execq'), text);
const call = (
  method: string,
  urlPath: string,
  payload: string,
  opts: { readonly type?: string; readonly auth?: boolean } = {},
): Promise<Answer> => callApi({ home, port, ...opts }, method, urlPath, payload);

/**
 * Starts `riposte manager` on a free loopback port; resolves with its output so far and whether it
 * started. `ns`, when given, runs it in a private mount namespace: `ns.prefix` is the command
 * line before node's, and the driver then reads the daemon's home through /proc/PID/root.
 */
async function startDaemon(ns?: {
  readonly prefix: readonly string[];
  readonly home: string;
}): Promise<{ started: boolean; output: string }> {
  const args = [
    MAIN,
    'manager',
    '-c',
    path.join(root, 'ossec.conf'),
    '--home',
    ns?.home ?? home,
    '--listen',
    '127.0.0.1:0',
    '--alerts',
    alertsFile,
    '--alerts-from',
    'beginning',
    '--log-level',
    'info',
  ];
  const p =
    ns === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(ns.prefix[0] ?? 'unshare', [...ns.prefix.slice(1), process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  daemon = p;
  if (ns !== undefined) {
    home = `/proc/${String(p.pid)}/root${ns.home}`;
  }
  let output = '';
  p.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  p.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  daemonOutput = () => output;
  let exited = false;
  p.on('exit', () => {
    exited = true;
  });
  await poll(20_000, () => exited || /listening on https:\/\/127\.0\.0\.1:\d+/.test(output));
  const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  if (m?.[1] === undefined) {
    return { started: false, output };
  }
  port = Number(m[1]);
  await poll(5_000, () => existsSync(path.join(home, 'queue', 'alerts', 'execq')));
  return { started: true, output };
}

async function stopDaemon(): Promise<void> {
  const p = daemon;
  if (p === undefined || p.exitCode !== null) {
    return;
  }
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function finding13(): Promise<void> {
  const before = logSize();
  for (let i = 0; i < 20; i++) {
    await sendDatagram(`garbage-${i}-${'x'.repeat(60_000)}`);
  }
  await poll(3_000, () => logSize() - before > 20 * 60_000);
  const grown = logSize() - before;
  record(
    '13',
    grown > 10 * 60_000,
    `20 x 60 KB garbage datagrams on execq grew riposte.log by ${grown} bytes`,
  );
}

async function finding1(): Promise<void> {
  const msg = (cmd: string, srcip: string, extra: string): string =>
    `{"version":1,"origin":{"name":"t","module":"t"},"command":"${cmd}","parameters":{"extra_args":[],"alert":{"data":{"srcip":"${srcip}"}${extra}}}}`;
  await sendDatagram(msg('markx600', '10.66.0.1', `,"x":${deep(3000)}`));
  await new Promise((r) => setTimeout(r, 300));
  await sendDatagram(msg('markx600', '10.66.0.2', ''));
  const ok = await poll(8_000, () => marked('10.66.0.2'));
  record(
    '1',
    !ok,
    `execq: after a markx600 message nested 3,000 deep, a normal markx600 add ${ok ? 'was enforced' : 'was NOT enforced within 8 s'}`,
  );
}

async function finding2(): Promise<void> {
  appendFileSync(
    alertsFile,
    `${alertLine('10.67.0.1')}\n${deepAlertLine('10.67.0.9', 10_000)}\n${alertLine('10.67.0.2')}\n${alertLine('10.67.0.3')}\n`,
  );
  const a = await poll(8_000, () => marked('10.67.0.1'));
  const bc = await poll(8_000, () => marked('10.67.0.2') && marked('10.67.0.3'));
  record(
    '2',
    !bc,
    `alerts.json A, 10,000-deep line, B, C: A ${a ? 'enforced' : 'not enforced'}, B and C ${bc ? 'enforced' : 'NOT enforced within 8 s'}`,
  );
}

async function finding7(): Promise<void> {
  const r = await call('POST', '/alerts', `{"rule":{"id":"100002"},"x":${deep(10_000)}}`);
  const body = [alertLine('10.68.0.1'), deepAlertLine('10.68.0.9', 10_000), alertLine('10.68.0.2')].join(
    '\n',
  );
  const nd = await call('POST', '/alerts', `${body}\n`, { type: 'application/x-ndjson' });
  const bothIn = await poll(5_000, () => marked('10.68.0.1') && marked('10.68.0.2'));
  record(
    '7',
    r.status >= 500 || !bothIn,
    `POST /alerts 10,000 deep -> ${r.status} ${r.text.slice(0, 100)}; NDJSON [ok, deep, ok] -> ${nd.status} ${nd.text.slice(0, 120)}; line 3 ${bothIn ? 'enforced' : 'NOT enforced'}`,
  );
}

async function finding6(): Promise<void> {
  const tried: string[] = [];
  let hits = 0;
  for (const ip of ['::ffff:127.0.0.1', '0.0.0.0', '255.255.255.255', '10.1.2.3']) {
    const r = await call(
      'PUT',
      '/active-response?agents_list=000',
      JSON.stringify({ command: 'markapi600', alert: { data: { srcip: ip } } }),
    );
    const ran = r.status < 300 && (await poll(5_000, () => marked(ip)));
    if (ran) {
      hits++;
    }
    tried.push(`${ip} -> ${r.status}${ran ? ' + script ran add' : ` (${r.text.slice(90, 260)})`}`);
  }
  record(
    '6',
    hits > 0,
    `PUT /active-response markapi600 (never-block / white-listed targets): ${tried.join('; ')}`,
  );
}

async function finding8(): Promise<void> {
  const dir = path.join(root, 'victim');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'file.txt');
  writeFileSync(file, 'not for an API caller to move\n');
  const r = await call(
    'PUT',
    '/active-response?agents_list=000',
    JSON.stringify({
      command: 'quarantine600',
      arguments: ['--allow', dir],
      alert: { syscheck: { path: file } },
    }),
  );
  const moved = r.status < 300 && (await poll(8_000, () => !existsSync(file)));
  record(
    '8',
    moved,
    `PUT quarantine600 with arguments ["--allow", "${dir}"] on ${file} -> ${r.status} ${moved ? '+ file moved out' : r.text.slice(0, 200)}`,
  );
}

async function finding9(): Promise<void> {
  const big = await call('GET', '/executions?limit=100000', '');
  const answers = await Promise.all(
    Array.from({ length: 1000 }, () => call('GET', '/executions?limit=1000', '')),
  );
  const by = new Map<number, number>();
  for (const a of answers) {
    by.set(a.status, (by.get(a.status) ?? 0) + 1);
  }
  const refused = by.get(503) ?? 0;
  record(
    '9',
    refused === 0,
    `GET /executions?limit=100000 -> ${big.status}; 1,000 concurrent GETs -> ${[...by].map(([s, c]) => `${c} x ${s}`).join(', ')}`,
  );
}

async function finding12(): Promise<void> {
  const statuses: number[] = [];
  for (let i = 0; i < 15; i++) {
    const r = await call(
      'POST',
      '/enroll',
      JSON.stringify({ name: `probe${i}`, password: 'wrong-password' }),
      { auth: false },
    );
    statuses.push(r.status);
  }
  record(
    '12',
    !statuses.includes(429),
    `15 wrong-password POST /enroll from 127.0.0.1 -> ${statuses.join(',')}`,
  );
}

async function finding11(): Promise<void> {
  await stopDaemon();
  truncateSync(path.join(home, 'var', 'manager.db'), 0);
  const { started, output } = await startDaemon();
  const tail = output.trim().split('\n').slice(-2).join(' | ').slice(0, 200);
  record(
    '11',
    started,
    `restart with a zero-length var/manager.db: ${started ? 'started without a word' : `refused: ${tail}`}`,
  );
  await stopDaemon();
}

const execFileP = promisify(execFile);

/** The fixture scripts (mark, markx, markapi, slow) in `<dir>/active-response/bin`. */
function installScripts(dir: string): void {
  const bin = path.join(dir, 'active-response', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const name of ['mark', 'markx', 'markapi']) {
    copyFileSync(MARK, path.join(bin, name));
    chmodSync(path.join(bin, name), 0o755);
  }
  writeFileSync(path.join(bin, 'slow'), SLOW, { mode: 0o755 });
}

const dbBytes = (): number =>
  ['manager.db', 'manager.db-wal'].reduce((sum, f) => {
    const file = path.join(home, 'var', f);
    return sum + (existsSync(file) ? statSync(file).size : 0);
  }, 0);

/**
 * Finding 3: an agent enrolled with the build's own `riposte agent enroll` sends FRAMES execution
 * frames with a 1 MB stderrTail each over its mTLS link (frame shape both versions accept).
 */
async function finding3(): Promise<void> {
  const frames = Number(process.env['RIPOSTE_REPRO_FRAMES'] ?? '50');
  const agentHome = path.join(root, 'agent3');
  const password = readFileSync(path.join(home, 'etc', 'authd.pass'), 'utf8').trim();
  await execFileP(
    process.execPath,
    [
      MAIN,
      'agent',
      'enroll',
      '--manager',
      `127.0.0.1:${String(port)}`,
      '--name',
      'flood3',
      '--home',
      agentHome,
      '--password',
      password,
    ],
    { timeout: 30_000 },
  );
  const pki = path.join(agentHome, 'etc', 'pki');
  const agent = JSON.parse(readFileSync(path.join(pki, 'agent.json'), 'utf8')) as { id?: string };
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    ca: readFileSync(path.join(home, 'etc', 'pki', 'ca.pem')),
    cert: readFileSync(path.join(pki, 'agent.pem')),
    key: readFileSync(path.join(pki, 'agent.key')),
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${String(port)}/link`, options);
  ws.on('error', () => undefined);
  let closed = '';
  ws.on('close', (code, reason) => {
    closed = `link closed ${String(code)} ${reason.toString()}`;
  });
  await new Promise((r) => ws.once('open', r));
  const welcome = new Promise((r) => ws.once('message', r));
  ws.send(JSON.stringify({ type: 'hello', version: 'repro', lastOrderSeq: 0, disabled: false }));
  await Promise.race([welcome, new Promise((r) => setTimeout(r, 5_000))]);
  const before = dbBytes();
  const tail = 'x'.repeat(1_000_000);
  for (let id = 1; id <= frames; id++) {
    const record = {
      id,
      key: `mark-10.3.0.${String(id)}`,
      arName: 'mark600',
      program: 'active-response/bin/mark',
      action: 'add',
      agentId: agent.id ?? '001',
      startedAt: 1,
      endedAt: 2,
      exitCode: 1,
      timedOut: false,
      status: 'failed',
      stderrTail: tail,
    };
    await new Promise((r) => {
      ws.send(JSON.stringify({ type: 'execution', record, active: null }), r);
    });
  }
  // The manager writes as frames arrive: wait (bounded) until the db stops growing for 3 s.
  let last = -1;
  let still = 0;
  const deadline = Date.now() + 90_000;
  while (still < 3 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = dbBytes();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  ws.close();
  const grown = dbBytes() - before;
  record(
    '3',
    grown > frames * 500_000,
    `agent ${agent.id ?? '?'} enrolled by \`agent enroll\`, ${String(frames)} execution frames x 1 MB stderrTail on the link: manager.db + WAL grew by ${(grown / 1e6).toFixed(1)} MB${closed === '' ? '' : ` (${closed})`}`,
  );
}

/**
 * Finding 4 (agent side): kill -9 of the daemon (in-process agent 000) while `slow` runs an add,
 * restart, then compare the active list with the execution history.
 */
async function finding4(): Promise<void> {
  home = path.join(root, 'home4');
  installScripts(home);
  if (!(await startDaemon()).started) {
    throw new Error(`daemon did not start: ${daemonOutput()}`);
  }
  for (let i = 1; i <= 4; i++) {
    await sendDatagram(arMessage('slow600', `10.70.0.${String(i)}`));
  }
  const began = await poll(15_000, () => marks().some((l) => l.startsWith('continue 10.70.0.')));
  const p = daemon;
  if (p !== undefined) {
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
  if (!(await startDaemon()).started) {
    throw new Error(`daemon did not restart: ${daemonOutput()}`);
  }
  // Main re-applies or closes interrupted executions at restart (a re-apply runs slow again: 4 s):
  // poll, bounded, until every listed active response has an ok execution.
  let active: Record<string, unknown>[] = [];
  let execs: Record<string, unknown>[] = [];
  let unenforced: string[] = [];
  const deadline = Date.now() + 15_000;
  do {
    await new Promise((r) => setTimeout(r, 500));
    active = items(await call('GET', '/active-responses', ''));
    execs = items(await call('GET', '/executions?limit=1000', ''));
    unenforced = active
      .map((a) => String(a['key']))
      .filter((key) => !execs.some((e) => e['key'] === key && e['status'] === 'ok'));
  } while (unenforced.length > 0 && Date.now() < deadline);
  const summary = execs
    .filter((e) => txt(e['srcip']).startsWith('10.70.'))
    .map(
      (e) =>
        `${txt(e['action'])} ${txt(e['srcip'])} ${txt(e['status'])}${e['note'] ? ` (${txt(e['note']).slice(0, 40)})` : ''}`,
    )
    .join('; ');
  record(
    '4 (agent)',
    unenforced.length > 0,
    `kill -9 ${began ? 'while slow600 ran an add' : '(slow600 had NOT started)'}, restart: slow600 active [${active
      .map((a) => txt(a['key']))
      .filter((k) => k.startsWith('slow-'))
      .join(', ')}]; without an ok execution: [${unenforced.join(', ')}]; history: ${summary}`,
  );
  await stopDaemon();
}

/** Finding 5: home on a 2 MB tmpfs in a private mount namespace; fill it, then send adds. */
async function finding5(): Promise<void> {
  const stage = path.join(root, 'stage5');
  const mountpoint = path.join(root, 'home5');
  installScripts(stage);
  mkdirSync(mountpoint);
  const shell = 'mount -t tmpfs -o size=2m,mode=0750 repro5 "$0" && cp -a "$1/." "$0/" && shift && exec "$@"';
  const prefix = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', shell, mountpoint, stage];
  if (!(await startDaemon({ prefix, home: mountpoint })).started) {
    throw new Error(`daemon did not start: ${daemonOutput()}`);
  }
  await sendDatagram(arMessage('mark600', '10.71.0.1'));
  await poll(10_000, () => marked('10.71.0.1'));
  try {
    writeFileSync(path.join(home, 'filler'), Buffer.alloc(4 * 1024 * 1024, 120));
  } catch {
    // ENOSPC: the disk is full now, as intended.
  }
  for (let i = 0; i < 200; i++) {
    await sendDatagram(arMessage('mark600', `10.71.${String(1 + (i >> 8))}.${String(i & 255)}`));
  }
  const p = daemon;
  const died = await poll(15_000, () => p?.exitCode !== null || p.signalCode !== null);
  const alive = !died;
  const status = alive ? (await call('GET', '/status', '')).status : 0;
  const lines = daemonOutput()
    .split('\n')
    .filter((l) => /ENOSPC|disk full|no space/i.test(l));
  record(
    '5',
    died,
    `2 MB tmpfs home filled, 200 adds on execq: ${died ? `daemon DIED (exit ${String(p?.exitCode)}, signal ${String(p?.signalCode)})` : `daemon still running 15 s later, GET /status -> ${String(status)}`}; ${lines.length === 0 ? `no disk-full line (last: ${daemonOutput().trim().split('\n').slice(-1).join('').slice(0, 160)})` : `first disk line: ${(lines[0] ?? '').slice(0, 160)}`}`,
  );
  await stopDaemon();
}

async function main(): Promise<void> {
  console.log(`issue 13 repro against ${buildRoot}`);
  installScripts(home);
  writeFileSync(path.join(root, 'ossec.conf'), CONFIG);
  writeFileSync(alertsFile, '');
  const { started, output } = await startDaemon();
  if (!started) {
    throw new Error(`daemon did not start: ${output}`);
  }
  // Warm-up: one normal alert enforced.
  await call('POST', '/alerts', alertLine('10.65.0.1'));
  await poll(10_000, () => marked('10.65.0.1'));
  const only = process.env['RIPOSTE_REPRO_ONLY']?.split(',');
  for (const step of [
    finding13,
    finding1,
    finding2,
    finding7,
    finding6,
    finding8,
    finding9,
    finding3,
    finding12,
    finding11,
    finding4,
    finding5,
  ]) {
    if (only !== undefined && !only.includes(step.name.replace('finding', ''))) {
      continue;
    }
    try {
      await step();
    } catch (e) {
      record(step.name.replace('finding', ''), undefined, `driver error: ${String(e)}`);
    }
  }
  record('10', undefined, 'not driven here (the in-repo home-safety test compiles on 120650d)');
}

try {
  await main();
} finally {
  await stopDaemon();
  if (process.env['RIPOSTE_REPRO_KEEP'] === '1') {
    console.log(`kept ${root}`);
  } else {
    rmSync(root, { recursive: true, force: true });
  }
}
