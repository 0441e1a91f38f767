/**
 * The ossec.conf used by the ingest benchmark: 5 commands, 50 `<active-response>` blocks mixing every
 * criterion and location, and a 9-entry white list; compiled with the real compiler.
 */
import { compileConfig } from '../src/config/compile-config.js';
import type { Config } from '../src/core/config-model.js';
import { readXml } from '../src/config/xml-reader.js';

const COMMANDS = ['firewall-drop', 'host-deny', 'route-null', 'disable-account', 'custom-notify'];
const GROUPS = [
  'sshd',
  'web|attack',
  'authentication_failed,',
  'syscheck_entry_modified',
  '^syslog,sudo',
  'pci_dss_10.2.4,',
  '\\w+_injection',
  'windows_security',
];
const LOCATIONS = ['local', 'all', 'server', 'defined-agent', 'local'];
const WHITE = [
  '127.0.0.1',
  '^localhost.localdomain$',
  '10.0.0.0/8',
  '192.168.0.0/16',
  '172.16.0.0/12',
  '2001:db8:ffff::/48',
  '8.8.8.8',
  '1.1.1.1',
  'trusted-host',
];

function criteria(i: number): string {
  const level = 6 + (i % 10);
  const group = GROUPS[i % GROUPS.length] ?? 'sshd';
  const ids = [5710 + (i % 5), 31100 + (i % 9), 60100 + i, 550 + (i % 7)].join(',');
  switch (i % 5) {
    case 0:
      return `<rules_id>${ids}</rules_id>`;
    case 1:
      return `<level>${level}</level><rules_group>${group}</rules_group>`;
    case 2:
      return `<rules_group>${group}</rules_group>`;
    case 3:
      return `<level>${level + 4}</level>`;
    default:
      return `<level>${level}</level><rules_id>${ids}</rules_id>`;
  }
}

function block(i: number): string {
  const location = LOCATIONS[i % LOCATIONS.length] ?? 'local';
  const agentId =
    location === 'defined-agent' ? `<agent_id>${String(1 + (i % 9)).padStart(3, '0')}</agent_id>` : '';
  return (
    `<active-response><command>${COMMANDS[i % COMMANDS.length] ?? 'firewall-drop'}</command>` +
    `<location>${location}</location>${agentId}${criteria(i)}<timeout>${60 * (1 + (i % 10))}</timeout></active-response>`
  );
}

/** The benchmark config XML with `rules` AR blocks. */
export function benchConfigXml(rules: number): string {
  const commands = COMMANDS.map(
    (c) =>
      `<command><name>${c}</name><executable>${c}</executable><timeout_allowed>yes</timeout_allowed>` +
      `${c === 'custom-notify' ? '<extra_args>--channel soc --severity high</extra_args>' : ''}</command>`,
  ).join('\n');
  const blocks = Array.from({ length: rules }, (_, i) => block(i)).join('\n');
  const white = WHITE.map((w) => `<white_list>${w}</white_list>`).join('');
  return `<ossec_config><global>${white}</global><cluster><node_name>node01</node_name></cluster>\n${commands}\n${blocks}\n</ossec_config>\n`;
}

/** Compiles {@link benchConfigXml}; throws when the compiler rejects it. */
export function benchConfig(rules: number): Config {
  const xml = readXml(benchConfigXml(rules), 'bench.conf');
  if (!xml.ok) {
    throw new Error(xml.errors.join('\n'));
  }
  const r = compileConfig(xml.elements, { file: 'bench.conf', mode: 'manager' });
  if (!r.ok) {
    throw new Error(r.errors.join('\n'));
  }
  return r.config;
}
