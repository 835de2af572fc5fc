import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import {
  FAILSAFE_METRICS_SERVICE,
  METRICS_NAMESPACE,
  PROD_METRICS_SERVICE,
} from "../handlers/metrics";
import { partitionOf } from "../handlers/partition";
import { QUOTA_ALARM_PERCENT } from "../handlers/quota";
import { dlqName, logGroupName, NAMES, queueName } from "./names";
import { QUOTA_ALARM_NAMES } from "./quota-alarm";
import { dlqAlarmName, errorsAlarmName, RUNBOOK_PATH } from "./runbook";

export type DashboardSide = "failsafe" | "prod";

/** Dashboard names: one per account, like the ops topics (rds-failsafe-ops / -prod-ops). */
export const DASHBOARD_NAMES: Readonly<Record<DashboardSide, string>> = {
  failsafe: "rds-failsafe",
  prod: "rds-failsafe-prod",
};

/**
 * What each side runs, by fixed name: its functions, the queues with DLQs (by consumer) and its
 * alarms. test/program/dashboard.test.ts checks these against the resources the program makes, so a
 * new function, queue or alarm shows up here (or the test names it).
 */
export const SIDE_PARTS: Readonly<
  Record<
    DashboardSide,
    {
      readonly service: string;
      readonly functions: readonly string[];
      readonly consumers: readonly string[];
      readonly alarms: readonly string[];
    }
  >
> = {
  failsafe: {
    service: FAILSAFE_METRICS_SERVICE,
    functions: [NAMES.fn.save, NAMES.fn.retention, NAMES.fn.failsafeSweep],
    consumers: ["save", "retention"],
    alarms: [
      "rds-failsafe-rpo-breach",
      "rds-failsafe-failsafe-sweep-stopped",
      "rds-failsafe-rejected-handoffs",
      QUOTA_ALARM_NAMES.failsafe,
    ],
  },
  prod: {
    service: PROD_METRICS_SERVICE,
    functions: [NAMES.fn.copy, NAMES.fn.share, NAMES.fn.prodSweep],
    consumers: ["copy", "share"],
    alarms: [
      "rds-failsafe-unprotected-sources",
      "rds-failsafe-prod-sweep-stopped",
      QUOTA_ALARM_NAMES.prod,
    ],
  },
};

/** Every alarm of a side: its own, each function's errors, each DLQ's depth. */
export function sideAlarmNames(side: DashboardSide): string[] {
  const parts = SIDE_PARTS[side];
  return [
    ...parts.alarms,
    ...parts.functions.map(errorsAlarmName),
    ...parts.consumers.map(dlqAlarmName),
  ];
}

export interface DashboardArgs {
  readonly region: string;
  /** The account the dashboard and everything it shows live in. */
  readonly account: string;
  readonly side: DashboardSide;
  /** Failsafe side: the RPO line on the copy-age graph. */
  readonly rpoHours?: number;
  /**
   * Restore drills' figures (namespace RdsFailsafe, the failsafe service dimension), once the
   * drills are deployed: each metric is plotted as its hourly Sum; `perSource`, a metric with a
   * Source dimension, lists the worst sources by Maximum.
   */
  readonly drills?: { readonly metrics: readonly string[]; readonly perSource?: string };
}

/** How many sources the "oldest newest copy" widget lists (Metrics Insights, ORDER BY … LIMIT). */
export const WORST_SOURCES = 10;

type Widget = Record<string, unknown>;

/**
 * The dashboard body: a plain JSON string from config and fixed names only (no resource outputs),
 * so `pulumi preview` shows it whole and it never changes on its own.
 *
 * Metric cost: NewestCopyAgeHours carries a Source dimension, so the failsafe sweep already makes
 * one custom metric per protected lineage; the RPO widget reads them with one Metrics Insights
 * query (ORDER BY MAX() DESC LIMIT 10: the worst ten, whatever their number) instead of a line per
 * source, and everything else is a fixed handful of metrics per account. The outcomes table is a
 * Logs Insights query, billed per GB its time range scans when the dashboard is open.
 */
