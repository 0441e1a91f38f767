/**
 * The real `riposte agent --home HOME` daemon as a child process, for the cluster tests that run
 * the CLI as a user does (three-nodes-cli.test.ts, half-open-link.test.ts).
 */
import { spawn } from 'node:child_process';
import { MAIN, installMark, track, waitFor, type Proc } from '../../manager/support/fleet.js';

/** Starts the daemon (with the `mark` fixture installed); resolves once it printed its "running" line. */
export async function startAgentDaemon(home: string): Promise<Proc> {
  installMark(home);
  const p = track(
    spawn(process.execPath, [MAIN, 'agent', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  await waitFor(`agent daemon running in ${home}`, 30_000, () => {
    if (p.child.exitCode !== null) {
      throw new Error(`riposte agent exited ${p.child.exitCode}: ${p.output()}`);
    }
    return / running in /.test(p.output()) || undefined;
  });
  return p;
}
