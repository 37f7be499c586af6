/**
 * The config reference: one row per config field, rendered into README.md by
 * `npm run docs` and checked against the schema by test/config/reference.test.ts (every
 * field of the schema has a row, every row names a field, and every documented default is
 * the default the code applies). Pure data, no resources.
 */

export interface ReferenceRow {
    /** Full path below the namespace, e.g. `network.azCount`. */
    key: string;
    allowed: string;
    /** The default as JSON, or a sentence when it depends on other fields; `required` when there is none. */
    default: string;
    meaning: string;
}

export const CONFIG_REFERENCE: readonly ReferenceRow[] = [
    // network
    { key: "network", allowed: "object", default: "{}", meaning: "The VPC; omit for every default below." },
    {
        key: "network.cidr",
        allowed: "IPv4 CIDR, /16 to /24, network address",
        default: '"10.0.0.0/16"',
        meaning: "VPC address range; split into public, private and isolated subnets per AZ.",
    },
    { key: "network.azCount", allowed: "2 or 3", default: "2", meaning: "Availability zones used." },
    {
        key: "network.natGateways",
        allowed: "`none`, `single`, `perAz`",
        default: '"single"',
        meaning:
            "Egress for private subnets: none (no default route; use endpoints), one NAT in the first AZ, or one per AZ.",
    },
    {
        key: "network.interfaceEndpoints",
        allowed:
            "list of `secretsmanager`, `logs`, `ecr.api`, `ecr.dkr`, `sts`, `ssm`, `ssmmessages`, `ec2messages`, `kms`, `monitoring`",
        default: "[]",
        meaning:
            "Interface VPC endpoints in the private subnets (443 from the VPC only). The S3 gateway endpoint is always created.",
    },
    {
        key: "network.flowLogs",
        allowed: "boolean",
        default: "false",
        meaning: "VPC flow logs (all traffic) to CloudWatch Logs.",
    },
    {
        key: "network.flowLogRetentionDays",
        allowed: "a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)",
        default: "30",
        meaning: "Retention of the flow log group.",
    },
    {
        key: "network.isolatedSubnetAcl",
        allowed: "boolean",
        default: "true",
        meaning:
            "Network ACL on the isolated subnets admitting only the private subnets on the database port (and return traffic).",
    },
    {
        key: "network.existingVpc",
        allowed: "object",
        default: "unset",
        meaning: "Use an existing VPC instead of creating one; the network creates nothing.",
    },
    { key: "network.existingVpc.vpcId", allowed: "`vpc-` id", default: "required", meaning: "The existing VPC." },
    {
        key: "network.existingVpc.cidr",
        allowed: "IPv4 CIDR",
        default: "looked up",
        meaning: "The VPC's range (saves a lookup).",
    },
    {
        key: "network.existingVpc.publicSubnetIds",
        allowed: "list of `subnet-` ids",
        default: "[]",
        meaning: "Public subnets, one per AZ (none or as many as private).",
    },
    {
        key: "network.existingVpc.privateSubnetIds",
        allowed: "2 or 3 `subnet-` ids",
        default: "required",
        meaning: "Private subnets with egress, one per AZ: compute, proxy and bastion.",
    },
    {
        key: "network.existingVpc.privateEgress",
        allowed: "boolean",
        default: "true",
        meaning:
            "Whether the private subnets reach the internet through NAT; false opens the functions' HTTPS only to the VPC (interface endpoints).",
    },
    {
        key: "network.existingVpc.isolatedSubnetIds",
        allowed: "2 or 3 `subnet-` ids",
        default: "required",
        meaning: "Subnets without a route to the internet, one per AZ: the database.",
    },
    // database
    { key: "database", allowed: "object", default: "required", meaning: "The private PostgreSQL database." },
    {
        key: "database.engine",
        allowed: "`postgres`, `aurora-postgresql`, `aurora-serverless`",
        default: "required",
        meaning: "RDS for PostgreSQL instance, Aurora provisioned cluster, or Aurora Serverless v2.",
    },
    {
        key: "database.engineVersion",
        allowed: "MAJOR (postgres only) or MAJOR.MINOR, majors 13 to 17",
        default: "16 (postgres), 16.6 (Aurora)",
        meaning:
            "PostgreSQL version. A major alone lets AWS upgrade minors in the maintenance window without drift; a pinned MAJOR.MINOR turns automatic minor upgrades off (change it to upgrade).",
    },
    {
        key: "database.instanceClass",
        allowed: "`db.` class",
        default: "db.t4g.micro (postgres), db.t4g.medium (aurora-postgresql), db.serverless (aurora-serverless)",
        meaning: "Instance size.",
    },
    {
        key: "database.allocatedStorageGb",
        allowed: "20 to 65536",
        default: "20",
        meaning: "Initial gp3 storage (postgres only).",
    },
    {
        key: "database.maxAllocatedStorageGb",
        allowed: "20 to 65536, at least 10% above allocatedStorageGb",
        default: "100",
        meaning: "Storage autoscaling limit (postgres only).",
    },
    {
        key: "database.multiAz",
        allowed: "boolean",
        default: "false",
        meaning: "A standby (RDS) or a reader in another AZ (Aurora).",
    },
    {
        key: "database.deletionProtection",
        allowed: "boolean",
        default: "true",
        meaning: "AWS deletion protection, a kept final snapshot, and Pulumi `protect` on the database resources.",
    },
    { key: "database.backupRetentionDays", allowed: "1 to 35", default: "7", meaning: "Automated backups." },
    {
        key: "database.backupWindow",
        allowed: "`hh:mm-hh:mm` UTC",
        default: '"03:00-04:00"',
        meaning: "Daily backup window.",
    },
    {
        key: "database.maintenanceWindow",
        allowed: "`ddd:hh:mm-ddd:hh:mm` UTC",
        default: '"sun:04:30-sun:05:30"',
        meaning: "Weekly maintenance window.",
    },
    {
        key: "database.minCapacityAcu",
        allowed: "0 to 256 in steps of 0.5; 0 only with auto-pause versions (13.15, 14.12, 15.7, 16.3, 17.4 or later)",
        default: "0.5",
        meaning: "Serverless v2 minimum (aurora-serverless only).",
    },
    {
        key: "database.maxCapacityAcu",
        allowed: "1 to 256 in steps of 0.5, at least the minimum",
        default: "4",
        meaning: "Serverless v2 maximum (aurora-serverless only).",
    },
    {
        key: "database.secondsUntilAutoPause",
        allowed: "300 to 86400",
        default: "AWS default (300)",
        meaning: "Idle time before pausing (only with minCapacityAcu 0).",
    },
    {
        key: "database.iamAuth",
        allowed: "boolean",
        default: "true",
        meaning: "IAM database authentication; the app role logs in with tokens, no password.",
    },
    {
        key: "database.kmsKeyArn",
        allowed: "KMS key ARN",
        default: "AWS-managed key",
        meaning: "Customer key for storage and the master secret.",
    },
    {
        key: "database.performanceInsights",
        allowed: "boolean",
        default: "true",
        meaning: "Performance Insights (7 days, free tier).",
    },
    {
        key: "database.monitoringIntervalSeconds",
        allowed: "0, 1, 5, 10, 15, 30, 60",
        default: "0",
        meaning: "Enhanced Monitoring interval; 0 is off.",
    },
    {
        key: "database.logRetentionDays",
        allowed: "a CloudWatch Logs retention",
        default: "30",
        meaning: "Retention of the exported PostgreSQL logs.",
    },
    {
        key: "database.databaseName",
        allowed: "lower-case identifier, up to 63",
        default: '"app"',
        meaning: "Database created at launch.",
    },
    {
        key: "database.masterUsername",
        allowed: "lower-case identifier, up to 16, not postgres/rdsadmin/admin/root",
        default: '"app_admin"',
        meaning: "Master user (used by migrations only); its password is managed by RDS in Secrets Manager.",
    },
    {
        key: "database.proxy",
        allowed: "boolean",
        default: "false",
        meaning: "RDS Proxy (TLS required) in front of the database; the app connects to the proxy.",
    },
    {
        key: "database.proxyMaxConnectionsPercent",
        allowed: "1 to 100",
        default: "50",
        meaning: "Share of max_connections the proxy may open.",
    },
    {
        key: "database.bastion",
        allowed: "boolean",
        default: "false",
        meaning: "An SSM-managed bastion (no SSH, no inbound rule) for port forwarding to the database.",
    },
    {
        key: "database.bastionInstanceType",
        allowed: "EC2 instance type",
        default: '"t4g.nano"',
        meaning: "Bastion size.",
    },
    // compute
    { key: "compute", allowed: "object", default: "required", meaning: "The compute mode and its settings." },
    {
        key: "compute.mode",
        allowed: "`lambda` (`ecs`, `ec2`: not available yet)",
        default: "required",
        meaning: "Which compute component is deployed.",
    },
    {
        key: "compute.ingress",
        allowed: "`alb`, `apiGateway`",
        default: "apiGateway for lambda, alb otherwise",
        meaning: "Public entry for `ecs` and `ec2` (`lambda` always uses an HTTP API).",
    },
    { key: "compute.lambda", allowed: "object", default: "{}", meaning: "Function settings (lambda mode only)." },
    { key: "compute.lambda.memoryMb", allowed: "128 to 10240", default: "512", meaning: "Memory of the API function." },
    {
        key: "compute.lambda.timeoutSeconds",
        allowed: "1 to 29",
        default: "15",
        meaning:
            "Timeout of the API function (below the HTTP API's 30 s; the app needs 15 s for a connect, a statement and one retry after a password rotation).",
    },
    {
        key: "compute.lambda.reservedConcurrency",
        allowed: "0 to 10000",
        default: "unreserved",
        meaning: "Reserved concurrency of the API function (caps database connections).",
    },
    {
        key: "compute.lambda.architecture",
        allowed: "`arm64`, `x86_64`",
        default: '"arm64"',
        meaning: "Instruction set.",
    },
    {
        key: "compute.lambda.runtime",
        allowed: "`nodejs22.x`, `nodejs24.x` (nodejs20.x reached end of support in 2026)",
        default: '"nodejs22.x"',
        meaning: "Node.js runtime.",
    },
    {
        key: "compute.lambda.logRetentionDays",
        allowed: "a CloudWatch Logs retention",
        default: "30",
        meaning: "Retention of the functions' log groups.",
    },
    { key: "compute.api", allowed: "object", default: "{}", meaning: "The public HTTP API." },
    {
        key: "compute.api.corsAllowOrigins",
        allowed: "list of origins (`https://host[:port]` or `*`)",
        default: "[]",
        meaning: "CORS origins; empty means no CORS.",
    },
    {
        key: "compute.api.throttlingRateLimit",
        allowed: "1 to 10000",
        default: "50",
        meaning: "Default-route steady rate (requests per second).",
    },
    { key: "compute.api.throttlingBurstLimit", allowed: "1 to 5000", default: "100", meaning: "Default-route burst." },
    {
        key: "compute.api.accessLogRetentionDays",
        allowed: "a CloudWatch Logs retention",
        default: "30",
        meaning: "Retention of the API access logs.",
    },
    // alarms
    { key: "alarms", allowed: "object", default: "{}", meaning: "Alarm notifications and thresholds." },
    {
        key: "alarms.emails",
        allowed: "list of email addresses",
        default: "[]",
        meaning: "Subscribers of the alarm topic (each confirms by mail).",
    },
    { key: "alarms.dbCpuPercent", allowed: "1 to 100", default: "80", meaning: "Database CPU alarm threshold." },
    {
        key: "alarms.dbFreeStorageMb",
        allowed: "1 to 1000000",
        default: "2048",
        meaning: "Free storage alarm threshold (postgres).",
    },
    {
        key: "alarms.dbConnections",
        allowed: "1 to 100000",
        default: "80",
        meaning: "Database connections alarm threshold.",
    },
];

const BEGIN = "<!-- config-reference:begin (generated by `npm run docs` from lib/config-reference.ts) -->";
const END = "<!-- config-reference:end -->";

/** The markdown table for README.md, between its markers. */
export function renderReference(): string {
    const esc = (s: string) => s.replace(/\|/g, "\\|");
    const lines = [
        BEGIN,
        "| key (`private-app:`…) | allowed | default | meaning |",
        "|---|---|---|---|",
        ...CONFIG_REFERENCE.map((r) => `| \`${r.key}\` | ${esc(r.allowed)} | ${esc(r.default)} | ${esc(r.meaning)} |`),
        END,
    ];
    return lines.join("\n");
}

/** Replaces the generated section of a README text; throws when the markers are missing. */
export function withReference(readme: string): string {
    const a = readme.indexOf(BEGIN);
    const b = readme.indexOf(END);
    if (a < 0 || b < a) throw new Error("README.md has no config-reference markers");
    return readme.slice(0, a) + renderReference() + readme.slice(b + END.length);
}
