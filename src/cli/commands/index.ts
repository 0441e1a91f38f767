/**
 * The list of CLI verbs. Each entry registers one command (or a noun with its verbs) on the program.
 * Add one import and one array entry per command file.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: readonly RegisterCommand[] = [];
