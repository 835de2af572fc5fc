import {
  CreateAliasCommand,
  CreateKeyCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { strict as assert } from "node:assert";
import type { Finding } from "../cli/commands/preflight";
import { copiesKeptPerDatabase } from "../cli/commands/preflight";
import {
  accountClients,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  resetEmulator,
  setEmulatorLimits,
} from "./harness";
import {
  createAppKey,
  createDatabase,
  createForeignRole,
  prepareAccountPair,
  runCli,
  writeStackFiles,
} from "./support/first-deploy";

/**
 * `npx rds-failsafe preflight` in-process against the two-account emulator: a brand-new pair
 * with every prerequisite met passes (at a new account's Lambda concurrency quota of 10), and
 * each missing prerequisite is one finding with its numbers and what to do.
 */
describe("preflight (emulator)", function () {
  this.timeout(120_000);
  beforeEach(async () => {
    await resetEmulator();
  });

  async function preflight(
    files: { failsafe: string; prod: string },
    ...more: string[]
  ): Promise<{ status: number; findings: Finding[]; output: string }> {
    const run = await runCli([
      "preflight",
      "--stack-file",
      files.failsafe,
      "--stack-file",
      files.prod,
      "--json",
      ...more,
    ]);
    let findings: Finding[] = [];
    try {
      findings = JSON.parse(run.output.slice(run.output.indexOf("["))) as Finding[];
    } catch {
      assert.fail(run.output);
    }
    return { status: run.status, findings, output: run.output };
  }
  const find = (findings: Finding[], account: string, check: string | RegExp) =>
    findings.filter(
      (f) =>
        f.account === account &&
        (typeof check === "string" ? f.check === check : check.test(f.check)),
    );

  it("passes a brand-new pair whose prerequisites are met (Lambda concurrency 10, no reservation needed)", async () => {
    await prepareAccountPair({ lambdaConcurrency: 10 });
    await createDatabase("instance", "orders", { tagged: true });
    await createDatabase("cluster", "ledger", { tagged: true });
    await createDatabase("instance", "scratch");
    const { status, findings, output } = await preflight(writeStackFiles());
    const failed = findings.filter((f) => f.status !== "ok");
    assert.deepEqual(failed, [], output);
    assert.equal(status, 0);
    // prod: copy 4 + share 2 + the sweep 1; failsafe: save 4 + retention 2 + the sweep 1 + the
    // drill run 1 + drill-verify 2 (a scheduled function runs one at a time: one message group).
    for (const [account, most] of [
      ["prod", 7],
      ["failsafe", 10],
    ] as const) {
      const [concurrency] = find(findings, account, "Lambda concurrency");
      assert.match(
        concurrency?.detail ?? "",
        new RegExp(`runs at most ${most} at once .*the account has 10 unreserved of 10`),
      );
      assert.equal(find(findings, account, "deploy role")[0]?.status, "ok");
      assert.equal(find(findings, account, "permissions boundary")[0]?.status, "ok");
      assert.equal(find(findings, account, "existing names")[0]?.status, "ok");
    }
    assert.match(
      find(findings, "prod", "tagged databases")[0]?.detail ?? "",
      /^1 DB instance\(s\) and 1 Aurora cluster\(s\) tagged Failsafe=True$/,
    );
    assert.match(
      find(findings, "failsafe", "manual DB snapshots quota")[0]?.detail ?? "",
      /^1 tagged DB instance\(s\) × 44 = 44 manual DB snapshots, plus 0 there already are: 44 of the quota 100 \(44 copies kept per database \(retentionDays 31, minCopies 7, keepWeekly 8, keepMonthly 12\)\)/,
    );
    assert.match(
      find(findings, "prod", "manual DB snapshots quota")[0]?.detail ?? "",
      /× 4 = 4 manual DB snapshots.*intermediateKeepHours 72/,
    );
    assert.equal(find(findings, "failsafe", "break-glass principal")[0]?.status, "ok");
  });

  it("says what to do for each missing prerequisite of a new pair", async () => {
    await prepareAccountPair({ breakGlass: false });
    await setEmulatorLimits({ manualSnapshotQuota: 100 });
    for (const id of ["a", "b", "c", "d"]) {
      await createDatabase("instance", id, { tagged: true });
    }
    await createDatabase("instance", "billing", { tagged: true, kmsKeyId: await createAppKey() });
    await (
      await accountClients(PROD_ACCOUNT)
    ).rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: "d",
        BackupRetentionPeriod: 0,
        ApplyImmediately: true,
      }),
    );
    await createForeignRole(PROD_ACCOUNT, "rds-failsafe-copy");
    // A torn-down failsafe stack left its vault alias on a key pending deletion.
    const failsafe = await accountClients(FAILSAFE_ACCOUNT);
    const key = await failsafe.kms.send(new CreateKeyCommand({ Description: "old vault" }));
    const keyId = key.KeyMetadata?.KeyId ?? "";
    await failsafe.kms.send(
      new CreateAliasCommand({ AliasName: "alias/rds-failsafe-vault", TargetKeyId: keyId }),
    );
    await failsafe.kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 30 }),
    );
    // Deployed by this stack already: not a collision.
    await failsafe.sqs.send(
      new CreateQueueCommand({
        QueueName: "rds-failsafe-save-dlq",
        tags: { Application: "rds-failsafe", Stack: "failsafe" },
      }),
    );

    const { status, findings, output } = await preflight(writeStackFiles());
    assert.equal(status, 1, output);
    for (const f of findings.filter((x) => x.status !== "ok")) {
      assert.ok(f.fix, `${f.account} ${f.check} says what to do`);
    }
    const one = (account: string, check: string | RegExp) => {
      const [f, ...more] = find(findings, account, check);
      assert.equal(more.length, 0, `${account} ${String(check)}`);
      assert.ok(f, `${account} ${String(check)}: ${output}`);
      return f;
    };
    assert.equal(one("failsafe", "break-glass principal").status, "fail");
    assert.match(
      one("failsafe", "break-glass principal").fix ?? "",
      /KMS rejects a key policy naming a principal that does not exist/,
    );
    const quota = one("failsafe", "manual DB snapshots quota");
    assert.equal(quota.status, "fail");
    // 5 tagged instances (d has no backups, but is tagged) × 44 copies (31 days, the weekly and
    // monthly tiers beyond them) = 220 > 100.
    assert.match(
      quota.detail,
      /^5 tagged DB instance\(s\) × 44 = 220 manual DB snapshots, plus 0 there already are: 220 of the quota 100 .*full in about 20 days/,
    );
    assert.equal(
      quota.fix,
      "set rds-failsafe:requestSnapshotQuota 300 (or request L-272F1212, service rds, in Service Quotas)",
    );
    const backups = one("prod", "automated backups of d");
    assert.equal(backups.status, "fail");
    assert.equal(
      backups.fix,
      "aws rds modify-db-instance --db-instance-identifier d --backup-retention-period 7 --apply-immediately",
    );
    const cmk = one("prod", "key of billing");
    assert.equal(cmk.status, "fail");
    assert.match(
      cmk.detail,
      /customer managed\): its policy and the copy roles' policies do not allow rds-failsafe-copy kms:CreateGrant/,
    );
    assert.match(
      cmk.fix ?? "",
      /"Principal":\{"AWS":\["arn:aws:iam::111111111111:role\/rds-failsafe-copy","arn:aws:iam::111111111111:role\/rds-failsafe-prod-sweep"\]\}/,
    );
    const alias = one("failsafe", "name alias/rds-failsafe-vault");
    assert.equal(alias.status, "fail");
    assert.match(alias.detail, /pending deletion.*AlreadyExistsException.*become unreadable/);
    assert.match(alias.fix ?? "", /cancel-key-deletion --key-id/);
    const names = one("prod", "existing names");
    assert.equal(names.status, "fail");
    assert.match(names.detail, /role rds-failsafe-copy/);
    assert.equal(one("failsafe", "existing names").status, "ok");
  });

  it("fails on the credentials of the wrong account, a missing deploy role and boundary, and stack-file typos", async () => {
    await prepareAccountPair({ bootstrap: false });
    const files = writeStackFiles({ failsafe: { retentiondays: 365 } });
    const run = await runCli(
      ["preflight", "--stack-file", files.failsafe, "--stack-file", files.prod, "--json"],
      {
        prod: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/admin`,
        failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/rds-failsafe-deploy`,
      },
    );
    const findings = JSON.parse(run.output.slice(run.output.indexOf("["))) as Finding[];
    assert.equal(run.status, 1);
    const typo = findings.find((f) => f.account === "config");
    assert.match(
      typo?.detail ?? "",
      /rds-failsafe:retentiondays is not a configuration key of rds-failsafe; did you mean retentionDays\?/,
    );
    // With a broken stack file, its side is not checked; a valid copy of it is:
    const good = writeStackFiles();
    const second = await runCli(
      ["preflight", "--stack-file", good.failsafe, "--stack-file", good.prod, "--json"],
      {
        prod: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/admin`,
        failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
      },
    );
    const f2 = JSON.parse(second.output.slice(second.output.indexOf("["))) as Finding[];
    assert.match(
      find(f2, "prod", "credentials")[0]?.detail ?? "",
      /credentials are for account 222222222222 .* the stack file says 111111111111/,
    );
    assert.equal(
      find(f2, "failsafe", "deploy role")[0]?.detail,
      "arn:aws:iam::222222222222:role/rds-failsafe-deploy does not exist",
    );
    assert.equal(find(f2, "failsafe", "permissions boundary")[0]?.status, "fail");
  });

  it("warns when the failsafe stack has drRegion but the bootstrap's boundary lacks the DR region", async () => {
    const dr = "eu-central-1";
    const boundary = async () => {
      const { findings, output } = await preflight(
        writeStackFiles({ failsafe: { drRegion: dr } }),
        "--only",
        "failsafe",
      );
      const [finding, ...more] = find(findings, "failsafe", "permissions boundary");
      assert.equal(more.length, 0, output);
      return finding;
    };
    await prepareAccountPair();
    const without = await boundary();
    assert.equal(without?.status, "warn");
    assert.match(
      without?.detail ?? "",
      /names nothing in the DR region eu-central-1: every DR copy/,
    );
    assert.match(
      without?.fix ?? "",
      /pulumi config set --stack bootstrap-failsafe rds-failsafe:drRegion eu-central-1/,
    );
    await resetEmulator();
    await prepareAccountPair({ drRegion: dr });
    assert.equal((await boundary())?.status, "ok");
  });

  it("runs as the read-only preview role (the pull-request job): the deploy role is checked to exist, not assumed", async () => {
    await prepareAccountPair();
    const files = writeStackFiles();
    const run = await runCli(
      ["preflight", "--stack-file", files.failsafe, "--only", "failsafe", "--json"],
      { failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/rds-failsafe-preview` },
    );
    const findings = JSON.parse(run.output.slice(run.output.indexOf("["))) as Finding[];
    assert.equal(
      find(findings, "failsafe", "deploy role")[0]?.detail,
      "arn:aws:iam::222222222222:role/rds-failsafe-deploy exists (running as the preview role, which may not assume it)",
    );
    assert.equal(run.status, 0, run.output);
  });

  it("checks one account with --only (a CI job that holds one account's credentials)", async () => {
    await prepareAccountPair();
    const files = writeStackFiles();
    const run = await runCli(
      [
        "preflight",
        "--stack-file",
        files.failsafe,
        "--stack-file",
        files.prod,
        "--only",
        "failsafe",
        "--json",
      ],
      { failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/rds-failsafe-deploy` },
    );
    const findings = JSON.parse(run.output.slice(run.output.indexOf("["))) as Finding[];
    assert.ok(findings.every((f) => f.account !== "prod"));
    assert.equal(find(findings, "failsafe", "manual snapshot quota")[0]?.status, "warn");
    assert.equal(run.status, 0, run.output);
  });

  it("counts the copies retention keeps per database from the retention plan itself (as the quota metric's arithmetic does)", async () => {
    const { copiesKeptPerSource } = await import("../handlers/quota");
    for (const rules of [
      { retentionDays: 31, minCopies: 7, freezeAfterHours: 48 },
      { retentionDays: 3, minCopies: 7, freezeAfterHours: 48 },
      { retentionDays: 90, minCopies: 10, freezeAfterHours: 48 },
    ]) {
      assert.equal(copiesKeptPerDatabase(rules), copiesKeptPerSource(rules), JSON.stringify(rules));
    }
    assert.equal(
      copiesKeptPerDatabase({ retentionDays: 31, minCopies: 7, freezeAfterHours: 48 }),
      32,
    );
    assert.equal(
      copiesKeptPerDatabase({ retentionDays: 3, minCopies: 7, freezeAfterHours: 48 }),
      7,
    );
    assert.equal(
      copiesKeptPerDatabase({ retentionDays: 365, minCopies: 7, freezeAfterHours: 48 }),
      366,
    );
    // With the retention tiers (defaults 8 weekly, 12 monthly): the plan keeps 44; the quota
    // metric's arithmetic is an upper bound (a tier copy may fall inside the daily window).
    const tiered = {
      retentionDays: 31,
      minCopies: 7,
      freezeAfterHours: 48,
      keepWeekly: 8,
      keepMonthly: 12,
    };
    assert.equal(copiesKeptPerDatabase(tiered), 44);
    assert.ok(copiesKeptPerDatabase(tiered) <= copiesKeptPerSource(tiered));
  });
});
