/**
 * Compiles one manager `<active-response>` block into an {@link ArRule} (reference §3.2-3.3), in
 * Wazuh's order of checks: element values, then disabled, then missing command/location (1281, not
 * for a block holding `repeated_offenders`), agent id 0 of a `defined-agent` block (1306, a warning
 * that skips the block before anything else is checked), then an unknown command (1303), a bad
 * location (1302), a missing agent id (1304) and a timeout not allowed (1305, a warning that forces
 * 0). Wazuh stops at its first error; every error is reported here.
 */
import type { ArRule, CommandDef, LocationFlags } from '../core/config-model.js';
import { readArBlockFields, type ArBlockFields } from './ar-block-fields.js';
import { Code, type Diagnostics } from './diagnostics.js';
import { LOCATION_KEYWORDS, parseLocation, unknownLocationWords } from './location.js';
import { didYouMean } from '../core/suggest.js';
import type { XmlElement } from './xml-element.js';
import { atoi } from '../core/c-atoi.js';

export interface ArCompileContext {
  /** Commands defined so far (a command must come before the block that uses it); first wins. */
  readonly commands: ReadonlyMap<string, CommandDef>;
  /** Commands whose block had errors (already reported): a block naming one adds no error of its own. */
  readonly broken: ReadonlySet<string>;
  /** Every command name declared in the file, with its line, for "did you mean" and order hints. */
  readonly declared: ReadonlyMap<string, number>;
  /** 0-based position of this block among the file's `<active-response>` blocks. */
  readonly index: number;
  readonly diag: Diagnostics;
}

/**
 * `<agent_id>` as a comma list (a Riposte extension), each item atoi'd. Empty items are ignored
 * (`1,` is 1, as Wazuh's atoi reads it); an all-empty list reads as [0] (atoi of the text).
 */
function parseAgentIds(text: string): number[] {
  const ids = text
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => atoi(part));
  return ids.length > 0 ? ids : [0];
}

function formatAgentId(n: number): string {
  return String(n).padStart(3, '0');
}

/** Formats each id like `%.3d`, keeping the first of equal ids (`1,001` targets 001 once). */
function formatAgentIds(ids: readonly number[]): string[] {
  return [...new Set(ids.map(formatAgentId))];
}

interface RuleParts {
  readonly command: CommandDef;
  readonly location: LocationFlags;
}

interface RuleExtras {
  readonly index: number;
  readonly line: number;
  readonly timeout: number;
  readonly agentIds: readonly string[];
}

function buildRule(f: ArBlockFields, parts: RuleParts, x: RuleExtras): ArRule {
  return {
    index: x.index,
    line: x.line,
    disabled: f.disabled,
    command: parts.command,
    arName: `${parts.command.name}${x.timeout}`,
    locationRaw: f.location?.value ?? '',
    location: parts.location,
    agentIds: x.agentIds,
    level: f.level === 0 ? undefined : f.level,
    rulesGroup: f.rulesGroup,
    rulesId: f.rulesId,
    timeout: x.timeout,
  };
}

/** Why a command name is unknown: defined after this block, or a near name. */
function commandHint(name: string, block: XmlElement, ctx: ArCompileContext): string {
  const line = ctx.declared.get(name);
  if (line !== undefined && line > block.line) {
    return ` It is defined at line ${line}, after this block: a <command> must come before the blocks that use it.`;
  }
  const hint = didYouMean(name, ctx.commands.keys());
  return hint !== '' ? hint : ` Defined commands: ${[...ctx.commands.keys()].join(', ') || 'none'}.`;
}

function locationHint(value: string): string {
  const hint = didYouMean(value, LOCATION_KEYWORDS);
  return hint !== '' ? hint : ` Accepted: ${LOCATION_KEYWORDS.join(', ')}.`;
}

/**
 * Wazuh accepts any value containing a keyword (`locall` is `local`); keep that, but say so when a
 * word is not a keyword, since it is most likely a typo.
 */
function warnLooseLocation(location: { value: string; line: number }, diag: Diagnostics): void {
  for (const word of unknownLocationWords(location.value)) {
    diag.warn(
      location.line,
      `Location word '${word}' is not a keyword; Wazuh reads keywords inside it, as Riposte does.` +
        (didYouMean(word, LOCATION_KEYWORDS) || ` Accepted: ${LOCATION_KEYWORDS.join(', ')}.`),
    );
  }
}

