/**
 * The SNS topic every alarm of the stack notifies, with its email subscriptions.
 *
 * The topic is encrypted with a customer-managed KMS key whose policy admits CloudWatch: the
 * AWS-managed `alias/aws/sns` key cannot be used for alarms, because its key policy cannot
 * grant `cloudwatch.amazonaws.com` the use of the key, so every alarm action would fail with a
 * KMS access error and nobody would be notified (`lib/alarms-plan.ts`, `alarmTopicKeyPolicy`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmTopicKeyPolicy, AlarmTopicOptions, planAlarms, subscriptionNames } from "../lib/alarms-plan";
import { argsError } from "../lib/problems";

export interface AlarmTopicArgs extends Omit<AlarmTopicOptions, "kmsKeyArn"> {
    /**
     * A KMS key (ARN or id) for server-side encryption of the topic, instead of the key the
     * topic creates. Its key policy must let `cloudwatch.amazonaws.com` use `kms:Decrypt` and
     * `kms:GenerateDataKey*`, or alarms are never delivered; never `alias/aws/sns`.
     * @default - a key created with the topic: rotation on, administered by the account, usable by CloudWatch alarms of this account and region
     */
    kmsMasterKeyId?: pulumi.Input<string>;
}

/** An encrypted SNS topic for alarms (`private-app:monitoring:AlarmTopic`). */
export class AlarmTopic extends pulumi.ComponentResource {
    /** ARN of the topic; pass it to every component that declares alarms. */
    readonly topicArn: pulumi.Output<string>;
    readonly topic: aws.sns.Topic;
    /** The key the topic created, when no `kmsMasterKeyId` was given. */
    readonly key?: aws.kms.Key;
    readonly subscriptions: aws.sns.TopicSubscription[];

    constructor(name: string, args: AlarmTopicArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const emails = args.emails ?? [];
        // A library caller may pass any key id SNS takes (ARN, id, alias); only the AWS-managed
        // aliases are wrong for alarms, and the planner says why.
        const key = args.kmsMasterKeyId;
        const awsManaged = typeof key === "string" && /^alias\/aws\//.test(key);
        const problems = planAlarms({ emails, kmsKeyArn: awsManaged ? key : undefined });
        if (problems.length > 0) throw argsError("AlarmTopic", name, problems);
        super("private-app:monitoring:AlarmTopic", name, args, opts);
        const parent = { parent: this };

        let keyId: pulumi.Input<string>;
        if (args.kmsMasterKeyId !== undefined) {
            keyId = args.kmsMasterKeyId;
        } else {
            const partition = aws.getPartitionOutput({}, parent).partition;
            const region = aws.getRegionOutput({}, parent).region;
            const account = aws.getCallerIdentityOutput({}, parent).accountId;
            this.key = new aws.kms.Key(
                `${name}-key`,
                {
                    description: `Encrypts the alarm topic ${name}; CloudWatch alarms of this account may use it to publish`,
                    enableKeyRotation: true,
                    policy: pulumi
                        .all([partition, region, account])
                        .apply(([p, r, a]) =>
                            JSON.stringify(alarmTopicKeyPolicy({ partition: p, region: r, account: a })),
                        ),
                },
                parent,
            );
            keyId = this.key.arn;
        }
        this.topic = new aws.sns.Topic(`${name}`, { kmsMasterKeyId: keyId }, parent);
        const names = subscriptionNames(name, emails);
        this.subscriptions = emails.map(
            (email, i) =>
                new aws.sns.TopicSubscription(
                    names[i],
                    { topic: this.topic.arn, protocol: "email", endpoint: email },
                    parent,
                ),
        );
        this.topicArn = this.topic.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
