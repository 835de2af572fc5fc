// Every handler: an explicit role, a supported Node.js runtime, a short timeout, bounded
// concurrency (RDS allows ~20 copies in flight) and logs that expire (DESIGN.md).
import * as aws from "@pulumi/aws";
import {
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import {
  configWithDefaults,
  isRecord,
  isSet,
  knownString,
  readKnown,
  referencedResources,
  UNKNOWN,
} from "./util";

const FUNCTION = "aws:lambda/function:Function";
const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
const PERMISSION = "aws:lambda/permission:Permission";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

export const lambdaExplicitRole: ResourceValidationPolicy = {
  name: "lambda-explicit-role",
  description: "Checks whether every Lambda function is given an execution role.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.lambda.Function, (_fn, args, reportViolation) => {
    if (!isSet(args.props, "role")) {
      reportViolation("Lambda function must set role to its own least-privilege execution role");
    }
  }),
};

export interface LambdaRuntimeConfig {
  allowedRuntimes: string[];
}

export const LAMBDA_RUNTIME_DEFAULTS: LambdaRuntimeConfig = {
  // nodejs20.x reaches end of support in April 2026 (Lambda runtimes, deprecation schedule).
  allowedRuntimes: ["nodejs22.x", "nodejs24.x"],
};

export const lambdaSupportedRuntime: ResourceValidationPolicy = {
  name: "lambda-supported-runtime",
  description:
    "Checks whether every zip-packaged Lambda function runs on a supported Node.js runtime.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedRuntimes: {
        type: "array",
        items: { type: "string" },
        minItems: 1,
        default: LAMBDA_RUNTIME_DEFAULTS.allowedRuntimes,
        description: "Lambda runtime identifiers accepted (e.g. nodejs22.x).",
      },
    },
  },
  validateResource: validateResourceOfType(aws.lambda.Function, (fn, args, reportViolation) => {
    if (fn.packageType === "Image") args.notApplicable("Container image functions have no runtime");
    const { allowedRuntimes } = configWithDefaults(args, LAMBDA_RUNTIME_DEFAULTS);
    const runtime = fn.runtime;
    if (runtime === undefined || !allowedRuntimes.includes(runtime)) {
      reportViolation(
        `Lambda function must use one of the runtimes ${allowedRuntimes.join(", ")} (is ${runtime ?? "unset"})`,
      );
    }
  }),
};

export interface LambdaTimeoutConfig {
  maximumTimeoutSeconds: number;
}

export const LAMBDA_TIMEOUT_DEFAULTS: LambdaTimeoutConfig = { maximumTimeoutSeconds: 60 };

export const lambdaTimeout: ResourceValidationPolicy = {
  name: "lambda-timeout",
  description:
    "Checks whether every Lambda function's timeout is at most the configured maximum (default 60 s).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maximumTimeoutSeconds: {
        type: "integer",
        minimum: 1,
        maximum: 900,
        default: LAMBDA_TIMEOUT_DEFAULTS.maximumTimeoutSeconds,
        description: "Largest timeout accepted, in seconds.",
      },
    },
  },
  validateResource: validateResourceOfType(aws.lambda.Function, (fn, args, reportViolation) => {
    const { maximumTimeoutSeconds } = configWithDefaults(args, LAMBDA_TIMEOUT_DEFAULTS);
    // Unset is Lambda's default of 3 s. CallbackFunction sets 180 s unless told otherwise.
    if (fn.timeout !== undefined && fn.timeout > maximumTimeoutSeconds) {
      reportViolation(
        `Lambda function must have a timeout of at most ${maximumTimeoutSeconds} seconds (is ${fn.timeout})`,
      );
    }
  }),
};

/** Does a function reference (name, ARN or qualified ARN) name `fn`? */
function namesFunction(reference: string, fn: PolicyResource): boolean {
  const name = knownString(fn, "name");
  const arn = knownString(fn, "arn");
  return (
    reference === arn ||
    reference === name ||
    (name !== undefined && /:function:([^:]+)(:[^:]+)?$/.exec(reference)?.[1] === name)
  );
}

function referencing(
  resources: readonly PolicyResource[],
  type: string,
  key: string,
  fn: PolicyResource,
): PolicyResource[] {
  return resources
    .filter((r) => r.type === type)
    .filter((r) => referencedResources(r, key, [fn], namesFunction).length > 0);
}

function hasMaximumConcurrency(mapping: PolicyResource): boolean {
  if (!("scalingConfig" in mapping.props)) return false;
  const scaling = readKnown(() => mapping.props["scalingConfig"] as unknown);
  if (scaling === UNKNOWN) return true;
  if (!isRecord(scaling)) return false;
  const maximum = readKnown(() => scaling["maximumConcurrency"]);
  return maximum === UNKNOWN || (typeof maximum === "number" && maximum >= 2);
}

