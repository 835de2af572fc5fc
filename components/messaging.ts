import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./iam";
import { messagingKeyPolicy } from "./keys";

export interface MessagingArgs {
  readonly provider: aws.Provider;
  readonly region: string;
  readonly account: string;
  /** Alias of the key that encrypts the side's topics. */
  readonly keyAlias: string;
  /** Name of the ops topic (alarms and save notifications). */
  readonly opsTopicName: string;
  /** Optional e-mail subscription to the ops topic (confirm it from the mail AWS sends). */
  readonly notificationEmail?: string;
  /** Roles in another account that may publish to topics encrypted with this key. */
  readonly crossAccountPublishers?: readonly string[];
  /** The deploy role of this account: the key policy lets it update the policy (keys.ts). */
  readonly deployRoleArn?: string;
}

/**
 * A side's messaging: a customer-managed key for its SNS topics (rotation on; CloudWatch may use
 * it, so alarms can publish to the encrypted ops topic) and the ops topic itself.
 */
export class Messaging extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly opsTopic: aws.sns.Topic;

  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:messaging:Messaging", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: "rds-failsafe: encrypts the SNS topics of this side",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyDocument(
          messagingKeyPolicy(
            args.region,
            args.account,
            args.crossAccountPublishers ?? [],
            args.deployRoleArn,
          ),
        ),
      },
      child,
    );
    new aws.kms.Alias(`${name}-key`, { name: args.keyAlias, targetKeyId: this.key.keyId }, child);
    this.opsTopic = new aws.sns.Topic(
      `${name}-ops`,
      { name: args.opsTopicName, kmsMasterKeyId: this.key.arn },
      child,
    );
    if (args.notificationEmail) {
      new aws.sns.TopicSubscription(
        `${name}-ops-email`,
        { topic: this.opsTopic.arn, protocol: "email", endpoint: args.notificationEmail },
        child,
      );
    }
    this.registerOutputs({ keyArn: this.key.arn, opsTopicArn: this.opsTopic.arn });
  }
}
