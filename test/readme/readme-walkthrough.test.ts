/**
 * The README's walkthrough runs as written (issue #9 acceptance). Blocks the walkthrough marks with
 * an HTML comment right before them are extracted from README.md and executed literally by bash:
 *
 *   <!-- readme-test single-host: daemon ... -->   started in the background (a daemon that keeps
 *                                                   running, as in the README's first shell)
 *   <!-- readme-test single-host -->               run to completion, in order, in one "second
 *                                                   shell" (exported variables carry over)
 *
 * Where: a scratch network namespace the test creates (so the firewall responses act on its
 * nftables only), with HOME and the working directory in a temporary copy of this commit's tree
 * (`git archive HEAD`, node_modules hard-linked from this checkout's install), as a new user's
 * clone on which `npm install` already ran. Between blocks the test checks
 * what the reader is told to expect: the alert's source address ends up in the nftables set and
 * leaves it on revert, and the CLI shows the response and its executions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../e2e/support/daemon-harness.js';

export interface ReadmeBlock {
  readonly walkthrough: string;
  readonly daemon: boolean;
  readonly code: string;
  /** 1-based line of the block's opening fence in README.md. */
  readonly line: number;
}

const MARK = /^<!-- readme-test ([\w-]+)(: daemon)?\b.*-->$/;

/** The marked ```sh blocks of `markdown`, in order. A marker not followed by a block is an error. */
export function markedBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  lines.forEach((text, i) => {
    const m = MARK.exec(text);
    if (m === null) {
      return;
    }
    if (lines[i + 1] !== '```sh') {
      throw new Error(`README.md:${i + 1}: a readme-test marker must be followed by a \`\`\`sh block`);
    }
    const end = lines.indexOf('```', i + 2);
    if (end < 0) {
      throw new Error(`README.md:${i + 2}: unterminated code block`);
    }
    blocks.push({
      walkthrough: m[1] ?? '',
      daemon: m[2] !== undefined,
      code: lines.slice(i + 2, end).join('\n'),
      line: i + 2,
    });
  });
  return blocks;
}

const NS = `riposte-readme-${process.pid}`;
const ADDRESS = '203.0.113.45'; // test/fixtures/alerts/sshd-5712.json's data.srcip
const tree = mkdtempSync(join(tmpdir(), 'riposte-readme-'));
const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
const daemons: ChildProcess[] = [];

function sh(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, timeout: 120_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Environment of a reader's shell: HOME in the temporary tree, the usual PATH. npm keeps this
 * machine's configuration and cache (the namespace has no network: `npm install` must find the
 * installed tree up to date, as on a machine where it already ran; offline, it fails fast if not).
 */
function readerEnv(): NodeJS.ProcessEnv {
  const userconfig = join(homedir(), '.npmrc');
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: tree,
    LANG: 'C.UTF-8',
    npm_config_cache: npmCache,
    npm_config_offline: 'true',
    ...(existsSync(userconfig) ? { npm_config_userconfig: userconfig } : {}),
  };
}

/**
 * Runs one block in its walkthrough's non-daemon shell: variables exported by the walkthrough's
 * earlier blocks carry over.
 */
