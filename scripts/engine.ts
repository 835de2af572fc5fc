/**
 * `npm run engine`: the real Pulumi engine over this program, on a local file backend, with the
 * policy pack (docs/engine.md).
 *
 * 1. Builds, or reuses from .cache/engine/bin (git-ignored), the Pulumi CLI and the Node language
 *    host from the Go module proxy, and the stand-in `aws` provider plugin of test/engine/.
 * 2. In a fresh copy of the working tree (`pulumi stack init` and `config set` rewrite stack
 *    files), runs for `failsafe`, then `prod` (with failsafeStack = the local failsafe stack) and a
 *    `both` stack: preview → up → preview, each with `--policy-pack`.
 * 3. Tears the stacks down as the README says, and checks the vault key is left in place.
 *
 * Checked per stack and printed as one line each: every command's exit code; the resources in
 * the state equal what the mocks evaluator registers for the same config (test/program/support.ts);
 * 0 mandatory policy violations; U, the "can't run policy … during preview" messages, is 0
 * (ENGINE_ALLOW_UNCHECKED=1 reports it instead); 0 changes on the preview after `up`; the
 * StackReference is read and checked, and a wrong account fails with one readable error line.
 *
 * Environment: ENGINE_CACHE_DIR (default .cache/engine), ENGINE_ALLOW_UNCHECKED=1, GOMODCACHE and
 * GOCACHE as Go reads them (a fresh machine = empty ones).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { NAMES } from "../components/names";
import { evaluateProgram } from "../test/program/support";
import { lambdaNodeBinary } from "../test/support/node22";

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.resolve(process.env.ENGINE_CACHE_DIR ?? path.join(ROOT, ".cache", "engine"));
const BIN = path.join(CACHE, "bin");
const RUN = path.join(CACHE, "run");
const PROJECT = path.join(RUN, "project");
const LOGS = path.join(RUN, "logs");

/** The CLI: the newest pkg/v3 on the Go module proxy when this was written (issue 11). */
const CLI_VERSION = "v3.276.0";
/** The newest sdk/v3 that still contains nodejs/cmd/pulumi-language-nodejs (the proxy refuses the
 * module it moved to). */
const LANGUAGE_HOST_VERSION = "v3.68.0";
const AWS_VERSION = readJson<{ version: string }>(
  path.join(ROOT, "node_modules", "@pulumi", "aws", "package.json"),
).version;
const PROJECT_NAME = "rds-failsafe";
/** The file backend's stack references: organization/<project>/<stack>. */
const stackRef = (stack: string) => `organization/${PROJECT_NAME}/${stack}`;
const POLICY_ARGS = [
  "--policy-pack",
  path.join(ROOT, "policy", "analyzer.sh"),
  "--policy-pack-config",
  path.join(ROOT, "policy", "config.example.json"),
];
const UNCHECKED = "can't run policy";
const allowUnchecked = process.env.ENGINE_ALLOW_UNCHECKED === "1";

const timings: [string, number][] = [];
const failures: string[] = [];
const started = Date.now();

class CommandFailed extends Error {}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function say(line: string): void {
  console.log(`engine: ${line}`);
}

function check(ok: boolean, what: string): boolean {
  if (!ok) {
    failures.push(what);
    say(`FAIL ${what}`);
  }
  return ok;
}

function timed<T>(phase: string, fn: () => T): T {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    timings.push([phase, (Date.now() - t0) / 1000]);
  }
}

interface Result {
  readonly status: number;
  readonly output: string;
  readonly log: string;
}

let commandCount = 0;

