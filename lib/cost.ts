/**
 * What a stack costs: a monthly estimate over the resources a plan records.
 *
 * Pure: it reads plain planned resources (`{ type, name, urn, inputs }`, as in the plan's JSON)
 * and a price table (`lib/prices/<region>.ts`, data with the source and date of each price).
 * No Pulumi, no AWS, no network.
 *
 * Three kinds of answer, never mixed:
 * - `items`: charges that run by the hour or the month whatever the traffic (a NAT gateway, an
 *   instance, provisioned storage, a key). Their sum is `monthlyFixed` (730 hours a month, on
 *   demand, no free tier, no savings plan).
 * - `usage`: charges that depend on traffic or data (requests, GB processed, log ingestion,
 *   ACU-hours above the minimum), each with its unit price and the assumption it rests on. They
 *   are listed, never added to `monthlyFixed`.
 * - `unpriced`: resource types this model does not know, or knows but cannot price (a class
 *   missing from the table). Never guessed.
 * A region without a price table gives `monthlyFixed: null` and says the cost is unknown; it
 * never borrows another region's prices.
 */
import { PRICE_TABLES, Price, PriceTable } from "./prices";
import { instanceClassVcpus } from "./db-instance-classes";

/** A resource as the plan records it. */
export interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly id?: string | null;
    readonly parent?: string | null;
    readonly inputs: Readonly<Record<string, unknown>>;
}

/** One fixed monthly charge of one resource (a resource can have several: an instance and its storage). */
export interface CostItem {
    urn: string;
    type: string;
    /** USD a month, rounded to the cent. */
    monthly: number;
    /** How it was computed: quantity × unit price, and what the price is. */
    basis: string;
}

/** A charge that depends on use: listed with its price, never added to the fixed total. */
export interface UsageItem {
    urn: string;
    what: string;
    /** E.g. "0.048 USD/GB". */
    unitPrice: string;
    assumption: string;
}

/** The `cost` field of the plan document (CONTRACT.md). */
export interface CostEstimate {
    currency: "USD";
    region: string;
    /** The date of the price table; null when the region has none. */
    priceDate: string | null;
    /** The sum of `items`; null when the region has no prices (cost unknown). */
    monthlyFixed: number | null;
    items: CostItem[];
    usage: UsageItem[];
    /** Resource types not priced (sorted, each once). */
    unpriced: string[];
    /** Why each unpriced resource is not priced. */
    unpricedDetail: { urn: string; type: string; reason: string }[];
    /** Set when the estimate is incomplete: no table for the region. */
    unknown?: string;
}

/**
 * Types that cost nothing by themselves (their traffic, if any, is billed elsewhere), so they
 * are neither items nor unpriced. Containers (`pulumi:*`, our components) are free too.
 */
export const FREE_TYPES: ReadonlySet<string> = new Set([
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/networkAcl:NetworkAcl",
    "aws:ec2/networkAclRule:NetworkAclRule",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/networkInterface:NetworkInterface",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    "aws:rds/proxyTarget:ProxyTarget",
    "aws:lambda/permission:Permission",
    "aws:apigatewayv2/stage:Stage",
    "aws:apigatewayv2/route:Route",
    "aws:apigatewayv2/integration:Integration",
    // HTTP API VPC links (v2) carry no charge of their own; the internal ALB behind them does.
    "aws:apigatewayv2/vpcLink:VpcLink",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    // The image build (a remote awsx component): what it stores bills as the repository's storage.
    "awsx:ecr:Image",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:kms/alias:Alias",
    "aws:kms/keyPolicy:KeyPolicy",
    // AWS Backup bills what the vaults store and copy (priced on the vault), not the plan.
    "aws:backup/plan:Plan",
    "aws:backup/selection:Selection",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretPolicy:SecretPolicy",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:appautoscaling/target:Target",
    "aws:appautoscaling/policy:Policy",
    "aws:autoscaling/policy:Policy",
    "aws:ssm/parameter:Parameter",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "random:index/randomId:RandomId",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomString:RandomString",
]);