/** Resolves the command and location, reporting 1281/1303/1302/1304. */
function resolveParts(f: ArBlockFields, block: XmlElement, ctx: ArCompileContext): RuleParts | undefined {
  const { diag } = ctx;
  if (f.command === undefined || f.location === undefined) {
    if (!f.hasRepeatedOffenders) {
      diag.error(
        block.line,
        'Missing options in the active response configuration.',
        Code.MISSING_AR_OPTIONS,
      );
    }
    return undefined;
  }
  const command = ctx.commands.get(f.command.value);
  if (command === undefined && !ctx.broken.has(f.command.value)) {
    diag.error(
      f.command.line,
      `Invalid command '${f.command.value}' in the active response.${commandHint(f.command.value, block, ctx)}`,
      Code.INVALID_COMMAND,
    );
  }
  const location = parseLocation(f.location.value);
  if (location === undefined) {
    diag.error(
      f.location.line,
      `Invalid active response location: '${f.location.value}'.${locationHint(f.location.value)}`,
      Code.INVALID_LOCATION,
    );
  } else {
    warnLooseLocation(f.location, diag);
  }
  if (location?.definedAgent && f.agentId === undefined) {
    diag.error(block.line, 'No agent defined for response.', Code.NO_AGENT_DEFINED);
    return undefined;
  }
  return command && location ? { command, location } : undefined;
}

/** A disabled block is kept (for `explain`) when its command and location resolve; never an error. */
function compileDisabled(f: ArBlockFields, block: XmlElement, ctx: ArCompileContext): ArRule | undefined {
  const command = f.command && ctx.commands.get(f.command.value);
  const location = f.location && parseLocation(f.location.value);
  if (!command || !location) {
    return undefined;
  }
  const timeout = command.timeoutAllowed ? (f.timeout?.value ?? 0) : 0;
  const ids = location.definedAgent && f.agentId ? formatAgentIds(parseAgentIds(f.agentId.value)) : [];
  return buildRule(f, { command, location }, { index: ctx.index, line: block.line, timeout, agentIds: ids });
}

/** The timeout in seconds, forced to 0 with warning 1305 when the command does not allow one. */
function effectiveTimeout(f: ArBlockFields, command: CommandDef, diag: Diagnostics): number {
  const timeout = f.timeout?.value ?? 0;
  if (timeout === 0 || command.timeoutAllowed) {
    return timeout;
  }
  const line = f.timeout?.line ?? 0;
  diag.warn(line, `Timeout not allowed for command: '${command.name}'.`, Code.TIMEOUT_NOT_ALLOWED);
  return 0;
}

/** The target agent ids (`%.3d`) of a `defined-agent` block; none otherwise. */
function targetAgents(f: ArBlockFields, location: LocationFlags): string[] {
  return location.definedAgent && f.agentId !== undefined
    ? formatAgentIds(parseAgentIds(f.agentId.value))
    : [];
}

/**
 * Warning 1306: a `defined-agent` block whose agent id is 0 is skipped. Wazuh checks it while it
 * reads the location, before it looks the command up and checks the timeout, so such a block
 * reports neither an unknown command (1303) nor a timeout not allowed (1305).
 */
function skippedForAgentZero(f: ArBlockFields, diag: Diagnostics): boolean {
  if (f.command === undefined || f.location === undefined || f.agentId === undefined) {
    return false;
  }
  if (parseLocation(f.location.value)?.definedAgent !== true) {
    return false;
  }
  if (!parseAgentIds(f.agentId.value).some((n) => n <= 0)) {
    return false;
  }
  const message = 'Invalid agent ID. Use location=server to run AR on the manager.';
  diag.warn(f.agentId.line, message, Code.INVALID_AGENT_ID);
  return true;
}

/**
 * Compiles a block; undefined when it has errors (recorded in `ctx.diag`), is skipped (1306), or is
 * an incomplete disabled / repeated_offenders-only block.
 */
export function compileActiveResponse(block: XmlElement, ctx: ArCompileContext): ArRule | undefined {
  const { diag } = ctx;
  const f = readArBlockFields(block, diag);
  if (f.invalid) {
    return undefined;
  }
  if (f.disabled) {
    return compileDisabled(f, block, ctx);
  }
  if (skippedForAgentZero(f, diag)) {
    return undefined;
  }
  const parts = resolveParts(f, block, ctx);
  if (!parts) {
    return undefined;
  }
  const timeout = effectiveTimeout(f, parts.command, diag);
  const agentIds = targetAgents(f, parts.location);
  if ((f.level ?? 0) === 0 && f.rulesGroup === undefined && f.rulesId.length === 0) {
    diag.warn(block.line, 'This active response has no level, rules_group or rules_id: it never fires.');
  }
  return buildRule(f, parts, { index: ctx.index, line: block.line, timeout, agentIds });
}
