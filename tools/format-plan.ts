/**
 * The readable form of an offline plan: the resource tree (component → children, like
 * `pulumi preview`), counts by type, the stack outputs and the policy results.
 */
import { costByComponent, CostEstimate, isComponent } from "../lib/cost";
import type { PlanDocument } from "./run-plan";

type Res = PlanDocument["resources"][number];

/** `RESTORED FROM ...` when a database is created from a snapshot or a point in time (database.restore). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a property bag of an RDS resource
function restored(i: Record<string, any>): string {
    if (typeof i.snapshotIdentifier === "string") return `RESTORED FROM snapshot ${i.snapshotIdentifier}`;
    const p = i.restoreToPointInTime;
    if (p && typeof p === "object") {
        const source =
            p.sourceDbInstanceIdentifier ??
            p.sourceDbInstanceAutomatedBackupsArn ??
            p.sourceDbiResourceId ??
            p.sourceClusterIdentifier ??
            p.sourceClusterResourceId;
        const time = p.restoreTime ?? p.restoreToTime ?? "its latest restorable time";
        return `RESTORED FROM ${source} at ${time}`;
    }
    return "";
}

/** A few words about the inputs that matter for a resource, shown beside it in the tree. */
export function detail(r: Res, byId: Map<string, Res>): string {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a property bag of any resource type
    const i = r.inputs as Record<string, any>;
    const name = (id: unknown) => (typeof id === "string" ? (byId.get(id)?.name ?? id) : String(id ?? "?"));
    switch (r.type) {
        case "aws:ec2/vpc:Vpc":
            return i.cidrBlock ?? "";
        case "aws:ec2/subnet:Subnet":
            return [i.cidrBlock, i.availabilityZone, i.mapPublicIpOnLaunch ? "public IPs" : ""]
                .filter(Boolean)
                .join("  ");
        case "aws:ec2/natGateway:NatGateway":
            return `in ${name(i.subnetId)}`;
        case "aws:ec2/route:Route": {
            const target = i.gatewayId ?? i.natGatewayId ?? i.vpcEndpointId ?? i.transitGatewayId;
            return `${i.destinationCidrBlock ?? i.destinationIpv6CidrBlock ?? i.destinationPrefixListId} → ${name(target)}`;
        }
        case "aws:ec2/routeTableAssociation:RouteTableAssociation":
            return `${name(i.subnetId)} → ${name(i.routeTableId)}`;
        case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
            const dir = r.type.includes("Ingress") ? "from" : "to";
            const peer = i.referencedSecurityGroupId
                ? name(i.referencedSecurityGroupId)
                : (i.cidrIpv4 ?? i.cidrIpv6 ?? i.prefixListId);
            const ports =
                i.ipProtocol === "-1" ? "all" : i.fromPort === i.toPort ? `${i.fromPort}` : `${i.fromPort}-${i.toPort}`;
            return `${i.ipProtocol}/${ports} ${dir} ${peer} on ${name(i.securityGroupId)}`;
        }
        case "aws:ec2/vpcEndpoint:VpcEndpoint":
            return `${i.serviceName} (${i.vpcEndpointType ?? "Gateway"})`;
        case "aws:rds/instance:Instance":
            return [
                i.engine,
                i.engineVersion,
                i.instanceClass,
                i.multiAz ? "Multi-AZ" : "single-AZ",
                `publiclyAccessible=${i.publiclyAccessible}`,
                restored(i),
            ]
                .filter(Boolean)
                .join(" ");
        case "aws:rds/cluster:Cluster":
            return [i.engine, i.engineVersion, `deletionProtection=${i.deletionProtection}`, restored(i)]
                .filter(Boolean)
                .join(" ");
        case "aws:rds/clusterInstance:ClusterInstance":
            return [i.instanceClass, `publiclyAccessible=${i.publiclyAccessible}`].join(" ");
        case "aws:lambda/function:Function":
            return [i.runtime, `${i.memorySize ?? "?"} MB`, i.vpcConfig ? "in VPC" : "NOT in a VPC"].join(" ");
        case "aws:cloudwatch/metricAlarm:MetricAlarm": {
            if (i.namespace !== undefined)
                return `${i.namespace} ${i.metricName} ${i.comparisonOperator} ${i.threshold}`;
            // Metric math: the expression returned, over the metrics it names.
            const queries = (Array.isArray(i.metricQueries) ? i.metricQueries : []) as {
                id?: string;
                returnData?: boolean;
                expression?: string;
                metric?: { namespace?: string; metricName?: string };
            }[];
            const value = queries.find((q) => q.returnData === true)?.expression ?? "?";
            const over = queries
                .filter((q) => q.metric !== undefined)
                .map((q) => `${q.id} = ${q.metric?.namespace} ${q.metric?.metricName}`);
            return `${value} (${over.join(", ")}) ${i.comparisonOperator} ${i.threshold}`;
        }
        default:
            return "";
    }
}

