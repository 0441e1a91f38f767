/**
 * Deterministic generator of realistic Wazuh 4.x alerts.json lines (same shapes as
 * test/fixtures/alerts): sshd, web access log attacks, FIM, Windows logon failures, sudo, PAM.
 * A seeded PRNG keeps runs comparable.
 */
import type { JsonObject } from '../src/protocol/json.js';

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, n: number): number => Math.floor(r() * n);

const COMPLIANCE = {
  pci_dss: ['10.2.4', '10.2.5'],
  gdpr: ['IV_35.7.d', 'IV_32.2'],
  hipaa: ['164.312.b'],
  nist_800_53: ['AU.14', 'AC.7'],
  tsc: ['CC6.1', 'CC6.8', 'CC7.2', 'CC7.3'],
};

function srcip(r: Rand): string {
  const k = r();
  if (k < 0.1) {
    return `10.${int(r, 256)}.${int(r, 256)}.${int(r, 256)}`;
  }
  if (k < 0.2) {
    return `2001:db8:${int(r, 0xffff).toString(16)}::${int(r, 0xffff).toString(16)}`;
  }
  return `${pick(r, [203, 198, 45, 185, 91])}.${int(r, 256)}.${int(r, 256)}.${1 + int(r, 254)}`;
}

function agent(r: Rand): JsonObject {
  const n = int(r, 100);
  return { id: String(n).padStart(3, '0'), name: `host-${n}`, ip: `10.0.${n >> 8}.${n & 255}` };
}

interface RuleTemplate {
  readonly id: string;
  readonly level: number;
  readonly description: string;
  readonly groups: readonly string[];
}

const SSHD: readonly RuleTemplate[] = [
  {
    id: '5710',
    level: 5,
    description: 'sshd: Attempt to login using a non-existent user',
    groups: ['syslog', 'sshd', 'authentication_failed', 'invalid_login'],
  },
  {
    id: '5712',
    level: 10,
    description: 'sshd: brute force trying to get access to the system. Non existent user.',
    groups: ['syslog', 'sshd', 'authentication_failures'],
  },
  {
    id: '5763',
    level: 10,
    description: 'sshd: brute force trying to get access to the system. Authentication failed.',
    groups: ['syslog', 'sshd', 'authentication_failures'],
  },
  {
    id: '5760',
    level: 5,
    description: 'sshd: authentication failed.',
    groups: ['syslog', 'sshd', 'authentication_failed'],
  },
];
const WEB: readonly RuleTemplate[] = [
  {
    id: '31101',
    level: 5,
    description: 'Web server 400 error code.',
    groups: ['web', 'accesslog', 'attack'],
  },
  {
    id: '31103',
    level: 7,
    description: 'SQL injection attempt.',
    groups: ['web', 'accesslog', 'attack', 'sql_injection'],
  },
  {
    id: '31168',
    level: 15,
    description: 'Shellshock attack detected',
    groups: ['web', 'accesslog', 'attack'],
  },
];

function base(r: Rand, t: RuleTemplate, seq: number): JsonObject {
  return {
    timestamp: `2026-11-20T08:${String(int(r, 60)).padStart(2, '0')}:${String(int(r, 60)).padStart(2, '0')}.${int(r, 1000)}+0000`,
    rule: {
      level: t.level,
      description: t.description,
      id: t.id,
      firedtimes: 1 + int(r, 50),
      mail: t.level >= 12,
      groups: [...t.groups],
      ...COMPLIANCE,
    },
    agent: agent(r),
    manager: { name: 'wazuh-manager' },
    id: `1763626${String(500 + (seq % 500)).padStart(3, '0')}.${seq * 1731}`,
  };
}

function sshd(r: Rand, seq: number): JsonObject {
  const ip = srcip(r);
  const user = pick(r, ['root', 'admin', 'oracle', 'postgres', 'ubuntu', 'test']);
  const log = `Nov 20 08:15:17 web-01 sshd[${1000 + int(r, 9000)}]: Failed password for invalid user ${user} from ${ip} port ${40000 + int(r, 20000)} ssh2`;
  return {
    ...base(r, pick(r, SSHD), seq),
    previous_output: `${log}\n${log}\n${log}`,
    full_log: log,
    predecoder: { program_name: 'sshd', timestamp: 'Nov 20 08:15:17', hostname: 'web-01' },
    decoder: { parent: 'sshd', name: 'sshd' },
    data: { srcip: ip, srcport: '50256', srcuser: user },
    location: '/var/log/auth.log',
  };
}

