/**
 * What `status` and `report` conclude from an inventory: pure code, no AWS call, so each rule is
 * tested on its own. The failsafe side's view is the authority on RPO (lineageStates, the same
 * function the failsafe sweep alarms with); prod's view says why a database is not protected
 * (the prod sweep's reasons: not tagged, backups off, no intermediate copy, not shared).
 */
import { ageHours } from "../handlers/context";
import {
  copyTime,
  lineageStates,
  type LineageState,
  type LineageStatus,
} from "../handlers/lineage";
import { isManagedSnapshotId, type SnapshotKind } from "../handlers/naming";
import {
  copiesKeptPerSource,
  forecastQuota,
  intermediatesPerSource,
  QUOTA_ALARM_PERCENT,
  quotaFit,
  type QuotaForecast,
} from "../handlers/quota";
import type { SnapshotInfo } from "../handlers/rds";
import { planRetention, toRetentionCopy, type RetentionDecision } from "../handlers/retention";
import { isManagedTagged, isSelected, lineageKey, sourceKey, TAG } from "../handlers/tags";
import type { AccountName } from "./accounts";
import type { AccountInventory, AlarmState, Inventory, QueueDepth } from "./inventory";

/**
 * Tags the restore drills write on the copy they restored (recovery issue). Shown when present;
 * nothing here depends on them.
 */
export const DRILL_TAGS = {
  lastDrill: "failsafe:last-drill",
  result: "failsafe:drill-result",
  rtoSeconds: "failsafe:drill-rto-seconds",
} as const;

export type Protection =
  /** Its current lineage has a copy within rpoHours. */
  | "protected"
  /** Its current lineage's newest copy is older than rpoHours (the RPO alarm fires). */
  | "breach"
  /** Tagged, but no copy of its current lineage reached the failsafe account, past the grace period. */
  | "unprotected"
  /** Tagged and new: within unprotectedAfterHours, or its first copy is still being made. */
  | "pending"
  /** An operator retired its lineage (npx rds-failsafe retire): no RPO; its copies are kept. */
  | "retired"
  /** Not tagged for protection. */
  | "not-selected"
  /** Copies of a database (lineage) that is no longer in prod, or of an account not read. */
  | "gone";

export interface DatabaseRow {
  readonly account: string;
  readonly kind: SnapshotKind;
  readonly id: string;
  readonly inProd: boolean;
  readonly resourceId: string | undefined;
  readonly engine: string | undefined;
  readonly tagged: boolean;
  readonly protection: Protection;
  /** Why the row is in that state, in words an operator can act on. */
  readonly reason: string;
  readonly newestAutomated: { readonly id: string; readonly time: Date | undefined } | undefined;
  readonly newestIntermediate:
    | { readonly id: string; readonly time: Date | undefined; readonly shared: boolean | undefined }
    | undefined;
  readonly newestCopy:
    | {
        readonly id: string;
        readonly time: Date | undefined;
        readonly ageHours: number;
        readonly status: string;
      }
    | undefined;
  readonly copies: number;
  /** Copies per retention tier (daily, weekly, monthly…, from the retention plan's decisions). */
  readonly tiers: Readonly<Record<string, number>>;
  readonly lineage: string | undefined;
  readonly lineageStatus: LineageStatus | undefined;
  readonly frozen: boolean;
  readonly lastDrill:
    | {
        readonly time: Date | undefined;
        readonly result: string | undefined;
        readonly rtoSeconds: number | undefined;
      }
    | undefined;
  /** Counts toward the exit status: an RPO breach, or a tagged database left unprotected. */
  readonly inBreach: boolean;
}

export interface CopyRow {
  readonly id: string;
  readonly kind: SnapshotKind;
  readonly arn: string;
  readonly account: string;
  readonly sourceId: string;
  readonly lineage: string;
  readonly dataTime: Date | undefined;
  readonly created: Date | undefined;
  readonly status: string;
  readonly encrypted: boolean;
  readonly kmsKeyId: string | undefined;
  /** The copy is encrypted with the vault key in force (undefined: the key is not known). */
  readonly vaultKey: boolean | undefined;
  readonly tier: string;
  readonly lineageStatus: LineageStatus;
  readonly drillResult: string | undefined;
}

