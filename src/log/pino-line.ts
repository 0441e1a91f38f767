/**
 * The line pino writes for `logger.<level>(fields, msg)` with this project's options (`base: {tag}`,
 * `timestamp: isoTime`, no serializers, formatters, mixin or message prefix), built without pino:
 * a burst logs one info line per response put in force, and pino's generic path costs several
 * times this one (issue #12 row 1). test/unit/log/pino-line.test.ts checks it against pino's own
 * output, character for character.
 */
import type { LogFields } from './daemon-log.js';

/**
 * pino's `_asString` (lib/tools.js, MIT, pino contributors): JSON text of `str`, escaping only `"`
 * and `\` unless a control character needs JSON.stringify; longer strings go to JSON.stringify.
 * Kept as pino has it, so that lines are the same (e.g. a lone surrogate is not escaped here).
 */
export function asString(str: string): string {
  let result = '';
  let last = 0;
  let found = false;
  let point = 255;
  const l = str.length;
  if (l > 100) {
    return JSON.stringify(str);
  }
  for (let i = 0; i < l && point >= 32; i++) {
    point = str.charCodeAt(i);
    if (point === 34 || point === 92) {
      result += `${str.slice(last, i)}\\`;
      last = i;
      found = true;
    }
  }
  if (!found) {
    result = str;
  } else {
    result += str.slice(last);
  }
  return point < 32 ? JSON.stringify(str) : `"${result}"`;
}

/** A field's value as pino writes it (undefined: left out). */
function valueText(v: string | number | boolean | undefined): string | undefined {
  if (typeof v === 'string') {
    return asString(v);
  }
  if (typeof v === 'number') {
    return Number.isFinite(v) ? String(v) : 'null';
  }
  return v === undefined ? undefined : String(v);
}

/** pino's text of `fields`: each own field that is not undefined, in order, as `,"name":value`. */
function fieldsText(fields: LogFields): string {
  let text = '';
  for (const key in fields) {
    const value = Object.prototype.hasOwnProperty.call(fields, key) ? valueText(fields[key]) : undefined;
    if (value !== undefined) {
      text += `,${asString(key)}:${value}`;
    }
  }
  return text;
}

/** pino's line head: `{"level":N` + `time` (isoTime's `,"time":"..."`) + `bindings` (`,"tag":"..."`). */
export function pinoHead(level: number, time: string, bindings: string): string {
  return `{"level":${level}${time}${bindings}`;
}

/** pino's line: `head` ({@link pinoHead}), the fields, then `"msg"`, and a newline. */
export function pinoLine(head: string, msg: string, fields: LogFields | undefined): string {
  return `${head}${fields === undefined ? '' : fieldsText(fields)},"msg":${asString(msg)}}\n`;
}