function runBlock(block: ReadmeBlock): string {
  const state = join(tree, `.readme-test-env-${block.walkthrough}`);
  const script = `[ -f ${state} ] && . ${state}\nset -e -o pipefail\n${block.code}\nexport -p > ${state}\n`;
  const r = spawnSync('ip', ['netns', 'exec', NS, 'bash', '-c', script], {
    cwd: tree,
    env: readerEnv(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(
    r.status,
    0,
    `README.md:${block.line}: the block failed (${String(r.status)}):\n${block.code}\n${r.stdout}\n${r.stderr}`,
  );
  return r.stdout;
}

/**
 * Runs `code` in `block`'s shell until its output matches every pattern of `want` (the reports
 * reach the manager's API after the kernel changes, so a command run at once may be early).
 */
async function untilPrinted(block: ReadmeBlock, code: string, want: readonly RegExp[]): Promise<void> {
  let out = '';
  await waitFor(`\`${code}\` to print ${want.map(String).join(' and ')}`, 60_000, () => {
    out = runBlock({ ...block, code });
    return want.every((re) => re.test(out)) ? true : undefined;
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}\nlast output:\n${out}`);
  });
}

function setMembers(): string {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'set', 'inet', 'riposte', 'blocked4'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout : '';
}

before(() => {
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  // A new user's clone of this commit (tracked files only), sharing the installed node_modules.
  const archive = spawnSync('git', ['archive', '--format=tar', 'HEAD'], { maxBuffer: 1 << 30 });
  assert.equal(archive.status, 0, archive.stderr.toString());
  const untar = spawnSync('tar', ['-xf', '-', '-C', tree], { input: archive.stdout });
  assert.equal(untar.status, 0, untar.stderr.toString());
  // node_modules as installed here, hard-linked (a symlink would be replaced by `npm install`).
  // Files npm or vite may rewrite in place are copies, so the checkout's install never changes.
  const modules = join(tree, 'node_modules');
  sh('cp', ['-al', realpathSync('node_modules'), modules]);
  for (const own of ['.package-lock.json', '.vite', '.vite-temp']) {
    rmSync(join(modules, own), { recursive: true, force: true });
  }
  sh('cp', [realpathSync('node_modules/.package-lock.json'), join(modules, '.package-lock.json')]);
});

/** A daemon block started in the background; `output()` is what it printed so far. */
interface Daemon {
  readonly output: () => string;
  /** Resolves when the output includes `text`; rejects if the block exits first. */
  readonly printed: (text: string, timeoutMs: number) => Promise<void>;
}

function startDaemon(block: ReadmeBlock): Daemon {
  const child = spawn('ip', ['netns', 'exec', NS, 'bash', '-c', `set -e\n${block.code}`], {
    cwd: tree,
    env: readerEnv(),
    detached: true, // its own process group: the test stops bash, npm and node together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemons.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return {
    output: () => out,
    printed: async (text, timeoutMs) => {
      await Promise.race([
        waitFor(`README.md:${block.line} to print "${text}"`, timeoutMs, () =>
          out.includes(text) ? true : undefined,
        ),
        exited.then((code) => {
          throw new Error(`README.md:${block.line}: exited ${String(code)} before "${text}":\n${out}`);
        }),
      ]);
    },
  };
}

/** Stops every daemon block still running (SIGTERM to its process group), in reverse order. */
async function stopDaemons(): Promise<void> {
  for (const child of daemons.splice(0).reverse()) {
    const pid = child.pid;
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-pid, 'SIGTERM');
      await exited;
    }
  }
}

after(async () => {
  try {
    await stopDaemons();
  } finally {
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(tree, { recursive: true, force: true });
  }
});

test(
  'README single-host walkthrough: the address is blocked in the nftables set, then unblocked',
  { timeout: 600_000 },
  async () => {
    const blocks = markedBlocks(readFileSync('README.md', 'utf8')).filter(
      (b) => b.walkthrough === 'single-host',
    );
    const [start, send, revert, ...rest] = blocks;
    assert.ok(start?.daemon === true && send?.daemon === false && revert?.daemon === false, 'marked blocks');
    assert.equal(rest.length, 0);

    // 1. `npm install && npm start`, in the background (the README's first shell).
    await startDaemon(start).printed(' running in ', 540_000);

    // 2. Send the alert, list, history: the address is blocked in the namespace's nftables set.
    const out = runBlock(send);
    assert.match(out, /"accepted":1,.*"orders":1/, out);
    await waitFor(`${ADDRESS} in inet riposte blocked4`, 30_000, () =>
      setMembers().includes(ADDRESS) ? true : undefined,
    );
    await untilPrinted(send, 'node dist/src/cli/main.js ar list', [
      new RegExp(`firewall-drop.*${ADDRESS.replace(/\./g, '\\.')}`),
    ]);

    // 3. Revert: the address leaves the set, and the history shows the add and the delete.
    const reverted = runBlock(revert);
    assert.match(reverted, new RegExp(ADDRESS.replace(/\./g, '\\.')));
    await waitFor(`${ADDRESS} out of inet riposte blocked4`, 30_000, () =>
      setMembers().includes(ADDRESS) ? undefined : true,
    );
    await untilPrinted(send, 'node dist/src/cli/main.js ar history', [
      /\badd\b.*firewall-drop.*\bok\b/,
      /\bdelete\b.*firewall-drop.*\bok\b/,
    ]);
  },
);

test(
  'README manager walkthrough: an agent enrolled with the printed fingerprint blocks the address, the API reverts it',
  { timeout: 300_000 },
  async () => {
    await stopDaemons(); // the single-host daemon: agent 001 gets the namespace's nftables to itself
    assert.ok(existsSync(join(tree, 'dist/src/cli/main.js')), 'the single-host walkthrough built the tree');
    const blocks = markedBlocks(readFileSync('README.md', 'utf8')).filter((b) => b.walkthrough === 'manager');
    const [manager, agent, send, revert, ...rest] = blocks;
    assert.ok(
      manager?.daemon === true &&
        agent?.daemon === true &&
        send?.daemon === false &&
        revert?.daemon === false,
      'marked blocks',
    );
    assert.equal(rest.length, 0);

    // First shell: the manager, which writes its fingerprint before printing its start lines.
    await startDaemon(manager).printed('admin API token file: ', 120_000);
    // Second shell: `agent enroll --ca-fingerprint "$(cat ...)"` (fails on a mismatch), then the agent.
    const agentShell = startDaemon(agent);
    await agentShell.printed(' running in ', 120_000);
    assert.match(agentShell.output(), /\b001\b/, agentShell.output());
    // The reader waits until the agent is up; the test until the manager lists it as connected.
    const env =
      'export RIPOSTE_URL=https://127.0.0.1:1515 RIPOSTE_TOKEN=$(cat ./manager-home/var/admin.token) RIPOSTE_CA=./manager-home/etc/pki/ca.pem';
    let agents = '';
    await waitFor('agent 001 active in `agents list`', 60_000, () => {
      agents = runBlock({
        ...send,
        walkthrough: 'manager-probe',
        code: `${env}\nnode dist/src/cli/main.js agents list`,
      });
      return /^001\s+web-01\s+active\b/m.test(agents) ? true : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${agents}\n${agentShell.output()}`);
    });

    // Third shell: the alert through the manager's API; agent 001 puts the address in its set.
    const out = runBlock(send);
    assert.match(out, /"accepted":1\b/, out);
    await waitFor(`${ADDRESS} in inet riposte blocked4`, 60_000, () =>
      setMembers().includes(ADDRESS) ? true : undefined,
    );
    await untilPrinted(send, 'node dist/src/cli/main.js ar list', [
      new RegExp(
        `001.*firewall-drop.*${ADDRESS.replace(/\./g, '\\.')}|firewall-drop.*${ADDRESS.replace(/\./g, '\\.')}.*001`,
      ),
    ]);

    // Revert through the API: the address leaves the set; the history shows the add and the delete.
    runBlock(revert);
    await waitFor(`${ADDRESS} out of inet riposte blocked4`, 60_000, () =>
      setMembers().includes(ADDRESS) ? undefined : true,
    );
    await untilPrinted(send, 'node dist/src/cli/main.js ar history', [
      /\badd\b.*firewall-drop.*\bok\b/,
      /\bdelete\b.*firewall-drop.*\bok\b/,
    ]);
  },
);
