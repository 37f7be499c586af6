/**
 * Three defects that the real analyzer shows and the old in-process emulation hid (issue 15).
 * Each test runs the pack through its real `@pulumi/policy` analyzer, as `pulumi preview` does.
 */
import * as assert from "assert";
import { evaluate, PlannedResource } from "../../policy-pack/evaluate";
import { PolicyConfigError } from "../../policy-pack/engine/config";
import { ec2Imdsv2Required } from "../../policy-pack/policies/compute";
import { T } from "../../policy-pack/lib/types";
import { runRemediation, secret, UNKNOWN_WIRE } from "./util";

const SECRET_KEY = "4dabf18193072939515e22adb298388d";

const bastion = (props: Record<string, unknown> = {}): PlannedResource => ({
    type: T.ec2Instance,
    name: "bastion",
    props: {
        ami: "ami-0123456789abcdef0",
        instanceType: "t4g.nano",
        subnetId: UNKNOWN_WIRE, // a first preview: the subnet does not exist yet
        userData: secret("#!/bin/sh\necho token=s3cr3t\n"),
        ...props,
    },
});

const lambda = (variables: unknown): PlannedResource => ({
    type: T.lambdaFunction,
    name: "fn",
    props: {
        runtime: "nodejs22.x",
        role: "arn:aws:iam::123456789012:role/fn",
        vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
        environment: { variables },
    },
});

const levels = (vs: { policy: string; enforcementLevel: string }[], policy: string) =>
    vs.filter((v) => v.policy === policy).map((v) => v.enforcementLevel);

describe("defects the real analyzer shows (issue 15)", () => {
    describe("1. the IMDSv2 remediation during preview", () => {
        it("remediates an instance with an unknown subnet: no 'can't run', no mandatory violation", async () => {
            const vs = await evaluate([bastion()], { "ec2-imdsv2-required": "remediate" });
            assert.deepStrictEqual(
                vs.filter((v) => v.policy === "ec2-imdsv2-required").map((v) => [v.enforcementLevel, v.message]),
                [["remediate", `would remediate: ${ec2Imdsv2Required.description} (sets metadataOptions)`]],
                JSON.stringify(vs, null, 2),
            );
        });
        it("keeps a secret userData secret in the remediated inputs, and every other input as it was", async () => {
            const fixed = await runRemediation(ec2Imdsv2Required, T.ec2Instance, bastion().props);
            assert.ok(fixed, "expected a remediation");
            assert.deepStrictEqual(fixed.metadataOptions, { httpTokens: "required" });
            assert.strictEqual(
                (fixed.userData as Record<string, unknown>)?.[SECRET_KEY],
                "1b47061264138c4ac30d75fd1eb44270",
                `userData came back as ${JSON.stringify(fixed.userData)}`,
            );
            assert.strictEqual(fixed.subnetId, UNKNOWN_WIRE);
        });
    });

    describe("2. policies see the real values of secrets", () => {
        it("a secret-wrapped environment holding a password is a mandatory violation", async () => {
            const vs = await evaluate([lambda(secret({ DB_PASSWORD: "hunter2" }))]);
            assert.deepStrictEqual(levels(vs, "no-plaintext-secrets-in-env"), ["mandatory"]);
            assert.ok(!JSON.stringify(vs).includes("hunter2"), "the value must never be echoed");
        });
        it("publiclyAccessible: secret(true) is a mandatory violation", async () => {
            const vs = await evaluate([
                {
                    type: T.rdsInstance,
                    name: "db",
                    props: { engine: "postgres", storageEncrypted: true, publiclyAccessible: secret(true) },
                },
            ]);
            assert.deepStrictEqual(levels(vs, "rds-not-publicly-accessible"), ["mandatory"]);
        });
        it("a secret-wrapped ARN in DB_PASSWORD is no violation", async () => {
            const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
            const vs = await evaluate([lambda({ DB_PASSWORD: secret(arn) })]);
            assert.deepStrictEqual(levels(vs, "no-plaintext-secrets-in-env"), []);
        });
    });

    describe("3. the same config means the same everywhere (format: regex)", () => {
        it("a Go-only pattern such as (?i)secret is accepted by the engine's config check, as by the CLI", async () => {
            // The CLI validates the schema with Go's regexp; a schema keyword whose answer depends on
            // the regex engine cannot mean the same offline and under the CLI.
            const vs = await evaluate([lambda({ MY_SECRET: "x" })], {
                "no-plaintext-secrets-in-env": { namePatterns: ["(?i)secret"] },
            });
            // ...and the pack, not a crash, says what is wrong, on every resource it checks.
            const mine = vs.filter((v) => v.policy === "no-plaintext-secrets-in-env");
            assert.strictEqual(mine.length, 1, JSON.stringify(vs));
            assert.match(mine[0].message, /namePatterns\[0\] "\(\?i\)secret" is not a valid regular expression/);
        });
        it("an invalid pattern fails the same way; a valid one works", async () => {
            const bad = await evaluate([lambda({ MY_SECRET: "x" })], {
                "no-plaintext-secrets-in-env": { referenceNamePatterns: ["(unclosed"] },
            });
            assert.match(
                bad.find((v) => v.policy === "no-plaintext-secrets-in-env")?.message ?? "",
                /referenceNamePatterns\[0\] "\(unclosed" is not a valid regular expression/,
            );
            const good = await evaluate([lambda({ SESSION_SALT: "x" })], {
                "no-plaintext-secrets-in-env": { namePatterns: ["salt"] },
            });
            assert.deepStrictEqual(levels(good, "no-plaintext-secrets-in-env"), ["mandatory"]);
        });
        it("an unknown policy given a level is ignored, given properties rejected (as the CLI)", async () => {
            await evaluate([lambda({})], { "no-such-policy": "mandatory" });
            await assert.rejects(
                evaluate([lambda({})], { "no-such-policy": { foo: 1 } }),
                (e: unknown) => e instanceof PolicyConfigError && /no-such-policy: no such policy/.test(e.message),
            );
        });
    });
});
