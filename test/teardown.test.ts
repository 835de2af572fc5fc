import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { strict as assert } from "node:assert";
import type { Finding } from "../cli/commands/preflight";
import { policyDocument } from "../components/iam";
import { vaultKeyPolicy } from "../components/keys";
import { NAMES } from "../components/names";
import { accountClients, FAILSAFE_ACCOUNT, REGION, resetEmulator } from "./harness";
import { expectDecision } from "./support/iam-sim";
import { BREAK_GLASS, prepareAccountPair, runCli, writeStackFiles } from "./support/first-deploy";

/**
 * The teardown of docs/deploy.md, step by step on the emulator: after `pulumi destroy
 * --exclude-protected` the vault key and its alias are left (test/program/lifecycle.test.ts
 * shows nothing else is kept); only break-glass may schedule the key's deletion (IAM engine);
 * the alias left behind blocks a redeploy (AlreadyExists), which preflight reports with both
 * ways out; each way out clears it.
 */
describe("teardown and redeploy (emulator)", function () {
  this.timeout(120_000);
  const vault = NAMES.keyAlias.vault;

  async function leftAfterDestroy(): Promise<string> {
    const { kms } = await accountClients(FAILSAFE_ACCOUNT);
    const key = await kms.send(
      new CreateKeyCommand({
        Description: "rds-failsafe vault key",
        Policy: policyDocument(vaultKeyPolicy(REGION, FAILSAFE_ACCOUNT, BREAK_GLASS)),
        BypassPolicyLockoutSafetyCheck: true,
        Tags: [
          { TagKey: "Application", TagValue: "rds-failsafe" },
          { TagKey: "Stack", TagValue: "failsafe" },
        ],
      }),
    );
    const keyId = key.KeyMetadata?.KeyId ?? "";
    await kms.send(new CreateAliasCommand({ AliasName: vault, TargetKeyId: keyId }));
    return keyId;
  }

  const names = async () => {
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
    return findings.filter((f) => f.check === `name ${vault}` || f.check === "existing names");
  };

  beforeEach(async () => {
    await resetEmulator();
    await prepareAccountPair();
  });

  it("only break-glass can schedule the vault key's deletion (not the deploy role, not an admin)", async () => {
    const keyId = await leftAfterDestroy();
    const key = `arn:aws:kms:${REGION}:${FAILSAFE_ACCOUNT}:key/${keyId}`;
    const admin = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const request = (principal: string) => ({
      principal,
      action: "kms:ScheduleKeyDeletion",
      resource: key,
      identityPolicies: [admin],
      resourcePolicy: policyDocument(vaultKeyPolicy(REGION, FAILSAFE_ACCOUNT, BREAK_GLASS)),
    });
    await expectDecision(request(BREAK_GLASS), "Allowed", "break-glass");
    await expectDecision(
      request(`arn:aws:iam::${FAILSAFE_ACCOUNT}:role/rds-failsafe-deploy`),
      "ExplicitlyDenied",
      "deploy role",
    );
    await expectDecision(
      request(`arn:aws:iam::${FAILSAFE_ACCOUNT}:role/admin`),
      "ExplicitlyDenied",
      "admin",
    );
  });

  it("a leftover alias blocks a redeploy; cancelling the deletion keeps the old key (and its copies) while a new stack makes its own", async () => {
    const { kms } = await accountClients(FAILSAFE_ACCOUNT);
    const keyId = await leftAfterDestroy();
    // Before the deletion is scheduled, the alias is the torn-down stack's own: not a collision.
    assert.deepEqual(
      (await names()).map((f) => [f.check, f.status]),
      [["existing names", "ok"]],
    );
    // Break-glass (docs/deploy.md, "Tear down", step 3).
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 30 }));
    const [alias] = await names();
    assert.equal(alias?.check, `name ${vault}`);
    assert.equal(alias?.status, "fail");
    assert.match(
      alias?.detail ?? "",
      /pending deletion \(deleted on \d{4}-\d\d-\d\d\).*AlreadyExistsException/,
    );
    // What the redeploy would do first on this alias: create it.
    const other = await kms.send(new CreateKeyCommand({ Description: "a new vault key" }));
    await assert.rejects(
      kms.send(new CreateAliasCommand({ AliasName: vault, TargetKeyId: other.KeyMetadata?.KeyId })),
      (err: Error) => err.name === "AlreadyExistsException",
    );
    // Way out 1: keep the key (every copy under it stays readable), then free the name.
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    await kms.send(new DeleteAliasCommand({ AliasName: vault }));
    assert.deepEqual(
      (await names()).map((f) => [f.check, f.status]),
      [["existing names", "ok"]],
    );
    await kms.send(
      new CreateAliasCommand({ AliasName: vault, TargetKeyId: other.KeyMetadata?.KeyId }),
    );
    assert.equal(
      (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState,
      "Enabled",
    );
  });

  it("deleting the leftover alias lets a new stack create its own", async () => {
    const { kms } = await accountClients(FAILSAFE_ACCOUNT);
    const keyId = await leftAfterDestroy();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    // Way out 2 (the copies under the old key become unreadable once it is deleted).
    await kms.send(new DeleteAliasCommand({ AliasName: vault }));
    assert.deepEqual(
      (await names()).map((f) => [f.check, f.status]),
      [["existing names", "ok"]],
    );
    const other = await kms.send(new CreateKeyCommand({ Description: "a new vault key" }));
    await kms.send(
      new CreateAliasCommand({ AliasName: vault, TargetKeyId: other.KeyMetadata?.KeyId }),
    );
  });
});
