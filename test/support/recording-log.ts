import type { Log } from "../../handlers/log";

export interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A Log that keeps every line, so tests can assert on each decision and its reason. */
export class RecordingLog implements Log {
  readonly lines: LogLine[] = [];

  info(message: string, attributes: Record<string, unknown>): void {
    this.lines.push({ level: "info", message, attributes });
  }

  warn(message: string, attributes: Record<string, unknown>): void {
    this.lines.push({ level: "warn", message, attributes });
  }

  error(message: string, attributes: Record<string, unknown>): void {
    this.lines.push({ level: "error", message, attributes });
  }

  /** The outcome lines (those with a decision), in order. */
  decisions(): { decision: string; reason: string; handler: string }[] {
    return this.lines
      .filter((l) => typeof l.attributes.decision === "string")
      .map((l) => ({
        decision: String(l.attributes.decision),
        reason: String(l.attributes.reason),
        handler: String(l.attributes.handler),
      }));
  }

  clear(): void {
    this.lines.length = 0;
  }
}
