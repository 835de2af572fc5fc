/**
 * The IAM actions `status` and `report` need in each account, all of access level Read or List in
 * the Service Authorization Reference (test/status.test.ts checks every call they make against
 * this list and that list against the reference). AWS's managed ReadOnlyAccess policy includes
 * them all. sts:GetCallerIdentity needs no permission.
 */
export const OPERATOR_READ_ACTIONS = [
  "rds:DescribeDBInstances",
  "rds:DescribeDBClusters",
  "rds:DescribeDBSnapshots",
  "rds:DescribeDBClusterSnapshots",
  "rds:DescribeDBSnapshotAttributes",
  "rds:DescribeDBClusterSnapshotAttributes",
  "rds:DescribeAccountAttributes",
  "cloudwatch:DescribeAlarms",
  "cloudwatch:GetMetricData",
  "sqs:ListQueues",
  "sqs:GetQueueAttributes",
  "lambda:GetFunctionConfiguration",
] as const;

/** The IAM action of an SDK call as cli/inventory.ts counts it ("RDS:DescribeDBInstances"). */
export function iamActionOf(call: string): string {
  const [client = "", command = ""] = call.split(":");
  return `${client.toLowerCase()}:${command}`;
}