/** Runs a command with its output in a log file; throws with the log's tail unless allowed to fail. */
function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; label?: string } = {},
): Result {
  fs.mkdirSync(LOGS, { recursive: true });
  commandCount += 1;
  const label = (opts.label ?? [path.basename(command), ...args.slice(0, 2)].join("-")).replace(
    /[^\w.-]+/g,
    "_",
  );
  const log = path.join(LOGS, `${String(commandCount).padStart(2, "0")}-${label}.log`);
  const fd = fs.openSync(log, "w");
  const result = spawnSync(command, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    stdio: ["ignore", fd, fd],
  });
  fs.closeSync(fd);
  const output = fs.readFileSync(log, "utf8");
  const status = result.status ?? (result.error ? 127 : 1);
  if (status !== 0 && !opts.allowFailure) {
    const tail = output.trimEnd().split("\n").slice(-40).join("\n");
    throw new CommandFailed(
      `${command} ${args.join(" ")} exited with ${status}${result.error ? ` (${result.error.message})` : ""} (log ${log}):\n${tail}`,
    );
  }
  return { status, output, log };
}

// --- build ------------------------------------------------------------------------------------

const goEnv: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: "on", GOFLAGS: "-buildvcs=false" };

function goVersion(): string {
  return run("go", ["env", "GOVERSION"], { env: goEnv }).output.trim();
}

/** `go mod download` of one module; returns its (read-only) folder in the module cache. */
function moduleDir(module: string, version: string): string {
  const out = run("go", ["mod", "download", "-json", `${module}@${version}`], {
    cwd: CACHE,
    env: goEnv,
    allowFailure: true,
  });
  const info = JSON.parse(out.output.slice(out.output.indexOf("{"))) as {
    Dir?: string;
    Error?: string;
  };
  if (!info.Dir) {
    throw new CommandFailed(`go mod download ${module}@${version}: ${info.Error ?? out.output}`);
  }
  return info.Dir;
}

/** A writable copy of module folders (the module cache is read-only). */
function writableCopy(name: string, folders: Record<string, string>): string {
  const dir = path.join(CACHE, "src", name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [sub, from] of Object.entries(folders)) {
    fs.cpSync(from, path.join(dir, sub), { recursive: true });
  }
  const makeWritable = (p: string) => {
    const stat = fs.statSync(p);
    fs.chmodSync(p, stat.mode | 0o200);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) makeWritable(path.join(p, entry));
    }
  };
  makeWritable(dir);
  return dir;
}

/** Reuses `bin` when its stamp says it was built from `key`; else builds it (atomically). */
function cached(
  phase: string,
  bin: string,
  key: string,
  build: (out: string) => void,
): { path: string; built: boolean } {
  const stamp = `${bin}.key`;
  if (fs.existsSync(bin) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === key) {
    timings.push([`${phase} (cached)`, 0]);
    return { path: bin, built: false };
  }
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  timed(phase, () => build(tmp));
  fs.renameSync(tmp, bin);
  fs.writeFileSync(stamp, key);
  return { path: bin, built: true };
}

