/**
 * The compiled, frozen configuration that the rest of Riposte uses. Produced from ossec.conf by
 * config/compile-config.ts (pure) after config/load-config.ts read the file. Every value here is already
 * validated; durations are in seconds (Wazuh's unit on the wire and in ar.conf).
 */
import type { IpNetwork } from './net/ip.js';

/** A `<command>` block. */
export interface CommandDef {
  readonly name: string;
  readonly executable: string;
  /** @default false (Wazuh's code default; its docs wrongly say yes) */
  readonly timeoutAllowed: boolean;
  /** `<extra_args>` split with strtok semantics on spaces (input capped at 2047 chars). */
  readonly extraArgs: readonly string[];
  /** Where the block starts, for messages. */
  readonly line: number;
}

/** Which location keywords a `<location>` value contains (substring, case-insensitive, §3.3). */
export interface LocationFlags {
  /** `AS|analysisd|analysis-server|server` */
  readonly server: boolean;
  /** `local`: the agent that produced the alert. */
  readonly local: boolean;
  /** `defined-agent`: the `<agent_id>` agents. */
  readonly definedAgent: boolean;
  /** `all|any`: every active agent except the manager. */
  readonly all: boolean;
}

/** Matches a rule's raw group string ("a,b,c,"), compiled from an OSSEC regex. */
export interface GroupMatcher {
  readonly source: string;
  test(groupString: string): boolean;
}

/** One `<active-response>` block (an "AR rule"). */
export interface ArRule {
  /** 0-based position among the file's `<active-response>` blocks. */
  readonly index: number;
  readonly line: number;
  /** True when the block says `<disabled>yes</disabled>`: kept for `explain`, never fires. */
  readonly disabled: boolean;
  readonly command: CommandDef;
  /** Command name + timeout digits, e.g. "firewall-drop600"; the ar.conf and message key. */
  readonly arName: string;
  readonly locationRaw: string;
  readonly location: LocationFlags;
  /**
   * `<agent_id>` values, each formatted as three digits ("001"). Wazuh takes one id; Riposte also
   * accepts a comma-separated list (a documented extension).
   */
  readonly agentIds: readonly string[];
  /** `<level>`; undefined when absent or 0 (no level criterion). */
  readonly level: number | undefined;
  readonly rulesGroup: GroupMatcher | undefined;
  /** Ids taken by Wazuh's `rules_id` scanner. */
  readonly rulesId: readonly number[];
  /** Seconds; 0 when absent or when the command does not allow a timeout (1305). */
  readonly timeout: number;
}

/** `<global><white_list>`: IP networks (IPv4 and, unlike Wazuh, IPv6) and hostname patterns. */
export interface WhiteList {
  readonly networks: readonly IpNetwork[];
  /** OSMatch patterns (case-insensitive substring, `^`, `$`, `|`) tested on the srcip string. */
  readonly patterns: readonly GroupMatcher[];
  /** Entries as written, in file order, for summaries. */
  readonly entries: readonly string[];
}

/** Agent-side `<active-response>` settings read by execd (§3.6). */
export interface AgentArSettings {
  /** First `<disabled>` found in any `<active-response>` block. @default false */
  readonly disabled: boolean;
  /** Minutes; at most 5 leading non-zero values; empty = feature off. */
  readonly repeatedOffenders: readonly number[];
}

/** `Config.nodeName` without a `<cluster><node_name>`: analysisd's literal. */
export const UNNAMED_NODE = 'undefined';

export interface Config {
  readonly file: string;
  readonly commands: readonly CommandDef[];
  readonly rules: readonly ArRule[];
  readonly whiteList: WhiteList;
  /** `<cluster><node_name>`; "undefined" when absent, as analysisd writes it. */
  readonly nodeName: string;
  readonly agent: AgentArSettings;
  /** Non-fatal findings (1305, 1306), as `file:line: message`. */
  readonly warnings: readonly string[];
}
