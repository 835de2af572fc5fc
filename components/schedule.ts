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
    return { ok: true, hourly: value * unit.minutes <= 60 };
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
  return { ok: true, hourly };
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
