/**
 * The cost model on hand-computed examples: one per priced type, in eu-west-1 at the table's
 * prices (the arithmetic is written out next to each figure), plus what is never priced.
 */
import * as assert from "assert";
import { CostEstimate, estimateCost, PlannedResource } from "../../lib/cost";

let n = 0;
function res(type: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource {
    n += 1;
    const name = extra.name ?? `r${n}`;
    return { urn: `urn:pulumi:t::p::${type}::${name}`, type, name, id: `id-${n}`, parent: null, inputs, ...extra };
}
const eu = (...rs: PlannedResource[]) => estimateCost(rs, "eu-west-1");
/** The fixed monthly figures of an estimate, in order. */
const monthly = (e: CostEstimate) => e.items.map((i) => i.monthly);

describe("cost model: one hand-computed example per priced type (eu-west-1)", () => {
    it("NAT gateway: 0.048 × 730 = 35.04, data processed as usage", () => {
        const e = eu(res("aws:ec2/natGateway:NatGateway", { connectivityType: "public" }));
        assert.deepStrictEqual(monthly(e), [35.04]);
        assert.strictEqual(e.monthlyFixed, 35.04);
        assert.deepStrictEqual(
            e.usage.map((u) => [u.what, u.unitPrice]),
            [["data processed by the NAT gateway", "0.048 USD/GB"]],
        );
    });

    it("public IPv4 (an Elastic IP): 0.005 × 730 = 3.65", () => {
        assert.deepStrictEqual(monthly(eu(res("aws:ec2/eip:Eip", { domain: "vpc" }))), [3.65]);
    });

    it("interface endpoint per AZ: 2 × 0.011 × 730 = 16.06, 3 AZs 24.09; a gateway endpoint is free", () => {
        const two = res("aws:ec2/vpcEndpoint:VpcEndpoint", {
            vpcEndpointType: "Interface",
            serviceName: "com.amazonaws.eu-west-1.secretsmanager",
            subnetIds: ["a", "b"],
        });
        const three = res("aws:ec2/vpcEndpoint:VpcEndpoint", {
            vpcEndpointType: "Interface",
            serviceName: "com.amazonaws.eu-west-1.logs",
            subnetIds: ["a", "b", "c"],
        });
        const gateway = res("aws:ec2/vpcEndpoint:VpcEndpoint", { vpcEndpointType: "Gateway", serviceName: "s3" });
        const e = eu(two, three, gateway);
        assert.deepStrictEqual(monthly(e), [16.06, 24.09]);
        assert.match(e.items[0].basis, /secretsmanager in 2 AZs: 2 × 0\.011 USD\/AZ-hour × 730 h/);
        assert.deepStrictEqual(e.unpriced, []);
    });

    it("load balancers: an internet-facing ALB 0.0252 × 730 = 18.40 plus a public IPv4 per AZ; an internal NLB 18.40", () => {
        const alb = res("aws:lb/loadBalancer:LoadBalancer", { loadBalancerType: "application", subnets: ["a", "b"] });
        const nlb = res("aws:lb/loadBalancer:LoadBalancer", {
            loadBalancerType: "network",
            internal: true,
            subnets: ["a"],
        });
        const e = eu(alb, nlb);
        assert.deepStrictEqual(monthly(e), [18.4, 7.3, 18.4]);
        assert.deepStrictEqual(
            e.usage.map((u) => u.unitPrice),
            ["0.008 USD/LCU-hour", "0.006 USD/NLCU-hour"],
        );
    });

    it("RDS instance by class and deployment, its storage and its managed secret", () => {
        const single = res("aws:rds/instance:Instance", {
            engine: "postgres",
            instanceClass: "db.t4g.micro",
            allocatedStorage: 20,
            storageType: "gp3",
            manageMasterUserPassword: true,
        });
        // 0.018 × 730 = 13.14; 20 × 0.127 = 2.54; 0.40
        assert.deepStrictEqual(monthly(eu(single)), [13.14, 2.54, 0.4]);
        const multi = res("aws:rds/instance:Instance", {
            engine: "postgres",
            instanceClass: "db.m7g.large",
            multiAz: true,
            allocatedStorage: 100,
        });
        // 2 × 0.183 × 730 = 267.18; 2 × 100 × 0.127 = 25.40
        assert.deepStrictEqual(monthly(eu(multi)), [267.18, 25.4]);
    });

    it("Aurora: a provisioned instance by class, Serverless v2 at its minimum ACU, zero when it can pause", () => {
        const cluster = (id: string, minCapacity: number) =>
            res("aws:rds/cluster:Cluster", {
                engine: "aurora-postgresql",
                clusterIdentifier: id,
                manageMasterUserPassword: true,
                serverlessv2ScalingConfiguration: { minCapacity, maxCapacity: 4, secondsUntilAutoPause: 600 },
            });
        const member = (id: string, instanceClass: string) =>
            res("aws:rds/clusterInstance:ClusterInstance", { clusterIdentifier: id, instanceClass });
        // cluster: its master secret 0.40; db.r7g.large 0.303 × 730 = 221.19
        assert.deepStrictEqual(monthly(eu(cluster("a", 0.5), member("a", "db.r7g.large"))), [0.4, 221.19]);
        // 0.5 ACU × 0.13 × 730 = 47.45
        assert.deepStrictEqual(monthly(eu(cluster("b", 0.5), member("b", "db.serverless"))), [0.4, 47.45]);
        const paused = eu(cluster("c", 0), member("c", "db.serverless"));
        assert.deepStrictEqual(monthly(paused), [0.4, 0]);
        assert.match(paused.items[1].basis, /0 ACU: pauses after 600 s/);
        assert.ok(
            paused.usage.some(
                (u) => u.what === "Serverless v2 capacity while active" && u.unitPrice === "0.13 USD/ACU-hour",
            ),
        );
        assert.ok(paused.usage.some((u) => u.what === "Aurora storage" && u.unitPrice === "0.11 USD/GB-month"));
    });

    it("RDS Proxy: per vCPU of its target (2 × 0.0165 × 730 = 24.09), at least 8 ACU for Serverless v2 (96.36)", () => {
        const db = res("aws:rds/instance:Instance", {
            engine: "postgres",
            identifier: "db1",
            instanceClass: "db.m7g.large",
            allocatedStorage: 20,
        });
        const proxy = res("aws:rds/proxy:Proxy", { name: "p1" });
        const target = res("aws:rds/proxyTarget:ProxyTarget", { dbProxyName: "p1", dbInstanceIdentifier: "db1" });
        const e = eu(db, proxy, target);
        assert.deepStrictEqual(
            e.items.filter((i) => i.type === "aws:rds/proxy:Proxy").map((i) => i.monthly),
            [24.09],
        );
        const sls = eu(
            res("aws:rds/cluster:Cluster", {
                engine: "aurora-postgresql",
                clusterIdentifier: "c1",
                serverlessv2ScalingConfiguration: { minCapacity: 0.5 },
            }),
            res("aws:rds/clusterInstance:ClusterInstance", { clusterIdentifier: "c1", instanceClass: "db.serverless" }),
            res("aws:rds/proxy:Proxy", { name: "p2" }),
            res("aws:rds/proxyTarget:ProxyTarget", { dbProxyName: "p2", dbClusterIdentifier: "c1" }),
        );
        assert.deepStrictEqual(
            sls.items.filter((i) => i.type === "aws:rds/proxy:Proxy").map((i) => i.monthly),
            [96.36],
        );
        // A class whose vCPUs are not known is listed, never guessed.
        const unknown = eu(
            res("aws:rds/instance:Instance", { engine: "postgres", identifier: "db9", instanceClass: "db.z1d.large" }),
            res("aws:rds/proxy:Proxy", { name: "p9" }),
            res("aws:rds/proxyTarget:ProxyTarget", { dbProxyName: "p9", dbInstanceIdentifier: "db9" }),
        );
        assert.ok(unknown.unpriced.includes("aws:rds/proxy:Proxy"), JSON.stringify(unknown.unpriced));
    });

    it("Fargate: vCPU and GB hours (ARM), and Spot by the capacity provider weights", () => {
        const td = res("aws:ecs/taskDefinition:TaskDefinition", {
            family: "web",
            cpu: "512",
            memory: "1024",
            runtimePlatform: { cpuArchitecture: "ARM64" },
        });
        const svc = res("aws:ecs/service:Service", {
            launchType: "FARGATE",
            desiredCount: 2,
            taskDefinition: "arn:aws:ecs:eu-west-1:1:task-definition/web:3",
        });
        // 2 × 0.5 vCPU × 0.03238 × 730 = 23.64; 2 × 1 GB × 0.00356 × 730 = 5.20
        assert.deepStrictEqual(monthly(eu(td, svc)), [23.64, 5.2]);
        const td2 = res("aws:ecs/taskDefinition:TaskDefinition", { family: "batch", cpu: "1024", memory: "2048" });
        const mixed = res("aws:ecs/service:Service", {
            desiredCount: 4,
            taskDefinition: "batch",
            capacityProviderStrategies: [
                { capacityProvider: "FARGATE", weight: 1 },
                { capacityProvider: "FARGATE_SPOT", weight: 3 },
            ],
        });
        // on demand 1 task: 0.04048 × 730 = 29.55, 2 GB × 0.004445 × 730 = 6.49;
        // Spot 3 tasks: 3 × 0.012144 × 730 = 26.60, 6 GB × 0.0013335 × 730 = 5.84
        const e = eu(td2, mixed);
        assert.deepStrictEqual(monthly(e), [29.55, 6.49, 26.6, 5.84]);
        assert.match(e.items[2].basis, /Spot prices vary/);
    });

    it("EC2: an instance with its root volume and public IPv4; a NAT instance in an Auto Scaling group", () => {
        const bastion = res("aws:ec2/instance:Instance", { instanceType: "t4g.nano", associatePublicIpAddress: true });
        // 0.0046 × 730 = 3.36; 8 GB (assumed AMI default) × 0.088 = 0.70; 3.65
        const e = eu(bastion);
        assert.deepStrictEqual(monthly(e), [3.36, 0.7, 3.65]);
        assert.match(e.items[1].basis, /assumed 8 GB/);
        const lt = res("aws:ec2/launchTemplate:LaunchTemplate", {
            instanceType: "t4g.nano",
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 8, volumeType: "gp3" } }],
            networkInterfaces: [{ associatePublicIpAddress: "true", deviceIndex: 0 }],
        });
        const asg = res("aws:autoscaling/group:Group", {
            desiredCapacity: 1,
            minSize: 1,
            maxSize: 1,
            launchTemplate: { id: lt.id, version: "$Latest" },
        });
        assert.deepStrictEqual(monthly(eu(lt, asg)), [3.36, 0.7, 3.65]);
        assert.strictEqual(eu(lt, asg).monthlyFixed, 7.71);
    });

    it("EBS volume: 100 GB gp3 × 0.088 = 8.80", () => {
        assert.deepStrictEqual(monthly(eu(res("aws:ebs/volume:Volume", { size: 100, type: "gp3" }))), [8.8]);
    });

    it("KMS key 1.00 and Secrets Manager secret 0.40, their API calls as usage", () => {
        const e = eu(res("aws:kms/key:Key", {}), res("aws:secretsmanager/secret:Secret", {}));
        assert.deepStrictEqual(monthly(e), [1, 0.4]);
        assert.deepStrictEqual(
            e.usage.map((u) => u.unitPrice),
            ["0.03 USD/10K requests", "0.05 USD/10K requests"],
        );
    });

    it("CloudWatch alarms: 0.10 standard, 0.30 high resolution, per metric of a metric-math alarm", () => {
        const e = eu(
            res("aws:cloudwatch/metricAlarm:MetricAlarm", { metricName: "CPU", period: 300 }),
            res("aws:cloudwatch/metricAlarm:MetricAlarm", { metricName: "CPU", period: 10 }),
            res("aws:cloudwatch/metricAlarm:MetricAlarm", {
                metricQueries: [
                    { id: "a", metric: {} },
                    { id: "b", metric: {} },
                    { id: "e", expression: "a+b" },
                ],
            }),
        );
        assert.deepStrictEqual(monthly(e), [0.1, 0.3, 0.2]);
    });

    it("WAF: 5.00 a web ACL plus 1.00 a rule, requests as usage", () => {
        const e = eu(res("aws:wafv2/webAcl:WebAcl", { rules: [{}, {}, {}] }));
        assert.deepStrictEqual(monthly(e), [5, 3]);
        assert.deepStrictEqual(
            e.usage.map((u) => u.unitPrice),
            ["0.6 USD/1M requests"],
        );
    });

    it("usage-only types (functions, HTTP APIs, log groups) add nothing to the fixed total", () => {
        const e = eu(
            res("aws:lambda/function:Function", { architectures: ["arm64"], memorySize: 512 }),
            res("aws:apigatewayv2/api:Api", { protocolType: "HTTP" }),
            res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }),
        );
        assert.strictEqual(e.monthlyFixed, 0);
        assert.deepStrictEqual(
            e.usage.map((u) => u.unitPrice),
            [
                "0.2 USD/1M requests",
                "0.0000133334 USD/GB-second",
                "1.11 USD/1M requests",
                "0.57 USD/GB",
                "0.03 USD/GB-month",
            ],
        );
        for (const u of e.usage) assert.match(u.assumption, /\S/);
    });
});