function buildAll(): { standIn: string; node: string | undefined } {
  fs.mkdirSync(BIN, { recursive: true });
  const go = goVersion();
  cached("build pulumi CLI", path.join(BIN, "pulumi"), `${CLI_VERSION} ${go}`, (out) => {
    // `go install …@version` refuses pkg/v3 (its go.mod replaces sdk/v3 with ../sdk): build it
    // from the two modules side by side, as the Pulumi repository lays them out.
    const src = writableCopy(`pulumi-${CLI_VERSION}`, {
      pkg: moduleDir("github.com/pulumi/pulumi/pkg/v3", CLI_VERSION),
      sdk: moduleDir("github.com/pulumi/pulumi/sdk/v3", CLI_VERSION),
    });
    run(
      "go",
      [
        "build",
        "-o",
        out,
        "-ldflags",
        `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${CLI_VERSION}`,
        "./cmd/pulumi",
      ],
      { cwd: path.join(src, "pkg"), env: goEnv, label: "go-build-pulumi" },
    );
    fs.rmSync(src, { recursive: true, force: true });
  });
  // Beside the CLI, which looks for its language plugins next to itself first.
  cached(
    "build Node language host",
    path.join(BIN, "pulumi-language-nodejs"),
    `${LANGUAGE_HOST_VERSION} ${go}`,
    (out) => {
      const src = writableCopy(`sdk-${LANGUAGE_HOST_VERSION}`, {
        sdk: moduleDir("github.com/pulumi/pulumi/sdk/v3", LANGUAGE_HOST_VERSION),
      });
      run(
        "go",
        [
          "build",
          "-o",
          out,
          "-ldflags",
          `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${LANGUAGE_HOST_VERSION}`,
          "./nodejs/cmd/pulumi-language-nodejs",
        ],
        { cwd: path.join(src, "sdk"), env: goEnv, label: "go-build-language-host" },
      );
      fs.rmSync(src, { recursive: true, force: true });
    },
  );
  const standInDir = path.join(ROOT, "test", "engine");
  const sources = fs
    .readdirSync(standInDir)
    .filter((f) => /\.go$|^go\.(mod|sum)$/.test(f))
    .sort();
  const hash = createHash("sha256");
  for (const f of sources) hash.update(f).update(fs.readFileSync(path.join(standInDir, f)));
  const standIn = cached(
    "build stand-in aws plugin",
    path.join(BIN, "stand-in", "pulumi-resource-aws"),
    `${AWS_VERSION} ${go} ${hash.digest("hex")}`,
    (out) => {
      run("go", ["test", "./..."], { cwd: standInDir, env: goEnv, label: "go-test-stand-in" });
      run("go", ["build", "-o", out, "-ldflags", `-X main.version=${AWS_VERSION}`, "."], {
        cwd: standInDir,
        env: goEnv,
        label: "go-build-stand-in",
      });
    },
  ).path;

  const node = timed("Node 22 (npm)", () => {
    run("bash", [path.join(ROOT, "test", "node22", "setup.sh")], { label: "node22-setup" });
    return lambdaNodeBinary();
  });
  timed("policy pack dependencies", () => {
    const marker = path.join(ROOT, "policy", "node_modules", ".package-lock.json");
    const lock = path.join(ROOT, "policy", "package-lock.json");
    if (!fs.existsSync(marker) || fs.statSync(marker).mtimeMs < fs.statSync(lock).mtimeMs) {
      run("npm", ["ci", "--no-audit", "--no-fund"], {
        cwd: path.join(ROOT, "policy"),
        label: "policy-npm-ci",
      });
    }
  });
  return { standIn, node };
}

// --- the project copy and the CLI's environment -------------------------------------------

/** The working tree's files (tracked and new, not ignored), copied; node_modules linked. */
function copyProject(): void {
  fs.rmSync(RUN, { recursive: true, force: true });
  fs.mkdirSync(PROJECT, { recursive: true });
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    label: "git-ls-files",
  })
    .output.split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(PROJECT, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(PROJECT, file));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(PROJECT, "node_modules"), "dir");
}

function cliEnv(node: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Nothing of a real Pulumi login or AWS session reaches this run.
    if (!/^(PULUMI_|AWS_)/.test(k)) env[k] = v;
  }
  return {
    ...env,
    // The CLI and language host first, then Node 22 for the program and the policy pack.
    PATH: [BIN, ...(node ? [path.dirname(node)] : []), process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: path.join(RUN, "home"),
    // A fixed passphrase: this run's secrets (there are none) protect nothing.
    PULUMI_CONFIG_PASSPHRASE: "rds-failsafe-engine-run",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    // Enables --event-log (engine events as JSON lines), what the checks read.
    PULUMI_DEBUG_COMMANDS: "true",
  };
}

let ENV: NodeJS.ProcessEnv = {};

function pulumi(args: string[], opts: { allowFailure?: boolean; label?: string } = {}): Result {
  return run(path.join(BIN, "pulumi"), [...args, "--non-interactive", "--color", "never"], {
    cwd: PROJECT,
    env: ENV,
    ...opts,
  });
}

