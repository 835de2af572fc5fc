import * as z from "zod/mini";
import { Rejection } from "./errors";
import { checkPartition } from "./events";
import type { SnapshotKind } from "./naming";
import { describeIssues } from "./schema";

/**
 * The RDS events that move a restore drill on (Amazon RDS User Guide, "Amazon RDS event categories
 * and event messages", DB instance and DB cluster events):
 * - RDS-EVENT-0043 (DB instance, restoration): "The DB instance has been restored from a DB
 *   snapshot" — a drill instance is up. (0043 is also a DB *snapshot* event, "A DB instance is
 *   being restored", with the copy as source: the rule takes instance events only.)
 * - RDS-EVENT-0170 (DB cluster, creation): "DB cluster created" — RestoreDBClusterFromSnapshot
 *   finished; the cluster's one instance can be created now (RDS restores none, and "you can
 *   create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and
 *   the DB cluster is available", API_RestoreDBClusterFromSnapshot).
 * - RDS-EVENT-0005 (DB instance, creation): "DB instance created" — that instance is up.
 * - failures: RDS-EVENT-0031 (failed: incompatible configuration or storage), 0035 (invalid
 *   parameters), 0036 (incompatible network) for instances, RDS-EVENT-0354 (the DB cluster could
 *   not be created: incompatible resources) for clusters.
 */
export const DRILL_EVENT_IDS = {
  instanceRestored: "RDS-EVENT-0043",
  clusterCreated: "RDS-EVENT-0170",
  instanceCreated: "RDS-EVENT-0005",
  instanceFailed: "RDS-EVENT-0031",
  instanceInvalidParameters: "RDS-EVENT-0035",
  instanceIncompatibleNetwork: "RDS-EVENT-0036",
  clusterIncompatibleResources: "RDS-EVENT-0354",
} as const;

export const DATABASE_DETAIL_TYPE: Readonly<Record<SnapshotKind, string>> = {
  instance: "RDS DB Instance Event",
  cluster: "RDS DB Cluster Event",
};

const nonEmpty = z.string().check(z.minLength(1, "must not be empty"));

const databaseEventSchema = z.object({
  source: z.literal("aws.rds"),
  "detail-type": z.enum([DATABASE_DETAIL_TYPE.instance, DATABASE_DETAIL_TYPE.cluster]),
  account: z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit AWS account id")),
  region: nonEmpty,
  time: z.optional(z.string()),
  resources: z.optional(z.array(z.string())),
  detail: z.object({
    EventID: z.string().check(z.regex(/^RDS-EVENT-\d{4}$/, "must look like RDS-EVENT-NNNN")),
    SourceArn: nonEmpty,
    SourceIdentifier: z.optional(z.string()),
    Date: z.optional(z.string()),
  }),
});

export interface RdsDatabaseEvent {
  readonly eventId: string;
  readonly kind: SnapshotKind;
  /** DB instance or DB cluster identifier. */
  readonly id: string;
  /** When RDS says it happened (detail.Date, else the envelope's time). */
  readonly time: Date | undefined;
}

/**
 * Parses an EventBridge DB instance / DB cluster event (an SQS record body) and checks it names a
 * database of `account` in `region` consistently (SourceArn, resources, SourceIdentifier, which
 * AWS's samples write as `rds:<id>`). A Rejection names the first thing wrong.
 */
export function parseRdsDatabaseEvent(
  body: string,
  expect: {
    readonly eventIds: readonly string[];
    readonly account: string;
    readonly region: string;
  },
): RdsDatabaseEvent {
  let json: unknown;
  try {
    json = JSON.parse(body) as unknown;
  } catch (err) {
    throw new Rejection(`event is not valid JSON (${(err as Error).message})`);
  }
  const parsed = databaseEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new Rejection(
      `event is not an RDS DB instance or cluster event: ${describeIssues(parsed.error)}`,
    );
  }
  const event = parsed.data;
  const eventId = event.detail.EventID;
  if (!expect.eventIds.includes(eventId)) {
    throw new Rejection(
      `event id ${eventId} is not handled here (expected ${expect.eventIds.join(", ")})`,
    );
  }
  if (event.account !== expect.account || event.region !== expect.region) {
    throw new Rejection(
      `event of account ${event.account} region ${event.region}, expected ${expect.account} ${expect.region}`,
    );
  }
  const arn = event.detail.SourceArn;
  const match = /^arn:([^:]+):rds:([^:]+):(\d{12}):(db|cluster):([A-Za-z][A-Za-z0-9-]*)$/.exec(arn);
  if (!match) {
    throw new Rejection(`detail.SourceArn ${arn} is not a DB instance or DB cluster ARN`);
  }
  const [, partition = "", region, account, type, id = ""] = match;
  checkPartition("detail.SourceArn", partition, expect.region);
  if (account !== expect.account || region !== expect.region) {
    throw new Rejection(`${arn} is not in account ${expect.account} region ${expect.region}`);
  }
  const kind: SnapshotKind = type === "db" ? "instance" : "cluster";
  if (DATABASE_DETAIL_TYPE[kind] !== event["detail-type"]) {
    throw new Rejection(`detail-type "${event["detail-type"]}" does not match ${arn}`);
  }
  const [resource, ...more] = event.resources ?? [];
  if (more.length > 0 || (resource !== undefined && resource !== arn)) {
    throw new Rejection(`resources ${JSON.stringify(event.resources)} do not name ${arn}`);
  }
  const identifier = event.detail.SourceIdentifier?.replace(/^rds:/i, "");
  if (identifier !== undefined && identifier.toLowerCase() !== id.toLowerCase()) {
    throw new Rejection(
      `detail.SourceIdentifier ${event.detail.SourceIdentifier} does not name ${arn}`,
    );
  }
  const when = new Date(event.detail.Date ?? event.time ?? "");
  return {
    eventId,
    kind,
    id,
    time: Number.isNaN(when.getTime()) ? undefined : when,
  };
}
