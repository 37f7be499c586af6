/**
 * Pure planning for the alarm topic: who is notified, the names of their subscriptions, and
 * the key the topic is encrypted with. The database's thresholds (the other keys of the
 * `alarms` config object) are checked by `planDatabase`, which uses them.
 *
 * No Pulumi resource declarations.
 */
import { Problem, problem } from "./problems";

export interface AlarmTopicOptions {
    /**
     * Email addresses subscribed to the topic. Each address receives a confirmation mail from
     * AWS and gets alarms only after confirming it.
     * @default [] (the topic exists so that other subscribers can be added outside this stack)
     */
    emails?: readonly string[];
    /**
     * A customer-managed KMS key (ARN) for the topic instead of the one the topic creates. Its
     * key policy must let `cloudwatch.amazonaws.com` use `kms:Decrypt` and
     * `kms:GenerateDataKey*` (see {@link alarmTopicKeyPolicy}), or no alarm is ever delivered.
     * The AWS-managed key `alias/aws/sns` cannot be used: its key policy cannot be changed to
     * admit CloudWatch.
     * @default - a key created with the topic (rotation on), whose policy admits CloudWatch alarms of this account
     * @example "arn:aws:kms:eu-west-1:123456789012:key/0b6c...-..."
     */
    kmsKeyArn?: string;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;

export function planAlarms(o: AlarmTopicOptions): Problem[] {
    const problems: Problem[] = [];
    const seen = new Set<string>();
    for (const [i, email] of (o.emails ?? []).entries()) {
        if (typeof email !== "string" || !EMAIL.test(email)) {
            problems.push(problem(`emails[${i}]`, email, "expected an email address", "correct or remove it"));
        } else if (seen.has(email.toLowerCase())) {
            problems.push(problem(`emails[${i}]`, email, "is listed twice", "remove the duplicate"));
        }
        if (typeof email === "string") seen.add(email.toLowerCase());
    }
    if (o.kmsKeyArn !== undefined && (typeof o.kmsKeyArn !== "string" || !KMS_KEY_ARN.test(o.kmsKeyArn))) {
        problems.push(
            problem(
                "kmsKeyArn",
                o.kmsKeyArn,
                /^alias\/aws\//.test(String(o.kmsKeyArn))
                    ? "is an AWS-managed key, whose key policy cannot admit CloudWatch: alarms would never be delivered"
                    : "expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<uuid>)",
                "remove it (the topic then creates its own key), or give a customer-managed key whose policy admits cloudwatch.amazonaws.com",
            ),
        );
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// Subscription names
// ---------------------------------------------------------------------------------------------
/** FNV-1a, 32 bits, as 8 hex digits. */
function shortHash(s: string): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
}

/** The historical subscription name: every character but letters and digits becomes `-`. */
export function legacySubscriptionName(topic: string, email: string): string {
    return `${topic}-${email.replace(/[^a-zA-Z0-9]/g, "-")}`;
}

/**
 * Logical names of the email subscriptions, one per address, never two alike.
 *
 * An address keeps its historical name (`<topic>-<address with - for every other character>`)
 * unless an address before it in the list already has that name (`a.b@x.com` and `a-b@x.com`
 * both give `alarms-a-b-x-com`): each later one gets `<historical>_<hash>`, the hash being
 * FNV-1a of the lower-cased address. Historical names hold no `_`, so a suffixed name never
 * equals a historical one; a deployed stack could only hold unique historical names (two alike
 * fail the engine), so every deployed subscription keeps its name and URN. Keep an address
 * you add after one it collides with (order matters only between such addresses).
 */
export function subscriptionNames(topic: string, emails: readonly string[]): string[] {
    const used = new Set<string>();
    return emails.map((email) => {
        const legacy = legacySubscriptionName(topic, email);
        let name = used.has(legacy) ? `${legacy}_${shortHash(email.toLowerCase())}` : legacy;
        // Two addresses differing only in case give one hash; the planner rejects such a list,
        // but a library caller may not have run it.
        for (let n = 2; used.has(name); n++) name = `${legacy}_${shortHash(email.toLowerCase())}-${n}`;
        used.add(name);
        return name;
    });
}

// ---------------------------------------------------------------------------------------------
// The topic's key
// ---------------------------------------------------------------------------------------------
export interface KeyPolicyContext {
    partition: string;
    region: string;
    account: string;
}

/**
 * The key policy of the key the alarm topic creates.
 *
 * - The account administers the key and may grant its use through IAM (the default key
 *   policy's statement; without it the key cannot be managed at all).
 * - CloudWatch may use it to publish alarm notifications to the encrypted topic:
 *   `kms:GenerateDataKey*` and `kms:Decrypt`, as the SNS Developer Guide asks for AWS
 *   services publishing to an encrypted topic ("Enable compatibility between event sources
 *   from AWS services and encrypted topics",
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
 *   scoped to alarms of this account and region (no confused deputy) with `aws:SourceArn`, as
 *   that page's example does, and `aws:SourceAccount` (the page rules these keys out only for
 *   EventBridge, whose KMS requests do not carry them). This is why the topic cannot use
 *   the AWS-managed `alias/aws/sns`: its key policy is AWS's and admits no service principal,
 *   so CloudWatch's publish fails with a KMS access error and no one is notified.
 */
export function alarmTopicKeyPolicy(c: KeyPolicyContext): {
    Version: string;
    Statement: Record<string, unknown>[];
} {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersTheKey",
                Effect: "Allow",
                Principal: { AWS: `arn:${c.partition}:iam::${c.account}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchAlarmsPublishToTheTopic",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: {
                    StringEquals: { "aws:SourceAccount": c.account },
                    ArnLike: { "aws:SourceArn": `arn:${c.partition}:cloudwatch:${c.region}:${c.account}:alarm:*` },
                },
            },
        ],
    };
}
