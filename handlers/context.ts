import type { RDSClient } from "@aws-sdk/client-rds";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { Log } from "./log";
import type { MetricsSink } from "./metrics";
import { RdsSnapshots } from "./rds";
import type { FailsafeSettings, ProdSettings } from "./settings";

/** Injected into the prod handlers: SDK clients, settings, a logger and a clock. */
export interface ProdDeps {
  readonly rds: RDSClient;
  readonly sns: SNSClient;
  /** The prod sweep's figures (UnprotectedSources and its alarm). */
  readonly metrics: MetricsSink;
  readonly settings: ProdSettings;
  readonly log: Log;
  readonly clock: () => Date;
}

export interface FailsafeDeps {
  readonly rds: RDSClient;
  /** Publishes to the ops topic (saved / failed notifications); unused without opsTopicArn. */
  readonly sns: SNSClient;
  readonly metrics: MetricsSink;
  /** RDS in the DR region (settings.drRegion), same account; undefined without a DR region. */
  readonly drRds?: RDSClient;
  readonly settings: FailsafeSettings;
  readonly log: Log;
  readonly clock: () => Date;
}

/** The snapshot operations over the injected client. */
export function snapshots(deps: { readonly rds: RDSClient }): RdsSnapshots {
  return new RdsSnapshots(deps.rds);
}

export const HOUR_MS = 3_600_000;

export function ageHours(now: Date, then: Date | undefined): number {
  return then ? (now.getTime() - then.getTime()) / HOUR_MS : Number.POSITIVE_INFINITY;
}

/** The key id at the end of a KMS key ARN, to compare ARNs with the ids RDS sometimes reports. */
export function kmsKeyId(arnOrId: string | undefined): string {
  return (arnOrId ?? "").replace(/^.*:key\//, "");
}

// Adaptive retries add client-side rate limiting on throttling, which RDS Describe* calls hit
// first when many databases snapshot in the same backup window.
export const CLIENT_DEFAULTS = { retryMode: "adaptive", maxAttempts: 5 } as const;

/** What tests (and only tests) replace: clients pointed at the emulator, a recorder, a clock. */
export type Injected<T> = Partial<Omit<T, "settings">>;
