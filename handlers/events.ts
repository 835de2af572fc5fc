import * as z from "zod/mini";
import { describeIssues } from "./schema";
import { parseSnapshotArn, type SnapshotArn } from "./arn";
import { Rejection } from "./errors";
import type { SnapshotKind } from "./naming";
import { partitionOf } from "./partition";

/**
 * RDS event ids rds-failsafe acts on (Amazon RDS User Guide, "Amazon RDS event categories and event
 * messages"). Rules match on EventID, never on whole categories: the seed design subscribed to the
 * "backup" category and fired on every backup start as well.
 */
export const EVENT_IDS = {
  automatedInstanceSnapshotCreated: "RDS-EVENT-0091",
  automatedClusterSnapshotCreated: "RDS-EVENT-0169",
  manualInstanceSnapshotCreated: "RDS-EVENT-0042",
  manualClusterSnapshotCreated: "RDS-EVENT-0075",
  snapshotCopyFinished: "RDS-EVENT-0197",
} as const;

export const DETAIL_TYPE: Readonly<Record<SnapshotKind, string>> = {
  instance: "RDS DB Snapshot Event",
  cluster: "RDS DB Cluster Snapshot Event",
};

const accountId = z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit AWS account id"));

/** The EventBridge envelope of an RDS event, as AWS documents it (only the fields we read). */
const nonEmpty = z.string().check(z.minLength(1, "must not be empty"));

const rdsEventSchema = z.object({
  source: z.literal("aws.rds"),
  "detail-type": z.enum([DETAIL_TYPE.instance, DETAIL_TYPE.cluster]),
  account: accountId,
  region: nonEmpty,
  resources: z.optional(z.array(z.string())),
  detail: z.object({
    EventID: z.string().check(z.regex(/^RDS-EVENT-\d{4}$/, "must look like RDS-EVENT-NNNN")),
    // AWS's own samples put "rds:" in front of SourceIdentifier; the ARN is the reliable field,
    // the identifier and `resources` only have to agree with it.
    SourceArn: nonEmpty,
    SourceIdentifier: z.optional(z.string()),
  }),
});

export interface RdsSnapshotEvent {
  readonly eventId: string;
  readonly account: string;
  readonly region: string;
  readonly snapshot: SnapshotArn;
}

/** What a handler is configured to accept: its event ids, and whose events they must be. */
export interface EventExpectation {
  readonly eventIds: readonly string[];
  readonly account: string;
  readonly region: string;
}

/**
 * Parses and checks an EventBridge RDS snapshot event (an SQS record body). Throws a Rejection that
 * names the first thing wrong: malformed JSON, a missing field, an event id this handler does not
 * handle, or an event or snapshot from another account or region.
 */
export function parseRdsSnapshotEvent(body: unknown, expect: EventExpectation): RdsSnapshotEvent {
  const parsed = rdsEventSchema.safeParse(
    typeof body === "string" ? parseJson(body, "event") : body,
  );
  if (!parsed.success) {
    throw new Rejection(`event is not an RDS snapshot event: ${describeIssues(parsed.error)}`);
  }
  const event = parsed.data;
  const eventId = event.detail.EventID;
  if (!expect.eventIds.includes(eventId)) {
    throw new Rejection(
      `event id ${eventId} is not handled here (expected ${expect.eventIds.join(" or ")})`,
    );
  }
  if (event.account !== expect.account) {
    throw new Rejection(
      `event account ${event.account} is not the expected account ${expect.account}`,
    );
  }
  if (event.region !== expect.region) {
    throw new Rejection(`event region ${event.region} is not the expected region ${expect.region}`);
  }
  const snapshot = parseSnapshotArn(event.detail.SourceArn);
  if (typeof snapshot === "string") {
    throw new Rejection(`detail.SourceArn ${snapshot}`);
  }
  checkPartition("detail.SourceArn", snapshot.partition, expect.region);
  if (snapshot.account !== expect.account || snapshot.region !== expect.region) {
    throw new Rejection(
      `snapshot ${event.detail.SourceArn} is not in account ${expect.account} region ${expect.region}`,
    );
  }
  if (DETAIL_TYPE[snapshot.kind] !== event["detail-type"]) {
    throw new Rejection(
      `detail-type "${event["detail-type"]}" does not match the ${snapshot.kind} snapshot ARN ${event.detail.SourceArn}`,
    );
  }
  // Every field that names the snapshot must name the same one: an event whose fields disagree
  // was not written by RDS, and acting on either reading could touch the wrong snapshot.
  const [resource, ...more] = event.resources ?? [];
  if (more.length > 0 || (resource !== undefined && resource !== event.detail.SourceArn)) {
    throw new Rejection(
      `resources ${JSON.stringify(event.resources)} do not name detail.SourceArn ${event.detail.SourceArn}`,
    );
  }
  const identifier = event.detail.SourceIdentifier;
  if (identifier !== undefined && bareId(identifier) !== bareId(snapshot.id)) {
    throw new Rejection(
      `detail.SourceIdentifier ${identifier} does not name the snapshot of detail.SourceArn ${event.detail.SourceArn}`,
    );
  }
  return { eventId, account: event.account, region: event.region, snapshot };
}

/** Version 1 of the hand-off message the prod share step publishes to the failsafe topic. */
export const HANDOFF_VERSION = 1;

const handoffSchema = z.object({
  version: z.literal(HANDOFF_VERSION),
  kind: z.enum(["instance", "cluster"]),
  snapshotArn: nonEmpty,
  sourceId: z.string().check(z.minLength(1), z.maxLength(63)),
  sourceAccount: accountId,
  region: nonEmpty,
  sharedAt: z.iso.datetime(),
});

export type Handoff = z.infer<typeof handoffSchema>;

const snsEnvelopeSchema = z.object({
  Type: z.literal("Notification"),
  TopicArn: nonEmpty,
  Message: z.string(),
});

/**
 * Unwraps an SQS record body carrying a hand-off: either an SNS notification envelope (the default
 * SNS→SQS delivery) or the raw message (raw message delivery). When `expectedTopicArn` is given, an
 * envelope from another topic is rejected. The message is only a hint: the save step re-reads the
 * snapshot from RDS before acting on any of it.
 */
export function parseHandoff(body: string, expectedTopicArn?: string): Handoff {
  let payload = parseJson(body, "hand-off");
  const envelope = snsEnvelopeSchema.safeParse(payload);
  if (envelope.success) {
    if (expectedTopicArn && envelope.data.TopicArn !== expectedTopicArn) {
      throw new Rejection(
        `hand-off came from topic ${envelope.data.TopicArn}, not the hand-off topic ${expectedTopicArn}`,
      );
    }
    payload = parseJson(envelope.data.Message, "hand-off Message");
  }
  const parsed = handoffSchema.safeParse(payload);
  if (!parsed.success) {
    throw new Rejection(`hand-off message is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** AWS's samples write `rds:<id>` for a manual snapshot `<id>`; an automated id starts so itself. */
function bareId(id: string): string {
  return id.replace(/^(rds:)+/i, "").toLowerCase();
}

/**
 * An ARN of another partition than the region's names nothing this deployment may touch
 * (`arn:aws-cn:…` in eu-west-1, `arn:aws:…` in cn-north-1): reject it before any AWS call.
 */
export function checkPartition(field: string, partition: string, region: string): void {
  const expected = partitionOf(region);
  if (partition !== expected) {
    throw new Rejection(
      `${field} is in partition ${partition}, but region ${region} is in partition ${expected}`,
    );
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Rejection(`${what} is not valid JSON (${(err as Error).message})`);
  }
}