interface EngineEvent {
  policyEvent?: { message: string; enforcementLevel: string; resourceUrn?: string };
  diagnosticEvent?: { message: string; severity: string; urn?: string };
  summaryEvent?: { resourceChanges?: Record<string, number> };
  resourcePreEvent?: { metadata: { op: string; urn: string; type: string } };
}

/** A pulumi operation with its engine events. */
function operation(
  op: "preview" | "up" | "destroy",
  stack: string,
  extra: string[],
  opts: { allowFailure?: boolean } = {},
): Result & { events: EngineEvent[] } {
  const eventLog = path.join(LOGS, `events-${String(commandCount + 1).padStart(2, "0")}.jsonl`);
  const result = pulumi([op, "--stack", stack, "--event-log", eventLog, ...extra], {
    label: `${op}-${stack}`,
    ...opts,
  });
  const events = fs.existsSync(eventLog)
    ? fs
        .readFileSync(eventLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EngineEvent)
    : [];
  return { ...result, events };
}

const policyEvents = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));

function changes(events: EngineEvent[]): number {
  const summary = events.find((e) => e.summaryEvent)?.summaryEvent;
  return Object.entries(summary?.resourceChanges ?? {})
    .filter(([kind]) => kind !== "same")
    .reduce((sum, [, n]) => sum + n, 0);
}

interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

function state(stack: string): StateResource[] {
  const exported = JSON.parse(
    pulumi(["stack", "export", "--stack", stack], { label: `export-${stack}` }).output,
  ) as { deployment?: { resources?: StateResource[] } };
  return exported.deployment?.resources ?? [];
}

/** The stack's config as the engine reads it (stack file + Pulumi.yaml defaults): each value as
 * a string (objects JSON-encoded, as the engine hands them to the program) and as a value. */
function stackConfigEntries(stack: string): [string, { text: string; value: unknown }][] {
  const json = JSON.parse(
    pulumi(["config", "--json", "--stack", stack], { label: `config-${stack}` }).output,
  ) as Record<string, { value?: string; objectValue?: unknown }>;
  return Object.entries(json).map(([k, v]) => [
    k,
    { text: v.value ?? "", value: v.objectValue ?? v.value ?? "" },
  ]);
}

function stackConfig(stack: string): Record<string, string> {
  return Object.fromEntries(stackConfigEntries(stack).map(([k, v]) => [k, v.text]));
}

/** type chain + name: a URN without its stack, comparable with the mocks' records. */
function resourceKey(urn: string): string {
  const [, , typeChain = "", name = ""] = urn.split("::");
  return typeChain.endsWith("pulumi:pulumi:Stack")
    ? "pulumi:pulumi:Stack"
    : `${typeChain}::${name}`;
}

function diffKeys(engine: string[], mocks: string[]): string {
  const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map());
  const a = count(engine);
  const b = count(mocks);
  const lines: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(k) !== b.get(k)) lines.push(`${k}: engine ${a.get(k) ?? 0}, mocks ${b.get(k) ?? 0}`);
  }
  return lines.slice(0, 10).join("; ");
}

// --- the stacks -------------------------------------------------------------------------------

interface StackSummary {
  readonly resources: number;
  readonly mandatory: number;
  readonly unchecked: number;
  readonly changesAfterUp: number;
}

