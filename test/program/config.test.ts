import { strict as assert } from "node:assert";
import { ConfigError, parseStackConfig, type RawConfig } from "../../components/config";
import { baseConfig } from "./support";

const problems = (raw: RawConfig): string[] => {
  try {
    parseStackConfig(raw);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
};

describe("stack config", () => {
  it("accepts each stack mode's base config and fills the defaults", () => {
    const config = parseStackConfig(baseConfig("both"));
    assert.equal(config.retentionDays, 31);
    assert.equal(config.minCopies, 7);
    assert.equal(config.selectionTagKey, "Failsafe");
    assert.equal(config.selectionTagValue, "True");
    assert.equal(config.notifyOn, "failures");
    assert.equal(config.failsafeSweepSchedule, "rate(1 hour)");
    for (const mode of ["copy", "save"] as const) {
      assert.equal(parseStackConfig(baseConfig(mode)).sides, mode);
    }
  });

  const copy = baseConfig("copy");
  const save = baseConfig("save");
  const cases: { name: string; raw: RawConfig; message: RegExp }[] = [
    {
      name: "sides missing",
      raw: { ...copy, sides: undefined },
      message:
        /^rds-failsafe:sides = \(not set\) must be "copy" \(prod stack\), "save" \(failsafe stack\) or "both"\. Fix: pulumi config set rds-failsafe:sides copy$/,
    },
    {
      name: "unknown sides value",
      raw: { ...copy, sides: "prod" },
      message: /^rds-failsafe:sides = "prod" must be/,
    },
    {
      name: "bad region",
      raw: { ...copy, region: "Ireland" },
      message:
        /^rds-failsafe:region = "Ireland" must be an AWS region\. Fix: pulumi config set rds-failsafe:region eu-west-1$/,
    },
    {
      name: "short account id",
      raw: { ...copy, prodAccountId: "12345" },
      message: /^rds-failsafe:prodAccountId = "12345" must be a 12-digit AWS account id/,
    },
    {
      name: "same account twice",
      raw: { ...copy, failsafeAccountId: copy.prodAccountId },
      message: /^rds-failsafe:failsafeAccountId = "111111111111" must differ from prodAccountId/,
    },
    {
      name: "copy side without prodRoleArn",
      raw: { ...copy, prodRoleArn: undefined },
      message:
        /^rds-failsafe:prodRoleArn = \(not set\) is required for sides=copy\. Fix: pulumi config set rds-failsafe:prodRoleArn arn:aws:iam::111111111111:role\/rds-failsafe-deploy$/,
    },
    {
      name: "role ARN for the wrong account",
      raw: { ...copy, prodRoleArn: "arn:aws:iam::222222222222:role/deploy" },
      message:
        /^rds-failsafe:prodRoleArn = "arn:aws:iam::222222222222:role\/deploy" is in account 222222222222, but must be in 111111111111/,
    },
    {
      name: "role ARN that is not a role",
      raw: { ...copy, prodRoleArn: "arn:aws:iam::111111111111:user/bob" },
      message: /^rds-failsafe:prodRoleArn = .* must be an IAM role ARN/,
    },
    {
      name: "save side without break-glass principal",
      raw: { ...save, breakGlassPrincipalArn: undefined },
      message: /^rds-failsafe:breakGlassPrincipalArn = \(not set\) is required for sides=save/,
    },
    {
      name: "break-glass principal in prod",
      raw: { ...save, breakGlassPrincipalArn: "arn:aws:iam::111111111111:role/admin" },
      message:
        /^rds-failsafe:breakGlassPrincipalArn = .* is in account 111111111111, but must be in 222222222222/,
    },
    {
      name: "retentionDays < 1",
      raw: { ...save, retentionDays: "0" },
      message:
        /^rds-failsafe:retentionDays = "0" must be a whole number ≥ 1\. Fix: pulumi config set rds-failsafe:retentionDays 31$/,
    },
    {
      name: "minCopies < 1",
      raw: { ...save, minCopies: "0" },
      message: /^rds-failsafe:minCopies = "0" must be a whole number ≥ 1/,
    },
    {
      name: "minCopies not a number",
      raw: { ...save, minCopies: "many" },
      message: /^rds-failsafe:minCopies = "many" must be a whole number ≥ 1/,
    },
    {
      name: "freezeAfterHours within a day",
      raw: { ...save, freezeAfterHours: "12" },
      message: /^rds-failsafe:freezeAfterHours = "12" must be a whole number ≥ 25/,
    },
    {
      name: "log retention not a CloudWatch period",
      raw: { ...save, logRetentionDays: "10" },
      message: /^rds-failsafe:logRetentionDays = "10" must be one of CloudWatch's periods/,
    },
    {
      name: "schedule not an expression",
      raw: { ...copy, prodSweepSchedule: "hourly" },
      message:
        /^rds-failsafe:prodSweepSchedule = "hourly" must be an EventBridge schedule expression/,
    },
    {
      name: "failsafe sweep less than hourly",
      raw: { ...save, failsafeSweepSchedule: "rate(6 hours)" },
      message:
        /^rds-failsafe:failsafeSweepSchedule = "rate\(6 hours\)" must be rate\(N minutes\) or rate\(1 hour\)/,
    },
    {
      name: "bad e-mail",
      raw: { ...save, notificationEmail: "ops" },
      message: /^rds-failsafe:notificationEmail = "ops" must be an e-mail address/,
    },
    {
      name: "unknown notifyOn",
      raw: { ...save, notifyOn: "everything" },
      message: /^rds-failsafe:notifyOn = "everything" must be "failures" \(default\) or "all"/,
    },
    {
      name: "malformed stack reference",
      raw: { ...copy, failsafeStack: "failsafe" },
      message:
        /^rds-failsafe:failsafeStack = "failsafe" must be a stack reference organization\/project\/stack/,
    },
    {
      name: "aws: tag key",
      raw: { ...copy, selectionTagKey: "aws:backup" },
      message: /^rds-failsafe:selectionTagKey = "aws:backup" must be a tag key/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const found = problems(c.raw);
      assert.equal(found.length, 1, found.join("\n"));
      assert.match(found[0] ?? "", c.message);
    });
  }

  it("reports every problem at once", () => {
    const found = problems({ sides: "both", region: "x" });
    assert.deepEqual(
      found.map((p) => p.split(" =")[0]),
      [
        "rds-failsafe:region",
        "rds-failsafe:prodAccountId",
        "rds-failsafe:failsafeAccountId",
        "rds-failsafe:prodRoleArn",
        "rds-failsafe:failsafeRoleArn",
        "rds-failsafe:breakGlassPrincipalArn",
      ],
    );
  });
});
