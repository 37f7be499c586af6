/**
 * The Lambda compute mode: the app's API function and its migration function in the private
 * subnets, an API Gateway HTTP API as the only public entry, the database migrations run once
 * per deploy where they changed, and the alarms of all three.
 */
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ApiConfig, type LambdaConfig, LOG_RETENTION_DAYS, parseIpv4Cidr } from "../lib/config";
import {
    accessLogFormat,
    alarmSpecs,
    apiEnvironment,
    ARCHITECTURES,
    CODE_FILE,
    corsConfiguration,
    DB_POOL_MAX_RANGE,
    databaseAccess,
    type DatabaseSecret,
    DEFAULT_ACCESS_LOG_RETENTION_DAYS,
    DEFAULT_ARCHITECTURE,
    DEFAULT_CORS_ALLOW_ORIGINS,
    DEFAULT_FUNCTION_LOG_RETENTION_DAYS,
    DEFAULT_MEMORY_MB,
    DEFAULT_MIGRATION_TIMEOUT_SECONDS,
    DEFAULT_RUNTIME,
    DEFAULT_THROTTLING_BURST_LIMIT,
    DEFAULT_THROTTLING_RATE_LIMIT,
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_TRACING,
    functionPolicy,
    type FunctionRole,
    HANDLER,
    hasInlineSourceMap,
    lambdaAssumeRolePolicy,
    MEMORY_MB_RANGE,
    MIGRATION_TIMEOUT_SECONDS_RANGE,
    migrationEnvironment,
    migrationInvocationInput,
    RESERVED_CONCURRENCY_RANGE,
    RUNTIMES,
    STAGE_NAME,
    THROTTLING_BURST_LIMIT_RANGE,
    THROTTLING_RATE_LIMIT_RANGE,
    TIMEOUT_SECONDS_RANGE,
    type Tracing,
    TRACING_MODES,
} from "../lib/lambda-plan";
import type { DatabaseConnection } from "./contracts";

/** One bundled function: the complete CommonJS module and its SHA-256. */
export interface LambdaServiceBundle {
    /** The module, deployed as `index.js` with handler `index.handler`. */
    code: string;
    /** Hex SHA-256 of `code` (UTF-8); checked against `code`. */
    sha256: string;
}

/** The code of both functions; `bundleApp()` from `app/build.ts` returns this shape. */
export interface LambdaServiceCode {
    api: LambdaServiceBundle;
    migrate: LambdaServiceBundle;
    /** Hex SHA-256 over the migrations; the migrations run again when it changes. */
    migrationsSha256: string;
}