/** preview → up → preview with the policy pack, and the checks on what the engine did. */
function deployStack(
  stack: string,
  mockOutputs: Record<string, unknown>,
  extraNote: () => string = () => "",
): StackSummary {
  return timed(`stack ${stack}`, () => {
    const config = stackConfig(stack);
    const expected = evaluateProgram(config, mockOutputs);

    const first = operation("preview", stack, POLICY_ARGS);
    const up = operation("up", stack, [...POLICY_ARGS, "--yes", "--skip-preview"]);
    const again = operation("preview", stack, [...POLICY_ARGS, "--expect-no-changes"], {
      allowFailure: true,
    });
    check(
      again.status === 0,
      `${stack}: the preview after up exited ${again.status} (${again.log})`,
    );

    const resources = state(stack);
    const engineKeys = resources
      // The reference and its default `pulumi` provider are the engine's; the mocks record neither.
      .filter((r) => !["pulumi:pulumi:StackReference", "pulumi:providers:pulumi"].includes(r.type))
      .map((r) => resourceKey(r.urn));
    const mockKeys = expected.resources.map((r) => resourceKey(r.urn));
    check(
      engineKeys.length === mockKeys.length && diffKeys(engineKeys, mockKeys) === "",
      `${stack}: resources in the state differ from the mocks' (${engineKeys.length} vs ${mockKeys.length}): ${diffKeys(engineKeys, mockKeys)}`,
    );

    const all = [...first.events, ...up.events, ...again.events];
    const mandatory = policyEvents(all).filter((p) => p.enforcementLevel === "mandatory");
    check(
      mandatory.length === 0,
      `${stack}: ${mandatory.length} mandatory policy violations: ${mandatory
        .slice(0, 5)
        .map((p) => `${p.resourceUrn ?? ""} ${p.message.trim()}`)
        .join(" | ")}`,
    );
    const unchecked = policyEvents([...first.events, ...again.events]).filter((p) =>
      p.message.includes(UNCHECKED),
    ).length;
    if (!allowUnchecked) {
      check(
        unchecked === 0,
        `${stack}: ${unchecked} "${UNCHECKED} … during preview" (ENGINE_ALLOW_UNCHECKED=1 reports them instead)`,
      );
    }
    const changed = changes(again.events);
    check(changed === 0, `${stack}: ${changed} changes on the preview after up`);

    say(
      `stack ${stack}: exit codes 0 (preview, up, preview), preview ${changes(first.events)} to create, ` +
        `resources ${resources.length} (mocks ${mockKeys.length}${resources.length !== mockKeys.length ? " + the StackReference and its provider" : ""}), ` +
        `mandatory violations ${mandatory.length}, unchecked in preview ${unchecked}` +
        `${allowUnchecked && unchecked > 0 ? " (allowed)" : ""}, changes after up ${changed}${extraNote()}`,
    );
    return {
      resources: resources.length,
      mandatory: mandatory.length,
      unchecked,
      changesAfterUp: changed,
    };
  });
}

/** prod with failsafeStack: the reference was read and its value checked; a wrong account fails
 * the preview with exactly one readable error. */
function checkStackReference(failsafeTopic: string): string {
  const reference = state("prod").filter((r) => r.type === "pulumi:pulumi:StackReference");
  const outputs = reference[0]?.outputs?.outputs as Record<string, unknown> | undefined;
  check(
    reference.length === 1 && outputs?.handoffTopicArn === failsafeTopic,
    `prod: expected one StackReference to ${stackRef("failsafe")} holding handoffTopicArn ${failsafeTopic}, found ${JSON.stringify(reference.map((r) => r.urn))}`,
  );

  // The same stack, its failsafe account changed: the referenced topic is then in the wrong one.
  const wrongAccount = "333333333333";
  const wrongConfig = path.join(RUN, "Pulumi.prod-wrong-account.yaml");
  fs.copyFileSync(path.join(PROJECT, "Pulumi.prod.yaml"), wrongConfig);
  pulumi([
    "config",
    "set",
    "rds-failsafe:failsafeAccountId",
    wrongAccount,
    "--stack",
    "prod",
    "--config-file",
    wrongConfig,
  ]);
  const wrong = operation("preview", "prod", ["--config-file", wrongConfig], {
    allowFailure: true,
  });
  const errors = wrong.events.flatMap((e) =>
    e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent.message.trim()] : [],
  );
  const expectedTopic = `arn:aws:sns:eu-west-1:${wrongAccount}:${NAMES.handoffTopic}`;
  const readable =
    errors.length === 1 &&
    !errors[0]!.includes("\n") &&
    !errors[0]!.includes("error serializing property") &&
    [`rds-failsafe:failsafeStack`, stackRef("failsafe"), failsafeTopic, expectedTopic].every((s) =>
      errors[0]!.includes(s),
    );
  check(
    wrong.status !== 0 && readable,
    `prod with failsafeAccountId ${wrongAccount}: expected a failed preview with one readable error naming the key, the stack, the value and the expected value; got exit ${wrong.status} and ${errors.length} errors: ${errors.join(" || ").slice(0, 600)}`,
  );
  say(
    `prod, wrong failsafe account: exit ${wrong.status}, ${errors.length} error: ${errors[0] ?? "(none)"}`,
  );
  return `, StackReference ${stackRef("failsafe")} read and checked, wrong account: ${errors.length} readable error`;
}

