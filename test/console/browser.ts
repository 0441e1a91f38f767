/**
 * Test support for the web console: Debian's chromium driven by playwright-core, optionally inside
 * a network namespace (a wrapper script execs `ip netns exec NS /usr/bin/chromium`; playwright
 * talks to the browser over pipes, so the namespace does not matter to it), sign-in, and axe-core.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined. */
export function browserSkipReason(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not installed (apt-get install chromium)`;
}

/** Launches headless chromium, inside namespace `ns` when given (wrapper written to `dir`). */
export async function launchChromium(dir: string, ns?: string): Promise<Browser> {
  let executablePath = CHROMIUM;
  if (ns !== undefined) {
    executablePath = path.join(dir, 'chromium-in-netns.sh');
    fs.writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`, {
      mode: 0o755,
    });
  }
  return chromium.launch({ executablePath, headless: true, args: ['--disable-dev-shm-usage'] });
}

/** Opens a page on the console (self-signed manager CA accepted) and records CSP violations. */
export async function openConsole(
  browser: Browser,
  origin: string,
): Promise<{ page: Page; cspViolations: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1400, height: 860 },
  });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) {
      cspViolations.push(msg.text());
    }
  });
  await gotoSettled(page, `${origin}/console/`);
  return { page, cspViolations, close: () => context.close() };
}

/**
 * page.goto, again when Chromium aborts it with ERR_NETWORK_CHANGED: Chromium cancels in-flight
 * navigations when it sees an address change, and the browser's namespace was just set up (its
 * IPv6 addresses leave their tentative state a moment later). The aborted navigation then loads
 * Chromium's error page, which would interrupt an immediate retry, so each retry first waits for
 * that page to load. Bounded: 10 attempts; any other error is thrown at once.
 */
export async function gotoSettled(page: Page, url: string): Promise<void> {
  const retryable = /ERR_NETWORK_CHANGED|interrupted by another navigation/;
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      return;
    } catch (err) {
      if (attempt >= 10 || !(err instanceof Error) || !retryable.test(err.message)) {
        throw err;
      }
      await page.waitForLoadState('load').catch(() => undefined);
    }
  }
}

/** Signs in on the sign-in form with `token`; resolves once the navigation bar shows. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol (the page's CSP forbids injected script tags, rightly).
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`${AXE_SOURCE}\n;0`);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[];
          }>;
        };
      }
    ).axe;
    const r = await axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Calls the API from the page (same origin, session cookie, the session's CSRF token). */
export async function pageApi(
  page: Page,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ([m, u, b]) => {
      const me = (await (await fetch('/session')).json()) as { csrf?: string };
      const headers: Record<string, string> = { 'x-csrf-token': me.csrf ?? '' };
      if (b !== undefined) {
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(u, {
        method: m,
        headers,
        ...(b === undefined ? {} : { body: JSON.stringify(b) }),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    [method, url, body] as const,
  );
}
