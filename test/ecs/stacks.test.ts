/**
 * The ecs mode through the whole program (`npm run plan`), with each public entry: the committed
 * prod stack (HTTP API + VPC link + internal ALB) and examples/Pulumi.ecs-alb.yaml (public ALB,
 * no NAT). Then every bad value the issue lists: exit 2 naming its key, nothing declared.
 */
import * as assert from "assert";
import * as path from "path";
import type { PlanDocument } from "../../tools/run-plan";
import { type CliResult, planCli, planJson, ROOT, tempStackFile } from "../support/plan-cli";

type Res = PlanDocument["resources"][number];
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const ofType = (doc: PlanDocument, type: string) => doc.resources.filter((r) => r.type === type);
const one = (doc: PlanDocument, type: string) => {
    const all = ofType(doc, type);
    assert.strictEqual(all.length, 1, type);
    return all[0]!;
};
const inputs = (r: Res) => r.inputs as Record<string, any>;
const byId = (doc: PlanDocument, id: unknown) => doc.resources.find((r) => r.id === id);
const sorted = (xs: unknown[]) => [...(xs as string[])].sort();
const subnetsOf = (doc: PlanDocument, tier: string) =>
    ofType(doc, "aws:ec2/subnet:Subnet")
        .filter((s) => s.name.includes(`-${tier}-`))
        .map((s) => s.id);

const WORLD = (i: Record<string, any>) => i.cidrIpv4 === "0.0.0.0/0" || i.cidrIpv6 === "::/0";

