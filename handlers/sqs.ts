import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { errorCode, errorMessage, isPermanent, isThrottleOrLimit, Rejection } from "./errors";
import { logOutcome, type Log, type Outcome } from "./log";

/**
 * Runs `handle` on every record of an SQS batch and reports the records to retry through
 * ReportBatchItemFailures, so one throttled copy does not redeliver the whole batch.
 *
 * - a Rejection (bad input) is logged with its reason and the record is consumed: retrying cannot
 *   make it valid and it must not reach the DLQ as if it were an outage;
 * - a permanent AWS error (invalid request) is logged as `failed` and consumed;
 * - anything else is logged and thrown, so SQS redelivers the record and eventually parks it in the
 *   DLQ, where an alarm sees it.
 */
export interface QueueOptions {
  /**
   * For the copying handlers (copy, save, dr-copy): records are taken one at a time, and once RDS
   * refuses a copy of this batch for its limits (SnapshotQuotaExceeded: ~20 copies in progress
   * per account and destination region, or the manual-snapshot quota), the rest of the batch goes
   * back to SQS without an AWS call: it would be refused too. When many prod accounts hand off
   * at once, the failsafe account's 20 copies in flight are the bottleneck, and each refused
   * record used to cost its reads and a copy attempt (~3 calls) every visibility timeout.
   */
  readonly deferAfterCopyLimit?: boolean;
  /** One record after the other (a budget shared by the batch means what it says). */
  readonly sequential?: boolean;
}

/** RDS refused a copy for its limits (copies in progress, manual-snapshot quota). */
function isCopyLimit(err: unknown): boolean {
  return /^(SnapshotQuotaExceeded|DBClusterSnapshotQuotaExceeded)$/.test(errorCode(err));
}

export async function processQueue(
  event: SQSEvent,
  handler: string,
  log: Log,
  handle: (body: string) => Promise<Outcome>,
  after?: (outcome: Outcome) => Promise<void>,
  options: QueueOptions = {},
): Promise<SQSBatchResponse> {
  const records = Array.isArray((event as Partial<SQSEvent> | undefined)?.Records)
    ? event.Records
    : undefined;
  if (!records) {
    logOutcome(log, handler, { decision: "rejected", reason: "event has no SQS Records array" });
    return { batchItemFailures: [] };
  }
  let limited = false;
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const messageId = record.messageId;
    if (limited) {
      const reason =
        "deferred without an AWS call: RDS refused a copy earlier in this batch (SnapshotQuotaExceeded)";
      logOutcome(log, handler, { messageId, decision: "retry", reason });
      throw new Error(reason);
    }
    let outcome: Outcome;
    try {
      outcome = { messageId, ...(await handle(record.body)) };
    } catch (err) {
      limited = Boolean(options.deferAfterCopyLimit) && isCopyLimit(err);
      if (err instanceof Rejection) {
        outcome = { messageId, decision: "rejected", reason: err.reason };
      } else if (isPermanent(err)) {
        outcome = { messageId, decision: "failed", reason: errorMessage(err) };
      } else {
        const reason = isThrottleOrLimit(err)
          ? `throttled or at a limit, retrying: ${errorMessage(err)}`
          : `unexpected error, retrying: ${errorMessage(err)}`;
        logOutcome(log, handler, { messageId, decision: "retry", reason });
        throw err;
      }
    }
    logOutcome(log, handler, outcome);
    await after?.(outcome);
  };
  // A processor per invocation: it holds per-batch state.
  return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
    throwOnFullBatchFailure: false,
    processInParallel: !(options.sequential || options.deferAfterCopyLimit),
  });
}

/** Thrown when a snapshot is not ready yet; SQS retries after the visibility timeout. */
export class NotReadyYet extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotReadyYet";
  }
}
