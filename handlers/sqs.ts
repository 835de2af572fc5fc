import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { errorMessage, isPermanent, isThrottleOrLimit, Rejection } from "./errors";
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
export async function processQueue(
  event: SQSEvent,
  handler: string,
  log: Log,
  handle: (body: string) => Promise<Outcome>,
  after?: (outcome: Outcome) => Promise<void>,
  /** One record after the other (a budget shared by the batch means what it says). */
  options: { readonly sequential?: boolean } = {},
): Promise<SQSBatchResponse> {
  const records = Array.isArray((event as Partial<SQSEvent> | undefined)?.Records)
    ? event.Records
    : undefined;
  if (!records) {
    logOutcome(log, handler, { decision: "rejected", reason: "event has no SQS Records array" });
    return { batchItemFailures: [] };
  }
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const messageId = record.messageId;
    let outcome: Outcome;
    try {
      outcome = { messageId, ...(await handle(record.body)) };
    } catch (err) {
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
    ...(options.sequential ? { processInParallel: false } : {}),
  });
}

/** Thrown when a snapshot is not ready yet; SQS retries after the visibility timeout. */
export class NotReadyYet extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotReadyYet";
  }
}
