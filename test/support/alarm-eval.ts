/**
 * CloudWatch metric alarm semantics over recorded datapoints, for simulated time: the attack suite
 * judges "was it detected?" with the program's OWN alarm definitions (the aws:cloudwatch
 * MetricAlarm resources of the program under mocks) evaluated against the metrics the deployed
 * code emitted, never with a hard-coded flag.
 *
 * What is modelled, from the CloudWatch User Guide ("Using Amazon CloudWatch alarms": "Evaluating
 * an alarm", "Configuring how CloudWatch alarms treat missing data", "How alarm state is evaluated
 * when data is missing", "Avoiding premature transitions to alarm state"):
 * - a metric is namespace + name + the exact set of dimensions; an alarm reads one metric;
 * - datapoints are aggregated per period (aligned to multiples of the period) by the alarm's
 *   statistic (Sum, Maximum, Minimum, Average, SampleCount); a period is used once it is complete;
 * - the alarm is evaluated every `stepMs` (CloudWatch evaluates every minute; 5 minutes here, the
 *   shortest period of the program's alarms) over its *evaluation range*: more periods than
 *   evaluationPeriods. The guide's worked example retrieves 5 periods for an alarm of 3; the exact
 *   range is not documented, so EVALUATION_RANGE_EXTRA = 2 extra periods are used (more lookback
 *   only makes an alarm slower to leave OK, so detection times here are on the late side);
 * - with at least N real datapoints in the range, the most recent N real ones decide (missing
 *   periods are skipped, treatMissingData is not used); ALARM when datapointsToAlarm (M, default
 *   N) of them breach, else OK;
 * - with fewer real datapoints than N, every real one counts and as few missing ones as needed to
 *   make N are filled as treatMissingData says (`breaching` / `notBreaching`);
 *   `missing` and `ignore` decide on the real ones: ALARM when M breach, or by the guide's rule
 *   against premature alarms (the oldest breaching datapoint of the last N periods is at least M
 *   periods old and every newer one breaches or is missing); OK when a real one does not breach;
 *   otherwise the state is kept. With no real datapoint at all: breaching → ALARM,
 *   notBreaching → OK, ignore → unchanged, missing → INSUFFICIENT_DATA;
 * - a new alarm starts in INSUFFICIENT_DATA; every state change runs that state's actions
 *   (alarmActions, okActions, insufficientDataActions), and only state changes do.
 */

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export type Statistic = "Sum" | "Maximum" | "Minimum" | "Average" | "SampleCount";
export type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";

export interface AlarmDefinition {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparisonOperator:
    | "GreaterThanThreshold"
    | "GreaterThanOrEqualToThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  readonly treatMissingData: TreatMissingData;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  readonly insufficientDataActions: readonly string[];
}

export interface Datapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  /** Epoch milliseconds (simulated time). */
  readonly timestamp: number;
}

export interface Transition {
  readonly alarm: string;
  /** When the evaluation that changed the state ran (epoch ms). */
  readonly at: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  /** The actions this state change runs (topic ARNs), possibly none. */
  readonly actions: readonly string[];
  readonly reason: string;
}

export const EVALUATION_RANGE_EXTRA = 2;

