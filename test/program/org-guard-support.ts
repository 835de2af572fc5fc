import { strict as assert } from "node:assert";
import { baseConfig, ofType, type Evaluation, type ResourceRecord } from "./support";

/** The organization's management account of the org-guard tests. */
export const MANAGEMENT = "333333333333";

/** A valid org-guard configuration: the base config of a stack mode plus the three keys. */
export function orgGuardConfig(
  mode: "save" | "both" = "save",
  region = "eu-west-1",
): Record<string, string> {
  const partition = region.startsWith("cn-")
    ? "aws-cn"
    : region.startsWith("us-gov-")
      ? "aws-us-gov"
      : "aws";
  const config = Object.fromEntries(
    Object.entries(baseConfig(mode)).map(([k, v]) => [
      k,
      v.replace(/^arn:aws:/, `arn:${partition}:`),
    ]),
  );
  return {
    ...config,
    region,
    orgGuard: "true",
    managementAccountId: MANAGEMENT,
    managementRoleArn: `arn:${partition}:iam::${MANAGEMENT}:role/rds-failsafe-org-guard`,
  };
}

export const POLICY = "aws:organizations/policy:Policy";
export const ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment";

/** The content of the org guard's SCP or RCP, parsed. */
export function orgPolicy(
  e: Evaluation,
  type: "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY",
): { record: ResourceRecord; content: string; document: { Statement: Record<string, unknown>[] } } {
  const matches = ofType(e, POLICY).filter((p) => p.inputs.type === type);
  assert.equal(matches.length, 1, `one ${type}`);
  const record = matches[0] as ResourceRecord;
  const content = String(record.inputs.content);
  return {
    record,
    content,
    document: JSON.parse(content) as { Statement: Record<string, unknown>[] },
  };
}