/** The `both` stack's config: the two stack files' settings together, sides = both. */
function writeBothStack(): void {
  const merged: Record<string, unknown> = {};
  const isEmpty = (v: unknown) => v === undefined || v === "" || (Array.isArray(v) && !v.length);
  for (const [key, { value }] of [
    ...stackConfigEntries("failsafe"),
    ...stackConfigEntries("prod"),
  ]) {
    if (key === "rds-failsafe:failsafeStack" || key === "rds-failsafe:sides") continue;
    const previous = merged[key];
    if (
      !isEmpty(previous) &&
      !isEmpty(value) &&
      JSON.stringify(previous) !== JSON.stringify(value)
    ) {
      throw new CommandFailed(`Pulumi.failsafe.yaml and Pulumi.prod.yaml disagree on ${key}`);
    }
    if (isEmpty(previous)) merged[key] = value;
  }
  merged["rds-failsafe:sides"] = "both";
  // JSON is YAML: a stack file without a YAML library.
  fs.writeFileSync(
    path.join(PROJECT, "Pulumi.both.yaml"),
    JSON.stringify({ config: merged }, null, 2),
  );
}

/** The README's "Tear down": prod, then failsafe leaving the vault key (and its alias) in place;
 * `both` destroyed whole (the README's break-glass way). */
function tearDown(): void {
  timed("tear down", () => {
    const prod = operation("destroy", "prod", ["--yes"]);
    check(state("prod").length === 0, "prod: resources left after pulumi destroy");

    const before = state("failsafe");
    const alias = before.find(
      (r) => r.type === "aws:kms/alias:Alias" && r.inputs?.name === NAMES.keyAlias.vault,
    );
    const key = before.find(
      (r) =>
        r.type === "aws:kms/key:Key" &&
        alias !== undefined &&
        r.outputs?.keyId === alias.outputs?.targetKeyId,
    );
    if (
      !check(
        alias !== undefined && key !== undefined,
        "failsafe: no vault key and alias in the state",
      )
    ) {
      return;
    }
    // README: "leave the key (and the readable copies) in place with `pulumi state delete` on the
    // key and its alias before destroying the rest."
    pulumi(["state", "delete", alias!.urn, "--stack", "failsafe", "--yes"]);
    const keyDelete = pulumi(["state", "delete", key!.urn, "--stack", "failsafe", "--yes"], {
      allowFailure: true,
    });
    let note: string;
    const destroys = [];
    if (keyDelete.status === 0) {
      note =
        "pulumi state delete of the vault key and alias, then pulumi destroy: as the README says";
      destroys.push(operation("destroy", "failsafe", ["--yes"]));
    } else {
      const dependents = (keyDelete.output.match(/^ \* /gm) ?? []).length;
      note =
        `README step fails: pulumi state delete of the vault key is refused (${dependents} resources depend on it: ` +
        `the functions' settings carry its ARN); done instead: pulumi destroy --exclude <vault key>, ` +
        `pulumi state delete <vault key>, pulumi destroy (the stack, provider and component left)`;
      destroys.push(operation("destroy", "failsafe", ["--yes", "--exclude", key!.urn]));
      pulumi(["state", "delete", key!.urn, "--stack", "failsafe", "--yes"]);
      destroys.push(operation("destroy", "failsafe", ["--yes"]));
    }
    const deleted = destroys.flatMap((d) =>
      d.events.flatMap((e) =>
        e.resourcePreEvent?.metadata.op === "delete" ? [e.resourcePreEvent.metadata.urn] : [],
      ),
    );
    check(
      !deleted.includes(key!.urn) && !deleted.includes(alias!.urn),
      "failsafe: pulumi destroy deleted the vault key or its alias",
    );
    check(state("failsafe").length === 0, "failsafe: resources left in the state after tear-down");
    say(`tear down prod: destroy exit ${prod.status}, ${changes(prod.events)} deleted`);
    say(
      `tear down failsafe: vault key and alias left in place (not deleted), ${deleted.length} deleted; ${note}`,
    );

    const both = operation("destroy", "both", ["--yes"]);
    check(state("both").length === 0, "both: resources left after pulumi destroy");
    say(
      `tear down both: pulumi destroy exit ${both.status}, ${changes(both.events)} deleted, the vault key ` +
        `with them (the stand-in has no key policy: on AWS only the break-glass principal may)`,
    );
  });
}

