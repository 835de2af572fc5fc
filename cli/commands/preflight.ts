import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as ListLogTagsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTagsForResourceCommand as ListRuleTagsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import {
  GetAccountSettingsCommand,
  GetFunctionCommand,
  LambdaClient,
  ListTagsCommand as ListFunctionTagsCommand,
} from "@aws-sdk/client-lambda";
import {
  DescribeAccountAttributesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  paginateDescribeDBClusterSnapshots,
  type RDSClient,
} from "@aws-sdk/client-rds";
import {
  ListTagsForResourceCommand as ListTopicTagsCommand,
  paginateListTopics,
} from "@aws-sdk/client-sns";
import { ListQueueTagsCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { Command } from "commander";
import {
  BOOTSTRAP_ROLE_NAMES,
  DEFAULT_MANUAL_SNAPSHOT_QUOTA,
  PROJECT,
  type StackConfig,
} from "../../components/config";
import { boundaryArn, SNAPSHOT_QUOTA_CODES } from "../../components/deploy-permissions";
import { peakConcurrency, sideFunctions, type SideFeatures } from "../../components/limits";
import { NAMES, regionArns } from "../../components/names";
import { copyStatements, prodSweepStatements } from "../../components/permissions";
import { errorMessage } from "../../handlers/errors";
import { isManagedSnapshotId, type SnapshotKind } from "../../handlers/naming";
import { intermediatesPerSource } from "../../handlers/quota";
import { planRetention } from "../../handlers/retention";
import { isManagedTagged, isSelected, type Tags } from "../../handlers/tags";
import {
  accountClients,
  clientConfig,
  UsageError,
  type AccountName,
  type AccountOptions,
} from "../accounts";
import { rdsGrantChecks } from "../key-grants";
import { colour, table, type Out } from "../output";
import { stackFiles, type StackFile } from "../stack-files";

export interface PreflightOptions {
  readonly stackFile?: string[];
  /** Check one account only (a CI job that holds one account's credentials). */
  readonly only?: AccountName;
  readonly json?: boolean;
}

export type Status = "ok" | "warn" | "fail";

/** One finding: what was checked, what was seen (with the numbers) and what to do. */
export interface Finding {
  readonly account: AccountName | "config";
  readonly check: string;
  readonly status: Status;
  readonly detail: string;
  /** What to do; every warn and fail has one. */
  readonly fix?: string;
}

/**
 * `preflight`: read-only checks of an account pair before the first deploy (and any time after),
 * from the stack files that will be deployed. Exit status 1 when a check fails.
 */
export function registerPreflight(program: Command, out: Out, globals: () => AccountOptions): void {
  program
    .command("preflight")
    .description(
      "read-only checks of both accounts before a deploy: Lambda concurrency, snapshot quotas, automated backups, break-glass, deploy roles, keys, name collisions",
    )
    .option(
      "--stack-file <file...>",
      "stack files to check against (default: Pulumi.failsafe.yaml and Pulumi.prod.yaml here)",
    )
    .option("--only <account>", "check one account: prod or failsafe")
    .option("--json", "print the findings as JSON")
    .action(async (options: PreflightOptions) => {
      const findings = await preflight(globals(), options);
      report(findings, options, out);
      if (findings.some((f) => f.status === "fail")) {
        process.exitCode = 1;
      }
    });
}

export async function preflight(
  globals: AccountOptions,
  options: PreflightOptions,
): Promise<Finding[]> {
  if (options.only !== undefined && options.only !== "prod" && options.only !== "failsafe") {
    throw new UsageError(`--only must be prod or failsafe, not ${String(options.only)}`);
  }
  const files = stackFiles(options.stackFile);
  const findings: Finding[] = [];
  for (const f of files) {
    for (const problem of f.problems) {
      findings.push({
        account: "config",
        check: `stack file ${f.file}`,
        status: "fail",
        detail: problem.split(". Fix: ")[0] ?? problem,
        fix: problem.includes(". Fix: ") ? problem.split(". Fix: ")[1] : `correct ${f.file}`,
      });
    }
  }
  const failsafeFile = files.find(
    (f) => f.config && (f.config.sides === "save" || f.config.sides === "both"),
  );
  const prodFile = files.find(
    (f) => f.config && (f.config.sides === "copy" || f.config.sides === "both"),
  );
  const check = (name: AccountName) => options.only === undefined || options.only === name;

  let tagged: TaggedDatabases | undefined;
  if (prodFile && check("prod")) {
    tagged = await checkProd(globals, prodFile, findings);
  }
  if (failsafeFile && check("failsafe")) {
    await checkFailsafe(globals, failsafeFile, tagged, findings);
  }
  if (!prodFile && check("prod")) {
    findings.push({
      account: "config",
      check: "prod stack file",
      status: options.only === "prod" ? "fail" : "warn",
      detail: "no valid stack file with sides copy or both: the prod account was not checked",
      fix: "give --stack-file Pulumi.prod.yaml",
    });
  }
  if (!failsafeFile && check("failsafe")) {
    findings.push({
      account: "config",
      check: "failsafe stack file",
      status: options.only === "failsafe" ? "fail" : "warn",
      detail: "no valid stack file with sides save or both: the failsafe account was not checked",
      fix: "give --stack-file Pulumi.failsafe.yaml",
    });
  }
  return findings;
}

function report(findings: readonly Finding[], options: PreflightOptions, out: Out): void {
  if (options.json) {
    out.line(JSON.stringify(findings, null, 2));
    return;
  }
  const tone = { ok: "good", warn: "warn", fail: "bad" } as const;
  out.line(
    table(
      ["account", "check", "result", "detail", "what to do"],
      findings.map((f) => [f.account, f.check, colour(f.status, tone[f.status]), f.detail, f.fix]),
    ).join("\n"),
  );
  const failed = findings.filter((f) => f.status === "fail").length;
  const warned = findings.filter((f) => f.status === "warn").length;
  out.line(
    failed > 0
      ? `${failed} check(s) failed, ${warned} warning(s): fix the failures before pulumi up.`
      : `every check passed${warned > 0 ? ` (${warned} warning(s))` : ""}.`,
  );
}

interface TaggedDatabase {
  readonly kind: SnapshotKind;
  readonly id: string;
  readonly backupRetentionPeriod: number;
  readonly kmsKeyId?: string;
}
type TaggedDatabases = readonly TaggedDatabase[];

interface Clients {
  readonly name: AccountName;
  readonly rds: RDSClient;
  readonly iam: IAMClient;
  readonly kms: KMSClient;
  readonly lambda: LambdaClient;
  readonly sts: STSClient;
  readonly events: EventBridgeClient;
  readonly logs: CloudWatchLogsClient;
  readonly sqs: ReturnType<typeof accountClients>["sqs"];
  readonly sns: ReturnType<typeof accountClients>["sns"];
  identity(): Promise<{ account: string; arn: string }>;
}

function clients(name: AccountName, globals: AccountOptions): Clients {
  const base = accountClients(name, globals);
  const config = clientConfig(name, globals);
  return {
    name,
    rds: base.rds,
    sqs: base.sqs,
    sns: base.sns,
    identity: () => base.identity(),
    iam: new IAMClient(config),
    kms: new KMSClient(config),
    lambda: new LambdaClient(config),
    sts: new STSClient(config),
    events: new EventBridgeClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

// ---------------------------------------------------------------------------------------------

async function checkProd(
  globals: AccountOptions,
  file: StackFile,
  findings: Finding[],
): Promise<TaggedDatabases | undefined> {
  const config = file.config as StackConfig;
  const c = clients("prod", globals);
  const add = (check: string, status: Status, detail: string, fix?: string) =>
    findings.push({ account: "prod", check, status, detail, ...(fix ? { fix } : {}) });
  if (!(await checkIdentity(c, config.prodAccountId, add))) {
    return undefined;
  }
  await checkDeployRole(c, config.prodRoleArn, "prod", add);
  await checkBoundary(c, config, config.prodAccountId, add);
  await checkConcurrency(c, "prod", add);

  // The databases this stack protects.
  const tagged = await taggedDatabases(c.rds, config);
  add(
    "tagged databases",
    tagged.length > 0 ? "ok" : "warn",
    `${count(tagged, "instance")} DB instance(s) and ${count(tagged, "cluster")} Aurora cluster(s) tagged ${config.selectionTagKey}=${config.selectionTagValue}`,
    tagged.length > 0
      ? undefined
      : `tag each database to protect: aws rds add-tags-to-resource --resource-name <db or cluster ARN> --tags Key=${config.selectionTagKey},Value=${config.selectionTagValue}`,
  );
  for (const db of tagged) {
    if (db.backupRetentionPeriod < 1) {
      add(
        `automated backups of ${db.id}`,
        "fail",
        `${db.kind} ${db.id} has automated backups off (BackupRetentionPeriod 0): there is nothing to copy`,
        db.kind === "instance"
          ? `aws rds modify-db-instance --db-instance-identifier ${db.id} --backup-retention-period 7 --apply-immediately`
          : `aws rds modify-db-cluster --db-cluster-identifier ${db.id} --backup-retention-period 7 --apply-immediately`,
      );
    }
  }
  if (tagged.length > 0 && tagged.every((db) => db.backupRetentionPeriod >= 1)) {
    add(
      "automated backups",
      "ok",
      `every tagged database keeps automated backups (${Math.min(...tagged.map((d) => d.backupRetentionPeriod))}+ days)`,
    );
  }

  // Intermediate copies in prod: the newest per database, plus the ones younger than
  // intermediateKeepHours (one per daily backup).
  const perDatabase = intermediatesPerSource(config.intermediateKeepHours);
  await checkSnapshotQuota(
    c,
    tagged,
    perDatabase,
    `${perDatabase} intermediate copies kept per database (intermediateKeepHours ${config.intermediateKeepHours} + the newest)`,
    config.requestSnapshotQuota,
    add,
  );

  await checkKeys(c, config, tagged, add);
  await checkCollisions(c, file.stack, "prod", add);
  return tagged;
}

async function checkFailsafe(
  globals: AccountOptions,
  file: StackFile,
  tagged: TaggedDatabases | undefined,
  findings: Finding[],
): Promise<void> {
  const config = file.config as StackConfig;
  const c = clients("failsafe", globals);
  const add = (check: string, status: Status, detail: string, fix?: string) =>
    findings.push({ account: "failsafe", check, status, detail, ...(fix ? { fix } : {}) });
  if (!(await checkIdentity(c, config.failsafeAccountId, add))) {
    return;
  }
  await checkDeployRole(c, config.failsafeRoleArn, "failsafe", add);
  await checkBoundary(c, config, config.failsafeAccountId, add);
  await checkBreakGlass(c, config.breakGlassPrincipalArn, add);
  await checkConcurrency(c, "failsafe", add, {
    drills: config.drills,
    drRegion: config.drRegion !== undefined,
  });

  const kept = copiesKeptPerDatabase(config);
  if (tagged) {
    const others = config.prodAccountIds.length - 1;
    await checkSnapshotQuota(
      c,
      tagged,
      kept,
      `${kept} copies kept per database (retentionDays ${config.retentionDays}, minCopies ${config.minCopies}, keepWeekly ${config.keepWeekly}, keepMonthly ${config.keepMonthly})${others > 0 ? `; counts the checked prod account only, prodAccountIds lists ${others} more` : ""}`,
      config.requestSnapshotQuota,
      add,
    );
  } else {
    add(
      "manual snapshot quota",
      "warn",
      `not computed: the prod account was not checked (${kept} copies kept per database)`,
      "run preflight with both accounts (or --stack-file Pulumi.prod.yaml and the prod credentials)",
    );
  }
  await checkCollisions(c, file.stack, "failsafe", add);
}

// ---------------------------------------------------------------------------------------------

type Add = (check: string, status: Status, detail: string, fix?: string) => void;

async function checkIdentity(c: Clients, expected: string, add: Add): Promise<boolean> {
  try {
    const identity = await c.identity();
    if (identity.account !== expected) {
      add(
        "credentials",
        "fail",
        `the ${c.name} credentials are for account ${identity.account} (${identity.arn}), the stack file says ${expected}`,
        `pass --${c.name}-profile or --${c.name}-role-arn of account ${expected}`,
      );
      return false;
    }
    add("credentials", "ok", `${identity.arn}`);
    return true;
  } catch (err) {
    add(
      "credentials",
      "fail",
      `cannot call STS with the ${c.name} credentials: ${errorMessage(err)}`,
      `pass --${c.name}-profile or --${c.name}-role-arn`,
    );
    return false;
  }
}

/** The deploy role exists and the caller can assume it (or already runs as it). */
async function checkDeployRole(
  c: Clients,
  roleArn: string | undefined,
  side: "prod" | "failsafe",
  add: Add,
): Promise<void> {
  if (!roleArn) return;
  const name = roleArn.split("/").pop() ?? "";
  const fix = `create it with the bootstrap stack (pulumi up --stack bootstrap-${side}, docs/deploy.md), trusting the principal that runs pulumi`;
  try {
    await c.iam.send(new GetRoleCommand({ RoleName: name }));
  } catch (err) {
    if (errorName(err) === "NoSuchEntityException" || errorName(err) === "NoSuchEntity") {
      add("deploy role", "fail", `${roleArn} does not exist`, fix);
      return;
    }
    add(
      "deploy role",
      "warn",
      `cannot read ${roleArn}: ${errorMessage(err)}`,
      "run preflight with a principal that may call iam:GetRole",
    );
  }
  const identity = await c.identity();
  if (identity.arn.includes(`:assumed-role/${name}/`)) {
    add("deploy role", "ok", `running as ${roleArn}`);
    return;
  }
  // The pull-request job runs preflight as the read-only preview role, which may not assume the
  // deploy role (only the deploy environment's CI role may).
  if (identity.arn.includes(`:assumed-role/${BOOTSTRAP_ROLE_NAMES.preview}/`)) {
    add(
      "deploy role",
      "ok",
      `${roleArn} exists (running as the preview role, which may not assume it)`,
    );
    return;
  }
  try {
    await c.sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: "rds-failsafe-preflight",
        DurationSeconds: 900,
      }),
    );
    add("deploy role", "ok", `${identity.arn} can assume ${roleArn}`);
  } catch (err) {
    add(
      "deploy role",
      "fail",
      `${identity.arn} cannot assume ${roleArn}: ${errorMessage(err)}`,
      fix,
    );
  }
}

