import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SNAPSHOT_QUOTA_CODES } from "./deploy-permissions";

export interface SnapshotQuotaRequestArgs {
  /** Provider of the account whose quotas are raised (the region is the provider's). */
  readonly provider: aws.Provider;
  /** Manual snapshots per kind to ask for (above RDS's default of 100). */
  readonly value: number;
}

/**
 * Asks Service Quotas for more manual snapshots, DB instance and DB cluster snapshots alike (RDS
 * quota codes L-272F1212 and L-9B510759, service code `rds`; "Quotas in Amazon RDS", Amazon RDS
 * User Guide). Every failsafe copy and every intermediate copy is a manual snapshot: at the
 * default 100, 31 daily copies of four databases fill the failsafe account in about 25 days, and
 * then every save is refused (SnapshotQuotaExceeded) until it lands in the DLQ. AWS may approve
 * a request at once or after review (hours to days); `npx rds-failsafe preflight` prints the
 * quota each account needs and whether it has it. A request at or below the current value asks
 * for nothing.
 */
export class SnapshotQuotaRequest extends pulumi.ComponentResource {
  constructor(
    name: string,
    args: SnapshotQuotaRequestArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("rds-failsafe:quota:SnapshotQuotaRequest", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    for (const [kind, quotaCode] of Object.entries(SNAPSHOT_QUOTA_CODES)) {
      new aws.servicequotas.ServiceQuota(
        `${name}-${kind}`,
        { serviceCode: "rds", quotaCode, value: args.value },
        child,
      );
    }
    this.registerOutputs({});
  }
}
