import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  automatedSnapshotCreatedPattern,
  managedSnapshotReadyPattern,
} from "../../components/patterns";

const ROOT = path.resolve(__dirname, "..", "..");
const ACCOUNT = "111111111111";
const REGION = "eu-west-1";

/**
 * AWS's sample RDS events (RDS User Guide, "Monitoring Amazon RDS events with EventBridge" → "RDS DB
 * snapshot event" and "RDS DB cluster snapshot event"), moved to our account and region, with the
 * EventID and snapshot varied. Note the samples' "rds:" in SourceIdentifier.
 */
function sample(args: {
  detailType?: string;
  source?: string;
  account?: string;
  eventId: string;
  arn: string;
}) {
  const id = args.arn.split(":").slice(6).join(":");
  return {
    version: "0",
    id: "844e2571-85d4-695f-b930-0153b71dcb42",
    "detail-type":
      args.detailType ??
      (args.arn.includes(":cluster-snapshot:")
        ? "RDS DB Cluster Snapshot Event"
        : "RDS DB Snapshot Event"),
    source: args.source ?? "aws.rds",
    account: args.account ?? ACCOUNT,
    time: "2018-10-06T12:26:13Z",
    region: REGION,
    resources: [args.arn],
    detail: {
      EventCategories: ["creation"],
      SourceType: args.arn.includes(":cluster-snapshot:") ? "CLUSTER_SNAPSHOT" : "SNAPSHOT",
      SourceArn: args.arn,
      Date: "2018-10-06T12:26:13.882Z",
      SourceIdentifier: id.startsWith("rds:") ? id : `rds:${id}`,
      Message: "Automated snapshot created",
      EventID: args.eventId,
    },
  };
}

const snap = (id: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${id}`;
const csnap = (id: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:${id}`;

/**
 * EventBridge's matching as moto implements it (moto.events EventPattern, the code behind its rule
 * delivery), not a matcher of ours. moto 5.2.5's TestEventPattern API is a stub, so the cases are
 * evaluated in one call of the emulator's own Python.
 */
function matchAll(cases: readonly { pattern: object; event: object }[]): boolean[] {
  const script = [
    "import json, sys",
    "from moto.events.models import EventPattern",
    "cases = json.load(sys.stdin)",
    "print(json.dumps([EventPattern.load(json.dumps(c['pattern'])).matches_event(c['event']) for c in cases]))",
  ].join("\n");
  const run = spawnSync(path.join(ROOT, ".venv-emulator", "bin", "python"), ["-c", script], {
    input: JSON.stringify(cases),
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as boolean[];
}

describe("EventBridge rule patterns against AWS's sample RDS events", () => {
  const copy = automatedSnapshotCreatedPattern(ACCOUNT);
  const ready = managedSnapshotReadyPattern(REGION, ACCOUNT);
  const cases: { name: string; pattern: object; event: object; match: boolean }[] = [
    {
      name: "copy ← automated DB snapshot created (0091)",
      pattern: copy,
      event: sample({ eventId: "RDS-EVENT-0091", arn: snap("rds:orders-2026-11-22-05-07") }),
      match: true,
    },
    {
      name: "copy ← automated cluster snapshot created (0169)",
      pattern: copy,
      event: sample({ eventId: "RDS-EVENT-0169", arn: csnap("rds:ledger-2026-11-22-05-07") }),
      match: true,
    },
    {
      name: "copy ✗ backup started (0090)",
      pattern: copy,
      event: sample({ eventId: "RDS-EVENT-0090", arn: snap("rds:orders-2026-11-22-05-07") }),
      match: false,
    },
    {
      name: "copy ✗ cluster backup started (0168)",
      pattern: copy,
      event: sample({ eventId: "RDS-EVENT-0168", arn: csnap("rds:ledger-2026-11-22-05-07") }),
      match: false,
    },
    {
      name: "copy ✗ manual snapshot created (0042)",
      pattern: copy,
      event: sample({ eventId: "RDS-EVENT-0042", arn: snap("before-upgrade") }),
      match: false,
    },
    {
      name: "copy ✗ another source",
      pattern: copy,
      event: sample({
        source: "my.app",
        eventId: "RDS-EVENT-0091",
        arn: snap("rds:orders-2026-11-22-05-07"),
      }),
      match: false,
    },
    {
      name: "copy ✗ another detail-type",
      pattern: copy,
      event: sample({
        detailType: "RDS DB Instance Event",
        eventId: "RDS-EVENT-0091",
        arn: snap("rds:orders-2026-11-22-05-07"),
      }),
      match: false,
    },
    {
      name: "copy ✗ another account",
      pattern: copy,
      event: sample({
        account: "333333333333",
        eventId: "RDS-EVENT-0091",
        arn: snap("rds:orders-2026-11-22-05-07"),
      }),
      match: false,
    },
    {
      name: "share ← copy finished (0197) of a managed snapshot",
      pattern: ready,
      event: sample({ eventId: "RDS-EVENT-0197", arn: snap("failsafe-orders-2026-11-22-05-07") }),
      match: true,
    },
    {
      name: "share ← manual DB snapshot created (0042), managed",
      pattern: ready,
      event: sample({ eventId: "RDS-EVENT-0042", arn: snap("failsafe-orders-2026-11-22-05-07") }),
      match: true,
    },
    {
      name: "share ← manual cluster snapshot created (0075), managed",
      pattern: ready,
      event: sample({ eventId: "RDS-EVENT-0075", arn: csnap("failsafe-ledger-2026-11-22-05-07") }),
      match: true,
    },
    {
      name: "share ✗ manual snapshot someone else made",
      pattern: ready,
      event: sample({ eventId: "RDS-EVENT-0042", arn: snap("before-upgrade") }),
      match: false,
    },
    {
      name: "share ✗ copy started (0196)",
      pattern: ready,
      event: sample({ eventId: "RDS-EVENT-0196", arn: snap("failsafe-orders-2026-11-22-05-07") }),
      match: false,
    },
    {
      name: "share ✗ automated snapshot created (0091)",
      pattern: ready,
      event: sample({ eventId: "RDS-EVENT-0091", arn: snap("rds:orders-2026-11-22-05-07") }),
      match: false,
    },
    {
      name: "share ✗ managed name in another account",
      pattern: ready,
      event: sample({
        account: "333333333333",
        eventId: "RDS-EVENT-0042",
        arn: `arn:aws:rds:${REGION}:333333333333:snapshot:failsafe-x`,
      }),
      match: false,
    },
  ];
  let results: boolean[] = [];
  before(() => {
    results = matchAll(cases);
  });
  cases.forEach((c, i) => {
    it(c.name, () => {
      assert.equal(results[i], c.match);
    });
  });
});
