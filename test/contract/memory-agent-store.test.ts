import { createMemoryAgentStore } from '../../src/store/memory-agent-store.js';
import { agentStoreContract } from './agent-store.contract.js';

agentStoreContract('memory', (opts) => createMemoryAgentStore(opts));
