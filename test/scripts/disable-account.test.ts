/**
 * disable-account on a real user the test creates (`riptest<random>`) and removes: lock, expiry,
 * sessions ended, unlock, idempotency, and rejected names that never reach usermod. System
 * accounts (uid below UID_MIN) go through the installed shim in a private mount namespace whose
 * /etc is an overlay (own login.defs, passwd, shadow): the host's /etc and accounts never change.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { disableAccount } from '../../src/scripts/disable-account.js';
import { DEFAULT_UID_MIN, uidMinOf } from '../../src/scripts/disable-account/login-defs.js';
import {
  alertWith,
  arMessage,
  installedShim,
  privateMountPrefix,
  readArLog,
  runInProcess,
  runShim,
  tempDir,
} from './stock-b/harness.js';

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

/** Waits until `pgrep <flag> <who>` finds a process (default: the user's, by effective uid). */
async function waitForUserProcess(flag = '-u', who = user): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (spawnSync('pgrep', [flag, who]).status === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('the user process did not start');
}

/** True when `ended` has not resolved after `ms`: the process survived the run. */
function stillAliveAfter(ended: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    ended.then(() => false),
    new Promise<boolean>((resolve) =>
      setTimeout(() => {
        resolve(true);
      }, ms),
    ),
  ]);
}

const uidOfUser = (): number => Number(sh('id', ['-u', user]).trim());

/** A uid below 1000 with no account and no process on the host: the test's system account. */
function freeSystemUid(): number {
  for (let uid = 999; uid >= 100; uid--) {
    const id = String(uid);
    if (spawnSync('getent', ['passwd', id]).status !== 0 && spawnSync('pgrep', ['-U', id]).status !== 0) {
      return uid;
    }
  }
  return assert.fail('no free uid below 1000');
}

interface PrivateEtc {
  readonly home: string;
  readonly upper: string;
  readonly prefix: string[];
  readonly shim: string;
}

let privateCount = 0;

/**
 * A fresh home and private /etc (an overlay of the host's, writes land in `upper`): passwd and
 * shadow are copies of the host's with `extra` lines appended; login.defs is `loginDefs`, or none
 * when undefined (a whiteout hides the host's; in the bind-mount fallback it is unreadable).
 */
function privateEtc(loginDefs: string | undefined, extra = { passwd: '', shadow: '' }): PrivateEtc {
  const dir = path.join(home, `private-${++privateCount}`);
  const upper = path.join(dir, 'etc-upper');
  const work = path.join(dir, 'etc-work');
  fs.mkdirSync(upper, { recursive: true });
  fs.mkdirSync(work);
  for (const [file, lines] of [
    ['passwd', extra.passwd],
    ['shadow', extra.shadow],
  ] as const) {
    fs.copyFileSync(`/etc/${file}`, path.join(upper, file));
    fs.appendFileSync(path.join(upper, file), lines);
  }
  if (loginDefs === undefined) {
    sh('mknod', [path.join(upper, 'login.defs'), 'c', '0', '0']);
  } else {
    fs.writeFileSync(path.join(upper, 'login.defs'), loginDefs);
  }
  const scriptHome = path.join(dir, 'home');
  fs.mkdirSync(scriptHome);
  const prefix = privateMountPrefix('/etc', upper, work);
  return { home: scriptHome, upper, prefix, shim: installedShim(scriptHome, 'disable-account') };
}

/** Runs the installed shim in `c`'s private /etc (add gets `continue` after its check_keys). */
async function runPrivate(
  c: PrivateEtc,
  command: string,
  dstuser: string,
): Promise<{ code: number | null; log: string[]; stdout: string }> {
  const msg = arMessage(command, alertWith({ dstuser }), [], 'disable-account');
  const cont = arMessage('continue', alertWith({ dstuser }), [], 'disable-account');
  const r = await runShim({ prefix: c.prefix, shim: c.shim, stdinLines: [msg, cont] });
  assert.notEqual(r.code, 99, `private /etc could not be mounted: ${r.stderr}`);
  return { code: r.code, log: readArLog(c.home, 'active-response/bin/disable-account'), stdout: r.stdout };
}

