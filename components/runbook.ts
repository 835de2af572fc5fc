/**
 * Where each alarm's runbook section is: docs/operations.md has one heading per alarm, named
 * exactly as the alarm, so the anchor is the alarm's name (GitHub and most Markdown renderers
 * make a heading's anchor from its text, lower case, hyphens kept). The alarm description (what
 * ops reads in the notification and the console) ends with the link.
 */
export const RUNBOOK_PATH = "docs/operations.md";

/** CloudWatch limits AlarmDescription to 1024 characters (PutMetricAlarm). */
export const ALARM_DESCRIPTION_MAX = 1024;

export function runbookAnchor(alarmName: string): string {
  return `${RUNBOOK_PATH}#${alarmName}`;
}

/** The description with its runbook link; an error names the alarm when it gets too long. */
export function withRunbook(alarmName: string, description: string): string {
  const text = `${description.trimEnd()} Runbook: ${runbookAnchor(alarmName)}`;
  if (text.length > ALARM_DESCRIPTION_MAX) {
    throw new Error(
      `alarm ${alarmName}: description is ${text.length} characters with its runbook link, over CloudWatch's ${ALARM_DESCRIPTION_MAX}`,
    );
  }
  return text;
}

/** Names of the alarms the shared components make (components/function.ts, components/queue.ts). */
export const errorsAlarmName = (functionName: string): string => `${functionName}-errors`;
export const dlqAlarmName = (consumer: string): string => `rds-failsafe-${consumer}-dlq-not-empty`;
