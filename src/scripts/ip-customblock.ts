/**
 * ip-customblock: Wazuh's template for custom responses, a file-per-IP block list (reference §4.1).
 * Stateful, key = the IP.
 *
 * add:    creates the directory `/ipblock` (0750) if needed and an empty file `/ipblock/<ip>`, which a
 *         firewall helper, a web server or a cron job of the operator's reads.
 * delete: removes `/ipblock/<ip>`; an absent file is success (Wazuh exits 255 with `Error deleting
 *         /ipblock/<ip> file`: Riposte keeps delete idempotent, docs/compatibility.md).
 * The file name is the canonical address (IPv4-mapped IPv6 unmapped; Wazuh uses the text received).
 * Never follows a symbolic link: the directory must be a real directory and the file is created with
 * O_NOFOLLOW, so a planted link cannot make root write elsewhere.
 * Exit: 0 success or abort; 255 invalid srcip (before the handshake) or an I/O error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { srcipInput } from './contract/input.js';
import { ScriptFailure, type StockContext, type StockScript } from './contract/stock-script.js';

/** Wazuh's directory (`DEFAULT_DIR` in ip-customblock.c). */
export const IPBLOCK_DIR = '/ipblock';

function fileOf(dir: string, ctx: StockContext): string {
  if (ctx.key === undefined) {
    throw new ScriptFailure("Cannot read 'srcip' from data");
  }
  return path.join(dir, ctx.key);
}

function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o750 });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ScriptFailure(`Unable to create directory '${dir}'`);
    }
  }
  if (!fs.lstatSync(dir).isDirectory()) {
    throw new ScriptFailure(`'${dir}' is not a directory`);
  }
}

async function add(dir: string, ctx: StockContext): Promise<void> {
  ensureDir(dir);
  const file = fileOf(dir, ctx);
  const { O_CREAT, O_WRONLY, O_NOFOLLOW } = fs.constants;
  try {
    const handle = await fs.promises.open(file, O_CREAT | O_WRONLY | O_NOFOLLOW, 0o640);
    await handle.close();
  } catch {
    throw new ScriptFailure(`Unable to write file '${file}'`);
  }
}

async function remove(dir: string, ctx: StockContext): Promise<void> {
  const file = fileOf(dir, ctx);
  try {
    await fs.promises.unlink(file);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ScriptFailure(`Error deleting ${file} file`);
    }
  }
}

/** The script writing into `dir` (tests use a temp dir; the shipped one uses {@link IPBLOCK_DIR}). */
export function ipCustomBlockIn(dir: string): StockScript {
  return {
    name: 'ip-customblock',
    stateful: true,
    input: (message) => srcipInput(message),
    add: (ctx) => add(dir, ctx),
    delete: (ctx) => remove(dir, ctx),
  };
}

export const ipCustomBlock: StockScript = ipCustomBlockIn(IPBLOCK_DIR);
