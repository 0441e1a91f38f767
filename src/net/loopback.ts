/** Loopback host names and addresses: what never leaves this host. */

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** True for `localhost`, 127.0.0.0/8 and ::1 (`host` without the brackets of an IPv6 URL). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}
