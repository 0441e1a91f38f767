#!/usr/bin/env node
/**
 * The `riposte` executable. Each verb lives in its own file under commands/ and exports
 * `register(program)`; this file only wires them and maps thrown errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, EXIT_USAGE } from './exit-codes.js';
import { isRiposteError } from '../protocol/error-codes.js';
import { commands } from './commands/index.js';

function buildProgram(): Command {
  const program = new Command('riposte')
    .description('Active-response engine compatible with Wazuh 4.x')
    .version('0.1.0')
    .exitOverride();
  for (const register of commands) {
    register(program);
  }
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    const message = isRiposteError(err) || err instanceof Error ? err.message : String(err);
    process.stderr.write(`riposte: ${message}\n`);
    process.exitCode = exitCodeFor(err);
  }
}

await main(process.argv);
