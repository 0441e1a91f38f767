/**
 * Config errors say what to write instead (issue #9 item 2): "did you mean" for elements, locations
 * and command names, the accepted forms of a value, one error per root cause, and XML syntax errors
 * that name the tags.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance, nearest } from '../../../src/core/suggest.js';
import { readXml } from '../../../src/config/xml-reader.js';
import { at, compileXml, errorsOf, FILE, withAr } from './helpers.js';

const FD = '<command>firewall-drop</command>';

void describe('suggest', () => {
  void test('edit distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('rule_id', 'rules_id'), 1);
    assert.equal(editDistance('firewall-drp', 'firewall-drop'), 1);
    assert.equal(editDistance('lcoal', 'local'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });

  void test('nearest: only a near word, never the word itself', () => {
    assert.equal(nearest('locall', ['local', 'server', 'all']), 'local');
    assert.equal(nearest('level', ['level', 'timeout']), undefined);
    assert.equal(nearest('agent', ['local', 'server', 'all']), undefined);
    assert.equal(nearest('RULES_ID', ['rules_id']), undefined);
  });
});

void describe('config errors say what to do next', () => {
  void test('an unknown element suggests the nearest one: rule_id -> rules_id', () => {
    assert.deepEqual(errorsOf(withAr(`${FD}\n<location>local</location>\n<rule_id>5712</rule_id>`)), [
      at(14, "(1230) Invalid element in the configuration: 'rule_id'. Did you mean 'rules_id'?"),
    ]);
  });

  void test('a timeout in words lists the accepted forms', () => {
    const xml = withAr(`${FD}\n<location>local</location>\n<level>5</level>\n<timeout>10 minutes</timeout>`);
    assert.deepEqual(errorsOf(xml), [
      at(
        15,
        "(1235) Invalid value for element 'timeout': 10 minutes. Accepted: a number of seconds (600) or a " +
          'number with a unit s, m, h or d (30s, 10m, 1h, 1d).',
      ),
    ]);
  });

  void test('a bad timeout_allowed is reported once, not again by each block using the command', () => {
    const block = (level: number): string =>
      `<active-response><command>block</command><location>local</location><level>${level}</level></active-response>`;
    const xml = `<ossec_config>
<command><name>block</name><executable>firewall-drop</executable><timeout_allowed>yess</timeout_allowed></command>
${block(5)}
${block(6)}
${block(7)}
</ossec_config>`;
    assert.deepEqual(errorsOf(xml), [
      at(2, "(1235) Invalid value for element 'timeout_allowed': yess. Accepted: yes or no."),
    ]);
  });

  void test('an unknown command name suggests the nearest defined one', () => {
    assert.deepEqual(errorsOf(withAr('<command>firewall-drp</command>\n<location>local</location>')), [
      at(12, "(1303) Invalid command 'firewall-drp' in the active response. Did you mean 'firewall-drop'?"),
    ]);
  });

  void test("'locall' is read as local, as Wazuh does, with a warning naming the keyword", () => {
    const r = compileXml(withAr(`${FD}\n<location>locall</location>\n<level>5</level>`));
    assert.ok(r.ok);
    assert.equal(r.config.rules[0]?.location.local, true);
    assert.deepEqual(r.config.warnings, [
      at(
        13,
        "Location word 'locall' is not a keyword; Wazuh reads keywords inside it, as Riposte does. " +
          "Did you mean 'local'?",
      ),
    ]);
  });

  void test('keyword lists like "local,server" and "defined-agent" give no warning', () => {
    for (const loc of ['local,server', 'defined-agent', 'all', 'AS']) {
      const extra = loc === 'defined-agent' ? '\n<agent_id>001</agent_id>' : '';
      const r = compileXml(withAr(`${FD}\n<location>${loc}</location>\n<level>5</level>${extra}`));
      assert.ok(r.ok, loc);
      assert.deepEqual(r.config.warnings, [], loc);
    }
  });

  void test('a location without any keyword suggests the nearest: lcoal -> local', () => {
    assert.deepEqual(errorsOf(withAr(`${FD}\n<location>lcoal</location>`)), [
      at(13, "(1302) Invalid active response location: 'lcoal'. Did you mean 'local'?"),
    ]);
  });

  void test('XML syntax errors name the tags: the close tag found and the one open', () => {
    const r = readXml('<ossec_config>\n<command>\n<name>x</nam>\n</command>\n</ossec_config>\n', FILE);
    assert.deepEqual(r.ok ? [] : r.errors, [
      at(
        3,
        'XML syntax error: unexpected close tag. Found </nam> while <name> (line 3) is open: expected </name>.',
      ),
    ]);
    const unclosed = readXml('<ossec_config>\n<command>\n</command>\n', FILE);
    assert.deepEqual(unclosed.ok ? [] : unclosed.errors, [
      at(4, 'XML syntax error: unclosed tag: ossec_config (opened at line 1, never closed)'),
    ]);
  });
});
