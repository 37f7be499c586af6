/**
 * The SNS topic every alarm of the stack notifies, with its email subscriptions.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AlarmTopicArgs {
    /**
     * Email addresses subscribed to the topic. Each address receives a confirmation mail from
     * AWS and gets alarms only after confirming it.
     * @default [] (the topic exists so that other subscribers can be added outside this stack)
     */
    emails?: string[];
    /**
     * KMS key for server-side encryption of the topic.
     * @default "alias/aws/sns" (the AWS-managed key)
     */
    kmsMasterKeyId?: pulumi.Input<string>;
}

/** An encrypted SNS topic for alarms (`private-app:monitoring:AlarmTopic`). */
export class AlarmTopic extends pulumi.ComponentResource {
    /** ARN of the topic; pass it to every component that declares alarms. */
    readonly topicArn: pulumi.Output<string>;
    readonly topic: aws.sns.Topic;

    constructor(name: string, args: AlarmTopicArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("private-app:monitoring:AlarmTopic", name, args, opts);
        this.topic = new aws.sns.Topic(
            `${name}`,
            { kmsMasterKeyId: args.kmsMasterKeyId ?? "alias/aws/sns" },
            { parent: this },
        );
        for (const email of args.emails ?? []) {
            new aws.sns.TopicSubscription(
                `${name}-${email.replace(/[^a-zA-Z0-9]/g, "-")}`,
                {
                    topic: this.topic.arn,
                    protocol: "email",
                    endpoint: email,
                },
                { parent: this },
            );
        }
        this.topicArn = this.topic.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
