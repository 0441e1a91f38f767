/**
 * firewalld-drop: drops all traffic from a source address with a firewalld rich rule. Stateful,
 * key = the srcip.
 *
 * Input:  srcip (contract/input.ts: strict, IPv4-mapped unmapped, key = canonical text).
 * Effect: the runtime rich rule `rule family=ipv4|ipv6 source address=<ip> drop` (Wazuh's exact text,
 *         reference §4.1), each value one argv element of firewall-cmd, never a shell string:
 *           add:    firewall-cmd --query-rich-rule <rule>; when absent, --add-rich-rule <rule>
 *           delete: firewall-cmd --query-rich-rule <rule>; when present, --remove-rich-rule <rule>
 *         under the lock `active-response/bin/fw-drop`, shared with firewall-drop (Wazuh's too).
 * Idempotent through the query: a repeated add or delete changes nothing and succeeds.
 * Exit:   0 done; 255 invalid input, lock timeout, firewall-cmd missing (as Wazuh) or failing:
 *         `Unable to run firewall-cmd, action: '<--add-rich-rule>', rule: '<rule>': <stderr>`.
 * Not done: Wazuh retries a failing firewall-cmd 5 times with 1-4 s sleeps; Riposte runs it once
 *         (firewall-cmd already waits for firewalld over D-Bus) and reports the failure.
 */
import { ipOfKey, srcipInput, SRCIP_INVALID_LOG } from './contract/input.js';
import { LockDir, withLock } from './contract/lock.js';
import { ScriptFailure, type StockContext, type StockScript } from './contract/stock-script.js';
import { firstOutputLine, runTool } from './contract/tools.js';
import { formatIp, type IpAddress } from '../core/net/ip.js';

/** The rich rule for `addr`, exactly as Wazuh writes it. */
export function richRule(addr: IpAddress): string {
  return `rule family=ipv${addr.version} source address=${formatIp(addr)} drop`;
}

type Action = '--add-rich-rule' | '--remove-rich-rule';

/** firewall-cmd --query-rich-rule: exit 0 = present, 1 = absent, anything else = failure. */
async function isPresent(rule: string): Promise<boolean> {
  const r = await runTool({ tool: 'firewall-cmd', args: ['--query-rich-rule', rule] });
  if (r.exitCode === 0 || r.exitCode === 1) {
    return r.exitCode === 0;
  }
  throw new ScriptFailure(
    `Unable to run firewall-cmd, action: '--query-rich-rule', rule: '${rule}': ${firstOutputLine(r)}`,
  );
}

async function apply(action: Action, rule: string): Promise<void> {
  const r = await runTool({ tool: 'firewall-cmd', args: [action, rule] });
  if (r.exitCode !== 0) {
    throw new ScriptFailure(
      `Unable to run firewall-cmd, action: '${action}', rule: '${rule}': ${firstOutputLine(r)}`,
    );
  }
}

/** Runs `action` unless the rule is already in the wanted state (present for add, absent for remove). */
async function converge(ctx: StockContext, action: Action): Promise<void> {
  const addr = ipOfKey(ctx.key);
  if (addr === undefined) {
    throw new ScriptFailure(SRCIP_INVALID_LOG);
  }
  const rule = richRule(addr);
  const wantPresent = action === '--add-rich-rule';
  await withLock({ home: ctx.host.home, dir: LockDir.FIREWALL }, async () => {
    if ((await isPresent(rule)) === wantPresent) {
      ctx.log(`Rule '${rule}' already ${wantPresent ? 'present' : 'absent'}`);
      return;
    }
    await apply(action, rule);
  });
}

export const firewalldDrop: StockScript = {
  name: 'firewalld-drop',
  stateful: true,
  input: (message) => srcipInput(message),
  add: (ctx) => converge(ctx, '--add-rich-rule'),
  delete: (ctx) => converge(ctx, '--remove-rich-rule'),
};
