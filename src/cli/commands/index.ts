/**
 * The list of CLI verbs. Each entry registers one command (or a noun with its verbs) on the program.
 * Add one import and one array entry per command file.
 */
import type { Command } from 'commander';
import { register as registerCheck } from './check.js';
import { register as registerExplain } from './explain.js';
import { register as registerAgent } from './agent.js';
import { register as registerStart } from './start.js';
import { register as registerAr } from './ar.js';
import { register as registerManager } from './manager.js';
import { register as registerAgentEnroll } from './agent-enroll.js';
import { register as registerAgents } from './agents.js';

export type RegisterCommand = (program: Command) => void;

export const commands: readonly RegisterCommand[] = [
  registerCheck,
  registerExplain,
  registerStart,
  registerAgent,
  registerAr,
  registerManager,
  // After registerAgent: adds `enroll` under the existing `agent` command.
  registerAgentEnroll,
  registerAgents,
];
