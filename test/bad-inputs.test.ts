import { strict as assert } from "node:assert";
import { HANDOFF_VERSION } from "../handlers/events";
import { FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION } from "./harness";
import { rdsSnapshotEvent, snsEnvelope, sqsEvent } from "./support/events";
import { createWorld, type World } from "./support/world";

type Target = "copy" | "share" | "save" | "retention";

interface BadInput {
  readonly name: string;
  readonly target: Target;
  /** Built once the world exists (ARNs of real snapshots in it). */
  readonly body: (w: Fixture) => string | Record<string, unknown>;
  /** What the logged reason must say. */
  readonly reason: RegExp;
  readonly decision?: "rejected" | "skipped";
}

interface Fixture {
  readonly world: World;
  readonly automatedArn: string;
  readonly automatedId: string;
  readonly intermediateArn: string;
  readonly clusterAutomatedArn: string;
  readonly unsharedManagedArn: string;
  readonly untaggedManualArn: string;
}

const ev = (eventId: string, snapshotArn: string, overrides: Record<string, unknown> = {}) => ({
  ...rdsSnapshotEvent({
    eventId,
    kind: snapshotArn.includes(":cluster-snapshot:") ? "cluster" : "instance",
    snapshotArn,
    account: PROD_ACCOUNT,
    region: REGION,
  }),
  ...overrides,
});

const handoff = (f: Fixture, overrides: Record<string, unknown> = {}) => ({
  version: HANDOFF_VERSION,
  kind: "instance",
  snapshotArn: f.intermediateArn,
  sourceId: "orders",
  sourceAccount: PROD_ACCOUNT,
  region: REGION,
  sharedAt: new Date().toISOString(),
  ...overrides,
});

const OTHER_ACCOUNT = "333333333333";