function web(r: Rand, seq: number): JsonObject {
  const ip = srcip(r);
  const url = pick(r, [
    '/cgi-bin/status',
    '/index.php?id=1%27%20UNION%20SELECT%201,2--',
    '/wp-login.php',
    '/.env',
  ]);
  return {
    ...base(r, pick(r, WEB), seq),
    full_log: `${ip} - - [20/Nov/2026:08:20:33 +0000] "GET ${url} HTTP/1.1" 404 512 "-" "Mozilla/5.0 (compatible; scanner/1.0)"`,
    decoder: { name: 'web-accesslog' },
    data: { protocol: 'GET', srcip: ip, id: '404', url },
    location: '/var/log/nginx/access.log',
  };
}

function fim(r: Rand, seq: number): JsonObject {
  const path = `/etc/${pick(r, ['passwd', 'shadow', 'cron.d/job', 'ssh/sshd_config'])}`;
  const t = {
    id: pick(r, ['550', '554']),
    level: 7,
    description: 'Integrity checksum changed.',
    groups: ['ossec', 'syscheck', 'syscheck_entry_modified', 'syscheck_file'],
  };
  return {
    ...base(r, t, seq),
    full_log: `File '${path}' modified\nMode: realtime\n`,
    syscheck: {
      path,
      mode: 'realtime',
      size_after: '1834',
      perm_after: 'rw-r--r--',
      uid_after: '0',
      gid_after: '0',
      md5_after: '5d41402abc4b2a76b9719d911017c592',
      sha1_after: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
      uname_after: 'root',
      gname_after: 'root',
      mtime_after: '2026-11-20T08:22:04',
      inode_after: 1835021,
      event: 'modified',
    },
    decoder: { name: 'syscheck_integrity_changed' },
    location: 'syscheck',
  };
}

function windows(r: Rand, seq: number): JsonObject {
  const t = {
    id: '60122',
    level: 5,
    description: 'Logon failure - Unknown user or bad password.',
    groups: ['windows', 'windows_security', 'authentication_failed'],
  };
  return {
    ...base(r, t, seq),
    decoder: { name: 'windows_eventchannel' },
    data: {
      win: {
        system: {
          providerName: 'Microsoft-Windows-Security-Auditing',
          eventID: '4625',
          level: '0',
          task: '12544',
          keywords: '0x8010000000000000',
          systemTime: '2026-11-20T08:23:18.5523741Z',
          eventRecordID: String(90000 + seq),
          channel: 'Security',
          computer: 'WIN-DC01.corp.local',
          severityValue: 'AUDIT_FAILURE',
          message: '"An account failed to log on."',
        },
        eventdata: {
          targetUserName: 'administrator',
          targetDomainName: 'CORP',
          status: '0xc000006d',
          subStatus: '0xc000006a',
          logonType: '3',
          logonProcessName: 'NtLmSsp',
          authenticationPackageName: 'NTLM',
          workstationName: 'KALI',
          ipAddress: srcip(r),
          ipPort: '0',
        },
      },
    },
    location: 'EventChannel',
  };
}

function sudo(r: Rand, seq: number): JsonObject {
  const t = {
    id: '5402',
    level: 3,
    description: 'Successful sudo to ROOT executed.',
    groups: ['syslog', 'sudo'],
  };
  return {
    ...base(r, t, seq),
    full_log:
      'Nov 20 08:24:02 db-01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash',
    predecoder: { program_name: 'sudo', timestamp: 'Nov 20 08:24:02', hostname: 'db-01' },
    decoder: { parent: 'sudo', name: 'sudo' },
    data: { srcuser: 'deploy', dstuser: 'root', tty: 'pts/0', pwd: '/home/deploy', command: '/bin/bash' },
    location: '/var/log/auth.log',
  };
}

const KINDS: readonly [number, (r: Rand, seq: number) => JsonObject][] = [
  [0.4, sshd],
  [0.65, web],
  [0.8, fim],
  [0.92, windows],
  [1, sudo],
];

/** `n` alerts.json lines (compact JSON, no trailing newline), deterministic for a given seed. */
export function generateAlertLines(n: number, seed = 42): string[] {
  const r = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = r();
    const make = KINDS.find(([p]) => k < p)?.[1] ?? sshd;
    out.push(JSON.stringify(make(r, i)));
  }
  return out;
}
