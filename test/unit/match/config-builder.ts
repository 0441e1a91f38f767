/**
 * Test builders for compiled `Config` objects, so matching tests do not depend on the XML compiler.
 * The group matcher here is a minimal OSMatch-like one (case-insensitive substring, `|`, `^`, `$`),
 * enough for the cases under test; the real OSSEC regex lives in src/core/match/ossec-regex.ts.
 */
import type {
  ArRule,
  CommandDef,
  Config,
  GroupMatcher,
  LocationFlags,
} from '../../../src/core/config-model.js';
import { parseNetwork, type IpNetwork } from '../../../src/core/net/ip.js';
import { viewAlert, type AlertView } from '../../../src/protocol/alert.js';
import type { JsonObject } from '../../../src/protocol/json.js';

/** Case-insensitive substring alternatives with optional ^/$ anchors. */
export function simpleMatcher(source: string): GroupMatcher {
  const alts = source.toLowerCase().split('|');
  return {
    source,
    test(text: string): boolean {
      const t = text.toLowerCase();
      return alts.some((a) => {
        const start = a.startsWith('^');
        const end = a.endsWith('$');
        const body = a.slice(start ? 1 : 0, end ? -1 : undefined);
        if (start && end) {
          return t === body;
        }
        return start ? t.startsWith(body) : end ? t.endsWith(body) : t.includes(body);
      });
    },
  };
}

/** §3.3 location keywords, each a case-insensitive substring test. */
export function locationFlags(raw: string): LocationFlags {
  return {
    server: /AS|analysisd|analysis-server|server/i.test(raw),
    local: /local/i.test(raw),
    definedAgent: /defined-agent/i.test(raw),
    all: /all|any/i.test(raw),
  };
}

export function makeCommand(over: Partial<CommandDef> = {}): CommandDef {
  return {
    name: 'firewall-drop',
    executable: 'firewall-drop',
    timeoutAllowed: true,
    extraArgs: [],
    line: 1,
    ...over,
  };
}

export interface RuleSpec {
  command?: CommandDef;
  location?: string;
  level?: number;
  group?: string;
  rulesId?: readonly number[];
  timeout?: number;
  agentIds?: readonly string[];
  disabled?: boolean;
}

export function makeRule(spec: RuleSpec, index = 0): ArRule {
  const command = spec.command ?? makeCommand();
  const timeout = spec.timeout ?? 0;
  const location = spec.location ?? 'local';
  return {
    index,
    line: 10 + index,
    disabled: spec.disabled ?? false,
    command,
    arName: `${command.name}${timeout}`,
    locationRaw: location,
    location: locationFlags(location),
    agentIds: spec.agentIds ?? [],
    level: spec.level,
    rulesGroup: spec.group === undefined ? undefined : simpleMatcher(spec.group),
    rulesId: spec.rulesId ?? [],
    timeout,
  };
}

export interface ConfigSpec {
  rules?: readonly RuleSpec[];
  networks?: readonly string[];
  patterns?: readonly string[];
  nodeName?: string;
}

function net(text: string): IpNetwork {
  const n = parseNetwork(text);
  if (!n) {
    throw new Error(`bad network in test: ${text}`);
  }
  return n;
}

export function makeConfig(spec: ConfigSpec = {}): Config {
  const rules = (spec.rules ?? []).map((r, i) => makeRule(r, i));
  return {
    file: 'test.conf',
    commands: [...new Set(rules.map((r) => r.command))],
    rules,
    whiteList: {
      networks: (spec.networks ?? []).map(net),
      patterns: (spec.patterns ?? []).map(simpleMatcher),
      entries: [...(spec.networks ?? []), ...(spec.patterns ?? [])],
    },
    nodeName: spec.nodeName ?? 'undefined',
    agent: { disabled: false, repeatedOffenders: [] },
    warnings: [],
  };
}

export interface AlertSpec {
  ruleId?: string;
  level?: number;
  groups?: readonly string[];
  agentId?: string;
  data?: JsonObject;
}

/** A small but Wazuh-shaped alert (key order as in alerts.json). */
export function makeAlertRaw(spec: AlertSpec = {}): JsonObject {
  return {
    timestamp: '2026-11-20T08:15:02.123+0000',
    rule: {
      level: spec.level ?? 10,
      description: 'test rule',
      id: spec.ruleId ?? '5712',
      firedtimes: 1,
      mail: false,
      groups: [...(spec.groups ?? ['syslog', 'sshd', 'authentication_failures'])],
    },
    agent: { id: spec.agentId ?? '001', name: 'web-01', ip: '10.0.2.15' },
    manager: { name: 'wazuh-manager' },
    id: '1763626502.4711',
    full_log: 'test',
    decoder: { name: 'sshd' },
    data: spec.data ?? { srcip: '203.0.113.45' },
    location: '/var/log/auth.log',
  };
}

export function makeAlert(spec: AlertSpec = {}): AlertView {
  const r = viewAlert(makeAlertRaw(spec));
  if (!r.ok) {
    throw new Error(r.error);
  }
  return r.alert;
}
