import { strict as assert } from "node:assert";
import { rdsSnapshotAttributeScoped, rdsSnapshotSharing } from "../../policy/snapshots";
import { doc, FAILSAFE, resource, validateResource } from "./helpers";

const SNAPSHOT_COPY = "aws:rds/snapshotCopy:SnapshotCopy";
const cfg = { failsafeAccountId: FAILSAFE };

const sharingCases = [
  {
    name: "compliant: shared with the failsafe account",
    type: SNAPSHOT_COPY,
    props: { sharedAccounts: [FAILSAFE] },
    config: cfg,
    expected: [],
  },
  {
    name: "compliant: not shared (config unset is fine)",
    type: "aws:rds/snapshot:Snapshot",
    props: {},
    config: {},
    expected: [],
  },
  {
    name: "public",
    type: "aws:rds/clusterSnapshot:ClusterSnapshot",
    props: { sharedAccounts: ["all"] },
    config: cfg,
    expected: ['Snapshot must not be public (sharedAccounts must not contain "all")'],
  },
  {
    name: "another account",
    type: "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy",
    props: { sharedAccounts: [FAILSAFE, "333333333333"] },
    config: cfg,
    expected: [
      `Snapshot must be shared only with the failsafe account ${FAILSAFE} (not 333333333333)`,
    ],
  },
  {
    name: "failsafeAccountId not configured",
    type: SNAPSHOT_COPY,
    props: { sharedAccounts: [FAILSAFE] },
    config: {},
    expected: [
      "Policy config failsafeAccountId must be set for rds-snapshot-sharing to check sharedAccounts",
    ],
  },
];

const SNAP = "arn:aws:rds:eu-west-1:111111111111:snapshot:failsafe-*";
const CLUSTER_SNAP = "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:failsafe-*";
const message = (label: string, actions: string) =>
  `${label} allows ${actions} and must be scoped to snapshot ARNs named "failsafe-*"`;

const attributeCases = [
  {
    name: "compliant: managed snapshot ARNs",
    type: "aws:iam/rolePolicy:RolePolicy",
    props: {
      policy: doc({
        Effect: "Allow",
        Action: ["rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute"],
        Resource: [SNAP, CLUSTER_SNAP],
      }),
    },
    config: {},
    expected: [],
  },
  {
    name: "Resource *",
    type: "aws:iam/policy:Policy",
    props: {
      policy: doc({ Effect: "Allow", Action: "rds:ModifyDBSnapshotAttribute", Resource: "*" }),
    },
    config: {},
    expected: [message("Statement 1", "rds:ModifyDBSnapshotAttribute")],
  },
  {
    name: "every snapshot of the account, through a wildcard action",
    type: "aws:iam/role:Role",
    props: {
      assumeRolePolicy: "{}",
      inlinePolicies: [
        {
          name: "share",
          policy: doc({
            Sid: "Share",
            Effect: "Allow",
            Action: "rds:Modify*",
            Resource: "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:*",
          }),
        },
      ],
    },
    config: {},
    expected: [
      message(
        'Statement "Share"',
        "rds:ModifyDBSnapshotAttribute, rds:ModifyDBClusterSnapshotAttribute",
      ),
    ],
  },
  {
    name: "configured prefix",
    type: "aws:iam/policy:Policy",
    props: {
      policy: doc({ Effect: "Allow", Action: "rds:ModifyDBSnapshotAttribute", Resource: SNAP }),
    },
    config: { managedSnapshotPrefix: "vault-" },
    expected: [
      'Statement 1 allows rds:ModifyDBSnapshotAttribute and must be scoped to snapshot ARNs named "vault-*"',
    ],
  },
];

describe("policy/snapshots", () => {
  for (const c of sharingCases) {
    it(`${rdsSnapshotSharing.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateResource(rdsSnapshotSharing, resource(c.type, "s", c.props), c.config),
        c.expected,
      );
    });
  }
  for (const c of attributeCases) {
    it(`${rdsSnapshotAttributeScoped.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateResource(
          rdsSnapshotAttributeScoped,
          resource(c.type, "p", c.props),
          c.config,
        ),
        c.expected,
      );
    });
  }
});
