/**
 * Planning for the `LambdaService` compute component: defaults, environment variables, IAM
 * policy documents, the migration invocation payload, the access log format and the alarm
 * specifications.
 *
 * Pure module: no Pulumi resource declarations and no Pulumi runtime calls. Functions that
 * carry values the component only knows as outputs (host, ARNs, names) are generic over the
 * value type `T`, so the component passes `pulumi.Output<string>` and tests pass strings. The
 * shape of every result (which keys, which statements) depends on plain arguments only.
 */
import {
    APP_USER_AUTH_MODES,
    connectEnvironment,
    ENV,
    maxConnectMillis,
    PAUSABLE_DATABASE_CONNECT,
    POOL_MAX_RANGE,
} from "../app/contract";
import { AlarmSpec } from "./alarm-spec";
import { JwtAuthOptions, planJwtAuth } from "./auth-plan";
import { LAMBDA_MIN_UNRESERVED_CONCURRENCY, LOG_RETENTION_DAYS } from "./aws-facts";
import { nested, Problem, problem } from "./problems";
import { assumeRolePolicy } from "./iam";

// ---------------------------------------------------------------------------------------------
// Defaults and limits (the component's `@default` tags name these values; a test checks both)
// ---------------------------------------------------------------------------------------------
export const DEFAULT_MEMORY_MB = 512;
export const DEFAULT_TIMEOUT_SECONDS = 15;
export const DEFAULT_ARCHITECTURE = "arm64";
export const DEFAULT_RUNTIME = "nodejs22.x";
export const DEFAULT_FUNCTION_LOG_RETENTION_DAYS = 30;
export const DEFAULT_CORS_ALLOW_ORIGINS: readonly string[] = [];
export const DEFAULT_THROTTLING_RATE_LIMIT = 50;
export const DEFAULT_THROTTLING_BURST_LIMIT = 100;
export const DEFAULT_ACCESS_LOG_RETENTION_DAYS = 30;
export const DEFAULT_MIGRATION_TIMEOUT_SECONDS = 300;
export const DEFAULT_TRACING = "off";

/** Seconds left between the migration's statement timeout and the function's own timeout. */
export const MIGRATION_TIMEOUT_HEADROOM_SECONDS = 30;
/** Both bundles export `handler` from `index.js` (see `app/build.ts`). */
export const HANDLER = "index.handler";
export const CODE_FILE = "index.js";
/** The HTTP API stage every request goes through. */
export const STAGE_NAME = "$default";

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;
export type Runtime = (typeof RUNTIMES)[number];
export const TRACING_MODES = ["off", "active"] as const;
export type Tracing = (typeof TRACING_MODES)[number];

/** Lambda's memory range (MB). */
export const MEMORY_MB_RANGE = { min: 128, max: 10240 } as const;
/** API function timeout: at most 29 s, under the HTTP API's 30 s integration timeout. */
export const TIMEOUT_SECONDS_RANGE = { min: 1, max: 29 } as const;
/** Migration function timeout: at least a minute, at most Lambda's 15 minutes. */
export const MIGRATION_TIMEOUT_SECONDS_RANGE = { min: 60, max: 900 } as const;
export const RESERVED_CONCURRENCY_RANGE = { min: 0, max: 10000 } as const;
export const THROTTLING_RATE_LIMIT_RANGE = { min: 1, max: 10000 } as const;
export const THROTTLING_BURST_LIMIT_RANGE = { min: 1, max: 5000 } as const;
/** The app's pool size limit (app/contract.ts). */
export const DB_POOL_MAX_RANGE = POOL_MAX_RANGE;

