import { RemoveTagsFromResourceCommand } from "@aws-sdk/client-rds";
import type { Command } from "commander";
import { lineageOf } from "../../handlers/lineage";
import { RdsSnapshots, type SnapshotInfo } from "../../handlers/rds";
import { TAG } from "../../handlers/tags";
import { accountClients, UsageError, type AccountOptions } from "../accounts";
import { failsafeCopies } from "../copies-of";
import { table, type Out } from "../output";

export interface RetireOptions {
  readonly source: string;
  readonly lineage?: string;
  readonly all?: boolean;
  readonly undo?: boolean;
  readonly apply?: boolean;
}

/**
 * `retire`: a database decommissioned on purpose stops counting for the RPO. Its copies are kept
 * (frozen) — retiring never deletes anything. Runs in the failsafe account only: a prod admin can
 * neither retire a database nor un-retire one, so retiring cannot be used to silence the alarm.
 */
export function registerRetire(program: Command, out: Out, globals: () => AccountOptions): void {
  program
    .command("retire")
    .description(
      "stop counting a decommissioned database for the RPO (its copies are kept); dry run unless --apply",
    )
    .requiredOption(
      "--source <db>",
      "database: orders, instance/orders or <account>/instance/orders",
    )
    .option("--lineage <resource-id>", "only this lineage (DbiResourceId / DbClusterResourceId)")
    .option("--all", "every lineage of the database, when there are several")
    .option("--undo", "count it again (remove the retired mark)")
    .option("--apply", "make the change (default: print what would change)")
    .action(async (options: RetireOptions) => {
      await retire(globals(), options, out);
    });
}

export async function retire(
  globals: AccountOptions,
  options: RetireOptions,
  out: Out,
): Promise<void> {
  const failsafe = accountClients("failsafe", globals);
  const copies = await failsafeCopies(failsafe, options.source);
  const byLineage = new Map<string, SnapshotInfo[]>();
  for (const copy of copies) {
    const lineage = lineageOf(copy);
    if (lineage) {
      byLineage.set(lineage.resourceId, [...(byLineage.get(lineage.resourceId) ?? []), copy]);
    }
  }
  if (byLineage.size === 0) {
    throw new UsageError(`no failsafe copies of ${options.source} in the failsafe account`);
  }
  let chosen = [...byLineage.keys()];
  if (options.lineage) {
    if (!byLineage.has(options.lineage)) {
      throw new UsageError(
        `${options.source} has no lineage ${options.lineage}; its lineages: ${chosen.join(", ")}`,
      );
    }
    chosen = [options.lineage];
  } else if (chosen.length > 1 && !options.all) {
    throw new UsageError(
      `${options.source} has ${chosen.length} lineages (${chosen.join(", ")}): name one with --lineage, or give --all`,
    );
  }
  const now = new Date().toISOString();
  const rows = chosen.map((resourceId) => {
    const group = byLineage.get(resourceId) ?? [];
    const retired = group.some((c) => c.tags[TAG.retired]);
    return [
      resourceId,
      group.length,
      retired ? "retired" : "counted",
      options.undo ? "count again" : "retire",
    ];
  });
  out.line(table(["lineage", "copies", "now", "change"], rows).join("\n"));
  if (!options.apply) {
    out.line(
      `dry run: nothing changed. Add --apply to ${options.undo ? "count them again" : "retire them"}.`,
    );
    return;
  }
  const rds = new RdsSnapshots(failsafe.rds);
  for (const resourceId of chosen) {
    for (const copy of byLineage.get(resourceId) ?? []) {
      if (options.undo) {
        await failsafe.rds.send(
          new RemoveTagsFromResourceCommand({ ResourceName: copy.arn, TagKeys: [TAG.retired] }),
        );
      } else {
        await rds.addTags(copy.arn, { [TAG.retired]: now });
      }
    }
  }
  out.line(
    options.undo
      ? `${chosen.length} lineage(s) of ${options.source} count for the RPO again.`
      : `${chosen.length} lineage(s) of ${options.source} retired at ${now}: they no longer count for the RPO; their copies are kept.`,
  );
}
