// One failsafe account for several prod accounts, optionally with a DR region, in any region of
// any partition the emulator knows: each prod account has its own transit key and its own copy
// side (as its own copy stack would deploy it), all hand off to the one hand-off topic; the save
// side accepts the accounts its settings list, and `configure` changes that list as one config
// change on the failsafe stack would. The deliver* helpers play EventBridge, SNS → SQS and SQS.
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { CreateDBClusterCommand, CreateDBInstanceCommand } from "@aws-sdk/client-rds";
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
import { handoffPublishers, NAMES, regionArns } from "../../components/names";
import { EVENT_IDS } from "../../handlers/events";
import { failsafeHandlers, prodHandlers } from "../../handlers/index";
import type { SnapshotKind } from "../../handlers/naming";
import { RdsSnapshots, type SnapshotInfo } from "../../handlers/rds";
import {
  accountClients,
  FAILSAFE_ACCOUNT,
  REGION,
  resetEmulator,
  setEmulatorClock,
  takeAutomatedSnapshot,
  type AccountClients,
} from "../harness";
import { rdsSnapshotEvent, sqsEvent } from "./events";
import { RecordingLog } from "./recording-log";
import { RecordingMetrics } from "./recording-metrics";

/** Three prod accounts besides the failsafe one (moto maps any account through AssumeRole). */
export const ORG_PROD_ACCOUNTS = ["111111111111", "333333333333", "444444444444"] as const;

export interface OrgWorldOptions {
  readonly region?: string;
  readonly drRegion?: string;
  /** The prod accounts that exist (each with its copy side). */
  readonly prodAccounts?: readonly string[];
  /** The prod accounts the save side accepts (default: all of them). */
  readonly prodAccountIds?: readonly string[];
  readonly retentionDays?: number;
  readonly minCopies?: number;
  readonly freezeAfterHours?: number;
  readonly rpoHours?: number;
  readonly maxActionsPerRun?: number;
  /** The DR vault key the save side is given (default: the one created in the DR region). */
  readonly drVaultKmsKeyArn?: string;
}

export interface ProdAccount {
  readonly id: string;
  readonly clients: AccountClients;
  readonly transitKeyArn: string;
  readonly log: RecordingLog;
  readonly handlers: ReturnType<typeof prodHandlers>;
}