const CASES: BadInput[] = [
  {
    name: "body is not JSON",
    target: "copy",
    body: () => "{not json",
    reason: /event is not valid JSON/,
  },
  {
    name: "body is a JSON string",
    target: "copy",
    body: () => '"hello"',
    reason: /not an RDS snapshot event: \(root\)/,
  },
  { name: "empty object", target: "copy", body: () => ({}), reason: /source: .*detail-type/s },
  {
    name: "source is not aws.rds",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn, { source: "my.app" }),
    reason: /source: /,
  },
  {
    name: "detail-type of another service",
    target: "copy",
    body: (f) =>
      ev("RDS-EVENT-0091", f.automatedArn, {
        "detail-type": "EC2 Instance State-change Notification",
      }),
    reason: /detail-type: /,
  },
  {
    name: "missing detail.SourceArn",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn, { detail: { EventID: "RDS-EVENT-0091" } }),
    reason: /detail\.SourceArn/,
  },
  {
    name: "malformed EventID",
    target: "copy",
    body: (f) => ev("0091", f.automatedArn),
    reason: /detail\.EventID: must look like RDS-EVENT-NNNN/,
  },
  {
    name: "wrong event id for copy (backup started, RDS-EVENT-0090)",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0090", f.automatedArn),
    reason: /event id RDS-EVENT-0090 is not handled here/,
  },
  {
    name: "manual-snapshot event sent to copy",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0042", f.automatedArn),
    reason: /event id RDS-EVENT-0042 is not handled here/,
  },
  {
    name: "event from another account",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn, { account: OTHER_ACCOUNT }),
    reason: new RegExp(
      `event account ${OTHER_ACCOUNT} is not the expected account ${PROD_ACCOUNT}`,
    ),
  },
  // Fields that name the snapshot must agree (issue: "an event whose fields disagree").
  {
    name: "SourceIdentifier names another snapshot than SourceArn",
    target: "copy",
    body: (f) => {
      const e = ev("RDS-EVENT-0091", f.automatedArn);
      const detail = e.detail as Record<string, unknown>;
      return { ...e, detail: { ...detail, SourceIdentifier: "rds:payroll-2026-11-22-05-07" } };
    },
    reason:
      /detail\.SourceIdentifier rds:payroll-2026-11-22-05-07 does not name the snapshot of detail\.SourceArn/,
  },
  {
    name: "resources[0] names another snapshot than SourceArn",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn, { resources: [f.clusterAutomatedArn] }),
    reason: /resources \[.*\] do not name detail\.SourceArn/,
  },
  {
    name: "two resources",
    target: "share",
    body: (f) =>
      ev("RDS-EVENT-0197", f.intermediateArn, { resources: [f.intermediateArn, f.automatedArn] }),
    reason: /resources \[.*\] do not name detail\.SourceArn/,
  },
  {
    name: "SourceArn in another region than the event",
    target: "copy",
    body: (f) => {
      const e = ev("RDS-EVENT-0091", f.automatedArn.replace(REGION, "eu-central-1"));
      return { ...e, resources: [] };
    },
    reason: /is not in account 111111111111 region eu-west-1/,
  },
  {
    name: "SourceArn of the aws-cn partition in a commercial region",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn.replace("arn:aws:", "arn:aws-cn:")),
    reason: /detail\.SourceArn is in partition aws-cn, but region eu-west-1 is in partition aws/,
  },
  {
    name: "SourceArn of the aws-us-gov partition",
    target: "retention",
    body: (f) =>
      ev("RDS-EVENT-0197", f.intermediateArn.replace("arn:aws:", "arn:aws-us-gov:"), {
        account: FAILSAFE_ACCOUNT,
      }),
    reason:
      /detail\.SourceArn is in partition aws-us-gov, but region eu-west-1 is in partition aws/,
  },
  {
    name: "hand-off naming an aws-cn snapshot",
    target: "save",
    body: (f) => handoff(f, { snapshotArn: f.intermediateArn.replace("arn:aws:", "arn:aws-cn:") }),
    reason: /hand-off snapshotArn is in partition aws-cn, but region eu-west-1 is in partition aws/,
  },
  {
    name: "event from another region",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn, { region: "us-east-1" }),
    reason: /event region us-east-1 is not the expected region eu-west-1/,
  },
  {
    name: "snapshot ARN in another account (spoofed)",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.automatedArn.replace(PROD_ACCOUNT, OTHER_ACCOUNT)),
    reason: new RegExp(`is not in account ${PROD_ACCOUNT}`),
  },
  {
    name: "SourceArn is not an ARN",
    target: "copy",
    body: (f) => {
      const e = ev("RDS-EVENT-0091", f.automatedArn);
      return {
        ...e,
        detail: { ...(e.detail as object), SourceArn: "rds:orders-2026-11-22-05-07" },
      };
    },
    reason: /is not an RDS ARN/,
  },
  {
    name: "SourceArn is a DB instance ARN, not a snapshot",
    target: "copy",
    body: () => ev("RDS-EVENT-0091", `arn:aws:rds:${REGION}:${PROD_ACCOUNT}:db:orders`),
    reason: /is not an RDS snapshot or cluster-snapshot ARN/,
  },
  {
    name: "detail-type says instance, ARN says cluster",
    target: "copy",
    body: (f) =>
      ev("RDS-EVENT-0169", f.clusterAutomatedArn, { "detail-type": "RDS DB Snapshot Event" }),
    reason: /does not match the cluster snapshot ARN/,
  },
  {
    name: "automated-created event for a manual (our own) snapshot: no copy of a copy",
    target: "copy",
    body: (f) => ev("RDS-EVENT-0091", f.intermediateArn),
    reason: /is manual, not automated/,
  },
  {
    name: "share event for a snapshot rds-failsafe does not manage",
    target: "share",
    decision: "skipped",
    body: (f) => ev("RDS-EVENT-0042", f.untaggedManualArn),
    reason: /is not managed by rds-failsafe/,
  },
  {
    name: "share event for a snapshot named like ours but without the managed tag",
    target: "share",
    decision: "skipped",
    body: (f) =>
      ev("RDS-EVENT-0042", f.unsharedManagedArn.replace("failsafe-imposter", "failsafe-imposter")),
    reason: /no failsafe:managed=true tag/,
  },
  {
    name: "hand-off is not JSON",
    target: "save",
    body: () => "<xml/>",
    reason: /hand-off is not valid JSON/,
  },
  {
    name: "hand-off with an unknown version",
    target: "save",
    body: (f) => handoff(f, { version: 2 }),
    reason: /hand-off message is invalid: version/,
  },
  {
    name: "hand-off missing snapshotArn",
    target: "save",
    body: (f) => {
      const { snapshotArn: _drop, ...rest } = handoff(f);
      void _drop;
      return rest;
    },
    reason: /snapshotArn/,
  },
  {
    name: "hand-off with a bad sharedAt",
    target: "save",
    body: (f) => handoff(f, { sharedAt: "yesterday" }),
    reason: /sharedAt/,
  },
  {
    name: "hand-off in an SNS envelope from another topic",
    target: "save",
    body: (f) =>
      snsEnvelope(`arn:aws:sns:${REGION}:${FAILSAFE_ACCOUNT}:someone-elses-topic`, handoff(f)),
    reason: /not the hand-off topic/,
  },
  {
    name: "hand-off for a snapshot in another account (spoofed owner)",
    target: "save",
    body: (f) =>
      handoff(f, {
        snapshotArn: f.intermediateArn.replace(PROD_ACCOUNT, OTHER_ACCOUNT),
        sourceAccount: OTHER_ACCOUNT,
      }),
    reason: new RegExp(
      `snapshot account ${OTHER_ACCOUNT} is not a configured prod account \\(${PROD_ACCOUNT}\\)`,
    ),
  },
  {
    name: "hand-off whose sourceAccount disagrees with its ARN",
    target: "save",
    body: (f) => handoff(f, { sourceAccount: OTHER_ACCOUNT }),
    reason: /do not match its snapshot ARN/,
  },
  {
    name: "hand-off for a snapshot in another region",
    target: "save",
    body: (f) =>
      handoff(f, {
        snapshotArn: f.intermediateArn.replace(REGION, "us-east-1"),
        region: "us-east-1",
      }),
    reason: /snapshot region us-east-1 is not this region eu-west-1/,
  },
  {
    name: "hand-off for a managed-looking snapshot not shared with us",
    target: "save",
    body: (f) => handoff(f, { snapshotArn: f.unsharedManagedArn }),
    reason: new RegExp(`does not exist or is not shared with account ${FAILSAFE_ACCOUNT}`),
  },
  {
    name: "hand-off for an unmanaged snapshot name",
    target: "save",
    body: (f) => handoff(f, { snapshotArn: f.untaggedManualArn }),
    reason: /is not named as a managed intermediate copy/,
  },
  {
    name: "hand-off for the automated snapshot itself",
    target: "save",
    body: (f) => handoff(f, { snapshotArn: f.automatedArn }),
    reason: /is not named as a managed intermediate copy/,
  },
  {
    name: "hand-off whose kind disagrees with its ARN",
    target: "save",
    body: (f) => handoff(f, { kind: "cluster" }),
    reason: /hand-off kind cluster does not match its instance snapshot ARN/,
  },
  {
    name: "hand-off naming another source database than RDS reports",
    target: "save",
    body: (f) => handoff(f, { sourceId: "payroll" }),
    reason: /names source payroll but RDS says .* was taken from orders/,
  },
  {
    name: "retention event from the prod account",
    target: "retention",
    body: (f) => ev("RDS-EVENT-0197", f.intermediateArn),
    reason: new RegExp(
      `event account ${PROD_ACCOUNT} is not the expected account ${FAILSAFE_ACCOUNT}`,
    ),
  },
];