export interface LambdaServiceArgs {
    /**
     * The VPC the functions attach to (their security group is created in it).
     * @example network.vpcId
     */
    vpcId: pulumi.Input<string>;
    /**
     * The VPC's IPv4 range. Without NAT, HTTPS egress is allowed to this range only (the
     * interface endpoints), not to the internet.
     * @example "10.0.0.0/16"
     */
    vpcCidr: pulumi.Input<string>;
    /**
     * Private subnets (with a route to NAT or to the VPC endpoints) the functions run in; one
     * per availability zone. Never public subnets: the functions get no public address.
     * @example network.privateSubnetIds
     */
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Whether the private subnets reach the internet through NAT. Decides where HTTPS egress
     * (Secrets Manager, STS) may go: anywhere (`true`) or the VPC range only (`false`).
     * @example network.privateEgress
     */
    privateEgress: boolean;
    /**
     * How the functions reach the database (endpoints, secrets, IAM auth). The API function
     * connects to `database.host` (the proxy when on), the migration function to
     * `database.adminHost` (the database itself: it logs in as the master user with its
     * password). The component admits its security group with `database.allowFrom`, and behind
     * a proxy also with `database.allowAdminFrom`.
     * @example database.connection
     */
    database: DatabaseConnection;
    /**
     * SNS topic every alarm notifies (on alarm and back to OK).
     * @example alarmTopic.topicArn
     */
    alarmTopicArn: pulumi.Input<string>;
    /**
     * The code of the API and migration functions.
     * @example bundleApp()
     */
    code: LambdaServiceCode;
    /**
     * Memory of the API and migration functions in MB (CPU grows with it), 128 to 10240.
     * @default 512
     * @example 1024
     */
    memoryMb?: number;
    /**
     * Timeout of the API function in seconds, 1 to 29 (the HTTP API gives up after 30 s). The
     * app needs about 15 s at worst: a connect, a statement, and one retry after a rotation.
     * @default 15
     * @example 20
     */
    timeoutSeconds?: number;
    /**
     * Concurrency reserved for the API function: a ceiling on its containers (and so on its
     * database connections) and a guarantee against other functions of the account. 0 stops it.
     * @default - none (the account's unreserved pool)
     * @example 50
     */
    reservedConcurrency?: number;
    /**
     * Instruction set of both functions.
     * @default "arm64"
     * @example "x86_64"
     */
    architecture?: LambdaConfig["architecture"];
    /**
     * Node.js runtime of both functions.
     * @default "nodejs22.x"
     * @example "nodejs24.x"
     */
    runtime?: LambdaConfig["runtime"];
    /**
     * Retention of both functions' log groups, in days (a value CloudWatch Logs accepts).
     * @default 30
     * @example 90
     */
    logRetentionDays?: number;
    /**
     * Origins browsers may call the API from. Empty: no CORS configuration, so browsers refuse
     * cross-origin calls (same-origin and server-side clients are unaffected).
     * @default []
     * @example ["https://app.example.com"]
     */
    corsAllowOrigins?: ApiConfig["corsAllowOrigins"];
    /**
     * Steady-state request rate limit of the API (requests per second, all clients together).
     * @default 50
     * @example 200
     */
    throttlingRateLimit?: number;
    /**
     * Burst limit of the API (requests), 1 to 5000.
     * @default 100
     * @example 400
     */
    throttlingBurstLimit?: number;
    /**
     * Retention of the HTTP API's access log group, in days.
     * @default 30
     * @example 365
     */
    accessLogRetentionDays?: number;
    /**
     * Timeout of the migration function in seconds, 60 to 900. The migrations' statement timeout
     * is set 30 s below it, so a slow statement is cancelled and rolled back with a clear error.
     * @default 300
     * @example 900
     */
    migrationTimeoutSeconds?: number;
    /**
     * AWS X-Ray tracing of both functions: `"active"` samples and records traces (and grants
     * the functions `xray:PutTraceSegments`).
     * @default "off"
     * @example "active"
     */
    tracing?: Tracing;
    /**
     * Database connections each API container keeps open at most (`DB_POOL_MAX`), 1 to 20.
     * Total connections are at most this times the function's concurrency.
     * @default - the app's own default (2)
     * @example 4
     */
    dbPoolMax?: number;
}

/** The defaults the `@default` tags above document (a test checks the two agree). */
export const LAMBDA_SERVICE_DEFAULTS = {
    memoryMb: DEFAULT_MEMORY_MB,
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    architecture: DEFAULT_ARCHITECTURE,
    runtime: DEFAULT_RUNTIME,
    logRetentionDays: DEFAULT_FUNCTION_LOG_RETENTION_DAYS,
    corsAllowOrigins: DEFAULT_CORS_ALLOW_ORIGINS,
    throttlingRateLimit: DEFAULT_THROTTLING_RATE_LIMIT,
    throttlingBurstLimit: DEFAULT_THROTTLING_BURST_LIMIT,
    accessLogRetentionDays: DEFAULT_ACCESS_LOG_RETENTION_DAYS,
    migrationTimeoutSeconds: DEFAULT_MIGRATION_TIMEOUT_SECONDS,
    tracing: DEFAULT_TRACING,
} as const;

/**
 * Component names are at most this long: `database.allowFrom` takes client names of at most 40
 * characters (`<name>-lambda`), and the auto-named children (`<name>-migrate-<7 random>`) must fit
 * the 64 characters of IAM role and Lambda function names.
 */
export const MAX_NAME_LENGTH = 32;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ORIGIN = /^(\*|https?:\/\/[a-z0-9.-]+(:\d+)?)$/;

/**
 * Checks the arguments that are plain values (outputs are checked by AWS at deploy time) and
 * returns every problem, one line each: the argument, the value given, what is allowed.
 */
