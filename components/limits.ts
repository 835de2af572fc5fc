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
  // Restore drills (components/drills.ts): the drill run is scheduled like a sweep.
  drill: { batchSize: 10, maximumConcurrency: 2 },
  drillVerify: { batchSize: 5, maximumConcurrency: 2 },
  // DR region (components/dr-region.ts): 4 × 5 records, RDS's 20 copies per destination region.
  drCopy: { batchSize: 5, maximumConcurrency: 4 },
} as const satisfies Record<string, Scaling>;

type FunctionKey = keyof typeof FUNCTION_SCALING;

/**
 * Scheduled functions read a FIFO queue with one message group: SQS hands out one batch of a
 * group at a time, so they run one invocation at a time whatever the mapping's maximum.
 */
const ONE_AT_A_TIME: ReadonlySet<FunctionKey> = new Set(["sweep", "drill"]);

/** What a stack runs besides the always-on functions. */
export interface SideFeatures {
  /** Restore drills (save side; `drills`, on by default). */
  readonly drills?: boolean;
  /** A DR region (save side; `drRegion`). */
  readonly drRegion?: boolean;
}

/** The functions an account runs (copy side: prod; save side: failsafe). */
export function sideFunctions(
  side: "prod" | "failsafe",
  features: SideFeatures = {},
): FunctionKey[] {
  if (side === "prod") {
    return ["copy", "share", "sweep"];
  }
  return [
    "save",
    "retention",
    "sweep",
    ...(features.drills ? (["drill", "drillVerify"] as const) : []),
    ...(features.drRegion ? (["drCopy"] as const) : []),
  ];
}

/** What one account's functions may run at once, at most. */
export function peakConcurrency(side: "prod" | "failsafe", features: SideFeatures = {}): number {
  return sideFunctions(side, features).reduce(
    (n, f) => n + (ONE_AT_A_TIME.has(f) ? 1 : FUNCTION_SCALING[f].maximumConcurrency),
    0,
  );
}
