// npm run deploy-policy -- <prod|failsafe|management> [--region R] [--account A] [--failsafe-account F]
//   [--break-glass ARN] [--boundary NAME] [--dr-region R (failsafe: the failsafe stack's drRegion)]
//
// Prints the deploy role's policy documents (one per managed policy, IAM's 6,144-character limit),
// the read-only preview role's and the permissions boundary, as the bootstrap stacks create them
// (components/deploy-permissions.ts): for deploy roles made by hand, and for the org guard's role
// in the management account, which no bootstrap stack creates.
import { Command } from "commander";
import { deployDocuments, type DeployAccount } from "../components/deploy-permissions";

const program = new Command("deploy-policy")
  .argument("<account>", "prod, failsafe or management")
  .option("--region <region>", "region", process.env.AWS_REGION ?? "eu-west-1")
  .option("--account <id>", "the account the role is in", "111111111111")
  .option("--failsafe-account <id>", "the failsafe account", "222222222222")
  .option("--break-glass <arn>", "the break-glass principal (failsafe)")
  .option("--boundary <name>", "the permissions boundary policy's name", "rds-failsafe-boundary")
  .option(
    "--dr-region <region>",
    "failsafe: the failsafe stack's drRegion (boundary, DR vault key)",
  )
  .parse(process.argv);
const [kind] = program.args as [DeployAccount];
if (!["prod", "failsafe", "management"].includes(kind)) {
  console.error(`account must be prod, failsafe or management, not ${String(kind)}`);
  process.exit(2);
}
const o = program.opts<{
  region: string;
  account: string;
  failsafeAccount: string;
  breakGlass?: string;
  boundary: string;
  drRegion?: string;
}>();
const documents = deployDocuments({
  region: o.region,
  account: o.account,
  kind,
  failsafeAccountId: o.failsafeAccount,
  boundaryName: o.boundary,
  ...(o.breakGlass ? { breakGlassPrincipalArn: o.breakGlass } : {}),
  ...(o.drRegion ? { drRegion: o.drRegion } : {}),
});
const pretty = (json: string) => JSON.stringify(JSON.parse(json), null, 2);
documents.deploy.forEach((d, i) => {
  console.log(
    `// deploy role, managed policy ${i + 1} of ${documents.deploy.length} (${d.length} characters)`,
  );
  console.log(pretty(d));
});
console.log(`// preview role, inline policy (${documents.preview.length} characters)`);
console.log(pretty(documents.preview));
if (documents.boundary) {
  console.log(`// permissions boundary ${o.boundary} (${documents.boundary.length} characters)`);
  console.log(pretty(documents.boundary));
}
