/**
 * EventBridge schedule expressions, checked the way EventBridge checks them at deploy time
 * (EventBridge User Guide, "Schedule expressions for rules"), so that a bad schedule fails the
 * config check with the key's name instead of failing `pulumi up` half-way:
 * - `rate(value unit)`: value a positive whole number; unit minute(s), hour(s) or day(s), singular
 *   exactly when the value is 1 (`rate(1 minutes)` and `rate(5 hour)` are refused);
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields with the documented
 *   values and wildcards, and one of Day-of-month / Day-of-week must be `?`.
 */
export type ScheduleCheck =
  | {
      readonly ok: true;
      /** Whether the schedule fires at least once an hour, every hour. */
      readonly hourly: boolean;
      /**
       * The longest time between two runs, in whole hours rounded up (at least 1), when it can be
       * told from the expression: rates, and crons that run every day (any hours) or on some days
       * of every week; undefined for month- or year-bound crons.
       */
      readonly maxGapHours?: number;
    }
  | { readonly ok: false; readonly why: string };

const UNITS: Readonly<Record<string, { minutes: number; singular: boolean }>> = {
  minute: { minutes: 1, singular: true },
  minutes: { minutes: 1, singular: false },
  hour: { minutes: 60, singular: true },
  hours: { minutes: 60, singular: false },
  day: { minutes: 1440, singular: true },
  days: { minutes: 1440, singular: false },
};

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names allowed instead of numbers (JAN…DEC, SUN…SAT), numbered from min. */
  readonly names?: readonly string[];
  readonly question?: boolean;
  /** Extra single tokens (L, W forms) allowed in this field. */
  readonly special?: RegExp;
}

const FIELDS: readonly FieldRule[] = [
  { name: "Minutes", min: 0, max: 59 },
  { name: "Hours", min: 0, max: 23 },
  { name: "Day-of-month", min: 1, max: 31, question: true, special: /^(L|LW|\d{1,2}W)$/ },
  {
    name: "Month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  {
    name: "Day-of-week",
    min: 1,
    max: 7,
    names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    question: true,
    special: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)?(L|#[1-5])$/i,
  },
  { name: "Year", min: 1970, max: 2199 },
];

export function checkSchedule(expression: string): ScheduleCheck {
  const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = UNITS[rate[2] ?? ""];
    if (!unit) {
      return { ok: false, why: `unit "${rate[2]}" is not minute(s), hour(s) or day(s)` };
    }
    if (value < 1) {
      return { ok: false, why: "the rate must be a positive whole number" };
    }
    if ((value === 1) !== unit.singular) {
      return {
        ok: false,
        why:
          value === 1
            ? `a rate of 1 takes the singular unit (rate(1 ${rate[2]?.replace(/s$/, "")}))`
            : `a rate above 1 takes the plural unit (rate(${value} ${rate[2]}s))`,
      };
    }
    const minutes = value * unit.minutes;
    return { ok: true, hourly: minutes <= 60, maxGapHours: Math.max(1, Math.ceil(minutes / 60)) };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) {
    return { ok: false, why: "must be rate(value unit) or cron(fields)" };
  }
  const fields = (cron[1] ?? "").trim().split(/\s+/);
  if (fields.length !== 6) {
    return {
      ok: false,
      why: `cron takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${fields.length}`,
    };
  }
  for (const [index, rule] of FIELDS.entries()) {
    const problem = checkField(fields[index] ?? "", rule);
    if (problem) {
      return { ok: false, why: `${rule.name} "${fields[index]}": ${problem}` };
    }
  }
  const [, hours, dom, month, dow, year] = fields;
  if ((dom === "?") === (dow === "?")) {
    return { ok: false, why: "exactly one of Day-of-month and Day-of-week must be ?" };
  }
  const every = (f: string | undefined) => f === "*" || f === "?";
  const hourly =
    ["*", "*/1", "0/1", "0-23"].includes(hours ?? "") &&
    every(dom) &&
    every(dow) &&
    month === "*" &&
    year === "*";
  return { ok: true, hourly, maxGapHours: cronMaxGapHours(hours ?? "", dom, dow, month, year) };
}