export async function createOrgWorld(options: OrgWorldOptions = {}) {
  await resetEmulator();
  const region = options.region ?? REGION;
  const arns = regionArns(region);
  const accounts = options.prodAccounts ?? ORG_PROD_ACCOUNTS;
  const failsafe = await accountClients(FAILSAFE_ACCOUNT, region);
  const drClients = options.drRegion
    ? await accountClients(FAILSAFE_ACCOUNT, options.drRegion)
    : undefined;
  const vaultKeyArn = await createKey(failsafe, "rds-failsafe vault");
  const drVaultKeyArn = drClients ? await createKey(drClients, "rds-failsafe DR vault") : undefined;

  const handoffTopicArn =
    (await failsafe.sns.send(new CreateTopicCommand({ Name: NAMES.handoffTopic }))).TopicArn ?? "";
  // The program's topic policy (moto stores it, enforces nothing: the IAM tests judge it).
  await failsafe.sns.send(
    new SetTopicAttributesCommand({
      TopicArn: handoffTopicArn,
      AttributeName: "Policy",
      AttributeValue: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: accounts.map((a) => arns.root(a)) },
            Action: "sns:Publish",
            Resource: handoffTopicArn,
            Condition: { ArnEquals: { "aws:PrincipalArn": handoffPublishers(region, accounts) } },
          },
        ],
      }),
    }),
  );
  const saveQueueUrl = await subscribedQueue(failsafe, handoffTopicArn, "rds-failsafe-save");
  const opsTopicArn =
    (await failsafe.sns.send(new CreateTopicCommand({ Name: NAMES.opsTopic.save }))).TopicArn ?? "";
  const opsQueueUrl = await subscribedQueue(failsafe, opsTopicArn, "ops-inbox");

  let now = new Date();
  const clock = () => new Date(now);
  const metrics = new RecordingMetrics();
  const failsafeLog = new RecordingLog();
  const common = {
    region,
    failsafeAccountId: FAILSAFE_ACCOUNT,
    maxActionsPerRun: options.maxActionsPerRun,
  };

  const prod = new Map<string, ProdAccount>();
  for (const id of accounts) {
    const clients = await accountClients(id, region);
    const transitKeyArn = await createKey(clients, `rds-failsafe transit of ${id}`);
    const log = new RecordingLog();
    const handlers = prodHandlers(
      { ...common, prodAccountId: id, transitKmsKeyArn: transitKeyArn, handoffTopicArn },
      { rds: clients.rds, sns: clients.sns, metrics: new RecordingMetrics(), log, clock },
    );
    prod.set(id, { id, clients, transitKeyArn, log, handlers });
  }
  const account = (id: string): ProdAccount => {
    const found = prod.get(id);
    if (!found) throw new Error(`no prod account ${id} in this world`);
    return found;
  };

  /** The save side as the failsafe stack deploys it with this prodAccountIds. */
  const saveSide = (
    prodAccountIds: readonly string[],
    drKey = options.drVaultKmsKeyArn ?? drVaultKeyArn,
  ) =>
    failsafeHandlers(
      {
        ...common,
        prodAccountIds: [...prodAccountIds],
        vaultKmsKeyArn: vaultKeyArn,
        handoffTopicArn,
        retentionDays: options.retentionDays,
        minCopies: options.minCopies,
        freezeAfterHours: options.freezeAfterHours,
        rpoHours: options.rpoHours,
        opsTopicArn,
        ...(options.drRegion && drKey
          ? { drRegion: options.drRegion, drVaultKmsKeyArn: drKey }
          : {}),
      },
      {
        rds: failsafe.rds,
        sns: failsafe.sns,
        drRds: drClients?.rds,
        metrics,
        log: failsafeLog,
        clock,
      },
    );
  let accepted = options.prodAccountIds ?? accounts;
  let save = saveSide(accepted);

  const event = (owner: string, eventId: string, snapshot: SnapshotInfo) =>
    rdsSnapshotEvent({
      eventId,
      kind: snapshot.kind,
      snapshotArn: snapshot.arn,
      account: owner,
      region,
    });
  const list = async (
    clients: AccountClients,
    kind: SnapshotKind,
    type: "manual" | "automated",
    sourceId?: string,
  ) => {
    const found: SnapshotInfo[] = [];
    for await (const s of new RdsSnapshots(clients.rds).listSnapshots(kind, type, sourceId)) {
      found.push(s);
    }
    return found;
  };

  const world = {
    region,
    drRegion: options.drRegion,
    failsafe,
    dr: drClients,
    vaultKeyArn,
    drVaultKeyArn,
    handoffTopicArn,
    saveQueueUrl,
    metrics,
    failsafeLog,
    prod: account,
    accounts: [...accounts],
    get failsafeSide() {
      return save;
    },
    /**
     * One config change on the failsafe stack (a new deployment of its functions' settings): the
     * prod accounts it accepts, or the DR vault key it is given.
     */
    configure(change: { prodAccountIds?: readonly string[]; drVaultKmsKeyArn?: string }) {
      accepted = change.prodAccountIds ?? accepted;
      save = saveSide(accepted, change.drVaultKmsKeyArn ?? drVaultKeyArn);
    },
    now: clock,
    async advanceHours(hours: number, opts: { emulator?: boolean } = {}) {
      now = new Date(now.getTime() + hours * 3_600_000);
      if (opts.emulator) {
        await setEmulatorClock(now.getTime() - Date.now());
      }
    },
    async opsNotifications(): Promise<string[]> {
      const bodies = await drainQueue(failsafe, opsQueueUrl);
      return bodies.map((b) => String((JSON.parse(b) as { Subject?: string }).Subject));
    },

    async createInstance(owner: string, id: string, opts: { encrypted?: boolean } = {}) {
      const { clients } = account(owner);
      const key = opts.encrypted ? await createKey(clients, `${id}'s own key`) : undefined;
      await clients.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: "postgres",
          DBInstanceClass: "db.t3.micro",
          AllocatedStorage: 20,
          MasterUsername: "app",
          MasterUserPassword: "not-a-secret-1",
          BackupRetentionPeriod: 7,
          StorageEncrypted: Boolean(key),
          KmsKeyId: key,
          Tags: [{ Key: "Failsafe", Value: "True" }],
        }),
      );
      return world.automatedSnapshot(owner, "instance", id);
    },
    async createCluster(owner: string, id: string, opts: { encrypted?: boolean } = {}) {
      const { clients } = account(owner);
      const key = opts.encrypted ? await createKey(clients, `${id}'s own key`) : undefined;
      await clients.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: id,
          Engine: "aurora-postgresql",
          MasterUsername: "app",
          MasterUserPassword: "not-a-secret-1",
          BackupRetentionPeriod: 7,
          StorageEncrypted: Boolean(key),
          KmsKeyId: key,
          Tags: [{ Key: "Failsafe", Value: "True" }],
        }),
      );
      return world.automatedSnapshot(owner, "cluster", id);
    },
    async automatedSnapshot(owner: string, kind: SnapshotKind, sourceId: string) {
      const [first] = (await list(account(owner).clients, kind, "automated", sourceId)).sort(
        (a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0),
      );
      if (!first) throw new Error(`no automated ${kind} snapshot of ${owner}/${sourceId}`);
      return first;
    },
    /** RDS's daily backup of a database at the current (simulated) time. */
    async dailyBackup(owner: string, kind: SnapshotKind, id: string): Promise<SnapshotInfo> {
      const { snapshotId } = await takeAutomatedSnapshot({
        account: owner,
        kind,
        id,
        time: now,
        region,
      });
      const found = await new RdsSnapshots(account(owner).clients.rds).describeSnapshot(
        kind,
        snapshotId,
      );
      if (!found) throw new Error(`the emulator did not make ${snapshotId}`);
      return found;
    },
    /** Managed snapshots in an account's region (primary failsafe copies, intermediates, DR copies). */
    async managed(clients: AccountClients, kind: SnapshotKind): Promise<SnapshotInfo[]> {
      return (await list(clients, kind, "manual")).filter(
        (s) => s.tags["failsafe:managed"] === "true",
      );
    },

    /** prod → failsafe for one automated snapshot: copy, share (hand-off), save. */
    async protect(owner: string, snapshot: SnapshotInfo) {
      const p = account(owner);
      const copyEvent =
        snapshot.kind === "instance"
          ? EVENT_IDS.automatedInstanceSnapshotCreated
          : EVENT_IDS.automatedClusterSnapshotCreated;
      await p.handlers.copy(sqsEvent([event(owner, copyEvent, snapshot)], region));
      const intermediates = (await world.managed(p.clients, snapshot.kind)).filter(
        (s) => s.tags["failsafe:source-snapshot"] === snapshot.id,
      );
      await p.handlers.share(
        sqsEvent(
          intermediates.map((s) => event(owner, EVENT_IDS.snapshotCopyFinished, s)),
          region,
        ),
      );
      return world.deliverHandoffs();
    },
    /** SNS → SQS → save: every hand-off waiting in the save queue. */
    async deliverHandoffs() {
      const bodies = await drainQueue(failsafe, saveQueueUrl);
      return save.save(sqsEvent(bodies, region));
    },
    /** EventBridge → SQS → retention and dr-copy: "copy finished" for these failsafe copies. */
    async copiesFinished(copies: readonly SnapshotInfo[], opts: { dr?: boolean } = {}) {
      const bodies = copies.map((s) => event(FAILSAFE_ACCOUNT, EVENT_IDS.snapshotCopyFinished, s));
      const retention = await save.retention(sqsEvent(bodies, region));
      const dr =
        opts.dr === false || !options.drRegion
          ? undefined
          : await save.drCopy(sqsEvent(bodies, region));
      return { retention, dr };
    },
  };
  return world;
}

export type OrgWorld = Awaited<ReturnType<typeof createOrgWorld>>;

async function createKey(account: AccountClients, description: string): Promise<string> {
  const arn = (await account.kms.send(new CreateKeyCommand({ Description: description })))
    .KeyMetadata?.Arn;
  if (!arn) throw new Error("emulator returned no key ARN");
  return arn;
}

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

async function drainQueue(account: AccountClients, url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await account.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return bodies;
    for (const m of Messages) {
      bodies.push(m.Body ?? "");
      await account.sqs.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
}