/** The alarm definitions of a program's aws:cloudwatch/metricAlarm:MetricAlarm resources. */
export function alarmDefinitions(
  resources: readonly { type: string; state: Record<string, unknown> }[],
): AlarmDefinition[] {
  return resources
    .filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
    .map((r) => {
      const s = r.state;
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
      const need = (key: string): string | number => {
        const value = s[key];
        if (typeof value !== "string" && typeof value !== "number") {
          throw new Error(`alarm ${String(s.name)} has no ${key}: the evaluator cannot judge it`);
        }
        return value;
      };
      return {
        name: String(need("name")),
        namespace: String(need("namespace")),
        metricName: String(need("metricName")),
        dimensions: Object.fromEntries(
          Object.entries((s.dimensions ?? {}) as Record<string, unknown>).map(([k, v]) => [
            k,
            String(v),
          ]),
        ),
        statistic: need("statistic") as Statistic,
        periodSeconds: Number(need("period")),
        evaluationPeriods: Number(need("evaluationPeriods")),
        datapointsToAlarm:
          s.datapointsToAlarm === undefined ? undefined : Number(s.datapointsToAlarm),
        threshold: Number(need("threshold")),
        comparisonOperator: need("comparisonOperator") as AlarmDefinition["comparisonOperator"],
        // PutMetricAlarm: "If TreatMissingData is omitted, the default behavior of missing is used."
        treatMissingData: (s.treatMissingData ?? "missing") as TreatMissingData,
        alarmActions: list(s.alarmActions),
        okActions: list(s.okActions),
        insufficientDataActions: list(s.insufficientDataActions),
      };
    });
}

function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function aggregate(values: readonly number[], statistic: Statistic): number {
  switch (statistic) {
    case "Sum":
      return values.reduce((x, y) => x + y, 0);
    case "Maximum":
      return Math.max(...values);
    case "Minimum":
      return Math.min(...values);
    case "Average":
      return values.reduce((x, y) => x + y, 0) / values.length;
    case "SampleCount":
      return values.length;
  }
}

function breaches(alarm: AlarmDefinition, value: number): boolean {
  switch (alarm.comparisonOperator) {
    case "GreaterThanThreshold":
      return value > alarm.threshold;
    case "GreaterThanOrEqualToThreshold":
      return value >= alarm.threshold;
    case "LessThanThreshold":
      return value < alarm.threshold;
    case "LessThanOrEqualToThreshold":
      return value <= alarm.threshold;
  }
}

/** One evaluation: the state the alarm goes to, given the periods of its range (newest first). */
export function evaluateRange(
  alarm: AlarmDefinition,
  periods: readonly (number | undefined)[],
  current: AlarmState,
): { state: AlarmState; reason: string } {
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm ?? n;
  const real = periods.filter((v): v is number => v !== undefined);
  const count = (values: readonly boolean[]) => values.filter(Boolean).length;
  const verdict = (breaching: number, of: number, need: number) => ({
    state: (breaching >= need ? "ALARM" : "OK") as AlarmState,
    reason: `${breaching} of ${of} datapoints breaching (${need} needed)`,
  });
  if (real.length >= n) {
    const recent = real.slice(0, n);
    return verdict(count(recent.map((v) => breaches(alarm, v))), n, m);
  }
  if (real.length === 0) {
    switch (alarm.treatMissingData) {
      case "breaching":
        return { state: "ALARM", reason: "no datapoint (missing treated as breaching)" };
      case "notBreaching":
        return { state: "OK", reason: "no datapoint (missing treated as not breaching)" };
      case "ignore":
        return { state: current, reason: "no datapoint (ignored: state kept)" };
      case "missing":
        return { state: "INSUFFICIENT_DATA", reason: "every datapoint of the range is missing" };
    }
  }
  const realBreaching = count(real.map((v) => breaches(alarm, v)));
  switch (alarm.treatMissingData) {
    case "breaching":
    case "notBreaching": {
      // "All real data points in the evaluation range are included in the evaluation. CloudWatch
      // uses missing data points only as few times as possible."
      const fills = alarm.treatMissingData === "breaching" ? n - real.length : 0;
      return verdict(realBreaching + fills, n, m);
    }
    case "missing":
    case "ignore": {
      // "Avoiding premature transitions to alarm state": the alarm goes to ALARM when the oldest
      // breaching datapoint of the last N periods is at least M periods old and every more
      // recent one is breaching or missing, even with fewer than M datapoints.
      const recent = periods.slice(0, n);
      let oldestBreaching = -1;
      recent.forEach((v, i) => {
        if (v !== undefined && breaches(alarm, v)) oldestBreaching = i;
      });
      const premature =
        oldestBreaching + 1 >= m &&
        recent.slice(0, oldestBreaching).every((v) => v === undefined || breaches(alarm, v));
      if (realBreaching >= m || premature) {
        return {
          state: "ALARM",
          reason: `${realBreaching} of ${real.length} datapoints breaching`,
        };
      }
      if (realBreaching < real.length) {
        return { state: "OK", reason: `${realBreaching} of ${real.length} datapoints breaching` };
      }
      return { state: current, reason: "too few datapoints to decide (state kept)" };
    }
  }
}

