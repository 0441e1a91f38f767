import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeRemoteAgents, isManagerId, resolveTargets } from '../../../src/core/match/resolve-targets.js';
import { makeRule } from './config-builder.js';

const agents = [
  { id: '000', active: true },
  { id: '001', active: true },
  { id: '002', active: false },
  { id: '003', active: true },
];
const remote = activeRemoteAgents(agents);

const cases: {
  name: string;
  location: string;
  alertAgent: string;
  agentIds?: string[];
  targets: string[];
}[] = [
  { name: 'server -> manager', location: 'server', alertAgent: '001', targets: ['000'] },
  { name: 'analysisd keyword -> manager', location: 'analysisd', alertAgent: '001', targets: ['000'] },
  { name: 'local -> the alert agent', location: 'local', alertAgent: '003', targets: ['003'] },
  { name: 'local with agent 000 -> manager', location: 'local', alertAgent: '000', targets: ['000'] },
  {
    name: 'all excludes 000 and inactive agents',
    location: 'all',
    alertAgent: '001',
    targets: ['001', '003'],
  },
  { name: 'any is all', location: 'any', alertAgent: '001', targets: ['001', '003'] },
  {
    name: 'defined-agent -> agent_id',
    location: 'defined-agent',
    alertAgent: '001',
    agentIds: ['002'],
    targets: ['002'],
  },
  {
    name: 'quirk: server,all -> only the manager',
    location: 'server,all',
    alertAgent: '001',
    targets: ['000'],
  },
  {
    name: 'quirk: local,all from 000 -> only the manager',
    location: 'local,all',
    alertAgent: '000',
    targets: ['000'],
  },
  {
    name: 'all wins over defined-agent',
    location: 'all,defined-agent',
    alertAgent: '001',
    agentIds: ['002'],
    targets: ['001', '003'],
  },
  {
    name: 'defined-agent wins over local',
    location: 'defined-agent,local',
    alertAgent: '001',
    agentIds: ['002'],
    targets: ['002'],
  },
  {
    name: 'local,all from an agent -> all',
    location: 'local,all',
    alertAgent: '001',
    targets: ['001', '003'],
  },
];

void describe('resolveTargets', () => {
  for (const c of cases) {
    void test(c.name, () => {
      const rule = makeRule({ location: c.location, agentIds: c.agentIds ?? [] });
      assert.deepEqual(resolveTargets(rule, c.alertAgent, remote), c.targets);
    });
  }

  void test('activeRemoteAgents keeps order and treats "0" as the manager', () => {
    assert.deepEqual(activeRemoteAgents([{ id: '0', active: true }, ...agents]), ['001', '003']);
  });

  void test('isManagerId: an id of zeros only, as Wazuh compares ids numerically', () => {
    for (const id of ['000', '0', '00000']) {
      assert.equal(isManagerId(id), true, id);
    }
    for (const id of ['', '001', '100', '010', '0a', ' 000', '000 ', '-0', '0.0']) {
      assert.equal(isManagerId(id), false, JSON.stringify(id));
    }
  });
});
