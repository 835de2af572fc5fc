import { strict as assert } from "node:assert";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { SNSClient } from "@aws-sdk/client-sns";
import { prodHandlers } from "../handlers/index";
import { rdsSnapshotEvent, sqsEvent } from "./support/events";
import { RecordingLog } from "./support/recording-log";

const PROD = "111111111111";
const FAILSAFE = "222222222222";
const REGION = "eu-west-1";

/** An RDS client whose every call fails with the given AWS error. */
function failingRds(name: string, extra: Record<string, unknown> = {}): RDSClient {
  const err = Object.assign(new Error(`${name} from the fake`), { name, $metadata: {}, ...extra });
  return { send: () => Promise.reject(err) } as unknown as RDSClient;
}

function handlersWith(rds: RDSClient, log: RecordingLog) {
  return prodHandlers(
    {
      region: REGION,
      prodAccountId: PROD,
      failsafeAccountId: FAILSAFE,
      transitKmsKeyArn: `arn:aws:kms:${REGION}:${PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      handoffTopicArn: `arn:aws:sns:${REGION}:${FAILSAFE}:rds-failsafe-handoff`,
    },
    { rds, sns: {} as SNSClient, log },
  );
}

const event = rdsSnapshotEvent({
  eventId: "RDS-EVENT-0091",
  kind: "instance",
  snapshotArn: `arn:aws:rds:${REGION}:${PROD}:snapshot:rds:orders-2026-11-22-05-07`,
  account: PROD,
  region: REGION,
});

/** How AWS errors become retries (thrown → SQS redelivers) or logged, consumed failures. */
describe("AWS error handling", () => {
  const retried = [
    ["Throttling", {}],
    ["ThrottlingException", {}],
    ["SnapshotQuotaExceededFault", {}],
    ["InvalidDBSnapshotStateFault", {}],
    ["KMSKeyNotAccessibleFault", {}], // a key policy mistake: keep the message for a redrive
    ["AccessDenied", {}],
    ["InternalFailure", { $metadata: { httpStatusCode: 500 } }],
    ["SomethingNew", {}], // unknown errors are retried, never dropped
  ] as const;
  for (const [name, extra] of retried) {
    it(`${name} is retried (reported as a batch item failure)`, async () => {
      const log = new RecordingLog();
      const result = await handlersWith(failingRds(name, extra), log).copy(sqsEvent([event]));
      assert.equal(result.batchItemFailures.length, 1);
      assert.equal(log.decisions()[0]?.decision, "retry");
      assert.match(log.decisions()[0]?.reason ?? "", new RegExp(name));
    });
  }

  for (const name of ["InvalidParameterValue", "InvalidParameterCombination"]) {
    it(`${name} is permanent: logged as failed, not retried`, async () => {
      const log = new RecordingLog();
      const result = await handlersWith(failingRds(name), log).copy(sqsEvent([event]));
      assert.deepEqual(result.batchItemFailures, []);
      assert.equal(log.decisions()[0]?.decision, "failed");
      assert.equal(log.lines[0]?.level, "error");
    });
  }

  it("a source snapshot that is gone is skipped, not retried", async () => {
    const log = new RecordingLog();
    const result = await handlersWith(failingRds("DBSnapshotNotFoundFault"), log).copy(
      sqsEvent([event]),
    );
    assert.deepEqual(result.batchItemFailures, []);
    assert.equal(log.decisions()[0]?.decision, "skipped");
    assert.match(log.decisions()[0]?.reason ?? "", /no longer exists/);
  });

  it("bad settings fail at cold start naming the key", () => {
    assert.throws(
      () =>
        prodHandlers({
          region: REGION,
          prodAccountId: PROD,
          failsafeAccountId: PROD,
          transitKmsKeyArn: "alias/transit",
          handoffTopicArn: `arn:aws:sns:${REGION}:${PROD}:rds-failsafe-handoff`,
        }),
      (err: Error) =>
        /failsafeAccountId: must differ from every prod account/.test(err.message) &&
        /transitKmsKeyArn: must be a KMS key ARN/.test(err.message),
    );
  });
});
