/**
 * Evaluates the Pulumi program under mocks, in its own process (Pulumi config must be in place
 * before the program first touches @pulumi/pulumi, so each stack mode needs a fresh process).
 *
 *   ts-node test/program/evaluate.ts '<config json>' <outDir> [stack] [update|preview]
 *
 * Writes <outDir>/resources.json (every resource: type, name, parent type, provider, inputs, and
 * the dependencies Pulumi recorded for it), <outDir>/outputs.json, and each CallbackFunction's
 * archive under <outDir>/archives/<function>/. Mocks answer like AWS would for the values the
 * program reads back (ARNs, URLs, ids), in the account of the resource's provider.
 *
 * `preview` runs the program as `pulumi preview` of a new stack does: every value a provider
 * computes (ids, ARNs, URLs, key ids) is unknown, so is every input built from one. Unknown
 * values are recorded as Pulumi's unknown sentinel, the value the engine hands a policy pack.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const [configJson = "{}", outDir = "bin/evaluate", stack = "test", phase = "update"] =
  process.argv.slice(2);
const preview = phase === "preview";
const started = Date.now();
const config = JSON.parse(configJson) as Record<string, string>;
process.env.PULUMI_CONFIG = JSON.stringify(
  Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `rds-failsafe:${k}`, v]),
  ),
);

// eslint-disable-next-line @typescript-eslint/no-require-imports
import pulumi = require("@pulumi/pulumi");
// eslint-disable-next-line @typescript-eslint/no-require-imports
import partitions = require("../../handlers/partition");

/** What the engine sends a policy pack for a value not known yet (rpc.ts unknownValue). */
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Recorded {
  type: string;
  name: string;
  /** As Pulumi builds it: the types of every ancestor component, `$`-joined, then the type. */
  urn: string;
  /** The parent component's URN, when it has one. */
  parent?: string;
  parentType?: string;
  provider?: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  /** Resource options the lifecycle tests read (protect, retainOnDelete, aliases). */
  protect?: boolean;
  retainOnDelete?: boolean;
  aliases?: unknown[];
  /** URNs this resource depends on, and per input property the URNs its value came from. */
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

const resources: Recorded[] = [];
const parents = new Map<string, { type: string; name: string } | undefined>();
/** Each provider's account (allowedAccountIds) and region: a DR-region provider has its own. */
const providerAccounts = new Map<string, { account: string; region?: string }>();
let counter = 0;

function providerOf(provider: string | undefined): { account: string; region: string } {
  // provider refs look like urn:pulumi:stack::project::pulumi:providers:aws::<name>::<id>
  const name = provider?.split("::")[3];
  const known = name ? providerAccounts.get(name) : undefined;
  return {
    account: known?.account || "000000000000",
    region: known?.region ?? config.region ?? "eu-west-1",
  };
}

/**
 * What AWS would give back for the attributes the program reads, in the partition of the
 * resource's region (`arn:aws-cn:…`, `sqs.cn-north-1.amazonaws.com.cn`), as AWS answers there.
 */
function synthesize(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  where: { account: string; region: string },
) {
  const { account, region } = where;
  const p = partitions.partitionOf(region);
  const id = `${name}-${(counter += 1)}`;
  const physical = (inputs.name as string | undefined) ?? id;
  const state: Record<string, unknown> = { ...inputs };
  switch (type) {
    case "aws:kms/key:Key":
      // From the key's account and name, not a counter: two evaluations of one program give
      // the same key the same id (test/program/lifecycle.test.ts compares them).
      state.keyId = `00000000-0000-0000-0000-${createHash("sha256").update(`${account}/${name}`).digest("hex").slice(0, 12)}`;
      state.arn = `arn:${p}:kms:${region}:${account}:key/${state.keyId as string}`;
      break;
    case "aws:sns/topic:Topic":
      state.arn = `arn:${p}:sns:${region}:${account}:${physical}`;
      break;
    case "aws:sqs/queue:Queue":
      state.arn = `arn:${p}:sqs:${region}:${account}:${physical}`;
      state.url = `https://sqs.${region}.${partitions.dnsSuffixOf(region)}/${account}/${physical}`;
      break;
    case "aws:iam/role:Role":
      state.arn = `arn:${p}:iam::${account}:role/${physical}`;
      break;
    case "aws:lambda/function:Function":
      state.arn = `arn:${p}:lambda:${region}:${account}:function:${physical}`;
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      state.arn = `arn:${p}:logs:${region}:${account}:log-group:${physical}`;
      break;
    case "aws:cloudwatch/eventRule:EventRule":
      state.arn = `arn:${p}:events:${region}:${account}:rule/${physical}`;
      break;
    case "aws:organizations/policy:Policy": {
      // Organizations policy ids are p-<8 to 128 lowercase letters or digits>.
      state.id = `p-${String(counter).padStart(8, "0")}`;
      const kind = String(inputs.type).toLowerCase();
      state.arn = `arn:${p}:organizations::${account}:policy/o-mock/${kind}/${state.id as string}`;
      return { id: state.id as string, state };
    }
    default:
      // An input named arn (a TopicPolicy's topic) is the resource's arn output too.
      if (!("arn" in inputs)) state.arn = `arn:${p}:mock:${region}:${account}:${physical}`;
  }
  if (preview) {
    // A create in a preview: the provider answers the inputs; what it computes is unknown.
    const planned: Record<string, unknown> = { ...inputs };
    for (const key of Object.keys(state)) {
      if (!(key in inputs)) planned[key] = UNKNOWN_SENTINEL;
    }
    return { id: undefined, state: planned };
  }
  return { id: type === "aws:iam/role:Role" ? physical : id, state };
}

/**
 * The dependencies Pulumi sends with each registration (what the engine gives a stack policy as
 * `dependencies`/`propertyDependencies`), keyed by type and name. The mock monitor's URNs name
 * only the immediate parent's type; they are mapped to full URNs once every parent is known.
 */
const requested = new Map<string, { dependencies: string[]; properties: Map<string, string[]> }>();
function recordDependencies(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, callback: unknown) => unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const properties = new Map<string, string[]>();
    req
      .getPropertydependenciesMap()
      .forEach((deps, key) => properties.set(key, deps.getUrnsList()));
    requested.set(`${req.getType()}::${req.getName()}`, {
      dependencies: req.getDependenciesList(),
      properties,
    });
    return register(req, callback);
  };
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(f: (deps: { getUrnsList(): string[] }, key: string) => void): void;
  };
}

