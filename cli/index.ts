/**
 * The operator CLI, `npx rds-failsafe <command>`: read-only unless a command says --apply.
 * Each command lives in cli/commands/<name>.ts and registers itself here.
 */
import { Command, CommanderError } from "commander";
import { UsageError, type AccountOptions } from "./accounts";
import { registerReport } from "./commands/report";
import { registerRetire } from "./commands/retire";
import { registerStatus } from "./commands/status";
import { stdout, type Out } from "./output";

export function buildProgram(out: Out = stdout): Command {
  const program = new Command("rds-failsafe")
    .description("Operate rds-failsafe: what is protected, restore, retire, check an account pair.")
    .option(
      "--region <region>",
      "AWS region of both sides",
      process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    )
    .option("--prod-profile <name>", "AWS profile for the prod account")
    .option("--prod-role-arn <arn>", "role to assume in the prod account")
    .option("--failsafe-profile <name>", "AWS profile for the failsafe account")
    .option("--failsafe-role-arn <arn>", "role to assume in the failsafe account")
    .option("--endpoint <url>", "AWS endpoint override (the local emulator)")
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => out.line(text.trimEnd()),
      writeErr: (text) => out.error(text.trimEnd()),
    });
  const globals = (): AccountOptions => {
    const options = program.opts<Partial<AccountOptions>>();
    if (!options.region) {
      throw new UsageError("--region is required (or set AWS_REGION)");
    }
    return options as AccountOptions;
  };
  registerRetire(program, out, globals);
  registerStatus(program, out, globals);
  registerReport(program, out, globals);
  return program;
}

/** Runs the CLI; resolves to the exit status (0 ok, 1 a finding or failure, 2 a usage error). */
export async function main(argv: readonly string[], out: Out = stdout): Promise<number> {
  const program = buildProgram(out).exitOverride();
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (and help after an error).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      out.error(`rds-failsafe: ${err.message}`);
      return 2;
    }
    out.error(
      `rds-failsafe: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
    return 1;
  } finally {
    process.exitCode = undefined;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
