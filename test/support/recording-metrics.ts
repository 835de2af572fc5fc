import type { MetricsSink } from "../../handlers/metrics";

/** A sink that keeps the figures, for tests. */
export class RecordingMetrics implements MetricsSink {
  readonly points: { name: string; value: number; dimensions?: Record<string, string> }[] = [];
  flushes = 0;

  gauge(name: string, value: number, dimensions?: Readonly<Record<string, string>>): void {
    this.points.push({ name, value, ...(dimensions ? { dimensions: { ...dimensions } } : {}) });
  }

  count(name: string, value: number): void {
    this.points.push({ name, value });
  }

  /** The last value recorded for a metric (and dimensions), or undefined. */
  last(name: string, dimensions?: Readonly<Record<string, string>>): number | undefined {
    const key = JSON.stringify(dimensions ?? {});
    return this.points
      .filter((p) => p.name === name && JSON.stringify(p.dimensions ?? {}) === key)
      .at(-1)?.value;
  }

  flush(): void {
    this.flushes += 1;
  }
}
