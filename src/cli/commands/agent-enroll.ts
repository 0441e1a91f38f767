/**
 * `riposte agent enroll --manager HOST[:PORT][,HOST[:PORT]...] --name NAME (--password P | --password-file F |
 * --token T) [--ca-fingerprint SHA256] --home DIR`: joins a manager. Writes `<home>/etc/pki/`
 * (ca.pem pinned from now on, agent.pem, agent.key 0600, agent.json); `riposte agent --home DIR`
 * then connects to the manager.
 *
 * Trust on first contact: with `--ca-fingerprint` (printed by `riposte manager` at start) the
 * manager's CA must match before any secret is sent; without it the CA is trusted on first use and
 * its fingerprint is printed, so the operator can still compare it afterwards. The password can
 * also come from RIPOSTE_ENROLL_PASSWORD (argv is visible to other local users).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatHostPort, writeAgentEnrollment } from '../../link/agent-link-config.js';
import { managerHostPort } from '../manager-address.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';

interface EnrollFlags {
  readonly manager: string;
  readonly name: string;
  readonly home: string;
  readonly password?: string;
  readonly passwordFile?: string;
  readonly token?: string;
  readonly caFingerprint?: string;
}

function secretOf(flags: EnrollFlags): { password: string } | { token: string } {
  if (flags.token !== undefined) {
    return { token: flags.token };
  }
  const password =
    flags.password ??
    (flags.passwordFile !== undefined
      ? readFileSync(flags.passwordFile, 'utf8').trim()
      : process.env['RIPOSTE_ENROLL_PASSWORD']);
  if (password === undefined) {
    throw new RiposteError(
      ErrorCode.AUTH_REQUIRED,
      'Give --password, --password-file or --token (or set RIPOSTE_ENROLL_PASSWORD)',
    );
  }
  return { password };
}

/**
 * `--manager A,B,C`: the nodes of one cluster (one store, one CA). Enrollment goes to the first;
 * the agent's link tries them all in order (agent-connector.ts).
 */
function targetsOf(text: string): ReturnType<typeof managerHostPort>[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, '--manager: give at least one address');
  }
  return parts.map((p) => managerHostPort(p));
}

async function enroll(flags: EnrollFlags): Promise<void> {
  const targets = targetsOf(flags.manager);
  const target = targets[0];
  if (target === undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, '--manager: give at least one address');
  }
  const secret = secretOf(flags);
  // Imported here: `riposte agent` registers this subcommand but does not load its TLS client.
  const { checkCaFingerprint, fetchManagerCa, postEnroll } = await import('../../link/enroll-client.js');
  const ca = await fetchManagerCa(target);
  const fingerprint = checkCaFingerprint(ca, flags.caFingerprint);
  if (flags.caFingerprint === undefined) {
    process.stdout.write(`Trusting the manager's CA on first use: SHA-256 ${fingerprint}\n`);
  }
  const result = await postEnroll(target, ca, { name: flags.name, ...secret });
  if (result.ca.trim() !== ca.trim()) {
    throw new RiposteError(
      ErrorCode.AUTH_FORBIDDEN,
      'The manager answered with a different CA than its TLS chain: refusing',
    );
  }
  writeAgentEnrollment(
    flags.home,
    {
      manager: formatHostPort(target.host, target.port),
      managers: [...new Set(targets.map((t) => formatHostPort(t.host, t.port)))],
      id: result.id,
      name: result.name,
      caFingerprint: fingerprint,
    },
    { ca, cert: result.cert, key: result.key },
  );
  process.stdout.write(
    `Enrolled as agent ${result.id} ("${result.name}"); credentials in ${flags.home}/etc/pki/\n`,
  );
}

export function register(program: Command): void {
  const agent = program.commands.find((c) => c.name() === 'agent') ?? program.command('agent');
  agent
    .command('enroll')
    .description('enroll this agent with a manager (gets an id and a certificate)')
    .requiredOption(
      '--manager <address>',
      'manager: HOST[:PORT] (default port 1515) or https:// URL; several nodes of one cluster: A,B,C',
    )
    .requiredOption('--name <name>', 'agent name (letters, digits, ".", "_", "-")')
    .option('--home <dir>', 'agent home (required)')
    .option('--password <password>', 'enrollment password (etc/authd.pass on the manager)')
    .option('--password-file <file>', 'read the enrollment password from this file')
    .option('--token <token>', 'one-time enrollment token (riposte agents add NAME)')
    .option('--ca-fingerprint <sha256>', "expected SHA-256 fingerprint of the manager's CA")
    .action(async (_opts: unknown, cmd: Command) => {
      // `riposte agent` also has --home: commander gives it to the parent, so read both levels.
      const flags = cmd.optsWithGlobals<EnrollFlags>();
      if (typeof flags.home !== 'string') {
        throw new RiposteError(ErrorCode.REQUEST_INVALID, 'Give --home DIR');
      }
      await enroll(flags);
    });
}
