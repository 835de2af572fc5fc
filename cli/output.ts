/**
 * Output helpers: plain tables that read well in a terminal and in a pasted incident note, JSON for
 * scripts, colour only on a TTY (and never with NO_COLOR, https://no-color.org).
 */
export type Cell = string | number | boolean | undefined | null;

export interface Out {
  line(text?: string): void;
  error(text: string): void;
}

export const stdout: Out = {
  line: (text = "") => process.stdout.write(`${text}\n`),
  error: (text) => process.stderr.write(`${text}\n`),
};

const useColour = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

export function colour(text: string, tone: "good" | "bad" | "warn" | "dim"): string {
  if (!useColour()) {
    return text;
  }
  const code = { good: 32, bad: 31, warn: 33, dim: 2 }[tone];
  return `\u001b[${code}m${text}\u001b[0m`;
}

function show(cell: Cell): string {
  return cell === undefined || cell === null || cell === "" ? "-" : String(cell);
}

// Escape sequences do not take room on screen.
// eslint-disable-next-line no-control-regex -- the escape character is what is matched
const width = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, "").length;

/** A table with a header row; columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  const cells = rows.map((row) => headers.map((_, i) => show(row[i])));
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ""))));
  const render = (row: readonly string[]) =>
    row
      .map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - width(cell)))
      .join("  ")
      .trimEnd();
  return [render(headers), render(widths.map((w) => "-".repeat(w))), ...cells.map(render)];
}

export function hours(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) {
    return "-";
  }
  return value < 48 ? `${value.toFixed(1)} h` : `${(value / 24).toFixed(1)} d`;
}
