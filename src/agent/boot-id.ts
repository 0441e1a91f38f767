/**
 * The kernel's boot id, which changes at every boot: how the agent tells a restart from a reboot
 * (after a reboot, kernel firewall state is gone and active responses must be re-applied).
 * The source file is overridable so tests can simulate a reboot.
 */
import { readFileSync } from 'node:fs';

export const DEFAULT_BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** Reads the boot id; undefined when the file is unreadable (then reboots are not detected). */
export function readBootId(file: string): string | undefined {
  try {
    const id = readFileSync(file, 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}
