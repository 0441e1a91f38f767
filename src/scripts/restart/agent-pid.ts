/**
 * Finds the running Riposte agent from its pid file, `<home>/var/agent.pid` (written by the agent
 * daemon after it starts), and refuses pids that cannot be the agent.
 *
 * A pid file outlives its process (crash, reboot) and the pid may since belong to another program, for
 * which SIGUSR2 would be fatal. So on Linux the process must have started no later than the pid file
 * was written (start time from /proc/<pid>/stat and /proc/stat btime, USER_HZ = 100, the fixed Linux
 * ABI value); a reused pid started later and is refused. Without /proc only liveness is checked.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ScriptFailure } from '../contract/stock-script.js';

/** Pid file location relative to the install dir. */
export const AGENT_PID_FILE = 'var/agent.pid';
/** Linux USER_HZ: the unit of /proc/<pid>/stat starttime. */
const USER_HZ = 100;
/** Slack for clock rounding between the start time (1/100 s) and the file mtime, in ms. */
const START_SLACK_MS = 2000;

/** Start time of `pid` in epoch ms, or undefined when /proc cannot tell. */
export async function processStartMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 overall = index 19 after "pid (comm)"
    const btimeLine = /^btime (\d+)$/m.exec(await fs.readFile('/proc/stat', 'utf8'));
    if (!Number.isFinite(ticks) || btimeLine === null) {
      return undefined;
    }
    return Number(btimeLine[1]) * 1000 + (ticks * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPidFile(file: string): Promise<{ pid: number; writtenMs: number }> {
  let text: string;
  let writtenMs: number;
  try {
    text = await fs.readFile(file, 'utf8');
    writtenMs = (await fs.stat(file)).mtimeMs;
  } catch (err) {
    throw new ScriptFailure(
      `Cannot read pid file '${file}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const m = /^\s*(\d{1,10})\s*$/.exec(text);
  const pid = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(pid) || pid <= 1) {
    throw new ScriptFailure(`Invalid pid in '${file}'`);
  }
  return { pid, writtenMs };
}

/**
 * The agent's pid, checked as described in the module header.
 * @throws ScriptFailure when the file is missing or malformed, the process is gone, or it is not the
 * process that wrote the file.
 */
export async function agentPid(home: string): Promise<number> {
  const file = path.join(home, AGENT_PID_FILE);
  const { pid, writtenMs } = await readPidFile(file);
  if (!isAlive(pid)) {
    throw new ScriptFailure(`The agent (pid ${pid} from '${file}') is not running`);
  }
  const startMs = await processStartMs(pid);
  if (startMs !== undefined && startMs > writtenMs + START_SLACK_MS) {
    throw new ScriptFailure(`Stale pid file '${file}': pid ${pid} started after the file was written`);
  }
  return pid;
}