type Inputs = Record<string, unknown>;
type Priced =
    | { kind: "priced"; items: Omit<CostItem, "urn" | "type">[]; usage: Omit<UsageItem, "urn">[] }
    | { kind: "unpriced"; reason: string };

/** The whole plan's estimate in `region`. */
export function estimateCost(resources: readonly PlannedResource[], region: string): CostEstimate {
    const table = PRICE_TABLES[region];
    if (!table) {
        return {
            currency: "USD",
            region,
            priceDate: null,
            monthlyFixed: null,
            items: [],
            usage: [],
            unpriced: [],
            unpricedDetail: [],
            unknown: `no prices for ${region} in lib/prices (priced regions: ${Object.keys(PRICE_TABLES).sort().join(", ")}); not borrowed from another region`,
        };
    }
    const ctx = new Context(resources, table);
    const items: CostItem[] = [];
    const usage: UsageItem[] = [];
    const unpricedDetail: CostEstimate["unpricedDetail"] = [];
    for (const r of resources) {
        const result = priceResource(r, ctx);
        if (result === undefined) continue;
        if (result.kind === "unpriced") {
            unpricedDetail.push({ urn: r.urn, type: r.type, reason: result.reason });
            continue;
        }
        for (const i of result.items) items.push({ urn: r.urn, type: r.type, ...i });
        for (const u of result.usage) usage.push({ urn: r.urn, ...u });
    }
    return {
        currency: "USD",
        region,
        priceDate: table.priceDate,
        monthlyFixed: cents(items.reduce((sum, i) => sum + i.monthly, 0)),
        items,
        usage,
        unpriced: [...new Set(unpricedDetail.map((u) => u.type))].sort(),
        unpricedDetail,
    };
}

/** Rounds to the cent (the figures are estimates; cents keep sums stable). */
export function cents(usd: number): number {
    return Math.round(usd * 100) / 100;
}

