/**
 * Child program for reapply-backends.test.ts: runs firewall-drop's re-apply form
 * (StockScript.reapplyJoined, what execd runs after a reboot) once, where nftables does not work.
 *
 * It must be started in a private mount namespace (`unshare -m --propagation private`, inside the
 * test's victim network namespace): there it bind-mounts /bin/false over each tool named in
 * `mask`, so that the backend probe (`nft list tables`, then `ipset list -n`) falls to ipset or
 * iptables. It refuses to mount anything in the mount namespace of the test that started it.
 * Prints one JSON line `{"failures":[{"key","message"}],"started":<calls of started()>}`.
 *
 * argv[2]: JSON `{ "home": "<dir>", "mask": ["nft", ...], "keys": "<a,b,...>", "count": <n>,
 * "testMnt": "<the test process's /proc/self/ns/mnt link>" }`.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { resolveBinary } from '../../src/scripts/contract/tools.js';
import { firewallDrop } from '../../src/scripts/firewall/firewall-drop.js';

interface Args {
  readonly home: string;
  readonly mask: readonly string[];
  readonly keys: string;
  readonly count: number;
  readonly testMnt?: string;
}

function maskTools(names: readonly string[], testMnt: string): void {
  const own = readlinkSync('/proc/self/ns/mnt');
  if (testMnt === '' || own === testMnt) {
    throw new Error('reapply-runner: not in a private mount namespace; refusing to mask host tools');
  }
  for (const name of names) {
    const file = resolveBinary(name);
    if (file === undefined) {
      throw new Error(`reapply-runner: no ${name} to mask`);
    }
    const r = spawnSync('mount', ['--bind', '/bin/false', file], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`reapply-runner: mount --bind /bin/false ${file}: ${r.stderr}`);
    }
  }
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
maskTools(args.mask, args.testMnt ?? '');
const reapply = firewallDrop.reapplyJoined;
if (reapply === undefined) {
  throw new Error('firewall-drop has no re-apply form');
}
let started = 0;
const failures = await reapply({
  keys: args.keys,
  count: args.count,
  home: args.home,
  signal: new AbortController().signal,
  started: () => {
    started++;
  },
});
process.stdout.write(`${JSON.stringify({ failures, started })}\n`);
