/**
 * disable-account on a real user the test creates (`riptest<random>`) and removes: lock, expiry,
 * sessions ended, unlock, idempotency, and rejected names that never reach usermod.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { disableAccount } from '../../src/scripts/disable-account.js';
import { alertWith, arMessage, runInProcess, tempDir } from './stock-b/harness.js';

const user = `riptest${randomBytes(4).toString('hex')}`;
const home = tempDir('disable-account');
const INVALID_LOG = "Cannot read 'dstuser' from data or invalid username format";

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `passwd -S` status letter: L locked, P usable password, NP none. */
const passwdStatus = (): string => sh('passwd', ['-S', user]).split(' ')[1] ?? '';
const accountExpires = (): string => /Account expires\s*:\s*(.*)/.exec(sh('chage', ['-l', user]))?.[1] ?? '';

function run(command: string, dstuser: unknown): ReturnType<typeof runInProcess> {
  return runInProcess(
    disableAccount,
    home,
    arMessage(command, alertWith({ dstuser }), [], 'disable-account'),
  );
}

/** Starts `sleep 300` as the user; resolves its exit signal when it ends. */
function sessionProcess(): { child: ChildProcess; ended: Promise<NodeJS.Signals | null> } {
  const child = spawn('runuser', ['-u', user, '--', 'sleep', '300'], { stdio: 'ignore' });
  const ended = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_c, sig) => {
      resolve(sig);
    }),
  );
  return { child, ended };
}

async function waitForUserProcess(): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (spawnSync('pgrep', ['-u', user]).status === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('the user process did not start');
}

void describe('disable-account (real user)', () => {
  before(() => {
    sh('useradd', ['--no-create-home', '--shell', '/bin/sh', user]);
    const chpasswd = spawnSync('chpasswd', [], { input: `${user}:Rip-${randomBytes(8).toString('hex')}\n` });
    assert.equal(chpasswd.status, 0);
  });
  after(() => {
    spawnSync('pkill', ['-KILL', '-u', user]);
    spawnSync('userdel', ['--remove', user]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  void test('add locks and expires the account and kills its processes; repeat is idempotent', async () => {
    assert.equal(passwdStatus(), 'P');
    const session = sessionProcess();
    await waitForUserProcess();
    const r = await run('add', user);
    assert.equal(r.code, 0, r.log.join('\n'));
    assert.deepEqual(
      r.written.map((l) => (JSON.parse(l) as { parameters: unknown }).parameters),
      [{ keys: [user] }],
    );
    assert.equal(r.log.at(-1), 'Ended');
    assert.equal(passwdStatus(), 'L');
    assert.equal(accountExpires(), 'Jan 02, 1970');
    // runuser itself is root-owned: its child, the user's sleep, is killed and runuser exits.
    await session.ended;
    assert.notEqual(spawnSync('pgrep', ['-u', user]).status, 0, 'no process of the user is left');

    const again = await run('add', user);
    assert.equal(again.code, 0);
    assert.equal(passwdStatus(), 'L');
  });

  void test('delete unlocks and un-expires; repeat is idempotent', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await run('delete', user);
      assert.equal(r.code, 0, r.log.join('\n'));
      assert.equal(passwdStatus(), 'P');
      assert.equal(accountExpires(), 'never');
    }
  });

  void test('unknown user: exit 255 "User ... does not exist"', async () => {
    const r = await run('add', `${user}x`);
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), `User '${user}x' does not exist`);
  });

  void test("names Wazuh's is_valid_username accepts (test$user, a;id, $(id)) pass as one argv element", async () => {
    for (const dstuser of ['test$user', `${user};id`, '$(id)']) {
      const r = await run('add', dstuser);
      assert.equal(r.code, 255, dstuser);
      assert.notDeepEqual(r.written, [], 'check_keys sent: the name was accepted');
      assert.equal(r.log.at(-1), `User '${dstuser}' does not exist`);
    }
    assert.equal(passwdStatus(), 'P');
  });

  void test('root, separators, leading dash, missing field: exit 255 before the handshake, account untouched', async () => {
    const bad = ['root', `${user}\nid`, `-e${user}`, '../etc', `a b`, 'x:y', 42, undefined, ''];
    for (const dstuser of bad) {
      const r = await run('add', dstuser);
      assert.equal(r.code, 255, JSON.stringify(dstuser));
      assert.equal(r.log.at(-1), INVALID_LOG);
      assert.deepEqual(r.written, [], 'no check_keys sent');
    }
    assert.equal(passwdStatus(), 'P');
  });

  void test('unknown command: exit 255, account untouched', async () => {
    const r = await run('lock', user);
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), "Invalid value of 'command'");
    assert.equal(passwdStatus(), 'P');
  });
});