/** Lookups across the plan, for charges that depend on another resource (a proxy's target). */
class Context {
    readonly byId = new Map<string, PlannedResource>();
    constructor(
        readonly resources: readonly PlannedResource[],
        readonly table: PriceTable,
    ) {
        for (const r of resources) if (r.id) this.byId.set(r.id, r);
    }
    price(key: string): Price | undefined {
        return this.table.prices[key];
    }
    get hours(): number {
        return this.table.hoursPerMonth;
    }
    find(type: string, match: (i: Inputs) => boolean): PlannedResource | undefined {
        return this.resources.find((r) => r.type === type && match(r.inputs as Inputs));
    }
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const money = (usd: number): string => `${Number(usd.toPrecision(6))} USD`;
const unit = (p: Price): string => `${money(p.usd)}/${p.per}`;

/** A fixed hourly charge: quantity × price × hours. */
function hourly(ctx: Context, key: string, quantity: number, what: string): Omit<CostItem, "urn" | "type"> | string {
    const p = ctx.price(key);
    if (!p) return `no price "${key}" in the ${ctx.table.region} table`;
    const q = quantity === 1 ? "" : `${quantity} × `;
    return { monthly: cents(quantity * p.usd * ctx.hours), basis: `${what}: ${q}${unit(p)} × ${ctx.hours} h` };
}

/** A fixed monthly charge: quantity × price (GB-months, keys, alarms). */
function monthly(ctx: Context, key: string, quantity: number, what: string): Omit<CostItem, "urn" | "type"> | string {
    const p = ctx.price(key);
    if (!p) return `no price "${key}" in the ${ctx.table.region} table`;
    const q = quantity === 1 ? "" : `${quantity} × `;
    return { monthly: cents(quantity * p.usd), basis: `${what}: ${q}${unit(p)}` };
}

/** A usage charge (never added to the fixed total); undefined when the table lacks it. */
function use(ctx: Context, key: string, what: string, assumption: string): Omit<UsageItem, "urn"> | undefined {
    const p = ctx.price(key);
    return p ? { what, unitPrice: unit(p), assumption } : undefined;
}

/** Collects items; the first missing price makes the whole resource unpriced (never half-priced). */
function result(
    items: (Omit<CostItem, "urn" | "type"> | string)[],
    usage: (Omit<UsageItem, "urn"> | undefined)[] = [],
): Priced {
    const missing = items.find((i): i is string => typeof i === "string");
    if (missing) return { kind: "unpriced", reason: missing };
    return {
        kind: "priced",
        items: items as Omit<CostItem, "urn" | "type">[],
        usage: usage.filter((u): u is Omit<UsageItem, "urn"> => u !== undefined),
    };
}

const TRAFFIC = "depends on traffic; not in the fixed total";

/** The price of one resource; undefined for free types and containers. */
export function priceResource(r: PlannedResource, ctx: Context): Priced | undefined {
    const i = r.inputs as Inputs;
    if (r.type.startsWith("pulumi:") || r.type.startsWith("private-app:") || FREE_TYPES.has(r.type)) return undefined;
    switch (r.type) {
        case "aws:ec2/natGateway:NatGateway":
            return result(
                [hourly(ctx, "nat.hour", 1, "NAT gateway")],
                [use(ctx, "nat.gb", "data processed by the NAT gateway", `each GB in or out through it; ${TRAFFIC}`)],
            );
        case "aws:ec2/eip:Eip":
            return result([hourly(ctx, "ipv4.hour", 1, "public IPv4 address")]);
        case "aws:ec2/vpcEndpoint:VpcEndpoint":
            return priceEndpoint(i, ctx);
        case "aws:lb/loadBalancer:LoadBalancer":
        case "aws:alb/loadBalancer:LoadBalancer":
            return priceLoadBalancer(i, ctx);
        case "aws:rds/instance:Instance":
            return priceRdsInstance(i, ctx);
        case "aws:rds/cluster:Cluster":
            return priceAuroraCluster(i, ctx);
        case "aws:rds/clusterInstance:ClusterInstance":
            return priceClusterInstance(i, ctx);
        case "aws:rds/proxy:Proxy":
            return priceProxy(i, ctx);
        case "aws:ecs/service:Service":
            return priceFargateService(i, ctx);
        case "aws:ec2/instance:Instance":
            return priceEc2(i, ctx, 1, "EC2 instance");
        case "aws:autoscaling/group:Group":
            return priceAutoScalingGroup(i, ctx);
        case "aws:ebs/volume:Volume": {
            const size = num(i.size);
            const type = str(i.type) ?? "gp3";
            if (size === undefined) return { kind: "unpriced", reason: "volume size unknown" };
            return result([monthly(ctx, `ebs.${type}`, size, `EBS ${type} volume, GB`)]);
        }
        case "aws:kms/key:Key":
            return result(
                [
                    monthly(
                        ctx,
                        "kms.key",
                        1,
                        `KMS key${i.enableKeyRotation ? " (rotation adds the same again for each yearly rotation, from the second year)" : ""}`,
                    ),
                ],
                [
                    use(
                        ctx,
                        "kms.requests",
                        "KMS requests",
                        `each Encrypt/Decrypt/GenerateDataKey; 20,000 a month free; ${TRAFFIC}`,
                    ),
                ],
            );
        case "aws:secretsmanager/secret:Secret":
            return result(
                [monthly(ctx, "secrets.secret", 1, "Secrets Manager secret")],
                [
                    use(
                        ctx,
                        "secrets.api",
                        "Secrets Manager API calls",
                        `each GetSecretValue (the app caches); ${TRAFFIC}`,
                    ),
                ],
            );
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return priceAlarm(i, ctx);
        case "aws:wafv2/webAcl:WebAcl": {
            const rules = Array.isArray(i.rules) ? i.rules.length : 0;
            return result(
                [
                    monthly(ctx, "waf.webAcl", 1, "WAF web ACL"),
                    ...(rules > 0 ? [monthly(ctx, "waf.rule", rules, "WAF rules")] : []),
                ],
                [
                    use(
                        ctx,
                        "waf.requests",
                        "requests inspected by the web ACL",
                        `every request, allowed or blocked; ${TRAFFIC}`,
                    ),
                ],
            );
        }
        case "aws:lambda/function:Function": {
            const arch = Array.isArray(i.architectures) && i.architectures[0] === "arm64" ? "arm" : "x86";
            return result(
                [],
                [
                    use(ctx, "lambda.requests", "function invocations", `each invocation; ${TRAFFIC}`),
                    use(
                        ctx,
                        `lambda.${arch}.gbSecond`,
                        `function duration (${arch === "arm" ? "arm64" : "x86_64"}, ${num(i.memorySize) ?? 128} MB)`,
                        `memory × billed duration of each invocation; ${TRAFFIC}`,
                    ),
                ],
            );
        }
        case "aws:lambda/invocation:Invocation":
            return result(
                [],
                [use(ctx, "lambda.requests", "one invocation per deployment that changes its input", "a few a month")],
            );
        case "aws:apigatewayv2/api:Api":
            if (i.protocolType === "WEBSOCKET") return { kind: "unpriced", reason: "WebSocket APIs are not modelled" };
            return result([], [use(ctx, "apigw.http.million", "HTTP API requests", `each request; ${TRAFFIC}`)]);
        case "aws:cloudwatch/logGroup:LogGroup":
            return result(
                [],
                [
                    use(ctx, "logs.ingestGb", "log ingestion", `each GB written; ${TRAFFIC}`),
                    use(
                        ctx,
                        "logs.storeGbMonth",
                        "log storage",
                        `compressed GB kept for ${num(i.retentionInDays) ?? "unlimited"} days; grows with traffic`,
                    ),
                ],
            );
        case "aws:ec2/flowLog:FlowLog":
            return result(
                [],
                [
                    use(
                        ctx,
                        "logs.ingestGb",
                        "flow log records delivered to CloudWatch Logs",
                        `each GB of records (vended-log tiers lower it at volume); ${TRAFFIC}`,
                    ),
                ],
            );
        case "aws:backup/vault:Vault": {
            // A vault costs nothing by itself: its recovery points are billed by size, and a
            // copy vault in another region also by the data transferred to it.
            const copy = typeof i.region === "string" && i.region !== ctx.table.region;
            return result(
                [],
                [
                    use(
                        ctx,
                        "backup.rds.gbMonth",
                        `AWS Backup storage of RDS/Aurora snapshots${copy ? ` (copies in ${i.region}, priced at ${ctx.table.region}'s rate)` : ""}`,
                        "GB-month of the snapshots kept (incremental after the first full one); grows with the data and retentionDays",
                    ),
                    copy
                        ? use(
                              ctx,
                              "backup.crossRegionGb",
                              "cross-Region copy transfer",
                              `each GB copied to ${i.region} (incremental after the first); ${TRAFFIC}`,
                          )
                        : undefined,
                ],
            );
        }
        case "aws:ecr/repository:Repository":
            return result(
                [],
                [
                    use(
                        ctx,
                        "ecr.storage.gbMonth",
                        "ECR image storage",
                        "GB of images kept (the lifecycle policy caps them)",
                    ),
                ],
            );
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
            return result(
                [],
                [
                    use(
                        ctx,
                        "s3.storage.gbMonth",
                        "S3 Standard storage",
                        "GB stored (and requests); grows with the data",
                    ),
                ],
            );
        case "aws:sns/topic:Topic":
            return result(
                [],
                [
                    use(
                        ctx,
                        "sns.requests",
                        "SNS publishes (alarm notifications)",
                        "a handful a month: within the free million",
                    ),
                ],
            );
        default:
            return { kind: "unpriced", reason: "this resource type is not in the cost model" };
    }
}

function priceEndpoint(i: Inputs, ctx: Context): Priced | undefined {
    const type = str(i.vpcEndpointType) ?? "Gateway";
    if (type === "Gateway") return undefined; // S3 and DynamoDB gateway endpoints are free
    if (type !== "Interface") return { kind: "unpriced", reason: `${type} endpoints are not modelled` };
    const subnets = Array.isArray(i.subnetIds) ? i.subnetIds.length : undefined;
    if (!subnets) return { kind: "unpriced", reason: "the endpoint's subnets (one ENI per AZ) are unknown" };
    const service = String(i.serviceName ?? "").replace(/^com\.amazonaws\.[a-z0-9-]+\./, "");
    return result(
        [
            hourly(
                ctx,
                "endpoint.azHour",
                subnets,
                `interface endpoint ${service} in ${subnets} AZ${subnets === 1 ? "" : "s"}`,
            ),
        ],
        [use(ctx, "endpoint.gb", `data processed by the ${service} endpoint`, `each GB; ${TRAFFIC}`)],
    );
}

function priceLoadBalancer(i: Inputs, ctx: Context): Priced {
    const kind = str(i.loadBalancerType) ?? "application";
    const key = kind === "application" ? "alb" : kind === "network" ? "nlb" : undefined;
    if (!key) return { kind: "unpriced", reason: `${kind} load balancers are not modelled` };
    const subnets = Array.isArray(i.subnets)
        ? i.subnets.length
        : Array.isArray(i.subnetMappings)
          ? i.subnetMappings.length
          : 0;
    const publicIps = i.internal === true ? 0 : subnets;
    return result(
        [
            hourly(ctx, `${key}.hour`, 1, `${kind} load balancer`),
            ...(publicIps > 0 ? [hourly(ctx, "ipv4.hour", publicIps, "its public IPv4 addresses (one per AZ)")] : []),
        ],
        [
            use(
                ctx,
                `${key}.lcuHour`,
                "load balancer capacity units",
                `the largest of new connections, active connections, bytes and rule evaluations each hour; ${TRAFFIC}`,
            ),
        ],
    );
}

/** The RDS-managed master secret: one Secrets Manager secret, billed as any other. */
function managedSecret(i: Inputs, ctx: Context): (Omit<CostItem, "urn" | "type"> | string)[] {
    return i.manageMasterUserPassword === true
        ? [monthly(ctx, "secrets.secret", 1, "its RDS-managed master secret (Secrets Manager)")]
        : [];
}

function priceRdsInstance(i: Inputs, ctx: Context): Priced {
    const engine = str(i.engine) ?? "postgres";
    const cls = str(i.instanceClass);
    if (engine !== "postgres") return { kind: "unpriced", reason: `engine ${engine} is not in the cost model` };
    if (!cls) return { kind: "unpriced", reason: "instance class unknown" };
    const copies = i.multiAz === true ? 2 : 1;
    const deployment = copies === 2 ? "Multi-AZ (primary + standby)" : "Single-AZ";
    const storageType = str(i.storageType) ?? "gp3";
    const gb = num(i.allocatedStorage);
    if (gb === undefined) return { kind: "unpriced", reason: "allocated storage unknown" };
    const max = num(i.maxAllocatedStorage);
    return result(
        [
            hourly(ctx, `rds.postgres.${cls}`, copies, `RDS PostgreSQL ${cls} ${deployment}`),
            monthly(
                ctx,
                `rds.storage.${storageType}`,
                gb * copies,
                `${storageType} storage, ${gb} GB${copies === 2 ? " in each AZ" : ""}`,
            ),
            ...managedSecret(i, ctx),
        ],
        [
            use(
                ctx,
                `rds.storage.${storageType}`,
                "storage grown by autoscaling",
                max ? `each GB above ${gb} GB, up to ${max} GB, once the data needs it` : "none: autoscaling is off",
            ),
            use(
                ctx,
                "rds.backup.gbMonth",
                "backup storage",
                `above ${gb} GB (the free allowance) for ${num(i.backupRetentionPeriod) ?? 1} days of backups`,
            ),
        ],
    );
}

function priceAuroraCluster(i: Inputs, ctx: Context): Priced {
    const engine = str(i.engine) ?? "";
    if (engine !== "aurora-postgresql")
        return { kind: "unpriced", reason: `engine ${engine} is not in the cost model` };
    return result(managedSecret(i, ctx), [
        use(
            ctx,
            "aurora.storage.gbMonth",
            "Aurora storage",
            "GB of data actually stored (no minimum; grows with the data)",
        ),
        use(
            ctx,
            "aurora.io.million",
            "Aurora I/O requests (Aurora Standard)",
            `reads and writes that miss the cache; ${TRAFFIC}`,
        ),
    ]);
}

/** The cluster an Aurora instance belongs to (by identifier). */
function clusterOf(i: Inputs, ctx: Context): PlannedResource | undefined {
    const id = str(i.clusterIdentifier);
    return id ? ctx.find("aws:rds/cluster:Cluster", (c) => c.clusterIdentifier === id) : undefined;
}

function priceClusterInstance(i: Inputs, ctx: Context): Priced {
    const cls = str(i.instanceClass);
    if (!cls) return { kind: "unpriced", reason: "instance class unknown" };
    if (cls !== "db.serverless") return result([hourly(ctx, `aurora.${cls}`, 1, `Aurora PostgreSQL ${cls}`)]);
    const scaling = (clusterOf(i, ctx)?.inputs.serverlessv2ScalingConfiguration ?? {}) as Inputs;
    const min = num(scaling.minCapacity);
    const max = num(scaling.maxCapacity);
    if (min === undefined)
        return { kind: "unpriced", reason: "the cluster's Serverless v2 minimum capacity is unknown" };
    const acu = ctx.price("aurora.acuHour");
    const above = use(
        ctx,
        "aurora.acuHour",
        "Serverless v2 capacity above the minimum",
        `ACU-hours while busy, up to ${max ?? "?"} ACU; ${TRAFFIC}`,
    );
    if (min === 0) {
        // Auto-pause reaches 0 ACU: no compute charge while paused; every active second is usage.
        const pause = num(scaling.secondsUntilAutoPause) ?? 300;
        return result(
            [
                {
                    monthly: 0,
                    basis: `Aurora Serverless v2 at 0 ACU: pauses after ${pause} s without connections, no compute charge while paused${acu ? ` (${unit(acu)} while active)` : ""}`,
                },
            ],
            [
                use(
                    ctx,
                    "aurora.acuHour",
                    "Serverless v2 capacity while active",
                    `ACU-hours from each resume until ${pause} s after the last connection (at least 0.5 ACU while active), up to ${max ?? "?"} ACU; ${TRAFFIC}`,
                ),
            ],
        );
    }
    return result([hourly(ctx, "aurora.acuHour", min, `Aurora Serverless v2 at its minimum ${min} ACU`)], [above]);
}

function priceProxy(i: Inputs, ctx: Context): Priced {
    const name = str(i.name);
    const target = name ? ctx.find("aws:rds/proxyTarget:ProxyTarget", (t) => t.dbProxyName === name) : undefined;
    const t = (target?.inputs ?? {}) as Inputs;
    if (str(t.dbInstanceIdentifier)) {
        const db = ctx.find("aws:rds/instance:Instance", (d) => d.identifier === t.dbInstanceIdentifier);
        const cls = str(db?.inputs.instanceClass);
        const vcpus = cls ? instanceClassVcpus(cls) : undefined;
        if (!cls || vcpus === undefined)
            return {
                kind: "unpriced",
                reason: `the vCPUs of its target (${cls ?? "unknown class"}) are not known (lib/db-instance-classes.ts)`,
            };
        // RDS Proxy bills the vCPUs of the target instance, at least 2; a standby is not a target.
        const billed = Math.max(2, vcpus);
        return result([
            hourly(ctx, "proxy.vcpuHour", billed, `RDS Proxy for ${cls} (${vcpus} vCPU, billed at least 2)`),
        ]);
    }
    if (str(t.dbClusterIdentifier)) {
        const instances = ctx.resources.filter(
            (r) =>
                r.type === "aws:rds/clusterInstance:ClusterInstance" &&
                r.inputs.clusterIdentifier === t.dbClusterIdentifier,
        );
        if (instances.length > 0 && instances.every((r) => r.inputs.instanceClass === "db.serverless")) {
            return result(
                [hourly(ctx, "proxy.acuHour", 8, "RDS Proxy for Aurora Serverless v2 (billed at least 8 ACU)")],
                [use(ctx, "proxy.acuHour", "RDS Proxy above 8 ACU", `the cluster's ACUs when above 8; ${TRAFFIC}`)],
            );
        }
        let vcpus = 0;
        for (const r of instances) {
            const n = instanceClassVcpus(String(r.inputs.instanceClass));
            if (n === undefined)
                return {
                    kind: "unpriced",
                    reason: `the vCPUs of ${String(r.inputs.instanceClass)} are not known (lib/db-instance-classes.ts)`,
                };
            vcpus += n;
        }
        if (vcpus === 0) return { kind: "unpriced", reason: "its target cluster has no instance in the plan" };
        return result([hourly(ctx, "proxy.vcpuHour", Math.max(2, vcpus), `RDS Proxy for a cluster of ${vcpus} vCPU`)]);
    }
    return { kind: "unpriced", reason: "its target is not in the plan" };
}

/** Fargate tasks: desired count × (vCPU + GB) per hour, on-demand and Spot by the capacity provider weights. */
function priceFargateService(i: Inputs, ctx: Context): Priced {
    const strategies = Array.isArray(i.capacityProviderStrategies) ? (i.capacityProviderStrategies as Inputs[]) : [];
    const fargate =
        i.launchType === "FARGATE" || strategies.some((s) => String(s.capacityProvider).startsWith("FARGATE"));
    if (!fargate)
        return {
            kind: "unpriced",
            reason: "only Fargate services are modelled (EC2 capacity is priced by its instances)",
        };
    const family = /task-definition\/([^:]+)/.exec(String(i.taskDefinition ?? ""))?.[1] ?? str(i.taskDefinition);
    const td = family ? ctx.find("aws:ecs/taskDefinition:TaskDefinition", (t) => t.family === family) : undefined;
    const cpu = Number(td?.inputs.cpu);
    const mem = Number(td?.inputs.memory);
    const count = num(i.desiredCount) ?? 1;
    if (!td || !(cpu > 0) || !(mem > 0))
        return { kind: "unpriced", reason: "its task definition (cpu, memory) is not in the plan" };
    const vcpu = cpu / 1024;
    const gb = mem / 1024;
    const platform = (td.inputs.runtimePlatform ?? {}) as Inputs;
    const arch = platform.cpuArchitecture === "ARM64" ? "arm" : "x86";
    const weights = strategies.length > 0 ? strategies : [{ capacityProvider: "FARGATE", weight: 1 }];
    const total = weights.reduce((s, w) => s + (num(w.weight) ?? 0), 0) || 1;
    const spotShare =
        weights.filter((w) => w.capacityProvider === "FARGATE_SPOT").reduce((s, w) => s + (num(w.weight) ?? 0), 0) /
        total;
    const items: (Omit<CostItem, "urn" | "type"> | string)[] = [];
    const tasks = (share: number) => Number((count * share).toFixed(3));
    if (spotShare < 1) {
        const n = tasks(1 - spotShare);
        items.push(
            hourly(
                ctx,
                `fargate.${arch}.vcpuHour`,
                n * vcpu,
                `Fargate ${arch === "arm" ? "ARM64" : "x86"} vCPU (${n} task(s) × ${vcpu} vCPU)`,
            ),
        );
        items.push(hourly(ctx, `fargate.${arch}.gbHour`, n * gb, `Fargate memory (${n} task(s) × ${gb} GB)`));
    }
    if (spotShare > 0) {
        const n = tasks(spotShare);
        items.push(
            hourly(
                ctx,
                "fargate.spot.vcpuHour",
                n * vcpu,
                `Fargate Spot vCPU (${n} task(s) × ${vcpu} vCPU; Spot prices vary)`,
            ),
        );
        items.push(hourly(ctx, "fargate.spot.gbHour", n * gb, `Fargate Spot memory (${n} task(s) × ${gb} GB)`));
    }
    return result(items);
}

/** EC2 instances (a bastion, a NAT instance): the type, its root volume, and a public IPv4 if it has one. */
function priceEc2(
    i: Inputs,
    ctx: Context,
    count: number,
    what: string,
    volumes?: Inputs[],
    publicIp?: boolean,
): Priced {
    const type = str(i.instanceType);
    if (!type) return { kind: "unpriced", reason: "instance type unknown" };
    const root = (i.rootBlockDevice ?? {}) as Inputs;
    const disks = volumes ?? [root];
    const items: (Omit<CostItem, "urn" | "type"> | string)[] = [hourly(ctx, `ec2.${type}`, count, `${what} ${type}`)];
    for (const d of disks) {
        const size = num(d.volumeSize) ?? 8;
        const vt = str(d.volumeType) ?? "gp3";
        items.push(
            monthly(
                ctx,
                `ebs.${vt}`,
                size * count,
                `${vt} root volume, ${size} GB${num(d.volumeSize) === undefined ? " (the AMI's default size, assumed 8 GB)" : ""}${count === 1 ? "" : " each"}`,
            ),
        );
    }
    if (publicIp ?? i.associatePublicIpAddress === true)
        items.push(hourly(ctx, "ipv4.hour", count, "its public IPv4 address"));
    return result(items);
}

function priceAutoScalingGroup(i: Inputs, ctx: Context): Priced {
    const ref = (i.launchTemplate ?? {}) as Inputs;
    const lt =
        (str(ref.id) && ctx.byId.get(String(ref.id))) ||
        (str(ref.name) ? ctx.find("aws:ec2/launchTemplate:LaunchTemplate", (t) => t.name === ref.name) : undefined);
    if (!lt) return { kind: "unpriced", reason: "its launch template is not in the plan" };
    const t = lt.inputs as Inputs;
    const count = num(i.desiredCapacity) ?? num(i.minSize) ?? 0;
    if (count === 0) return result([]);
    const volumes = (Array.isArray(t.blockDeviceMappings) ? (t.blockDeviceMappings as Inputs[]) : []).map(
        (b) => (b.ebs ?? {}) as Inputs,
    );
    const nics = Array.isArray(t.networkInterfaces) ? (t.networkInterfaces as Inputs[]) : [];
    const publicIp = nics.some((n) => n.associatePublicIpAddress === true || n.associatePublicIpAddress === "true");
    return priceEc2(
        t,
        ctx,
        count,
        `Auto Scaling group of ${count}:`,
        volumes.length > 0 ? volumes : undefined,
        publicIp,
    );
}

function priceAlarm(i: Inputs, ctx: Context): Priced {
    const queries = Array.isArray(i.metricQueries) ? (i.metricQueries as Inputs[]) : [];
    const metrics = Math.max(1, queries.filter((q) => q.metric !== undefined).length);
    const highRes = (num(i.period) ?? 60) < 60;
    return result([
        monthly(
            ctx,
            highRes ? "cloudwatch.alarmHighRes" : "cloudwatch.alarm",
            metrics,
            `CloudWatch ${highRes ? "high-resolution " : ""}alarm${metrics > 1 ? ` on ${metrics} metrics` : ""} (free tier of 10 alarms not applied)`,
        ),
    ]);
}

/** A component resource (ours, or another project's): no cloud id, not the root stack. */
export function isComponent(r: PlannedResource): boolean {
    return r.type.startsWith("private-app:") || (r.id === null && !r.type.startsWith("pulumi:"));
}

/** Fixed monthly cost per component (the resource's nearest ancestor of type `private-app:*`). */
export function costByComponent(
    estimate: CostEstimate,
    resources: readonly PlannedResource[],
): { component: string; type: string; monthly: number }[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const componentOf = (urn: string): PlannedResource | undefined => {
        let r = byUrn.get(urn);
        while (r && !isComponent(r)) r = r.parent ? byUrn.get(r.parent) : undefined;
        return r;
    };
    const totals = new Map<string, { component: string; type: string; monthly: number }>();
    for (const item of estimate.items) {
        const c = componentOf(item.urn);
        const key = c?.urn ?? "(stack)";
        const entry = totals.get(key) ?? { component: c?.name ?? "(stack)", type: c?.type ?? "", monthly: 0 };
        entry.monthly = cents(entry.monthly + item.monthly);
        totals.set(key, entry);
    }
    return [...totals.values()].sort((a, b) => b.monthly - a.monthly || a.component.localeCompare(b.component));
}
