// The fault scenarios, run through the deployed code by test/faults.test.ts (small N) and by
// scripts/faults.ts (full size). Each returns the figures it prints and the tests assert.
import { CopyDBSnapshotCommand } from "@aws-sdk/client-rds";
import fc from "fast-check";
import type { SQSBatchResponse } from "aws-lambda";
import { HANDOFF_VERSION } from "../../handlers/events";
import { TAG, toTagList } from "../../handlers/tags";
import { emulatorEndpoint, PROD_ACCOUNT, REGION, setEmulatorLimits } from "../harness";
import { deployedCode, FUNCTIONS } from "./deployed";
import { rdsSnapshotEvent, snsEnvelope, sqsEvent } from "./events";
import { PipelineSim, snapshotArnOf, STAGES, type SimOptions, type Stage } from "./pipeline-sim";
import { protection, type Source } from "./protection";
import { ThrottleProxy } from "./throttle-proxy";
import { createWorld, type Encryption, type World } from "./world";

export interface Figures {
  readonly scenario: string;
  readonly tagged: number;
  readonly protectedPct: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly dlq: number;
  /** Scenario-specific figures (throttled calls, SQS redeliveries, inputs, …). */
  readonly notes: Record<string, number | string>;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be repeated. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENCRYPTIONS: Encryption[] = ["none", "default", "cmk"];

/** n tagged databases: one Aurora cluster in five, the rest DB instances, encryptions mixed. */
async function taggedDatabases(world: World, n: number) {
  const sources: Source[] = [];
  const automated: { kind: "instance" | "cluster"; id: string }[] = [];
  for (let i = 0; i < n; i += 1) {
    const kind = i % 5 === 4 ? "cluster" : "instance";
    const id = `db${String(i).padStart(4, "0")}`;
    const options = { tagged: true, encryption: ENCRYPTIONS[i % 3] };
    const snapshot =
      kind === "instance"
        ? await world.createInstance(id, options)
        : await world.createCluster(id, options);
    sources.push({ kind, id });
    automated.push({ kind, id: snapshot.id });
  }
  return { sources, automated };
}

interface Setup {
  readonly world: World;
  readonly sim: PipelineSim;
  readonly sources: Source[];
  readonly automated: { kind: "instance" | "cluster"; id: string }[];
  readonly proxies: ThrottleProxy[];
  /** Snapshots a scenario made before the run (not duplicates). */
  readonly preexisting: Set<string>;
}

/** Visibility timeouts run 360× faster than on AWS (the program's 360 s last 1 s). */
const TIME_SCALE = 1 / 360;

async function setup(
  n: number,
  sim: Partial<SimOptions> = {},
  throttleRate = 0,
  seed = 1,
): Promise<Setup> {
  const world = await createWorld();
  const code = await deployedCode(world);
  const { sources, automated } = await taggedDatabases(world, n);
  const proxies: ThrottleProxy[] = [];
  let endpoints: SimOptions["endpoints"];
  if (throttleRate > 0) {
    endpoints = {};
    let s = seed;
    for (const stage of [...STAGES, "prod-sweep", "failsafe-sweep"] as const) {
      const proxy = await ThrottleProxy.start({
        target: emulatorEndpoint(),
        throttleRate,
        random: seeded((s += 1)),
      });
      proxies.push(proxy);
      endpoints[stage] = proxy.endpoint;
    }
  }
  const pipeline = new PipelineSim({
    code,
    world,
    timeScale: TIME_SCALE,
    copyFinishedAfterMs: 0,
    timeoutMs: 120_000,
    endpoints,
    ...sim,
  });
  return { world, sim: pipeline, sources, automated, proxies, preexisting: new Set() };
}

async function finish(s: Setup, scenario: string, notes: Figures["notes"] = {}): Promise<Figures> {
  s.sim.stop();
  await Promise.all(s.proxies.map((p) => p.close()));
  const report = await protection(s.world, s.sources, s.preexisting);
  return {
    scenario,
    tagged: report.tagged,
    protectedPct: report.protectedPct,
    duplicates: report.duplicates,
    lost: report.lost,
    dlq: STAGES.reduce((sum, stage) => sum + s.sim.queues[stage].dlq.length, 0),
    notes,
  };
}

const count = (sim: PipelineSim, stage: string, decision: string) =>
  sim.decisions.filter((d) => d.stage === stage && d.decision === decision).length;

/** Every event (RDS events and hand-offs) delivered 3 times. */
export async function tripleDelivery(n: number): Promise<Figures> {
  const s = await setup(n, { deliver: (_stage, body) => [body, body, body] });
  try {
    s.sim.snapshotsCreated(s.automated);
    await s.sim.run();
    return await finish(s, "every event delivered 3 times", {
      "copies started (copy)": count(s.sim, "copy", "copied"),
      "copies started (save)": count(s.sim, "save", "saved"),
      "already there (copy+save)": count(s.sim, "copy", "exists") + count(s.sim, "save", "exists"),
    });
  } finally {
    s.sim.stop();
  }
}

/** Sweeps until everything is protected (bounded): prod sweep, events, failsafe sweep, events. */
async function sweepUntilProtected(s: Setup, rounds: number, clockOffsetHours = 0) {
  let used = 0;
  for (; used < rounds; used += 1) {
    const report = await protection(s.world, s.sources);
    if (report.lost === 0) break;
    await s.sim.sweep("prod-sweep", clockOffsetHours);
    await s.sim.run();
    await s.sim.sweep("failsafe-sweep", clockOffsetHours);
    await s.sim.run();
  }
  return used;
}

/** 30 % of all events (RDS events and hand-offs) dropped; the sweeps restore protection. */
export async function dropped(n: number, seed = 7): Promise<Figures> {
  const random = seeded(seed);
  const s = await setup(n, { deliver: (_stage, body) => (random() < 0.3 ? [] : [body]) });
  try {
    s.sim.snapshotsCreated(s.automated);
    await s.sim.run();
    const before = await protection(s.world, s.sources);
    const rounds = await sweepUntilProtected(s, 6);
    return await finish(s, "30 % of events dropped, then sweeps", {
      "events dropped": s.sim.dropped,
      "protected before sweeps %": Number(before.protectedPct.toFixed(1)),
      "sweep rounds": rounds,
    });
  } finally {
    s.sim.stop();
  }
}

/** 20 % of the functions' AWS calls answered `Throttling` by the proxy. */
export async function throttled(n: number, seed = 11): Promise<Figures> {
  const s = await setup(n, {}, 0.2, seed);
  try {
    s.sim.snapshotsCreated(s.automated);
    await s.sim.run();
    const calls = s.proxies.reduce((sum, p) => sum + p.total(), 0);
    const throttledCalls = s.proxies.reduce((sum, p) => sum + p.throttled, 0);
    return await finish(s, "20 % of AWS calls throttled", {
      "AWS calls (attempts)": calls,
      "answered Throttling": throttledCalls,
      "records redelivered by SQS": s.sim.invocations.reduce((sum, i) => sum + i.failedRecords, 0),
    });
  } finally {
    s.sim.stop();
  }
}

/** One stage's function never runs (a crash in front of it); the sweeps must finish the job. */
async function crashBefore(stage: "share" | "save", title: string, n: number): Promise<Figures> {
  const s = await setup(n, { deliver: (to, body) => (to === stage ? [] : [body]) });
  try {
    s.sim.snapshotsCreated(s.automated);
    await s.sim.run();
    const before = await protection(s.world, s.sources);
    const rounds = await sweepUntilProtected(s, 4);
    return await finish(s, title, {
      "protected before sweeps %": before.protectedPct,
      "sweep rounds": rounds,
    });
  } finally {
    s.sim.stop();
  }
}

/** The share function never runs (crash between copy and share). */
export const crashBeforeShare = (n: number) =>
  crashBefore("share", "crash between copy and share, then sweeps", n);

/** Hand-offs never reach the save function (crash between share and save). */
export const crashBeforeSave = (n: number) =>
  crashBefore("save", "crash between share and save, then sweeps", n);

/**
 * Prod holds `filler` old intermediate copies of the same databases, so the manual-snapshot quota
 * (100, emulated) lets only some new copies through. The rest fail with SnapshotQuotaExceeded, are
 * retried by SQS and park in the DLQ (the DLQ alarm); 4 days later the prod sweep's intermediate
 * cleanup frees room and the next sweeps copy what is missing. Nothing in failsafe is lost.
 */
export async function quotaNearlyExhausted(n: number, filler = 95): Promise<Figures> {
  const s = await setup(n);
  try {
    await setEmulatorLimits({ manualSnapshotQuota: 100 });
    const instances = s.sources.flatMap((source, i) =>
      source.kind === "instance" ? [{ source, automated: s.automated[i] }] : [],
    );
    for (let j = 0; j < filler; j += 1) {
      const { source, automated } = instances[j % instances.length] ?? {};
      if (!source || !automated) break;
      const id = `failsafe-${source.id}-old-${j}`;
      s.preexisting.add(id);
      await s.world.prod.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: automated.id,
          TargetDBSnapshotIdentifier: id,
          Tags: toTagList({
            [TAG.managed]: "true",
            [TAG.sourceAccount]: PROD_ACCOUNT,
            [TAG.sourceKind]: "instance",
            [TAG.sourceId]: source.id,
            [TAG.sourceSnapshot]: `rds:${source.id}-old-${j}`,
          }),
        }),
      );
    }
    s.sim.snapshotsCreated(s.automated);
    await s.sim.run();
    const before = await protection(s.world, s.sources);
    const quotaErrors = s.sim.decisions.filter((d) =>
      String(d.reason).includes("Cannot create more than 100 manual snapshots"),
    ).length;
    const failsafeBefore = (await s.world.inventory()).filter((id) => id.startsWith("2222")).length;
    const dlqAfterBurst = STAGES.reduce((sum, st) => sum + s.sim.queues[st].dlq.length, 0);
    // Four days later: the intermediates are past intermediateKeepHours (72 h).
    const rounds = await sweepUntilProtected(s, 6, 96);
    const deleted = s.sim.decisions.filter(
      (d) => d.stage === "prod-sweep" && d.decision === "deleted",
    ).length;
    const failsafeAfter = (await s.world.inventory()).filter((id) => id.startsWith("2222")).length;
    return await finish(s, "manual-snapshot quota nearly exhausted in prod", {
      "protected before cleanup %": Number(before.protectedPct.toFixed(1)),
      "SnapshotQuotaExceeded retries logged": quotaErrors,
      "DLQ after the burst (alarm)": dlqAfterBurst,
      "intermediates cleaned up": deleted,
      "sweep rounds": rounds,
      "failsafe snapshots lost": Math.max(0, failsafeBefore - failsafeAfter),
    });
  } finally {
    s.sim.stop();
    await setEmulatorLimits({});
  }
}