function main(): void {
  say(
    `Pulumi CLI ${CLI_VERSION}, Node language host ${LANGUAGE_HOST_VERSION}, stand-in aws ${AWS_VERSION}`,
  );
  const { standIn, node } = buildAll();
  const nodeVersion = node ? run(node, ["--version"]).output.trim() : process.version;
  if (!node) {
    say(
      `WARNING Node 22 is not installed here (test/node22/setup.sh): the program runs on ${process.version}`,
    );
  }
  say(`program and policy pack on Node ${nodeVersion}`);

  ENV = cliEnv(node);
  timed("setup (project copy, login, plugin)", () => {
    copyProject();
    fs.mkdirSync(path.join(RUN, "state"), { recursive: true });
    pulumi(["login", `file://${path.join(RUN, "state")}`]);
    pulumi(["plugin", "install", "resource", "aws", AWS_VERSION, "--file", standIn, "--reinstall"]);
  });

  const summaries: StackSummary[] = [];
  pulumi(["stack", "init", "failsafe"]);
  summaries.push(deployStack("failsafe", {}));
  const failsafeOutputs = JSON.parse(
    pulumi(["stack", "output", "--json", "--stack", "failsafe"]).output,
  ) as Record<string, unknown>;

  pulumi(["stack", "init", "prod"]);
  pulumi(["config", "set", "rds-failsafe:failsafeStack", stackRef("failsafe"), "--stack", "prod"]);
  let referenceNote = "";
  summaries.push(
    deployStack("prod", failsafeOutputs, () => {
      referenceNote = checkStackReference(String(failsafeOutputs.handoffTopicArn));
      return referenceNote;
    }),
  );

  writeBothStack();
  pulumi(["stack", "init", "both"]);
  summaries.push(deployStack("both", {}));

  tearDown();

  const total = (k: keyof StackSummary) => summaries.reduce((sum, s) => sum + s[k], 0);
  timings.push(["total", (Date.now() - started) / 1000]);
  say(`timings: ${timings.map(([phase, s]) => `${phase} ${s.toFixed(1)} s`).join(", ")}`);
  if (failures.length > 0) {
    say(`${failures.length} check(s) failed:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
  }
  say(
    `stacks ${summaries.length}, resources ${total("resources")}, mandatory violations ${total("mandatory")}, ` +
      `unchecked in preview ${total("unchecked")}, changes after up ${total("changesAfterUp")}`,
  );
  process.exit(failures.length > 0 ? 1 : 0);
}

try {
  main();
} catch (err) {
  if (err instanceof CommandFailed) {
    say(`FAIL ${err.message}`);
    process.exit(1);
  }
  throw err;
}
