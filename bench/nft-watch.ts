/**
 * Sees when a whole nft transaction has landed in a set of a scratch namespace, without the cost of
 * `nft list set` polls (~0.5 s of CPU per poll of 100,000 elements, competing with the daemon) and
 * without `nft monitor` (which prints 100,000 element events slower than they come, ~25,000/s here,
 * and whose listener makes the kernel build one notification per element inside the measured commit:
 * +0.15-0.3 s of system time per 100,000).
 *
 * A small netlink client (/usr/bin/python3, standard library only) asks the kernel for the ruleset's
 * generation id every 2 ms (NFT_MSG_GETGEN: one tiny message). A transaction is atomic and bumps the
 * generation when it commits, so when the id changes the client notes the time (CLOCK_MONOTONIC)
 * and counts the set's elements with one netlink dump (NFT_MSG_GETSETELEM); if the generation moved
 * again meanwhile, the count is not attributed to that time and is taken again. Each stable
 * observation is one line `<generation> <elements> <monotonic ns>`; its time is within one poll
 * (2 ms) of the commit.
 *
 * With `addresses` (for small sets: each element is parsed and printed), the same dump also reads
 * the IPv4 keys, and the line gets a fourth field: the addresses not in the previous stable
 * observation, comma-separated. An address's first observation is then the commit that added it,
 * seen within 2 ms, whatever else the transaction did. `nft monitor` cannot tell that since
 * 3a99328: every transaction of the nftables backend re-creates the sets and their drop rules, and
 * from the second such transaction nft 1.0.6's monitor has lost the sets from its cache ("W:
 * Received event for an unknown set") and prints none of their element events. Addresses present
 * when the watcher starts are in its first observation, whose time is not their commit's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ScratchNetns } from './scratch-netns.js';

const PYTHON = '/usr/bin/python3';
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    p.kill('SIGKILL');
  }
});
const POLL_MS = 2;

const WATCHER = String.raw`
import socket, struct, sys, time
table, setname, poll = sys.argv[1].encode() + b'\0', sys.argv[2].encode() + b'\0', float(sys.argv[3]) / 1000
addresses = sys.argv[4:] == ['addresses']
SUBSYS = 10 << 8  # NFNL_SUBSYS_NFTABLES
GETSETELEM, NEWSETELEM, NEWGEN, GETGEN = 13, 12, 15, 16
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
seq = [0]

def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack('=HH', n, t) + payload + b'\0' * (-n % 4)

def attrs(buf, off, end):
    while off + 4 <= end:
        n, t = struct.unpack_from('=HH', buf, off)
        if n < 4:
            return
        yield t & 0x3fff, off + 4, off + n
        off += (n + 3) & ~3

def send(msg, flags, family, body=b''):
    seq[0] += 1
    payload = struct.pack('=BBH', family, 0, 0) + body
    s.send(struct.pack('=IHHII', 16 + len(payload), SUBSYS | msg, 1 | flags, seq[0], 0) + payload)

def replies():
    # Yields (type, flags, buf, payload start, end) of the answer to the last request; stops at its end.
    while True:
        buf = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(buf):
            n, t, f, sq, _ = struct.unpack_from('=IHHII', buf, off)
            if sq == seq[0]:
                if t == 3:  # NLMSG_DONE
                    return
                yield t, f, buf, off + 16, off + n
                if t == 2 or not f & 2:  # NLMSG_ERROR (an ack or an error), or not multipart
                    return
            off += (n + 3) & ~3

def generation():
    send(GETGEN, 0, 0)
    for t, _, buf, start, end in replies():
        if t == SUBSYS | NEWGEN:
            for a, v, _ in attrs(buf, start + 4, end):
                if a == 1:  # NFTA_GEN_ID
                    return struct.unpack_from('>I', buf, v)[0]
    return -1

def ipv4(buf, off, end):
    # An element's key (NFTA_SET_ELEM_KEY > NFTA_DATA_VALUE) as a dotted quad; None if not 4 bytes.
    for a, v, e in attrs(buf, off, end):
        if a == 1:
            for b, dv, de in attrs(buf, v, e):
                if b == 1 and de - dv == 4:
                    return socket.inet_ntoa(buf[dv:de])
    return None

def elements():
    # One entry per element (its IPv4 key with addresses, else None); None when the dump was
    # interrupted by a commit; [] when the table or set is not there.
    send(GETSETELEM, 0x300, 1, attr(1, table) + attr(2, setname))  # NLM_F_DUMP, NFPROTO_INET
    out, intr = [], False
    for t, f, buf, start, end in replies():
        intr = intr or bool(f & 0x10)  # NLM_F_DUMP_INTR
        if t == SUBSYS | NEWSETELEM:
            for a, v, e in attrs(buf, start + 4, end):
                if a == 3:  # NFTA_SET_ELEM_LIST_ELEMENTS, each an NFTA_LIST_ELEM
                    for _, ev, ee in attrs(buf, v, e):
                        out.append(ipv4(buf, ev, ee) if addresses else None)
    return None if intr else out

print('ready', flush=True)
last, before = None, set()
while True:
    g = generation()
    if g != last:
        at = time.monotonic_ns()
        els = elements()
        if els is not None and generation() == g:
            line = [str(g), str(len(els)), str(at)]
            if addresses:
                now = set(a for a in els if a is not None)
                line.append(','.join(sorted(now - before)))
                before = now
            print(' '.join(line), flush=True)
            last = g
            continue
    time.sleep(poll)
`;

/** One stable observation: the set held `count` elements from `atNs` (process.hrtime.bigint clock). */
export interface SetObservation {
  readonly generation: number;
  readonly count: number;
  readonly atNs: bigint;
  /** With `addresses`: the IPv4 elements not in the previous observation (else empty). */
  readonly added: readonly string[];
}

