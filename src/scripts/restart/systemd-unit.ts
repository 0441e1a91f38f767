/**
 * Finds the systemd unit that runs the Riposte agent, when systemd is the running init.
 * Detection follows sd_booted(): the directory /run/systemd/system exists.
 */
import { promises as fs } from 'node:fs';
import { runTool } from '../contract/tools.js';

/** Units tried, in order. */
export const AGENT_UNITS: readonly string[] = ['riposte-agent.service', 'riposte.service'];

async function systemdRunning(): Promise<boolean> {
  try {
    return (await fs.stat('/run/systemd/system')).isDirectory();
  } catch {
    return false;
  }
}

/** The first of {@link AGENT_UNITS} systemd has loaded, or undefined (no systemd, or no such unit). */
export async function agentUnit(): Promise<string | undefined> {
  if (!(await systemdRunning())) {
    return undefined;
  }
  for (const unit of AGENT_UNITS) {
    const r = await runTool({ tool: 'systemctl', args: ['show', '--property=LoadState', '--value', unit] });
    if (r.exitCode === 0 && r.stdout.trim() === 'loaded') {
      return unit;
    }
  }
  return undefined;
}
