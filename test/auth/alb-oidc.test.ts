/**
 * The public ALB's OIDC sign-in under mocks (EcsService, ingress alb): the HTTPS listener's
 * actions as the engine receives them: authenticate-oidc (order 1) with the provider's
 * endpoints and the client secret as a Pulumi secret, then forward (order 2). The plan shows
 * these actions as "[secret]" (test/auth/stacks.test.ts); here they are read in wire form.
 */
import * as assert from "assert";
import { EcsService, type EcsServiceArgs } from "../../components/compute/ecs-service";
import type { AlbOidcOptions } from "../../lib/auth-plan";
import { one, settle, useMocks } from "../support/harness";
import {
    ALARM_TOPIC,
    bundle,
    fakeDatabase,
    MIGRATE_CODE,
    MIGRATIONS_SHA,
    PRIVATE_SUBNETS,
    VPC_CIDR,
    VPC_ID,
} from "../lambda/fixtures";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG = "4dabf18193072939515e22adb298388d";
const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const OIDC: AlbOidcOptions = {
    issuer: "https://idp.example.com",
    authorizationEndpoint: "https://idp.example.com/authorize",
    tokenEndpoint: "https://idp.example.com/token",
    userInfoEndpoint: "https://idp.example.com/userinfo",
    clientId: "client-1",
    clientSecret: "s3cr3t-client-value",
    onUnauthenticatedRequest: "deny",
};

function args(oidc?: AlbOidcOptions): EcsServiceArgs {
    return {
        ingress: "alb",
        alb: { certificateArn: CERT, ...(oidc ? { oidc } : {}) },
        vpcId: VPC_ID,
        vpcCidr: VPC_CIDR,
        publicSubnetIds: ["subnet-0eeeeeeeeeeeeeee5", "subnet-0fffffffffffffff6"],
        privateSubnetIds: PRIVATE_SUBNETS,
        privateEgress: true,
        database: fakeDatabase(),
        alarmTopicArn: ALARM_TOPIC,
        migrations: { bundle: bundle(MIGRATE_CODE), migrationsSha256: MIGRATIONS_SHA },
        image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:abc1234",
    };
}

/** Unwraps the wire form: a secret becomes `{ secret: value }`, so a test sees where it is. */
function unwrap(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrap);
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SIG] === SECRET_SIG) return { secret: unwrap(o.value) };
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}

describe("ALB OIDC sign-in (EcsService under mocks)", function () {
    this.timeout(60_000);

    it("the HTTPS listener authenticates (order 1) then forwards (order 2); the client secret is a secret", async () => {
        const mocks = await useMocks();
        new EcsService("app", args(OIDC));
        const resources = await settle(mocks);
        const https = one(resources, "aws:lb/listener:Listener", "app-https");
        const actions = unwrap(https.wireInputs.defaultActions) as { targetGroupArn?: string }[];
        // The engine receives the secret where it is, inside the first action.
        assert.deepStrictEqual(actions, [
            {
                type: "authenticate-oidc",
                order: 1,
                authenticateOidc: {
                    issuer: OIDC.issuer,
                    authorizationEndpoint: OIDC.authorizationEndpoint,
                    tokenEndpoint: OIDC.tokenEndpoint,
                    userInfoEndpoint: OIDC.userInfoEndpoint,
                    clientId: "client-1",
                    clientSecret: { secret: "s3cr3t-client-value" },
                    scope: "openid",
                    sessionTimeout: 604800,
                    onUnauthenticatedRequest: "deny",
                },
            },
            { type: "forward", order: 2, targetGroupArn: actions[1]?.targetGroupArn },
        ]);
        assert.match(String(actions[1]?.targetGroupArn), /:targetgroup\/app-/);
        const shown = https.inputs.defaultActions as { authenticateOidc?: Record<string, unknown> }[];
        assert.strictEqual(shown[0]?.authenticateOidc?.clientSecret, "[secret]", "the plan never prints the secret");
        assert.strictEqual(shown[0]?.authenticateOidc?.clientId, "client-1", "the rest of the action stays readable");
        assert.ok(!JSON.stringify(resources.map((r) => r.inputs)).includes(OIDC.clientSecret));
    });

    it("without oidc: the listener only forwards, no rule, no egress beyond the tasks' port", async () => {
        const mocks = await useMocks();
        new EcsService("app", args());
        const resources = await settle(mocks);
        const https = one(resources, "aws:lb/listener:Listener", "app-https");
        const actions = https.inputs.defaultActions as { type: string }[];
        assert.deepStrictEqual(
            actions.map((a) => a.type),
            ["forward"],
        );
        assert.strictEqual(resources.filter((r) => r.type === "aws:lb/listenerRule:ListenerRule").length, 0);
        assert.strictEqual(resources.filter((r) => r.name === "app-lb-to-idp").length, 0);
    });
});
