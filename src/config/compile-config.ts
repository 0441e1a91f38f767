/**
 * Raw XML tree -> validated, frozen {@link Config} (pure). Reference §3.
 *
 * Only direct children of `<ossec_config>` are read (a `<command>` inside `<localfile>` is not an AR
 * command). Read: `<command>`, `<active-response>` (also spelled `<active_response>`),
 * `<global><white_list>`, `<cluster><node_name>`. Every other section is skipped, so a complete Wazuh
 * ossec.conf loads as it is, but a near miss of a read name is an error (misspelt-names.ts). Every
 * error is collected (Wazuh stops at the first).
 *
 * Mode `agent` reads only what execd reads (`disabled`, `repeated_offenders`); mode `manager` reads
 * everything and also computes the agent settings, which the manager's own execd obeys.
 */
import { compileActiveResponse } from './compile-active-response.js';
import { compileAgentSettings } from './agent-settings.js';
import { compileCommand } from './compile-command.js';
import { addWhiteListEntry, emptyWhiteList, toWhiteList } from './compile-white-list.js';
import { UNNAMED_NODE, type ArRule, type CommandDef, type Config } from '../core/config-model.js';
import { deepFreeze } from './deep-freeze.js';
import { reportMisspeltNames } from './misspelt-names.js';
import { Code, Msg, Diagnostics } from './diagnostics.js';
import { didYouMean } from '../core/suggest.js';
import type { XmlElement } from './xml-element.js';

export type ConfigMode = 'manager' | 'agent';

export interface CompileOptions {
  /** Path used in messages, as the user wrote it. */
  readonly file: string;
  readonly mode: ConfigMode;
}

export type CompileResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

const ROOT = 'ossec_config';
const AR_NAMES = new Set(['active-response', 'active_response']);
/** Top-level sections read under their own name (others near these are typos: misspelt-names.ts). */
const READ_AS_IS: ReadonlySet<string> = new Set([...AR_NAMES, 'command', 'global', 'cluster']);

/** Top-level sections of every `<ossec_config>` root, in document order. */
function sections(tree: readonly XmlElement[], diag: Diagnostics): XmlElement[] {
  const out: XmlElement[] = [];
  for (const root of tree) {
    if (root.name === ROOT) {
      out.push(...root.children);
    } else {
      diag.error(
        root.line,
        Msg.invalidElement(root.name) + didYouMean(root.name, [ROOT]),
        Code.INVALID_ELEMENT,
      );
    }
  }
  if (tree.length === 0) {
    diag.error(1, `No <${ROOT}> element found.`);
  }
  return out;
}

function nodeName(secs: readonly XmlElement[]): string {
  for (const s of secs) {
    const n = s.name === 'cluster' ? s.children.find((c) => c.name === 'node_name') : undefined;
    if (n) {
      return n.text;
    }
  }
  return UNNAMED_NODE;
}

interface ManagerParts {
  commands: CommandDef[];
  rules: ArRule[];
}

/** The `<name>` of every `<command>` block, with its line (the first block of a name). */
function declaredCommands(secs: readonly XmlElement[]): Map<string, number> {
  const declared = new Map<string, number>();
  for (const s of secs) {
    const name = s.name === 'command' ? s.children.find((c) => c.name === 'name')?.text : undefined;
    if (name !== undefined && name !== '' && !declared.has(name)) {
      declared.set(name, s.line);
    }
  }
  return declared;
}

function addCommand(
  block: XmlElement,
  byName: Map<string, CommandDef>,
  broken: Set<string>,
  diag: Diagnostics,
): void {
  const cmd = compileCommand(block, diag);
  if (!cmd) {
    const name = block.children.find((c) => c.name === 'name')?.text;
    if (name !== undefined) {
      broken.add(name);
    }
    return;
  }
  const first = byName.get(cmd.name);
  if (first) {
    diag.warn(
      block.line,
      `Command '${cmd.name}' is already defined at line ${first.line}; the first definition is used.`,
    );
    return;
  }
  byName.set(cmd.name, cmd);
}

/** Commands and AR rules, in document order (a command must precede the block that uses it). */
function compileManager(secs: readonly XmlElement[], diag: Diagnostics): ManagerParts {
  const byName = new Map<string, CommandDef>();
  const broken = new Set<string>();
  const declared = declaredCommands(secs);
  const rules: ArRule[] = [];
  let index = 0;
  for (const s of secs) {
    if (s.name === 'command') {
      addCommand(s, byName, broken, diag);
    } else if (AR_NAMES.has(s.name)) {
      const rule = compileActiveResponse(s, { commands: byName, broken, declared, index: index++, diag });
      if (rule) {
        rules.push(rule);
      }
    }
  }
  return { commands: [...byName.values()], rules };
}

/**
 * Compiles the tree read from `opts.file`. On success the config is deep-frozen; on failure every
 * error is returned, formatted `FILE:LINE: (CODE) message`.
 */
export function compileConfig(tree: readonly XmlElement[], opts: CompileOptions): CompileResult {
  const diag = new Diagnostics(opts.file);
  const secs = sections(tree, diag);
  const manager = opts.mode === 'manager';
  reportMisspeltNames(secs, READ_AS_IS, diag);
  const { commands, rules } = manager ? compileManager(secs, diag) : { commands: [], rules: [] };
  const wl = emptyWhiteList();
  if (manager) {
    for (const el of secs.filter((s) => s.name === 'global').flatMap((s) => s.children)) {
      if (el.name === 'white_list') {
        addWhiteListEntry(wl, el, diag);
      }
    }
  }
  const arBlocks = secs.filter((s) => AR_NAMES.has(s.name));
  const agent = compileAgentSettings(arBlocks, {
    diag,
    checkDisabled: !manager,
    ...(manager ? { rules } : {}),
  });
  if (diag.errors.length > 0) {
    return { ok: false, errors: diag.errors, warnings: diag.warnings };
  }
  const config: Config = {
    file: opts.file,
    commands,
    rules,
    whiteList: toWhiteList(wl),
    nodeName: nodeName(secs),
    agent,
    warnings: diag.warnings,
  };
  return { ok: true, config: deepFreeze(config) };
}
