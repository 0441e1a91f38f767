/**
 * The contract between `bench/run.ts` and each benchmark module. A module measures something and
 * returns rows; the harness prints them and checks targets. Higher values are better unless a row
 * says otherwise.
 */

export interface BenchReport {
  /** Row label, e.g. "ingest+match". */
  readonly name: string;
  readonly value: number;
  /** e.g. "alerts/s", "x". */
  readonly unit: string;
  /** The reference measurement in the same run and unit, when there is one. */
  readonly baseline?: number;
  /** value / baseline. */
  readonly ratio?: number;
  /** Pass when value >= target (or <= target with `lowerIsBetter`). */
  readonly target?: number;
  readonly lowerIsBetter?: boolean;
  readonly note?: string;
}

export interface BenchModule {
  /** Used by `--only NAME`. */
  readonly name: string;
  run(): Promise<BenchReport[]>;
}
