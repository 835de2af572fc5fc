import { servicePrincipal } from "../handlers/partition";

/** One IAM policy statement. Actions are always listed one by one: no wildcards anywhere. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: "*" | Record<string, string | string[]>;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/**
 * A policy document as the JSON string the AWS provider takes. Statements are plain values, never
 * Pulumi Outputs: every ARN in them is computed from config and fixed names (components/names.ts),
 * so every document is known on a `pulumi preview` of a new stack and the policy pack checks it on
 * every pull request (the policy-pack issue: 15 policies per stack used to be "can't run during
 * preview" because documents were built from resource outputs).
 */
export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export function lambdaAssumeRolePolicy(account: string, region: string): string {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: servicePrincipal("lambda", region) },
      Action: "sts:AssumeRole",
      // Only Lambda functions of this account may assume it (confused-deputy guard).
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
  ]);
}