/** The checks both ingresses share. */
function common(get: () => { doc: PlanDocument; result: CliResult }) {
    it("exits 0: every mandatory policy passes", () => {
        const { doc, result } = get();
        assert.strictEqual(result.code, 0, result.stderr);
        assert.deepStrictEqual(
            doc.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
        assert.strictEqual(doc.outputs.computeMode, "ecs");
    });

    it("runs the service in the private subnets without a public IP, in a group admitting only the load balancer", () => {
        const { doc } = get();
        const svc = inputs(one(doc, "aws:ecs/service:Service"));
        assert.deepStrictEqual(sorted(svc.networkConfiguration.subnets), sorted(subnetsOf(doc, "private")));
        assert.strictEqual(svc.networkConfiguration.assignPublicIp, false);
        const [taskGroup] = svc.networkConfiguration.securityGroups;
        const lb = inputs(one(doc, "aws:lb/loadBalancer:LoadBalancer"));
        const rules = ofType(doc, INGRESS).filter((r) => inputs(r).securityGroupId === taskGroup);
        assert.deepStrictEqual(
            rules.map((r) => [inputs(r).referencedSecurityGroupId, inputs(r).fromPort, inputs(r).toPort]),
            [[lb.securityGroups[0], 8080, 8080]],
        );
        assert.deepStrictEqual(inputs(byId(doc, taskGroup)!).ingress ?? [], []);
    });

    it("the database admits only the service's and the migrations' groups", () => {
        const { doc } = get();
        const taskGroup = inputs(one(doc, "aws:ecs/service:Service")).networkConfiguration.securityGroups[0];
        const migrate = inputs(one(doc, "aws:lambda/function:Function")).vpcConfig.securityGroupIds[0];
        const dbGroup = inputs(one(doc, "aws:rds/instance:Instance")).vpcSecurityGroupIds[0];
        const proxies = ofType(doc, "aws:rds/proxy:Proxy");
        const targets = new Set([dbGroup, ...proxies.map((p) => inputs(p).vpcSecurityGroupIds[0])]);
        const admitted = ofType(doc, INGRESS)
            .filter((r) => targets.has(inputs(r).securityGroupId))
            .map((r) => inputs(r).referencedSecurityGroupId)
            .filter((g) => !proxies.length || g !== inputs(proxies[0]!).vpcSecurityGroupIds[0]);
        const allowed = new Set([taskGroup, migrate]);
        if (proxies.length === 0) assert.deepStrictEqual(new Set(admitted), allowed);
        else for (const g of admitted) assert.ok(allowed.has(g), `only the app's groups: ${g}`);
    });

    it("the task definition holds the contract's environment and no plain-text secret", () => {
        const { doc } = get();
        const td = inputs(one(doc, "aws:ecs/taskDefinition:TaskDefinition"));
        assert.deepStrictEqual(td.requiresCompatibilities, ["FARGATE"]);
        assert.strictEqual(td.runtimePlatform.cpuArchitecture, "ARM64");
        const [c] = JSON.parse(td.containerDefinitions);
        for (const e of c.environment) {
            assert.ok(!/PASSWORD|TOKEN/i.test(e.name), e.name);
            if (/SECRET/i.test(e.name)) assert.match(e.value, /^arn:aws:secretsmanager:/);
        }
        assert.strictEqual(c.logConfiguration.logDriver, "awslogs");
        assert.ok(!("healthCheck" in c), "the load balancer checks health");
    });

    it("checks the app's liveness path, scales on CPU and requests, alarms to the topic", () => {
        const { doc } = get();
        assert.strictEqual(inputs(one(doc, "aws:lb/targetGroup:TargetGroup")).healthCheck.path, "/health/live");
        const policies = ofType(doc, "aws:appautoscaling/policy:Policy").map(
            (p) =>
                inputs(p).targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType,
        );
        assert.deepStrictEqual(policies.sort(), ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]);
        const topic = doc.outputs.alarmTopicArn;
        const ecsAlarms = ofType(doc, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
            ["HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "RunningTaskCount"].includes(inputs(a).metricName),
        );
        assert.strictEqual(ecsAlarms.length, 3);
        for (const a of ecsAlarms) assert.deepStrictEqual(inputs(a).alarmActions, [topic]);
        assert.strictEqual(
            inputs(one(doc, "aws:ecs/cluster:Cluster")).settings[0].name,
            "containerInsights",
            "RunningTaskCount comes from Container Insights",
        );
    });
}

describe("ecs plans", function () {
    this.timeout(180_000);

    describe("prod: ingress apiGateway (HTTP API + VPC link + internal ALB)", () => {
        let ctx: { doc: PlanDocument; result: CliResult };
        before(async () => (ctx = await planJson("prod")));
        common(() => ctx);

        it("has no world-open security group; the internal ALB admits only the VPC link's group", () => {
            const { doc } = ctx;
            assert.deepStrictEqual(
                ofType(doc, INGRESS).filter((r) => WORLD(inputs(r))),
                [],
            );
            for (const g of ofType(doc, SG))
                for (const rule of inputs(g).ingress ?? [])
                    assert.ok(!(rule.cidrBlocks ?? []).includes("0.0.0.0/0"), `${g.name}: ${JSON.stringify(rule)}`);
            const lb = inputs(one(doc, "aws:lb/loadBalancer:LoadBalancer"));
            assert.strictEqual(lb.internal, true);
            assert.deepStrictEqual(sorted(lb.subnets), sorted(subnetsOf(doc, "private")));
            const link = inputs(one(doc, "aws:apigatewayv2/vpcLink:VpcLink"));
            const toLb = ofType(doc, INGRESS).filter((r) => inputs(r).securityGroupId === lb.securityGroups[0]);
            assert.deepStrictEqual(
                toLb.map((r) => inputs(r).referencedSecurityGroupId),
                link.securityGroupIds,
            );
            const integ = inputs(one(doc, "aws:apigatewayv2/integration:Integration"));
            assert.strictEqual(integ.connectionType, "VPC_LINK");
            assert.match(String(integ.integrationUri), /:listener\/app\//, "the internal ALB's listener");
            assert.strictEqual(integ.connectionId, one(doc, "aws:apigatewayv2/vpcLink:VpcLink").id);
            assert.match(String(doc.outputs.url), /^https:\/\/.*execute-api/);
        });

        it("has no image in the stack file: builds app/Dockerfile (CI sets compute.ecs.image instead)", () => {
            const { doc } = ctx;
            assert.strictEqual(ofType(doc, "awsx:ecr:Image").length, 1);
            assert.strictEqual(inputs(one(doc, "aws:ecr/repository:Repository")).imageTagMutability, "IMMUTABLE");
            assert.match(String(doc.outputs.image), /@sha256:/);
        });
    });

    describe("examples/Pulumi.ecs-alb.yaml: ingress alb (public ALB), no NAT", () => {
        let ctx: { doc: PlanDocument; result: CliResult };
        before(async () => (ctx = await planJson(path.join(ROOT, "examples", "Pulumi.ecs-alb.yaml"))));
        common(() => ctx);

        it("the only world-open group is the public ALB's, on 80 and 443 only", () => {
            const { doc } = ctx;
            const lb = inputs(one(doc, "aws:lb/loadBalancer:LoadBalancer"));
            assert.strictEqual(lb.internal, false);
            assert.strictEqual(lb.dropInvalidHeaderFields, true);
            assert.deepStrictEqual(sorted(lb.subnets), sorted(subnetsOf(doc, "public")));
            const open = ofType(doc, INGRESS).filter((r) => WORLD(inputs(r)));
            assert.deepStrictEqual(new Set(open.map((r) => inputs(r).securityGroupId)), new Set(lb.securityGroups));
            assert.deepStrictEqual(
                open.map((r) => [inputs(r).ipProtocol, inputs(r).fromPort, inputs(r).toPort]).sort(),
                [
                    ["tcp", 443, 443],
                    ["tcp", 80, 80],
                ],
            );
        });

        it("port 80 only redirects to HTTPS; HTTPS uses TLS 1.3/1.2 and the validated certificate", () => {
            const { doc } = ctx;
            const listeners = ofType(doc, "aws:lb/listener:Listener").map(inputs);
            const http = listeners.find((l) => l.port === 80)!;
            assert.deepStrictEqual(http.defaultActions, [
                { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
            ]);
            const https = listeners.find((l) => l.port === 443)!;
            assert.strictEqual(https.protocol, "HTTPS");
            assert.strictEqual(https.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
            assert.strictEqual(
                https.certificateArn,
                inputs(one(doc, "aws:acm/certificateValidation:CertificateValidation")).certificateArn,
            );
            assert.strictEqual(inputs(one(doc, "aws:acm/certificate:Certificate")).validationMethod, "DNS");
            assert.strictEqual(doc.outputs.url, "https://app.example.com");
        });

        it("WAF with the managed groups and a rate rule; access logs to a private, encrypted bucket", () => {
            const { doc } = ctx;
            const acl = inputs(one(doc, "aws:wafv2/webAcl:WebAcl"));
            assert.deepStrictEqual(
                acl.rules.map((r: { name: string }) => r.name),
                [
                    "AWSManagedRulesCommonRuleSet",
                    "AWSManagedRulesKnownBadInputsRuleSet",
                    "AWSManagedRulesSQLiRuleSet",
                    "RatePerIp",
                ],
            );
            assert.strictEqual(ofType(doc, "aws:wafv2/webAclAssociation:WebAclAssociation").length, 1);
            const block = inputs(one(doc, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"));
            assert.ok(block.blockPublicAcls && block.blockPublicPolicy && block.restrictPublicBuckets);
            const sse = inputs(
                one(doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
            );
            assert.strictEqual(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        });

        it("without NAT the tasks reach S3 (image layers) through the gateway endpoint's prefix list", () => {
            const { doc } = ctx;
            const egress = ofType(doc, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").find(
                (r) => r.name === "app-task-s3",
            );
            assert.ok(egress && /^pl-/.test(inputs(egress).prefixListId));
            assert.strictEqual(ofType(doc, "awsx:ecr:Image").length, 0, "the image is given");
        });
    });
});

describe("ecs: bad configuration exits 2 naming the key", function () {
    this.timeout(120_000);
    const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
    const base = (compute: Record<string, unknown>, network: Record<string, unknown> = {}) => ({
        "aws:region": "eu-west-1",
        "private-app:network": network,
        "private-app:database": { engine: "postgres" },
        "private-app:compute": { mode: "ecs", ingress: "apiGateway", ...compute },
    });
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
        [
            "a cpu/memory pair Fargate refuses",
            base({ ecs: { cpu: 256, memoryMb: 4096 } }),
            "private-app:compute.ecs.memoryMb",
            /cpu 256 only 512, 1024, 2048/,
        ],
        [
            "minTasks > maxTasks",
            base({ ecs: { minTasks: 6, maxTasks: 2 } }),
            "private-app:compute.ecs.minTasks",
            /maxTasks \(2\)/,
        ],
        [
            "a certificate of another region",
            base({ ingress: "alb", alb: { certificateArn: CERT.replace("eu-west-1", "us-east-1") } }),
            "private-app:compute.alb.certificateArn",
            /its own region \(eu-west-1\)/,
        ],
        [
            "a certificate ARN that is not ACM's",
            base({ ingress: "alb", alb: { certificateArn: "arn:aws:iam::1:x" } }),
            "private-app:compute.alb.certificateArn",
            /ACM certificate ARN/,
        ],
        [
            "an image that is not an image reference",
            base({ ecs: { image: "my app" } }),
            "private-app:compute.ecs.image",
            /image reference/,
        ],
        [
            "alb without a certificate",
            base({ ingress: "alb" }),
            "private-app:compute.alb",
            /needs a certificate.*apiGateway/,
        ],
        [
            "natGateways none without the tasks' endpoints",
            base({}, { natGateways: "none", interfaceEndpoints: ["secretsmanager"] }),
            "private-app:network.interfaceEndpoints",
            /ecr\.api is missing.*ecr\.dkr is missing.*logs is missing/,
        ],
    ];
    for (const [title, config, key, message] of cases) {
        it(title, async () => {
            const r = await planCli([tempStackFile("bad", config), "--json"]);
            assert.strictEqual(r.code, 2, r.stderr);
            const lines = r.stderr.split("\n").filter((l) => l.startsWith(`${key}: `));
            assert.strictEqual(lines.length, 1, r.stderr);
            assert.match(lines[0]!, message);
            assert.match(lines[0]!, /Fix: /);
            assert.strictEqual(r.stdout.trim(), "", "nothing planned");
        });
    }
});
