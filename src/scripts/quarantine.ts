/**
 * quarantine: moves the file an alert names out of reach, reversibly. Stateful, key = the file path.
 *
 * Input:  `parameters.alert.syscheck.path` (FIM) or `parameters.alert.data.virustotal.source.file`,
 *         and extra_args `--allow <dir>` (repeatable): only files strictly below an allowed root are
 *         touched (quarantine/target.ts). Checked before the handshake.
 * Effect:
 *   add:    a regular file (not a symlink, not a directory) whose real directory is under a real root
 *           is moved to `<home>/quarantine/<id>/file` (mode 0400, dirs 0700) with `meta.json`: original
 *           path, mode, uid, gid, size, atime, mtime, sha256, alert id, time (quarantine/entry.ts).
 *   delete: restores the file to its original path with its mode, owner and times, after checking
 *           the quarantined content still has the recorded sha256, then drops the entry. A file that
 *           has appeared at the original path meanwhile is never overwritten (exit 255), unless it
 *           is byte-identical (then the entry is just dropped).
 * Idempotent: add when already quarantined (and the path is empty) or delete when nothing is
 *           quarantined succeed; an add when the same content is back at the path removes the copy.
 * Exit:   0 done; 255 invalid input, missing file, not a regular file, outside the roots,
 *         a different file already quarantined from that path, or an I/O failure.
 * Serialised by the lock `active-response/bin/quarantine-lock`.
 */
import { promises as fs, type Stats } from 'node:fs';
import { getString } from '../protocol/json.js';
import type { ArEnvelope } from '../protocol/ar-message.js';
import { extraArgsOf } from './contract/run-stock-script.js';
import { withLock } from './contract/lock.js';
import {
  ScriptFailure,
  type StockContext,
  type StockInputResult,
  type StockScript,
} from './contract/stock-script.js';
import * as entry from './quarantine/entry.js';
import { moveNoOverwrite, realPathUnderRoots, setAttributes } from './quarantine/move.js';
import { allowedRoots, isBelow, PATH_INVALID_LOG, targetPath } from './quarantine/target.js';

/** Lock directory relative to the install dir. */
export const QUARANTINE_LOCK_DIR = 'active-response/bin/quarantine-lock';

function validate(message: ArEnvelope): StockInputResult {
  const file = targetPath(message);
  if (file === undefined) {
    return { ok: false, log: PATH_INVALID_LOG };
  }
  const roots = allowedRoots(extraArgsOf(message));
  if (!roots.ok) {
    return { ok: false, log: `Invalid extra_args: ${roots.error}` };
  }
  if (!roots.roots.some((root) => isBelow(file, root))) {
    return { ok: false, log: `Path '${file}' is not under an allowed root` };
  }
  return { ok: true, key: file };
}

/** The validated path and the real path under the roots. */
async function resolveTarget(ctx: StockContext): Promise<{ file: string; real: string }> {
  const roots = allowedRoots(ctx.extraArgs);
  if (ctx.key === undefined || !roots.ok) {
    throw new ScriptFailure(PATH_INVALID_LOG);
  }
  return { file: ctx.key, real: await realPathUnderRoots(ctx.key, roots.roots) };
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  return fs.lstat(p).catch(() => undefined);
}

async function quarantineFile(ctx: StockContext, file: string, real: string): Promise<void> {
  const paths = entry.entryPaths(ctx.host.home, file);
  const st = await lstatOrUndefined(real);
  const existing = await entry.readEntry(paths);
  if (st === undefined) {
    if (existing === undefined) {
      throw new ScriptFailure(`File '${file}' does not exist`);
    }
    ctx.log(`File '${file}' is already quarantined`);
    return;
  }
  if (!st.isFile()) {
    throw new ScriptFailure(`Path '${file}' is not a regular file`);
  }
  const sha256 = await entry.sha256File(real);
  if (existing !== undefined) {
    if (existing.sha256 !== sha256) {
      throw new ScriptFailure(`A different file from '${file}' is already quarantined`);
    }
    await fs.unlink(real); // the same content is kept in quarantine
    ctx.log(`File '${file}' is already quarantined; removed the identical copy`);
    return;
  }
  const meta: entry.QuarantineMeta = {
    version: 1,
    originalPath: file,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atimeMs: st.atimeMs,
    mtimeMs: st.mtimeMs,
    sha256,
    alertId: getString(ctx.message.parameters, ['alert', 'id']),
    quarantinedAt: ctx.host.now().toISOString(),
  };
  await entry.writeEntryMeta(paths, meta);
  await setAttributes(paths.file, await moveNoOverwrite(real, paths.file), { mode: 0o400 });
  ctx.log(`File '${file}' quarantined in '${paths.dir}'`);
}

async function restoreFile(ctx: StockContext, file: string, real: string): Promise<void> {
  const paths = entry.entryPaths(ctx.host.home, file);
  const meta = await entry.readEntry(paths);
  if (meta === undefined) {
    ctx.log(`Nothing quarantined from '${file}'`);
    return;
  }
  if ((await entry.sha256File(paths.file)) !== meta.sha256) {
    throw new ScriptFailure(`Quarantined copy of '${file}' does not match its recorded sha256; not restored`);
  }
  const present = await lstatOrUndefined(real);
  if (present !== undefined) {
    if (!present.isFile() || (await entry.sha256File(real)) !== meta.sha256) {
      throw new ScriptFailure(`A different file exists at '${file}'; not overwritten`);
    }
  } else {
    await setAttributes(real, await moveNoOverwrite(paths.file, real), meta);
  }
  await entry.removeEntry(paths);
  ctx.log(`File '${file}' restored`);
}

type Step = (ctx: StockContext, file: string, real: string) => Promise<void>;

function locked(step: Step): (ctx: StockContext) => Promise<void> {
  return (ctx) =>
    withLock({ home: ctx.host.home, dir: QUARANTINE_LOCK_DIR }, async () => {
      const { file, real } = await resolveTarget(ctx);
      try {
        await step(ctx, file, real);
      } catch (err) {
        if (err instanceof ScriptFailure) {
          throw err;
        }
        throw new ScriptFailure(`Unable to process '${file}': ${(err as Error).message}`);
      }
    });
}

export const quarantine: StockScript = {
  name: 'quarantine',
  stateful: true,
  input: validate,
  add: locked(quarantineFile),
  delete: locked(restoreFile),
};
