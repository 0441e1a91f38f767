/**
 * disable-account: locks a local account and ends its sessions. Stateful, key = the user name.
 *
 * Input:  parameters.alert.data.dstuser, validated as Wazuh 4.14.7's is_valid_username (no `root`,
 *         no leading `-`, no separators; contract/input.ts), before any handshake. Names it accepts
 *         (`test$user`, even `a;id`) reach usermod as one argv element, never through a shell.
 * Effect:
 *   add:    `usermod --lock --expiredate 1 -- <user>` (password locked and account expired, so key and
 *           PAM logins fail too), then every process of the user is ended: `loginctl terminate-user
 *           <uid>` when systemd runs, and always `pkill -KILL -U <uid>` and `-u <uid>` (Wazuh only runs `passwd -l`,
 *           leaving live sessions).
 *   delete: `usermod --unlock --expiredate '' -- <user>` (unlocked, never expires).
 * The user must exist (`getent passwd`) and must not have uid 0 (a second line of defence after the
 * name check: an alias of root such as `toor` is refused too), nor a uid below UID_MIN
 * (disable-account/login-defs.ts, 1000 by default): a system account. The name comes from a log
 * line ("Failed password for postgres from ..."), so anyone who can reach sshd could otherwise
 * expire a service account and kill its daemon. Both refusals come after the handshake (they need
 * getent and a file) and apply to delete too: execd queued the delete when it answered `continue`,
 * and a delete must not unlock or un-expire an account this script never locked.
 * Idempotent: usermod's lock/unlock are no-ops on an already locked/unlocked account.
 * Exit:   0 done; 255 invalid input, `User '<u>' does not exist`, uid 0, a system account, or a
 *         failing tool (a missing tool fails too, where Wazuh exits 0: nothing was disabled).
 */
import { dstuserInput } from './contract/input.js';
import {
  ScriptFailure,
  type StockContext,
  type StockInputResult,
  type StockScript,
} from './contract/stock-script.js';
import type { ArEnvelope } from '../protocol/ar-message.js';
import { runTool, runToolChecked } from './contract/tools.js';
import { readUidMin } from './disable-account/login-defs.js';
import { promises as fs } from 'node:fs';

/** The user's numeric uid from `getent passwd <user>`. */
async function uidOf(user: string): Promise<number> {
  const r = await runTool({ tool: 'getent', args: ['passwd', user] });
  const fields = r.exitCode === 0 ? (r.stdout.split('\n')[0] ?? '').split(':') : [];
  const uid = fields[0] === user && /^\d+$/.test(fields[2] ?? '') ? Number(fields[2]) : undefined;
  if (uid === undefined) {
    throw new ScriptFailure(`User '${user}' does not exist`);
  }
  if (uid === 0) {
    throw new ScriptFailure(`User '${user}' has uid 0 and is never disabled`);
  }
  return uid;
}

/** The overflow uid (`nobody`): above UID_MAX, but daemons run as it (dnsmasq, NFS squashing). */
const NOBODY_UID = 65534;

/**
 * The uid of `user`, an existing ordinary account: {@link uidOf}, then a uid below UID_MIN (a
 * system account) or `nobody`'s is refused like uid 0, before anything runs. Used by add and
 * delete alike.
 */
async function ordinaryUidOf(user: string): Promise<number> {
  const uid = await uidOf(user);
  const uidMin = await readUidMin();
  if (uid < uidMin) {
    throw new ScriptFailure(
      `User '${user}' is a system account (uid ${uid} < UID_MIN ${uidMin}) and is never disabled`,
    );
  }
  if (uid === NOBODY_UID) {
    throw new ScriptFailure(`User '${user}' has the overflow uid ${uid} (nobody) and is never disabled`);
  }
  return uid;
}

function userOf(ctx: StockContext): string {
  if (ctx.key === undefined) {
    throw new ScriptFailure("Cannot read 'dstuser' from data");
  }
  return ctx.key;
}

async function systemdRunning(): Promise<boolean> {
  try {
    return (await fs.stat('/run/systemd/system')).isDirectory();
  } catch {
    return false;
  }
}

/** Ends every process of `uid`: logind sessions first (clean logout records), then anything left. */
async function endSessions(uid: number): Promise<void> {
  if (await systemdRunning()) {
    // Exit status ignored: the user may have no logind session, which is not an error.
    await runTool({ tool: 'loginctl', args: ['terminate-user', String(uid)] });
  }
  // -U matches the real uid, -u the effective one: together they cover setuid leftovers. Exit 1 = none left.
  for (const flag of ['-U', '-u']) {
    const r = await runTool({ tool: 'pkill', args: ['-KILL', flag, String(uid)] });
    if (r.exitCode !== 0 && r.exitCode !== 1) {
      throw new ScriptFailure(`Unable to end the sessions of uid ${uid}: pkill exit ${String(r.exitCode)}`);
    }
  }
}

async function disable(ctx: StockContext): Promise<void> {
  const user = userOf(ctx);
  const uid = await ordinaryUidOf(user);
  await runToolChecked({ tool: 'usermod', args: ['--lock', '--expiredate', '1', '--', user] });
  await endSessions(uid);
}

async function enable(ctx: StockContext): Promise<void> {
  const user = userOf(ctx);
  await ordinaryUidOf(user);
  await runToolChecked({ tool: 'usermod', args: ['--unlock', '--expiredate', '', '--', user] });
}

const INVALID_USER_LOG = "Cannot read 'dstuser' from data or invalid username format";

/** Wazuh 4.14.7's validator exactly (issue #9: `test$user` is a valid name there). */
function validate(message: ArEnvelope): StockInputResult {
  return dstuserInput(message, INVALID_USER_LOG);
}

export const disableAccount: StockScript = {
  name: 'disable-account',
  stateful: true,
  input: validate,
  add: disable,
  delete: enable,
};
