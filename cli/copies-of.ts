import { RdsSnapshots, type SnapshotInfo } from "../handlers/rds";
import { lineageOf } from "../handlers/lineage";
import type { SnapshotKind } from "../handlers/naming";
import type { AccountClients } from "./accounts";
import { UsageError } from "./accounts";

/**
 * Every managed failsafe copy in the failsafe account (both kinds, paginated), or only those of
 * one database when `source` is given: `orders`, `instance/orders` or
 * `111111111111/instance/orders` (account and kind narrow it when identifiers repeat).
 */
export async function failsafeCopies(
  failsafe: AccountClients,
  source?: string,
): Promise<SnapshotInfo[]> {
  const wanted = source ? parseSource(source) : undefined;
  const rds = new RdsSnapshots(failsafe.rds);
  const found: SnapshotInfo[] = [];
  const kinds: SnapshotKind[] = wanted?.kind ? [wanted.kind] : ["instance", "cluster"];
  for (const kind of kinds) {
    // Copies keep the database identifier: listing by it reads one database's copies only.
    for await (const copy of rds.listSnapshots(kind, "manual", wanted?.id)) {
      const lineage = lineageOf(copy);
      if (!lineage) {
        continue;
      }
      if (
        wanted &&
        (lineage.sourceId !== wanted.id || (wanted.account && lineage.account !== wanted.account))
      ) {
        continue;
      }
      found.push(copy);
    }
  }
  return found;
}

export interface SourceRef {
  readonly account?: string;
  readonly kind?: SnapshotKind;
  readonly id: string;
}

export function parseSource(source: string): SourceRef {
  const parts = source.split("/");
  const id = parts.at(-1) ?? "";
  const kind = parts.length >= 2 ? parts.at(-2) : undefined;
  const account = parts.length === 3 ? parts[0] : undefined;
  if (
    parts.length > 3 ||
    !/^[a-zA-Z][a-zA-Z0-9-]*$/.test(id) ||
    (kind !== undefined && kind !== "instance" && kind !== "cluster") ||
    (account !== undefined && !/^\d{12}$/.test(account))
  ) {
    throw new UsageError(
      `--source ${JSON.stringify(source)} must be a database identifier, optionally prefixed with its kind and prod account: orders, instance/orders or 111111111111/instance/orders`,
    );
  }
  return {
    id,
    ...(kind === "instance" || kind === "cluster" ? { kind } : {}),
    ...(account ? { account } : {}),
  };
}
