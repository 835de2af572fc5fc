/**
 * The AWS partition and DNS suffix of a region, for every ARN, pattern and service principal the
 * program builds ("arn:aws:" is wrong in China and GovCloud: IAM User Guide, "IAM identifiers",
 * ARN format; AWS General Reference, "Service endpoints" for the amazonaws.com.cn suffix).
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

/** `amazonaws.com`, or `amazonaws.com.cn` in the China regions. */
export function dnsSuffixOf(region: string): string {
  return partitionOf(region) === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}