async function checkBoundary(
  c: Clients,
  config: StackConfig,
  account: string,
  add: Add,
): Promise<void> {
  if (!config.permissionsBoundary) {
    add(
      "permissions boundary",
      "warn",
      "permissionsBoundary is none: the function roles carry no boundary",
      "create the roles with the bootstrap stack and remove permissionsBoundary: none",
    );
    return;
  }
  const arn = boundaryArn(config.region, account, config.permissionsBoundary);
  try {
    const policy = await c.iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    if (config.drRegion && !(await boundaryCoversRegion(c, arn, policy, config.drRegion))) {
      add(
        "permissions boundary",
        "warn",
        `${arn} exists but names nothing in the DR region ${config.drRegion}: every DR copy, DR retention and DR sweep call of the functions would be denied by it`,
        `set drRegion on the bootstrap stack too and re-run it: pulumi config set --stack bootstrap-${c.name} ${PROJECT}:drRegion ${config.drRegion} && pulumi up --stack bootstrap-${c.name}`,
      );
      return;
    }
    add("permissions boundary", "ok", `${arn} exists`);
  } catch (err) {
    add(
      "permissions boundary",
      errorName(err) === "NoSuchEntityException" || errorName(err) === "NoSuchEntity"
        ? "fail"
        : "warn",
      `${arn}: ${errorMessage(err)} (every function role is created with it)`,
      `run the bootstrap stack (pulumi up --stack bootstrap-${c.name}), or set ${PROJECT}:permissionsBoundary none`,
    );
  }
}