// ---------------------------------------------------------------------------------------------
// Options: the `compute.lambda` and `compute.api` config objects, and LambdaService's arguments
// ---------------------------------------------------------------------------------------------
/** The functions of the lambda mode. */
export interface LambdaOptions {
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
     * Lambda keeps 100 executions of the account unreserved, so N reserved needs an account
     * concurrency quota of at least N + 100 in the region (new accounts often have less, and
     * `pulumi up` then fails); the plan prints a note ({@link reservedConcurrencyNote}).
     * @default - none (the account's unreserved pool)
     * @example 50
     */
    reservedConcurrency?: number;
    /**
     * Instruction set of both functions.
     * @default "arm64"
     * @example "x86_64"
     */
    architecture?: Architecture;
    /**
     * Node.js runtime of both functions.
     * @default "nodejs22.x"
     * @example "nodejs24.x"
     */
    runtime?: Runtime;
    /**
     * Retention of both functions' log groups, in days (a value CloudWatch Logs accepts).
     * @default 30
     * @example 90
     */
    logRetentionDays?: number;
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

/** The HTTP API in front of the app (the public entry of the lambda mode). */
export interface HttpApiOptions {
    /**
     * Origins browsers may call the API from. Empty: no CORS configuration, so browsers refuse
     * cross-origin calls (same-origin and server-side clients are unaffected).
     * @default []
     * @example ["https://app.example.com"]
     */
    corsAllowOrigins?: readonly string[];
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
     * Sign-in: a JWT authorizer (issuer, audiences, scopes per route). The health paths stay
     * open, every other route needs a valid token, the routes listed need a scope too. See
     * {@link JwtAuthOptions} and the README's "Sign-in at the public entry".
     * @default - none: every route is open
     * @example { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI", audiences: ["1example23456789"] }
     */
    auth?: JwtAuthOptions;
}

/** The defaults the `@default` tags above document (a test checks the two agree). */
export const LAMBDA_DEFAULTS = {
    memoryMb: DEFAULT_MEMORY_MB,
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    architecture: DEFAULT_ARCHITECTURE,
    runtime: DEFAULT_RUNTIME,
    logRetentionDays: DEFAULT_FUNCTION_LOG_RETENTION_DAYS,
    migrationTimeoutSeconds: DEFAULT_MIGRATION_TIMEOUT_SECONDS,
    tracing: DEFAULT_TRACING,
} as const;
export const HTTP_API_DEFAULTS = {
    corsAllowOrigins: DEFAULT_CORS_ALLOW_ORIGINS,
    throttlingRateLimit: DEFAULT_THROTTLING_RATE_LIMIT,
    throttlingBurstLimit: DEFAULT_THROTTLING_BURST_LIMIT,
    accessLogRetentionDays: DEFAULT_ACCESS_LOG_RETENTION_DAYS,
} as const;

const ORIGIN = /^(\*|https?:\/\/[a-z0-9.-]+(:\d+)?)$/;

/** Checks helpers: each pushes a problem when the value is set and out of bounds. */
function checker(problems: Problem[]) {
    return {
        wholeIn(key: string, value: unknown, range: { min: number; max: number }, unit = "") {
            if (value === undefined) return;
            if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
                problems.push(
                    problem(
                        key,
                        value,
                        `expected a whole number from ${range.min} to ${range.max}${unit}`,
                        `set ${key} to a value in that range`,
                    ),
                );
            }
        },
        oneOf(key: string, value: unknown, allowed: readonly (string | number)[]) {
            if (value !== undefined && !allowed.includes(value as string | number))
                problems.push(
                    problem(key, value, `expected one of: ${allowed.join(", ")}`, `set ${key} to one of them`),
                );
        },
    };
}

/**
 * The API function's timeout with a database that can pause: a first request may spend
 * {@link PAUSABLE_DATABASE_CONNECT}.api connecting (the database resumes in about 15 s) plus
 * one query: 29 s, the most the HTTP API waits for.
 */
export const PAUSABLE_API_TIMEOUT_SECONDS = 29;
/** The least migration timeout with a database that can pause: connecting, plus the statement headroom. */
export const PAUSABLE_MIGRATION_TIMEOUT_SECONDS =
    Math.ceil(maxConnectMillis(PAUSABLE_DATABASE_CONNECT.migrate) / 1000) + MIGRATION_TIMEOUT_HEADROOM_SECONDS;

/** The API function's timeout: as given, else the default, which is longer when the database can pause. */
export function apiTimeoutSeconds(o: LambdaOptions, pausableDatabase: boolean): number {
    return o.timeoutSeconds ?? (pausableDatabase ? PAUSABLE_API_TIMEOUT_SECONDS : DEFAULT_TIMEOUT_SECONDS);
}

/**
 * Validates the functions' options; the defaults are {@link LAMBDA_DEFAULTS}. With a database
 * that can pause (Aurora Serverless v2 at 0 ACU), the timeouts must leave room for a resume.
 */
export function planLambda(o: LambdaOptions, context: { pausableDatabase: boolean }): Problem[] {
    const problems: Problem[] = [];
    const { wholeIn, oneOf } = checker(problems);
    if (context.pausableDatabase) {
        if (o.timeoutSeconds !== undefined && o.timeoutSeconds < PAUSABLE_API_TIMEOUT_SECONDS) {
            problems.push(
                problem(
                    "timeoutSeconds",
                    o.timeoutSeconds,
                    `the database can pause (minCapacityAcu 0): the first request after a pause waits about 15 s for it to resume, so the API needs ${PAUSABLE_API_TIMEOUT_SECONDS} s (20 s connect + 2 s retry + one query)`,
                    `remove timeoutSeconds (it then defaults to ${PAUSABLE_API_TIMEOUT_SECONDS}) or set database.minCapacityAcu to 0.5`,
                ),
            );
        }
        if (o.migrationTimeoutSeconds !== undefined && o.migrationTimeoutSeconds < PAUSABLE_MIGRATION_TIMEOUT_SECONDS) {
            problems.push(
                problem(
                    "migrationTimeoutSeconds",
                    o.migrationTimeoutSeconds,
                    `the database can pause (minCapacityAcu 0): connecting may take ${maxConnectMillis(PAUSABLE_DATABASE_CONNECT.migrate) / 1000} s, so the migrations need at least ${PAUSABLE_MIGRATION_TIMEOUT_SECONDS} s`,
                    `remove migrationTimeoutSeconds or raise it to ${PAUSABLE_MIGRATION_TIMEOUT_SECONDS}`,
                ),
            );
        }
    }
    wholeIn("memoryMb", o.memoryMb, MEMORY_MB_RANGE, " (MB)");
    wholeIn("timeoutSeconds", o.timeoutSeconds, TIMEOUT_SECONDS_RANGE, " (the HTTP API times out at 30 s)");
    wholeIn("reservedConcurrency", o.reservedConcurrency, RESERVED_CONCURRENCY_RANGE);
    wholeIn("migrationTimeoutSeconds", o.migrationTimeoutSeconds, MIGRATION_TIMEOUT_SECONDS_RANGE);
    wholeIn("dbPoolMax", o.dbPoolMax, DB_POOL_MAX_RANGE);
    oneOf("architecture", o.architecture, ARCHITECTURES);
    oneOf("runtime", o.runtime, RUNTIMES);
    oneOf("tracing", o.tracing, TRACING_MODES);
    oneOf("logRetentionDays", o.logRetentionDays, LOG_RETENTION_DAYS);
    return problems;
}

/** What the authorizer's plan depends on besides its own options: whether browsers call cross-origin. */
export function authContext(o: HttpApiOptions): { cors: boolean } {
    return { cors: (o.corsAllowOrigins ?? DEFAULT_CORS_ALLOW_ORIGINS).length > 0 };
}

/** Validates the HTTP API's options; the defaults are {@link HTTP_API_DEFAULTS}. */
export function planHttpApi(o: HttpApiOptions): Problem[] {
    const problems: Problem[] = [];
    const { wholeIn, oneOf } = checker(problems);
    oneOf("accessLogRetentionDays", o.accessLogRetentionDays, LOG_RETENTION_DAYS);
    const r = o.throttlingRateLimit;
    if (
        r !== undefined &&
        (typeof r !== "number" ||
            !Number.isFinite(r) ||
            r < THROTTLING_RATE_LIMIT_RANGE.min ||
            r > THROTTLING_RATE_LIMIT_RANGE.max)
    ) {
        problems.push(
            problem(
                "throttlingRateLimit",
                r,
                `expected requests per second from ${THROTTLING_RATE_LIMIT_RANGE.min} to ${THROTTLING_RATE_LIMIT_RANGE.max}`,
                `set throttlingRateLimit to ${DEFAULT_THROTTLING_RATE_LIMIT}`,
            ),
        );
    }
    wholeIn("throttlingBurstLimit", o.throttlingBurstLimit, THROTTLING_BURST_LIMIT_RANGE);
    if (o.auth !== undefined) problems.push(...nested("auth", planJwtAuth(o.auth, authContext(o)).problems));
    const origins = o.corsAllowOrigins;
    if (origins !== undefined) {
        if (!Array.isArray(origins)) {
            problems.push(
                problem(
                    "corsAllowOrigins",
                    origins,
                    'expected a list of origins such as ["https://app.example.com"]',
                    "list the origins",
                ),
            );
        } else {
            for (const [i, origin] of origins.entries()) {
                if (typeof origin !== "string" || !ORIGIN.test(origin))
                    problems.push(
                        problem(
                            `corsAllowOrigins[${i}]`,
                            origin,
                            "expected an origin such as https://app.example.com (scheme and host, no path), or *",
                            "correct or remove it",
                        ),
                    );
            }
            if (origins.includes("*") && origins.length > 1) {
                problems.push(
                    problem(
                        "corsAllowOrigins",
                        origins,
                        '"*" already allows every origin; list either "*" alone or explicit origins',
                        'keep "*" alone, or remove it',
                    ),
                );
            }
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// Environment variables (names from the app's contract, app/contract.ts)
// ---------------------------------------------------------------------------------------------

/** What the environment of either function is built from. `T` is the type of run-time values. */
export interface DatabaseEnvInputs<T> {
    /** Where the API connects: the RDS Proxy when enabled, else the writer (`connection.host`). */
    host: T;
    /**
     * Where the migrations connect as the master user with its password: the writer itself,
     * bypassing the proxy (`connection.adminHost`; equal to `host` without a proxy). With IAM
     * authentication the proxy accepts IAM tokens only, so a password login through it fails.
     */
    adminHost: T;
    /** The port as a string (environment values are strings). */
    port: T;
    databaseName: string;
    appUsername: string;
    iamAuth: boolean;
    masterSecretArn: T;
    /** Required when `iamAuth` is false. */
    appUserSecretArn?: T;
    /** True when the database can pause: the functions connect with longer timeouts and a retry. */
    pausable: boolean;
}

/** `APP_USER_AUTH` as the migration function reads it. */
export function appUserAuth(iamAuth: boolean): (typeof APP_USER_AUTH_MODES)[number] {
    return iamAuth ? "iam" : "secret";
}

/**
 * Environment of the API function. Never a password: either `DB_IAM_AUTH=true` (a token is
 * signed per connection) or `DB_SECRET_ARN`, the ARN of the app user's secret, read at run time.
 */
export function apiEnvironment<T>(
    db: DatabaseEnvInputs<T>,
    options: { poolMax?: number; sourceMaps: boolean },
): Record<string, T | string> {
    const env: Record<string, T | string> = {
        [ENV.DB_HOST]: db.host,
        [ENV.DB_PORT]: db.port,
        [ENV.DB_NAME]: db.databaseName,
        [ENV.DB_USER]: db.appUsername,
    };
    if (db.iamAuth) {
        env[ENV.DB_IAM_AUTH] = "true";
    } else {
        if (db.appUserSecretArn === undefined)
            throw new Error("apiEnvironment: appUserSecretArn is required when iamAuth is false");
        env[ENV.DB_SECRET_ARN] = db.appUserSecretArn;
    }
    if (options.poolMax !== undefined) env[ENV.DB_POOL_MAX] = String(options.poolMax);
    if (db.pausable) Object.assign(env, connectEnvironment(PAUSABLE_DATABASE_CONNECT.api));
    if (options.sourceMaps) env.NODE_OPTIONS = "--enable-source-maps";
    return env;
}

/**
 * Environment of the migration function: the writer's own host (`adminHost`, never the proxy),
 * the master secret's ARN (RDS-managed, JSON `{username, password}`), how the app role logs in (`APP_USER_AUTH`, and the ARN of its
 * secret for password auth) and a statement timeout that ends before the function does, so a
 * slow statement is cancelled (and its transaction rolled back) with a clear error.
 */
export function migrationEnvironment<T>(
    db: DatabaseEnvInputs<T>,
    options: { timeoutSeconds: number; sourceMaps: boolean },
): Record<string, T | string> {
    const env: Record<string, T | string> = {
        [ENV.DB_HOST]: db.adminHost,
        [ENV.DB_PORT]: db.port,
        [ENV.DB_NAME]: db.databaseName,
        [ENV.DB_SECRET_ARN]: db.masterSecretArn,
        [ENV.APP_USER_AUTH]: appUserAuth(db.iamAuth),
        [ENV.DB_STATEMENT_TIMEOUT_MS]: String(migrationStatementTimeoutMs(options.timeoutSeconds)),
    };
    if (!db.iamAuth) {
        if (db.appUserSecretArn === undefined)
            throw new Error("migrationEnvironment: appUserSecretArn is required when iamAuth is false");
        env[ENV.APP_USER_SECRET_ARN] = db.appUserSecretArn;
    }
    if (db.pausable) Object.assign(env, connectEnvironment(PAUSABLE_DATABASE_CONNECT.migrate));
    if (options.sourceMaps) env.NODE_OPTIONS = "--enable-source-maps";
    return env;
}

/** The migration's statement timeout (ms): the function timeout minus the headroom, at least 1 s. */
export function migrationStatementTimeoutMs(functionTimeoutSeconds: number): number {
    return Math.max(1, functionTimeoutSeconds - MIGRATION_TIMEOUT_HEADROOM_SECONDS) * 1000;
}

/**
 * True when the bundle ends with an inline source map (`//# sourceMappingURL=data:...`). Only
 * then is `--enable-source-maps` worth its cost: the archive holds `index.js` alone, so a map
 * in a separate file would not be deployed.
 */
export function hasInlineSourceMap(code: string): boolean {
    const lines = code.trimEnd().split("\n");
    const last = lines[lines.length - 1] ?? "";
    return /^\/\/[#@] sourceMappingURL=data:application\/json/.test(last.trim());
}

// ---------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------
export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string | string[];
    Resource?: string | string[];
    Principal?: { Service: string };
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Trust policy of both execution roles. */
export function lambdaAssumeRolePolicy(): PolicyDocument {
    return assumeRolePolicy("lambda.amazonaws.com", undefined, "LambdaAssumeRole") as PolicyDocument;
}

export type FunctionRole = "api" | "migrate";
export type DatabaseSecret = "master" | "appUser";

/** What each function may do with the database, decided from plain settings. */
export interface DatabaseAccess {
    /** Secrets it reads (`secretsmanager:GetSecretValue`). */
    secrets: DatabaseSecret[];
    /** Whether it connects with an IAM token as the app user (`rds-db:connect`). */
    rdsConnect: boolean;
}

/**
 * Least privilege per function. The API reads the app user's secret (password auth) or
 * connects with IAM tokens; it never sees the master secret. The migration function logs in as
 * the master user with its password (`secretsmanager:GetSecretValue` on the master secret)
 * straight to the database (`adminHost`, never through the proxy, which with IAM auth would
 * demand an IAM token), and reads the app user's secret to set that role's password; it never
 * connects with IAM, so it needs no `rds-db:connect`.
 */
export function databaseAccess(role: FunctionRole, iamAuth: boolean): DatabaseAccess {
    switch (role) {
        case "api":
            return iamAuth ? { secrets: [], rdsConnect: true } : { secrets: ["appUser"], rdsConnect: false };
        case "migrate":
            return { secrets: iamAuth ? ["master"] : ["master", "appUser"], rdsConnect: false };
    }
}

/** The plain values a function's permission policy is built from. */
export interface FunctionPolicyInputs {
    /** ARN of the function's own log group (with or without the `:*` suffix). */
    logGroupArn: string;
    /** Secrets it may read. */
    secretArns: string[];
    /** KMS keys of those secrets (customer-managed only); ignored when it reads no secret. */
    kmsKeyArns: string[];
    /** `rds-db:connect` resources. */
    rdsConnectArns: string[];
    tracing: boolean;
}

/** The actions Lambda needs to attach a function to the VPC (as AWSLambdaVPCAccessExecutionRole, without its logs:*). */
export const VPC_ENI_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
] as const;

/** The inline permission policy of a function's execution role. */
export function functionPolicy(inputs: FunctionPolicyInputs): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${inputs.logGroupArn.replace(/:\*$/, "")}:*`,
        },
        // ENI management has no resource-level scoping that Lambda can use: resource "*".
        { Sid: "AttachToVpc", Effect: "Allow", Action: [...VPC_ENI_ACTIONS], Resource: "*" },
    ];
    const secrets = unique(inputs.secretArns);
    if (secrets.length > 0) {
        statements.push({
            Sid: "ReadDatabaseSecrets",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: secrets,
        });
        const keys = unique(inputs.kmsKeyArns);
        if (keys.length > 0) statements.push(kmsDecryptStatement(keys));
    }
    const connect = unique(inputs.rdsConnectArns);
    if (connect.length > 0) {
        statements.push({ Sid: "ConnectWithIamToken", Effect: "Allow", Action: ["rds-db:connect"], Resource: connect });
    }
    if (inputs.tracing) {
        // X-Ray's write actions do not support resource-level permissions.
        statements.push({
            Sid: "WriteTraces",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            Resource: "*",
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * `kms:Decrypt` on the secrets' keys, only when Secrets Manager asks on the function's behalf
 * (`kms:ViaService`). The region comes from each key's ARN (a secret's key is in its region);
 * a key given without a parseable ARN falls back to any region's Secrets Manager.
 */
function kmsDecryptStatement(keyArns: string[]): PolicyStatement {
    const regions = keyArns.map((arn) => /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\//.exec(arn)?.[1]);
    const exact = regions.every((r): r is string => r !== undefined);
    const services = exact
        ? unique(regions.map((r) => `secretsmanager.${r}.amazonaws.com`))
        : ["secretsmanager.*.amazonaws.com"];
    return {
        Sid: "DecryptDatabaseSecrets",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: keyArns,
        Condition: {
            [exact ? "StringEquals" : "StringLike"]: {
                "kms:ViaService": services.length === 1 ? services[0] : services,
            },
        },
    };
}

function unique(values: readonly string[]): string[] {
    return [...new Set(values)];
}

// ---------------------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------------------

/** What decides whether the migrations run again; `T` is the type of run-time values. */
export interface MigrationTrigger<T> {
    migrationsSha256: string;
    /** SHA-256 of the migration function's bundle. */
    codeSha256: string;
    /** Where the migrations connect: the database's own writer (`adminHost`), never the proxy. */
    host: T;
    port: T;
    databaseName: string;
    iamAuth: boolean;
    /** Present for password auth: a new secret means a new password to set on the app role. */
    appUserSecretArn?: T;
}

/**
 * The payload of the migration invocation. The invocation resource invokes the function when
 * it is created or replaced, and a changed payload replaces it: so migrations run on the first
 * deploy and again exactly when the migrations, the migration code, the database's own endpoint
 * (a new database; switching the proxy on or off does not change it) or the app role's login
 * method changed.
 */
export function migrationInvocationInput<T>(t: MigrationTrigger<T>) {
    return {
        action: "migrate",
        migrationsSha256: t.migrationsSha256,
        codeSha256: t.codeSha256,
        target: { host: t.host, port: t.port, database: t.databaseName },
        appUser:
            t.appUserSecretArn === undefined
                ? { auth: appUserAuth(t.iamAuth) }
                : { auth: appUserAuth(t.iamAuth), secretArn: t.appUserSecretArn },
    };
}

// ---------------------------------------------------------------------------------------------
// HTTP API
// ---------------------------------------------------------------------------------------------
export const CORS_ALLOW_METHODS = ["GET", "POST", "OPTIONS"] as const;
export const CORS_ALLOW_HEADERS = ["content-type", "authorization"] as const;
export const CORS_MAX_AGE_SECONDS = 300;

/** The HTTP API's CORS settings; none when no origin is allowed (browsers then refuse cross-origin calls). */
export function corsConfiguration(allowOrigins: readonly string[]) {
    if (allowOrigins.length === 0) return undefined;
    return {
        allowOrigins: [...allowOrigins],
        allowMethods: [...CORS_ALLOW_METHODS],
        allowHeaders: [...CORS_ALLOW_HEADERS],
        maxAge: CORS_MAX_AGE_SECONDS,
    };
}

/**
 * One JSON object per request. Only `$context` variables: no request or response headers, so
 * no `Authorization` value or cookie reaches the logs; no query string either.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
    requestId: "$context.requestId",
    requestTime: "$context.requestTime",
    ip: "$context.identity.sourceIp",
    httpMethod: "$context.httpMethod",
    routeKey: "$context.routeKey",
    protocol: "$context.protocol",
    status: "$context.status",
    responseLength: "$context.responseLength",
    responseLatency: "$context.responseLatency",
    integrationStatus: "$context.integrationStatus",
    integrationLatency: "$context.integrationLatency",
    integrationError: "$context.integrationErrorMessage",
};

export function accessLogFormat(): string {
    return JSON.stringify(ACCESS_LOG_FIELDS);
}

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------
export const ALARM_PERIOD_SECONDS = 300;

export type { AlarmSpec };

export interface AlarmTargets<T> {
    apiFunctionName: T;
    migrationFunctionName: T;
    apiId: T;
    stage: string;
}

/**
 * The alarms of the service: any error or throttle of the API function, any failed migration
 * run, any 5xx answer of the HTTP API, each summed over 5 minutes. No data means no traffic,
 * which is not an alarm.
 */
export function alarmSpecs<T>(t: AlarmTargets<T>): AlarmSpec<T>[] {
    const base = {
        statistic: "Sum" as const,
        periodSeconds: ALARM_PERIOD_SECONDS,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold" as const,
        treatMissingData: "notBreaching" as const,
    };
    return [
        {
            ...base,
            key: "api-errors",
            description: "The API function returned errors (unhandled exceptions or timeouts) in the last 5 minutes.",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: t.apiFunctionName },
        },
        {
            ...base,
            key: "api-throttles",
            description:
                "Invocations of the API function were throttled (concurrency limit reached) in the last 5 minutes.",
            namespace: "AWS/Lambda",
            metricName: "Throttles",
            dimensions: { FunctionName: t.apiFunctionName },
        },
        {
            ...base,
            key: "migrate-errors",
            description:
                "A database migration run failed in the last 5 minutes; the deployment that triggered it failed too.",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: t.migrationFunctionName },
        },
        {
            ...base,
            key: "api-5xx",
            description: "The HTTP API answered with 5xx status codes in the last 5 minutes.",
            namespace: "AWS/ApiGateway",
            metricName: "5xx",
            dimensions: { ApiId: t.apiId, Stage: t.stage },
        },
    ];
}

// ---------------------------------------------------------------------------------------------
// Reserved concurrency and the account quota
// ---------------------------------------------------------------------------------------------
/**
 * What to check before deploying a function with `reserved` concurrency: the account's quota
 * must leave 100 unreserved (AWS's rule, {@link LAMBDA_MIN_UNRESERVED_CONCURRENCY}), or the
 * function's update fails. Undefined when nothing is reserved.
 */
export function reservedConcurrencyNote(reserved: number | undefined): string | undefined {
    if (reserved === undefined || reserved <= 0) return undefined;
    const quota = reserved + LAMBDA_MIN_UNRESERVED_CONCURRENCY;
    return (
        `reserved concurrency ${reserved} (compute.lambda.reservedConcurrency) needs an account concurrency quota of at least ${quota} in this region: ` +
        `Lambda keeps ${LAMBDA_MIN_UNRESERVED_CONCURRENCY} executions unreserved, and new accounts often have less than 1000. ` +
        `Check: aws lambda get-account-settings --query AccountLimit.ConcurrentExecutions; raise it in Service Quotas (Lambda, "Concurrent executions") before pulumi up, which otherwise fails`
    );
}
