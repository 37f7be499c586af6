/**
 * The ec2 mode through the whole program (`npm run plan`), with each public entry:
 * examples/Pulumi.ec2-alb.yaml (dev-like: public ALB, no NAT, password auth) and
 * examples/Pulumi.ec2-api.yaml (prod-like: HTTP API + VPC link + internal ALB, NAT per AZ, RDS
 * Proxy with IAM auth). The rendered user data of both is checked by shellcheck and against the
 * plan (the object it fetches, the environment its unit sets). Then every bad value the issue
 * lists: exit 2 naming its key, nothing planned.
 */
import * as assert from "assert";
import * as path from "path";
import { API_ENV, ENV, LOCAL_ONLY_ENV } from "../../app/contract";
import { unitEnvironment, unitOfUserData } from "../../lib/ec2-user-data";
import type { PlanDocument } from "../../tools/run-plan";
import { type CliResult, planCli, planJson, ROOT, tempStackFile } from "../support/plan-cli";
import { shellcheck } from "../support/shellcheck";

type Res = PlanDocument["resources"][number];
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const ASG = "aws:autoscaling/group:Group";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const ofType = (doc: PlanDocument, type: string) => doc.resources.filter((r) => r.type === type);
const one = (doc: PlanDocument, type: string) => {
    const all = ofType(doc, type);
    assert.strictEqual(all.length, 1, type);
    return all[0]!;
};
const inputs = (r: Res) => r.inputs as Record<string, any>;
const outputs = (doc: PlanDocument) => doc.outputs as Record<string, any>;
const sorted = (xs: unknown[]) => [...(xs as string[])].sort();
const subnetsOf = (doc: PlanDocument, tier: string) =>
    ofType(doc, "aws:ec2/subnet:Subnet")
        .filter((s) => s.name.includes(`-${tier}-`))
        .map((s) => s.id);
const WORLD = (i: Record<string, any>) => i.cidrIpv4 === "0.0.0.0/0" || i.cidrIpv6 === "::/0";
const userDataOf = (doc: PlanDocument) => Buffer.from(String(inputs(one(doc, LT)).userData), "base64").toString("utf8");
/** True when a rule's port range covers `port` (all protocols/ports count). */
const covers = (i: Record<string, any>, port: number) =>
    String(i.ipProtocol) === "-1" || (Number(i.fromPort) <= port && port <= Number(i.toPort));

