/**
 * The web console end to end, in a real browser: `riposte manager` (with its in-process agent 000
 * and the stock nftables firewall-drop) runs inside a "victim" network namespace; Debian's chromium,
 * driven by playwright-core, runs in the same namespace. An operator signs in, watches an alert's
 * block appear live on the Active page (server-sent events, no reload), reverts it from there and
 * the attacker namespace can connect again (kernel state, checked with nft and a TCP connect); a
 * read-only user sees no revert control and the API refuses the revert anyway; an admin lists and
 * removes an enrollment token; Rules runs a fresh check of the file; Simulate picks the real recent
 * alert and explains an alert; the main path works with the keyboard alone; axe-core finds no serious
 * accessibility violation; the strict CSP is never violated.
 *
 * With RIPOSTE_CONSOLE_SCREENSHOTS=1 it also writes docs/console/<page>.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  canConnect,
  inNs,
  netnsSkipReason,
  setupVictim,
  teardownVictim,
  type NetnsPair,
} from './netns-fixture.js';
import { waitFor } from '../e2e/support/daemon-harness.js';
import {
  browserSkipReason,
  launchChromium,
  openConsole,
  pageApi,
  seriousA11yViolations,
  signIn,
} from '../console/browser.js';

const skip = netnsSkipReason() ?? browserSkipReason();
const SCREENSHOTS = process.env['RIPOSTE_CONSOLE_SCREENSHOTS'] === '1';

const CONFIG = `<ossec_config>
  <global><white_list>127.0.0.1</white_list></global>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <command><name>route-null</name><executable>route-null</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>5763</rules_id><timeout>600</timeout></active-response>
  <active-response><command>route-null</command><location>local</location><level>14</level><timeout>1800</timeout></active-response>
</ossec_config>
`;

let pair: NetnsPair | undefined;
let listener: ChildProcess | undefined;
let home = '';
let manager: ChildProcess | undefined;
let managerOut = '';
let browser: Browser | undefined;
let origin = '';
let alertsFile = '';
let adminToken = '';
let seq = 0;

function alert(srcip: string, ruleId = '5763', level = 10): string {
  seq++;
  return JSON.stringify({
    timestamp: new Date().toISOString().replace('Z', '+0000'),
    rule: {
      level,
      description: 'sshd: brute force',
      id: ruleId,
      groups: ['syslog', 'sshd', 'authentication_failures'],
    },
    agent: { id: '000', name: 'victim' },
    id: `1764482400.${seq}`,
    data: { srcip, srcuser: 'root' },
  });
}

function nftRuleset(): string {
  return inNs(pair!.victim, ['nft', 'list', 'ruleset'], { allowFail: true });
}

before(async () => {
  if (skip !== undefined) {
    return;
  }
  ({ home, pair, listener } = await setupVictim('riposte-console-'));
  const conf = path.join(home, 'ossec.conf');
  alertsFile = path.join(home, 'alerts.json');
  writeFileSync(conf, CONFIG);
  writeFileSync(alertsFile, '');
  const port = pair.port + 1;
  manager = spawn(
    'ip',
    [
      'netns',
      'exec',
      pair.victim,
      process.execPath,
      path.resolve('dist/src/cli/main.js'),
      'manager',
      '-c',
      conf,
      '--home',
      home,
      '--listen',
      `${pair.victim4}:${port}`,
      '--alerts',
      alertsFile,
      '--alerts-from',
      'beginning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  manager.stdout?.on('data', (c: Buffer) => (managerOut += c.toString()));
  manager.stderr?.on('data', (c: Buffer) => (managerOut += c.toString()));
  await waitFor(`manager up (${managerOut})`, 30_000, () =>
    /listening on/.test(managerOut) ? true : undefined,
  );
  origin = `https://${pair.victim4}:${port}`;
  adminToken = readFileSync(path.join(home, 'var', 'admin.token'), 'utf8').trim();
  browser = await launchChromium(home, pair.victim);
});

after(async () => {
  await browser?.close();
  if (manager && manager.exitCode === null) {
    const exited = new Promise((r) => manager!.once('exit', r));
    manager.kill('SIGTERM');
    await exited;
  }
  teardownVictim({ home, pair, listener });
});

async function shoot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) {
    mkdirSync('docs/console', { recursive: true });
    await page.screenshot({ path: `docs/console/${name}.png` });
  }
}

/** More blocks (namespace addresses only) so the screenshots show a populated console. */
async function seedForScreenshots(page: Page): Promise<void> {
  const n = pair!.victim4.split('.')[2] ?? '1';
  const lines: string[] = [];
  for (let i = 10; i < 40; i++) {
    lines.push(alert(`10.231.${n}.${i}`));
  }
  appendFileSync(alertsFile, `${lines.join('\n')}\n`);
  await page.getByRole('link', { name: 'Active responses' }).click();
  await page
    .getByRole('row')
    .filter({ hasText: `firewall-drop-10.231.${n}.39` })
    .waitFor({ timeout: 20_000 });
}