/**
 * Every state change of `alarm` between `from` and `to` (epoch ms), evaluated every `stepMs`
 * over the datapoints of its metric.
 */
export function evaluateAlarm(
  alarm: AlarmDefinition,
  datapoints: readonly Datapoint[],
  from: number,
  to: number,
  stepMs = 300_000,
): Transition[] {
  const periodMs = alarm.periodSeconds * 1000;
  const buckets = new Map<number, number[]>();
  for (const d of datapoints) {
    if (
      d.namespace !== alarm.namespace ||
      d.metricName !== alarm.metricName ||
      !sameDimensions(d.dimensions, alarm.dimensions)
    ) {
      continue;
    }
    const start = Math.floor(d.timestamp / periodMs) * periodMs;
    const list = buckets.get(start) ?? [];
    list.push(d.value);
    buckets.set(start, list);
  }
  const value = (start: number) => {
    const list = buckets.get(start);
    return list && list.length > 0 ? aggregate(list, alarm.statistic) : undefined;
  };
  const range = alarm.evaluationPeriods + EVALUATION_RANGE_EXTRA;
  const transitions: Transition[] = [];
  let state: AlarmState = "INSUFFICIENT_DATA";
  for (let t = Math.ceil(from / stepMs) * stepMs; t <= to; t += stepMs) {
    // The newest complete period ends at or before t.
    const newest = Math.floor(t / periodMs) * periodMs - periodMs;
    const periods = Array.from({ length: range }, (_, i) => value(newest - i * periodMs));
    const next = evaluateRange(alarm, periods, state);
    if (next.state !== state) {
      const actions =
        next.state === "ALARM"
          ? alarm.alarmActions
          : next.state === "OK"
            ? alarm.okActions
            : alarm.insufficientDataActions;
      transitions.push({
        alarm: alarm.name,
        at: t,
        from: state,
        to: next.state,
        actions,
        reason: next.reason,
      });
      state = next.state;
    }
  }
  return transitions;
}

/**
 * The datapoints in one embedded-metric-format log line (what Powertools Metrics writes and
 * CloudWatch Logs turns into metrics): one per metric and dimension set of each directive.
 */
export function emfDatapoints(line: Readonly<Record<string, unknown>>): Datapoint[] {
  const aws = line._aws as
    | {
        Timestamp?: number;
        CloudWatchMetrics?: {
          Namespace?: string;
          Dimensions?: string[][];
          Metrics?: { Name?: string }[];
        }[];
      }
    | undefined;
  if (!aws || typeof aws.Timestamp !== "number" || !Array.isArray(aws.CloudWatchMetrics)) {
    return [];
  }
  const points: Datapoint[] = [];
  for (const directive of aws.CloudWatchMetrics) {
    const namespace = directive.Namespace ?? "";
    const sets = directive.Dimensions?.length ? directive.Dimensions : [[]];
    for (const metric of directive.Metrics ?? []) {
      const name = metric.Name ?? "";
      const raw = line[name];
      const values = (Array.isArray(raw) ? raw : [raw]).map(Number).filter(Number.isFinite);
      for (const set of sets) {
        const dimensions = Object.fromEntries(set.map((k) => [k, String(line[k])]));
        for (const value of values) {
          points.push({ namespace, metricName: name, dimensions, value, timestamp: aws.Timestamp });
        }
      }
    }
  }
  return points;
}
