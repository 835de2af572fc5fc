import * as pulumi from "@pulumi/pulumi";

/** One IAM policy statement. Actions are always listed one by one: no wildcards anywhere. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
  readonly Resource?: pulumi.Input<string> | pulumi.Input<string>[];
  readonly Principal?: Record<string, string | string[]>;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A policy document as the JSON string the AWS provider takes, resolving any Outputs inside. */
export function policyDocument(statements: pulumi.Input<Statement[]>): pulumi.Output<string> {
  return pulumi
    .output(statements)
    .apply((resolved) => JSON.stringify({ Version: "2012-10-17", Statement: resolved }));
}

export function lambdaAssumeRolePolicy(account: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
        // Only Lambda functions of this account may assume it (confused-deputy guard).
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  });
}
