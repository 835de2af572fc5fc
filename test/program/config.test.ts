import { strict as assert } from "node:assert";
import { closestKey, ConfigError, parseStackConfig, type RawConfig } from "../../components/config";
import { checkSchedule, heartbeatHours } from "../../components/schedule";
import { baseConfig, FAILSAFE, PROD } from "./support";

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
        /^rds-failsafe:sides = \(not set\) must be "copy" \(prod stack\), "save" \(failsafe stack\) or "both" \(or "bootstrap-prod" \/ "bootstrap-failsafe" for the deploy roles, docs\/deploy\.md\)\. Fix: pulumi config set rds-failsafe:sides copy$/,
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
      message:
        /^rds-failsafe:failsafeAccountId = "111111111111" must differ from every prod account/,
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
        /^rds-failsafe:prodSweepSchedule = "hourly" is not an EventBridge schedule expression: must be rate\(value unit\) or cron\(fields\)\. Fix: pulumi config set rds-failsafe:prodSweepSchedule "rate\(1 hour\)"/,
    },
    // Each of these passed the first build's check and fails at deploy time in EventBridge.
    ...[
      ["rate(1 minutes)", /a rate of 1 takes the singular unit \(rate\(1 minute\)\)/],
      ["rate(5 hour)", /a rate above 1 takes the plural unit \(rate\(5 hours\)\)/],
      ["rate(0 minutes)", /the rate must be a positive whole number/],
      ["rate(30 minute)", /a rate above 1 takes the plural unit/],
      ["rate(1 week)", /unit "week" is not minute\(s\), hour\(s\) or day\(s\)/],
      ["cron(* * * * * *)", /exactly one of Day-of-month and Day-of-week must be \?/],
      ["cron(0 12 * * ?)", /cron takes 6 fields .*got 5/],
      ["cron(60 * * * ? *)", /Minutes "60": "60" is not a value from 0 to 59/],
      ["cron(0 * ? * MOX *)", /Day-of-week "MOX"/],
      ["cron(0 ? * * ? *)", /Hours "\?": \? is only allowed in Day-of-month and Day-of-week/],
    ].map(([expression, why]) => ({
      name: `the schedule ${String(expression)}`,
      raw: { ...copy, prodSweepSchedule: String(expression) },
      message: new RegExp(
        `^rds-failsafe:prodSweepSchedule = "${String(expression).replace(/[()*?]/g, "\\$&")}" is not an EventBridge schedule expression: ${(why as RegExp).source}`,
      ),
    })),
    {
      name: "failsafe sweep less than hourly",
      raw: { ...save, failsafeSweepSchedule: "rate(6 hours)" },
      message:
        /^rds-failsafe:failsafeSweepSchedule = "rate\(6 hours\)" must run at least hourly: the RPO alarm and the sweep-stopped alarm expect a run every hour/,
    },
    {
      name: "failsafe sweep on a daily cron",
      raw: { ...save, failsafeSweepSchedule: "cron(0 3 * * ? *)" },
      message:
        /^rds-failsafe:failsafeSweepSchedule = "cron\(0 3 \* \* \? \*\)" must run at least hourly/,
    },
    {
      name: "break-glass principal that is the deploy role",
      raw: { ...save, breakGlassPrincipalArn: save.failsafeRoleArn },
      message:
        /^rds-failsafe:breakGlassPrincipalArn = .* must differ from failsafeRoleArn: the deploy role must not be able to delete or disable the vault key/,
    },
    {
      name: "prodAccountIds that are not account ids",
      raw: { ...save, prodAccountIds: '["111111111111","12"]' },
      message: /^rds-failsafe:prodAccountIds = .* must be a list of 12-digit AWS account ids/,
    },
    {
      name: "prodAccountIds naming the failsafe account",
      raw: { ...save, prodAccountIds: '["333333333333","222222222222"]' },
      message:
        /^rds-failsafe:failsafeAccountId = "222222222222" must differ from every prod account/,
    },
    {
      name: "prodAccountIds on a copy stack listing another account",
      raw: { ...copy, prodAccountIds: "333333333333" },
      message:
        /^rds-failsafe:prodAccountIds = "333333333333" lists accounts other than prodAccountId, but a sides=copy stack copies from prodAccountId only/,
    },
    {
      name: "a role ARN of another partition than the region's",
      raw: {
        ...copy,
        region: "cn-north-1",
        prodRoleArn: "arn:aws:iam::111111111111:role/rds-failsafe-deploy",
      },
      message:
        /^rds-failsafe:prodRoleArn = .* is in partition aws, but region cn-north-1 is in aws-cn\. Fix: pulumi config set rds-failsafe:prodRoleArn arn:aws-cn:iam::111111111111:role\/rds-failsafe-deploy$/,
    },
    {
      name: "bad e-mail",
      raw: { ...save, notifications: undefined, notificationEmail: "ops" },
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

  it("accepts valid schedules EventBridge accepts", () => {
    for (const expression of [
      "rate(1 minute)",
      "rate(5 minutes)",
      "rate(1 hour)",
      "rate(2 days)",
      "cron(0 12 * * ? *)",
      "cron(15 10 ? * 6L 2026-2030)",
      "cron(0/15 * * * ? *)",
      "cron(0 8 1W * ? *)",
      "cron(0 18 ? * MON-FRI *)",
      "cron(0 0 ? * 2#1 *)",
    ]) {
      assert.ok(checkSchedule(expression).ok, expression);
    }
    // A sweep must run at least weekly: its sweep-stopped alarm waits the longest gap and an hour.
    for (const expression of [
      "rate(1 minute)",
      "rate(2 days)",
      "cron(0 12 * * ? *)",
      "cron(0/15 * * * ? *)",
      "cron(0 18 ? * MON-FRI *)",
    ]) {
      assert.deepEqual(problems({ ...copy, prodSweepSchedule: expression }), [], expression);
    }
    for (const sparse of ["rate(7 days)", "cron(0 8 1W * ? *)", "cron(0 0 ? * 2#1 *)"]) {
      assert.match(
        problems({ ...copy, prodSweepSchedule: sparse }).join("\n"),
        /^rds-failsafe:prodSweepSchedule = .* must run at least once a week/,
        sparse,
      );
    }
    for (const hourly of [
      "rate(1 hour)",
      "rate(20 minutes)",
      "cron(5 * * * ? *)",
      "cron(0/30 * ? * * *)",
    ]) {
      assert.deepEqual(problems({ ...save, failsafeSweepSchedule: hourly }), [], hourly);
    }
  });

  it("waits for a sweep its schedule's longest gap and an hour before telling it stopped", () => {
    for (const [expression, hours] of [
      ["rate(1 hour)", 2],
      ["rate(30 minutes)", 2],
      ["rate(6 hours)", 7],
      ["rate(2 days)", 49],
      ["cron(5 * * * ? *)", 2],
      ["cron(0 */4 * * ? *)", 5],
      ["cron(0 2,3,20 * * ? *)", 18],
      ["cron(0 12 * * ? *)", 25],
      ["cron(0 18 ? * MON-FRI *)", 24 * 3 + 24 + 1],
    ] as const) {
      assert.equal(heartbeatHours(expression), hours, expression);
    }
    assert.throws(() => heartbeatHours("cron(0 8 1W * ? *)"), /runs less than once a week/);
  });

  it("serves many prod accounts from one save stack, and keeps prodAccountId working", () => {
    const many = parseStackConfig({
      ...save,
      prodAccountId: undefined,
      prodAccountIds: '["111111111111","333333333333"]',
    });
    assert.deepEqual(many.prodAccountIds, ["111111111111", "333333333333"]);
    const both = parseStackConfig({ ...save, prodAccountIds: "333333333333, 444444444444" });
    assert.deepEqual(both.prodAccountIds, ["111111111111", "333333333333", "444444444444"]);
    assert.deepEqual(parseStackConfig(save).prodAccountIds, ["111111111111"]);
    assert.deepEqual(parseStackConfig(copy).prodAccountIds, ["111111111111"]);
  });

  it("builds example ARNs in the region's partition", () => {
    const found = problems({
      ...save,
      region: "us-gov-west-1",
      failsafeRoleArn: undefined,
      breakGlassPrincipalArn: undefined,
    });
    assert.match(found[0] ?? "", /arn:aws-us-gov:iam::222222222222:role\/rds-failsafe-deploy$/);
    assert.match(found[1] ?? "", /arn:aws-us-gov:iam::222222222222:role\/break-glass$/);
  });

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
        "rds-failsafe:notificationEmail",
      ],
    );
  });

  // --- first deploy on a new account pair (issue 15) ---
  const problemsWith = (raw: RawConfig, present: readonly string[]) => {
    try {
      parseStackConfig(raw, present);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return [...err.problems];
    }
  };

  it("rejects unknown rds-failsafe: keys, naming the closest valid key", () => {
    const known = Object.keys(save);
    assert.deepEqual(problemsWith(save, [...known, "retentionDays"]), []);
    assert.deepEqual(
      problemsWith(save, [...known, "retentiondays", "notificationEmial", "xyzzy"]),
      [
        "rds-failsafe:retentiondays is not a configuration key of rds-failsafe; did you mean retentionDays? (the program would ignore it). Fix: pulumi config rm rds-failsafe:retentiondays && pulumi config set rds-failsafe:retentionDays <value>",
        "rds-failsafe:notificationEmial is not a configuration key of rds-failsafe; did you mean notificationEmail? (the program would ignore it). Fix: pulumi config rm rds-failsafe:notificationEmial && pulumi config set rds-failsafe:notificationEmail <value>",
        "rds-failsafe:xyzzy is not a configuration key of rds-failsafe (the program would ignore it). Fix: pulumi config rm rds-failsafe:xyzzy",
      ],
    );
    assert.equal(closestKey("prodRoleARN"), "prodRoleArn");
    assert.equal(closestKey("retentonDays"), "retentionDays");
    assert.equal(closestKey("breakGlassPrincipal"), "breakGlassPrincipalArn");
  });

  const more: { name: string; raw: RawConfig; message: RegExp }[] = [
    {
      name: "no notification target",
      raw: { ...save, notifications: undefined },
      message:
        /^rds-failsafe:notificationEmail = \(not set\) is required: no alarm reaches anyone without it \(or set rds-failsafe:notifications none to subscribe the ops topic yourself\)\. Fix: pulumi config set rds-failsafe:notificationEmail ops@example\.com$/,
    },
    {
      name: "notifications none and an e-mail",
      raw: { ...save, notificationEmail: "ops@example.com" },
      message: /^rds-failsafe:notifications = "none" is none, but notificationEmail is set/,
    },
    {
      name: "unknown notifications value",
      raw: { ...save, notifications: "pager" },
      message: /^rds-failsafe:notifications = "pager" must be "email" .* or "none"/,
    },
    {
      name: "break-glass = the bootstrap's preview role",
      raw: {
        ...save,
        breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/rds-failsafe-preview`,
      },
      message:
        /^rds-failsafe:breakGlassPrincipalArn = .* must not be rds-failsafe-preview, a role the bootstrap or the program creates/,
    },
    {
      name: "break-glass = a function role",
      raw: {
        ...save,
        breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/rds-failsafe-retention`,
      },
      message: /must not be rds-failsafe-retention/,
    },
    {
      name: "break-glass = the deploy role under another path",
      raw: {
        ...save,
        failsafeRoleArn: `arn:aws:iam::${FAILSAFE}:role/ci/deployer`,
        breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/ops/rds-failsafe-deploy`,
      },
      message: /must not be rds-failsafe-deploy/,
    },
    {
      name: "requestSnapshotQuota at the default",
      raw: { ...save, requestSnapshotQuota: "100" },
      message: /^rds-failsafe:requestSnapshotQuota = "100" must be more than RDS's default of 100/,
    },
    {
      name: "permissionsBoundary not a policy name",
      raw: { ...save, permissionsBoundary: "arn:aws:iam::x" },
      message: /^rds-failsafe:permissionsBoundary = "arn:aws:iam::x" must be the name/,
    },
    {
      name: "bootstrap without GitHub or trusted principals",
      raw: {
        sides: "bootstrap-failsafe",
        region: "eu-west-1",
        prodAccountId: PROD,
        failsafeAccountId: FAILSAFE,
      },
      message:
        /^rds-failsafe:githubRepository = \(not set\) is required for sides=bootstrap-failsafe unless trustedPrincipalArns is set/,
    },
    {
      name: "bootstrap trusting a principal of the other account",
      raw: {
        sides: "bootstrap-prod",
        region: "eu-west-1",
        prodAccountId: PROD,
        failsafeAccountId: FAILSAFE,
        trustedPrincipalArns: `["arn:aws:iam::${FAILSAFE}:role/admin"]`,
      },
      message:
        /^rds-failsafe:trustedPrincipalArns = .* lists arn:aws:iam::222222222222:role\/admin, which is not in account 111111111111/,
    },
  ];
  for (const c of more) {
    it(`rejects ${c.name}`, () => {
      const found = problems(c.raw);
      assert.equal(found.length, 1, found.join("\n"));
      assert.match(found[0] ?? "", c.message);
    });
  }

  it("rejects break-glass = prodRoleArn (and says the role is in the wrong account)", () => {
    const found = problems({
      ...baseConfig("both"),
      prodRoleArn: `arn:aws:iam::${FAILSAFE}:role/break-glass`,
    });
    assert.equal(found.length, 2, found.join("\n"));
    assert.match(found[0] ?? "", /^rds-failsafe:prodRoleArn = .* is in account 222222222222/);
    assert.match(
      found[1] ?? "",
      /^rds-failsafe:breakGlassPrincipalArn = .* must differ from prodRoleArn/,
    );
  });

  it("reads the new keys: notifications, requestSnapshotQuota, permissionsBoundary, bootstrap keys", () => {
    const parsed = parseStackConfig({
      ...save,
      notifications: undefined,
      notificationEmail: "ops@example.com",
      requestSnapshotQuota: "500",
    });
    assert.equal(parsed.notifications, "email");
    assert.equal(parsed.requestSnapshotQuota, 500);
    assert.equal(parsed.permissionsBoundary, "rds-failsafe-boundary");
    assert.equal(
      parseStackConfig({ ...save, requestSnapshotQuota: "0" }).requestSnapshotQuota,
      undefined,
    );
    assert.equal(
      parseStackConfig({ ...save, permissionsBoundary: "none" }).permissionsBoundary,
      undefined,
    );
    const boot = parseStackConfig({
      sides: "bootstrap-failsafe",
      region: "eu-west-1",
      prodAccountIds: `["${PROD}"]`,
      failsafeAccountId: FAILSAFE,
      githubRepository: "acme/rds-failsafe",
    });
    assert.equal(boot.deployEnvironment, "failsafe-deploy");
    assert.deepEqual(boot.prodAccountIds, [PROD]);
  });
});
