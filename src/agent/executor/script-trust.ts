/**
 * Whether a script may be run: the check Wazuh's execd makes of its scripts' directory, applied to
 * the directory and to the script itself. Both must be owned by root or by the user this daemon
 * runs as, and writable by neither group nor others; otherwise anyone able to write there could
 * make the daemon (often root) run their code. A refusal is not an error of ours: the caller
 * records it as a failed execution with the reason.
 */
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';

const GROUP_OR_OTHER_WRITE = 0o022;

function problem(what: string, file: string, st: Stats, daemonUid: number): string | undefined {
  if (st.uid !== 0 && st.uid !== daemonUid) {
    return `${what} ${file} is owned by uid ${st.uid} (must be root or the daemon's user, uid ${daemonUid})`;
  }
  if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    return `${what} ${file} is writable by group or others (mode ${mode})`;
  }
  return undefined;
}

/**
 * Why `home/program` must not run, or undefined when it may. A missing file is not refused here:
 * running it reports the usual spawn error.
 * @param daemonUid @default process.getuid()
 */
export function scriptRefusal(
  home: string,
  program: string,
  daemonUid: number = process.getuid?.() ?? 0,
): string | undefined {
  const file = path.resolve(home, program);
  const dir = path.dirname(file);
  let fileStat: Stats;
  let dirStat: Stats;
  try {
    dirStat = statSync(dir);
    fileStat = statSync(file);
  } catch {
    return undefined;
  }
  const why = problem('directory', dir, dirStat, daemonUid) ?? problem('script', file, fileStat, daemonUid);
  return why === undefined ? undefined : `refused: ${why}`;
}
