import { strict as assert } from "node:assert";
import * as path from "node:path";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { SETTINGS_ENV } from "../../handlers/settings";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
} from "../harness";
import { LambdaProcess, lambdaRuntimeModules } from "../support/lambda-runtime";
import { createWorld, type World } from "../support/world";
import { baseConfig, evaluateProgram, ofType, type Evaluation } from "./support";

/**
 * The code that would be deployed: each CallbackFunction's archive (its generated __index.js and
 * the handler bundle), extracted from the program under mocks, run in its own process with only
 * the AWS SDK available (as in the Lambda runtime), against the two-account emulator.
 */
describe("deployed Lambda code (serialized archives) on the emulator", function () {
  this.timeout(120_000);
  let program: Evaluation;
  let runtime: string;
  let world: World;
  let functions: Record<string, LambdaProcess>;

  before(() => {
    program = evaluateProgram(baseConfig("both"));
    runtime = lambdaRuntimeModules();
  });

  beforeEach(async () => {
    world = await createWorld();
    const prod = await accountClients(PROD_ACCOUNT);
    const failsafe = await accountClients(FAILSAFE_ACCOUNT);
    functions = {};
    for (const f of ofType(program, "aws:lambda/function:Function")) {
      const name = String(f.inputs.name);
      const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
      const settings = JSON.parse(env[SETTINGS_ENV] ?? "{}") as Record<string, unknown>;
      // The program's settings, with the emulator's key ARNs (key ids are random); the topic ARNs
      // are the program's own: their names are fixed, so the emulator's are the same.
      if (settings.transitKmsKeyArn) settings.transitKmsKeyArn = world.transitKeyArn;
      if (settings.vaultKmsKeyArn) settings.vaultKmsKeyArn = world.vaultKeyArn;
      const account = f.urn.includes("SaveSide") ? failsafe : prod;
      functions[name] = new LambdaProcess(
        name,
        path.join(program.archivesDir, name),
        {
          [SETTINGS_ENV]: JSON.stringify(settings),
          AWS_REGION: REGION,
          AWS_ENDPOINT_URL: emulatorEndpoint(),
          AWS_ACCESS_KEY_ID: account.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: account.credentials.secretAccessKey,
          AWS_SESSION_TOKEN: account.credentials.sessionToken,
        },
        runtime,
      );
    }
    const fn = (name: string) => {
      const p = functions[name];
      assert.ok(p, `the program deploys ${name}`);
      return p;
    };
    const sqs = (name: string) => (event: SQSEvent) => fn(name).invoke<SQSBatchResponse>(event);
    world.prodSide = {
      copy: sqs("rds-failsafe-copy"),
      share: sqs("rds-failsafe-share"),
      sweep: () => fn("rds-failsafe-prod-sweep").invoke(null),
    };
    world.failsafeSide = {
      save: sqs("rds-failsafe-save"),
      retention: sqs("rds-failsafe-retention"),
      sweep: () => fn("rds-failsafe-failsafe-sweep").invoke(null),
    };
  });

  afterEach(() => {
    Object.values(functions).forEach((f) => f.stop());
  });

  const failures = () =>
    Object.values(functions).flatMap((f) =>
      f
        .decisions()
        .filter((d) => ["failed", "retry", "rejected"].includes(String(d.decision)))
        .map((d) => `${f.name}: ${d.decision} ${d.reason}`),
    );

  it("each archive holds only __index.js and its side's bundle", async () => {
    const fs = await import("node:fs");
    for (const name of Object.keys(functions)) {
      const dir = path.join(program.archivesDir, name);
      const files = fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
      const side = /copy|share|prod-sweep/.test(name) ? "prod" : "failsafe";
      assert.deepEqual(files, ["__index.js", `bin/lambda/${side}.js`], name);
    }
  });

  it("protects a tagged DB instance and a tagged Aurora cluster end to end, every event 3 times", async () => {
    const instance = await world.createInstance("orders", { tagged: true, encryption: "default" });
    const cluster = await world.createCluster("ledger", { tagged: true, encryption: "cmk" });
    await world.createInstance("scratch");
    await world.runPipeline(instance, 3);
    await world.runPipeline(cluster, 3);

    for (const kind of ["instance", "cluster"] as const) {
      const saved = await world.manualSnapshots(world.failsafe, kind);
      assert.equal(saved.length, 1, `one failsafe ${kind} copy`);
      assert.equal(saved[0]?.kmsKeyId, world.vaultKeyArn);
      assert.equal(saved[0]?.tags["failsafe:managed"], "true");
      assert.equal(
        (await world.manualSnapshots(world.prod, kind)).length,
        1,
        `one ${kind} intermediate`,
      );
    }
    assert.deepEqual(failures(), []);
    // The deployed code logs structured decisions (Powertools, JSON) with the Lambda's name.
    const copy = functions["rds-failsafe-copy"]?.decisions() ?? [];
    assert.equal(copy.filter((d) => d.decision === "copied").length, 2);
    assert.equal(copy[0]?.service, "rds-failsafe-prod");
  });

  it("recovers through the deployed sweeps when every event was dropped, and emits the RPO metric", async () => {
    await world.createInstance("orders", { tagged: true });
    await world.createCluster("ledger", { tagged: true, encryption: "default" });
    await world.prodSide.sweep();
    await world.prodSide.sweep();
    await world.failsafeSide.sweep();
    assert.equal((await world.manualSnapshots(world.failsafe, "instance")).length, 1);
    assert.equal((await world.manualSnapshots(world.failsafe, "cluster")).length, 1);
    assert.deepEqual(failures(), []);
    await world.failsafeSide.sweep();
    // Powertools Metrics writes CloudWatch embedded-metric-format lines the alarm reads.
    const emf = functions["rds-failsafe-failsafe-sweep"]?.logs.filter((l) => "_aws" in l) ?? [];
    const max = emf.find((l) => "MaxNewestCopyAgeHours" in l);
    assert.ok(max, "MaxNewestCopyAgeHours is published");
    assert.equal(max.service, "rds-failsafe-failsafe");
    assert.ok(Number(max.MaxNewestCopyAgeHours) < 1);
  });
});