export function dashboardBody(args: DashboardArgs): string {
  const { region, side } = args;
  const parts = SIDE_PARTS[side];
  const service = ["service", parts.service];
  const metric = (
    title: string,
    metrics: unknown[],
    extra: Record<string, unknown> = {},
  ): Widget => ({
    type: "metric",
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      view: "timeSeries",
      period: 3600,
      stat: "Maximum",
      metrics,
      ...extra,
    },
  });
  const partition = partitionOf(region);
  const alarmArn = (name: string) =>
    `arn:${partition}:cloudwatch:${region}:${args.account}:alarm:${name}`;
  const source = (fn: string) => `SOURCE '${logGroupName(fn)}'`;

  const widgets: Widget[] = [
    {
      type: "text",
      width: 24,
      height: 2,
      properties: {
        markdown: [
          `## rds-failsafe, ${side} account ${args.account} (${region})`,
          `Each alarm's description links to its section of ${RUNBOOK_PATH}. In a shell: \`npx rds-failsafe status\`.`,
        ].join("\n"),
      },
    },
    {
      type: "alarm",
      width: 24,
      height: 3,
      properties: {
        title: "Alarms",
        alarms: sideAlarmNames(side).map(alarmArn),
        sortBy: "stateUpdatedTimestamp",
      },
    },
  ];

  if (side === "failsafe") {
    widgets.push(
      metric(
        `Newest copy age, the ${WORST_SOURCES} oldest sources (h)`,
        [
          [
            {
              id: "worst",
              label: "",
              expression: `SELECT MAX(NewestCopyAgeHours) FROM SCHEMA(${METRICS_NAMESPACE}, Source, service) WHERE service = '${parts.service}' GROUP BY Source ORDER BY MAX() DESC LIMIT ${WORST_SOURCES}`,
            },
          ],
        ],
        {
          yAxis: { left: { min: 0 } },
          ...(args.rpoHours !== undefined
            ? { annotations: { horizontal: [{ label: "rpoHours", value: args.rpoHours }] } }
            : {}),
        },
      ),
      metric("Protected sources and RPO breaches", [
        [METRICS_NAMESPACE, "ProtectedSources", ...service],
        [METRICS_NAMESPACE, "RpoBreaches", ...service],
        [METRICS_NAMESPACE, "RejectedHandoffs", ...service, { stat: "Sum" }],
      ]),
    );
  } else {
    widgets.push(
      metric("Tagged databases not protected", [
        [METRICS_NAMESPACE, "UnprotectedSources", ...service],
      ]),
      metric("Sweeps completed", [
        [METRICS_NAMESPACE, "SweepCompleted", ...service, { stat: "Sum" }],
      ]),
    );
  }

  widgets.push(
    {
      type: "log",
      width: 12,
      height: 6,
      properties: {
        title: "Pipeline outcomes per stage",
        region,
        view: "table",
        query: [
          ...parts.functions.map(source),
          "filter ispresent(decision)",
          "stats count(*) as outcomes by handler, decision",
          "sort handler asc, outcomes desc",
        ].join(" | "),
      },
    },
    metric(
      "Invocations and errors per function",
      parts.functions.flatMap((fn) => [
        ["AWS/Lambda", "Invocations", "FunctionName", fn, { stat: "Sum" }],
        ["AWS/Lambda", "Errors", "FunctionName", fn, { stat: "Sum" }],
      ]),
    ),
    metric(
      "Queue and DLQ depths",
      parts.consumers.flatMap((consumer) => [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlqName(consumer)],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queueName(consumer)],
      ]),
      { period: 300 },
    ),
    metric(
      "Manual-snapshot quota",
      [
        [METRICS_NAMESPACE, "SnapshotQuotaUsedPercent", ...service, { yAxis: "right" }],
        ...(["instance", "cluster"] as const).flatMap((kind) => [
          [METRICS_NAMESPACE, "ManualSnapshotsUsed", "Kind", kind, ...service],
          [METRICS_NAMESPACE, "ManualSnapshotsQuota", "Kind", kind, ...service],
        ]),
      ],
      {
        yAxis: { left: { min: 0 }, right: { min: 0, max: 100 } },
        annotations: {
          horizontal: [{ label: "alarm (% of quota)", value: QUOTA_ALARM_PERCENT, yAxis: "right" }],
        },
      },
    ),
  );

  if (side === "failsafe" && args.drills) {
    widgets.push(
      metric(
        "Restore drills",
        args.drills.metrics.map((name) => [METRICS_NAMESPACE, name, ...service, { stat: "Sum" }]),
      ),
    );
    if (args.drills.perSource) {
      widgets.push(
        metric(`${args.drills.perSource}, the ${WORST_SOURCES} worst sources`, [
          [
            {
              id: "drills",
              label: "",
              expression: `SELECT MAX(${args.drills.perSource}) FROM SCHEMA(${METRICS_NAMESPACE}, Source, service) WHERE service = '${parts.service}' GROUP BY Source ORDER BY MAX() DESC LIMIT ${WORST_SOURCES}`,
            },
          ],
        ]),
      );
    }
  }

  return JSON.stringify({ widgets: layout(widgets) });
}

/** Places widgets left to right, top to bottom, on CloudWatch's 24-column grid. */
function layout(widgets: readonly Widget[]): Widget[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return widgets.map((w) => {
    const width = Number(w.width);
    if (x + width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...w, x, y };
    x += width;
    rowHeight = Math.max(rowHeight, Number(w.height));
    return placed;
  });
}

/**
 * One CloudWatch dashboard of a side, in its account (fixed name, see DASHBOARD_NAMES); `opts`
 * carries the side's provider.
 */
export function opsDashboard(
  resourceName: string,
  args: DashboardArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.Dashboard {
  return new aws.cloudwatch.Dashboard(
    resourceName,
    { dashboardName: DASHBOARD_NAMES[args.side], dashboardBody: dashboardBody(args) },
    opts,
  );
}
