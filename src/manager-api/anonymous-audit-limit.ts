/**
 * How many refused requests without a valid token the audit trail records one by one. Anyone who
 * reaches the API port can send those (a 401 needs no credential), and each one was an audit row
 * kept for `--audit-history` (365 days): ~200 B to 2 KB, an fsync on SQLite, a row lock on a
 * cluster. A flood would fill the disk without ever authenticating. So per window of
 * {@link AnonymousAuditLimits.windowMs}, at most `perSource` of them are written per source (an
 * IPv4 address, an IPv6 /64: one host controls a whole /64) and `overall` across sources; the rest
 * are counted, and each window that counted some yields one {@link UnrecordedSummary} (the hook logs
 * it as a warning, the metrics count it). The limits are per node: on a cluster, N nodes write up to
 * N times as many into the shared trail. Requests made with a valid token, refused or not, and
 * anonymous ones that succeeded (an enrollment) are never limited.
 *
 * Pure: the caller passes `now`; no timer. A window's summary is handed over by the first `admit`
 * after it ends (or by `flush`), so a flood's last window is reported when the next refused request
 * comes or the API closes. Memory is bounded: at most `maxSources` sources are tracked per window;
 * a source beyond them counts against `overall` only.
 */
import { trafficSource } from '../core/net/traffic-source.js';

export interface AnonymousAuditLimits {
  readonly perSource: number;
  readonly overall: number;
  readonly windowMs: number;
  readonly maxSources: number;
}

/**
 * 30 a minute per source keeps a misconfigured client's refusals visible one by one for its first
 * half minute; 120 a minute overall bounds a flood from many sources to ~170,000 rows a day.
 */
export const DEFAULT_ANONYMOUS_AUDIT_LIMITS: AnonymousAuditLimits = {
  perSource: 30,
  overall: 120,
  windowMs: 60_000,
  maxSources: 10_000,
};

/** What one window did not record: how many, and the sources that sent most of them. */
export interface UnrecordedSummary {
  readonly windowStart: number;
  readonly windowMs: number;
  readonly unrecorded: number;
  /** Up to {@link TOP_SOURCES} sources, most unrecorded first (see core/net/traffic-source.ts). */
  readonly top: readonly { readonly source: string; readonly unrecorded: number }[];
}

export const TOP_SOURCES = 3;

interface SourceCount {
  written: number;
  unrecorded: number;
}

interface Window {
  readonly start: number;
  written: number;
  unrecorded: number;
  readonly sources: Map<string, SourceCount>;
}

/** What `admit` decided, and the summary of the window this call ended, if it left anything unrecorded. */
export interface AuditAdmission {
  readonly record: boolean;
  readonly ended: UnrecordedSummary | undefined;
}

export class AnonymousAuditLimit {
  private window: Window | undefined;

  constructor(private readonly limits: AnonymousAuditLimits = DEFAULT_ANONYMOUS_AUDIT_LIMITS) {}

  /** Whether the refused anonymous request from `remote` at `now` is written (else it is counted). */
  admit(remote: string | undefined, now: number): AuditAdmission {
    const ended = this.roll(now);
    const w = this.window ?? this.open(now);
    const source = trafficSource(remote);
    let count = w.sources.get(source);
    if (count === undefined && w.sources.size < this.limits.maxSources) {
      count = { written: 0, unrecorded: 0 };
      w.sources.set(source, count);
    }
    const record =
      (count === undefined || count.written < this.limits.perSource) && w.written < this.limits.overall;
    if (record) {
      w.written += 1;
    } else {
      w.unrecorded += 1;
    }
    if (count !== undefined) {
      count[record ? 'written' : 'unrecorded'] += 1;
    }
    return { record, ended };
  }

  /** The current window's summary, if it left anything unrecorded (the API is closing); resets. */
  flush(): UnrecordedSummary | undefined {
    const w = this.window;
    this.window = undefined;
    return w === undefined ? undefined : this.summarise(w);
  }

  /** Ends the window when `now` is past it (or before it: the clock went back); its summary. */
  private roll(now: number): UnrecordedSummary | undefined {
    const w = this.window;
    if (w === undefined || (now >= w.start && now < w.start + this.limits.windowMs)) {
      return undefined;
    }
    this.window = undefined;
    return this.summarise(w);
  }

  private open(now: number): Window {
    const w: Window = { start: now, written: 0, unrecorded: 0, sources: new Map() };
    this.window = w;
    return w;
  }

  private summarise(w: Window): UnrecordedSummary | undefined {
    if (w.unrecorded === 0) {
      return undefined;
    }
    const top = [...w.sources]
      .filter(([, c]) => c.unrecorded > 0)
      .sort((a, b) => b[1].unrecorded - a[1].unrecorded)
      .slice(0, TOP_SOURCES)
      .map(([source, c]) => ({ source, unrecorded: c.unrecorded }));
    return { windowStart: w.start, windowMs: this.limits.windowMs, unrecorded: w.unrecorded, top };
  }
}