/** Malformed or spoofed inputs, generated; sent straight to the four queue-fed functions. */
export async function malformedInputs(
  total: number,
  seed = 42,
): Promise<Figures & { unhandled: number; created: number; deleted: number }> {
  const world = await createWorld();
  const code = await deployedCode(world);
  const tagged = await world.createInstance("orders", { tagged: true, encryption: "cmk" });
  const cluster = await world.createCluster("ledger", { tagged: true });
  await world.runPipeline(tagged);
  const intermediate = (await world.manualSnapshots(world.prod, "instance"))[0];
  const before = await world.inventory();
  const OTHER = "333333333333";
  const arns = [
    tagged.arn,
    cluster.arn,
    intermediate?.arn ?? tagged.arn,
    snapshotArnOf(OTHER, "instance", "failsafe-orders-x"),
    snapshotArnOf(PROD_ACCOUNT, "instance", "not-managed"),
    snapshotArnOf(PROD_ACCOUNT, "cluster", "failsafe-ghost-2026-01-01-00-00"),
    "arn:aws:s3:::bucket",
    "",
  ];
  const valid = (eventId: string, arn: string) =>
    rdsSnapshotEvent({
      eventId,
      kind: arn.includes(":cluster-snapshot:") ? "cluster" : "instance",
      snapshotArn: arn,
      account: PROD_ACCOUNT,
      region: REGION,
    });
  const json = fc.jsonValue().map((v) => JSON.stringify(v));
  // Valid-looking events with at least one thing wrong: account, region, event id, ARN, type.
  const spoofedEvent = fc
    .record({
      eventId: fc.constantFrom(
        "RDS-EVENT-0091",
        "RDS-EVENT-0169",
        "RDS-EVENT-0197",
        "RDS-EVENT-0042",
        "RDS-EVENT-0001",
        "rds-event-0091",
      ),
      arn: fc.constantFrom(...arns),
      account: fc.constantFrom(OTHER, "12345", PROD_ACCOUNT),
      region: fc.constantFrom("us-east-1", REGION, ""),
      drop: fc.constantFrom("detail", "source", "detail-type", "none"),
      detailType: fc.constantFrom(
        "RDS DB Snapshot Event",
        "RDS DB Cluster Snapshot Event",
        "EC2 Event",
      ),
    })
    .filter(
      (r) =>
        r.account !== PROD_ACCOUNT ||
        r.region !== REGION ||
        r.drop !== "none" ||
        !arns.slice(0, 2).includes(r.arn),
    )
    .map((r) => {
      const event: Record<string, unknown> = {
        ...valid(r.eventId, r.arn),
        account: r.account,
        region: r.region,
        "detail-type": r.detailType,
      };
      if (r.drop !== "none") delete event[r.drop];
      return JSON.stringify(event);
    });
  const forgedHandoff = fc
    .record({
      arn: fc.constantFrom(...arns.slice(3)),
      kind: fc.constantFrom("instance", "cluster", "volume"),
      sourceId: fc.string({ maxLength: 70 }),
      sourceAccount: fc.constantFrom(PROD_ACCOUNT, OTHER),
      version: fc.constantFrom(HANDOFF_VERSION, 2, "1"),
      topic: fc.constantFrom(world.handoffTopicArn, `arn:aws:sns:${REGION}:${OTHER}:evil`),
    })
    .map((r) =>
      snsEnvelope(r.topic, {
        version: r.version,
        kind: r.kind,
        snapshotArn: r.arn,
        sourceId: r.sourceId,
        sourceAccount: r.sourceAccount,
        region: REGION,
        sharedAt: new Date().toISOString(),
      }),
    );
  const input = fc.record({
    target: fc.constantFrom<Stage>("copy", "share", "save", "retention"),
    body: fc.oneof(fc.string(), json, spoofedEvent, forgedHandoff),
  });
  const samples = fc.sample(input, { numRuns: total, seed });
  const names: Record<Stage, string> = {
    copy: FUNCTIONS.copy,
    share: FUNCTIONS.share,
    save: FUNCTIONS.save,
    retention: FUNCTIONS.retention,
  };
  const procs = Object.fromEntries(STAGES.map((st) => [st, code.spawn(names[st])]));
  let unhandled = 0;
  let retried = 0;
  try {
    for (const stage of STAGES) {
      const bodies = samples.filter((x) => x.target === stage).map((x) => x.body);
      for (let i = 0; i < bodies.length; i += 10) {
        try {
          const out = await procs[stage]?.invoke<SQSBatchResponse>(
            sqsEvent(bodies.slice(i, i + 10)),
          );
          retried += out?.batchItemFailures.length ?? 0;
        } catch {
          unhandled += 1;
        }
      }
    }
    const decisions = Object.values(procs).flatMap((p) => p?.decisions() ?? []);
    const retries = decisions.filter((d) => d.decision === "retry").length;
    const after = await world.inventory();
    const created = after.filter((id) => !before.includes(id)).length;
    const deleted = before.filter((id) => !after.includes(id)).length;
    const rejected = decisions.filter(
      (d) => d.decision === "rejected" || d.decision === "skipped",
    ).length;
    return {
      scenario: `${total} generated malformed or spoofed inputs`,
      tagged: 2,
      protectedPct: 100,
      duplicates: 0,
      lost: 0,
      // Sent directly (no queue): a record the function asked to retry would head for the DLQ.
      dlq: retried,
      unhandled: unhandled + retried + retries,
      created,
      deleted,
      notes: {
        inputs: samples.length,
        "rejected or skipped": rejected,
        "snapshots created": created,
        "snapshots deleted": deleted,
        "unhandled errors (throws, retries)": unhandled + retried + retries,
      },
    };
  } finally {
    Object.values(procs).forEach((p) => p?.stop());
  }
}

export function formatFigures(f: Figures): string {
  const notes = Object.entries(f.notes)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return (
    `${f.scenario}: protected ${f.protectedPct.toFixed(1)} % of ${f.tagged}, duplicates ${f.duplicates}, ` +
    `lost ${f.lost}, DLQ ${f.dlq}${notes ? ` (${notes})` : ""}`
  );
}