export interface QuotaRow {
  readonly account: AccountName;
  readonly kind: SnapshotKind;
  readonly name: string;
  readonly used: number;
  readonly max: number;
  readonly percent: number;
  readonly forecast: QuotaForecast;
  /** Snapshots the protected databases need at steady state, and whether that fits 80 %. */
  readonly steadyState: {
    readonly needed: number;
    readonly fits: boolean;
    readonly capacity: number;
  };
  readonly level: "ok" | "warn" | "bad";
  readonly note: string;
}

export interface AccountSummary {
  readonly name: AccountName;
  readonly identity: { readonly account: string; readonly arn: string };
  readonly quotas: readonly QuotaRow[];
  readonly dlqs: readonly QueueDepth[];
  readonly alarms: readonly AlarmState[];
  /** Context that could not be read (the permission it needs). */
  readonly unreadable: readonly string[];
}

export interface Assessment {
  readonly generatedAt: Date;
  readonly rows: readonly DatabaseRow[];
  readonly copies: readonly CopyRow[];
  readonly accounts: readonly AccountSummary[];
  readonly warnings: readonly string[];
  readonly verdict: { readonly level: "ok" | "warn" | "breach"; readonly line: string };
  /** Intermediates whose share state decides a reason but was not given (see shareChecks). */
  readonly shareChecks: readonly { readonly kind: SnapshotKind; readonly id: string }[];
}

/** Retention tier of one plan decision: the plan's own `tier` when it says one, else its reason. */
export function tierOf(decision: RetentionDecision & { readonly tier?: unknown }): string {
  if (typeof decision.tier === "string" && decision.tier) {
    return decision.tier;
  }
  const reason = decision.reason.toLowerCase();
  if (decision.action === "delete") return "expiring";
  if (reason.startsWith("not available")) return "pending";
  if (reason.startsWith("frozen")) return "frozen";
  if (/\bweek/.test(reason)) return "weekly";
  if (/\bmonth/.test(reason)) return "monthly";
  return "daily";
}

const TIER_ORDER = ["daily", "weekly", "monthly", "frozen", "pending", "expiring"];

