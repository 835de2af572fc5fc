import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { errorMessage } from "./errors";
import type { Log } from "./log";

/**
 * Publishes one message to the side's ops topic (e-mail and chat subscribers read the subject).
 * A failed notification is logged and never undoes or retries the work it reports: the alarms
 * still see the state it describes.
 */
export async function notify(
  deps: { readonly sns: SNSClient; readonly log: Log },
  topicArn: string | undefined,
  handler: string,
  subject: string,
  message: Record<string, unknown>,
): Promise<boolean> {
  if (!topicArn) {
    return false;
  }
  try {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        // SNS subjects: at most 100 printable ASCII characters, no line breaks.
        Subject: subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 100),
        Message: JSON.stringify(message, null, 2),
      }),
    );
    return true;
  } catch (err) {
    deps.log.error("notification failed", { handler, subject, reason: errorMessage(err) });
    return false;
  }
}
