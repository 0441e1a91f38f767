/**
 * The agent-side `<active-response>` settings that execd reads (reference §2.1, §3.6): the first
 * `<disabled>` found in any block, and the first `<repeated_offenders>` found in any block.
 */
import type { AgentArSettings, ArRule } from '../core/config-model.js';
import { Code, Accepted, Msg, type Diagnostics } from './diagnostics.js';
import type { XmlElement } from './xml-element.js';
import { atoi } from '../core/c-atoi.js';
import { warnShorterRepeats } from './offender-warning.js';

/** execd keeps at most this many repeated_offenders values. */
const MAX_OFFENDER_VALUES = 5;

/**
 * Parses `<repeated_offenders>` like execd: at most 5 comma-separated pieces (the 5th holds the rest,
 * and atoi stops at its first comma), leading spaces/tabs trimmed, empty pieces skipped, atoi each.
 * Only the leading non-zero values are used (minutes). Undefined when a value is negative (Riposte
 * refuses it; Wazuh would compute a negative timeout).
 */
export function parseRepeatedOffenders(text: string): number[] | undefined {
  const parts = text.split(',');
  const pieces = [...parts.slice(0, MAX_OFFENDER_VALUES - 1), parts.slice(MAX_OFFENDER_VALUES - 1).join(',')];
  const values = pieces
    .map((p) => p.replace(/^[ \t]+/, ''))
    .filter((p) => p !== '')
    .map((p) => atoi(p));
  if (values.some((v) => v < 0)) {
    return undefined;
  }
  const firstZero = values.indexOf(0);
  return firstZero < 0 ? values : values.slice(0, firstZero);
}

function firstChild(blocks: readonly XmlElement[], name: string): XmlElement | undefined {
  for (const b of blocks) {
    const el = b.children.find((c) => c.name === name);
    if (el) {
      return el;
    }
  }
  return undefined;
}

interface AgentSettingsOptions {
  readonly diag: Diagnostics;
  /** Agent mode: report a bad `<disabled>` (manager mode: the block compiler already did). */
  readonly checkDisabled: boolean;
  /** Manager mode: the compiled responses, to warn when the list would shorten one's block. */
  readonly rules?: readonly ArRule[];
}

/** Reports a bad first `<disabled>` (agent mode), or warns about a first `yes` (manager mode). */
function checkFirstDisabled(dis: XmlElement | undefined, opts: AgentSettingsOptions): void {
  if (!dis) {
    return;
  }
  if (!opts.checkDisabled && dis.text === 'yes') {
    opts.diag.warn(
      dis.line,
      "The first <disabled> of the file is 'yes': as with Wazuh's execd, responses that run on this " +
        'manager itself (location server, or local for its own events) are disabled.',
    );
  }
  if (opts.checkDisabled && dis.text !== 'yes' && dis.text !== 'no') {
    opts.diag.error(dis.line, Msg.invalidValue('disabled', dis.text) + Accepted.yesNo, Code.INVALID_VALUE);
  }
}

/**
 * Computes the agent settings from every `<active-response>` block in document order. In manager
 * mode a first `<disabled>yes</disabled>` is warned about, because it also turns off the manager's
 * own execd (reference §3.6), which surprises people.
 */
export function compileAgentSettings(
  blocks: readonly XmlElement[],
  opts: AgentSettingsOptions,
): AgentArSettings {
  const dis = firstChild(blocks, 'disabled');
  checkFirstDisabled(dis, opts);
  const ro = firstChild(blocks, 'repeated_offenders');
  const offenders = ro ? parseRepeatedOffenders(ro.text) : [];
  if (ro && offenders === undefined) {
    opts.diag.error(
      ro.line,
      `${Msg.invalidValue('repeated_offenders', ro.text)} Values are minutes and cannot be negative.`,
    );
  }
  if (ro && offenders !== undefined && opts.rules !== undefined) {
    warnShorterRepeats(ro.line, offenders, opts.rules, opts.diag);
  }
  return { disabled: dis?.text === 'yes', repeatedOffenders: offenders ?? [] };
}