/** An unused enrollment token, so the Agents screenshot shows the token list (admin only). */
async function createTokenForScreenshot(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page.getByLabel('Agent name').fill('web-10');
  await page.getByRole('button', { name: 'Create enrollment token' }).click();
  await page.getByRole('row').filter({ hasText: 'web-10' }).getByText('unused').waitFor({ timeout: 10_000 });
}

/** Polls an async condition until it answers (not undefined), bounded by `ms`. */
async function waitForAsync<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The accessible name of the focused element (aria-label, else its label, else its text), evaluated
 * in the page as a string expression (the test's TypeScript has no DOM types).
 */
const FOCUSED_NAME = `(() => {
  const el = document.activeElement;
  if (!el) return '';
  const aria = el.getAttribute('aria-label');
  if (aria) return aria;
  if (el.labels && el.labels.length > 0) return (el.labels[0].textContent || '').trim();
  return (el.textContent || '').trim();
})()`;

/** Presses Tab, as a keyboard user would, until the element named `name` has the focus (bounded). */
async function tabTo(page: Page, name: string, maxPresses = 120): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    const focused: unknown = await page.evaluate(FOCUSED_NAME);
    if (focused === name) {
      return;
    }
  }
  throw new Error(`"${name}" not reached with ${maxPresses} presses of Tab`);
}