/**
 * Bad and hostile input: every case is rejected (or, for events that are legitimately not ours,
 * skipped) with a reason naming what was wrong, and no snapshot is created or deleted anywhere.
 */
describe("bad input", function () {
  this.timeout(60_000);
  let fixture: Fixture;

  before(async () => {
    const world = await createWorld();
    const automated = await world.createInstance("orders", { tagged: true });
    const cluster = await world.createCluster("ledger", { tagged: true });
    // An intermediate copy made and shared the normal way; the failsafe side has not saved it.
    await world.deliverAutomatedSnapshotCreated(automated);
    await world.deliverIntermediateEvents("instance");
    const [intermediate] = await world.manualSnapshots(world.prod, "instance");
    assert.ok(intermediate);
    // A snapshot named like ours, not shared and without tags, and an ordinary manual snapshot.
    const { CopyDBSnapshotCommand } = await import("@aws-sdk/client-rds");
    const imposter = await world.prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: automated.id,
        TargetDBSnapshotIdentifier: "failsafe-imposter",
      }),
    );
    const manual = await world.prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: automated.id,
        TargetDBSnapshotIdentifier: "before-upgrade",
      }),
    );
    fixture = {
      world,
      automatedArn: automated.arn,
      automatedId: automated.id,
      intermediateArn: intermediate.arn,
      clusterAutomatedArn: cluster.arn,
      unsharedManagedArn: imposter.DBSnapshot?.DBSnapshotArn ?? "",
      untaggedManualArn: manual.DBSnapshot?.DBSnapshotArn ?? "",
    };
    world.prodLog.clear();
    world.failsafeLog.clear();
  });

  it(`has at least 20 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 20);
  });

  for (const c of CASES) {
    it(`${c.target}: ${c.name}`, async () => {
      const { world } = fixture;
      const before = await world.inventory();
      world.prodLog.clear();
      world.failsafeLog.clear();
      const handler = {
        copy: world.prodSide.copy,
        share: world.prodSide.share,
        save: world.failsafeSide.save,
        retention: world.failsafeSide.retention,
      }[c.target];
      const result = await handler(sqsEvent([c.body(fixture)]));

      assert.deepEqual(result.batchItemFailures, [], "bad input is not retried");
      const decisions = [...world.prodLog.decisions(), ...world.failsafeLog.decisions()];
      assert.equal(decisions.length, 1, JSON.stringify(decisions));
      assert.equal(decisions[0]?.decision, c.decision ?? "rejected");
      assert.match(decisions[0]?.reason ?? "", c.reason);
      assert.deepEqual(await world.inventory(), before, "no snapshot created or deleted");
    });
  }

  it("a batch with one bad and one good record handles the good one", async () => {
    const { world } = fixture;
    const result = await world.prodSide.copy(
      sqsEvent(["{broken", ev("RDS-EVENT-0091", fixture.clusterAutomatedArn)]),
    );
    assert.deepEqual(result.batchItemFailures, []);
    assert.deepEqual(
      world.prodLog
        .decisions()
        .map((d) => d.decision)
        .sort(),
      ["copied", "rejected"],
    );
  });

  it("an event that is not an SQS batch is rejected, not thrown", async () => {
    const { world } = fixture;
    world.prodLog.clear();
    const result = await world.prodSide.copy({} as never);
    assert.deepEqual(result.batchItemFailures, []);
    assert.match(world.prodLog.decisions()[0]?.reason ?? "", /no SQS Records array/);
  });
});
