/**
 * Issue 13 repro driver: replays findings 1, 2, 6, 7, 9, 11, 12 and 13 against ANY build of Riposte
 * through public entry points only (the `riposte manager` CLI, its execq datagrams, alerts.json
 * lines, HTTPS `POST /alerts`, `PUT /active-response`, `GET /executions`, `POST /enroll`, files in
 * the home). It imports nothing from the project, so it runs against the pre-fix code (120650d) too.
 *
 *   node dist/test/regress/issue13-repro.js <build-root>      (root holding dist/src/cli/main.js)
 *
 * Prints, per finding, "reproduced" (the attack worked: the build is vulnerable) or "not
 * reproduced" with the evidence observed. Loopback only; the `mark` fixture script stands in for
 * firewall-drop (same execd path, per-program queue and white-list checks; it never touches the
 * host firewall). Waits are bounded polls; a daemon is stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import unixDgram from 'unix-dgram';

const buildRoot = path.resolve(process.argv[2] ?? '.');
const MAIN = path.join(buildRoot, 'dist', 'src', 'cli', 'main.js');
const MARK = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../../test/manager/fixtures/mark',
);

const CONFIG = `<ossec_config>
  <global><white_list>10.1.2.3</white_list></global>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <command><name>markx</name><executable>markx</executable><timeout_allowed>yes</timeout_allowed></command>
  <command><name>markapi</name><executable>markapi</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100002</rules_id><timeout>600</timeout></active-response>
  <command><name>quarantine</name><executable>quarantine</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>quarantine</command><location>local</location><rules_id>999997</rules_id><timeout>600</timeout></active-response>
  <active-response><command>markx</command><location>local</location><rules_id>999998</rules_id><timeout>600</timeout></active-response>
  <active-response><command>markapi</command><location>local</location><rules_id>999999</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = mkdtempSync(path.join(tmpdir(), 'issue13-repro-'));
const home = path.join(root, 'home');
const alertsFile = path.join(root, 'alerts.json');
const results: { finding: string; reproduced: boolean | undefined; evidence: string }[] = [];
let daemon: ChildProcess | undefined;
let port = 0;
let n = 0;

const deep = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
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
const deepAlertLine = (srcip: string, depth: number): string =>
  alertLine(srcip).replace(`"data":{`, `"data":{"x":${deep(depth)},`);
const alertLine = (srcip: string): string =>
  JSON.stringify({
    timestamp: '2026-11-20T08:15:17.123+0000',
    rule: { level: 10, description: 'test', id: '100002', groups: ['test'] },
    agent: { id: '000', name: 'host-000' },
    id: `1763626517.${++n}`,
    data: { srcip },
  });

async function poll(ms: number, probe: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (probe()) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return probe();
}

function record(finding: string, reproduced: boolean | undefined, evidence: string): void {
  results.push({ finding, reproduced, evidence });
  const verdict = reproduced === undefined ? 'not run' : reproduced ? 'reproduced' : 'not reproduced';
  console.log(`finding ${finding}: ${verdict} — ${evidence}`);
}

function sendDatagram(text: string): Promise<string> {
  const socket = unixDgram.createSocket('unix_dgram');
  const buf = Buffer.from(text);
  return new Promise((resolve) => {
    socket.send(buf, 0, buf.length, path.join(home, 'queue', 'alerts', 'execq'), (err?: Error) => {
      socket.close();
      resolve(err === undefined ? 'sent' : `send error ${String(err)}`);
    });
  });
}

interface Answer {
  status: number;
  text: string;
}

function call(
  method: string,
  urlPath: string,
  payload: string,
  opts: { readonly type?: string; readonly auth?: boolean } = {},
): Promise<Answer> {
  const { type = 'application/json', auth = true } = opts;
  const ca = readFileSync(path.join(home, 'etc', 'pki', 'ca.pem'));
  const token = readFileSync(path.join(home, 'var', 'admin.token'), 'utf8').trim();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        ca,
        checkServerIdentity: () => undefined,
        headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), 'content-type': type },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on('error', (e) => {
      resolve({ status: 0, text: String(e) });
    });
    req.end(payload);
  });
}

/** Starts `riposte manager` on a free loopback port; resolves with its output so far or undefined if it did not start. */
async function startDaemon(): Promise<{ started: boolean; output: string }> {
  const p = spawn(
    process.execPath,
    [
      MAIN,
      'manager',
      '-c',
      path.join(root, 'ossec.conf'),
      '--home',
      home,
      '--listen',
      '127.0.0.1:0',
      '--alerts',
      alertsFile,
      '--alerts-from',
      'beginning',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  daemon = p;
  let output = '';
  p.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  p.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
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

async function main(): Promise<void> {
  console.log(`issue 13 repro against ${buildRoot}`);
  const bin = path.join(home, 'active-response', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const name of ['mark', 'markx', 'markapi']) {
    copyFileSync(MARK, path.join(bin, name));
    chmodSync(path.join(bin, name), 0o755);
  }
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
    finding12,
    finding11,
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
  record('3, 4, 5, 10', undefined, 'not driven here (see docs/security.md)');
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