/**
 * Whether the boundary's default version names a resource in `region` (the bootstrap-failsafe
 * stack puts the DR statements there when it has drRegion: components/deploy-permissions.ts).
 * GetPolicyVersion returns the document URL-encoded (RFC 3986), as the IAM API reference says.
 */
async function boundaryCoversRegion(
  c: Clients,
  arn: string,
  policy: { Policy?: { DefaultVersionId?: string } },
  region: string,
): Promise<boolean> {
  const version = await c.iam.send(
    new GetPolicyVersionCommand({
      PolicyArn: arn,
      VersionId: policy.Policy?.DefaultVersionId ?? "v1",
    }),
  );
  const raw = version.PolicyVersion?.Document ?? "";
  const text = raw.trimStart().startsWith("{") ? raw : decodeURIComponent(raw);
  const document = JSON.parse(text) as { Statement?: { Resource?: string | string[] }[] };
  return (document.Statement ?? []).some((s) =>
    (Array.isArray(s.Resource) ? s.Resource : [s.Resource ?? ""]).some((r) =>
      r.includes(`:${region}:`),
    ),
  );
}

async function checkBreakGlass(c: Clients, principal: string | undefined, add: Add): Promise<void> {
  if (!principal) return;
  const match = /:(role|user)\/(?:.*\/)?([^/]+)$/.exec(principal);
  const fix =
    "create it before the first deploy: KMS rejects a key policy naming a principal that does not exist (MalformedPolicyDocumentException), so the vault key cannot be created. Keep it out of day-to-day use (e.g. a role two named people assume with MFA)";
  try {
    if (match?.[1] === "user") {
      await c.iam.send(new GetUserCommand({ UserName: match[2] }));
    } else {
      await c.iam.send(new GetRoleCommand({ RoleName: match?.[2] }));
    }
    add("break-glass principal", "ok", `${principal} exists`);
  } catch (err) {
    const missing = errorName(err) === "NoSuchEntityException" || errorName(err) === "NoSuchEntity";
    add(
      "break-glass principal",
      missing ? "fail" : "warn",
      missing ? `${principal} does not exist` : `cannot read ${principal}: ${errorMessage(err)}`,
      fix,
    );
  }
}

