/**
 * One output grammar for every list (issue #9 item 3): `--output table` (default; aligned columns,
 * or one line saying the list is empty) or `--output json` (one JSON object per line; nothing for
 * an empty list). `--json` stays as a short form of `--output json`.
 */
import type { Command } from 'commander';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { formatTable } from './format-table.js';

export type OutputFormat = 'table' | 'json';

export interface OutputFlags {
  readonly output?: string | undefined;
  readonly json?: boolean | undefined;
}

/** Adds `--output` and `--json` to a listing command. */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--output <format>', 'table (aligned columns) or json (one object per line)', 'table')
    .option('--json', 'same as --output json');
}

/** The format asked for. @throws RiposteError REQUEST_INVALID for another value */
export function outputFormat(flags: OutputFlags): OutputFormat {
  if (flags.json === true) {
    return 'json';
  }
  const f = flags.output ?? 'table';
  if (f !== 'table' && f !== 'json') {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `--output: "${f}" is not one of table, json`, {
      usage: true,
    });
  }
  return f;
}

/** One JSON object per line. */
export function jsonLines(items: readonly unknown[]): string {
  return items.map((i) => JSON.stringify(i)).join('\n') + (items.length > 0 ? '\n' : '');
}

export interface ListSpec<T> {
  readonly header: readonly string[];
  readonly row: (item: T) => readonly string[];
  /** What an empty table says, e.g. "No active responses." */
  readonly empty: string;
  /** The JSON form of an item. @default the item */
  readonly json?: (item: T) => unknown;
}

/** The text for `items` in `format`. */
export function renderList<T>(items: readonly T[], format: OutputFormat, spec: ListSpec<T>): string {
  if (format === 'json') {
    return jsonLines(spec.json === undefined ? items : items.map(spec.json));
  }
  return items.length === 0 ? `${spec.empty}\n` : formatTable(spec.header, items.map(spec.row));
}
