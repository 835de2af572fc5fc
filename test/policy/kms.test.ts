import { strict as assert } from "node:assert";
import { kmsKeyDeletionWindow, kmsKeyRotationEnabled } from "../../policy/kms";
import { isNotApplicable, resource, validateResource } from "./helpers";

const KEY = "aws:kms/key:Key";

const cases = [
  {
    policy: kmsKeyRotationEnabled,
    name: "compliant",
    props: { enableKeyRotation: true },
    expected: [],
  },
  {
    policy: kmsKeyRotationEnabled,
    name: "rotation unset",
    props: {},
    expected: ["KMS key must have enableKeyRotation set to true"],
  },
  {
    policy: kmsKeyRotationEnabled,
    name: "rotation false",
    props: { enableKeyRotation: false },
    expected: ["KMS key must have enableKeyRotation set to true"],
  },
  {
    policy: kmsKeyDeletionWindow,
    name: "compliant: 30",
    props: { deletionWindowInDays: 30 },
    expected: [],
  },
  { policy: kmsKeyDeletionWindow, name: "compliant: unset is AWS's 30", props: {}, expected: [] },
  {
    policy: kmsKeyDeletionWindow,
    name: "7 days",
    props: { deletionWindowInDays: 7 },
    expected: ["KMS key must have deletionWindowInDays of at least 30 (is 7)"],
  },
  {
    policy: kmsKeyDeletionWindow,
    name: "configured minimum 14, 10 days",
    props: { deletionWindowInDays: 10 },
    config: { minimumDeletionWindowInDays: 14 },
    expected: ["KMS key must have deletionWindowInDays of at least 14 (is 10)"],
  },
  {
    policy: kmsKeyDeletionWindow,
    name: "compliant: configured minimum 14, 20 days",
    props: { deletionWindowInDays: 20 },
    config: { minimumDeletionWindowInDays: 14 },
    expected: [],
  },
];

describe("policy/kms", () => {
  for (const c of cases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateResource(c.policy, resource(KEY, "vault", c.props), c.config),
        c.expected,
      );
    });
  }

  it("kms-key-rotation-enabled: not applicable to asymmetric keys", async () => {
    const key = resource(KEY, "signing", { customerMasterKeySpec: "RSA_2048" });
    assert.equal(await isNotApplicable(kmsKeyRotationEnabled, key), true);
  });
});
