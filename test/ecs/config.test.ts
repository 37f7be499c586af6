/**
 * The ecs mode in the stack config (lib/config.ts runs the planners): its blocks, its ingress,
 * and what it needs from a network without NAT.
 */
import * as assert from "assert";
import { ConfigError, parseStackConfig } from "../../lib/config";

const stack = (compute: Record<string, unknown>, network: Record<string, unknown> = {}) => ({
    "aws:region": "eu-west-1",
    "private-app:network": JSON.stringify(network),
    "private-app:database": JSON.stringify({ engine: "postgres" }),
    "private-app:compute": JSON.stringify({ mode: "ecs", ingress: "apiGateway", ...compute }),
});

function problems(all: Record<string, string>): string[] {
    try {
        parseStackConfig(all);
        return [];
    } catch (e) {
        if (ConfigError.isInstance(e)) return [...e.problems];
        throw e;
    }
}

const NO_NAT_ENDPOINTS = ["secretsmanager", "logs", "ecr.api", "ecr.dkr"];

describe("config: compute.mode ecs", () => {
    it("resolves the mode, its ingress and its blocks", () => {
        const s = parseStackConfig(stack({ ecs: { cpu: 1024, memoryMb: 2048 }, api: { throttlingRateLimit: 10 } }));
        assert.strictEqual(s.compute.mode, "ecs");
        assert.strictEqual(s.compute.ingress, "apiGateway");
        if (s.compute.mode === "ecs") {
            assert.deepStrictEqual(s.compute.ecs, { cpu: 1024, memoryMb: 2048 });
            assert.deepStrictEqual(s.compute.api, { throttlingRateLimit: 10 });
        }
    });

    it("a block of another mode or ingress is a problem naming it", () => {
        assert.deepStrictEqual(
            problems(stack({ lambda: { memoryMb: 512 }, alb: { waf: true } })).map((p) => p.split(": ")[0]),
            ["private-app:compute.lambda", "private-app:compute.alb"],
        );
        const alb = problems(
            stack({
                ingress: "alb",
                alb: {
                    certificateArn:
                        "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
                },
                api: {},
            }),
        );
        assert.deepStrictEqual(
            alb.map((p) => p.split(": ")[0]),
            ["private-app:compute.api"],
        );
        const lambda = problems({
            ...stack({}),
            "private-app:compute": JSON.stringify({ mode: "lambda", ecs: {}, alb: {} }),
        });
        assert.deepStrictEqual(lambda.map((p) => p.split(": ")[0]).sort(), [
            "private-app:compute.alb",
            "private-app:compute.ecs",
        ]);
    });

    it("alb in an existing VPC without public subnets is a problem suggesting apiGateway", () => {
        const existing = {
            existingVpc: {
                vpcId: "vpc-0123456789abcdef0",
                privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
                isolatedSubnetIds: ["subnet-0c000000", "subnet-0d000000"],
            },
        };
        const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
        const ps = problems(stack({ ingress: "alb", alb: { certificateArn: cert } }, existing));
        assert.strictEqual(ps.length, 1);
        assert.match(ps[0]!, /^private-app:compute\.ingress: got "alb"; .*public subnets.*apiGateway/);
        assert.deepStrictEqual(problems(stack({}, existing)), []);
    });

    it("without NAT: the endpoints the tasks need are enough; ECS Exec adds ssmmessages", () => {
        assert.deepStrictEqual(problems(stack({}, { natGateways: "none", interfaceEndpoints: NO_NAT_ENDPOINTS })), []);
        const exec = problems(
            stack({ ecs: { execCommand: true } }, { natGateways: "none", interfaceEndpoints: NO_NAT_ENDPOINTS }),
        );
        assert.strictEqual(exec.length, 1);
        assert.match(
            exec[0]!,
            /^private-app:network\.interfaceEndpoints: .*ssmmessages is missing.*Fix: add "ssmmessages"/,
        );
    });
});