/** `name`'s line in the private shadow. */
function shadowLine(c: PrivateEtc, name: string): string {
  const line = fs
    .readFileSync(path.join(c.upper, 'shadow'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  assert.ok(line !== undefined, `${name} in the private shadow`);
  return line;
}

const systemAccountLog = (name: string, uid: number, uidMin: number): string =>
  `User '${name}' is a system account (uid ${uid} < UID_MIN ${uidMin}) and is never disabled`;

void describe('login.defs UID_MIN (pure, read as shadow-utils getdef.c reads it)', () => {
  void test('last UID_MIN line wins; blanks, quotes, hex, octal; 1000 when absent or unparsable', () => {
    assert.equal(DEFAULT_UID_MIN, 1000);
    assert.equal(uidMinOf(''), 1000);
    assert.equal(uidMinOf('# UID_MIN 5\nUID_MAX 60000\nUID_MINX 5\nuid_min 5\n'), 1000);
    assert.equal(uidMinOf('UID_MIN\t\t\t 500\n'), 500);
    assert.equal(uidMinOf('  UID_MIN  "2000"  \r\n'), 2000);
    assert.equal(uidMinOf('UID_MIN 500\nUID_MIN 1500\n'), 1500);
    assert.equal(uidMinOf('UID_MIN 0x1f4\n'), 500);
    assert.equal(uidMinOf('UID_MIN 0764\n'), 500);
    for (const bad of [
      'UID_MIN 500 # c',
      'UID_MIN -1',
      'UID_MIN',
      'UID_MIN abc',
      'UID_MIN ""',
      'UID_MIN 08',
    ]) {
      assert.equal(uidMinOf(`${bad}\n`), 1000, bad);
    }
  });
});

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

  void test('uid below login.defs UID_MIN: add and delete exit 255 after the handshake; nothing locked or killed', async () => {
    const uid = uidOfUser();
    const c = privateEtc(`UID_MIN\t\t${uid + 1}\n`);
    const before = shadowLine(c, user);
    const session = sessionProcess();
    try {
      await waitForUserProcess();
      for (const command of ['add', 'delete']) {
        const r = await runPrivate(c, command, user);
        assert.equal(r.code, 255, r.log.join('\n'));
        assert.equal(r.log.at(-1), systemAccountLog(user, uid, uid + 1), command);
        assert.equal(shadowLine(c, user), before, `${command}: shadow unchanged (no lock, no expiry)`);
      }
      assert.ok(await stillAliveAfter(session.ended, 500), "the account's process was not killed");
    } finally {
      spawnSync('pkill', ['-KILL', '-u', user]);
      await session.ended;
    }
  });

  void test('no login.defs: UID_MIN 1000, a nologin service account below it is refused; its daemon lives', async () => {
    const svcUid = freeSystemUid();
    const svc = `ripsvc${randomBytes(3).toString('hex')}`;
    const shadow = `${svc}:$6$rip$x:19000:0:99999:7:::`;
    const c = privateEtc(undefined, {
      passwd: `${svc}:x:${svcUid}:${svcUid}::/nonexistent:/usr/sbin/nologin\n`,
      shadow: `${shadow}\n`,
    });
    const hidden = spawnSync(c.prefix[0]!, [...c.prefix.slice(1), 'cat', '/etc/login.defs']);
    assert.notEqual(hidden.status, 0, 'no readable login.defs in the private /etc');
    const id = String(svcUid);
    const daemon = spawn('setpriv', ['--reuid', id, '--regid', id, '--clear-groups', '--', 'sleep', '300'], {
      stdio: 'ignore',
    });
    const ended = new Promise((resolve) => daemon.on('exit', resolve));
    try {
      await waitForUserProcess('-U', id);
      const r = await runPrivate(c, 'add', svc);
      assert.equal(r.code, 255, r.log.join('\n'));
      assert.ok(r.stdout.includes('"check_keys"'), 'refused after the handshake, like uid 0');
      assert.equal(r.log.at(-1), systemAccountLog(svc, svcUid, 1000));
      assert.equal(shadowLine(c, svc), shadow, 'no lock, no expiry');
      assert.ok(await stillAliveAfter(ended, 500), 'the service process was not killed');
    } finally {
      daemon.kill('SIGKILL');
      await ended;
    }
  });

  void test('nobody (the overflow uid 65534) is refused too: delete unlocks nothing', async () => {
    // delete, not add: without the refusal an add would pkill the host's own nobody processes.
    const name = `ripnb${randomBytes(3).toString('hex')}`;
    const shadow = `${name}:!$6$rip$x:19000:0:99999:7:::`;
    const c = privateEtc(undefined, {
      passwd: `${name}:x:65534:65534::/nonexistent:/usr/sbin/nologin\n`,
      shadow: `${shadow}\n`,
    });
    const r = await runPrivate(c, 'delete', name);
    assert.equal(r.code, 255, r.log.join('\n'));
    assert.equal(r.log.at(-1), `User '${name}' has the overflow uid 65534 (nobody) and is never disabled`);
    assert.equal(shadowLine(c, name), shadow, 'still locked');
  });

  void test('uid equal to UID_MIN is ordinary: locked, expired, processes killed (private /etc only)', async () => {
    const c = privateEtc(`UID_MIN ${uidOfUser()}\n`);
    const session = sessionProcess();
    await waitForUserProcess();
    const r = await runPrivate(c, 'add', user);
    assert.equal(r.code, 0, r.log.join('\n'));
    assert.equal(r.log.at(-1), 'Ended');
    const fields = shadowLine(c, user).split(':');
    assert.ok(fields[1]?.startsWith('!'), 'password locked');
    assert.equal(fields[7], '1', 'expired on 1970-01-02');
    await session.ended;
    assert.equal(passwdStatus(), 'P', "the host's account is untouched");
  });
});
