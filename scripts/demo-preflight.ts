// The demo's first step: `npx rds-failsafe preflight` on a brand-new account pair, before the
// deploy (docs/deploy.md). The pair has what the bootstrap stacks create, a break-glass role, a
// new account's Lambda concurrency quota (10) and the demo's databases; the app CMK's policy
// carries preflight's fix (the copy roles may have RDS use it), so every check passes. The
// aws/rds database is created with KmsKeyId alias/aws/rds: given no key, moto stores the literal
// "default_kms_key_id", which no KMS call resolves (AWS stores the aws/rds key's ARN).
import { keyPolicyFix } from "../cli/commands/preflight";
import { PROD_ACCOUNT, REGION, resetEmulator } from "../test/harness";
import {
  createAppKey,
  createDatabase,
  prepareAccountPair,
  runCli,
  writeStackFiles,
} from "../test/support/first-deploy";
import type { Encryption } from "../test/support/world";

interface DemoDatabase {
  readonly kind: "instance" | "cluster";
  readonly id: string;
  readonly tagged: boolean;
  readonly encryption: Encryption;
}

/** Prints preflight's table for the demo's databases; returns preflight's exit status. */
export async function demoPreflight(
  say: (line: string) => void,
  databases: readonly DemoDatabase[],
): Promise<number> {
  await resetEmulator();
  await prepareAccountPair({ lambdaConcurrency: 10 });
  const role = (name: string) => `arn:aws:iam::${PROD_ACCOUNT}:role/${name}`;
  const appKeyArn = await createAppKey(
    JSON.parse(
      keyPolicyFix(`rds.${REGION}.amazonaws.com`, [
        role("rds-failsafe-copy"),
        role("rds-failsafe-prod-sweep"),
      ]),
    ) as object[],
  );
  for (const db of databases) {
    const kmsKeyId =
      db.encryption === "cmk"
        ? appKeyArn
        : db.encryption === "default"
          ? "alias/aws/rds"
          : undefined;
    await createDatabase(db.kind, db.id, { tagged: db.tagged, ...(kmsKeyId ? { kmsKeyId } : {}) });
  }
  const files = writeStackFiles();
  say(
    "preflight (read-only) of the new account pair, from Pulumi.failsafe.yaml and Pulumi.prod.yaml:",
  );
  const { status, output } = await runCli([
    "preflight",
    "--stack-file",
    files.failsafe,
    "--stack-file",
    files.prod,
  ]);
  console.log(`\n${output}\n`);
  return status;
}
