/**
 * The web console with 100,000 active responses, entered where a user enters: a real
 * `riposte manager` (HTTPS on loopback) whose store holds 100,000 active responses of agent 001,
 * and Debian's chromium (playwright-core) signed in to the console. Measured, median of ROUNDS:
 * - "page load": from navigation to `/console/#/active` until the first rows and the total show;
 * - "filter": from typing a CIDR in the IP filter until the filtered rows and total show
 *   (includes the console's 250 ms input debounce);
 * - the API part: `GET /active-responses?limit=200` (first page) and with a CIDR filter, timed
 *   in the page with fetch.
 * Baseline in the same run: loading the Agents page (two rows). Target (issue #10): < 1 s each.
 * Also reported: the console's initial JS + CSS, gzip (target < 150 KB).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import type { BenchModule, BenchReport } from './bench-types.js';
import { loadNote, quantile } from './agent-home.js';
import { openSqliteManagerStore } from '../src/store/sqlite-manager-store.js';

export const name = 'console';

const ACTIVE = 100_000;
const ROUNDS = 5;
const TARGET_MS = 1000;
const CHROMIUM = '/usr/bin/chromium';
const CLI = path.resolve('dist/src/cli/main.js');
const CONFIG = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>5763</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

/** Fills the manager store with `n` active responses of agent 001 (addresses 10.x.y.z). */
async function seedStore(home: string, n: number): Promise<void> {
  fs.mkdirSync(path.join(home, 'var'), { recursive: true });
  const store = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
  const now = Date.now();
  try {
    await store.insertAgent({
      id: '001',
      name: 'web-01',
      fingerprint: 'AA:BB',
      registeredAt: now,
      removedAt: undefined,
      lastSeen: now,
      version: '0.1.0',
      address: '127.0.0.1',
      arDisabled: false,
    });
    await store.batch(async (tx) => {
      for (let i = 0; i < n; i++) {
        const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        await tx.putActive(
          {
            key: `firewall-drop-${ip}`,
            arName: i % 3 === 0 ? 'host-deny600' : 'firewall-drop600',
            program: 'active-response/bin/firewall-drop',
            deleteMessage: `{"command":"delete","srcip":"${ip}"}`,
            addMessage: `{"command":"add","srcip":"${ip}"}`,
            agentId: '001',
            createdAt: now - i * 1000,
            addedAt: now - i * 1000,
            timeoutSec: 600_000,
            expiresAt: now - i * 1000 + 600_000_000,
            repeatCount: 1 + (i % 4),
            alertId: `1764482400.${i}`,
            ruleId: 5763,
            srcip: ip,
            user: i % 10 === 0 ? 'root' : undefined,
          },
          now,
        );
      }
    });
  } finally {
    await store.close();
  }
}

/** The console's initial assets (what index.html loads), gzip-compressed, in bytes. */
export function initialAssetsGzipBytes(): number {
  const dir = path.resolve('dist/console');
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map(
    (m) => m[1] ?? '',
  );
  return refs.reduce((sum, rel) => sum + gzipSync(fs.readFileSync(path.join(dir, rel))).length, 0);
}

async function timeUntil(page: Page, action: () => Promise<unknown>, text: string): Promise<number> {
  const t0 = Date.now();
  await action();
  await page.getByText(text).first().waitFor({ timeout: 30_000 });
  return Date.now() - t0;
}

async function startManager(home: string, port: number): Promise<() => Promise<void>> {
  const conf = path.join(home, 'ossec.conf');
  fs.writeFileSync(conf, CONFIG);
  const args = [
    CLI,
    'manager',
    '-c',
    conf,
    '--home',
    home,
    '--listen',
    `127.0.0.1:${port}`,
    '--no-local-agent',
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!/listening on/.test(out)) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error(`console bench: manager did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
}

async function measure(page: Page, origin: string): Promise<Record<string, number[]>> {
  const m: Record<string, number[]> = { load: [], filter: [], apiPage: [], apiFilter: [], agents: [] };
  const total = `${ACTIVE.toLocaleString('en-US')} active`;
  for (let i = 0; i < ROUNDS; i++) {
    await page.goto('about:blank');
    m['agents']?.push(await timeUntil(page, () => page.goto(`${origin}/console/#/agents`), 'web-01'));
    await page.goto('about:blank');
    m['load']?.push(await timeUntil(page, () => page.goto(`${origin}/console/#/active`), total));
    await page.getByText('1764482400.0', { exact: true }).waitFor();
    const cidr = `10.0.${i + 1}.0/24`;
    m['filter']?.push(await timeUntil(page, () => page.getByLabel('IP or CIDR').fill(cidr), '256 active'));
    const api = await page.evaluate(async (c) => {
      const t0 = performance.now();
      await (await fetch('/active-responses?limit=200&sort=since&order=desc')).json();
      const t1 = performance.now();
      await (await fetch(`/active-responses?limit=200&ip=${encodeURIComponent(c)}`)).json();
      return [t1 - t0, performance.now() - t1];
    }, `10.1.${i}.0/24`);
    m['apiPage']?.push(api[0] ?? NaN);
    m['apiFilter']?.push(api[1] ?? NaN);
  }
  return m;
}

async function run(): Promise<BenchReport[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-console-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const gzip = initialAssetsGzipBytes();
  await seedStore(home, ACTIVE);
  const stop = await startManager(home, port);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  let m: Record<string, number[]>;
  try {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const origin = `https://127.0.0.1:${port}`;
    await page.goto(`${origin}/console/`);
    await page
      .getByLabel('API token')
      .fill(fs.readFileSync(path.join(home, 'var', 'admin.token'), 'utf8').trim());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    m = await measure(page, origin);
  } finally {
    await browser.close();
    await stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const base = quantile(m['agents'] ?? [], 0.5);
  const note = `median of ${ROUNDS}, ${ACTIVE.toLocaleString('en-US')} active; chromium + riposte manager on loopback; ${loadNote()}`;
  const row = (label: string, key: string): BenchReport => {
    const value = quantile(m[key] ?? [], 0.5);
    return {
      name: label,
      value,
      unit: 'ms',
      baseline: base,
      ratio: value / base,
      target: TARGET_MS,
      lowerIsBetter: true,
      note,
    };
  };
  return [
    row('console: Active page load, 100k active', 'load'),
    row('console: Active filter by CIDR, 100k active', 'filter'),
    row('GET /active-responses first page, 100k (part)', 'apiPage'),
    row('GET /active-responses CIDR filter, 100k (part)', 'apiFilter'),
    {
      name: 'console: initial JS+CSS (gzip)',
      value: gzip / 1024,
      unit: 'KB',
      target: 150,
      lowerIsBetter: true,
      note: 'assets loaded by /console/ index.html',
    },
  ];
}

export const consoleActive: BenchModule = { name, run };
