/** OS_Regex (rules_group) and OSMatch (white-list hostnames) translation. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOsMatch, compileOsRegex } from '../../../src/core/match/ossec-regex.js';

const regexCases: readonly [pattern: string, input: string, matches: boolean][] = [
  ['sshd', 'syslog,sshd,authentication_failed,', true],
  ['sshd', 'syslog,SSHD,', true],
  ['sshd,', 'syslog,sshd2,', false],
  ['sshd', 'syslog,sshd2,', true],
  ['^syslog', 'syslog,sshd,', true],
  ['^sshd', 'syslog,sshd,', false],
  ['failed,$', 'syslog,authentication_failed,', true],
  ['failed$', 'syslog,authentication_failed,', false],
  ['web|attack', 'ids,attack,', true],
  ['^web|^attack', 'ids,attack,', false],
  ['pci_dss_10.2.4,', 'pci_dss_10.2.4,', true],
  ['pci_dss_10.2.4,', 'pci_dss_10x2x4,', false],
  ['pci\\.dss', 'pci_dss,', true],
  ['rule\\d+,', 'rule123,', true],
  ['rule\\d+,', 'rule,', false],
  ['rule\\d*,', 'rule,', true],
  ['\\w+_failed', 'authentication_failed,', true],
  ['a\\sb', 'a b', true],
  ['a\\sb', 'a\tb', false],
  ['a\\tb', 'a\tb', true],
  ['a\\pb', 'a,b', true],
  ['a\\pb', 'axb', false],
  ['a\\Wb', 'a,b', true],
  ['a\\Db', 'a1b', false],
  ['a\\Sb', 'a b', false],
  ['\\$x', 'a$x', true],
  ['\\(x\\)', '(x)', true],
  ['a\\|b', 'a|b', true],
  ['a\\|b', 'a', false],
  ['a\\\\b', 'a\\b', true],
  ['(sshd),', 'syslog,sshd,', true],
  ['(sshd)|(ftp),', 'syslog,ftp,', true],
  ['a\\<b', 'a<b', true],
  ['(^sshd)', 'sshd,', false],
  ['(^sshd)', 'x^sshd,', true],
  ['(sshd$)', 'x,sshd', false],
  ['(sshd$)', 'sshd$,', true],
  ['(sshd)$', 'x,sshd', true],
  ['a+b', 'a+b', true],
  ['a+b', 'aab', false],
  ['a*', 'a*', true],
  ['[x]', '[x]', true],
  ['x^y', 'x^y', true],
  ['x$y', 'x$y', true],
  // An empty alternative matches nothing (Wazuh's _OS_Regex), so a stray '|' changes nothing.
  ['web|', 'syslog,sshd,', false],
  ['web|', 'web,', true],
  ['|web', 'syslog,sshd,', false],
  ['web||attack', 'syslog,sshd,', false],
  ['web||attack', 'ids,attack,', true],
  ['^', 'syslog,sshd,', false],
  ['$', 'syslog,sshd,', false],
  ['^$|sshd', 'syslog,sshd,', true],
  ['^$', '', false],
  ['\\$', 'a$', true],
];

void describe('compileOsRegex (rules_group)', () => {
  for (const [pattern, input, want] of regexCases) {
    void test(`'${pattern}' ${want ? 'matches' : 'does not match'} ${JSON.stringify(input)}`, () => {
      const r = compileOsRegex(pattern);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.equal(r.matcher.test(input), want);
      assert.equal(r.matcher.source, pattern);
    });
  }

  const invalid: readonly [string, string][] = [
    ['abc\\', 'trailing backslash'],
    ['a\\zb', "unknown escape '\\z'"],
    ['(abc', "unbalanced '('"],
    ['abc)', "unbalanced ')'"],
    ['(sshd|web)', "'|' inside parentheses"],
    ['a(b|c)d', "'|' inside parentheses"],
    ['((sshd))', 'nested parentheses'],
    ['(a(b)c)', 'nested parentheses'],
    ['a\\>b', "unknown escape '\\>'"],
    ['a\\!b', "unknown escape '\\!'"],
    ['a\\qb', "unknown escape '\\q'"],
  ];
  for (const [pattern, reason] of invalid) {
    void test(`invalid OS_Regex '${pattern}': ${reason}`, () => {
      assert.deepEqual(compileOsRegex(pattern), { ok: false, reason });
    });
  }
});

const matchCases: readonly [pattern: string, input: string, matches: boolean][] = [
  ['^localhost.localdomain$', 'localhost.localdomain', true],
  ['^localhost.localdomain$', 'LocalHost.LocalDomain', true],
  ['^localhost.localdomain$', 'localhostXlocaldomain', false],
  ['^localhost.localdomain$', 'my.localhost.localdomain', false],
  ['example.com', 'www.example.com', true],
  ['^gw|example$', 'gw1', true],
  ['^gw|example$', 'an-example', true],
  ['^gw|example$', 'example.org', false],
  ['a*b', 'a*b', true],
  ['a*b', 'aab', false],
  ['(x)', '(x)', true],
];

void describe('compileOsMatch (white-list hostnames)', () => {
  for (const [pattern, input, want] of matchCases) {
    void test(`'${pattern}' ${want ? 'matches' : 'does not match'} ${JSON.stringify(input)}`, () => {
      const r = compileOsMatch(pattern);
      assert.ok(r.ok);
      assert.equal(r.matcher.test(input), want);
    });
  }
});

void test('compileOsRegex counts the empty alternatives it leaves out', () => {
  const count = (p: string): number | undefined => {
    const r = compileOsRegex(p);
    return r.ok ? r.emptyAlternatives : -1;
  };
  assert.equal(count('web|attack'), 0);
  assert.equal(count('web|'), 1);
  assert.equal(count('|web||^|$'), 4);
  assert.equal(count('a\\|b'), 0);
});
