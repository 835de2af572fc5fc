// npm run demo, second part: two prod accounts, each with a database called `orders` (each team
// picked the same name), protected into ONE failsafe account through the deployed code: the
// failsafe stack (prodAccountIds = both) and each account's own copy stack.
import { setEmulatorLimits } from "../test/harness";
import { orgDeployedCode } from "../test/support/deployed";
import { OrgPipelineSim } from "../test/support/org-sim";
import { createOrgWorld } from "../test/support/org-world";
import { TAG } from "../handlers/tags";

const ACCOUNTS = ["111111111111", "333333333333"] as const;
const COPY_SECONDS = 1;

/** Prints progress with `say` and a table; true when both databases are protected, apart. */
export async function twoProdAccountsDemo(
  say: (line: string) => void,
  table: (rows: string[][]) => string,
): Promise<boolean> {
  say("");
  say(
    `two prod accounts (${ACCOUNTS.join(", ")}), one failsafe account: each has a database called "orders"`,
  );
  const world = await createOrgWorld({ prodAccounts: ACCOUNTS });
  await setEmulatorLimits({ copySeconds: COPY_SECONDS, copyLimit: 20 });
  const automated: Record<string, { kind: "instance"; id: string }> = {};
  for (const account of ACCOUNTS) {
    const snapshot = await world.createInstance(account, "orders", {
      encrypted: account === ACCOUNTS[0],
    });
    automated[account] = { kind: "instance", id: snapshot.id };
    say(`  ${account}: DB instance orders (Failsafe=True) → automated snapshot ${snapshot.id}`);
  }
  say("evaluating the failsafe stack (prodAccountIds = both) and one copy stack per account");
  const code = await orgDeployedCode({
    accounts: ACCOUNTS.map((id) => ({ id, transitKeyArn: world.prod(id).transitKeyArn })),
    vaultKeyArn: world.vaultKeyArn,
  });
  const sim = new OrgPipelineSim({
    code,
    accounts: ACCOUNTS,
    failsafe: world.failsafe,
    saveQueueUrl: world.saveQueueUrl,
    timeScale: 1 / 60,
    copyFinishedAfterMs: COPY_SECONDS * 1000 + 100,
    onProgress: say,
    timeoutMs: 120_000,
  });
  try {
    for (const account of ACCOUNTS) {
      const snapshot = automated[account];
      if (snapshot) sim.snapshotsCreated(account, [snapshot]);
    }
    const { timedOut } = await sim.run();
    const copies = await world.managed(world.failsafe, "instance");
    const rows: string[][] = [
      [
        "prod account",
        "source",
        "intermediate (its account)",
        "failsafe copy",
        "lineage",
        "status",
      ],
    ];
    let protectedCount = 0;
    for (const account of ACCOUNTS) {
      const intermediate = (await world.managed(world.prod(account).clients, "instance"))[0];
      const copy = copies.find(
        (c) => c.tags[TAG.sourceAccount] === account && c.status === "available",
      );
      if (copy) protectedCount += 1;
      rows.push([
        account,
        "instance orders",
        intermediate?.id ?? "-",
        copy?.id ?? "-",
        copy?.tags[TAG.sourceResourceId] ?? "-",
        copy ? "protected" : "UNPROTECTED",
      ]);
    }
    console.log(`\n${table(rows)}\n`);
    const lineages = new Set(
      copies.map((c) => `${c.tags[TAG.sourceAccount]}/${c.tags[TAG.sourceResourceId]}`),
    );
    const dlq = sim.queues.reduce((n, q) => n + q.dlq.length, 0);
    say(
      `${protectedCount}/${ACCOUNTS.length} protected in failsafe account ${world.failsafe.accountId}: ` +
        `${copies.length} copies, ${lineages.size} lineages, ${dlq} messages in DLQs${timedOut ? " (TIMED OUT)" : ""}`,
    );
    return (
      !timedOut && protectedCount === ACCOUNTS.length && copies.length === 2 && lineages.size === 2
    );
  } finally {
    sim.stop();
  }
}
