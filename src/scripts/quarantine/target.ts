/**
 * What quarantine may act on, decided from the message alone (pure, runs before the handshake).
 *
 * The file: `parameters.alert.syscheck.path` (a FIM alert), else
 * `parameters.alert.data.virustotal.source.file` (a VirusTotal result). It must be an absolute,
 * normalised path (no `.`/`..` segments, no `//`, no trailing `/`), at most 4096 bytes, without NUL or
 * control characters.
 *
 * The roots: `--allow <dir>` items of extra_args (repeatable, absolute and normalised). Nothing else is
 * accepted in extra_args. The file must lie strictly below one root. This lexical check is repeated on
 * the real paths (symlinks resolved) before anything moves (quarantine/move.ts).
 */
import path from 'node:path';
import { getPath } from '../../protocol/json.js';
import type { ArEnvelope } from '../../protocol/ar-message.js';

export const PATH_INVALID_LOG = "Cannot read 'syscheck.path' from alert or invalid path";

const MAX_PATH_BYTES = 4096;

function hasControlChar(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      return true;
    }
  }
  return false;
}

/** True for an absolute, normalised path without control characters. */
export function isCleanAbsolutePath(p: string): boolean {
  return (
    p.startsWith('/') &&
    p !== '/' &&
    !hasControlChar(p) &&
    path.posix.normalize(p) === p &&
    !p.endsWith('/') &&
    Buffer.byteLength(p) <= MAX_PATH_BYTES
  );
}

/** The file named by the alert, when present and clean. */
export function targetPath(message: ArEnvelope): string | undefined {
  const alert = message.parameters['alert'];
  const fim = getPath(alert, ['syscheck', 'path']);
  const vt = getPath(alert, ['data', 'virustotal', 'source', 'file']);
  const p = typeof fim === 'string' ? fim : vt;
  return typeof p === 'string' && isCleanAbsolutePath(p) ? p : undefined;
}

export type RootsResult = { ok: true; roots: string[] } | { ok: false; error: string };

/** The `--allow` roots; an error for anything else, or when none is given. */
export function allowedRoots(args: readonly string[]): RootsResult {
  const roots: string[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const root = args[i + 1];
    if (args[i] !== '--allow' || root === undefined) {
      return { ok: false, error: `unexpected argument '${(args[i] ?? '').slice(0, 64)}'` };
    }
    if (!isCleanAbsolutePath(root)) {
      return {
        ok: false,
        error: `--allow needs an absolute normalised directory, not '${root.slice(0, 64)}'`,
      };
    }
    roots.push(root);
  }
  return roots.length > 0 ? { ok: true, roots } : { ok: false, error: 'no --allow root' };
}

/** True when `p` lies strictly below `root` (both absolute and normalised). */
export function isBelow(p: string, root: string): boolean {
  return p.startsWith(root === '/' ? '/' : `${root}/`) && p.length > root.length + 1;
}
