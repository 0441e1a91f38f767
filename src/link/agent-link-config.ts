/**
 * `<home>/etc/pki/agent.json`: what enrollment leaves on the agent, and what the connector reads:
 * the manager's address(es), the agent's id and name, and the PEM files (CA pinned at enrollment,
 * client certificate and key, 0600).
 *
 * Several managers (like Wazuh's several `<server>` blocks): `managers` lists every node of a
 * cluster sharing one store and one CA; the connector tries them in order and moves to the next
 * when one fails. Files written before that field existed hold only `manager`.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

export interface AgentLinkConfig {
  /** "HOST:PORT" ("[v6]:PORT" for IPv6): the first of `managers`. */
  readonly manager: string;
  /** Every manager address, in the order the connector tries them (at least one). */
  readonly managers: readonly string[];
  readonly id: string;
  readonly name: string;
  readonly caFingerprint: string;
}

export function pkiDir(home: string): string {
  return join(home, 'etc', 'pki');
}

export function agentLinkFile(home: string): string {
  return join(pkiDir(home), 'agent.json');
}

/** The link config, or undefined when the agent was never enrolled. @throws CONFIG_INVALID */
export function readAgentLinkConfig(home: string): AgentLinkConfig | undefined {
  const file = agentLinkFile(home);
  if (!existsSync(file)) {
    return undefined;
  }
  const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof AgentLinkConfig, unknown>>;
  const { manager, id, name, caFingerprint } = v;
  if (
    typeof manager !== 'string' ||
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    typeof caFingerprint !== 'string'
  ) {
    throw new RiposteError(ErrorCode.CONFIG_INVALID, `${file}: invalid enrollment file`);
  }
  const managers = managerList(file, v.managers, manager);
  return { manager: managers[0] ?? manager, managers, id, name, caFingerprint };
}

/** `managers` when present (a non-empty list of HOST:PORT strings), else `[manager]`. */
function managerList(file: string, raw: unknown, manager: string): string[] {
  if (raw === undefined) {
    return [manager];
  }
  const list: unknown[] = Array.isArray(raw) ? raw : [];
  if (list.length === 0 || !list.every((m): m is string => typeof m === 'string')) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `${file}: "managers" must be a non-empty list of "HOST:PORT" strings`,
    );
  }
  for (const m of list) {
    if (!/^(?:\[[^\]]+\]|[^:[\]]+):\d{1,5}$/.test(m)) {
      throw new RiposteError(ErrorCode.CONFIG_INVALID, `${file}: "managers" entry "${m}" is not HOST:PORT`);
    }
  }
  return [...new Set(list)];
}

export interface AgentCredentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export function readAgentCredentials(home: string): AgentCredentials {
  const dir = pkiDir(home);
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'agent.pem'), 'utf8'),
    key: readFileSync(join(dir, 'agent.key'), 'utf8'),
  };
}

/** Writes the enrollment result: ca.pem, agent.pem, agent.key (0600) and agent.json. */
export function writeAgentEnrollment(home: string, cfg: AgentLinkConfig, creds: AgentCredentials): void {
  const dir = pkiDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'agent.key'), creds.key, { mode: 0o600 });
  writeFileSync(join(dir, 'agent.pem'), creds.cert, { mode: 0o644 });
  writeFileSync(join(dir, 'ca.pem'), creds.ca, { mode: 0o644 });
  writeFileSync(agentLinkFile(home), `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
}

/** Splits "HOST[:PORT]" / "[V6][:PORT]"; the port defaults to `defaultPort` (0 = any free port, for listening). */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (host === undefined || port > 65535) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `Invalid address "${text}": expected HOST[:PORT]`);
  }
  return { host, port };
}

/** "host:port", with brackets around an IPv6 host (for URLs and agent.json). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