/** A mock monitor URN (`…::<parent type>$<type>::<name>`) as the full URN urnOf builds. */
function fullUrn(mockUrn: string): string {
  const parts = mockUrn.split("::");
  const type = parts[2]?.split("$").pop() ?? "";
  return urnOf(type, parts.slice(3).join("::"));
}

void pulumi.runtime.setMocks(
  {
    newResource(args) {
      if (args.type === "pulumi:providers:aws") {
        // The engine hands providers their nested inputs JSON-encoded; decode them for the record.
        for (const [k, v] of Object.entries(args.inputs as Record<string, unknown>)) {
          if (typeof v === "string" && /^[[{]/.test(v)) {
            (args.inputs as Record<string, unknown>)[k] = JSON.parse(v) as unknown;
          }
        }
        const ids = args.inputs.allowedAccountIds as string[] | undefined;
        const region = args.inputs.region as string | undefined;
        providerAccounts.set(args.name, { account: ids?.[0] ?? "", region });
      }
      if (args.type === "pulumi:pulumi:StackReference") {
        const outputs = JSON.parse(process.env.MOCK_STACK_OUTPUTS ?? "{}") as Record<
          string,
          unknown
        >;
        return { id: args.name, state: { name: args.name, outputs } };
      }
      const result = synthesize(
        args.type,
        args.name,
        args.inputs as Record<string, unknown>,
        providerOf(args.provider),
      );
      resources.push({
        type: args.type,
        name: args.name,
        urn: urnOf(args.type, args.name),
        parent: parentUrn(args.type, args.name),
        parentType: parents.get(`${args.type}::${args.name}`)?.type,
        provider: args.provider?.split("::")[3],
        inputs: args.inputs as Record<string, unknown>,
        state: result.state,
        ...(lifecycle.get(`${args.type}::${args.name}`) ?? {}),
      });
      return result;
    },
    call(args) {
      throw new Error(`the program made a call the mocks do not know: ${args.token}`);
    },
  },
  "rds-failsafe",
  stack,
  preview,
);
recordDependencies();

/** protect / retainOnDelete / aliases per resource, as the program set them (transformation). */
const lifecycle = new Map<
  string,
  { protect?: boolean; retainOnDelete?: boolean; aliases?: unknown[] }
>();

/** An alias as plain data: a URN string, or { name, type, parent type and name }. */
function plainAlias(alias: unknown): unknown {
  if (typeof alias === "string" || !alias || typeof alias !== "object") {
    return alias;
  }
  const a = alias as {
    name?: string;
    type?: string;
    parent?: { __pulumiType?: string; __name?: string };
  };
  return {
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.type !== undefined ? { type: a.type } : {}),
    ...(a.parent ? { parentType: a.parent.__pulumiType, parentName: a.parent.__name } : {}),
  };
}

function parentUrn(type: string, name: string): string | undefined {
  const p = parents.get(`${type}::${name}`);
  return p ? urnOf(p.type, p.name) : undefined;
}

function urnOf(type: string, name: string): string {
  const chain = [type];
  for (let p = parents.get(`${type}::${name}`); p; p = parents.get(`${p.type}::${p.name}`)) {
    chain.unshift(p.type);
  }
  return `urn:pulumi:${stack}::rds-failsafe::${chain.join("$")}::${name}`;
}

async function main(): Promise<void> {
  // As the Pulumi runtime does: the program runs inside the root stack resource.
  const program = (await pulumi.runtime.runInPulumiStack(async () => {
    // Record each resource's parent component type (mock resource args do not carry it).
    pulumi.runtime.registerStackTransformation((args) => {
      const parent = args.opts.parent as { __pulumiType?: string; __name?: string } | undefined;
      parents.set(
        `${args.type}::${args.name}`,
        parent?.__pulumiType && parent.__pulumiType !== "pulumi:pulumi:Stack"
          ? { type: parent.__pulumiType, name: parent.__name ?? "" }
          : undefined,
      );
      const opts = args.opts as {
        protect?: boolean;
        retainOnDelete?: boolean;
        aliases?: unknown[];
      };
      lifecycle.set(`${args.type}::${args.name}`, {
        ...(opts.protect !== undefined ? { protect: opts.protect } : {}),
        ...(opts.retainOnDelete !== undefined ? { retainOnDelete: opts.retainOnDelete } : {}),
        ...(opts.aliases?.length ? { aliases: opts.aliases.map(plainAlias) } : {}),
      });
      return undefined;
    });
    return (await import("../../index")) as Record<string, unknown>;
  })) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program ?? {})) {
    outputs[key] = await resolve(value);
  }
  // Serialization of Lambda code finishes after the constructors: wait until registrations stop.
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  fs.mkdirSync(path.join(outDir, "archives"), { recursive: true });
  const plain: unknown[] = [];
  for (const r of resources) {
    if (r.type === "aws:lambda/function:Function") {
      await writeArchive(r.inputs.code, path.join(outDir, "archives", String(r.inputs.name)));
    }
    const deps = requested.get(`${r.type}::${r.name}`);
    plain.push({
      ...r,
      inputs: await plainValue(r.inputs),
      state: await plainValue(r.state),
      ...(deps
        ? {
            dependencies: deps.dependencies.map(fullUrn),
            propertyDependencies: Object.fromEntries(
              [...deps.properties].map(([k, urns]) => [k, urns.map(fullUrn)]),
            ),
          }
        : {}),
    });
  }
  fs.writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(plain, null, 2));
  fs.writeFileSync(path.join(outDir, "outputs.json"), JSON.stringify(outputs, null, 2));
  fs.writeFileSync(
    path.join(outDir, "timing.json"),
    JSON.stringify({ evaluationMs: Date.now() - started }),
  );
}

