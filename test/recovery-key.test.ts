import { recoveryKeyPolicy } from "../cli/recovery-key";
import { expectDecision, type Decision, type SimulateRequest } from "./support/iam-sim";

const R = "eu-west-1";
const F = "222222222222";
const RECOVERY = "333333333333";
const OTHER = "444444444444";
const KEY = `arn:aws:kms:${R}:${F}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement });
/** What the recovery account's operator role has: any KMS key of any account, through IAM. */
const USE_ANY_KEY = {
  name: "recovery operator",
  document: doc({
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom", "kms:CreateGrant"],
    Resource: "*",
  }),
};
const VIA_RDS = { "kms:ViaService": `rds.${R}.amazonaws.com` };

/**
 * The key `restore --to-account` re-encrypts a shared copy with (cli/recovery-key.ts), judged by a
 * real IAM engine: the recovery account may use it through RDS only (copying or restoring the
 * shared snapshot), no other account may use it at all.
 */
describe("recovery key policy (IAM engine)", () => {
  const policy = { name: "recovery key policy", document: recoveryKeyPolicy(R, F, RECOVERY) };
  const as = (
    account: string,
    action: string,
    context: SimulateRequest["context"] = {},
  ): SimulateRequest => ({
    principal: role(account, "operator"),
    action,
    resource: KEY,
    context,
    identityPolicies: [USE_ANY_KEY],
    resourcePolicy: policy,
  });
  const cases: [string, SimulateRequest, Decision][] = [
    ["the recovery account decrypts through RDS", as(RECOVERY, "kms:Decrypt", VIA_RDS), "Allowed"],
    [
      "…and grants to RDS",
      as(RECOVERY, "kms:CreateGrant", { ...VIA_RDS, "kms:GrantIsForAWSResource": true }),
      "Allowed",
    ],
    ["…but not directly", as(RECOVERY, "kms:Decrypt"), "ImplicitlyDenied"],
    [
      "…and grants to nobody else",
      as(RECOVERY, "kms:CreateGrant", { ...VIA_RDS, "kms:GrantIsForAWSResource": false }),
      "ImplicitlyDenied",
    ],
    ["another account may not use it", as(OTHER, "kms:Decrypt", VIA_RDS), "ImplicitlyDenied"],
    [
      "the failsafe account uses it (to make the copy)",
      as(F, "kms:CreateGrant", { ...VIA_RDS, "kms:GrantIsForAWSResource": true }),
      "Allowed",
    ],
  ];
  for (const [name, request, expected] of cases) {
    it(name, () => expectDecision(request, expected, name));
  }
});