/** What the side's functions may run at once against the account's unreserved concurrency. */
async function checkConcurrency(
  c: Clients,
  side: "prod" | "failsafe",
  add: Add,
  features: SideFeatures = {},
): Promise<void> {
  const needed = peakConcurrency(side, features);
  try {
    const settings = await c.lambda.send(new GetAccountSettingsCommand({}));
    const limit = settings.AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? limit;
    const detail = `the ${side === "prod" ? "copy" : "save"} side runs at most ${needed} at once (${sideFunctions(side, features).join(", ")}: event source mapping maxima, a scheduled one at a time, no reserved concurrency); the account has ${unreserved} unreserved of ${limit}`;
    if (unreserved >= needed) {
      add("Lambda concurrency", "ok", detail);
    } else {
      add(
        "Lambda concurrency",
        "warn",
        `${detail}: invocations beyond it are throttled and retried by SQS (a burst drains slower)`,
        "request more: Service Quotas → AWS Lambda → Concurrent executions (L-B99A9384)",
      );
    }
  } catch (err) {
    add(
      "Lambda concurrency",
      "warn",
      `cannot read the Lambda account settings: ${errorMessage(err)}`,
      "run preflight with a principal that may call lambda:GetAccountSettings",
    );
  }
}

/**
 * The manual-snapshot quotas (DescribeAccountAttributes: ManualSnapshots, ManualClusterSnapshots)
 * against what this side will hold: the tagged databases of each kind × the copies kept per
 * database, plus the manual snapshots there already are that are not the program's.
 */
