import { strict as assert } from "assert";
import fc from "fast-check";
import { subscriptionNames } from "../../lib/alarms-plan";
import { AlarmTopic } from "../../components/alarm-topic";
import { RecordedResource } from "../../tools/mocks";
import { ofType, one, settle, useMocks } from "../support/harness";

const T = {
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    key: "aws:kms/key:Key",
} as const;

/** Mocks are process-wide: builds run one after another. */
let last: Promise<unknown> = Promise.resolve();
function build(args: ConstructorParameters<typeof AlarmTopic>[1]): Promise<RecordedResource[]> {
    const next = last
        .catch(() => undefined)
        .then(async () => {
            const mocks = await useMocks();
            new AlarmTopic("alarms", args);
            return settle(mocks);
        });
    last = next;
    return next;
}

describe("AlarmTopic", () => {
    describe("encryption CloudWatch can use (AWS-managed alias/aws/sns cannot admit it)", () => {
        let rs: RecordedResource[];
        before(async () => {
            rs = await build({ emails: ["oncall@example.com"] });
        });

        it("encrypts the topic with a key of its own, never alias/aws/sns", () => {
            const key = one(rs, T.key);
            const topic = one(rs, T.topic);
            assert.notEqual(topic.inputs.kmsMasterKeyId, "alias/aws/sns");
            assert.match(String(topic.inputs.kmsMasterKeyId), /^arn:aws:kms:/);
            assert.equal(key.inputs.enableKeyRotation, true);
        });

        it("lets the account administer the key and CloudWatch alarms of this account and region use it", () => {
            const policy = JSON.parse(String(one(rs, T.key).inputs.policy));
            const admin = policy.Statement.find((s: { Sid: string }) => s.Sid === "AccountAdministersTheKey");
            assert.deepEqual(admin.Principal, { AWS: "arn:aws:iam::123456789012:root" });
            assert.equal(admin.Action, "kms:*");
            const cw = policy.Statement.find(
                (s: { Principal?: { Service?: string } }) => s.Principal?.Service === "cloudwatch.amazonaws.com",
            );
            assert.ok(cw, "no statement for cloudwatch.amazonaws.com");
            assert.equal(cw.Effect, "Allow");
            assert.deepEqual(cw.Action, ["kms:Decrypt", "kms:GenerateDataKey*"]);
            assert.deepEqual(cw.Condition, {
                StringEquals: { "aws:SourceAccount": "123456789012" },
                ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" },
            });
        });

        it("uses a key the user gives instead, and creates none", async () => {
            const given = "arn:aws:kms:eu-west-1:123456789012:key/0b6c1a2b-1111-2222-3333-444455556666";
            const own = await build({ kmsMasterKeyId: given });
            assert.equal(ofType(own, T.key).length, 0);
            assert.equal(one(own, T.topic).inputs.kmsMasterKeyId, given);
        });

        it("refuses the AWS-managed key", () => {
            assert.throws(() => new AlarmTopic("bad", { kmsMasterKeyId: "alias/aws/sns" }), /AWS-managed key/);
        });
    });

    describe("email subscriptions", () => {
        it("gives distinct addresses distinct names (a.b@x.com and a-b@x.com)", async () => {
            const rs = await build({ emails: ["a.b@x.com", "a-b@x.com", "oncall@example.com"] });
            const subs = ofType(rs, T.subscription);
            assert.equal(subs.length, 3);
            assert.equal(new Set(subs.map((s) => s.urn)).size, 3, subs.map((s) => s.urn).join("\n"));
            assert.deepEqual(subs.map((s) => s.inputs.endpoint).sort(), [
                "a-b@x.com",
                "a.b@x.com",
                "oncall@example.com",
            ]);
        });

        it("keeps the names a deployed stack already has", async () => {
            const rs = await build({ emails: ["oncall@example.com", "a.b@x.com", "a-b@x.com"] });
            const name = (email: string) => ofType(rs, T.subscription).find((s) => s.inputs.endpoint === email)!.name;
            assert.equal(name("oncall@example.com"), "alarms-oncall-example-com");
            assert.equal(name("a.b@x.com"), "alarms-a-b-x-com");
            assert.match(name("a-b@x.com"), /^alarms-a-b-x-com_[0-9a-f]{8}$/);
        });
    });

    describe("subscriptionNames (pure)", () => {
        it("never gives two distinct addresses one name, and keeps the first holder's historical name", () => {
            const part = fc.stringMatching(/^[ab.\-_+]{1,4}$/);
            fc.assert(
                fc.property(fc.uniqueArray(fc.tuple(part, part).map(([l, d]) => `${l}@${d}.com`)), (emails) => {
                    const names = subscriptionNames("alarms", emails);
                    assert.equal(new Set(names).size, emails.length, JSON.stringify({ emails, names }));
                    const first = new Map<string, string>();
                    emails.forEach((e, i) => {
                        const legacy = `alarms-${e.replace(/[^a-zA-Z0-9]/g, "-")}`;
                        if (!first.has(legacy)) {
                            first.set(legacy, e);
                            assert.equal(names[i], legacy);
                        }
                    });
                }),
            );
        });
    });
});