async function assertAccessible(page: Page, where: string): Promise<void> {
  const violations = await seriousA11yViolations(page);
  assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations)}`);
}

describe('web console in chromium, manager + agent in a namespace', { skip }, () => {
  test('sign in, see a block appear live, revert it from the Active page, attacker unblocked', async () => {
    const p = pair!;
    const c = await openConsole(browser!, origin);
    try {
      const { page } = c;
      await assertAccessible(page, 'sign-in page');
      await signIn(page, adminToken);
      await page.getByRole('link', { name: 'Active responses' }).click();
      await page.getByText('Live', { exact: true }).waitFor();
      assert.equal(canConnect(p, 4), true, 'connects before');
      appendFileSync(alertsFile, `${alert(p.attacker4)}\n`);
      const key = `firewall-drop-${p.attacker4}`;
      const row = page.getByRole('row').filter({ hasText: key });
      await row.waitFor({ timeout: 20_000 });
      await waitFor('the block in the kernel', 10_000, () => (canConnect(p, 4) ? undefined : true));
      assert.match(nftRuleset(), new RegExp(p.attacker4.replace(/\./g, '\\.')));
      await assertAccessible(page, 'active page');
      await row.getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Revert selected (1)' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(`unblocks ${p.attacker4}`).waitFor();
      await assertAccessible(page, 'revert confirmation');
      await dialog.getByRole('button', { name: 'Revert 1' }).click();
      await dialog.getByText(`Revert queued: ${key} on agent 000`).waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
      await waitFor('the unblock in the kernel', 15_000, () => (canConnect(p, 4) ? true : undefined));
      assert.doesNotMatch(nftRuleset(), new RegExp(`${p.attacker4.replace(/\./g, '\\.')}\\b`));
      await row.waitFor({ state: 'detached', timeout: 10_000 });
      assert.deepEqual(c.cspViolations, []);
    } finally {
      await c.close();
    }
  });

  test('a read-only user sees no revert control, and the API refuses a revert', async () => {
    const p = pair!;
    const admin = await openConsole(browser!, origin);
    let readToken = '';
    try {
      await signIn(admin.page, adminToken);
      const minted = await pageApi(admin.page, 'POST', '/tokens', { name: 'viewer', role: 'read' });
      assert.equal(minted.status, 201);
      readToken = (minted.body as { token: string }).token;
    } finally {
      await admin.close();
    }
    appendFileSync(alertsFile, `${alert(p.attacker6)}\n`);
    const key = `firewall-drop-${p.attacker6}`;
    await waitFor('the IPv6 block', 20_000, () => (canConnect(p, 6) ? undefined : true));
    const c = await openConsole(browser!, origin);
    try {
      const { page } = c;
      await signIn(page, readToken);
      await page.getByRole('link', { name: 'Active responses' }).click();
      await page.getByRole('row').filter({ hasText: key }).waitFor({ timeout: 10_000 });
      assert.equal(await page.getByRole('button', { name: /Revert selected/ }).count(), 0);
      assert.equal(await page.getByRole('checkbox').count(), 0);
      const refused = await pageApi(page, 'DELETE', `/active-responses/${encodeURIComponent(key)}`);
      assert.equal(refused.status, 403);
      assert.equal(canConnect(p, 6), false, 'still blocked');
    } finally {
      await c.close();
    }
  });

  test('keyboard only: sign in, open the Active page, select a row, open the revert confirmation and dismiss it with Escape', async () => {
    const c = await openConsole(browser!, origin);
    try {
      const { page } = c;
      const n = pair!.victim4.split('.')[2] ?? '1';
      const ip = `10.231.${n}.200`;
      const key = `firewall-drop-${ip}`;
      await tabTo(page, 'API token');
      await page.keyboard.type(adminToken);
      await page.keyboard.press('Enter');
      await page.getByRole('navigation', { name: 'Pages' }).waitFor();
      appendFileSync(alertsFile, `${alert(ip)}\n`);
      await tabTo(page, 'Active responses');
      await page.keyboard.press('Enter');
      const row = page.getByRole('row').filter({ hasText: key });
      await row.waitFor({ timeout: 20_000 });
      await tabTo(page, `Select ${key} on agent 000`);
      await page.keyboard.press('Space');
      assert.equal(await row.getByRole('checkbox').isChecked(), true, 'Space selects the row');
      await tabTo(page, 'Revert selected (1)');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.getByText(`unblocks ${ip}`).waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await row.count(), 1, 'Escape reverted nothing');
      assert.deepEqual(c.cspViolations, []);
    } finally {
      await c.close();
    }
  });

  test('enrollment tokens listed and removed on the Agents page; Rules runs a fresh check; Simulate picks the real recent alert', async () => {
    const c = await openConsole(browser!, origin);
    const conf = path.join(home, 'ossec.conf');
    try {
      const { page } = c;
      await signIn(page, adminToken);
      await page.getByRole('link', { name: 'Agents', exact: true }).click();
      await page.getByLabel('Agent name').fill('web-09');
      await page.getByRole('button', { name: 'Create enrollment token' }).click();
      const tokenRow = page.getByRole('row').filter({ hasText: 'web-09' });
      await tokenRow.getByText('unused').waitFor({ timeout: 10_000 });
      await assertAccessible(page, 'agents page with tokens');
      page.once('dialog', (d) => void d.accept());
      await tokenRow.getByRole('button', { name: /Remove enrollment token/ }).click();
      await tokenRow.waitFor({ state: 'detached', timeout: 10_000 });
      const listed = await pageApi(page, 'GET', '/agents/tokens');
      assert.equal(listed.status, 200);
      assert.ok(!JSON.stringify(listed.body).includes('web-09'), 'removed on the server');

      await page.getByRole('link', { name: 'Rules', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'valid' }).waitFor({ timeout: 10_000 });
      writeFileSync(conf, CONFIG.replace('<timeout>600</timeout>', '<timeout>soon</timeout>'));
      await page.getByRole('button', { name: 'Run check again' }).click();
      await page.getByRole('status').filter({ hasText: 'invalid' }).waitFor({ timeout: 10_000 });
      await page
        .getByLabel('Check diagnostics')
        .getByText(/timeout/)
        .first()
        .waitFor();
      writeFileSync(conf, CONFIG);

      const n = pair!.victim4.split('.')[2] ?? '1';
      const line = alert(`10.231.${n}.77`);
      const id = (JSON.parse(line) as { id: string }).id;
      appendFileSync(alertsFile, `${line}\n`);
      await waitForAsync('the alert among the recent ones', 20_000, async () => {
        const r = await pageApi(page, 'GET', '/alerts/recent?limit=1');
        return JSON.stringify(r.body).includes(id) ? true : undefined;
      });
      await page.getByRole('link', { name: 'Simulate' }).click();
      await page.getByRole('button', { name: 'Pick a recent alert' }).click();
      const text = page.getByLabel('Alert JSON');
      await waitForAsync('the picked alert in the text box', 10_000, async () =>
        (await text.inputValue()).includes(id) ? true : undefined,
      );
      const picked = JSON.parse(await text.inputValue()) as {
        rule: { description: string };
        data: { srcip: string };
      };
      assert.equal(
        picked.rule.description,
        'sshd: brute force',
        'the whole alert, not a rebuilt minimal one',
      );
      assert.equal(picked.data.srcip, `10.231.${n}.77`);
      await page.getByRole('button', { name: 'Explain' }).click();
      await page
        .getByRole('row')
        .filter({ hasText: 'firewall-drop600' })
        .getByText('fires', { exact: true })
        .waitFor();
      assert.deepEqual(c.cspViolations, []);
    } finally {
      writeFileSync(conf, CONFIG);
      await c.close();
    }
  });

  test('simulate an alert: the explanation says which response fires and why the other does not', async () => {
    const c = await openConsole(browser!, origin);
    try {
      const { page } = c;
      await signIn(page, adminToken);
      await page.getByRole('link', { name: 'Simulate' }).click();
      await page.getByLabel('Alert JSON').fill(alert('10.231.0.99'));
      await page.getByRole('button', { name: 'Explain' }).click();
      const fires = page.getByRole('row').filter({ hasText: 'firewall-drop600' });
      await fires.getByText('fires', { exact: true }).waitFor();
      const no = page.getByRole('row').filter({ hasText: 'route-null1800' });
      await no.getByText(/level 10 < 14/).waitFor();
      await assertAccessible(page, 'simulate page');
      if (SCREENSHOTS) {
        await seedForScreenshots(page);
        await createTokenForScreenshot(page);
      }
      for (const [link, name] of [
        ['Overview', 'overview'],
        ['Active responses', 'active'],
        ['History', 'history'],
        ['Agents', 'agents'],
        ['Rules', 'rules'],
      ] as const) {
        await page.getByRole('link', { name: link, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: link }).waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        await assertAccessible(page, `${name} page`);
        await shoot(page, name);
      }
      if (SCREENSHOTS) {
        await page.getByRole('link', { name: 'Simulate' }).click();
        await page.getByRole('button', { name: 'Pick a recent alert' }).click();
        await page.getByRole('button', { name: 'Explain' }).click();
        await page.getByRole('row').filter({ hasText: 'firewall-drop600' }).getByText('fires').waitFor();
        await shoot(page, 'simulate');
      }
      assert.deepEqual(c.cspViolations, []);
    } finally {
      await c.close();
    }
  });
});