/** Values a numeric cron field (no L/W/#) takes, or undefined when it uses those forms. */
function expand(field: string, rule: FieldRule): number[] | undefined {
  const values = new Set<number>();
  for (const token of field.split(",")) {
    const [range = "", stepText] = token.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number | undefined;
    let to: number | undefined;
    if (range === "*") {
      [from, to] = [rule.min, rule.max];
    } else {
      const [a = "", b] = range.split("-");
      from = valueOf(a, rule);
      // "a/step" runs from a to the field's end (EventBridge, like cron).
      to = b !== undefined ? valueOf(b, rule) : stepText !== undefined ? rule.max : from;
    }
    if (from === undefined || to === undefined || to < from) {
      return undefined;
    }
    for (let v = from; v <= to; v += step) {
      values.add(v);
    }
  }
  return [...values].sort((x, y) => x - y);
}

/** The longest cyclic gap between sorted values in a cycle of `length`. */
function cyclicGap(values: readonly number[], length: number): number {
  let gap = 0;
  for (const [i, v] of values.entries()) {
    const next = i + 1 < values.length ? (values[i + 1] as number) : (values[0] as number) + length;
    gap = Math.max(gap, next - v);
  }
  return gap;
}

function cronMaxGapHours(
  hours: string,
  dom: string | undefined,
  dow: string | undefined,
  month: string | undefined,
  year: string | undefined,
): number | undefined {
  const hourRule = FIELDS[1];
  const dowRule = FIELDS[4];
  if (!hourRule || !dowRule || month !== "*" || year !== "*") {
    return undefined;
  }
  const runHours = expand(hours, hourRule);
  if (!runHours || runHours.length === 0) {
    return undefined;
  }
  const everyDay = (dom === "*" || dom === "?") && (dow === "*" || dow === "?");
  if (everyDay) {
    return cyclicGap(runHours, 24);
  }
  const days = dom === "?" ? expand(dow ?? "", dowRule) : undefined;
  if (!days || days.length === 0) {
    return undefined;
  }
  // Some days of every week: the longest gap is at most the day gap plus a day (bounded above).
  return cyclicGap(days, 7) * 24 + 24;
}

function checkField(field: string, rule: FieldRule): string | undefined {
  if (field === "?") {
    return rule.question ? undefined : "? is only allowed in Day-of-month and Day-of-week";
  }
  for (const token of field.split(",")) {
    if (token === "") {
      return "empty list item";
    }
    if (rule.special?.test(token)) {
      continue;
    }
    const [range = "", step, extra] = token.split("/");
    if (extra !== undefined) {
      return `"${token}" has more than one /`;
    }
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) {
      return `step "${step}" must be a positive whole number`;
    }
    if (range === "*") {
      continue;
    }
    const bounds = range.split("-");
    if (bounds.length > 2) {
      return `"${range}" is not a value or a range`;
    }
    for (const bound of bounds) {
      const value = valueOf(bound, rule);
      if (value === undefined) {
        return `"${bound}" is not a value from ${rule.min} to ${rule.max}${rule.names ? ` or ${rule.names[0]}…${rule.names.at(-1)}` : ""}`;
      }
    }
  }
  return undefined;
}

function valueOf(token: string, rule: FieldRule): number | undefined {
  const named = rule.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) {
    return rule.min + named;
  }
  if (!/^\d+$/.test(token)) {
    return undefined;
  }
  const value = Number(token);
  return value >= rule.min && value <= rule.max ? value : undefined;
}

/** CloudWatch's longest evaluation range for a period of an hour: 7 days (PutMetricAlarm). */
export const MAX_HEARTBEAT_HOURS = 168;

/**
 * How many hourly periods a "has this stopped?" alarm waits for a schedule's run: its longest gap
 * and one hour more, so one run late by minutes does not tell, one run missed does.
 */
export function heartbeatHours(expression: string): number {
  const check = checkSchedule(expression);
  const gap = check.ok ? check.maxGapHours : undefined;
  if (gap === undefined || gap + 1 > MAX_HEARTBEAT_HOURS) {
    throw new Error(
      `schedule ${expression} runs less than once a week: no CloudWatch alarm can wait for it`,
    );
  }
  return gap + 1;
}
