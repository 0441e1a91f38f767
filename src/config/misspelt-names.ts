/**
 * Sections and elements that look like the ones Riposte reads but are spelt otherwise
 * (`<active-respons>`, `<Active-Response>`, `<gloabl>`, `<whitelist>` inside `<global>`). Wazuh
 * refuses any element it does not know (1230, fatal); Riposte skips the sections it does not read,
 * so that a complete ossec.conf loads, and would otherwise drop these silently: a white list or a
 * response lost to a typo. They are errors, as in Wazuh. Pure.
 */
import { nearest } from '../core/suggest.js';
import { Code, Msg, type Diagnostics } from './diagnostics.js';
import type { XmlElement } from './xml-element.js';

/** The top-level sections whose content Riposte reads. */
const READ_SECTIONS = ['command', 'active-response', 'global'] as const;

/** The name `name` was probably meant to be, among `known`; undefined when it is one or near none. */
function meant(name: string, known: readonly string[], accepted: ReadonlySet<string>): string | undefined {
  if (accepted.has(name)) {
    return undefined;
  }
  return known.find((k) => k.toLowerCase() === name.toLowerCase()) ?? nearest(name, known);
}

function report(el: XmlElement, intended: string, diag: Diagnostics): void {
  diag.error(
    el.line,
    `${Msg.invalidElement(el.name)} Did you mean '${intended}'? Element names are exact and ` +
      'case-sensitive; Wazuh refuses this file, and its content would be ignored.',
    Code.INVALID_ELEMENT,
  );
}

/**
 * Reports each top-level section of `secs` that is a near miss of a section Riposte reads, and
 * each child of a `<global>` that is a near miss of `white_list`. `accepted`: the section names
 * read as they are (including `active_response`).
 */
export function reportMisspeltNames(
  secs: readonly XmlElement[],
  accepted: ReadonlySet<string>,
  diag: Diagnostics,
): void {
  for (const s of secs) {
    const intended = meant(s.name, READ_SECTIONS, accepted);
    if (intended !== undefined) {
      report(s, intended, diag);
    }
    if (s.name !== 'global') {
      continue;
    }
    for (const el of s.children) {
      const child = meant(el.name, ['white_list'], new Set(['white_list']));
      if (child !== undefined) {
        report(el, child, diag);
      }
    }
  }
}
