import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** Where the sweeps put their figures; CloudWatch alarms read them (EMF through the Lambda log). */
export interface MetricsSink {
  gauge(name: string, value: number, dimensions?: Readonly<Record<string, string>>): void;
  flush(): void;
}

export const METRICS_NAMESPACE = "RdsFailsafe";

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
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
