/**
 * `npm run archives`: each Lambda archive the program would upload (from the program under mocks,
 * stack mode "both"): its files, their sizes, and the zip size (deflate, as the Pulumi CLI zips
 * archives: local header + central directory entry per file plus the end record). Goal ≤ 50 KB.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { deflateRawSync } from "node:zlib";
import { baseConfig, evaluateProgram } from "../test/program/support";

const GOAL_BYTES = 50 * 1024;

export function archiveFiles(dir: string): { file: string; bytes: number; deflated: number }[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      const data = fs.readFileSync(full);
      return {
        file: path.relative(dir, full),
        bytes: data.length,
        deflated: deflateRawSync(data, { level: 9 }).length,
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

export function zipSize(files: { file: string; deflated: number }[]): number {
  return files.reduce((sum, f) => sum + f.deflated + 30 + 46 + 2 * Buffer.byteLength(f.file), 22);
}

function main(): void {
  const { archivesDir } = evaluateProgram(baseConfig("both"));
  let over = false;
  for (const name of fs.readdirSync(archivesDir).sort()) {
    const files = archiveFiles(path.join(archivesDir, name));
    const zip = zipSize(files);
    over ||= zip > GOAL_BYTES;
    console.log(
      `${name}: zip ${(zip / 1024).toFixed(1)} KB ${zip <= GOAL_BYTES ? "(≤ 50 KB goal)" : "(OVER the 50 KB goal)"}`,
    );
    for (const f of files) {
      console.log(
        `  ${f.file.padEnd(24)} ${String(f.bytes).padStart(8)} B  (deflated ${f.deflated} B)`,
      );
    }
  }
  process.exit(over ? 1 : 0);
}

if (require.main === module) {
  main();
}
