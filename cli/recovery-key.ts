import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KeyMetadata,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { accountStatement, sharedSnapshotUseThroughRds } from "../components/keys";
import { NAMES } from "../components/names";
import { errorCode } from "../handlers/errors";
import { call } from "./aws-errors";

/**
 * The key a copy is re-encrypted with before it is shared with a recovery account. Never the vault
 * key: sharing it would let another account use the key every failsafe copy depends on (and the
 * vault key policy refuses any use but through RDS by the failsafe account anyway). A recovery key
 * is made for one recovery account, in the failsafe account, and lets that account use it only
 * through RDS in this region — what copying or restoring a shared encrypted snapshot needs
 * (USER_ShareSnapshot, "Allowing access to an AWS KMS key"). Its alias is outside the program's
 * `rds-failsafe-` names, which the org guard reserves to the deploy role.
 */
export const recoveryKeyAlias = (account: string): string => `alias/failsafe-recovery-${account}`;

export function recoveryKeyPolicy(region: string, failsafe: string, recovery: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      accountStatement(region, failsafe),
      ...sharedSnapshotUseThroughRds(region, recovery, {
        use: "RecoveryAccountCopiesAndRestoresSharedSnapshotsThroughRds",
        grant: "RecoveryAccountGrantsToRdsOnly",
      }),
    ],
  };
}

/** A key by id, ARN or alias; undefined when it does not exist. */
export async function describeKey(kms: KMSClient, key: string): Promise<KeyMetadata | undefined> {
  try {
    const out = await call("kms:DescribeKey", () =>
      kms.send(new DescribeKeyCommand({ KeyId: key })),
    );
    return out.KeyMetadata;
  } catch (err) {
    if (errorCode(err) === "NotFound") return undefined;
    throw err;
  }
}

/** The vault key's id (alias/rds-failsafe-vault), to refuse ever sharing it. */
export async function vaultKeyId(kms: KMSClient): Promise<string | undefined> {
  return (await describeKey(kms, NAMES.keyAlias.vault))?.KeyId;
}

/** The recovery key of `recovery`, created (key + alias) when there is none yet. */
export async function ensureRecoveryKey(
  kms: KMSClient,
  region: string,
  failsafe: string,
  recovery: string,
): Promise<{ arn: string; created: boolean }> {
  const alias = recoveryKeyAlias(recovery);
  const existing = await describeKey(kms, alias);
  if (existing?.Arn) return { arn: existing.Arn, created: false };
  const created = await call("kms:CreateKey", () =>
    kms.send(
      new CreateKeyCommand({
        Description: `rds-failsafe recovery key: failsafe copies shared with account ${recovery}`,
        Policy: JSON.stringify(recoveryKeyPolicy(region, failsafe, recovery)),
        Tags: [{ TagKey: "failsafe:recovery-for", TagValue: recovery }],
      }),
    ),
  );
  const arn = created.KeyMetadata?.Arn ?? "";
  await call("kms:CreateAlias", () =>
    kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: created.KeyMetadata?.KeyId })),
  );
  return { arn, created: true };
}
