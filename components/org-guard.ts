import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ORG_POLICY_MAX_CHARACTERS,
  orgGuardRcp,
  orgGuardScp,
  policyContent,
  type PolicyDocument,
} from "./org-policies";

export interface OrgGuardArgs {
  /**
   * Provider of the organization's management (or delegated administrator) account: the only
   * place SCPs and RCPs are created and attached. Never the failsafe account's provider.
   */
  readonly provider: aws.Provider;
  /** The stacks' region; only its partition goes into the documents. */
  readonly region: string;
  /** The account the policies are attached to. */
  readonly failsafeAccountId: string;
  /** The failsafe deploy role, the only principal that may change the pipeline. */
  readonly failsafeRoleArn: string;
  /** The only principal that may share copies or disable, delete or re-policy the vault key. */
  readonly breakGlassPrincipalArn: string;
}

/**
 * The org guard (docs/org-guard.md): a service control policy and a KMS resource control policy
 * attached to the failsafe account, so that not even an administrator of that account can delete
 * or share the copies early, destroy the vault key or change the pipeline. Our answer to AWS
 * Backup Vault Lock.
 */
export class OrgGuard extends pulumi.ComponentResource {
  readonly scpId: pulumi.Output<string>;
  readonly rcpId: pulumi.Output<string>;

  constructor(name: string, args: OrgGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:org:OrgGuard", name, {}, opts);
    if (!args.provider) {
      throw new Error(
        "OrgGuard: [provider] must be the organization management account's aws.Provider",
      );
    }
    const child = { parent: this, provider: args.provider };
    const policy = (
      id: string,
      policyName: string,
      type: "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY",
      document: PolicyDocument,
      description: string,
    ) => {
      const content = policyContent(document);
      if (content.length > ORG_POLICY_MAX_CHARACTERS) {
        // Config validation reports this with the keys to change; this guards other callers.
        throw new Error(
          `OrgGuard: the ${type} is ${content.length} characters, over AWS's ${ORG_POLICY_MAX_CHARACTERS}`,
        );
      }
      const created = new aws.organizations.Policy(
        `${name}-${id}`,
        {
          // Policy names are unique in an organization: one guard per failsafe account.
          name: `${policyName}-${args.failsafeAccountId}`,
          description,
          type,
          content,
        },
        child,
      );
      new aws.organizations.PolicyAttachment(
        `${name}-${id}`,
        { policyId: created.id, targetId: args.failsafeAccountId },
        child,
      );
      return created;
    };

    const scp = policy(
      "scp",
      "rds-failsafe-org-guard",
      "SERVICE_CONTROL_POLICY",
      orgGuardScp(args),
      "rds-failsafe org guard: no early deletion or sharing of failsafe copies, no destruction of the vault key, no pipeline changes but by its deploy role",
    );
    const rcp = policy(
      "rcp",
      "rds-failsafe-vault-key-guard",
      "RESOURCE_CONTROL_POLICY",
      orgGuardRcp(args),
      "rds-failsafe org guard: nobody but break-glass may delete, disable, re-policy or grant away the vault key",
    );
    this.scpId = scp.id;
    this.rcpId = rcp.id;
    this.registerOutputs({ scpId: this.scpId, rcpId: this.rcpId });
  }
}
