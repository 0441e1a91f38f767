/**
 * Wazuh's `PUT /active-response` verdicts and result shape (reference §6.2), pure. Per agent, in
 * Wazuh's order: unknown id 1701; not active 1707; AR disabled on the agent 1750; empty command
 * 1650; a non-`!` command that is not an ar.conf name 1652. Messages and remediations are Wazuh
 * 4.14's (framework/wazuh/core/exception.py, documentation links for 4.14); 1650 has no remediation
 * there, so none here.
 */

export type WazuhArErrorCode = 1650 | 1652 | 1701 | 1707 | 1750;

export const WAZUH_AR_MESSAGES: Readonly<Record<WazuhArErrorCode, string>> = {
  1650: 'Active response - Command not specified',
  1652: 'The command used is not defined in the configuration.',
  1701: 'Agent does not exist',
  1707: 'Cannot send request, agent is not active',
  1750: 'Could not send restart command, active-response is disabled in the agent',
};

const DOCS = 'https://documentation.wazuh.com/4.14';

/** Wazuh 4.14's `remediation` for the codes that have one (its text, typos included). */
export const WAZUH_AR_REMEDIATIONS: Readonly<Partial<Record<WazuhArErrorCode, string>>> = {
  1652:
    `Please, visit the official documentation (${DOCS}/user-manual/capabilities/active-response/` +
    'how-to-configure.html)to get more information',
  1701: 'Please, use `GET /agents?select=id,name` to find all available agents',
  1707:
    `Please, check non-active agents connection and try again. Visit ${DOCS}/user-manual/registering/` +
    `index.html and ${DOCS}/user-manual/agents/agent-connection.html to obtain more information on ` +
    'registering and connecting agents',
  1750: "You can activate it in agents' `WAZUH_HOME/etc/ossec.conf`",
};

/** The `error` object of a failed item: code, message and, when Wazuh has one, remediation. */
export function wazuhArError(code: WazuhArErrorCode): WazuhArError {
  const remediation = WAZUH_AR_REMEDIATIONS[code];
  return {
    code,
    message: WAZUH_AR_MESSAGES[code],
    ...(remediation !== undefined ? { remediation } : {}),
  };
}

export interface WazuhArError {
  readonly code: WazuhArErrorCode;
  readonly message: string;
  readonly remediation?: string;
}

/** What the manager knows about one requested agent. */
export interface RunTarget {
  readonly id: string;
  readonly exists: boolean;
  readonly active: boolean;
  readonly arDisabled: boolean;
}

/** The failure code for `target`, or undefined when the command can be sent to it. */
export function runVerdict(
  target: RunTarget,
  command: string,
  arNames: ReadonlySet<string>,
): WazuhArErrorCode | undefined {
  if (!target.exists) {
    return 1701;
  }
  if (!target.active) {
    return 1707;
  }
  if (target.arDisabled) {
    return 1750;
  }
  if (command === '') {
    return 1650;
  }
  return command.startsWith('!') || arNames.has(command) ? undefined : 1652;
}

export interface WazuhResult {
  readonly data: {
    readonly affected_items: readonly string[];
    readonly total_affected_items: number;
    readonly total_failed_items: number;
    readonly failed_items: readonly {
      readonly error: WazuhArError;
      readonly id: readonly string[];
    }[];
  };
  readonly message: string;
  readonly error: 0 | 1 | 2;
}

/** Ids in numeric order (Wazuh's `sort_ids`: by int, else as text). */
function sortedIds(ids: readonly string[]): string[] {
  const numeric = ids.every((id) => /^\d+$/.test(id));
  return [...ids].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
}

/**
 * Builds Wazuh's AffectedItemsWazuhResult as its `render` lays it out: failures grouped by code,
 * the groups in code order and each group's ids in numeric order; the message says "not sent to
 * any agent" whenever no agent was affected (even with no failure), and `error` is 2 when some
 * failed and some not, 1 when only failures, else 0.
 */
export function wazuhResult(
  affected: readonly string[],
  failed: readonly { id: string; code: WazuhArErrorCode }[],
): WazuhResult {
  const groups = new Map<WazuhArErrorCode, string[]>();
  for (const f of failed) {
    const ids = groups.get(f.code) ?? [];
    ids.push(f.id);
    groups.set(f.code, ids);
  }
  const failedItems = [...groups]
    .sort(([a], [b]) => a - b)
    .map(([code, id]) => ({ error: wazuhArError(code), id: sortedIds(id) }));
  const none = affected.length === 0;
  const error = failed.length === 0 ? 0 : none ? 1 : 2;
  const message = none
    ? 'AR command was not sent to any agent'
    : failed.length === 0
      ? 'AR command was sent to all agents'
      : 'AR command was not sent to some agents';
  return {
    data: {
      affected_items: [...affected],
      total_affected_items: affected.length,
      total_failed_items: failed.length,
      failed_items: failedItems,
    },
    message,
    error,
  };
}
