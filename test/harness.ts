// Test-side view of the emulator: the accounts, the endpoint and per-account SDK clients.
// moto keeps separate state per account and picks the account from STS AssumeRole
// credentials, so each account's clients carry credentials assumed into that account.
import { KMSClient } from "@aws-sdk/client-kms";
import { RDSClient } from "@aws-sdk/client-rds";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { partitionOf } from "../handlers/partition";

export const PROD_ACCOUNT = "111111111111";
export const FAILSAFE_ACCOUNT = "222222222222";
export const REGION = "eu-west-1";

// moto ignores the signature; the base identity only has to look well-formed.
const BASE_CREDENTIALS = { accessKeyId: "AKIAEMULATOR0000TEST", secretAccessKey: "emulator" };
// One retry absorbs a transient socket error; more would only slow down expected faults.
const MAX_ATTEMPTS = 2;

export interface AccountCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface AccountClients {
  accountId: string;
  rds: RDSClient;
  sns: SNSClient;
  sqs: SQSClient;
  kms: KMSClient;
  credentials: AccountCredentials;
}

let endpoint: string | undefined;
// Assumed-role keys live in moto's STS state: a reset forgets them, and moto then maps
// them to its default account. The cache must not outlive a reset.
const clientCache = new Map<string, Promise<AccountClients>>();

/** Called by test/setup.ts once the server is up (or MOTO_ENDPOINT is given). */
export function setEmulatorEndpoint(url: string): void {
  endpoint = url;
  clientCache.clear();
}

export function emulatorEndpoint(): string {
  if (!endpoint) {
    throw new Error("emulator not started: run mocha with --require test/setup.ts");
  }
  return endpoint;
}

export async function resetEmulator(): Promise<void> {
  clientCache.clear();
  const response = await fetch(`${emulatorEndpoint()}/moto-api/reset`, { method: "POST" });
  if (!response.ok) {
    throw new Error(`moto reset failed: HTTP ${response.status} ${await response.text()}`);
  }
}

/** An account's clients in `region` (moto keeps a backend per account and region). */
export function accountClients(accountId: string, region = REGION): Promise<AccountClients> {
  const key = `${accountId}@${region}`;
  let clients = clientCache.get(key);
  if (!clients) {
    clients = createAccountClients(accountId, region);
    clientCache.set(key, clients);
    clients.catch(() => clientCache.delete(key));
  }
  return clients;
}

async function createAccountClients(accountId: string, region: string): Promise<AccountClients> {
  const base = { region, endpoint: emulatorEndpoint(), maxAttempts: MAX_ATTEMPTS };
  const sts = new STSClient({ ...base, credentials: BASE_CREDENTIALS });
  try {
    const { Credentials: assumed } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:${partitionOf(region)}:iam::${accountId}:role/failsafe-test`,
        RoleSessionName: "rds-failsafe-test",
      }),
    );
    if (!assumed?.AccessKeyId || !assumed.SecretAccessKey || !assumed.SessionToken) {
      throw new Error(`AssumeRole into ${accountId} returned no credentials`);
    }
    const credentials: AccountCredentials = {
      accessKeyId: assumed.AccessKeyId,
      secretAccessKey: assumed.SecretAccessKey,
      sessionToken: assumed.SessionToken,
    };
    const config = { ...base, credentials };
    return {
      accountId,
      rds: new RDSClient(config),
      sns: new SNSClient(config),
      sqs: new SQSClient(config),
      kms: new KMSClient(config),
      credentials,
    };
  } finally {
    sts.destroy();
  }
}

/** The run-time knobs of test/emulator/extensions.py (6. and 7.); a reset clears them. */
export interface EmulatorLimits {
  /** Copies report `creating` for this many seconds (wall clock). */
  readonly copySeconds?: number;
  /** Copies in flight per account and region before SnapshotQuotaExceeded. */
  readonly copyLimit?: number;
  /** Manual snapshots per kind, account and region before SnapshotQuotaExceeded. */
  readonly manualSnapshotQuota?: number;
  /** Restored databases report `creating` for this many seconds (extension 14.). */
  readonly restoreSeconds?: number;
}

export async function setEmulatorLimits(limits: EmulatorLimits): Promise<void> {
  const response = await fetch(`${emulatorEndpoint()}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ rds_failsafe: limits }),
  });
  if (!response.ok) {
    throw new Error(`moto config failed: HTTP ${response.status} ${await response.text()}`);
  }
}

/**
 * The automated snapshot RDS takes of a database in its backup window, at `time` (emulator
 * extension 9.). moto makes one at creation only; the daily ones come from here.
 */
export async function takeAutomatedSnapshot(args: {
  readonly account: string;
  readonly kind: "instance" | "cluster";
  readonly id: string;
  readonly time: Date;
  readonly region?: string;
}): Promise<{ snapshotId: string; arn: string }> {
  const response = await fetch(`${emulatorEndpoint()}/_rds_failsafe/automated-snapshot`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      account: args.account,
      region: args.region ?? REGION,
      kind: args.kind,
      id: args.id,
      time: args.time.toISOString(),
    }),
  });
  const body = (await response.json()) as { snapshotId?: string; arn?: string; error?: string };
  if (!response.ok || !body.snapshotId || !body.arn) {
    throw new Error(
      `automated snapshot of ${args.kind} ${args.id}: ${body.error ?? response.status}`,
    );
  }
  return { snapshotId: body.snapshotId, arn: body.arn };
}

/**
 * Moves the emulator's RDS clock (extension 10.) to `offsetMs` ahead of the wall clock: what it
 * stamps as creation time from now on. Tests that simulate days set it with the handlers' clock.
 */
export async function setEmulatorClock(offsetMs: number): Promise<void> {
  const response = await fetch(`${emulatorEndpoint()}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ rds_failsafe_clock: { offsetSeconds: offsetMs / 1000 } }),
  });
  if (!response.ok) {
    throw new Error(`moto clock failed: HTTP ${response.status} ${await response.text()}`);
  }
}