/** The checks both ingresses share. */
function common(get: () => { doc: PlanDocument; result: CliResult }, expected: { iamAuth: boolean }) {
    it("exits 0: every mandatory policy passes", () => {
        const { doc, result } = get();
        assert.strictEqual(result.code, 0, result.stderr);
        assert.deepStrictEqual(
            doc.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
        assert.strictEqual(doc.outputs.computeMode, "ec2");
    });

    it("runs the group in the private subnets, ELB checks after the grace period, refresh with auto rollback", () => {
        const { doc } = get();
        const asg = one(doc, ASG);
        const g = inputs(asg);
        assert.deepStrictEqual(sorted(g.vpcZoneIdentifiers), sorted(subnetsOf(doc, "private")));
        assert.strictEqual(g.healthCheckType, "ELB");
        assert.ok(g.healthCheckGracePeriod >= 195, String(g.healthCheckGracePeriod));
        assert.strictEqual(g.targetGroupArns.length, 1);
        assert.match(g.targetGroupArns[0], /:targetgroup\/app-[0-9a-f]+\//);
        assert.strictEqual(g.launchTemplate.id, one(doc, LT).id);
        assert.strictEqual(g.launchTemplate.version, "1", "a numbered version, not $Latest");
        assert.strictEqual(g.instanceRefresh.strategy, "Rolling");
        assert.strictEqual(g.instanceRefresh.preferences.autoRollback, true);
        assert.strictEqual(g.instanceRefresh.preferences.minHealthyPercentage, 100);
        assert.strictEqual(g.instanceRefresh.preferences.maxHealthyPercentage, 200);
        assert.ok(
            g.enabledMetrics.includes("GroupInServiceInstances") && g.enabledMetrics.includes("GroupDesiredCapacity"),
        );
        assert.deepStrictEqual(asg.options?.ignoreChanges, ["desiredCapacity"]);
        // The migrations run first: a failing one fails the deploy before the group changes.
        const invocation = one(doc, "aws:lambda/invocation:Invocation");
        assert.ok(asg.options?.dependsOn?.includes(invocation.urn), "the group waits for the migrations");
        const object = one(doc, "aws:s3/bucketObjectv2:BucketObjectv2");
        assert.ok(asg.options?.dependsOn?.includes(object.urn), "and for the artifact");
        const tg = inputs(one(doc, "aws:lb/targetGroup:TargetGroup"));
        assert.strictEqual(tg.targetType, "instance");
        assert.strictEqual(tg.port, 8080);
        assert.strictEqual(tg.healthCheck.path, "/health/live");
    });

    it("the launch template: AL2023 AMI id, IMDSv2 with hop limit 1, encrypted gp3 root, no public IP, no key pair", () => {
        const { doc } = get();
        const t = inputs(one(doc, LT));
        assert.match(t.imageId, /^ami-[0-9a-f]{17}$/, "an AMI id read from the SSM parameter, not resolve:ssm");
        assert.deepStrictEqual(t.metadataOptions, {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        });
        assert.strictEqual(t.blockDeviceMappings.length, 1);
        assert.strictEqual(t.blockDeviceMappings[0].deviceName, "/dev/xvda");
        assert.strictEqual(t.blockDeviceMappings[0].ebs.encrypted, "true");
        assert.strictEqual(t.blockDeviceMappings[0].ebs.volumeType, "gp3");
        assert.strictEqual(t.networkInterfaces.length, 1);
        assert.strictEqual(t.networkInterfaces[0].associatePublicIpAddress, "false");
        assert.ok(!("keyName" in t), "no key pair");
        assert.ok(!("vpcSecurityGroupIds" in t));
        one(doc, "aws:iam/instanceProfile:InstanceProfile");
        assert.match(String(t.iamInstanceProfile.arn), /:instance-profile\/app-instance-[0-9a-f]+$/);
    });

    it("the instances' group admits only the load balancer on 8080; no rule anywhere opens port 22", () => {
        const { doc } = get();
        const groupId = inputs(one(doc, LT)).networkInterfaces[0].securityGroups[0];
        const lb = inputs(one(doc, "aws:lb/loadBalancer:LoadBalancer"));
        const rules = ofType(doc, INGRESS).filter((r) => inputs(r).securityGroupId === groupId);
        assert.deepStrictEqual(
            rules.map((r) => [
                inputs(r).ipProtocol,
                inputs(r).referencedSecurityGroupId,
                inputs(r).fromPort,
                inputs(r).toPort,
            ]),
            [["tcp", lb.securityGroups[0], 8080, 8080]],
        );
        const sg = ofType(doc, SG).find((g) => g.id === groupId)!;
        assert.deepStrictEqual(inputs(sg).ingress ?? [], []);
        for (const r of ofType(doc, INGRESS))
            assert.ok(!covers(inputs(r), 22), `${r.name} admits port 22: ${JSON.stringify(r.inputs)}`);
        for (const g of ofType(doc, SG))
            for (const rule of inputs(g).ingress ?? []) assert.ok(!covers(rule, 22), `${g.name} admits port 22`);
        assert.strictEqual(doc.outputs.appSecurityGroupId, groupId);
    });

    it("the database admits only the instances' and the migrations' groups", () => {
        const { doc } = get();
        const groupId = inputs(one(doc, LT)).networkInterfaces[0].securityGroups[0];
        const migrate = inputs(one(doc, "aws:lambda/function:Function")).vpcConfig.securityGroupIds[0];
        const dbGroup = inputs(one(doc, "aws:rds/instance:Instance")).vpcSecurityGroupIds[0];
        const proxies = ofType(doc, "aws:rds/proxy:Proxy");
        const proxyGroup = proxies.length ? inputs(proxies[0]!).vpcSecurityGroupIds[0] : undefined;
        const admittedBy = (target: string) =>
            ofType(doc, INGRESS)
                .filter((r) => inputs(r).securityGroupId === target)
                .map((r) => inputs(r).referencedSecurityGroupId);
        if (proxyGroup === undefined) {
            assert.deepStrictEqual(sorted(admittedBy(dbGroup)), sorted([groupId, migrate]));
        } else {
            // The app through the proxy only; the migrations (master password) to the database itself.
            assert.deepStrictEqual(admittedBy(proxyGroup), [groupId]);
            assert.deepStrictEqual(sorted(admittedBy(dbGroup)), sorted([proxyGroup, migrate]));
        }
    });

    it("the instance role: SSM core, the exact artifact object, its log group, and the database access in use", () => {
        const { doc } = get();
        const attach = one(doc, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
        assert.strictEqual(inputs(attach).policyArn, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
        const policy = JSON.parse(
            String(inputs(ofType(doc, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "app-instance")!).policy),
        );
        const object = inputs(one(doc, "aws:s3/bucketObjectv2:BucketObjectv2"));
        const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
        assert.deepStrictEqual(bySid.FetchArtifact.Resource, [`arn:aws:s3:::${object.bucket}/${object.key}`]);
        assert.deepStrictEqual(bySid.FetchArtifact.Action, ["s3:GetObject"]);
        assert.match(bySid.WriteAppLogs.Resource[0], /^arn:aws:logs:eu-west-1:\d{12}:log-group:app-app-[0-9a-f]+:\*$/);
        if (expected.iamAuth) {
            assert.deepStrictEqual(bySid.ConnectAsAppUser.Action, ["rds-db:connect"]);
            assert.ok(!("ReadAppUserSecret" in bySid), "no secret read with IAM auth");
        } else {
            assert.deepStrictEqual(bySid.ReadAppUserSecret.Action, ["secretsmanager:GetSecretValue"]);
            assert.ok(!("ConnectAsAppUser" in bySid));
        }
    });

    it("the artifact bucket is private, encrypted, versioned and TLS-only", () => {
        const { doc } = get();
        const block = inputs(one(doc, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"));
        assert.ok(
            block.blockPublicAcls && block.blockPublicPolicy && block.ignorePublicAcls && block.restrictPublicBuckets,
        );
        const sse = inputs(
            one(doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
        );
        assert.strictEqual(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        assert.strictEqual(
            inputs(one(doc, "aws:s3/bucketVersioning:BucketVersioning")).versioningConfiguration.status,
            "Enabled",
        );
        const policy = JSON.parse(String(inputs(one(doc, "aws:s3/bucketPolicy:BucketPolicy")).policy));
        assert.deepStrictEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.strictEqual(policy.Statement[0].Effect, "Deny");
    });

    it("the user data passes shellcheck, fetches exactly the planned object, and sets exactly the app's contract", () => {
        const { doc } = get();
        const script = userDataOf(doc);
        const check = shellcheck(script);
        assert.strictEqual(check.status, 0, check.output);
        const object = inputs(one(doc, "aws:s3/bucketObjectv2:BucketObjectv2"));
        const sha = /^server\/([0-9a-f]{64})\.js$/.exec(object.key)![1]!;
        assert.ok(String(object.source).includes(`sha256:${sha.slice(0, 16)}`), "the key is the object's hash");
        assert.ok(script.includes(`readonly BUCKET='${object.bucket}'\n`), "the planned bucket");
        assert.ok(script.includes(`readonly KEY='${object.key}'\n`), "the planned key");
        assert.ok(script.includes(`readonly SHA256='${sha}'\n`), "the object's hash, checked");
        assert.strictEqual(outputs(doc).deployed.artifact, `s3://${object.bucket}/${object.key}`);

        const env = unitEnvironment(unitOfUserData(script));
        const names = Object.keys(env).sort();
        for (const n of names) assert.ok((API_ENV as readonly string[]).includes(n), `${n} is in the contract`);
        for (const n of LOCAL_ONLY_ENV) assert.ok(!(n in env), `${n} never set`);
        const db = outputs(doc).db;
        assert.strictEqual(env[ENV.DB_HOST], db.host);
        assert.strictEqual(env[ENV.DB_PORT], String(db.port));
        assert.strictEqual(env[ENV.DB_NAME], db.name);
        assert.strictEqual(env[ENV.DB_USER], "app_user");
        assert.strictEqual(env[ENV.PORT], "8080");
        assert.strictEqual(env[ENV.AWS_REGION], "eu-west-1");
        if (expected.iamAuth) {
            assert.strictEqual(env[ENV.DB_IAM_AUTH], "true");
            assert.ok(!(ENV.DB_SECRET_ARN in env));
            assert.deepStrictEqual(names, [
                "AWS_REGION",
                "DB_HOST",
                "DB_IAM_AUTH",
                "DB_NAME",
                "DB_PORT",
                "DB_USER",
                "PORT",
            ]);
        } else {
            assert.match(env[ENV.DB_SECRET_ARN]!, /^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:db-app-user-/);
            assert.deepStrictEqual(names, [
                "AWS_REGION",
                "DB_HOST",
                "DB_NAME",
                "DB_PORT",
                "DB_SECRET_ARN",
                "DB_USER",
                "PORT",
            ]);
        }
        // No secret value: nothing password-like, and no value of a secret the plan knows.
        assert.ok(!/PASSWORD|mock-[0-9a-f]{24}/i.test(script), "no password in the user data");
        assert.ok(!script.includes("[secret]"), "no secret output was rendered");
    });

    it("scales on CPU and requests; alarms on 5xx, unhealthy hosts and in-service below desired", () => {
        const { doc } = get();
        const policies = ofType(doc, "aws:autoscaling/policy:Policy").map(
            (p) => inputs(p).targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType,
        );
        assert.deepStrictEqual(policies.sort(), ["ALBRequestCountPerTarget", "ASGAverageCPUUtilization"]);
        const topic = doc.outputs.alarmTopicArn;
        const alarms = ofType(doc, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
            ["app-target-5xx", "app-unhealthy-hosts", "app-in-service-below-desired"].includes(a.name),
        );
        assert.strictEqual(alarms.length, 3);
        for (const a of alarms) assert.deepStrictEqual(inputs(a).alarmActions, [topic]);
        const below = inputs(alarms.find((a) => a.name === "app-in-service-below-desired")!);
        assert.deepStrictEqual(
            below.metricQueries.map((q: any) => q.metric?.metricName ?? q.expression),
            ["GroupDesiredCapacity", "GroupInServiceInstances", "desired - inService"],
        );
        const groupName = outputs(doc).deployed.autoScalingGroup;
        assert.strictEqual(below.metricQueries[0].metric.dimensions.AutoScalingGroupName, groupName);
        assert.strictEqual(below.comparisonOperator, "GreaterThanThreshold");
        assert.strictEqual(below.threshold, 0);
    });
}

describe("ec2 plans", function () {
    this.timeout(180_000);

    describe("examples/Pulumi.ec2-api.yaml (prod-like): HTTP API + VPC link + internal ALB", () => {
        let ctx: { doc: PlanDocument; result: CliResult };
        before(async () => (ctx = await planJson(path.join(ROOT, "examples", "Pulumi.ec2-api.yaml"))));
        common(() => ctx, { iamAuth: true });

        it("has no world-open security group rule at all", () => {
            const { doc } = ctx;
            assert.deepStrictEqual(
                ofType(doc, INGRESS).filter((r) => WORLD(inputs(r))),
                [],
            );
            const lb = inputs(one(doc, "aws:lb/loadBalancer:LoadBalancer"));
            assert.strictEqual(lb.internal, true);
            assert.deepStrictEqual(sorted(lb.subnets), sorted(subnetsOf(doc, "private")));
            assert.match(String(doc.outputs.url), /^https:\/\/.*execute-api/);
        });

        it("sizes from the config: m7g.large (arm64), 3 to 9, 360 s grace, 20 GiB root", () => {
            const { doc } = ctx;
            const g = inputs(one(doc, ASG));
            assert.deepStrictEqual([g.minSize, g.maxSize, g.desiredCapacity], [3, 9, 3]);
            assert.strictEqual(g.healthCheckGracePeriod, 360);
            const t = inputs(one(doc, LT));
            assert.strictEqual(t.instanceType, "m7g.large");
            assert.strictEqual(t.blockDeviceMappings[0].ebs.volumeSize, 20);
            assert.ok(!ofType(doc, EGRESS).some((r) => r.name === "app-instance-s3"), "NAT: no S3 prefix-list rule");
        });
    });

    describe("examples/Pulumi.ec2-alb.yaml (dev-like): public ALB, no NAT", () => {
        let ctx: { doc: PlanDocument; result: CliResult };
        before(async () => (ctx = await planJson(path.join(ROOT, "examples", "Pulumi.ec2-alb.yaml"))));
        common(() => ctx, { iamAuth: false });

        it("the only world-open group is the public ALB's, on 80 and 443 only", () => {
            const { doc } = ctx;
            const lb = inputs(one(doc, "aws:lb/loadBalancer:LoadBalancer"));
            assert.strictEqual(lb.internal, false);
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

        it("without NAT the instances reach S3 (artifact, packages) through the gateway endpoint's prefix list", () => {
            const { doc } = ctx;
            const egress = ofType(doc, EGRESS).find((r) => r.name === "app-instance-s3");
            assert.ok(egress && /^pl-/.test(inputs(egress).prefixListId));
            assert.deepStrictEqual([inputs(egress).fromPort, inputs(egress).toPort], [443, 443]);
            const endpoints = ofType(doc, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) =>
                String(inputs(e).serviceName).replace(/^com\.amazonaws\.eu-west-1\./, ""),
            );
            for (const e of ["s3", "ssm", "ssmmessages", "ec2messages", "logs", "secretsmanager"])
                assert.ok(endpoints.includes(e), `${e} endpoint: ${endpoints.join(", ")}`);
        });

        it("defaults: t4g.small (arm64 AMI parameter), 2 to 4, 300 s grace", () => {
            const { doc } = ctx;
            const g = inputs(one(doc, ASG));
            assert.deepStrictEqual([g.minSize, g.maxSize, g.desiredCapacity, g.healthCheckGracePeriod], [2, 4, 2, 300]);
            assert.strictEqual(inputs(one(doc, LT)).instanceType, "t4g.small");
        });
    });
});

describe("ec2: bad configuration exits 2 naming the key", function () {
    this.timeout(120_000);
    const base = (ec2: Record<string, unknown>, network: Record<string, unknown> = {}) => ({
        "aws:region": "eu-west-1",
        "private-app:network": network,
        "private-app:database": { engine: "postgres" },
        "private-app:compute": { mode: "ec2", ingress: "apiGateway", ec2 },
    });
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
        [
            "an instance type that does not exist",
            base({ instanceType: "t4g.mega" }),
            "private-app:compute.ec2.instanceType",
            /got "t4g\.mega"; expected an instance type of the families/,
        ],
        [
            "an architecture the instance type does not have",
            base({ instanceType: "c7i.large", architecture: "arm64" }),
            "private-app:compute.ec2.architecture",
            /c7i\.large is x86_64; the AMI \(al2023-ami-kernel-default-arm64\) would not boot on it/,
        ],
        [
            "min > max",
            base({ minSize: 5, maxSize: 2 }),
            "private-app:compute.ec2.minSize",
            /must not exceed maxSize \(2\)/,
        ],
        [
            "desired above max",
            base({ minSize: 2, maxSize: 4, desiredCapacity: 6 }),
            "private-app:compute.ec2.desiredCapacity",
            /must be from minSize \(2\) to maxSize \(4\)/,
        ],
        [
            "desired below min",
            base({ minSize: 3, maxSize: 4, desiredCapacity: 2 }),
            "private-app:compute.ec2.desiredCapacity",
            /must be from minSize \(3\) to maxSize \(4\)/,
        ],
        [
            "a grace period too short for the boot",
            base({ healthCheckGracePeriodSeconds: 120 }),
            "private-app:compute.ec2.healthCheckGracePeriodSeconds",
            /too short for an instance to boot: the boot budget is 195 s \(boot 60 s \+ packages 90 s \+ artifact 15 s \+ healthChecks 30 s\)/,
        ],
        [
            "natGateways none without the instances' endpoints",
            base({}, { natGateways: "none", interfaceEndpoints: ["secretsmanager"] }),
            "private-app:network.interfaceEndpoints",
            /ssm is missing.*ssmmessages is missing.*ec2messages is missing.*logs is missing.*Fix: add "ssm", "ssmmessages", "ec2messages", "logs"/,
        ],
        [
            "natGateways none without Secrets Manager",
            base({}, { natGateways: "none", interfaceEndpoints: ["ssm", "ssmmessages", "ec2messages", "logs"] }),
            "private-app:network.interfaceEndpoints",
            /secretsmanager is missing/,
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
            assert.ok(!/\s+at \S+ \(/.test(r.stderr), `a stack trace:\n${r.stderr}`);
        });
    }
});
