import type { MetricsSink } from "../../handlers/metrics";

/** A sink that keeps the figures, for tests. */
export class RecordingMetrics implements MetricsSink {
  readonly points: { name: string; value: number; dimensions?: Record<string, string> }[] = [];
  flushes = 0;

  gauge(name: string, value: number, dimensions?: Readonly<Record<string, string>>): void {
    this.points.push({ name, value, ...(dimensions ? { dimensions: { ...dimensions } } : {}) });
  }

  flush(): void {
    this.flushes += 1;
  }
}
