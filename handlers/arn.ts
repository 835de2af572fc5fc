import type { SnapshotKind } from "./naming";

/** The parts of an RDS snapshot ARN rds-failsafe cares about. */
export interface SnapshotArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly kind: SnapshotKind;
  /** The snapshot identifier, e.g. `rds:orders-2026-11-22-05-07` or `failsafe-orders-…`. */
  readonly id: string;
}

const RESOURCE_KIND: Readonly<Record<string, SnapshotKind>> = {
  snapshot: "instance",
  "cluster-snapshot": "cluster",
};

/**
 * Parses `arn:<partition>:rds:<region>:<account>:snapshot|cluster-snapshot:<id>`. The id of an
 * automated snapshot itself contains a colon (`rds:…`), so everything after the resource type is
 * the id. Returns a reason string instead of throwing, because callers turn it into a rejection.
 */
export function parseSnapshotArn(arn: string): SnapshotArn | string {
  const parts = arn.split(":");
  const [prefix, partition, service, region, account, resourceType] = parts;
  const id = parts.slice(6).join(":");
  if (prefix !== "arn" || !partition || service !== "rds") {
    return `"${arn}" is not an RDS ARN`;
  }
  const kind = resourceType ? RESOURCE_KIND[resourceType] : undefined;
  if (!kind) {
    return `"${arn}" is not an RDS snapshot or cluster-snapshot ARN`;
  }
  if (!region || !/^\d{12}$/.test(account ?? "") || !id) {
    return `"${arn}" has no region, 12-digit account or snapshot id`;
  }
  return { partition, region, account: account as string, kind, id };
}

/** Builds the ARN of a snapshot from its parts (used for shared snapshots and hand-offs). */
export function snapshotArn(parts: SnapshotArn): string {
  const type = parts.kind === "instance" ? "snapshot" : "cluster-snapshot";
  return `arn:${parts.partition}:rds:${parts.region}:${parts.account}:${type}:${parts.id}`;
}
