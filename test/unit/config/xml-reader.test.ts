/** The XML reader and the document-level rules of compile-config. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readXml } from '../../../src/config/xml-reader.js';
import { at, errorsOf, FILE, okConfig } from './helpers.js';

void describe('xml-reader', () => {
  void test('several <ossec_config> roots, comments and an <?xml?> declaration are accepted, lines kept', () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<!-- header
  comment -->
<ossec_config>
  <global><white_list>1.2.3.4</white_list></global>
</ossec_config>
<ossec_config>
  <!-- <command><name>x</name></command> -->
  <command>
    <name><![CDATA[cd]]>ata</name>
  </command>
</ossec_config>`;
    const r = readXml(text, FILE);
    assert.ok(r.ok);
    assert.deepEqual(
      r.elements.map((e) => [e.name, e.line, e.children.map((c) => [c.name, c.line])]),
      [
        ['ossec_config', 4, [['global', 5]]],
        ['ossec_config', 7, [['command', 9]]],
      ],
    );
    assert.equal(r.elements[1]?.children[0]?.children[0]?.text, 'cdata');
  });

  void test("Wazuh's leniency: '--' inside comments and a bare '&' are accepted", () => {
    const r = readXml(
      '<ossec_config>\n<!-- <extra_args>--flag</extra_args> -->\n<x>a && b &amp; c</x>\n</ossec_config>',
      FILE,
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.elements[0]?.children.map((c) => [c.name, c.text, c.line]),
      [['x', 'a && b & c', 3]],
    );
  });

  void test('os_xml does no entity processing: an undefined entity is text', () => {
    const r = readXml(
      '<ossec_config>\n<x>sleep 1&wait;</x>\n<y>&foo; &lt;&#65;&#x42;&quot;&apos;&gt;</y>\n</ossec_config>',
      FILE,
    );
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    assert.deepEqual(
      r.elements[0]?.children.map((c) => [c.name, c.text, c.line]),
      [
        ['x', 'sleep 1&wait;', 2],
        ['y', '&foo; <AB"\'>', 3],
      ],
    );
  });

  void test('an error after an undefined entity keeps its line', () => {
    assert.deepEqual(readXml('<ossec_config>\n<x>&a;&b;</x>\n\n<y></z>\n</ossec_config>', FILE), {
      ok: false,
      errors: [
        `${FILE}:4: XML syntax error: unexpected close tag. Found </z> while <y> (line 4) is open: expected </y>.`,
      ],
    });
  });

  void test('a byte-order mark before the declaration is accepted', () => {
    assert.equal(readXml('\uFEFF<?xml version="1.0"?>\n<ossec_config/>', FILE).ok, true);
  });

  const broken: readonly [string, number][] = [
    ['<ossec_config>\n<command>\n</ossec_config>', 3],
    ['<ossec_config>\n\n<a></b>\n</ossec_config>', 3],
    ['<ossec_config>\n<name>a < b</name>\n</ossec_config>', 2],
    ['<ossec_config>\n', 2],
  ];
  for (const [text, line] of broken) {
    void test(`XML syntax errors name the file and line: ${JSON.stringify(text)}`, () => {
      const r = readXml(text, FILE);
      assert.equal(r.ok, false);
      const errors = r.ok ? [] : r.errors;
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', new RegExp(`^${FILE}:${line}: XML syntax error: \\S`));
    });
  }
});

void describe('document structure', () => {
  void test('sections Riposte does not use are skipped, so a full Wazuh file loads', () => {
    const c = okConfig(`<ossec_config>
<syscheck><frequency>43200</frequency><directories>/etc</directories></syscheck>
<ruleset><rule_dir>ruleset/rules</rule_dir></ruleset>
<remote><connection>secure</connection></remote>
<wodle name="x"><disabled>yes</disabled></wodle>
</ossec_config>`);
    assert.deepEqual([c.commands.length, c.rules.length], [0, 0]);
  });

  void test('a root other than <ossec_config> is 1230', () => {
    assert.deepEqual(errorsOf('<ossec_config/>\n<agent_config></agent_config>'), [
      at(2, "(1230) Invalid element in the configuration: 'agent_config'."),
    ]);
  });

  void test('a file without any element is an error', () => {
    assert.deepEqual(errorsOf('<!-- nothing -->\n'), [at(1, 'No <ossec_config> element found.')]);
  });
});
