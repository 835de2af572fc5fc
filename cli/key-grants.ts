/**
 * Can a function role have RDS use a KMS key for a copy? RDS creates a grant on the source and
 * the target key of an encrypted copy, as the caller (USER_CopySnapshot, "Handling encryption"):
 * the caller needs kms:CreateGrant and kms:DescribeKey on the key, through RDS. Judged with the
 * IAM policy engine the tests use (@cloud-copilot/iam-simulate, AWS's Service Authorization
 * Reference), from the role's own policy (what the program gives it) and the key's policy (read
 * from KMS): for a key of the same account, either may allow, and the key policy must allow the
 * account for IAM policies to count at all.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { policyDocument, type Statement } from "../components/iam";
import { regionArns } from "../components/names";

export interface GrantCheck {
  readonly action: string;
  readonly allowed: boolean;
}

export async function rdsGrantChecks(args: {
  readonly region: string;
  readonly account: string;
  /** The function role (arn:…:role/<name>). */
  readonly roleArn: string;
  /** The role's own statements (components/permissions.ts). */
  readonly roleStatements: readonly Statement[];
  readonly keyArn: string;
  readonly keyPolicy: string;
}): Promise<GrantCheck[]> {
  const name = args.roleArn.split("/").pop() ?? "role";
  const session = `arn:${regionArns(args.region).partition}:sts::${args.account}:assumed-role/${name}/rds-failsafe`;
  const context = {
    "aws:PrincipalArn": args.roleArn,
    "aws:PrincipalAccount": args.account,
    "kms:CallerAccount": args.account,
    "kms:ViaService": regionArns(args.region).viaService("rds"),
    "kms:GrantIsForAWSResource": "true",
  };
  const checks: GrantCheck[] = [];
  for (const action of ["kms:CreateGrant", "kms:DescribeKey"]) {
    const result = await runSimulation(
      {
        request: {
          principal: session,
          action,
          resource: { resource: args.keyArn, accountId: args.account },
          // DescribeKey takes no grant condition keys: the engine drops what does not apply.
          contextVariables: context,
        },
        identityPolicies: [
          {
            name: "function-role",
            policy: JSON.parse(policyDocument(args.roleStatements)) as Record<string, unknown>,
          },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: JSON.parse(args.keyPolicy) as Record<string, unknown>,
      },
      { simulationMode: "Strict" },
    );
    if (result.resultType !== "single") {
      throw new Error(`could not judge ${action} on ${args.keyArn}: ${JSON.stringify(result)}`);
    }
    checks.push({ action, allowed: result.result.analysis.result === "Allowed" });
  }
  return checks;
}
