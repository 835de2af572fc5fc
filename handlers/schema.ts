import * as z from "zod/mini";
import { en } from "zod/locales";

// zod/mini keeps the bundle small (it tree-shakes: ~20 KB instead of ~450 KB for classic zod) but
// ships no messages; English ones make a rejection say what was expected.
z.config(en());

/** "path: message; path: message" — the reason logged for a rejected input. */
export function describeIssues(error: z.core.$ZodError, root = "(root)"): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join(".") : root}: ${issue.message}`)
    .join("; ");
}
