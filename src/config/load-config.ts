/**
 * The only file-reading code of the configuration layer: reads ossec.conf, parses the XML and hands
 * the tree to the pure compiler.
 */
import { readFile } from 'node:fs/promises';
import { compileConfig, type CompileResult, type ConfigMode } from './compile-config.js';
import type { Config } from '../core/config-model.js';
import { readXml } from './xml-reader.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';

/** Either a config, or why not: unreadable (one message) or invalid (every error). */
export type LoadResult =
  | { readonly ok: true; readonly config: Config }
  | {
      readonly ok: false;
      readonly code: typeof ErrorCode.CONFIG_INVALID | typeof ErrorCode.CONFIG_UNREADABLE;
      readonly errors: readonly string[];
      readonly warnings: readonly string[];
    };

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASONS[code] !== undefined) {
    return REASONS[code];
  }
  return errorMessage(err);
}

/** Reads and compiles `path` without throwing. Messages name `path` as given. */
export async function loadConfigResult(path: string, mode: ConfigMode): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err: unknown) {
    const errors = [`${path}: cannot read: ${reasonOf(err)}`];
    return { ok: false, code: ErrorCode.CONFIG_UNREADABLE, errors, warnings: [] };
  }
  const xml = readXml(text, path);
  const result: CompileResult = xml.ok
    ? compileConfig(xml.elements, { file: path, mode })
    : { ok: false, errors: xml.errors, warnings: [] };
  return result.ok ? result : { ...result, code: ErrorCode.CONFIG_INVALID };
}

/**
 * Reads and compiles `path`.
 * @throws RiposteError CONFIG_UNREADABLE (`FILE: cannot read: <reason>`) or CONFIG_INVALID (every
 *   error, one per line; `details.errors` holds them as an array).
 */
export async function loadConfig(path: string, mode: ConfigMode): Promise<Config> {
  const r = await loadConfigResult(path, mode);
  if (!r.ok) {
    throw new RiposteError(r.code, r.errors.join('\n'), { errors: r.errors });
  }
  return r.config;
}