async function checkSnapshotQuota(
  c: Clients,
  tagged: TaggedDatabases,
  perDatabase: number,
  why: string,
  requested: number | undefined,
  add: Add,
): Promise<void> {
  let quotas: { name: string; used: number; max: number }[];
  try {
    const out = await c.rds.send(new DescribeAccountAttributesCommand({}));
    quotas = (out.AccountQuotas ?? []).map((q) => ({
      name: q.AccountQuotaName ?? "",
      used: q.Used ?? 0,
      max: q.Max ?? DEFAULT_MANUAL_SNAPSHOT_QUOTA,
    }));
  } catch (err) {
    add(
      "manual snapshot quota",
      "warn",
      `cannot read the RDS quotas: ${errorMessage(err)}`,
      "run preflight with a principal that may call rds:DescribeAccountAttributes",
    );
    return;
  }
  for (const kind of ["instance", "cluster"] as const) {
    const quota = quotas.find(
      (q) => q.name === (kind === "instance" ? "ManualSnapshots" : "ManualClusterSnapshots"),
    );
    if (!quota) continue;
    const databases = count(tagged, kind);
    const managed = await managedSnapshotCount(c.rds, kind);
    const others = quota.used - managed;
    const needed = others + databases * perDatabase;
    const label = kind === "instance" ? "DB snapshots" : "DB cluster snapshots";
    const code = SNAPSHOT_QUOTA_CODES[kind];
    const detail = `${databases} tagged ${kind === "instance" ? "DB instance(s)" : "cluster(s)"} × ${perDatabase} = ${databases * perDatabase} manual ${label}, plus ${others} there already are: ${needed} of the quota ${quota.max} (${why})`;
    const suggestion = Math.ceil((needed * 1.25) / 50) * 50;
    if (needed > quota.max) {
      const perDay = Math.max(databases, 1);
      const fullInDays = Math.max(0, Math.floor((quota.max - quota.used) / perDay));
      const covered = requested !== undefined && requested >= needed;
      add(
        `manual ${label} quota`,
        covered ? "warn" : "fail",
        `${detail}; at one copy per database a day it is full in about ${fullInDays} days, then copies are refused (SnapshotQuotaExceeded) and land in the DLQ`,
        covered
          ? `requestSnapshotQuota ${requested} is set: check that AWS approved it (Service Quotas → Amazon RDS → ${code}) before the first copies`
          : `set ${PROJECT}:requestSnapshotQuota ${suggestion} (or request ${code}, service rds, in Service Quotas)`,
      );
    } else if (needed > 0.8 * quota.max) {
      add(
        `manual ${label} quota`,
        "warn",
        `${detail}: above 80 %`,
        `set ${PROJECT}:requestSnapshotQuota ${suggestion} (or request ${code} in Service Quotas)`,
      );
    } else {
      add(`manual ${label} quota`, "ok", detail);
    }
  }
}

/**
 * Customer managed keys of tagged databases: can the copy function (and the prod sweep, which
 * copies what events missed) have RDS use the key? Each copy of such a database is otherwise
 * refused by KMS, retried, and parked in the DLQ.
 */
