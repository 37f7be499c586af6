/**
 * The readable plan (tools/format-plan.ts): counts that match what would be created, the tree,
 * outputs as given (secrets stay masked) and policy results, mandatory first.
 */
import * as assert from "assert";
import { formatPlan } from "../../tools/format-plan";
import type { PlanDocument } from "../../tools/run-plan";

const stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
const comp = "urn:pulumi:dev::p::p:net:Network::net";
const doc: PlanDocument = {
    stack: "dev",
    resources: [
        { urn: stack, type: "pulumi:pulumi:Stack", name: "p-dev", id: null, parent: null, inputs: {} },
        { urn: comp, type: "p:net:Network", name: "net", id: null, parent: stack, inputs: {} },
        {
            urn: `${comp}$aws:ec2/vpc:Vpc::net`,
            type: "aws:ec2/vpc:Vpc",
            name: "net",
            id: "vpc-1",
            parent: comp,
            inputs: { cidrBlock: "10.0.0.0/16" },
        },
        {
            urn: `${comp}$aws:ec2/subnet:Subnet::net-public-0`,
            type: "aws:ec2/subnet:Subnet",
            name: "net-public-0",
            id: "subnet-1",
            parent: comp,
            inputs: { cidrBlock: "10.0.0.0/24", availabilityZone: "eu-west-1a", mapPublicIpOnLaunch: true },
        },
    ],
    outputs: { password: "[secret]", vpc: "vpc-1", unknown: null },
    violations: [
        { policy: "advisory-one", enforcementLevel: "advisory", message: "consider this" },
        {
            policy: "mandatory-one",
            enforcementLevel: "mandatory",
            resource: `${comp}$aws:ec2/vpc:Vpc::net`,
            message: "line one\nline two",
        },
    ],
};

describe("formatPlan", () => {
    const text = formatPlan(doc, { durationMs: 1234 });
    const lines = text.split("\n");

    it("counts cloud resources and components, not the Stack, and says ids are placeholders", () => {
        assert.strictEqual(lines[0], "Stack dev: 2 resources in 1 component, planned offline in 1.2 s");
        assert.match(lines[1], /placeholders from the offline mocks/);
    });

    it("draws the tree component → children, with details", () => {
        assert.ok(lines.includes("└─ p:net:Network  net"), text);
        assert.ok(
            lines.includes("   ├─ aws:ec2/subnet:Subnet  net-public-0  (10.0.0.0/24  eu-west-1a  public IPs)"),
            text,
        );
        assert.ok(lines.includes("   └─ aws:ec2/vpc:Vpc  net  (10.0.0.0/16)"), text);
    });

    it("prints outputs as the document has them: secrets masked, unknowns null", () => {
        assert.ok(
            lines.some((l) => /^ {2}password +\[secret\]$/.test(l)),
            text,
        );
        assert.ok(
            lines.some((l) => /^ {2}unknown +null$/.test(l)),
            text,
        );
    });

    it("lists mandatory violations first, names the resource, and ends with the verdict", () => {
        const m = lines.findIndex((l) => l.startsWith("  [mandatory] mandatory-one: aws:ec2/vpc:Vpc net"));
        const a = lines.findIndex((l) => l.startsWith("  [advisory] advisory-one"));
        assert.ok(m > 0 && a > m, text);
        assert.strictEqual(lines[m + 2], "      line two");
        assert.strictEqual(lines[lines.length - 2], "FAILED: 1 mandatory policy violation.");
    });

    it("copes with an empty plan", () => {
        const empty = formatPlan({ stack: "x", resources: [], outputs: {}, violations: [] });
        assert.match(empty, /^Stack x: 0 resources in 0 components\n/);
        assert.match(empty, /Outputs:\n {2}\(none\)/);
        assert.match(empty, /OK: no mandatory policy violation/);
    });

    it("marks protected (and retained) resources in the tree", () => {
        const protectedDoc: PlanDocument = {
            ...doc,
            resources: doc.resources.map((r) =>
                r.type === "aws:ec2/vpc:Vpc" ? { ...r, options: { protect: true, retainOnDelete: true } } : r,
            ),
        };
        const vpcLine = formatPlan(protectedDoc)
            .split("\n")
            .find((l) => l.includes("aws:ec2/vpc:Vpc  net"));
        assert.match(vpcLine ?? "", /\[protected\] {2}\[retained on delete\]$/);
        assert.ok(!text.includes("[protected]"));
    });

    it("describes an alarm on one metric, and one on metric math by its expression and metrics", () => {
        const alarm = (name: string, inputs: Record<string, unknown>) => ({
            urn: `${comp}$aws:cloudwatch/metricAlarm:MetricAlarm::${name}`,
            type: "aws:cloudwatch/metricAlarm:MetricAlarm",
            name,
            id: name,
            parent: comp,
            inputs,
        });
        const out = formatPlan({
            ...doc,
            resources: [
                ...doc.resources,
                alarm("one", {
                    namespace: "AWS/ApplicationELB",
                    metricName: "UnHealthyHostCount",
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    threshold: 1,
                }),
                alarm("math", {
                    metricQueries: [
                        {
                            id: "desired",
                            returnData: false,
                            metric: { namespace: "AWS/AutoScaling", metricName: "GroupDesiredCapacity" },
                        },
                        {
                            id: "inService",
                            returnData: false,
                            metric: { namespace: "AWS/AutoScaling", metricName: "GroupInServiceInstances" },
                        },
                        { id: "missing", returnData: true, expression: "desired - inService" },
                    ],
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: 0,
                }),
            ],
        }).split("\n");
        assert.ok(
            out.some((l) =>
                l.endsWith("MetricAlarm  one  (AWS/ApplicationELB UnHealthyHostCount GreaterThanOrEqualToThreshold 1)"),
            ),
            out.join("\n"),
        );
        assert.ok(
            out.some((l) =>
                l.endsWith(
                    "MetricAlarm  math  (desired - inService (desired = AWS/AutoScaling GroupDesiredCapacity, inService = AWS/AutoScaling GroupInServiceInstances) GreaterThanThreshold 0)",
                ),
            ),
            out.join("\n"),
        );
    });

    it("a first preview: counts resources by kind, not by id, and says ids are unknown", () => {
        const first: PlanDocument = { ...doc, resources: doc.resources.map((r) => ({ ...r, id: null })) };
        const custom = new Set(doc.resources.filter((r) => r.id !== null).map((r) => r.urn));
        const out = formatPlan(first, { custom, firstPreview: true });
        assert.match(out, /^Stack dev: 2 resources in 1 component\n/);
        assert.match(out, /First preview of a new stack: ids and every output AWS computes are unknown/);
    });
});