export interface LambdaConcurrencyConfig {
  reservedConcurrencyAllowed: boolean;
}

export const LAMBDA_CONCURRENCY_DEFAULTS: LambdaConcurrencyConfig = {
  // Reserving concurrency needs an account quota of 100 + the reservation: Lambda keeps 100
  // unreserved ("Configuring reserved concurrency", Lambda developer guide), and a new account
  // starts at 10. A program that reserves cannot be deployed there, so by default only event
  // source mappings count as a bound.
  reservedConcurrencyAllowed: false,
};

export const lambdaBoundedConcurrency: StackValidationPolicy = {
  name: "lambda-bounded-concurrency",
  description:
    "Checks whether every Lambda function's concurrency is bounded: it is invoked only through event source mappings that set scalingConfig.maximumConcurrency (or, when reservedConcurrencyAllowed, reservedConcurrentExecutions ≥ 1).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      reservedConcurrencyAllowed: {
        type: "boolean",
        default: LAMBDA_CONCURRENCY_DEFAULTS.reservedConcurrencyAllowed,
        description:
          "Accept reservedConcurrentExecutions ≥ 1 as a bound (it needs an account concurrency quota above 100; a new account has 10).",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const { reservedConcurrencyAllowed } = configWithDefaults(args, LAMBDA_CONCURRENCY_DEFAULTS);
    for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
      const reserved = readKnown(() => fn.props["reservedConcurrentExecutions"] as unknown);
      const reserves = reserved === UNKNOWN || (typeof reserved === "number" && reserved >= 1);
      if (reserves && reservedConcurrencyAllowed) continue;
      const mappings = referencing(args.resources, EVENT_SOURCE_MAPPING, "functionName", fn);
      // A lambda.Permission lets a service (EventBridge, SNS, …) invoke it directly, unbounded.
      const permissions = referencing(args.resources, PERMISSION, "function", fn);
      const boundedByMappings =
        mappings.length > 0 && permissions.length === 0 && mappings.every(hasMaximumConcurrency);
      if (reserves && !boundedByMappings) {
        reportViolation(
          `Lambda function "${fn.name}" must bound its concurrency with event source mappings that set scalingConfig.maximumConcurrency, not reservedConcurrentExecutions (a new account's concurrency quota of 10 cannot grant a reservation: Lambda keeps 100 unreserved)`,
          fn.urn,
        );
      } else if (!boundedByMappings) {
        reportViolation(
          `Lambda function "${fn.name}" must bound its concurrency (only event source mappings with scalingConfig.maximumConcurrency${reservedConcurrencyAllowed ? ", or reservedConcurrentExecutions ≥ 1" : ""})`,
          fn.urn,
        );
      }
    }
  },
};

function logGroupsOf(fn: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
  const groups = resources.filter((r) => r.type === LOG_GROUP);
  const found = new Set<PolicyResource>();
  // loggingConfig.logGroup, when the function logs to a group of its own choosing.
  for (const dep of fn.propertyDependencies["loggingConfig"] ?? []) {
    if (groups.includes(dep)) found.add(dep);
  }
  const logging = readKnown(() => fn.props["loggingConfig"] as unknown);
  const custom = isRecord(logging) ? readKnown(() => logging["logGroup"]) : undefined;
  const name = knownString(fn, "name");
  const expected = typeof custom === "string" && custom !== "" ? custom : `/aws/lambda/${name}`;
  for (const group of groups) {
    if (
      (name !== undefined || typeof custom === "string") &&
      knownString(group, "name") === expected
    ) {
      found.add(group);
    }
    // `/aws/lambda/${fn.name}` built from the function's output: known by dependency in a preview.
    if ((group.propertyDependencies["name"] ?? []).includes(fn)) found.add(group);
  }
  return [...found];
}

export const lambdaLogRetention: StackValidationPolicy = {
  name: "lambda-log-retention",
  description:
    "Checks whether every Lambda function logs to a CloudWatch log group of this stack (/aws/lambda/<name> or its loggingConfig.logGroup) that sets retentionInDays.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
      const groups = logGroupsOf(fn, args.resources);
      if (groups.length === 0) {
        reportViolation(
          `Lambda function "${fn.name}" must have a log group in this stack (/aws/lambda/<function name> or loggingConfig.logGroup) with retentionInDays set`,
          fn.urn,
        );
        continue;
      }
      for (const group of groups) {
        const retention = readKnown(() => group.props["retentionInDays"] as unknown);
        // 0 is "never expire" in the CloudWatch Logs API.
        if (retention !== UNKNOWN && !(typeof retention === "number" && retention > 0)) {
          reportViolation(
            `Log group "${group.name}" of Lambda function "${fn.name}" must set retentionInDays`,
            group.urn,
          );
        }
      }
    }
  },
};
