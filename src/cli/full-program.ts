/**
 * The whole CLI definition with every command loaded: what scripts/gen-docs.mjs walks to write the
 * shell completions and the man page, so they always match the commander definitions. The
 * executable itself (main.ts) loads only the command it runs.
 */
import { Command } from 'commander';
import { commandIndex } from './commands/index.js';

export const PROGRAM_DESCRIPTION = 'Active-response engine compatible with Wazuh 4.x';

export async function buildFullProgram(version: string): Promise<Command> {
  const program = new Command('riposte').description(PROGRAM_DESCRIPTION).version(version);
  for (const entry of commandIndex) {
    for (const register of await entry.load()) {
      register(program);
    }
  }
  return program;
}
