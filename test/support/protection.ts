// What the fault suite, the demo and the bench report: of the tagged databases, how many have a
// failsafe copy, how many copies too many, how many are lost.
import type { SnapshotKind } from "../../handlers/naming";
import type { SnapshotInfo } from "../../handlers/rds";
import { TAG } from "../../handlers/tags";
import type { World } from "./world";

export interface Source {
  readonly kind: SnapshotKind;
  readonly id: string;
}

export interface Protection {
  readonly tagged: number;
  readonly protected: number;
  readonly protectedPct: number;
  /** Snapshots beyond one per source and stage (each source has one automated snapshot). */
  readonly duplicates: number;
  /** Tagged sources with no available failsafe copy. */
  readonly lost: number;
  readonly intermediates: Map<string, SnapshotInfo[]>;
  readonly copies: Map<string, SnapshotInfo[]>;
}

export const sourceKeyOf = (s: Source) => `${s.kind}/${s.id}`;

function bySource(
  snapshots: readonly SnapshotInfo[],
  skip: ReadonlySet<string>,
): Map<string, SnapshotInfo[]> {
  const map = new Map<string, SnapshotInfo[]>();
  for (const s of snapshots) {
    if (s.tags[TAG.managed] !== "true" || skip.has(s.id)) continue;
    const key = `${s.kind}/${s.tags[TAG.sourceId] ?? s.sourceId}`;
    map.set(key, [...(map.get(key) ?? []), s]);
  }
  return map;
}

/** `preexisting`: snapshot ids made before the run (a scenario's filler), not counted. */
export async function protection(
  world: World,
  tagged: readonly Source[],
  preexisting: ReadonlySet<string> = new Set(),
): Promise<Protection> {
  const kinds: SnapshotKind[] = ["instance", "cluster"];
  const intermediates = bySource(
    (await Promise.all(kinds.map((k) => world.manualSnapshots(world.prod, k)))).flat(),
    preexisting,
  );
  const copies = bySource(
    (await Promise.all(kinds.map((k) => world.manualSnapshots(world.failsafe, k)))).flat(),
    preexisting,
  );
  let protectedCount = 0;
  let duplicates = 0;
  for (const source of tagged) {
    const key = sourceKeyOf(source);
    const saved = copies.get(key) ?? [];
    if (saved.some((s) => s.status === "available")) protectedCount += 1;
    duplicates +=
      Math.max(0, saved.length - 1) + Math.max(0, (intermediates.get(key)?.length ?? 0) - 1);
  }
  return {
    tagged: tagged.length,
    protected: protectedCount,
    protectedPct: tagged.length ? (100 * protectedCount) / tagged.length : 100,
    duplicates,
    lost: tagged.length - protectedCount,
    intermediates,
    copies,
  };
}