describe("cost model: never a guess", () => {
    it("lists an unknown type as unpriced, once, with the reason", () => {
        const e = eu(
            res("aws:elasticache/cluster:Cluster", {}),
            res("aws:elasticache/cluster:Cluster", {}),
            res("aws:ec2/vpc:Vpc", {}),
            res("private-app:network:Network", {}),
        );
        assert.deepStrictEqual(e.unpriced, ["aws:elasticache/cluster:Cluster"]);
        assert.strictEqual(e.unpricedDetail.length, 2);
        assert.strictEqual(e.monthlyFixed, 0);
    });

    it("lists a known type whose class is missing from the table as unpriced, not half-priced", () => {
        const e = eu(
            res("aws:rds/instance:Instance", {
                engine: "postgres",
                instanceClass: "db.x2g.16xlarge",
                allocatedStorage: 20,
            }),
        );
        assert.deepStrictEqual(e.items, []);
        assert.deepStrictEqual(e.unpriced, ["aws:rds/instance:Instance"]);
        assert.match(e.unpricedDetail[0].reason, /no price "rds\.postgres\.db\.x2g\.16xlarge" in the eu-west-1 table/);
    });

    it("says the cost is unknown in a region without prices, never borrowing another's", () => {
        const nat = res("aws:ec2/natGateway:NatGateway", {});
        const e = estimateCost([nat], "eu-central-1");
        assert.strictEqual(e.monthlyFixed, null);
        assert.strictEqual(e.priceDate, null);
        assert.deepStrictEqual(e.items, []);
        assert.match(e.unknown ?? "", /no prices for eu-central-1 .*not borrowed/);
    });

    it("prices each region from its own table (NAT in us-east-1: 0.045 × 730 = 32.85)", () => {
        const e = estimateCost([res("aws:ec2/natGateway:NatGateway", {})], "us-east-1");
        assert.deepStrictEqual(monthly(e), [32.85]);
        assert.strictEqual(e.region, "us-east-1");
    });
});
