/**
 * quarantine with a temp dir as the allowed root and a temp home: move with metadata, restore with
 * mode/owner/times, idempotency, refusal to overwrite, roots and symlink escapes, invalid input.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { quarantine } from '../../src/scripts/quarantine.js';
import { entryPaths, type QuarantineMeta } from '../../src/scripts/quarantine/entry.js';
import { PATH_INVALID_LOG } from '../../src/scripts/quarantine/target.js';
import { arMessage, runInProcess, tempDir } from './stock-b/harness.js';

const root = tempDir('quarantine');
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;

function setup(): { home: string; uploads: string; outside: string } {
  const dir = path.join(root, `case-${++counter}`);
  const c = {
    home: path.join(dir, 'home'),
    uploads: path.join(dir, 'uploads'),
    outside: path.join(dir, 'outside'),
  };
  for (const d of Object.values(c)) {
    fs.mkdirSync(d, { recursive: true });
  }
  return c;
}

const fimAlert = (file: unknown): unknown => ({
  id: '1700000000.7',
  rule: { id: '554' },
  syscheck: { path: file },
});
const vtAlert = (file: string): unknown => ({
  id: '1700000000.8',
  rule: { id: '87105' },
  data: { virustotal: { source: { file } } },
});

function run(
  c: { home: string },
  command: string,
  alert: unknown,
  extra: unknown[],
): ReturnType<typeof runInProcess> {
  return runInProcess(quarantine, c.home, arMessage(command, alert, extra, 'quarantine'));
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

void describe('quarantine', () => {
  void test('add moves the file with its metadata; delete restores content, mode, owner and mtime', async () => {
    const c = setup();
    const file = path.join(c.uploads, 'evil.php');
    fs.writeFileSync(file, '<?php system($_GET[1]);');
    fs.chmodSync(file, 0o754);
    fs.chownSync(file, 1234, 2345);
    fs.utimesSync(file, 1_600_000_000, 1_600_000_100);
    const extra = ['--allow', c.uploads];

    const add = await run(c, 'add', fimAlert(file), extra);
    assert.equal(add.code, 0, add.log.join('\n'));
    assert.deepEqual(
      add.written.map((l) => (JSON.parse(l) as { parameters: unknown }).parameters),
      [{ keys: [file] }],
    );
    assert.equal(fs.existsSync(file), false);
    const entry = entryPaths(c.home, file);
    assert.equal(fs.readFileSync(entry.file, 'utf8'), '<?php system($_GET[1]);');
    assert.equal(fs.statSync(entry.file).mode & 0o777, 0o400);
    assert.equal(fs.statSync(entry.dir).mode & 0o777, 0o700);
    const meta = JSON.parse(fs.readFileSync(entry.meta, 'utf8')) as QuarantineMeta;
    assert.equal(meta.originalPath, file);
    assert.equal(meta.mode, 0o754);
    assert.equal(meta.uid, 1234);
    assert.equal(meta.gid, 2345);
    assert.equal(meta.mtimeMs, 1_600_000_100_000);
    assert.equal(meta.sha256, sha('<?php system($_GET[1]);'));
    assert.equal(meta.alertId, '1700000000.7');

    const again = await run(c, 'add', fimAlert(file), extra);
    assert.equal(again.code, 0);
    assert.ok(again.log.includes(`File '${file}' is already quarantined`));

    const del = await run(c, 'delete', fimAlert(file), extra);
    assert.equal(del.code, 0, del.log.join('\n'));
    const st = fs.statSync(file);
    assert.equal(fs.readFileSync(file, 'utf8'), '<?php system($_GET[1]);');
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid, st.mtimeMs], [0o754, 1234, 2345, 1_600_000_100_000]);
    assert.equal(fs.existsSync(entry.dir), false);

    const delAgain = await run(c, 'delete', fimAlert(file), extra);
    assert.equal(delAgain.code, 0);
    assert.ok(delAgain.log.includes(`Nothing quarantined from '${file}'`));
    assert.equal(fs.readFileSync(file, 'utf8'), '<?php system($_GET[1]);');
  });

  void test('a VirusTotal alert names the file through data.virustotal.source.file', async () => {
    const c = setup();
    const file = path.join(c.uploads, 'sub', 'mal.bin');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'MZ');
    const r = await run(c, 'add', vtAlert(file), ['--allow', c.uploads]);
    assert.equal(r.code, 0, r.log.join('\n'));
    assert.equal(fs.existsSync(file), false);
  });

  void test('restore never overwrites a different file at the original path', async () => {
    const c = setup();
    const file = path.join(c.uploads, 'a.txt');
    fs.writeFileSync(file, 'first');
    const extra = ['--allow', c.uploads];
    assert.equal((await run(c, 'add', fimAlert(file), extra)).code, 0);
    fs.writeFileSync(file, 'second');
    const del = await run(c, 'delete', fimAlert(file), extra);
    assert.equal(del.code, 255);
    assert.equal(del.log.at(-1), `A different file exists at '${file}'; not overwritten`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'second');
    assert.equal(fs.readFileSync(entryPaths(c.home, file).file, 'utf8'), 'first');
    const add = await run(c, 'add', fimAlert(file), extra);
    assert.equal(add.code, 255);
    assert.equal(add.log.at(-1), `A different file from '${file}' is already quarantined`);
  });

  void test('paths outside the roots, symlinks and directories are refused and left in place', async () => {
    const c = setup();
    const secret = path.join(c.outside, 'secret');
    fs.writeFileSync(secret, 'x');
    const link = path.join(c.uploads, 'link');
    fs.symlinkSync(secret, link);
    const linkedDir = path.join(c.uploads, 'escape');
    fs.symlinkSync(c.outside, linkedDir);
    const extra = ['--allow', c.uploads];

    const outside = await run(c, 'add', fimAlert(secret), extra);
    assert.equal(outside.code, 255);
    assert.equal(outside.log.at(-1), `Path '${secret}' is not under an allowed root`);
    assert.deepEqual(outside.written, [], 'refused before the handshake');

    const viaDir = await run(c, 'add', fimAlert(path.join(linkedDir, 'secret')), extra);
    assert.equal(viaDir.code, 255);
    assert.equal(viaDir.log.at(-1), `Path '${path.join(linkedDir, 'secret')}' is not under an allowed root`);

    const symlink = await run(c, 'add', fimAlert(link), extra);
    assert.equal(symlink.code, 255);
    assert.equal(symlink.log.at(-1), `Path '${link}' is not a regular file`);

    fs.mkdirSync(path.join(c.uploads, 'dir'));
    const dir = await run(c, 'add', fimAlert(path.join(c.uploads, 'dir')), extra);
    assert.equal(dir.code, 255);
    assert.equal(fs.readFileSync(secret, 'utf8'), 'x');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
  });

  void test('missing file: exit 255 "does not exist"', async () => {
    const c = setup();
    const r = await run(c, 'add', fimAlert(path.join(c.uploads, 'gone')), ['--allow', c.uploads]);
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), `File '${path.join(c.uploads, 'gone')}' does not exist`);
  });

  void test('invalid paths, injections, missing field, bad extra_args, unknown command: 255, nothing moved', async () => {
    const c = setup();
    const file = path.join(c.uploads, 'keep');
    fs.writeFileSync(file, 'k');
    const extra = ['--allow', c.uploads];
    const badPaths = [
      'relative/keep',
      `${c.uploads}/../outside/x`,
      `${c.uploads}//keep`,
      `${file}\nid`,
      `${file};id`,
      42,
      undefined,
    ];
    for (const bad of badPaths) {
      const r = await run(c, 'add', fimAlert(bad), extra);
      assert.equal(r.code, 255, JSON.stringify(bad));
      assert.ok(r.log.at(-1) === PATH_INVALID_LOG || r.log.at(-1)?.startsWith('File '), r.log.at(-1));
    }
    for (const args of [
      [],
      ['--allow'],
      ['--allow', 'rel'],
      ['--delete', '/'],
      ['--allow', `${c.uploads}/`],
    ]) {
      const r = await run(c, 'add', fimAlert(file), args);
      assert.equal(r.code, 255, JSON.stringify(args));
      assert.match(r.log.at(-1) ?? '', /^Invalid extra_args: /);
    }
    const unknown = await run(c, 'purge', fimAlert(file), extra);
    assert.equal(unknown.code, 255);
    assert.equal(unknown.log.at(-1), "Invalid value of 'command'");
    assert.equal(fs.readFileSync(file, 'utf8'), 'k');
    assert.equal(fs.existsSync(path.join(c.home, 'quarantine')), false);
  });
});
