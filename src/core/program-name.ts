/**
 * A program's name as responses know it: the basename of its path
 * ("/var/ossec/active-response/bin/firewall-drop" -> "firewall-drop"). Active-response keys start
 * with it (`firewall-drop-203.0.113.45`), and filters by command compare with it.
 */
export function programName(program: string): string {
  return program.slice(program.lastIndexOf('/') + 1);
}