export function validateLambdaServiceArgs(name: string, args: LambdaServiceArgs): string[] {
    const problems: string[] = [];
    const show = (v: unknown) =>
        typeof v === "string"
            ? JSON.stringify(v)
            : Array.isArray(v) || (typeof v === "object" && v !== null)
              ? safeJson(v)
              : String(v);
    const add = (key: string, value: unknown, constraint: string) =>
        problems.push(`${key}: got ${show(value)}; ${constraint}`);
    const wholeIn = (key: string, value: number | undefined, range: { min: number; max: number }, unit = "") => {
        if (value === undefined) return;
        if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
            add(key, value, `expected a whole number from ${range.min} to ${range.max}${unit}`);
        }
    };
    const oneOf = (key: string, value: unknown, allowed: readonly (string | number)[]) => {
        if (value !== undefined && !allowed.includes(value as string | number))
            add(key, value, `expected one of: ${allowed.join(", ")}`);
    };

    if (typeof name !== "string" || !/^[a-z][a-z0-9-]*$/.test(name) || name.length > MAX_NAME_LENGTH) {
        add(
            "name",
            name,
            `expected lower-case letters, digits and "-", starting with a letter, at most ${MAX_NAME_LENGTH} characters (children are named after it)`,
        );
    }
    if (args === undefined || args === null || typeof args !== "object") {
        problems.push("args: missing; pass the LambdaServiceArgs object");
        return problems;
    }

    // Network
    if (typeof args.vpcId === "string" && !/^vpc-[0-9a-f]{8,17}$/.test(args.vpcId))
        add("vpcId", args.vpcId, "expected a VPC id such as vpc-0123456789abcdef0");
    if (args.vpcId === undefined) problems.push("vpcId: required (the VPC of the private subnets)");
    if (typeof args.vpcCidr === "string" && parseIpv4Cidr(args.vpcCidr) === undefined)
        add("vpcCidr", args.vpcCidr, "expected an IPv4 CIDR such as 10.0.0.0/16");
    if (args.vpcCidr === undefined) problems.push("vpcCidr: required (HTTPS egress without NAT is limited to it)");
    const subnets = args.privateSubnetIds;
    if (subnets === undefined) {
        problems.push("privateSubnetIds: required (the private subnets the functions run in)");
    } else if (Array.isArray(subnets)) {
        if (subnets.length === 0 || subnets.length > 16)
            add(
                "privateSubnetIds",
                subnets,
                "expected 1 to 16 private subnet ids (one per availability zone; 2 or more for high availability)",
            );
        const plain = subnets.filter((s): s is string => typeof s === "string");
        for (const s of plain)
            if (!/^subnet-[0-9a-f]{8,17}$/.test(s))
                add("privateSubnetIds", s, "expected a subnet id such as subnet-0123456789abcdef0");
        if (new Set(plain).size !== plain.length) add("privateSubnetIds", subnets, "subnet ids must be distinct");
    }
    if (typeof args.privateEgress !== "boolean")
        add(
            "privateEgress",
            args.privateEgress,
            "expected true (NAT in the private subnets) or false (VPC endpoints only)",
        );
    if (
        typeof args.alarmTopicArn === "string" &&
        !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(args.alarmTopicArn)
    ) {
        add(
            "alarmTopicArn",
            args.alarmTopicArn,
            "expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alarms",
        );
    }
    if (args.alarmTopicArn === undefined)
        problems.push("alarmTopicArn: required (the topic every alarm notifies; see AlarmTopic)");

    // Database
    const db = args.database;
    if (db === undefined || db === null) {
        problems.push("database: required (the DatabaseConnection the Database component returns)");
    } else {
        if (
            typeof db.allowFrom !== "function" ||
            typeof db.allowAdminFrom !== "function" ||
            typeof db.iamConnectArn !== "function"
        ) {
            problems.push(
                "database: expected a DatabaseConnection with allowFrom(), allowAdminFrom() and iamConnectArn()",
            );
        }
        if (typeof db.proxied !== "boolean") add("database.proxied", db.proxied, "expected true or false");
        if (db.adminHost === undefined || db.adminSecurityGroupId === undefined) {
            problems.push(
                "database.adminHost / database.adminSecurityGroupId: required (where the migrations connect, bypassing a proxy)",
            );
        }
        if (typeof db.databaseName !== "string" || !/^[a-z][a-z0-9_]{0,62}$/.test(db.databaseName)) {
            add(
                "database.databaseName",
                db.databaseName,
                "expected 1 to 63 lower-case letters, digits or _ starting with a letter",
            );
        }
        if (typeof db.appUsername !== "string" || !/^[a-z][a-z0-9_]{0,62}$/.test(db.appUsername)) {
            add(
                "database.appUsername",
                db.appUsername,
                "expected a PostgreSQL role name (lower-case letters, digits, _)",
            );
        } else if (db.appUsername === db.masterUsername) {
            add(
                "database.appUsername",
                db.appUsername,
                "must differ from database.masterUsername: the API must not run as the master user",
            );
        }
        if (typeof db.iamAuth !== "boolean") add("database.iamAuth", db.iamAuth, "expected true or false");
        if (db.iamAuth === false && db.appUserSecretArn === undefined) {
            problems.push(
                "database.appUserSecretArn: missing while database.iamAuth is false; the API needs the app user's secret ARN (or turn IAM auth on)",
            );
        }
        if (!Array.isArray(db.secretKmsKeyArns))
            add("database.secretKmsKeyArns", db.secretKmsKeyArns, "expected a list (empty for AWS-managed keys)");
    }

    // Code
    const code = args.code;
    if (code === undefined || code === null) {
        problems.push("code: required ({ api, migrate, migrationsSha256 }; pass bundleApp() from app/build.ts)");
    } else {
        for (const fn of ["api", "migrate"] as const) {
            const bundle = code[fn];
            if (bundle === undefined || typeof bundle.code !== "string" || bundle.code.trim() === "") {
                problems.push(`code.${fn}.code: missing or empty; expected the bundled CommonJS module`);
                continue;
            }
            if (typeof bundle.sha256 !== "string" || !SHA256_HEX.test(bundle.sha256)) {
                add(`code.${fn}.sha256`, bundle.sha256, "expected 64 lower-case hex digits (SHA-256 of the code)");
            } else if (crypto.createHash("sha256").update(bundle.code, "utf8").digest("hex") !== bundle.sha256) {
                add(
                    `code.${fn}.sha256`,
                    bundle.sha256,
                    `does not match code.${fn}.code; rebuild the bundle (bundleApp()) instead of editing either`,
                );
            }
        }
        if (typeof code.migrationsSha256 !== "string" || !SHA256_HEX.test(code.migrationsSha256)) {
            add(
                "code.migrationsSha256",
                code.migrationsSha256,
                "expected 64 lower-case hex digits (SHA-256 over the migrations)",
            );
        }
    }

    // Sizing and API settings
    wholeIn("memoryMb", args.memoryMb, MEMORY_MB_RANGE, " (MB)");
    wholeIn("timeoutSeconds", args.timeoutSeconds, TIMEOUT_SECONDS_RANGE, " (the HTTP API times out at 30 s)");
    wholeIn("reservedConcurrency", args.reservedConcurrency, RESERVED_CONCURRENCY_RANGE);
    wholeIn("migrationTimeoutSeconds", args.migrationTimeoutSeconds, MIGRATION_TIMEOUT_SECONDS_RANGE);
    wholeIn("dbPoolMax", args.dbPoolMax, DB_POOL_MAX_RANGE);
    oneOf("architecture", args.architecture, ARCHITECTURES);
    oneOf("runtime", args.runtime, RUNTIMES);
    oneOf("tracing", args.tracing, TRACING_MODES);
    oneOf("logRetentionDays", args.logRetentionDays, LOG_RETENTION_DAYS);
    oneOf("accessLogRetentionDays", args.accessLogRetentionDays, LOG_RETENTION_DAYS);
    if (args.throttlingRateLimit !== undefined) {
        const r = args.throttlingRateLimit;
        if (
            typeof r !== "number" ||
            !Number.isFinite(r) ||
            r < THROTTLING_RATE_LIMIT_RANGE.min ||
            r > THROTTLING_RATE_LIMIT_RANGE.max
        ) {
            add(
                "throttlingRateLimit",
                r,
                `expected requests per second from ${THROTTLING_RATE_LIMIT_RANGE.min} to ${THROTTLING_RATE_LIMIT_RANGE.max}`,
            );
        }
    }
    wholeIn("throttlingBurstLimit", args.throttlingBurstLimit, THROTTLING_BURST_LIMIT_RANGE);
    if (args.corsAllowOrigins !== undefined) {
        if (!Array.isArray(args.corsAllowOrigins)) {
            add(
                "corsAllowOrigins",
                args.corsAllowOrigins,
                'expected a list of origins such as ["https://app.example.com"]',
            );
        } else {
            for (const o of args.corsAllowOrigins) {
                if (typeof o !== "string" || !ORIGIN.test(o))
                    add(
                        "corsAllowOrigins",
                        o,
                        "expected an origin such as https://app.example.com (scheme and host, no path), or *",
                    );
            }
            if (args.corsAllowOrigins.includes("*") && args.corsAllowOrigins.length > 1) {
                add(
                    "corsAllowOrigins",
                    args.corsAllowOrigins,
                    '"*" already allows every origin; list either "*" alone or explicit origins',
                );
            }
        }
    }
    return problems;
}

