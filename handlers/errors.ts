/**
 * Error handling shared by the handlers.
 *
 * The rule: bad input is *rejected* (logged with the reason, no AWS write, not retried); an AWS error
 * we know to be permanent is logged and dropped; every other error is thrown, so SQS redelivers the
 * message and, after the queue's maxReceiveCount, parks it in the DLQ (which alarms). Throwing
 * unknown errors instead of dropping them is deliberate: a lost snapshot copy is the failure this
 * product exists to prevent, and a parked message can be redriven once the cause is fixed.
 */

/** Bad or untrusted input: the handler does nothing and says why. */
export class Rejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "Rejection";
  }
}

interface AwsErrorShape {
  name?: string;
  Code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The AWS error code without the SDK's `Fault`/`Exception` suffix: SDK v3 names errors after the
 * modelled shape (`DBSnapshotAlreadyExistsFault`) while the wire code is `DBSnapshotAlreadyExists`,
 * and emulators and older APIs use either.
 */
export function errorCode(err: unknown): string {
  if (typeof err !== "object" || err === null) {
    return "";
  }
  const shape = err as AwsErrorShape;
  const name = shape.Code ?? shape.name ?? "";
  return name.replace(/(Fault|Exception)$/, "");
}

/** The target snapshot exists already: a repeated event or a sweep got there first. Success. */
export function isAlreadyExists(err: unknown): boolean {
  return /^DB(Cluster)?SnapshotAlreadyExists$/.test(errorCode(err));
}

/** The thing asked for is not there (or, cross-account, not shared with us: AWS says NotFound). */
export function isNotFound(err: unknown): boolean {
  return /^DB(Instance|Cluster|Snapshot|ClusterSnapshot)NotFound$/.test(errorCode(err));
}

/**
 * Errors that a retry cannot fix and that carry no data to save: the request itself is invalid.
 * (NotFound is handled where it occurs, because its meaning depends on what was looked up.)
 */
export function isPermanent(err: unknown): boolean {
  return /^(InvalidParameterValue|InvalidParameterCombination|ValidationError)$/.test(
    errorCode(err),
  );
}

/**
 * Throttling and quota/concurrency limits: throwing makes SQS retry later. Listed explicitly for the
 * log line; anything not permanent is rethrown anyway (see the module comment).
 */
export function isThrottleOrLimit(err: unknown): boolean {
  const code = errorCode(err);
  if (
    /^(Throttling|TooManyRequests|RequestLimitExceeded|SnapshotQuotaExceeded|DBClusterSnapshotQuotaExceeded|InvalidDBSnapshotState|InvalidDBClusterSnapshotState|InternalFailure|ServiceUnavailable)$/.test(
      code,
    )
  ) {
    return true;
  }
  const shape = (typeof err === "object" && err !== null ? err : {}) as AwsErrorShape;
  return Boolean(shape.$retryable) || (shape.$metadata?.httpStatusCode ?? 0) >= 500;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    return `${err.name}: ${err.message}`;
  }
  return String(err);
}
