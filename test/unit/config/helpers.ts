/**
 * Shared helpers for the configuration tests: compile an XML string as etc/ossec.conf.
 * Test XML starts with `<ossec_config>` on line 1, so the n-th line of a template is line n.
 */
import assert from 'node:assert/strict';
import { compileConfig, type CompileResult, type ConfigMode } from '../../../src/config/compile-config.js';
import type { Config } from '../../../src/core/config-model.js';
import { readXml } from '../../../src/config/xml-reader.js';

export const FILE = 'etc/ossec.conf';

export function compileXml(xml: string, mode: ConfigMode = 'manager'): CompileResult {
  const read = readXml(xml, FILE);
  if (!read.ok) {
    return { ok: false, errors: read.errors, warnings: [] };
  }
  return compileConfig(read.elements, { file: FILE, mode });
}

/** Compiles and asserts success. */
export function okConfig(xml: string, mode: ConfigMode = 'manager'): Config {
  const r = compileXml(xml, mode);
  assert.ok(r.ok, `expected a valid config, got:\n${r.ok ? '' : r.errors.join('\n')}`);
  return r.config;
}

/** Compiles and returns the errors, asserting failure. */
export function errorsOf(xml: string, mode: ConfigMode = 'manager'): readonly string[] {
  const r = compileXml(xml, mode);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.errors;
}

/** `<command>` blocks for tests, as lines 2-11 of a document. */
export const COMMANDS = `<ossec_config>
  <command>
    <name>firewall-drop</name>
    <executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed>
  </command>
  <command>
    <name>restart-wazuh</name>
    <executable>restart-wazuh</executable>
  </command>
`;
/** The first line after {@link COMMANDS}. */
export const AFTER_COMMANDS = 11;

/** COMMANDS + one `<active-response>` whose children are `inner` (the block opens on line 11). */
export function withAr(inner: string, tag = 'active-response'): string {
  return `${COMMANDS}<${tag}>\n${inner}\n</${tag}>\n</ossec_config>\n`;
}

/** Shorthand: the message a line gets. */
export function at(line: number, message: string): string {
  return `${FILE}:${line}: ${message}`;
}
