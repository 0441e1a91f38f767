import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { viewAlert } from '../../../src/protocol/alert.js';

void describe('AlertView.groupString', () => {
  void test('groups then compliance groups with their prefix, each comma-terminated', () => {
    const r = viewAlert({
      rule: {
        level: 5,
        id: '554',
        groups: ['ossec', 'syscheck'],
        pci_dss: ['11.5'],
        cis: ['1.1.1 Debian Linux'],
        gpg13: ['4.11'],
        gdpr: ['II_5.1.f'],
        hipaa: ['164.312.c.1'],
        nist_800_53: ['SI.7'],
        tsc: ['PI1.4'],
      },
    });
    assert.ok(r.ok);
    assert.equal(
      r.alert.groupString,
      'ossec,syscheck,pci_dss_11.5,cis_1.1.1 Debian Linux,gpg13_4.11,gdpr_II_5.1.f,hipaa_164.312.c.1,nist_800_53_SI.7,tsc_PI1.4,',
    );
  });

  void test('non-string entries are skipped; no groups gives an empty string', () => {
    const r = viewAlert({ rule: { level: 5, id: 1, groups: ['a', 7, null], pci_dss: [1, '2'] } });
    assert.ok(r.ok);
    assert.equal(r.alert.groupString, 'a,pci_dss_2,');
    const empty = viewAlert({ rule: { level: 5, id: '1' } });
    assert.ok(empty.ok);
    assert.equal(empty.alert.groupString, '');
  });
});
