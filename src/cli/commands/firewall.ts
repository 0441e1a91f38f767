/**
 * `riposte firewall flush`: removes Riposte's kernel objects (nftables table `inet riposte`, the
 * ipset sets `riposte4`/`riposte6` and their iptables rules, route-null's blackhole routes), for an
 * uninstall. Exit 0 when nothing failed, 1 otherwise. See scripts/firewall/flush-all.ts.
 */
import type { Command } from 'commander';

export function register(program: Command): void {
  const fw = program.command('firewall').description("remove Riposte's firewall objects (uninstall)");
  fw.command('flush')
    .description(
      'delete the nftables table inet riposte, the riposte4/riposte6 ipsets and their rules, and route-null blackhole routes',
    )
    .action(async () => {
      const { flushRiposteFirewall } = await import('../../scripts/firewall/flush-all.js');
      const steps = await flushRiposteFirewall();
      for (const s of steps) {
        process.stdout.write(
          `${s.what}: ${s.result}${s.detail !== undefined && s.detail !== '' ? ` (${s.detail})` : ''}\n`,
        );
      }
      if (steps.some((s) => s.result === 'failed')) {
        process.exitCode = 1;
      }
    });
}
