import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** Where the sweeps put their figures; CloudWatch alarms read them (EMF through the Lambda log). */
export interface MetricsSink {
  gauge(name: string, value: number, dimensions?: Readonly<Record<string, string>>): void;
  /** A count (Sum is the statistic that alarms read). */
  count(name: string, value: number): void;
  flush(): void;
}

export const METRICS_NAMESPACE = "RdsFailsafe";

/** Powertools' `service` dimension of each side's metrics: the alarms select on it. */
export const PROD_METRICS_SERVICE = "rds-failsafe-prod";
export const FAILSAFE_METRICS_SERVICE = "rds-failsafe-failsafe";

/** Powertools Metrics: embedded metric format lines, no PutMetricData call and no IAM for it. */
export function powertoolsMetrics(serviceName: string): MetricsSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return {
    gauge(name, value, dimensions) {
      if (dimensions) {
        const single = metrics.singleMetric();
        single.addDimensions({ ...dimensions });
        single.addMetric(name, MetricUnit.NoUnit, value);
        return;
      }
      metrics.addMetric(name, MetricUnit.NoUnit, value);
    },
    count(name, value) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
