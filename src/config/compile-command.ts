/**
 * Compiles one `<command>` block (reference §3.1). Wazuh's checks and messages are kept; Riposte adds
 * one: a name or executable that would corrupt ar.conf (a line break or ` - `) or an executable that
 * leaves `active-response/bin` (absolute, or a `..` component) is an error.
 */
import type { CommandDef } from '../core/config-model.js';
import { Accepted, Code, Msg, type Diagnostics } from './diagnostics.js';
import { didYouMean } from '../core/suggest.js';
import type { XmlElement } from './xml-element.js';

/** Wazuh truncates `<extra_args>` to this many characters before splitting. */
const EXTRA_ARGS_MAX = 2047;

/** `<extra_args>` split with strtok semantics: runs of spaces collapse, no quoting. */
export function splitExtraArgs(text: string): string[] {
  return text
    .slice(0, EXTRA_ARGS_MAX)
    .split(' ')
    .filter((t) => t !== '');
}

function breaksArConf(v: string): boolean {
  return /[\r\n]/.test(v) || v.includes(' - ');
}

function leavesBinDir(exe: string): boolean {
  return exe.startsWith('/') || exe.split(/[\\/]/).includes('..');
}

interface CommandFields {
  name?: string;
  executable?: string;
  timeoutAllowed: boolean;
  extraArgs: string[];
  /** Some element was invalid: do not also report the block as incomplete. */
  invalid: boolean;
}

/** Riposte's extra check of a name or executable; false (reported) when it is refused. */
function checkPathLike(el: XmlElement, diag: Diagnostics): boolean {
  let why: string | undefined;
  if (breaksArConf(el.text)) {
    why = "It cannot hold a line break or ' - ' (the ar.conf separator).";
  } else if (el.name === 'executable' && leavesBinDir(el.text)) {
    why = 'It must be a file name under active-response/bin.';
  }
  if (why !== undefined) {
    diag.error(el.line, `${Msg.invalidValue(el.name, el.text)} ${why}`);
  }
  return why === undefined;
}

function readNameOrExecutable(el: XmlElement, f: CommandFields, diag: Diagnostics): void {
  if (el.name === 'name' && el.text.startsWith('!')) {
    diag.error(el.line, Msg.invalidValue('name', el.text), Code.INVALID_VALUE);
    f.invalid = true;
  } else if (!checkPathLike(el, diag)) {
    f.invalid = true;
  }
  if (el.name === 'name' || el.name === 'executable') {
    f[el.name] = el.text;
  }
}

const NEEDS_CONTENT = new Set(['name', 'executable', 'timeout_allowed']);

/** The elements a `<command>` may hold. */
const COMMAND_ELEMENTS = ['name', 'executable', 'timeout_allowed', 'extra_args', 'expect'];

/** Elements of `<active-response>` written in a `<command>` by mistake: where they go instead. */
const MISPLACED: Readonly<Record<string, string>> = {
  timeout:
    ' <timeout> goes in the <active-response> block; a <command> says <timeout_allowed>yes</timeout_allowed>.',
  location: ' <location> goes in the <active-response> block.',
  level: ' <level> goes in the <active-response> block.',
  rules_id: ' <rules_id> goes in the <active-response> block.',
  rules_group: ' <rules_group> goes in the <active-response> block.',
};

function unknownElementHint(name: string): string {
  return Object.hasOwn(MISPLACED, name) ? (MISPLACED[name] ?? '') : didYouMean(name, COMMAND_ELEMENTS);
}

function readElement(el: XmlElement, f: CommandFields, diag: Diagnostics): void {
  const v = el.text;
  if (NEEDS_CONTENT.has(el.name) && v === '') {
    diag.error(el.line, Msg.nullContent(el.name), Code.NULL_CONTENT);
    f.invalid = true;
  } else if (el.name === 'name' || el.name === 'executable') {
    readNameOrExecutable(el, f, diag);
  } else if (el.name === 'timeout_allowed') {
    if (v !== 'yes' && v !== 'no') {
      diag.error(el.line, Msg.invalidValue(el.name, v) + Accepted.yesNo, Code.INVALID_VALUE);
      f.invalid = true;
    }
    f.timeoutAllowed = v === 'yes';
  } else if (el.name === 'extra_args') {
    f.extraArgs = splitExtraArgs(v);
  } else if (el.name !== 'expect') {
    diag.error(el.line, Msg.invalidElement(el.name) + unknownElementHint(el.name), Code.INVALID_ELEMENT);
    f.invalid = true;
  }
}

/**
 * Compiles a `<command>` block; undefined when it has errors (already recorded in `diag`).
 * `<expect>` is accepted and ignored (deprecated since Wazuh 4.2.0).
 */
export function compileCommand(block: XmlElement, diag: Diagnostics): CommandDef | undefined {
  const f: CommandFields = { timeoutAllowed: false, extraArgs: [], invalid: false };
  for (const el of block.children) {
    readElement(el, f, diag);
  }
  if (f.invalid) {
    return undefined;
  }
  if (f.name === undefined || f.executable === undefined) {
    diag.error(
      block.line,
      "Missing command options. You must specify a 'name' and 'executable'.",
      Code.MISSING_COMMAND_OPTIONS,
    );
    return undefined;
  }
  return {
    name: f.name,
    executable: f.executable,
    timeoutAllowed: f.timeoutAllowed,
    extraArgs: f.extraArgs,
    line: block.line,
  };
}
