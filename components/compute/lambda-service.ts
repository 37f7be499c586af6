/**
 * The Lambda compute mode: the app's API function and its migration function in the private
 * subnets, an API Gateway HTTP API as the only public entry, the database migrations run once
 * per deploy where they changed, and the alarms of all three.
 */
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseIpv4Cidr } from "../../lib/aws-facts";
import { argsError, Problem, problem } from "../../lib/problems";
import { declareAlarms } from "../alarms";
import {
    apiTimeoutSeconds,
    alarmSpecs,
    apiEnvironment,
    LAMBDA_DEFAULTS,
    type HttpApiOptions,
    type LambdaOptions,
    planHttpApi,
    planLambda,
    hasInlineSourceMap,
    reservedConcurrencyNote,
    STAGE_NAME,
} from "../../lib/lambda-plan";
import type { DatabaseConnection } from "../contracts";
import { clientSecurityGroup } from "./client-security-group";
import { createLambdaHttpApi } from "./http-api";
import {
    CommonFunctionArgs,
    commonFunctionArgs,
    databaseEnvInputs,
    FunctionBundle,
    functionRole,
} from "./lambda-function";
import { createMigrations } from "./migrations";

/** One bundled function (kept under this name for programs that import it). */
export type LambdaServiceBundle = FunctionBundle;

/** The code of both functions; `bundleApp()` from `app/build.ts` returns this shape. */
export interface LambdaServiceCode {
    api: LambdaServiceBundle;
    migrate: LambdaServiceBundle;
    /** Hex SHA-256 over the migrations; the migrations run again when it changes. */
    migrationsSha256: string;
}

/**
 * Arguments of {@link LambdaService}: the function and HTTP API options (documented with their
 * defaults in `lib/lambda-plan.ts`, where they are checked) and the wiring.
 */
export interface LambdaServiceArgs extends LambdaOptions, HttpApiOptions {
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
}

/**
 * Component names are at most this long: `database.allowFrom` takes client names of at most 40
 * characters (`<name>-lambda`), and the auto-named children (`<name>-migrate-<7 random>`) must fit
 * the 64 characters of IAM role and Lambda function names.
 */
export const MAX_NAME_LENGTH = 32;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Checks the arguments that are plain values (outputs are checked by AWS at deploy time) and
 * returns every problem, one line each: the argument, the value given, what is allowed.
 */
