#!/usr/bin/env node
/**
 * The `riposte` executable. Each verb lives in its own file under commands/; commands/index.ts lists
 * them with a loader, and this file loads only the one named on the command line (fast start-up),
 * then maps thrown errors to exit codes. Without a known command name (`--help`, a typo) every
 * command is registered as a summary-only stub: the help lists them and commander suggests the
 * nearest name for a typo.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, EXIT_USAGE } from './exit-codes.js';
import { commandIndex } from './commands/index.js';
import { printableLines } from '../protocol/printable.js';
import { userErrorOf } from './user-error.js';

/**
 * The command named by `args`: the first argument that is not an option (the program has no valued
 * options), or the one after `help` (`riposte help ar`).
 */
function commandNameOf(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('riposte')
    .description('Active-response engine compatible with Wazuh 4.x')
    .version('0.1.0')
    .exitOverride();
  const name = commandNameOf(args);
  const entry = commandIndex.find((e) => e.name === name);
  if (entry !== undefined) {
    for (const register of await entry.load()) {
      register(program);
    }
    return program;
  }
  for (const e of commandIndex) {
    program.command(e.name).description(e.summary);
  }
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    const program = await buildProgram(argv.slice(2));
    await program.parseAsync([...argv]);
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    const error = userErrorOf(err);
    // A message may quote outside text (a server's answer, a key, a path): escaped line by line,
    // so a config load's several errors keep their lines.
    process.stderr.write(`riposte: ${printableLines(error.message)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