export interface FormatMeta {
    durationMs?: number;
    policyConfigFile?: string;
    /** URNs of the cloud resources; without it, a resource with an id is one. */
    custom?: ReadonlySet<string>;
    /** The plan answered as a first preview (ids and computed outputs unknown). */
    firstPreview?: boolean;
    /** Show the cost estimate per resource, not only per component. */
    costDetail?: boolean;
}

export function formatPlan(doc: PlanDocument, meta: FormatMeta = {}): string {
    const out: string[] = [];
    const children = new Map<string | null, Res[]>();
    const byUrn = new Map(doc.resources.map((r) => [r.urn, r]));
    const byId = new Map<string, Res>();
    for (const r of doc.resources) if (r.id) byId.set(r.id, r);
    for (const r of doc.resources) {
        const parent = r.parent !== null && byUrn.has(r.parent) ? r.parent : null;
        const list = children.get(parent) ?? [];
        list.push(r);
        children.set(parent, list);
    }

    // Count what would be created: cloud resources, and the components grouping them (the
    // root Stack is neither).
    const isCustom = (r: Res) => (meta.custom ? meta.custom.has(r.urn) : r.id !== null);
    const cloud = doc.resources.filter(isCustom).length;
    const components = doc.resources.filter((r) => !isCustom(r) && r.type !== "pulumi:pulumi:Stack").length;
    const time = meta.durationMs !== undefined ? `, planned offline in ${(meta.durationMs / 1000).toFixed(1)} s` : "";
    out.push(
        `Stack ${doc.stack}: ${cloud} resource${cloud === 1 ? "" : "s"} in ${components} component${components === 1 ? "" : "s"}${time}`,
    );
    out.push(
        meta.firstPreview
            ? "First preview of a new stack: ids and every output AWS computes are unknown (shown as null or not at all)."
            : "Ids, ARNs and endpoints below are placeholders from the offline mocks; AWS assigns the real ones.",
    );
    out.push("");

    const walk = (r: Res, prefix: string, last: boolean, top: boolean) => {
        const branch = top ? "" : last ? "└─ " : "├─ ";
        const d = detail(r, byId);
        const marks = [r.options?.protect ? "protected" : "", r.options?.retainOnDelete ? "retained on delete" : ""]
            .filter(Boolean)
            .map((m) => `  [${m}]`)
            .join("");
        out.push(`${prefix}${branch}${r.type}  ${r.name}${d ? `  (${d})` : ""}${marks}`);
        const kids = [...(children.get(r.urn) ?? [])].sort(order);
        const nextPrefix = top ? prefix : prefix + (last ? "   " : "│  ");
        kids.forEach((k, idx) => walk(k, nextPrefix, idx === kids.length - 1, false));
    };
    const roots = [...(children.get(null) ?? [])].sort(order);
    roots.forEach((r, idx) => walk(r, "", idx === roots.length - 1, true));

    out.push("");
    out.push("Resources by type:");
    const counts = new Map<string, number>();
    for (const r of doc.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const width = Math.max(...[...counts.keys()].map((k) => k.length));
    for (const [type, n] of [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        out.push(`  ${type.padEnd(width)}  ${String(n).padStart(3)}`);
    }

    out.push("");
    out.push("Outputs:");
    const keys = Object.keys(doc.outputs);
    if (keys.length === 0) out.push("  (none)");
    const kw = Math.max(0, ...keys.map((k) => k.length));
    for (const k of keys) {
        const v = doc.outputs[k];
        out.push(`  ${k.padEnd(kw)}  ${typeof v === "string" ? v : JSON.stringify(v)}`);
    }

    if (doc.cost) out.push("", ...formatCost(doc.cost, doc.resources, meta.costDetail === true));

    out.push("");
    const cfg = meta.policyConfigFile ? ` (config: ${meta.policyConfigFile.replace(/^.*?(policy-pack\/)/, "$1")})` : "";
    out.push(`Policies${cfg}:`);
    if (doc.violations.length === 0) out.push("  every policy passed");
    const levels = ["mandatory", "remediate", "advisory"];
    const sorted = [...doc.violations].sort(
        (a, b) => levels.indexOf(a.enforcementLevel) - levels.indexOf(b.enforcementLevel),
    );
    for (const v of sorted) {
        const who = v.resource ? byUrn.get(v.resource) : undefined;
        out.push(
            `  [${v.enforcementLevel}] ${v.policy}${who ? `: ${who.type} ${who.name}` : v.resource ? `: ${v.resource}` : ""}`,
        );
        out.push(`      ${v.message.split("\n").join("\n      ")}`);
    }
    const m = doc.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    out.push("");
    out.push(
        m > 0
            ? `FAILED: ${m} mandatory policy violation${m === 1 ? "" : "s"}.`
            : `OK: no mandatory policy violation (${doc.violations.length} other finding${doc.violations.length === 1 ? "" : "s"}).`,
    );
    return `${out.join("\n")}\n`;
}

function order(a: Res, b: Res): number {
    // Components first, then by type and name, so related resources sit together.
    const ca = a.id === null && !a.type.includes("/") ? 0 : 1;
    const cb = b.id === null && !b.type.includes("/") ? 0 : 1;
    return ca - cb || a.type.localeCompare(b.type) || a.name.localeCompare(b.name, undefined, { numeric: true });
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** The estimate: per component (and per resource with `--cost-detail`), usage charges, unpriced types. */
export function formatCost(cost: CostEstimate, resources: PlanDocument["resources"], detail: boolean): string[] {
    const out: string[] = [];
    if (cost.monthlyFixed === null) {
        out.push(`Estimated cost: unknown (${cost.unknown ?? `no prices for ${cost.region}`})`);
        return out;
    }
    out.push(
        `Estimated cost: ${usd(cost.monthlyFixed)} a month fixed in ${cost.region} (on-demand list prices of ${cost.priceDate}, 730 h; usage extra)`,
    );
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const rows = costByComponent(cost, resources);
    const width = Math.max(0, ...rows.map((r) => r.component.length));
    for (const row of rows) {
        out.push(`  ${row.component.padEnd(width)}  ${usd(row.monthly).padStart(9)}  ${row.type}`);
        if (!detail) continue;
        for (const item of cost.items) {
            const r = byUrn.get(item.urn);
            let c = r;
            while (c && !isComponent(c)) c = c.parent ? byUrn.get(c.parent) : undefined;
            if ((c?.name ?? "(stack)") !== row.component) continue;
            out.push(`    ${" ".repeat(width)}${usd(item.monthly).padStart(9)}  ${r?.name ?? item.urn}: ${item.basis}`);
        }
    }
    if (!detail) out.push("  (per resource: --cost-detail)");
    if (cost.usage.length > 0) {
        out.push("  Usage-based, not included above:");
        const seen = new Set<string>();
        for (const u of cost.usage) {
            const line = `${u.what}: ${u.unitPrice} (${u.assumption})`;
            const who = byUrn.get(u.urn)?.name ?? u.urn;
            if (detail) out.push(`    ${who}: ${line}`);
            else if (!seen.has(line)) {
                seen.add(line);
                out.push(`    ${line}`);
            }
        }
    }
    if (cost.unpriced.length > 0) {
        out.push(`  Not priced (not in the cost model or the price table): ${cost.unpriced.join(", ")}`);
        if (detail)
            for (const u of cost.unpricedDetail) out.push(`    ${byUrn.get(u.urn)?.name ?? u.urn}: ${u.reason}`);
    }
    return out;
}
