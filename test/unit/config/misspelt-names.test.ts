/**
 * A section or element that looks like one Riposte reads but is spelt otherwise is an error
 * (Wazuh refuses any element it does not know, 1230), where skipping it would silently lose a
 * white list or a response. Sections Riposte does not read still load as they are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { at, COMMANDS, errorsOf, okConfig } from './helpers.js';

const BLOCK = '<command>firewall-drop</command><location>local</location><level>10</level>';
const tail = (name: string): string =>
  `Did you mean '${name}'? Element names are exact and case-sensitive; Wazuh refuses this file, ` +
  'and its content would be ignored.';

void test('a misspelt or recased <active-response>, <command> or <global> is an error naming the section meant', () => {
  const xml = `${COMMANDS}<active-respons>${BLOCK}</active-respons>
<Active-Response>${BLOCK}</Active-Response>
<gloabl><white_list>192.0.2.7</white_list></gloabl>
<commands><name>x</name><executable>x</executable></commands>
</ossec_config>
`;
  assert.deepEqual(errorsOf(xml), [
    at(11, `(1230) Invalid element in the configuration: 'active-respons'. ${tail('active-response')}`),
    at(12, `(1230) Invalid element in the configuration: 'Active-Response'. ${tail('active-response')}`),
    at(13, `(1230) Invalid element in the configuration: 'gloabl'. ${tail('global')}`),
    at(14, `(1230) Invalid element in the configuration: 'commands'. ${tail('command')}`),
  ]);
});

void test('inside <global>, a near miss of white_list is an error; other elements are not read', () => {
  const xml = `${COMMANDS}<global>
<whitelist>192.0.2.7</whitelist>
<white-list>192.0.2.8</white-list>
<White_List>192.0.2.9</White_List>
<email_notification>no</email_notification>
</global>
</ossec_config>
`;
  assert.deepEqual(errorsOf(xml), [
    at(12, `(1230) Invalid element in the configuration: 'whitelist'. ${tail('white_list')}`),
    at(13, `(1230) Invalid element in the configuration: 'white-list'. ${tail('white_list')}`),
    at(14, `(1230) Invalid element in the configuration: 'White_List'. ${tail('white_list')}`),
  ]);
});

void test("Wazuh's other sections, and the spelling active_response, load as before", () => {
  const xml = `${COMMANDS}<active_response>${BLOCK}</active_response>
<global><jsonout_output>yes</jsonout_output><white_list>192.0.2.7</white_list><logall>no</logall></global>
<syscheck><disabled>no</disabled></syscheck><rootcheck/><client/><cluster><node_name>n1</node_name></cluster>
<localfile><command>df -P</command></localfile><remote/><labels/><logging/><alerts/><auth/><wodle name="x"/>
</ossec_config>
`;
  const c = okConfig(xml);
  assert.equal(c.rules.length, 1);
  assert.equal(c.nodeName, 'n1');
  assert.deepEqual(c.warnings, []);
});

void test('an agent file is checked the same way', () => {
  const xml = `<ossec_config>
<active-respose><disabled>yes</disabled></active-respose>
</ossec_config>
`;
  assert.deepEqual(errorsOf(xml, 'agent'), [
    at(2, `(1230) Invalid element in the configuration: 'active-respose'. ${tail('active-response')}`),
  ]);
});
