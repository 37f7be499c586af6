/**
 * The cost of the committed and example stacks, through `npm run plan` as a user runs it: the
 * whole dev and prod plans pinned, dev within its budget, a region without prices, the text
 * output, and the README's cost table kept in step with the plans.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CostEstimate } from "../../lib/cost";
import { costTableStacks, withCostTable } from "../../lib/cost-table";
import type { PlanDocument } from "../../tools/run-plan";
import { CliResult, planCli, ROOT } from "../support/plan-cli";

/** dev's fixed monthly budget (issue 13). */
const DEV_BUDGET_USD = 25;

const STACKS = costTableStacks(fs.readdirSync(ROOT), fs.readdirSync(path.join(ROOT, "examples")));

/** Runs a few plans at a time (each is its own process). */
async function inBatches<T, R>(xs: readonly T[], size: number, f: (x: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < xs.length; i += size) out.push(...(await Promise.all(xs.slice(i, i + size).map(f))));
    return out;
}

/** Fixed items summed per resource type, for a readable pin. */
function byType(cost: CostEstimate): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of cost.items) out[i.type] = Math.round(((out[i.type] ?? 0) + i.monthly) * 100) / 100;
    return out;
}

describe("cost of the committed and example stacks (npm run plan)", function () {
    this.timeout(240_000);
    const docs = new Map<string, PlanDocument>();
    const codes = new Map<string, number | null>();
    const text = new Map<string, CliResult>();

    before(async () => {
        const runs: { key: string; args: string[] }[] = [
            ...STACKS.map((s) => ({ key: s, args: [s, "--json"] })),
            { key: "text:dev", args: ["dev", "--cost-detail"] },
            { key: "text:frankfurt", args: ["examples/Pulumi.dev-frankfurt.yaml"] },
        ];
        await inBatches(runs, 3, async ({ key, args }) => {
            const r = await planCli(args);
            if (key.startsWith("text:")) text.set(key, r);
            else {
                assert.ok(r.code === 0 || r.code === 1, `${key} exited ${r.code}: ${r.stderr}`);
                docs.set(key, JSON.parse(r.stdout) as PlanDocument);
                codes.set(key, r.code);
            }
        });
    });

    const cost = (stack: string) => docs.get(stack)!.cost!;

    it("covers dev, prod and every example", () => {
        assert.deepStrictEqual(STACKS.slice(0, 2), ["dev", "prod"]);
        assert.ok(STACKS.includes("examples/Pulumi.dev-frankfurt.yaml"));
    });

    it("adds cost to the JSON exactly as CONTRACT.md says", () => {
        const c = cost("dev");
        for (const key of ["currency", "region", "priceDate", "monthlyFixed", "items", "usage", "unpriced"]) {
            assert.ok(key in c, key);
        }
        assert.strictEqual(c.currency, "USD");
        assert.strictEqual(c.region, "eu-west-1");
        assert.match(String(c.priceDate), /^\d{4}-\d{2}-\d{2}$/);
        for (const i of c.items) assert.deepStrictEqual(Object.keys(i).sort(), ["basis", "monthly", "type", "urn"]);
        for (const u of c.usage)
            assert.deepStrictEqual(Object.keys(u).sort(), ["assumption", "unitPrice", "urn", "what"]);
        const urns = new Set(docs.get("dev")!.resources.map((r) => r.urn));
        for (const x of [...c.items, ...c.usage]) assert.ok(urns.has(x.urn), x.urn);
    });

    it("dev: $10.23 a month fixed, within $25, every mandatory policy passing, nothing unpriced", () => {
        const c = cost("dev");
        assert.strictEqual(codes.get("dev"), 0);
        assert.deepStrictEqual(
            docs.get("dev")!.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
        assert.ok(c.monthlyFixed !== null && c.monthlyFixed <= DEV_BUDGET_USD, String(c.monthlyFixed));
        assert.strictEqual(c.monthlyFixed, 10.23);
        // secretsmanager endpoint in 1 AZ: 0.011 × 730; the master secret 0.40; 8 alarms × 0.10;
        // the alarm topic's KMS key 1.00; 0 ACU
        assert.deepStrictEqual(byType(c), {
            "aws:ec2/vpcEndpoint:VpcEndpoint": 8.03,
            "aws:kms/key:Key": 1,
            "aws:rds/cluster:Cluster": 0.4,
            "aws:rds/clusterInstance:ClusterInstance": 0,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 0.8,
        });
        assert.deepStrictEqual(c.unpriced, []);
        assert.ok(c.usage.some((u) => u.what === "Serverless v2 capacity while active"));
    });

    it("dev stays private: no NAT, no public IPv4, the database not publicly accessible, the functions in the VPC", () => {
        const doc = docs.get("dev")!;
        const of = (t: string) => doc.resources.filter((r) => r.type === t);
        assert.strictEqual(of("aws:ec2/natGateway:NatGateway").length + of("aws:ec2/eip:Eip").length, 0);
        for (const i of of("aws:rds/clusterInstance:ClusterInstance"))
            assert.strictEqual(i.inputs.publiclyAccessible, false);
        for (const f of of("aws:lambda/function:Function")) assert.ok(f.inputs.vpcConfig, f.name);
    });

    it("prod: $614.11 a month fixed, plus the backups' storage as usage", () => {
        const c = cost("prod");
        assert.strictEqual(c.monthlyFixed, 614.11);
        // 3 NAT × 35.04; 3 public IPv4 × 3.65; 3 endpoints × 3 AZs × 8.03; db.m7g.large Multi-AZ
        // 2 × 0.183 × 730 + 200 GB × 0.127; the master secret; proxy 2 vCPU × 0.0165 × 730; 8 alarms;
        // the alarm topic's KMS key and the two backup vaults' keys ($1 each, all regions); the internal ALB behind the VPC link 0.0252 × 730; 3 arm64
        // Fargate tasks of 1 vCPU / 2 GB
        assert.deepStrictEqual(byType(c), {
            "aws:ec2/eip:Eip": 10.95,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 0.8,
            "aws:ec2/natGateway:NatGateway": 105.12,
            "aws:ec2/vpcEndpoint:VpcEndpoint": 72.27,
            "aws:kms/key:Key": 3,
            "aws:lb/loadBalancer:LoadBalancer": 18.4,
            "aws:ecs/service:Service": 86.5,
            "aws:rds/instance:Instance": 292.98,
            "aws:rds/proxy:Proxy": 24.09,
        });
        assert.deepStrictEqual(c.unpriced, []);
        // AWS Backup bills by what the vaults hold and copy: usage, never in the fixed total.
        const backupUsage = c.usage.filter((u) => u.urn.includes("aws:backup/vault:Vault")).map((u) => u.what);
        assert.deepStrictEqual(backupUsage.sort(), [
            "AWS Backup storage of RDS/Aurora snapshots",
            "AWS Backup storage of RDS/Aurora snapshots (copies in eu-central-1, priced at eu-west-1's rate)",
            "cross-Region copy transfer",
        ]);
    });

    it("a stack in a region without prices plans fine and says its cost is unknown", () => {
        const key = "examples/Pulumi.dev-frankfurt.yaml";
        assert.strictEqual(codes.get(key), 0);
        const c = cost(key);
        assert.strictEqual(c.region, "eu-central-1");
        assert.strictEqual(c.monthlyFixed, null);
        assert.deepStrictEqual(c.items, []);
        const t = text.get("text:frankfurt")!;
        assert.strictEqual(t.code, 0, t.stderr);
        assert.match(t.stdout, /Estimated cost: unknown \(no prices for eu-central-1/);
    });

    it("prints the estimate per component, and per resource with --cost-detail", () => {
        const t = text.get("text:dev")!;
        assert.strictEqual(t.code, 0, t.stderr);
        assert.match(
            t.stdout,
            /Estimated cost: \$10\.23 a month fixed in eu-west-1 \(on-demand list prices of \d{4}-\d{2}-\d{2}/,
        );
        assert.match(t.stdout, /^ {2}net +\$8\.03 {2}private-app:network:Network$/m);
        assert.match(
            t.stdout,
            /\$8\.03 {2}net-endpoint-secretsmanager: interface endpoint secretsmanager in 1 AZ: 0\.011 USD\/AZ-hour × 730 h/,
        );
        assert.match(t.stdout, /Usage-based, not included above:/);
    });

    it("README.md's cost table is the one these plans give (npm run docs)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const planned = STACKS.map((stack) => ({ stack, resources: docs.get(stack)!.resources, cost: cost(stack) }));
        assert.strictEqual(
            withCostTable(readme, planned),
            readme,
            "README.md's cost table is out of date: run `npm run docs`",
        );
    });
});
