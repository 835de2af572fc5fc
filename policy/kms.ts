// The vault and transit keys decide whether the failsafe copies stay readable (DESIGN.md).
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configWithDefaults } from "./util";

/** AWS's default and maximum pending window for ScheduleKeyDeletion (KMS API, PendingWindowInDays). */
export const AWS_DEFAULT_DELETION_WINDOW_DAYS = 30;

export interface KmsDeletionWindowConfig {
  minimumDeletionWindowInDays: number;
}

export const KMS_DELETION_WINDOW_DEFAULTS: KmsDeletionWindowConfig = {
  minimumDeletionWindowInDays: 30,
};

export const kmsKeyRotationEnabled: ResourceValidationPolicy = {
  name: "kms-key-rotation-enabled",
  description: "Checks whether every symmetric KMS key has automatic key rotation enabled.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
    // Automatic rotation exists only for symmetric encryption keys (KMS "Rotating keys").
    const spec = key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") {
      args.notApplicable(`Key spec ${spec} does not support automatic rotation`);
    }
    if (key.enableKeyRotation !== true) {
      reportViolation("KMS key must have enableKeyRotation set to true");
    }
  }),
};

export const kmsKeyDeletionWindow: ResourceValidationPolicy = {
  name: "kms-key-deletion-window",
  description:
    "Checks whether every KMS key's deletion window is at least the configured minimum (default 30 days).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumDeletionWindowInDays: {
        type: "integer",
        minimum: 7,
        maximum: 30,
        default: KMS_DELETION_WINDOW_DEFAULTS.minimumDeletionWindowInDays,
        description: "Smallest deletionWindowInDays accepted (KMS allows 7 to 30).",
      },
    },
  },
  validateResource: validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
    const { minimumDeletionWindowInDays: minimum } = configWithDefaults(
      args,
      KMS_DELETION_WINDOW_DEFAULTS,
    );
    const window = key.deletionWindowInDays ?? AWS_DEFAULT_DELETION_WINDOW_DAYS;
    if (window < minimum) {
      reportViolation(
        `KMS key must have deletionWindowInDays of at least ${minimum} (is ${window}${key.deletionWindowInDays === undefined ? ", the AWS default" : ""})`,
      );
    }
  }),
};