function safeJson(v: unknown): string {
    try {
        return JSON.stringify(v) ?? String(v);
    } catch {
        return String(v);
    }
}

/**
 * An HTTP API in front of a Lambda function in the private subnets, a migration function run
 * through an `aws.lambda.Invocation` whenever the migrations change, least-privilege roles,
 * owned log groups and alarms (`private-app:compute:LambdaService`).
 *
 * Every child is a plain `@pulumi/aws` resource parented to this component, visible to mocks
 * and policies; `opts.transforms` on the component reaches each of them.
 */
export class LambdaService extends pulumi.ComponentResource {
    /** Where clients call the API (the `$default` stage's URL); resolves once the route and invoke permission exist. */
    readonly url: pulumi.Output<string>;
    readonly apiFunctionName: pulumi.Output<string>;
    readonly migrationFunctionName: pulumi.Output<string>;
    /** The functions' security group (no ingress). */
    readonly securityGroupId: pulumi.Output<string>;
    readonly apiId: pulumi.Output<string>;

    readonly securityGroup: aws.ec2.SecurityGroup;
    readonly apiFunction: aws.lambda.Function;
    readonly migrationFunction: aws.lambda.Function;
    readonly migrationInvocation: aws.lambda.Invocation;
    readonly api: aws.apigatewayv2.Api;
    readonly stage: aws.apigatewayv2.Stage;
    readonly roles: { api: aws.iam.Role; migrate: aws.iam.Role };
    readonly logGroups: {
        api: aws.cloudwatch.LogGroup;
        migrate: aws.cloudwatch.LogGroup;
        access: aws.cloudwatch.LogGroup;
    };
    readonly alarms: aws.cloudwatch.MetricAlarm[];

