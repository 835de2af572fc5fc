/**
 * AWS partitions. ARNs, service principals and endpoints differ per partition: a rule pattern
 * that names `arn:aws:rds:cn-north-1:…` never matches a real aws-cn event, and an IAM document
 * with the wrong partition grants nothing. Everything that builds or checks an ARN derives the
 * partition from the region ("ARN format", AWS General Reference; "Amazon Resource Names (ARNs)
 * in the China Regions" and "GovCloud (US) ARNs").
 */
export type Partition = "aws" | "aws-cn" | "aws-us-gov";

export function partitionOf(region: string): Partition {
  if (region.startsWith("cn-")) {
    return "aws-cn";
  }
  if (region.startsWith("us-gov-")) {
    return "aws-us-gov";
  }
  return "aws";
}

/**
 * The DNS suffix of a region's service endpoints and of `kms:ViaService` values
 * (`rds.cn-north-1.amazonaws.com.cn`). Service *principals* keep `amazonaws.com` in every
 * partition except for the few services AWS documents otherwise; see servicePrincipal.
 */
export function dnsSuffixOf(region: string): string {
  return partitionOf(region) === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/**
 * The service principal of `service` in the region's partition. Even in aws-cn almost every
 * service principal ends in `amazonaws.com`; AWS uses `amazonaws.com.cn` only for a few services
 * (codedeploy, elasticmapreduce, logs — the list AWS CDK's region-info and the Terraform AWS
 * provider's `aws_service_principal` carry). This program uses none of those as a principal
 * today, but builds every principal through here so that adding one cannot get it wrong.
 */
export function servicePrincipal(service: string, region: string): string {
  const cnSuffixed = new Set(["codedeploy", "elasticmapreduce", "logs"]);
  return partitionOf(region) === "aws-cn" && cnSuffixed.has(service)
    ? `${service}.amazonaws.com.cn`
    : `${service}.amazonaws.com`;
}