export function validateLambdaServiceArgs(name: string, args: LambdaServiceArgs): Problem[] {
    const problems: Problem[] = [];
    const add = (key: string, value: unknown, constraint: string) =>
        problems.push(problem(key, value, constraint, `pass a valid ${key}`));
    if (typeof name !== "string" || !/^[a-z][a-z0-9-]*$/.test(name) || name.length > MAX_NAME_LENGTH) {
        add(
            "name",
            name,
            `expected lower-case letters, digits and "-", starting with a letter, at most ${MAX_NAME_LENGTH} characters (children are named after it)`,
        );
    }
    if (args === undefined || args === null || typeof args !== "object") {
        problems.push(problem("", args, "expected the LambdaServiceArgs object", "pass it"));
        return problems;
    }

    // Network
    if (typeof args.vpcId === "string" && !/^vpc-[0-9a-f]{8,17}$/.test(args.vpcId))
        add("vpcId", args.vpcId, "expected a VPC id such as vpc-0123456789abcdef0");
    if (args.vpcId === undefined)
        problems.push(problem("vpcId", undefined, "required (the VPC of the private subnets)", "pass it"));
    if (typeof args.vpcCidr === "string" && parseIpv4Cidr(args.vpcCidr) === undefined)
        add("vpcCidr", args.vpcCidr, "expected an IPv4 CIDR such as 10.0.0.0/16");
    if (args.vpcCidr === undefined)
        problems.push(problem("vpcCidr", undefined, "required (HTTPS egress without NAT is limited to it)", "pass it"));
    const subnets = args.privateSubnetIds;
    if (subnets === undefined) {
        problems.push(
            problem("privateSubnetIds", undefined, "required (the private subnets the functions run in)", "pass it"),
        );
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
        problems.push(
            problem("alarmTopicArn", undefined, "required (the topic every alarm notifies; see AlarmTopic)", "pass it"),
        );

    // Database
    const db = args.database;
    if (db === undefined || db === null) {
        problems.push(
            problem(
                "database",
                undefined,
                "required (the DatabaseConnection the Database component returns)",
                "pass it",
            ),
        );
    } else {
        if (
            typeof db.allowFrom !== "function" ||
            typeof db.allowAdminFrom !== "function" ||
            typeof db.iamConnectArn !== "function"
        ) {
            problems.push(
                problem(
                    "database",
                    undefined,
                    "expected a DatabaseConnection with allowFrom(), allowAdminFrom() and iamConnectArn()",
                    "pass it",
                ),
            );
        }
        if (typeof db.proxied !== "boolean") add("database.proxied", db.proxied, "expected true or false");
        if (db.adminHost === undefined || db.adminSecurityGroupId === undefined) {
            problems.push(
                problem(
                    "database.adminHost / database.adminSecurityGroupId",
                    undefined,
                    "required (where the migrations connect, bypassing a proxy)",
                    "pass it",
                ),
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
                problem(
                    "database.appUserSecretArn",
                    undefined,
                    "missing while database.iamAuth is false; the API needs the app user's secret ARN (or turn IAM auth on)",
                    "pass it",
                ),
            );
        }
        if (!Array.isArray(db.secretKmsKeyArns))
            add("database.secretKmsKeyArns", db.secretKmsKeyArns, "expected a list (empty for AWS-managed keys)");
    }

    // Code
    const code = args.code;
    if (code === undefined || code === null) {
        problems.push(
            problem(
                "code",
                undefined,
                "required ({ api, migrate, migrationsSha256 }; pass bundleApp() from app/build.ts)",
                "pass it",
            ),
        );
    } else {
        for (const fn of ["api", "migrate"] as const) {
            const bundle = code[fn];
            if (bundle === undefined || typeof bundle.code !== "string" || bundle.code.trim() === "") {
                problems.push(
                    problem(
                        `code.${fn}.code`,
                        undefined,
                        "missing or empty; expected the bundled CommonJS module",
                        "pass bundleApp()",
                    ),
                );
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

    problems.push(...planLambda(args, { pausableDatabase: db?.pausable === true }), ...planHttpApi(args));
    return problems;
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
    /** The API function's security group (no ingress; admitted to the database or its proxy). */
    readonly securityGroupId: pulumi.Output<string>;
    readonly apiId: pulumi.Output<string>;

    /** The API function's group. */
    readonly securityGroup: aws.ec2.SecurityGroup;
    /** The migration function's group (admitted straight to the database, bypassing a proxy). */
    readonly migrationSecurityGroup: aws.ec2.SecurityGroup;
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
        if (problems.length > 0) throw argsError("LambdaService", name, problems);
        super("private-app:compute:LambdaService", name, {}, opts);

        const d = LAMBDA_DEFAULTS;
        const common = {
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            privateSubnetIds: args.privateSubnetIds,
            privateEgress: args.privateEgress,
            database: args.database,
            runtime: args.runtime ?? d.runtime,
            architecture: args.architecture ?? d.architecture,
            memoryMb: args.memoryMb ?? d.memoryMb,
            logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
            tracing: (args.tracing ?? d.tracing) === "active",
        };

        // 1. The migrations, which the API waits for.
        const migrations = createMigrations(this, name, {
            ...common,
            bundle: args.code.migrate,
            migrationsSha256: args.code.migrationsSha256,
            timeoutSeconds: args.migrationTimeoutSeconds ?? d.migrationTimeoutSeconds,
        });
        // 2. The API function, in its own group on the client path.
        const api = this.createApiFunction(name, args, common, migrations.invocation);
        // 3. The public entry.
        const entry = createLambdaHttpApi(this, name, api.fn, args);
        // The account quota reserved concurrency needs: a note in every plan and preview.
        const quotaNote = reservedConcurrencyNote(args.reservedConcurrency);
        if (quotaNote) pulumi.log.info(`note: ${quotaNote}`, this);
        // 4. Alarms.
        this.alarms = this.createAlarms(name, args.alarmTopicArn, api.fn, migrations.function, entry.api);

        this.securityGroup = api.group.securityGroup;
        this.migrationSecurityGroup = migrations.securityGroup;
        this.apiFunction = api.fn;
        this.migrationFunction = migrations.function;
        this.migrationInvocation = migrations.invocation;
        this.api = entry.api;
        this.stage = entry.stage;
        this.roles = { api: api.role, migrate: migrations.role };
        this.logGroups = { api: api.logGroup, migrate: migrations.logGroup, access: entry.accessLogGroup };
        this.url = entry.url;
        this.apiFunctionName = api.fn.name;
        this.migrationFunctionName = migrations.function.name;
        this.securityGroupId = api.group.id;
        this.apiId = entry.api.id;
        this.registerOutputs({
            url: this.url,
            apiFunctionName: this.apiFunctionName,
            migrationFunctionName: this.migrationFunctionName,
            securityGroupId: this.securityGroupId,
            apiId: this.apiId,
        });
    }

    /** The API function `<name>-api`, its group, log group and role; updated only after the migrations. */
    private createApiFunction(
        name: string,
        args: LambdaServiceArgs,
        common: Omit<CommonFunctionArgs, "securityGroupId"> & {
            vpcId: pulumi.Input<string>;
            vpcCidr: pulumi.Input<string>;
            privateEgress: boolean;
            database: DatabaseConnection;
            logRetentionDays: number;
        },
        migrated: aws.lambda.Invocation,
    ) {
        const db = args.database;
        const group = clientSecurityGroup(this, `${name}-api`, {
            ...common,
            path: "client",
            description: "API function of the app",
        });
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-api`,
            { retentionInDays: common.logRetentionDays },
            { parent: this },
        );
        const iam = functionRole(this, name, "api", {
            logGroupArn: logGroup.arn,
            database: db,
            tracing: common.tracing,
        });
        const fn = new aws.lambda.Function(
            `${name}-api`,
            {
                ...commonFunctionArgs({ ...common, securityGroupId: group.id }, args.code.api, logGroup.name),
                role: iam.role.arn,
                description: "The app's HTTP API (API Gateway HTTP API, payload 2.0)",
                timeout: apiTimeoutSeconds(args, db.pausable),
                ...(args.reservedConcurrency !== undefined
                    ? { reservedConcurrentExecutions: args.reservedConcurrency }
                    : {}),
                environment: {
                    variables: apiEnvironment(databaseEnvInputs(db), {
                        poolMax: args.dbPoolMax,
                        sourceMaps: hasInlineSourceMap(args.code.api.code),
                    }),
                },
            },
            // The new code may need the new schema: updated only after the migrations succeeded.
            { parent: this, dependsOn: [iam.policy, migrated, ...group.rules] },
        );
        return { group, logGroup, role: iam.role, fn };
    }

    private createAlarms(
        name: string,
        topicArn: pulumi.Input<string>,
        apiFunction: aws.lambda.Function,
        migrationFunction: aws.lambda.Function,
        api: aws.apigatewayv2.Api,
    ): aws.cloudwatch.MetricAlarm[] {
        const specs = alarmSpecs<pulumi.Input<string>>({
            apiFunctionName: apiFunction.name,
            migrationFunctionName: migrationFunction.name,
            apiId: api.id,
            stage: STAGE_NAME,
        });
        return declareAlarms(this, name, specs, { topicArn });
    }
}