async function checkKeys(
  c: Clients,
  config: StackConfig,
  tagged: TaggedDatabases,
  add: Add,
): Promise<void> {
  const arns = regionArns(config.region);
  const accounts = {
    region: config.region,
    prod: [config.prodAccountId],
    failsafe: config.failsafeAccountId,
  };
  const roles = [
    { arn: arns.role(config.prodAccountId, NAMES.fn.copy), statements: copyStatements(accounts) },
    {
      arn: arns.role(config.prodAccountId, NAMES.fn.prodSweep),
      statements: prodSweepStatements(accounts),
    },
  ];
  const byKey = new Map<string, string[]>();
  for (const db of tagged) {
    if (db.kmsKeyId) byKey.set(db.kmsKeyId, [...(byKey.get(db.kmsKeyId) ?? []), db.id]);
  }
  for (const [keyId, databases] of byKey) {
    // RDS reports the AWS managed key by its ARN (KeyManager AWS), or by the alias it was given.
    if (/(^|:)alias\/aws\//.test(keyId)) {
      add(
        `key of ${databases.join(", ")}`,
        "ok",
        `AWS managed key (${keyId}): the copy is re-encrypted with the transit key`,
      );
      continue;
    }
    let key;
    try {
      key = (await c.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    } catch (err) {
      add(
        `key of ${databases.join(", ")}`,
        "warn",
        `cannot describe ${keyId}: ${errorMessage(err)}`,
        "run preflight with a principal that may call kms:DescribeKey on it",
      );
      continue;
    }
    if (key?.KeyManager === "AWS") {
      add(
        `key of ${databases.join(", ")}`,
        "ok",
        `AWS managed key (aws/rds): the copy is re-encrypted with the transit key`,
      );
      continue;
    }
    const keyArn = key?.Arn ?? keyId;
    let policy: string;
    try {
      policy =
        (await c.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: "default" })))
          .Policy ?? "";
    } catch (err) {
      add(
        `key of ${databases.join(", ")}`,
        "warn",
        `cannot read the policy of ${keyArn}: ${errorMessage(err)}`,
        "run preflight with a principal that may call kms:GetKeyPolicy on it",
      );
      continue;
    }
    const refused: string[] = [];
    for (const role of roles) {
      const checks = await rdsGrantChecks({
        region: config.region,
        account: config.prodAccountId,
        roleArn: role.arn,
        roleStatements: role.statements,
        keyArn,
        keyPolicy: policy,
      });
      for (const check of checks.filter((x) => !x.allowed)) {
        refused.push(`${role.arn.split("/").pop() ?? ""} ${check.action}`);
      }
    }
    if (refused.length === 0) {
      add(`key of ${databases.join(", ")}`, "ok", `${keyArn}: the copy roles may have RDS use it`);
    } else {
      add(
        `key of ${databases.join(", ")}`,
        "fail",
        `${keyArn} (customer managed): its policy and the copy roles' policies do not allow ${refused.join(", ")} through RDS: copies of ${databases.join(", ")} would be refused by KMS, retried and parked in the DLQ`,
        `add to the key policy: ${keyPolicyFix(
          arns.viaService("rds"),
          roles.map((r) => r.arn),
        )}`,
      );
    }
  }
}

/**
 * Names the program gives that already exist and are not this stack's (no Stack tag equal to the
 * stack name): the deploy would fail on them (AlreadyExists). A KMS alias left by a torn-down
 * stack points at a key pending deletion: the usual way a redeploy fails.
 */
