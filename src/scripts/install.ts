/**
 * Installs the stock scripts as executables under `<home>/active-response/bin/`, so Wazuh's execd
 * (or Riposte's) can run them unchanged.
 *
 * Each executable is a small CommonJS shim (mode 0750): a `#!<node>` line, a marker line
 * `// riposte-stock-script: <name>`, and a dynamic import of this build's bin/stock-main.js. The
 * marker is how we recognise our own files: shims are refreshed on every install (a new Riposte
 * build path is picked up), while any file without the marker (a custom or Wazuh script), a symlink
 * or a non-regular file is never touched. Writes are atomic (temp file + rename).
 */
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { stockScripts } from './registry.js';

/** Where the shims go, relative to the install dir. */
export const AR_BIN_RELATIVE_DIR = 'active-response/bin';

const MARKER_PREFIX = '// riposte-stock-script: ';
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Absolute file URL of the compiled standalone entry point (sibling of this module's build). */
function stockMainUrl(): string {
  return new URL('./bin/stock-main.js', import.meta.url).href;
}

/** The shim text for `name` (exported for tests). */
export function shimText(
  name: string,
  nodePath: string = process.execPath,
  mainUrl: string = stockMainUrl(),
): string {
  return [
    `#!${nodePath}`,
    `${MARKER_PREFIX}${name}`,
    `'use strict';`,
    `const self = typeof __filename === 'string' ? __filename : process.argv[1];`,
    `import(${JSON.stringify(mainUrl)})`,
    `  .then((m) => m.main(${JSON.stringify(name)}, self))`,
    `  .catch((err) => { process.stderr.write(String(err) + '\\n'); process.exit(255); });`,
    '',
  ].join('\n');
}

/**
 * The stock-script name a file's marker announces, or undefined when `path` is not one of our shims
 * (missing, not a regular file, no marker, or a malformed name). The agent uses this to run the
 * script in-process instead of spawning it.
 */
export function readStockShimName(path: string): string | undefined {
  let fd: number | undefined;
  try {
    if (!lstatSync(path).isFile()) {
      return undefined;
    }
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const second = buf.subarray(0, n).toString('utf8').split('\n')[1] ?? '';
    const name = second.startsWith(MARKER_PREFIX) ? second.slice(MARKER_PREFIX.length).trim() : '';
    return SAFE_NAME.test(name) ? name : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
    }
  }
}

/** True when nothing is at `path` or it is one of our shims (so it may be (re)written). */
function mayWrite(path: string): boolean {
  try {
    lstatSync(path);
  } catch {
    return true;
  }
  return readStockShimName(path) !== undefined;
}

/**
 * Writes or refreshes one shim per registry entry; custom files are left alone.
 * @returns the absolute paths written.
 */
export function installStockScripts(home: string): string[] {
  const dir = join(home, AR_BIN_RELATIVE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const written: string[] = [];
  for (const name of stockScripts.keys()) {
    const target = join(dir, name);
    if (!SAFE_NAME.test(name) || !mayWrite(target)) {
      continue;
    }
    const tmp = join(dir, `.${name}.riposte-tmp-${process.pid}`);
    writeFileSync(tmp, shimText(name), { mode: 0o750 });
    chmodSync(tmp, 0o750);
    renameSync(tmp, target);
    written.push(target);
  }
  return written;
}