async function resolve(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    // In a preview an unknown output never calls apply's callback.
    const known = await (value as unknown as { isKnown: Promise<boolean> }).isKnown;
    if (!known) return UNKNOWN_SENTINEL;
    return resolve(await new Promise((r) => value.apply((v) => r(v))));
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map(resolve));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)])),
    );
  }
  return value;
}

function isAsset(value: unknown): boolean {
  return pulumi.asset.Archive.isInstance(value) || pulumi.asset.Asset.isInstance(value);
}

/** Inputs as JSON: assets become a marker (the archive is written separately). */
async function plainValue(value: unknown): Promise<unknown> {
  if (pulumi.isUnknown(value)) {
    return UNKNOWN_SENTINEL;
  }
  if (isAsset(value)) {
    return "<asset>";
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map(plainValue));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await plainValue(v)])),
    );
  }
  return value;
}

async function writeArchive(code: unknown, dir: string): Promise<void> {
  const archive = code as { assets?: Promise<Record<string, unknown>> | Record<string, unknown> };
  const assets = (await archive.assets) ?? {};
  for (const [name, asset] of Object.entries(assets)) {
    const target = path.join(dir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const a = asset as { text?: Promise<string>; path?: Promise<string> };
    const text = await a.text;
    if (text !== undefined) {
      fs.writeFileSync(target, text);
      continue;
    }
    const source = await a.path;
    if (source !== undefined) {
      fs.cpSync(source, target, { recursive: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
