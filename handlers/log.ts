import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The logging surface the handlers use. Powertools' Logger satisfies it (structured JSON lines with
 * the Lambda context); tests pass a recorder to assert on each decision and its reason.
 */
export interface Log {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** What a handler did with one input, logged as one line with the ids it concerns. */
export type Decision =
  | "copied"
  | "exists"
  | "shared"
  | "saved"
  | "deleted"
  | "kept"
  | "notified"
  // restore drills (issue 12): a drill started, a restore verified
  | "started"
  | "verified"
  | "skipped"
  | "rejected"
  | "failed"
  | "retry";

export interface Outcome {
  readonly decision: Decision;
  readonly reason: string;
  readonly [attribute: string]: unknown;
}

/** Logs an outcome at the level its decision deserves. */
export function logOutcome(log: Log, handler: string, outcome: Outcome): void {
  const line = { handler, ...outcome };
  switch (outcome.decision) {
    case "rejected":
    case "retry":
      log.warn(outcome.decision, line);
      return;
    case "failed":
      log.error(outcome.decision, line);
      return;
    default:
      log.info(outcome.decision, line);
  }
}