export function formatTiers(tiers: Readonly<Record<string, number>>): string {
  const keys = Object.keys(tiers).sort(
    (a, b) =>
      (TIER_ORDER.indexOf(a) + 1 || 99) - (TIER_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  return keys.map((k) => `${k} ${tiers[k]}`).join(", ");
}

const byNewest = (a: SnapshotInfo, b: SnapshotInfo) =>
  (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0);

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function lastDrillOf(copies: readonly SnapshotInfo[]): DatabaseRow["lastDrill"] {
  let best: SnapshotInfo | undefined;
  for (const c of copies) {
    const t = c.tags[DRILL_TAGS.lastDrill];
    if (t && (!best || t > (best.tags[DRILL_TAGS.lastDrill] ?? ""))) {
      best = c;
    }
  }
  if (!best) return undefined;
  const time = new Date(best.tags[DRILL_TAGS.lastDrill] ?? "");
  const rto = Number(best.tags[DRILL_TAGS.rtoSeconds]);
  return {
    time: Number.isNaN(time.getTime()) ? undefined : time,
    result: best.tags[DRILL_TAGS.result],
    rtoSeconds: Number.isFinite(rto) ? rto : undefined,
  };
}

/**
 * One row per database in prod (cluster member instances are covered by their cluster), then
 * one per lineage whose database is no longer there (deleted, re-created, or of a prod account not
 * read), then the copies, the accounts and the verdict. `shared` gives the `restore` state of
 * intermediates (by kind/id) where it decides a reason; those not given are listed in shareChecks.
 */
export function assess(
  inv: Inventory,
  shared: ReadonlyMap<string, boolean> = new Map(),
): Assessment {
  const now = inv.now;
  const fs = inv.settings.failsafe.values;
  const prodSettings = inv.settings.prod.values;
  const prodAccount = inv.prod.identity.account;
  const failsafeAccount = inv.failsafe.identity.account;

  const copies = inv.failsafe.manual.filter(
    (s) => isManagedTagged(s.tags) && isManagedSnapshotId(s.kind, s.id),
  );
  const lineages = lineageStates(copies, now, fs);
  const lineageByKey = new Map(lineages.map((l) => [l.key, l]));
  const tiersByCopy = new Map<string, string>();
  for (const l of lineages) {
    for (const d of planRetention(l.copies.map(toRetentionCopy), now, fs)) {
      tiersByCopy.set(`${l.kind}/${d.id}`, tierOf(d));
    }
  }

  const intermediates = group(
    inv.prod.manual
      .filter((s) => isManagedTagged(s.tags) && isManagedSnapshotId(s.kind, s.id))
      .sort(byNewest),
    (s) => `${s.kind}/${s.tags[TAG.sourceId] || s.sourceId}`,
  );
  const automated = group(
    inv.automated.filter((s) => s.status === "available").sort(byNewest),
    (s) => `${s.kind}/${s.sourceId}`,
  );
  const lineagesByName = group(lineages, (l) => sourceKey(l.kind, l.account, l.sourceId));

  const rows: DatabaseRow[] = [];
  const used = new Set<string>();
  const shareChecks: { kind: SnapshotKind; id: string }[] = [];

  const lineageColumns = (l: LineageState | undefined) => {
    if (!l) {
      return {
        newestCopy: undefined,
        copies: 0,
        tiers: {},
        lineage: undefined,
        lineageStatus: undefined,
        frozen: false,
        lastDrill: undefined,
      };
    }
    const tiers: Record<string, number> = {};
    for (const c of l.copies) {
      const tier = tiersByCopy.get(`${c.kind}/${c.id}`) ?? "pending";
      tiers[tier] = (tiers[tier] ?? 0) + 1;
    }
    const newest = l.copies.find((c) => c.status === "available") ?? l.newestCopy;
    return {
      newestCopy: newest
        ? { id: newest.id, time: copyTime(newest), ageHours: l.ageHours, status: newest.status }
        : undefined,
      copies: l.copies.length,
      tiers,
      lineage: l.key,
      lineageStatus: l.status,
      frozen: l.frozen,
      lastDrill: lastDrillOf(l.copies),
    };
  };
  const rpoReason = (l: LineageState): string =>
    l.status === "breach"
      ? `newest failsafe copy is ${Math.floor(l.ageHours)} h old, over rpoHours ${fs.rpoHours}`
      : `newest failsafe copy ${l.ageHours.toFixed(1)} h old (rpoHours ${fs.rpoHours})`;

  const databases = inv.databases.filter((d) => !d.clusterId);
  for (const db of databases) {
    const tagged = isSelected(
      db.tags,
      prodSettings.selectionTagKey,
      prodSettings.selectionTagValue,
    );
    const name = sourceKey(db.kind, prodAccount, db.id);
    const sameName = lineagesByName.get(name) ?? [];
    const current = db.resourceId
      ? lineageByKey.get(lineageKey(db.kind, prodAccount, db.resourceId))
      : sameName.find((l) => l.status !== "superseded");
    if (current) used.add(current.key);
    const ownIntermediates = (intermediates.get(`${db.kind}/${db.id}`) ?? []).filter(
      (s) => !db.resourceId || !s.resourceId || s.resourceId === db.resourceId,
    );
    const newestIntermediate = ownIntermediates.find((s) => s.status === "available");
    const newestAuto = (automated.get(`${db.kind}/${db.id}`) ?? []).find(
      (s) => !db.resourceId || !s.resourceId || s.resourceId === db.resourceId,
    );
    const columns = lineageColumns(current);
    const hasCopy = current?.newest !== undefined;
    const age = ageHours(now, db.createTime);
    const young = age <= prodSettings.unprotectedAfterHours;
    let protection: Protection;
    let reason: string;
    let sharedState: boolean | undefined;
    const tagText = `${prodSettings.selectionTagKey}=${prodSettings.selectionTagValue}`;
    if (!tagged) {
      protection = "not-selected";
      const value = db.tags[prodSettings.selectionTagKey];
      reason =
        value === undefined
          ? `not tagged ${tagText}`
          : `tagged ${prodSettings.selectionTagKey}=${value}, not ${prodSettings.selectionTagValue}`;
      if (current) {
        reason += `; it has ${current.copies.length} failsafe copies, which count for the RPO until it is retired`;
      }
    } else if (current && hasCopy) {
      if (current.status === "ok" || current.status === "breach") {
        protection = current.status === "ok" ? "protected" : "breach";
        reason = rpoReason(current);
      } else if (current.status === "retired") {
        protection = "retired";
        reason =
          "retired by an operator: no RPO although still tagged; its copies are kept (count it again: npx rds-failsafe retire --undo)";
      } else {
        protection = "unprotected";
        reason =
          current.status === "account-removed"
            ? `prod account ${prodAccount} is not in the failsafe side's prodAccountIds: new snapshots are not saved`
            : `its copies are ${current.status}`;
      }
    } else if (db.backupRetentionPeriod === 0) {
      protection = "unprotected";
      reason = "automated backups are off (BackupRetentionPeriod 0): there is nothing to copy";
    } else {
      if (!fs.prodAccountIds.includes(prodAccount)) {
        reason = `prod account ${prodAccount} is not in the failsafe side's prodAccountIds: its snapshots are not saved`;
      } else if (current) {
        reason = `its first failsafe copy ${current.newestCopy?.id ?? ""} is ${current.newestCopy?.status ?? "being made"}`;
      } else if (!newestAuto) {
        reason = "no automated snapshot yet";
      } else if (!newestIntermediate) {
        reason = `no intermediate copy of its automated snapshot ${newestAuto.id} in prod`;
      } else {
        sharedState = shared.get(`${db.kind}/${newestIntermediate.id}`);
        if (sharedState === undefined) {
          shareChecks.push({ kind: db.kind, id: newestIntermediate.id });
        }
        reason =
          sharedState === false
            ? `its newest intermediate copy ${newestIntermediate.id} is not shared with the failsafe account`
            : `its intermediate copy ${newestIntermediate.id} is shared but not copied into the failsafe account yet (see the save queue and its DLQ)`;
      }
      const copying = current !== undefined;
      protection = copying || young ? "pending" : "unprotected";
      if (protection === "pending" && !copying) {
        reason += ` (created ${Math.floor(age)} h ago, within unprotectedAfterHours ${prodSettings.unprotectedAfterHours})`;
      }
    }
    rows.push({
      account: prodAccount,
      kind: db.kind,
      id: db.id,
      inProd: true,
      resourceId: db.resourceId,
      engine: db.engine,
      tagged,
      protection,
      reason,
      newestAutomated: newestAuto ? { id: newestAuto.id, time: newestAuto.createTime } : undefined,
      newestIntermediate: newestIntermediate
        ? { id: newestIntermediate.id, time: newestIntermediate.createTime, shared: sharedState }
        : undefined,
      ...columns,
      inBreach: current?.status === "breach" || protection === "unprotected",
    });
  }

  const prodNames = new Set(databases.map((d) => sourceKey(d.kind, prodAccount, d.id)));
  for (const l of lineages) {
    if (used.has(l.key)) continue;
    const name = sourceKey(l.kind, l.account, l.sourceId);
    let reason: string;
    if (l.account !== prodAccount) {
      reason = `prod account ${l.account} was not read (status reads ${prodAccount})`;
    } else if (prodNames.has(name)) {
      reason = `an earlier database named ${l.sourceId} (resource id ${l.resourceId}): the database was re-created`;
    } else {
      reason = `no longer in prod (deleted?)`;
    }
    if (l.status === "breach") {
      reason += `; ${rpoReason(l)}: retire it if it was decommissioned on purpose (npx rds-failsafe retire --source ${l.account}/${l.kind}/${l.sourceId} --lineage ${l.resourceId} --apply)`;
    } else if (l.status !== "ok") {
      reason += `; ${l.status}, copies kept${l.frozen ? " (frozen)" : ""}`;
    }
    rows.push({
      account: l.account,
      kind: l.kind,
      id: l.sourceId,
      inProd: false,
      resourceId: l.resourceId,
      engine: l.newestCopy?.engine,
      tagged: false,
      protection: "gone",
      reason,
      newestAutomated: undefined,
      newestIntermediate: undefined,
      ...lineageColumns(l),
      inBreach: l.status === "breach",
    });
  }

  const order: Record<Protection, number> = {
    breach: 0,
    unprotected: 1,
    pending: 2,
    gone: 3,
    retired: 4,
    protected: 5,
    "not-selected": 6,
  };
  rows.sort(
    (a, b) =>
      Number(b.inBreach) - Number(a.inBreach) ||
      order[a.protection] - order[b.protection] ||
      a.id.localeCompare(b.id) ||
      a.kind.localeCompare(b.kind) ||
      (a.lineage ?? "").localeCompare(b.lineage ?? ""),
  );

  const vaultKnown = inv.settings.failsafe.origin.vaultKmsKeyArn !== "default";
  const copyRows: CopyRow[] = lineages.flatMap((l) =>
    l.copies.map((c) => ({
      id: c.id,
      kind: c.kind,
      arn: c.arn,
      account: l.account,
      sourceId: l.sourceId,
      lineage: l.key,
      dataTime: copyTime(c),
      created: c.createTime,
      status: c.status,
      encrypted: c.encrypted,
      kmsKeyId: c.kmsKeyId,
      vaultKey:
        vaultKnown && c.encrypted
          ? sameKey(c.kmsKeyId, fs.vaultKmsKeyArn)
          : vaultKnown
            ? false
            : undefined,
      tier: tiersByCopy.get(`${c.kind}/${c.id}`) ?? "pending",
      lineageStatus: l.status,
      drillResult: c.tags[DRILL_TAGS.result],
    })),
  );

  const accounts = [
    summarize(inv.prod, inv, rows, lineages),
    summarize(inv.failsafe, inv, rows, lineages),
  ];

  const warnings: string[] = [];
  if (!fs.prodAccountIds.includes(prodAccount)) {
    warnings.push(
      `prod account ${prodAccount} is not in the failsafe side's prodAccountIds (${fs.prodAccountIds.join(", ")}): nothing it shares is saved`,
    );
  }
  if (prodSettings.failsafeAccountId !== failsafeAccount) {
    warnings.push(
      `prod hands off to failsafe account ${prodSettings.failsafeAccountId}, but the failsafe credentials are for ${failsafeAccount}`,
    );
  }
  for (const side of ["prod", "failsafe"] as const) {
    const s = inv.settings[side];
    if (!s.deployed) {
      warnings.push(`${side} settings: ${s.source}; using defaults${overridden(s.origin)}`);
    }
  }
  for (const a of accounts) {
    for (const q of a.quotas.filter((q) => q.level !== "ok")) {
      warnings.push(`${a.name} ${q.name}: ${q.note}`);
    }
    for (const d of a.dlqs.filter((d) => d.messages > 0)) {
      warnings.push(`${a.name} ${d.name}: ${d.messages} message(s) waiting`);
    }
    for (const state of ["ALARM", "INSUFFICIENT_DATA"]) {
      const names = a.alarms.filter((al) => al.state === state).map((al) => al.name);
      if (names.length > 0) {
        warnings.push(
          `${a.name}: ${names.length === 1 ? "alarm" : `${names.length} alarms`} ${state}: ${names.join(", ")}${state === "INSUFFICIENT_DATA" ? " (no figures yet after a deploy, or a sweep stopped: see the runbook)" : ""}`,
        );
      }
    }
    for (const u of a.unreadable) {
      warnings.push(`${a.name}: could not read ${u}`);
    }
  }

  return {
    generatedAt: now,
    rows,
    copies: copyRows,
    accounts,
    warnings,
    verdict: verdictOf(rows, warnings, fs.rpoHours),
    shareChecks,
  };
}

function overridden(origin: Readonly<Record<string, string>>): string {
  const keys = Object.entries(origin)
    .filter(([, o]) => o === "override")
    .map(([k]) => k);
  return keys.length ? ` and --set ${keys.join(", ")}` : "";
}

function sameKey(a: string | undefined, b: string): boolean {
  const id = (x: string | undefined) => (x ?? "").replace(/^.*:key\//, "");
  return id(a) !== "" && id(a) === id(b);
}

function summarize(
  account: AccountInventory,
  inv: Inventory,
  rows: readonly DatabaseRow[],
  lineages: readonly LineageState[],
): AccountSummary {
  const unreadable = [account.quotas, account.quotaHistory, account.dlqs, account.alarms]
    .map((r) => r.error)
    .filter((e): e is string => e !== undefined);
  const quotas: QuotaRow[] = (account.quotas.value ?? []).map((q) => {
    const manual = account.manual.filter((s) => s.kind === q.kind);
    const ours = manual.filter((s) => isManagedTagged(s.tags) && isManagedSnapshotId(s.kind, s.id));
    const other = Math.max(0, q.used - ours.length);
    let needed: number;
    let perSource: number;
    if (account.name === "failsafe") {
      perSource = copiesKeptPerSource(inv.settings.failsafe.values);
      const kindLineages = lineages.filter((l) => l.kind === q.kind);
      const growing = kindLineages.filter(
        (l) => l.status === "ok" || (l.status === "breach" && !l.frozen),
      );
      const growingKeys = new Set(growing.map((l) => l.key));
      const still = kindLineages.filter((l) => !growingKeys.has(l.key));
      const newSources = rows.filter(
        (r) => r.kind === q.kind && r.inProd && r.tagged && r.lineage === undefined,
      ).length;
      needed =
        (growing.length + newSources) * perSource +
        still.reduce((n, l) => n + l.copies.length, 0) +
        other;
    } else {
      perSource = intermediatesPerSource(inv.settings.prod.values.intermediateKeepHours);
      const tagged = rows.filter((r) => r.kind === q.kind && r.inProd && r.tagged).length;
      needed = tagged * perSource + other;
    }
    const fit = quotaFit(0, perSource, q.max, other);
    const fits = needed <= Math.floor((q.max * QUOTA_ALARM_PERCENT) / 100);
    const history = account.quotaHistory.value?.[q.kind];
    const forecast = forecastQuota({
      used: q.used,
      max: q.max,
      now: inv.now,
      history,
      createdTimes: manual.map((s) => s.createTime),
    });
    const days = forecast.daysUntilFull;
    const level: QuotaRow["level"] =
      q.percent >= QUOTA_ALARM_PERCENT ? "bad" : !fits || days < 30 ? "warn" : "ok";
    const when = Number.isFinite(days)
      ? `full in ${days < 1 ? "under a day" : `${Math.floor(days)} days`} at ${forecast.perDay}/day (${forecast.basis === "metric" ? "measured by the sweep" : "from creation times, deletions not seen"})`
      : "not growing";
    const note =
      level === "bad"
        ? `${q.used}/${q.max} (${q.percent} %) at or over the ${QUOTA_ALARM_PERCENT} % alarm; ${when}: request a quota increase`
        : !fits
          ? `the protected databases need ${needed} at steady state (${perSource} each), over ${QUOTA_ALARM_PERCENT} % of ${q.max}: request a quota increase`
          : when;
    return {
      account: account.name,
      kind: q.kind,
      name: q.name,
      used: q.used,
      max: q.max,
      percent: q.percent,
      forecast,
      steadyState: { needed, fits, capacity: fit.capacity },
      level,
      note,
    };
  });
  return {
    name: account.name,
    identity: account.identity,
    quotas,
    dlqs: account.dlqs.value ?? [],
    alarms: account.alarms.value ?? [],
    unreadable,
  };
}

function verdictOf(
  rows: readonly DatabaseRow[],
  warnings: readonly string[],
  rpoHours: number,
): Assessment["verdict"] {
  const breaching = rows.filter((r) => r.inBreach);
  const counted = rows.filter((r) => r.protection === "protected" || r.protection === "breach");
  const list = (rs: readonly DatabaseRow[]) =>
    rs
      .slice(0, 5)
      .map((r) => r.id)
      .join(", ") + (rs.length > 5 ? `, +${rs.length - 5} more` : "");
  if (breaching.length > 0) {
    const rpo = breaching.filter((r) => r.lineageStatus === "breach");
    const unprotected = breaching.filter((r) => r.lineageStatus !== "breach");
    const parts = [
      rpo.length ? `${rpo.length} out of RPO ${rpoHours} h (${list(rpo)})` : "",
      unprotected.length
        ? `${unprotected.length} tagged but unprotected (${list(unprotected)})`
        : "",
    ].filter(Boolean);
    return { level: "breach", line: `BREACH: ${parts.join("; ")}` };
  }
  const pending = rows.filter((r) => r.protection === "pending").length;
  const oldest = Math.max(0, ...counted.map((r) => r.newestCopy?.ageHours ?? 0));
  const base = `${counted.length} protected database(s) within RPO ${rpoHours} h (oldest newest copy ${oldest.toFixed(1)} h)${pending ? `, ${pending} pending` : ""}`;
  if (warnings.length > 0) {
    return { level: "warn", line: `OK with ${warnings.length} warning(s): ${base}` };
  }
  return { level: "ok", line: `OK: ${base}` };
}