    constructor(name: string, args: LambdaServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateLambdaServiceArgs(name, args);
        if (problems.length > 0) {
            throw new Error(
                `Invalid LambdaService "${name}" arguments (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
            );
        }
        super("private-app:compute:LambdaService", name, {}, opts);

        const d = LAMBDA_SERVICE_DEFAULTS;
        const memoryMb = args.memoryMb ?? d.memoryMb;
        const timeoutSeconds = args.timeoutSeconds ?? d.timeoutSeconds;
        const architecture = args.architecture ?? d.architecture;
        const runtime = args.runtime ?? d.runtime;
        const logRetentionDays = args.logRetentionDays ?? d.logRetentionDays;
        const migrationTimeoutSeconds = args.migrationTimeoutSeconds ?? d.migrationTimeoutSeconds;
        const tracing = (args.tracing ?? d.tracing) === "active";
        const db = args.database;
        const parent = { parent: this };

        // --- Network: a security group with no ingress and only the egress the functions need.
        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-lambda`,
            {
                vpcId: args.vpcId,
                description: "Lambda functions of the app: no ingress; egress to the database and HTTPS only",
                // No inline rules: the rules below are separate resources (the provider removes the
                // default allow-all egress rule of a new group).
                tags: { Name: `${name}-lambda` },
            },
            parent,
        );
        const sgId = this.securityGroup.id;
        const dbEgress = new aws.vpc.SecurityGroupEgressRule(
            `${name}-lambda-to-db`,
            {
                securityGroupId: sgId,
                description: "PostgreSQL to the database (or its proxy)",
                ipProtocol: "tcp",
                fromPort: db.port,
                toPort: db.port,
                referencedSecurityGroupId: db.securityGroupId,
            },
            parent,
        );
        // Behind a proxy the migrations bypass it (they log in as the master user with its
        // password, which the proxy refuses with IAM auth): a second path, to the database's
        // own group. Without a proxy the rule above already reaches it.
        const adminEgress = db.proxied
            ? [
                  new aws.vpc.SecurityGroupEgressRule(
                      `${name}-lambda-to-db-admin`,
                      {
                          securityGroupId: sgId,
                          description: "PostgreSQL to the database itself, bypassing the proxy (migrations)",
                          ipProtocol: "tcp",
                          fromPort: db.port,
                          toPort: db.port,
                          referencedSecurityGroupId: db.adminSecurityGroupId,
                      },
                      parent,
                  ),
              ]
            : [];
        const httpsEgress = new aws.vpc.SecurityGroupEgressRule(
            `${name}-lambda-https`,
            {
                securityGroupId: sgId,
                description: args.privateEgress
                    ? "HTTPS to AWS APIs (Secrets Manager, STS) through NAT"
                    : "HTTPS to the VPC interface endpoints (no NAT)",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: args.privateEgress ? "0.0.0.0/0" : args.vpcCidr,
            },
            parent,
        );
        // The ingress rules that admit the functions; the migrations wait for them (a first
        // deploy would otherwise race the rule and time out connecting). Without a proxy the
        // admin path is the client path: one rule, no allowAdminFrom (which would return it).
        const admission: pulumi.Resource[] = [db.allowFrom(`${name}-lambda`, sgId)];
        if (db.proxied) admission.push(db.allowAdminFrom(`${name}-lambda`, sgId));

        // --- Logs: owned by the stack (created before the functions, deleted with them).
        const logGroup = (suffix: string, retentionInDays: number) =>
            new aws.cloudwatch.LogGroup(`${name}-${suffix}`, { retentionInDays }, parent);
        this.logGroups = {
            api: logGroup("api", logRetentionDays),
            migrate: logGroup("migrate", logRetentionDays),
            access: logGroup("access", args.accessLogRetentionDays ?? d.accessLogRetentionDays),
        };

        // --- IAM: one role per function, one inline policy each.
        const secretArn: Record<DatabaseSecret, () => pulumi.Output<string>> = {
            master: () => db.masterSecretArn,
            appUser: () => db.appUserSecretArn!,
        };
        const role = (fn: FunctionRole, logGroupArn: pulumi.Output<string>) => {
            const access = databaseAccess(fn, db.iamAuth);
            const r = new aws.iam.Role(
                `${name}-${fn}`,
                {
                    description:
                        fn === "api"
                            ? "Execution role of the app's API function"
                            : "Execution role of the app's migration function",
                    assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
                },
                parent,
            );
            const policy = new aws.iam.RolePolicy(
                `${name}-${fn}`,
                {
                    role: r.id,
                    policy: pulumi
                        .all([
                            logGroupArn,
                            pulumi.all(access.secrets.map((s) => secretArn[s]())),
                            pulumi.all(db.secretKmsKeyArns),
                            pulumi.all(access.rdsConnect ? [db.iamConnectArn(db.appUsername)] : []),
                        ])
                        .apply(([logs, secretArns, kmsKeyArns, rdsConnectArns]) =>
                            JSON.stringify(
                                functionPolicy({ logGroupArn: logs, secretArns, kmsKeyArns, rdsConnectArns, tracing }),
                            ),
                        ),
                },
                parent,
            );
            return { role: r, policy };
        };
        const apiIam = role("api", this.logGroups.api.arn);
        const migrateIam = role("migrate", this.logGroups.migrate.arn);
        this.roles = { api: apiIam.role, migrate: migrateIam.role };

        // --- Functions.
        const port = db.port.apply((p) => String(p));
        const envInputs = {
            host: db.host,
            adminHost: db.adminHost,
            port,
            databaseName: db.databaseName,
            appUsername: db.appUsername,
            iamAuth: db.iamAuth,
            masterSecretArn: db.masterSecretArn,
            appUserSecretArn: db.appUserSecretArn,
        };
        const common = (
            bundle: LambdaServiceBundle,
            logGroupName: pulumi.Output<string>,
        ): Partial<aws.lambda.FunctionArgs> => ({
            runtime,
            architectures: [architecture],
            handler: HANDLER,
            code: new pulumi.asset.AssetArchive({ [CODE_FILE]: new pulumi.asset.StringAsset(bundle.code) }),
            sourceCodeHash: bundle.sha256,
            memorySize: memoryMb,
            vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [sgId] },
            // On delete the provider first moves the function to the VPC's default group, so the
            // Lambda ENIs (released up to ~20-40 min after the function is gone) no longer hold
            // this component's security group: its deletion is not stuck behind them
            // (pulumi/pulumi-aws#2642, #4382; hashicorp/terraform-provider-aws
            // internal/service/lambda/function.go replaceSecurityGroupsOnDestroy).
            replaceSecurityGroupsOnDestroy: true,
            loggingConfig: { logFormat: "JSON", logGroup: logGroupName },
            ...(tracing ? { tracingConfig: { mode: "Active" } } : {}),
        });

        this.migrationFunction = new aws.lambda.Function(
            `${name}-migrate`,
            {
                ...common(args.code.migrate, this.logGroups.migrate.name),
                role: migrateIam.role.arn,
                description: "Applies the app's database migrations (invoked by the deployment)",
                timeout: migrationTimeoutSeconds,
                // No reserved concurrency: reserving even 1 fails in accounts whose concurrency quota
                // is the minimum (new accounts), and two runs never interleave anyway: the migration
                // runner holds a PostgreSQL advisory lock for the whole run.
                environment: {
                    variables: migrationEnvironment(envInputs, {
                        timeoutSeconds: migrationTimeoutSeconds,
                        sourceMaps: hasInlineSourceMap(args.code.migrate.code),
                    }),
                },
            },
            { parent: this, dependsOn: [migrateIam.policy] },
        ); // the role must allow ENI creation before the function is created

        // --- Migrations: run on the first deploy and whenever the payload changes.
        // With the default lifecycleScope CREATE_ONLY the provider invokes the function when the
        // resource is created or replaced, and a changed `input` forces a replacement
        // (hashicorp/terraform-provider-aws internal/service/lambda/invocation.go:
        // customizeDiffInputChangeWithCreateOnlyScope). A result with FunctionError fails the
        // resource, and so the deploy ("invoking Lambda Function (%s): %s" in `invoke`).
        // CRUD is not used: it would also invoke on destroy, when the database may be gone.
        // `triggers` is not needed: everything that should re-run the migrations is in `input`.
        this.migrationInvocation = new aws.lambda.Invocation(
            `${name}-migrate`,
            {
                functionName: this.migrationFunction.name,
                lifecycleScope: "CREATE_ONLY",
                input: pulumi.jsonStringify(
                    migrationInvocationInput({
                        migrationsSha256: args.code.migrationsSha256,
                        codeSha256: args.code.migrate.sha256,
                        host: db.adminHost,
                        port,
                        databaseName: db.databaseName,
                        iamAuth: db.iamAuth,
                        appUserSecretArn: db.iamAuth ? undefined : db.appUserSecretArn,
                    }),
                ),
            },
            {
                parent: this,
                dependsOn: [
                    this.migrationFunction,
                    migrateIam.policy,
                    dbEgress,
                    ...adminEgress,
                    httpsEgress,
                    ...admission,
                ],
            },
        );

        // The API's new code may need the new schema: it is updated only after the migrations
        // succeeded. No cycle: the invocation depends on the migration function only.
        this.apiFunction = new aws.lambda.Function(
            `${name}-api`,
            {
                ...common(args.code.api, this.logGroups.api.name),
                role: apiIam.role.arn,
                description: "The app's HTTP API (API Gateway HTTP API, payload 2.0)",
                timeout: timeoutSeconds,
                ...(args.reservedConcurrency !== undefined
                    ? { reservedConcurrentExecutions: args.reservedConcurrency }
                    : {}),
                environment: {
                    variables: apiEnvironment(envInputs, {
                        poolMax: args.dbPoolMax,
                        sourceMaps: hasInlineSourceMap(args.code.api.code),
                    }),
                },
            },
            { parent: this, dependsOn: [apiIam.policy, this.migrationInvocation] },
        );

        // --- The public entry: an HTTP API with one catch-all route to the API function.
        const cors = corsConfiguration(args.corsAllowOrigins ?? d.corsAllowOrigins);
        this.api = new aws.apigatewayv2.Api(
            name,
            {
                protocolType: "HTTP",
                description: "Public entry of the app",
                disableExecuteApiEndpoint: false,
                ...(cors ? { corsConfiguration: cors } : {}),
            },
            parent,
        );
        const integration = new aws.apigatewayv2.Integration(
            `${name}-api`,
            {
                apiId: this.api.id,
                integrationType: "AWS_PROXY",
                integrationMethod: "POST",
                integrationUri: this.apiFunction.invokeArn,
                payloadFormatVersion: "2.0",
            },
            parent,
        );
        const route = new aws.apigatewayv2.Route(
            `${name}-default`,
            {
                apiId: this.api.id,
                routeKey: "$default",
                target: pulumi.interpolate`integrations/${integration.id}`,
            },
            parent,
        );
        this.stage = new aws.apigatewayv2.Stage(
            `${name}-default`,
            {
                apiId: this.api.id,
                name: STAGE_NAME,
                autoDeploy: true,
                accessLogSettings: { destinationArn: this.logGroups.access.arn, format: accessLogFormat() },
                defaultRouteSettings: {
                    throttlingRateLimit: args.throttlingRateLimit ?? d.throttlingRateLimit,
                    throttlingBurstLimit: args.throttlingBurstLimit ?? d.throttlingBurstLimit,
                    detailedMetricsEnabled: true,
                },
            },
            parent,
        );
        const permission = new aws.lambda.Permission(
            `${name}-apigw`,
            {
                function: this.apiFunction.name,
                action: "lambda:InvokeFunction",
                principal: "apigateway.amazonaws.com",
                // Any stage and route of this API only: not any API of the account.
                sourceArn: pulumi.interpolate`${this.api.executionArn}/*/*`,
            },
            parent,
        );

        // --- Alarms.
        this.alarms = alarmSpecs({
            apiFunctionName: this.apiFunction.name,
            migrationFunctionName: this.migrationFunction.name,
            apiId: this.api.id,
            stage: STAGE_NAME,
        }).map(
            (spec) =>
                new aws.cloudwatch.MetricAlarm(
                    `${name}-${spec.key}`,
                    {
                        alarmDescription: spec.description,
                        namespace: spec.namespace,
                        metricName: spec.metricName,
                        dimensions: spec.dimensions,
                        statistic: spec.statistic,
                        period: spec.periodSeconds,
                        evaluationPeriods: spec.evaluationPeriods,
                        threshold: spec.threshold,
                        comparisonOperator: spec.comparisonOperator,
                        treatMissingData: spec.treatMissingData,
                        alarmActions: [args.alarmTopicArn],
                        okActions: [args.alarmTopicArn],
                    },
                    parent,
                ),
        );

        this.url = pulumi.all([this.stage.invokeUrl, route.id, permission.id]).apply(([url]) => url);
        this.apiFunctionName = this.apiFunction.name;
        this.migrationFunctionName = this.migrationFunction.name;
        this.securityGroupId = sgId;
        this.apiId = this.api.id;
        this.registerOutputs({
            url: this.url,
            apiFunctionName: this.apiFunctionName,
            migrationFunctionName: this.migrationFunctionName,
            securityGroupId: this.securityGroupId,
            apiId: this.apiId,
        });
    }
}
