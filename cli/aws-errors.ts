import { errorCode } from "../handlers/errors";

/**
 * The operator's credentials lack a permission. The message names the action (from AWS's
 * AccessDenied text, "… is not authorized to perform: rds:RestoreDBInstanceFromDBSnapshot on
 * resource: …", else the action the CLI called), so the fix is one line in a policy.
 */
export class MissingPermission extends Error {
  constructor(
    readonly action: string,
    message: string,
  ) {
    super(message);
    this.name = "MissingPermission";
  }
}

const DENIED =
  /^(AccessDenied|AccessDeniedFault|UnauthorizedOperation|NotAuthorized|AuthorizationError)$/;

/** Runs one AWS call; an access-denied answer becomes a MissingPermission naming the action. */
export async function call<T>(action: string, run: () => Promise<T>, hint = ""): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!DENIED.test(errorCode(err))) {
      throw err;
    }
    const text = err instanceof Error ? err.message : String(err);
    const named =
      /not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9]+)/i.exec(text)?.[1] ?? action;
    const resource = /on resource:?\s*(\S+)/i.exec(text)?.[1];
    throw new MissingPermission(
      named,
      `missing permission ${named}${resource ? ` on ${resource}` : ""} (AWS said: ${text})${hint ? `. ${hint}` : ""}`,
    );
  }
}
