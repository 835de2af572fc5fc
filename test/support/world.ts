import { CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
} from "@aws-sdk/client-rds";
import {
  CreateTopicCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { EVENT_IDS } from "../../handlers/events";
import { failsafeHandlers, prodHandlers } from "../../handlers/index";
import type { FailsafeSettingsInput } from "../../handlers/settings";
import type { SnapshotKind } from "../../handlers/naming";
import { partitionOf } from "../../handlers/partition";
import { RdsSnapshots, type SnapshotInfo } from "../../handlers/rds";
import {
  accountClients,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  resetEmulator,
  setEmulatorClock,
  takeAutomatedSnapshot,
  type AccountClients,
} from "../harness";
import { rdsSnapshotEvent, sqsEvent } from "./events";
import { RecordingLog } from "./recording-log";
import { RecordingMetrics } from "./recording-metrics";

export type Encryption = "none" | "default" | "cmk";

export interface WorldOptions {
  readonly retentionDays?: number;
  readonly minCopies?: number;
  readonly freezeAfterHours?: number;
  readonly intermediateKeepHours?: number;
  readonly maxActionsPerRun?: number;
  readonly notifyOn?: "failures" | "all";
  readonly rpoHours?: number;
  readonly unprotectedAfterHours?: number;
  /** The prod accounts the save side accepts (default: the one prod account). */
  readonly prodAccountIds?: readonly string[];
  // recovery (issue 12): retention tiers (handler defaults 8 / 12) and drill settings
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly drills?: FailsafeSettingsInput["drills"];
}

/**
 * Two emulated accounts wired as the Pulumi program wires them: transit key in prod, vault key,
 * hand-off topic and save queue in failsafe, and both sides' handlers built with the same entry
 * points the Lambdas use. `deliver*` play the part of EventBridge and SQS.
 */
export async function createWorld(options: WorldOptions = {}) {
  await resetEmulator();
  const prod = await accountClients(PROD_ACCOUNT);
  const failsafe = await accountClients(FAILSAFE_ACCOUNT);
  const transitKeyArn = await createKey(prod, "rds-failsafe transit");
  const vaultKeyArn = await createKey(failsafe, "rds-failsafe vault");
  const prodDataKeyArn = await createKey(prod, "an application's own CMK");

  const topic = await failsafe.sns.send(new CreateTopicCommand({ Name: "rds-failsafe-handoff" }));
  const handoffTopicArn = topic.TopicArn ?? "";
  await failsafe.sns.send(
    new SetTopicAttributesCommand({
      TopicArn: handoffTopicArn,
      AttributeName: "Policy",
      AttributeValue: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: {
              AWS: `arn:${partitionOf(REGION)}:iam::${PROD_ACCOUNT}:role/rds-failsafe-share`,
            },
            Action: "sns:Publish",
            Resource: handoffTopicArn,
          },
        ],
      }),
    }),
  );
  const saveQueueUrl = await subscribedQueue(failsafe, handoffTopicArn, "rds-failsafe-save");

  const opsTopicArn =
    (await failsafe.sns.send(new CreateTopicCommand({ Name: "rds-failsafe-ops" }))).TopicArn ?? "";
  const opsQueueUrl = await subscribedQueue(failsafe, opsTopicArn, "ops-inbox");
  const metrics = new RecordingMetrics();
  const prodMetrics = new RecordingMetrics();

  let now = new Date();
  const clock = () => new Date(now);
  const prodLog = new RecordingLog();
  const failsafeLog = new RecordingLog();
  const common = {
    region: REGION,
    failsafeAccountId: FAILSAFE_ACCOUNT,
    maxActionsPerRun: options.maxActionsPerRun,
  };
  const prodSide = prodHandlers(
    {
      ...common,
      prodAccountId: PROD_ACCOUNT,
      transitKmsKeyArn: transitKeyArn,
      handoffTopicArn,
      intermediateKeepHours: options.intermediateKeepHours,
      unprotectedAfterHours: options.unprotectedAfterHours,
    },
    { rds: prod.rds, sns: prod.sns, metrics: prodMetrics, log: prodLog, clock },
  );
  const failsafeSide = failsafeHandlers(
    {
      ...common,
      prodAccountIds: [...(options.prodAccountIds ?? [PROD_ACCOUNT])],
      vaultKmsKeyArn: vaultKeyArn,
      handoffTopicArn,
      retentionDays: options.retentionDays,
      minCopies: options.minCopies,
      freezeAfterHours: options.freezeAfterHours,
      rpoHours: options.rpoHours,
      opsTopicArn,
      notifyOn: options.notifyOn,
      keepWeekly: options.keepWeekly,
      keepMonthly: options.keepMonthly,
      drills: options.drills,
    },
    { rds: failsafe.rds, sns: failsafe.sns, metrics, log: failsafeLog, clock },
  );

  const event = (account: string, eventId: string, snapshot: SnapshotInfo) =>
    rdsSnapshotEvent({
      eventId,
      kind: snapshot.kind,
      snapshotArn: snapshot.arn,
      account,
      region: REGION,
    });

  const world = {
    prod,
    failsafe,
    transitKeyArn,
    vaultKeyArn,
    prodDataKeyArn,
    handoffTopicArn,
    saveQueueUrl,
    prodLog,
    failsafeLog,
    metrics,
    prodMetrics,
    opsTopicArn,
    /** Subjects of the notifications the ops topic delivered so far (drains them). */
    async opsNotifications(): Promise<string[]> {
      const bodies = await drainQueue(failsafe, opsQueueUrl);
      return bodies.map((b) => String((JSON.parse(b) as { Subject?: string }).Subject));
    },
    /** The handlers the deliver* helpers call; the serialized-code test swaps in deployed code. */
    prodSide: prodSide as Pick<typeof prodSide, "copy" | "share" | "sweep">,
    failsafeSide: failsafeSide as Pick<
      typeof failsafeSide,
      "save" | "retention" | "sweep" | "drill" | "drillVerify"
    >,
    /** Moves the handlers' clock forward (and, with `emulator`, RDS's creation times too). */
    async advanceHours(hours: number, opts: { emulator?: boolean } = {}): Promise<void> {
      now = new Date(now.getTime() + hours * 3_600_000);
      if (opts.emulator) {
        await setEmulatorClock(now.getTime() - Date.now());
      }
    },
    /** RDS's daily backup of a database at the current (simulated) time, as AWS takes it. */
    async dailyBackup(kind: SnapshotKind, id: string): Promise<SnapshotInfo> {
      const { snapshotId } = await takeAutomatedSnapshot({
        account: PROD_ACCOUNT,
        kind,
        id,
        time: now,
      });
      const found = await new RdsSnapshots(prod.rds).describeSnapshot(kind, snapshotId);
      if (!found) {
        throw new Error(`the emulator did not make ${snapshotId}`);
      }
      return found;
    },
    now: clock,

    async createInstance(
      id: string,
      opts: { tagged?: boolean | string; encryption?: Encryption } = {},
    ) {
      await prod.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: "postgres",
          DBInstanceClass: "db.t3.micro",
          AllocatedStorage: 20,
          MasterUsername: "app",
          MasterUserPassword: "not-a-secret-1",
          BackupRetentionPeriod: 7,
          ...encryptionArgs(opts.encryption ?? "none", prodDataKeyArn),
          Tags: tagsFor(opts.tagged),
        }),
      );
      return world.automatedSnapshot("instance", id);
    },

    async createCluster(
      id: string,
      opts: { tagged?: boolean | string; encryption?: Encryption } = {},
    ) {
      await prod.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: id,
          Engine: "aurora-postgresql",
          MasterUsername: "app",
          MasterUserPassword: "not-a-secret-1",
          BackupRetentionPeriod: 7,
          ...encryptionArgs(opts.encryption ?? "none", prodDataKeyArn),
          Tags: tagsFor(opts.tagged),
        }),
      );
      return world.automatedSnapshot("cluster", id);
    },

    /** The automated snapshot moto makes when a database is created. */
    async automatedSnapshot(kind: SnapshotKind, sourceId: string): Promise<SnapshotInfo> {
      const found: SnapshotInfo[] = [];
      for await (const s of new RdsSnapshots(prod.rds).listSnapshots(kind, "automated", sourceId)) {
        found.push(s);
      }
      const first = found[0];
      if (!first) {
        throw new Error(`no automated ${kind} snapshot for ${sourceId}`);
      }
      return first;
    },

    /** Snapshots (manual) in an account, of a kind. */
    async manualSnapshots(account: AccountClients, kind: SnapshotKind): Promise<SnapshotInfo[]> {
      const all: SnapshotInfo[] = [];
      for await (const s of new RdsSnapshots(account.rds).listSnapshots(kind, "manual")) {
        all.push(s);
      }
      return all;
    },

    /** Every snapshot of both kinds in both accounts, for "nothing created or deleted" checks. */
    async inventory(): Promise<string[]> {
      const ids: string[] = [];
      for (const account of [prod, failsafe]) {
        // Every page (RDS answers at most 100 per call: emulator extension 17).
        for await (const page of paginateDescribeDBSnapshots({ client: account.rds }, {})) {
          ids.push(
            ...(page.DBSnapshots ?? []).map(
              (s) => `${account.accountId}:${s.DBSnapshotIdentifier}`,
            ),
          );
        }
        for await (const page of paginateDescribeDBClusterSnapshots({ client: account.rds }, {})) {
          ids.push(
            ...(page.DBClusterSnapshots ?? []).map(
              (s) => `${account.accountId}:${s.DBClusterSnapshotIdentifier}`,
            ),
          );
        }
      }
      return ids.sort();
    },

    /** EventBridge → SQS → copy: the automated-snapshot-created event for `snapshot`. */
    async deliverAutomatedSnapshotCreated(snapshot: SnapshotInfo, times = 1) {
      const eventId =
        snapshot.kind === "instance"
          ? EVENT_IDS.automatedInstanceSnapshotCreated
          : EVENT_IDS.automatedClusterSnapshotCreated;
      const body = event(PROD_ACCOUNT, eventId, snapshot);
      return world.prodSide.copy(sqsEvent(Array.from({ length: times }, () => body)));
    },

    /** EventBridge → SQS → share: "copy finished" for the intermediate copies in prod. */
    async deliverIntermediateEvents(kind: SnapshotKind, times = 1) {
      const managed = (await world.manualSnapshots(prod, kind)).filter((s) =>
        s.id.startsWith("failsafe-"),
      );
      const bodies = managed.flatMap((s) =>
        Array.from({ length: times }, () => event(PROD_ACCOUNT, EVENT_IDS.snapshotCopyFinished, s)),
      );
      return world.prodSide.share(sqsEvent(bodies));
    },

    /** SNS → SQS → save: drains the real save queue the hand-off topic delivered to. */
    async deliverHandoffs(times = 1) {
      const bodies = await drainQueue(failsafe, saveQueueUrl);
      const repeated = bodies.flatMap((b) => Array.from({ length: times }, () => b));
      const result = await world.failsafeSide.save(sqsEvent(repeated));
      return { handoffs: bodies.length, result };
    },

    /** EventBridge → SQS → retention: "copy finished" for the failsafe copies. */
    async deliverFailsafeCopyFinished(kind: SnapshotKind) {
      const copies = (await world.manualSnapshots(failsafe, kind)).filter((s) =>
        s.id.startsWith("failsafe-"),
      );
      return world.failsafeSide.retention(
        sqsEvent(copies.map((s) => event(FAILSAFE_ACCOUNT, EVENT_IDS.snapshotCopyFinished, s))),
      );
    },

    /** The whole event-driven path for one automated snapshot, each event `times` times. */
    async runPipeline(snapshot: SnapshotInfo, times = 1) {
      await world.deliverAutomatedSnapshotCreated(snapshot, times);
      await world.deliverIntermediateEvents(snapshot.kind, times);
      await world.deliverHandoffs(times);
      await world.deliverFailsafeCopyFinished(snapshot.kind);
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** A queue in `account` subscribed to `topicArn` (same-account SNS → SQS, which moto delivers). */
async function subscribedQueue(account: AccountClients, topicArn: string, name: string) {
  const url = (await account.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? "";
  const { Attributes } = await account.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  await account.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: Attributes?.QueueArn }),
  );
  return url;
}

/** Every message body waiting in the queue, deleting them as a consumer would. */
async function drainQueue(account: AccountClients, url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await account.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) {
      return bodies;
    }
    for (const m of Messages) {
      bodies.push(m.Body ?? "");
      await account.sqs.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
}

async function createKey(account: AccountClients, description: string): Promise<string> {
  const key = await account.kms.send(new CreateKeyCommand({ Description: description }));
  const arn = key.KeyMetadata?.Arn;
  if (!arn) {
    throw new Error("emulator returned no key ARN");
  }
  return arn;
}

function tagsFor(tagged: boolean | string | undefined) {
  if (tagged === undefined || tagged === false) {
    return [{ Key: "team", Value: "payments" }];
  }
  return [
    { Key: "Failsafe", Value: tagged === true ? "True" : tagged },
    { Key: "team", Value: "payments" },
  ];
}

function encryptionArgs(encryption: Encryption, cmkArn: string) {
  switch (encryption) {
    case "none":
      return { StorageEncrypted: false };
    case "default":
      // No KmsKeyId: RDS uses the account's default aws/rds key, which cannot be shared.
      return { StorageEncrypted: true };
    case "cmk":
      return { StorageEncrypted: true, KmsKeyId: cmkArn };
  }
}
