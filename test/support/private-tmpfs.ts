/**
 * The argv prefix that runs a command in a private mount namespace (`unshare -m`, root: CI is)
 * where `dir` is a fresh tmpfs mounted with `options` (e.g. `size=2m,mode=0750`, or `ro,mode=0750`):
 * the host's disks and directories are never touched. Append the command and its arguments.
 */
export function onPrivateTmpfs(dir: string, options: string): string[] {
  const mount = `mount -t tmpfs -o ${options} riposte-test "$0" && exec "$@"`;
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mount, dir];
}