type Test = (o: SetObservation) => boolean;

export class SetWatcher {
  private readonly seen: SetObservation[] = [];
  private readonly waiters: { test: Test; resolve: (o: SetObservation) => void }[] = [];
  private constructor(private readonly proc: ChildProcess) {}

  /**
   * Starts watching `inet riposte <set>` in `ns`; resolves once the first observation is in. With
   * `addresses`, each observation also lists the elements it added (for `present`).
   */
  static async start(ns: ScratchNetns, set = 'blocked4', addresses = false): Promise<SetWatcher> {
    const [cmd, ...pre] = ns.prefix();
    const args = [...pre, PYTHON, '-c', WATCHER, 'riposte', set, String(POLL_MS)];
    const proc = spawn(cmd ?? 'ip', addresses ? [...args, 'addresses'] : args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const w = new SetWatcher(proc);
    if (proc.stdout === null) {
      throw new Error('set watcher: no stdout');
    }
    createInterface({ input: proc.stdout }).on('line', (line) => {
      w.onLine(line);
    });
    const exited = new Promise<never>((_, reject) => {
      proc.once('exit', (code) => {
        reject(new Error(`set watcher exited (${String(code)})`));
      });
      proc.once('error', reject);
    });
    exited.catch(() => undefined);
    await Promise.race([w.first(() => true), exited]);
    return w;
  }

  private onLine(line: string): void {
    const [g, n, at, added] = line.split(' ');
    if (g === undefined || n === undefined || at === undefined) {
      return;
    }
    const o = {
      generation: Number(g),
      count: Number(n),
      atNs: BigInt(at),
      added: (added ?? '').split(',').filter((a) => a !== ''),
    };
    this.seen.push(o);
    for (const w of this.waiters.splice(0)) {
      if (w.test(o)) {
        w.resolve(o);
      } else {
        this.waiters.push(w);
      }
    }
  }

  /** The first observation (already seen or to come) that passes `test`. */
  private first(test: Test): Promise<SetObservation> {
    const found = this.seen.find(test);
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    return new Promise((resolve) => {
      this.waiters.push({ test, resolve });
    });
  }

  /** Like `first`, rejecting after `timeoutMs` with the last count seen. */
  private async firstWithin(test: Test, timeoutMs: number, what: string): Promise<SetObservation> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${what}: not seen after ${timeoutMs} ms (last count ${this.last()})`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.first(test), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The first observation (already seen or to come) whose element count passes `test`. */
  until(test: (count: number) => boolean): Promise<SetObservation> {
    return this.first((o) => test(o.count));
  }

  /** Like `until`, rejecting after `timeoutMs` with the last count seen. */
  within(test: (count: number) => boolean, timeoutMs: number, what: string): Promise<SetObservation> {
    return this.firstWithin((o) => test(o.count), timeoutMs, what);
  }

  /**
   * The observation that added `ip` (the watcher started with `addresses`): its time is the commit
   * that put `ip` in the set, within one poll. Rejects after `timeoutMs`.
   */
  present(ip: string, timeoutMs: number): Promise<SetObservation> {
    return this.firstWithin((o) => o.added.includes(ip), timeoutMs, `${ip} in the set`);
  }

  /** The latest element count seen (-1 before the first observation). */
  last(): number {
    return this.seen[this.seen.length - 1]?.count ?? -1;
  }

  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

/** ms from `fromNs` to `o` (both process.hrtime.bigint / CLOCK_MONOTONIC). */
export function msSince(fromNs: bigint, o: SetObservation): number {
  return Number(o.atNs - fromNs) / 1e6;
}