async function checkCollisions(
  c: Clients,
  stack: string,
  side: "prod" | "failsafe",
  add: Add,
): Promise<void> {
  const ours = (tags: Record<string, string | undefined>) =>
    tags.Application === PROJECT && tags.Stack === stack;
  const collisions: string[] = [];
  const deployed: string[] = [];
  const judge = (name: string, tags: Record<string, string | undefined>) =>
    (ours(tags) ? deployed : collisions).push(name);
  const failures: string[] = [];
  const attempt = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      failures.push(`${what}: ${errorMessage(err)}`);
    }
  };

  await attempt("KMS aliases", async () => {
    const aliases = (await c.kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    for (const alias of aliases.filter((a) => a.AliasName?.startsWith(`alias/${PROJECT}-`))) {
      const name = alias.AliasName ?? "";
      if (!alias.TargetKeyId) continue;
      const key = (await c.kms.send(new DescribeKeyCommand({ KeyId: alias.TargetKeyId })))
        .KeyMetadata;
      if (key?.KeyState === "PendingDeletion") {
        add(
          `name ${name}`,
          "fail",
          `left by a torn-down stack: it points at key ${alias.TargetKeyId}, pending deletion (deleted on ${key.DeletionDate?.toISOString().slice(0, 10) ?? "?"}); a deploy fails creating ${name} (AlreadyExistsException)${name === NAMES.keyAlias.vault ? ", and the failsafe copies under that key become unreadable once it is deleted" : ""}`,
          name === NAMES.keyAlias.vault
            ? `to keep the copies under it readable, break-glass runs aws kms cancel-key-deletion --key-id ${alias.TargetKeyId} && aws kms enable-key --key-id ${alias.TargetKeyId}; then (either way) aws kms delete-alias --alias-name ${name}: the deploy creates a new vault key and alias (docs/deploy.md, "Tear down")`
            : `aws kms delete-alias --alias-name ${name} (a new key is created), or cancel the key's deletion and pulumi import both (docs/deploy.md)`,
        );
        continue;
      }
      const tags = Object.fromEntries(
        (
          (await c.kms.send(new ListResourceTagsCommand({ KeyId: alias.TargetKeyId }))).Tags ?? []
        ).map((t) => [t.TagKey ?? "", t.TagValue]),
      );
      judge(name, tags);
    }
  });
  await attempt("IAM roles and Lambda functions", async () => {
    for (const fn of Object.values(NAMES.fn)) {
      try {
        const role = (await c.iam.send(new GetRoleCommand({ RoleName: fn }))).Role;
        judge(
          `role ${fn}`,
          Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key ?? "", t.Value])),
        );
      } catch (err) {
        if (!/NoSuchEntity/.test(errorName(err))) throw err;
      }
      try {
        const found = await c.lambda.send(new GetFunctionCommand({ FunctionName: fn }));
        const arn = found.Configuration?.FunctionArn ?? "";
        const tags =
          (await c.lambda.send(new ListFunctionTagsCommand({ Resource: arn }))).Tags ?? {};
        judge(`function ${fn}`, tags);
      } catch (err) {
        if (errorName(err) !== "ResourceNotFoundException") throw err;
      }
    }
  });
  await attempt("SQS queues", async () => {
    const urls =
      (await c.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${PROJECT}-` }))).QueueUrls ?? [];
    for (const url of urls) {
      const tags = (await c.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
      judge(`queue ${url.split("/").pop() ?? url}`, tags);
    }
  });
  await attempt("SNS topics", async () => {
    for await (const page of paginateListTopics({ client: c.sns }, {})) {
      for (const topic of page.Topics ?? []) {
        const arn = topic.TopicArn ?? "";
        if (!arn.split(":").pop()?.startsWith(`${PROJECT}-`)) continue;
        const tags = (await c.sns.send(new ListTopicTagsCommand({ ResourceArn: arn }))).Tags ?? [];
        judge(
          `topic ${arn.split(":").pop() ?? arn}`,
          Object.fromEntries(tags.map((t): [string, string | undefined] => [t.Key ?? "", t.Value])),
        );
      }
    }
  });
  await attempt("EventBridge rules", async () => {
    const rules =
      (await c.events.send(new ListRulesCommand({ NamePrefix: `${PROJECT}-` }))).Rules ?? [];
    for (const rule of rules) {
      const tags =
        (await c.events.send(new ListRuleTagsCommand({ ResourceARN: rule.Arn }))).Tags ?? [];
      judge(`rule ${rule.Name ?? ""}`, Object.fromEntries(tags.map((t) => [t.Key ?? "", t.Value])));
    }
  });
  await attempt("log groups", async () => {
    const groups =
      (
        await c.logs.send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${PROJECT}-` }),
        )
      ).logGroups ?? [];
    for (const group of groups) {
      const arn = (group.arn ?? "").replace(/:\*$/, "");
      const tags = (await c.logs.send(new ListLogTagsCommand({ resourceArn: arn }))).tags ?? {};
      judge(`log group ${group.logGroupName ?? ""}`, tags);
    }
  });
  if (collisions.length > 0) {
    add(
      "existing names",
      "fail",
      `${collisions.length} name(s) the ${side === "prod" ? "copy" : "save"} side creates already exist and are not stack ${stack}'s: ${collisions.join(", ")}`,
      "delete them, or pulumi import them into the stack (a deploy fails with AlreadyExists on each)",
    );
  } else {
    add(
      "existing names",
      "ok",
      deployed.length > 0
        ? `${deployed.length} of the program's names exist, all tagged as stack ${stack}'s (deployed)`
        : "none of the program's names (rds-failsafe-*, alias/rds-failsafe-*) is taken",
    );
  }
  for (const failure of failures) {
    add(
      "existing names",
      "warn",
      `could not list ${failure}`,
      "run preflight with a principal that may list them",
    );
  }
}

