/**
 * How each function scales: the batch size and maximum concurrency of its event source mapping
 * (SQS), plain values so that `npx rds-failsafe preflight` can compare them with an account's
 * Lambda concurrency without loading the program. No function reserves concurrency: a new
 * account's quota (10) could not grant it (Lambda keeps 100 unreserved), so the mappings' maxima
 * are the bound, and their sum per account is what that account may run at once.
 */
export interface Scaling {
  readonly batchSize: number;
  /** SQS event source mapping maximumConcurrency: 2 to 1000 (Lambda API, ScalingConfig). */
  readonly maximumConcurrency: number;
}

export const FUNCTION_SCALING = {
  // 4 invocations × 5 records: at most 20 copies started at once, RDS's in-flight copy limit.
  copy: { batchSize: 5, maximumConcurrency: 4 },
  share: { batchSize: 10, maximumConcurrency: 2 },
  save: { batchSize: 5, maximumConcurrency: 4 },
  retention: { batchSize: 10, maximumConcurrency: 2 },
  // One message group keeps a sweep to one invocation at a time (function.ts); 2 is SQS's minimum.
  sweep: { batchSize: 10, maximumConcurrency: 2 },
} as const satisfies Record<string, Scaling>;

/** The functions each account runs (copy side: prod; save side: failsafe). */
export const SIDE_FUNCTIONS = {
  prod: ["copy", "share", "sweep"],
  failsafe: ["save", "retention", "sweep"],
} as const satisfies Record<string, readonly (keyof typeof FUNCTION_SCALING)[]>;

/** What one account's functions may run at once, at most. */
export function peakConcurrency(side: keyof typeof SIDE_FUNCTIONS): number {
  return SIDE_FUNCTIONS[side].reduce((n, f) => n + FUNCTION_SCALING[f].maximumConcurrency, 0);
}
