// The pack's contents, importable without starting the policy server (policy/index.ts does that).
import type {
  PolicyPackConfig,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { policyDocumentsKnownAtPreview } from "./documents";
import {
  iamKmsGrantsForAwsResources,
  iamKmsUseThroughServices,
  iamNoBroadManagedPolicies,
  iamNoInlineAdmin,
  iamNoKmsAdministration,
  iamNoResourceWildcard,
  iamNoWildcardActions,
} from "./iam";
import {
  kmsKeyCrossAccountThroughRds,
  kmsKeyDeletionWindow,
  kmsKeyPolicyNoWildcards,
  kmsKeyRotationEnabled,
  kmsVaultKeyProtected,
} from "./kms";
import {
  lambdaBoundedConcurrency,
  lambdaExplicitRole,
  lambdaLogRetention,
  lambdaSupportedRuntime,
  lambdaTimeout,
} from "./lambda";
import {
  snsHandoffTopicPublishers,
  snsSqsPolicyActionsLimited,
  snsSqsPolicyPrincipalsNarrowed,
  snsTopicEncrypted,
  sqsLambdaSourceHasDlq,
  sqsQueueEncrypted,
} from "./messaging";
import {
  rdsSnapshotAttributeScoped,
  rdsSnapshotSharing,
  rdsSnapshotWritesManaged,
} from "./snapshots";
import { lambdaRolePerFunction, stackResourcesInTheirAccount } from "./stack";
import { requiredTags } from "./tags";

export const PACK_NAME = "rds-failsafe";

export const allPolicies: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [
  iamNoWildcardActions,
  iamNoResourceWildcard,
  iamNoInlineAdmin,
  iamNoBroadManagedPolicies,
  iamNoKmsAdministration,
  iamKmsUseThroughServices,
  iamKmsGrantsForAwsResources,
  requiredTags,
  kmsKeyRotationEnabled,
  kmsKeyDeletionWindow,
  kmsKeyPolicyNoWildcards,
  kmsKeyCrossAccountThroughRds,
  kmsVaultKeyProtected,
  snsTopicEncrypted,
  sqsQueueEncrypted,
  sqsLambdaSourceHasDlq,
  snsSqsPolicyPrincipalsNarrowed,
  snsSqsPolicyActionsLimited,
  snsHandoffTopicPublishers,
  lambdaExplicitRole,
  lambdaSupportedRuntime,
  lambdaTimeout,
  lambdaBoundedConcurrency,
  lambdaLogRetention,
  rdsSnapshotSharing,
  rdsSnapshotAttributeScoped,
  rdsSnapshotWritesManaged,
  stackResourcesInTheirAccount,
  lambdaRolePerFunction,
  policyDocumentsKnownAtPreview,
];

/**
 * Every policy's schema defaults, keyed by policy name: the pack's initial config (what
 * `pulumi preview --policy-pack policy` uses when no `--policy-pack-config` file is given).
 */
export function defaultPolicyConfig(
  policies: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = allPolicies,
): PolicyPackConfig {
  const config: PolicyPackConfig = {};
  for (const policy of policies) {
    const properties = policy.configSchema?.properties ?? {};
    const defaults: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(properties)) {
      if (typeof schema === "object" && schema.default !== undefined)
        defaults[key] = schema.default;
    }
    config[policy.name] = { enforcementLevel: policy.enforcementLevel ?? "advisory", ...defaults };
  }
  return config;
}