// ---------------------------------------------------------------------------------------------

async function taggedDatabases(rds: RDSClient, config: StackConfig): Promise<TaggedDatabase[]> {
  const found: TaggedDatabase[] = [];
  const selected = (tags: { Key?: string; Value?: string }[] | undefined) =>
    isSelected(toTags(tags), config.selectionTagKey, config.selectionTagValue);
  for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
    for (const db of page.DBInstances ?? []) {
      // Aurora members back up as their cluster.
      if (db.DBClusterIdentifier || !selected(db.TagList)) continue;
      found.push({
        kind: "instance",
        id: db.DBInstanceIdentifier ?? "",
        backupRetentionPeriod: db.BackupRetentionPeriod ?? 0,
        ...(db.StorageEncrypted && db.KmsKeyId ? { kmsKeyId: db.KmsKeyId } : {}),
      });
    }
  }
  for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {})) {
    for (const db of page.DBClusters ?? []) {
      if (!selected(db.TagList)) continue;
      found.push({
        kind: "cluster",
        id: db.DBClusterIdentifier ?? "",
        backupRetentionPeriod: db.BackupRetentionPeriod ?? 0,
        ...(db.StorageEncrypted && db.KmsKeyId ? { kmsKeyId: db.KmsKeyId } : {}),
      });
    }
  }
  return found;
}

async function managedSnapshotCount(rds: RDSClient, kind: SnapshotKind): Promise<number> {
  let n = 0;
  if (kind === "instance") {
    for await (const page of paginateDescribeDBSnapshots(
      { client: rds, pageSize: 100 },
      { SnapshotType: "manual" },
    )) {
      for (const s of page.DBSnapshots ?? []) {
        if (
          isManagedSnapshotId("instance", s.DBSnapshotIdentifier ?? "") &&
          isManagedTagged(toTags(s.TagList))
        )
          n += 1;
      }
    }
  } else {
    for await (const page of paginateDescribeDBClusterSnapshots(
      { client: rds, pageSize: 100 },
      { SnapshotType: "manual" },
    )) {
      for (const s of page.DBClusterSnapshots ?? []) {
        if (
          isManagedSnapshotId("cluster", s.DBClusterSnapshotIdentifier ?? "") &&
          isManagedTagged(toTags(s.TagList))
        )
          n += 1;
      }
    }
  }
  return n;
}

/**
 * Copies retention keeps of one database in steady state: the retention plan (handlers/
 * retention.ts) applied to a year and more of daily copies, so whatever rules it has (tiers
 * included) are counted as the handlers apply them.
 */
export function copiesKeptPerDatabase(
  config: Pick<StackConfig, "retentionDays" | "minCopies" | "freezeAfterHours"> &
    Partial<Pick<StackConfig, "keepWeekly" | "keepMonthly">>,
): number {
  const now = new Date("2030-01-01T05:00:00Z");
  const days = Math.max(800, config.retentionDays * 2 + 10);
  const copies = Array.from({ length: days }, (_, i) => ({
    id: `failsafe-db-${i}`,
    time: new Date(now.getTime() - i * 86_400_000),
    available: true,
    managed: true,
  }));
  return planRetention(copies, now, config).filter((d) => d.action === "keep").length;
}

/**
 * The key-policy statements that let the copy roles have RDS use a key: kms:CreateGrant only for
 * AWS resources, and kms:DescribeKey in its own statement (kms:GrantIsForAWSResource is not in
 * a DescribeKey request, so a Bool condition on it would never match there).
 */
export function keyPolicyFix(viaRds: string, roles: readonly string[]): string {
  return JSON.stringify([
    {
      Sid: "RdsFailsafeCopiesGrant",
      Effect: "Allow",
      Principal: { AWS: [...roles] },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: {
        StringEquals: { "kms:ViaService": viaRds },
        Bool: { "kms:GrantIsForAWSResource": "true" },
      },
    },
    {
      Sid: "RdsFailsafeCopiesDescribe",
      Effect: "Allow",
      Principal: { AWS: [...roles] },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": viaRds } },
    },
  ]);
}

function count(dbs: TaggedDatabases, kind: SnapshotKind): number {
  return dbs.filter((d) => d.kind === kind).length;
}

function toTags(list: { Key?: string; Value?: string }[] | undefined): Tags {
  return Object.fromEntries((list ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}
