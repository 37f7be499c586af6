/**
 * Pure planning for the `Database` component: argument validation, engine-dependent
 * choices (parameter group family, log exports, Performance Insights support, cluster
 * instances), data-safety decisions, physical identifiers, alarm thresholds and the
 * bastion port-forwarding command.
 *
 * No Pulumi resource declarations and no Pulumi runtime calls: the component passes plain
 * values in and loops over what comes back, and the tests call every function directly.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    AUTO_PAUSE_MIN_VERSION,
    DB_PORT,
    LOG_RETENTION_DAYS,
    MONITORING_INTERVALS,
    SERVERLESS_V2_MIN_VERSION,
    SUPPORTED_MAJORS,
    minMaxAllocatedStorageGb,
} from "./aws-facts";
import { AlarmThresholds, DatabaseAlarmThresholds, planAlarmThresholds } from "./database-alarms-plan";
import { Problem, problem, show } from "./problems";
import { planRestore, RestoreOptions, RestorePlan } from "./restore-plan";

// The alarms' planning has its own module; what it exports is part of the database's plan.
export * from "./database-alarms-plan";
// So has the restore's (`database.restore`).
export * from "./restore-plan";

export const DATABASE_ENGINES = ["postgres", "aurora-postgresql", "aurora-serverless"] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

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
export const DEFAULT_LOG_RETENTION_DAYS = 30;

// ---------------------------------------------------------------------------------------------
// Named defaults (the `DatabaseArgs` docs quote them; a test checks the two agree).
// ---------------------------------------------------------------------------------------------
export { DB_PORT };
export const DEFAULT_DATABASE_NAME = "app";
export const DEFAULT_MASTER_USERNAME = "app_admin";
export const DEFAULT_APP_USERNAME = "app_user";
export const DEFAULT_ALLOCATED_STORAGE_GB = 20;
export const DEFAULT_MAX_ALLOCATED_STORAGE_GB = 100;
export const DEFAULT_MULTI_AZ = false;
export const DEFAULT_DELETION_PROTECTION = true;
export const DEFAULT_IAM_AUTH = true;
export const DEFAULT_PERFORMANCE_INSIGHTS = true;
export const DEFAULT_MONITORING_INTERVAL_SECONDS = 0;
export const DEFAULT_PROXY = false;
export const DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT = 50;
export const DEFAULT_BASTION = false;
export const DEFAULT_BASTION_INSTANCE_TYPE = "t4g.nano";
/** Pause delay when Serverless v2 may scale to 0 ACU and none is given (the AWS minimum). */
export const DEFAULT_SECONDS_UNTIL_AUTO_PAUSE = 300;
/** Performance Insights retention: 7 days is the free tier. */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;
/** Statements slower than this are logged (`log_min_duration_statement`). */
export const DEFAULT_LOG_MIN_DURATION_STATEMENT_MS = 1000;
/** Local port of the SSM port-forwarding command. */
export const PORT_FORWARD_LOCAL_PORT = 15432;
/** Length of RDS instance and cluster identifiers (AWS limit 63). */
export const MAX_DB_IDENTIFIER_LENGTH = 63;
/** Length of RDS Proxy names (AWS limit 60). */
export const MAX_PROXY_NAME_LENGTH = 60;

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/**
 * The options of the database: the `database` config object, and the plain part of
 * `Database`'s arguments. Every default and rule lives in {@link planDatabase}.
 */
export interface DatabaseOptions {
    /**
     * The engine: `postgres` (one RDS instance, Multi-AZ standby with `multiAz`),
     * `aurora-postgresql` (provisioned Aurora cluster) or `aurora-serverless` (Aurora
     * Serverless v2).
     * @example "postgres"
     */
    engine: DatabaseEngine;
    /**
     * PostgreSQL version: a major alone (`"16"`, RDS only: AWS picks the newest minor and
     * upgrades minors in the maintenance window, without drift in the stack) or MAJOR.MINOR
     * (`"16.6"`, required for Aurora: pinned, automatic minor upgrades off, change it here to
     * upgrade). The major picks the parameter group family (`postgres16` /
     * `aurora-postgresql16`); major upgrades are never applied implicitly.
     * @default - "16" for postgres, "16.6" for the Aurora engines
     * @example "17"
     */
    engineVersion?: string;
    /**
     * Instance class. Aurora Serverless v2 always uses `db.serverless`.
     * @default - "db.t4g.micro" for postgres, "db.t4g.medium" for aurora-postgresql, "db.serverless" for aurora-serverless
     * @example "db.m7g.large"
     */
    instanceClass?: string;
    /**
     * Initial gp3 storage in GiB (engine `postgres` only; ignored by Aurora, whose storage grows
     * by itself).
     * @default 20
     */
    allocatedStorageGb?: number;
    /**
     * Upper limit of storage autoscaling in GiB (engine `postgres` only; ignored by Aurora).
     * At least 10% above `allocatedStorageGb` (AWS rejects less). Autoscaling changes to the
     * allocated storage do not show as drift.
     * @default 100
     */
    maxAllocatedStorageGb?: number;
    /**
     * A synchronous standby in another AZ (RDS) or a reader in another AZ (Aurora).
     * @default false
     */
    multiAz?: boolean;
    /**
     * Production data safety. `true`: AWS deletion protection, a kept final snapshot with a
     * unique stable name, Pulumi `protect` on the instance / cluster and every cluster
     * instance, and changes applied in the maintenance window. `false` (dev): a destroy that
     * needs no manual step, and changes applied immediately.
     * @default true
     */
    deletionProtection?: boolean;
    /**
     * Days of automated backups (point-in-time recovery), 1 to 35.
     * @default 7
     */
    backupRetentionDays?: number;
    /**
     * Daily backup window, UTC (`hh:mm-hh:mm`, at least 30 minutes, not overlapping the
     * maintenance window).
     * @default "03:00-04:00"
     */
    backupWindow?: string;
    /**
     * Weekly maintenance window, UTC (`ddd:hh:mm-ddd:hh:mm`).
     * @default "sun:04:30-sun:05:30"
     */
    maintenanceWindow?: string;
    /**
     * Aurora Serverless v2 minimum capacity in ACUs (0 to 256 in steps of 0.5). 0 lets the
     * cluster pause when idle (needs a recent engine version; not with `proxy`).
     * @default 0.5
     */
    minCapacityAcu?: number;
    /**
     * Aurora Serverless v2 maximum capacity in ACUs (1 to 256 in steps of 0.5).
     * @default 4
     */
    maxCapacityAcu?: number;
    /**
     * Seconds of inactivity before an Aurora Serverless v2 cluster with `minCapacityAcu: 0`
     * pauses (300 to 86400). Only with `minCapacityAcu: 0`.
     * @default 300
     */
    secondsUntilAutoPause?: number;
    /**
     * IAM database authentication: the application logs in with short-lived IAM tokens
     * (`connection.iamConnectArn(appUsername)`) and no application password exists. When
     * false, a generated application password is stored in Secrets Manager
     * (`connection.appUserSecretArn`).
     * @default true
     */
    iamAuth?: boolean;
    /**
     * Customer-managed KMS key ARN for storage, the master secret, the application secret
     * and Performance Insights.
     * @default - the AWS-managed keys (aws/rds, aws/secretsmanager)
     * @example "arn:aws:kms:eu-west-1:123456789012:key/0b6c...-..."
     */
    kmsKeyArn?: pulumi.Input<string>;
    /**
     * Performance Insights with 7 days of retention (the free tier). Turned off automatically
     * for the micro and small burstable classes.
     * @default true
     */
    performanceInsights?: boolean;
    /**
     * Enhanced Monitoring interval in seconds (0 = off; 1, 5, 10, 15, 30 or 60). Creates a
     * monitoring role with the AWS-managed `AmazonRDSEnhancedMonitoringRole` policy.
     * @default 0
     */
    monitoringIntervalSeconds?: number;
    /**
     * Retention of the PostgreSQL log groups (`/aws/rds/instance/<id>/postgresql`, ...),
     * which the component declares before RDS would create them without retention.
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * The database created at launch.
     * @default "app"
     */
    databaseName?: string;
    /**
     * Master user name; its password is generated and rotated by RDS in Secrets Manager.
     * @default "app_admin"
     */
    masterUsername?: string;
    /**
     * RDS Proxy in front of the database (in the private subnets, TLS required). Clients then
     * connect to the proxy endpoint and `allowFrom` admits them to the proxy's security group;
     * admin clients (migrations) still connect to the database itself (`connection.adminHost`,
     * admitted with `connection.allowAdminFrom`).
     * @default false
     */
    proxy?: boolean;
    /**
     * Share of the database's `max_connections` the proxy may open (1 to 100).
     * @default 50
     */
    proxyMaxConnectionsPercent?: number;
    /**
     * A tiny EC2 bastion in a private subnet, reachable only through SSM Session Manager (no
     * inbound rule, no key pair), for port forwarding to the database.
     * @default false
     */
    bastion?: boolean;
    /**
     * Bastion instance type; Graviton types get the arm64 Amazon Linux 2023 AMI, others x86_64.
     * @default "t4g.nano"
     */
    bastionInstanceType?: string;
    /**
     * The least-privilege role the application logs in as (created by the migrations).
     * @default "app_user"
     */
    appUsername?: string;
    /**
     * Alarm thresholds; pass `settings.alarms`.
     * @default {} (each threshold's own default)
     */
    alarms?: DatabaseAlarmThresholds;
    /**
     * Create the database from a snapshot (`fromSnapshot`) or a point in time of another
     * database (`pointInTime: { source, time }`) instead of empty; for a new stack (a restore
     * rehearsal, or a stack whose database was lost: `confirmStack`). Every guarantee of a new
     * database holds (isolated subnets, its own security group, encryption, managed master
     * secret, TLS enforced, alarms, data safety). Once the database is created, editing or removing
     * it is no change (ignoreChanges); added to a stack whose database exists, it replaces it. Checked in `lib/restore-plan.ts`; see the README's disaster-recovery runbook.
     * @default - none: the database is created empty
     * @example { fromSnapshot: "private-app-prod-db-final-1a2b3c4d" }
     */
    restore?: RestoreOptions;
}

/**
 * What validation reads: the options, with the wiring of `Database` (which may be Outputs,
 * checked only when they are plain values) loosened to `unknown`.
 */
export type DatabasePlanInput = DatabaseOptions & {
    vpcId?: unknown;
    isolatedSubnetIds?: unknown;
    privateSubnetIds?: unknown;
    availabilityZones?: unknown;
    alarmTopicArn?: unknown;
    /** The time a point-in-time restore is compared with (ms since the epoch): the caller's `Date.now()`. */
    now?: number;
    /** The stack and project, when known: a restore checks the stack's name and its own identifier. */
    stack?: string;
    project?: string;
};

/** The arguments with every default resolved. */
export interface ResolvedDatabasePlan {
    engine: DatabaseEngine;
    engineVersion: string;
    major: number;
    /**
     * True when the version is a major alone: AWS then upgrades minors in the maintenance
     * window. A pinned MAJOR.MINOR turns automatic minor upgrades off, since the next
     * `pulumi up` after such an upgrade would try to go back to the pinned minor and fail.
     */
    autoMinorVersionUpgrade: boolean;
    instanceClass: string;
    allocatedStorageGb: number;
    maxAllocatedStorageGb: number;
    multiAz: boolean;
    deletionProtection: boolean;
    backupRetentionDays: number;
    backupWindow: string;
    maintenanceWindow: string;
    /** Serverless v2 scaling; undefined for the other engines. */
    scaling?: ServerlessScaling;
    iamAuth: boolean;
    performanceInsights: boolean;
    monitoringIntervalSeconds: number;
    logRetentionDays: number;
    databaseName: string;
    masterUsername: string;
    appUsername: string;
    proxy: boolean;
    proxyMaxConnectionsPercent: number;
    bastion: boolean;
    bastionInstanceType: string;
    alarms: AlarmThresholds;
    /** What the database is created from; undefined: created empty. */
    restore?: RestorePlan;
}

export interface ServerlessScaling {
    minCapacity: number;
    maxCapacity: number;
    /** Set only when `minCapacity` is 0 (scale to zero); AWS rejects it otherwise. */
    secondsUntilAutoPause?: number;
}

/** The thresholds every alarm uses, each resolved (derived ones computed). */

/** Names PostgreSQL or RDS reserve; a login role must not use them. */
export const RESERVED_USERNAMES = ["postgres", "rdsadmin", "rdsproxyadmin", "rds_superuser", "admin", "root", "public"];
const USERNAME = /^[a-z][a-z0-9_]{0,15}$/;
const DATABASE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const COMPONENT_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const VERSION = /^(\d{2})(?:\.(\d{1,2}))?$/;
const INSTANCE_CLASS = /^db\.[a-z0-9-]+\.[a-z0-9]+$/;
const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;

function versionParts(v: string): { major: number; minor?: number } | undefined {
    const m = VERSION.exec(v);
    return m ? { major: Number(m[1]), minor: m[2] === undefined ? undefined : Number(m[2]) } : undefined;
}

function versionAtLeast(v: { major: number; minor?: number }, table: Readonly<Record<number, number>>): boolean {
    const min = table[v.major];
    if (min === undefined) return v.major > Math.max(...Object.keys(table).map(Number));
    return v.minor !== undefined && v.minor >= min;
}

function tableText(table: Readonly<Record<number, number>>): string {
    return Object.entries(table)
        .map(([m, n]) => `${m}.${n}`)
        .join(", ");
}

export { minMaxAllocatedStorageGb };

const isWhole = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
const isHalfStep = (v: number) => Number.isFinite(v) && v * 2 === Math.round(v * 2);

/** A plain array of plain strings, or undefined when the value is (or holds) an Output. */
function plainStrings(v: unknown): string[] | undefined {
    if (!Array.isArray(v)) return undefined;
    return v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
}

/**
 * Validates the component's arguments and resolves the defaults. Returns every problem at
 * once, one line each (`<key>: got <value>; <constraint>. Fix: <how>`); the component
 * throws them before it declares any child.
 */
export function planDatabase(name: string, a: DatabasePlanInput): { plan?: ResolvedDatabasePlan; problems: Problem[] } {
    const problems: Problem[] = [];
    const bad = (key: string, got: unknown, constraint: string, fix: string) =>
        problems.push(problem(key, got, constraint, fix));

    if (!COMPONENT_NAME.test(name)) {
        bad(
            "name",
            name,
            "the component name must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter (RDS names derive from it)",
            'pass a name such as "db"',
        );
    }
    const engine = a.engine;
    if (!(DATABASE_ENGINES as readonly string[]).includes(engine)) {
        bad(
            "engine",
            engine,
            `expected one of ${DATABASE_ENGINES.join(", ")}`,
            'set engine to "postgres" (RDS) or an Aurora engine',
        );
    }
    const serverless = engine === "aurora-serverless";
    const aurora = engine === "aurora-postgresql" || serverless;

    // RDS takes a major alone (AWS picks and upgrades the minor, no drift); Aurora needs
    // MAJOR.MINOR and then changes minors only when the args change.
    const defaultVersion = aurora ? DEFAULT_AURORA_VERSION : DEFAULT_POSTGRES_VERSION;
    const engineVersion = a.engineVersion ?? defaultVersion;
    const version = versionParts(engineVersion);
    if (!version) {
        bad(
            "engineVersion",
            engineVersion,
            'expected MAJOR or MAJOR.MINOR such as "16" or "16.6"',
            `set engineVersion to "${defaultVersion}"`,
        );
    } else if (!(SUPPORTED_MAJORS as readonly number[]).includes(version.major)) {
        bad(
            "engineVersion",
            engineVersion,
            `supported PostgreSQL majors are ${SUPPORTED_MAJORS.join(", ")}`,
            `set engineVersion to "${defaultVersion}"`,
        );
    } else if (aurora && version.minor === undefined) {
        bad(
            "engineVersion",
            engineVersion,
            "Aurora needs MAJOR.MINOR (a major alone is for engine postgres)",
            `set engineVersion to "${DEFAULT_AURORA_VERSION}"`,
        );
    }

    // Instance class.
    let instanceClass: string;
    switch (engine) {
        case "aurora-serverless":
            instanceClass = "db.serverless";
            if (a.instanceClass !== undefined && a.instanceClass !== "db.serverless") {
                bad(
                    "instanceClass",
                    a.instanceClass,
                    "Aurora Serverless v2 instances are always db.serverless",
                    "remove instanceClass",
                );
            }
            break;
        case "aurora-postgresql":
            instanceClass = a.instanceClass ?? DEFAULT_INSTANCE_CLASS_AURORA;
            if (/\.(micro|small)$/.test(instanceClass) || instanceClass === "db.serverless") {
                bad(
                    "instanceClass",
                    instanceClass,
                    "Aurora PostgreSQL needs db.t4g.medium or larger (db.serverless is for engine aurora-serverless)",
                    "set instanceClass to db.t4g.medium",
                );
            }
            break;
        case "postgres":
        default:
            instanceClass = a.instanceClass ?? DEFAULT_INSTANCE_CLASS_RDS;
            if (instanceClass === "db.serverless") {
                bad(
                    "instanceClass",
                    instanceClass,
                    "db.serverless is for engine aurora-serverless",
                    "choose a class such as db.t4g.micro",
                );
            }
            break;
    }
    if (instanceClass !== "db.serverless" && !INSTANCE_CLASS.test(instanceClass)) {
        bad(
            "instanceClass",
            instanceClass,
            'expected an RDS instance class starting with "db." such as db.t4g.micro',
            'prefix the class with "db."',
        );
    }

    // Storage (RDS only).
    const allocatedStorageGb = a.allocatedStorageGb ?? DEFAULT_ALLOCATED_STORAGE_GB;
    const maxAllocatedStorageGb = a.maxAllocatedStorageGb ?? DEFAULT_MAX_ALLOCATED_STORAGE_GB;
    // Aurora's storage grows by itself: a size given for it is a mistake.
    if (aurora) {
        for (const k of ["allocatedStorageGb", "maxAllocatedStorageGb"] as const) {
            if (a[k] !== undefined)
                bad(k, a[k], "applies only to engine postgres (Aurora storage grows by itself)", `remove ${k}`);
        }
    } else {
        if (!isWhole(allocatedStorageGb, 20, 65536))
            bad(
                "allocatedStorageGb",
                allocatedStorageGb,
                "expected a whole number of GiB from 20 to 65536 (gp3)",
                "set allocatedStorageGb to 20",
            );
        if (!isWhole(maxAllocatedStorageGb, 20, 65536))
            bad(
                "maxAllocatedStorageGb",
                maxAllocatedStorageGb,
                "expected a whole number of GiB from 20 to 65536",
                "set maxAllocatedStorageGb to 100",
            );
        else if (
            isWhole(allocatedStorageGb, 20, 65536) &&
            maxAllocatedStorageGb < minMaxAllocatedStorageGb(allocatedStorageGb)
        ) {
            const least = minMaxAllocatedStorageGb(allocatedStorageGb);
            bad(
                "maxAllocatedStorageGb",
                maxAllocatedStorageGb,
                `storage autoscaling needs a limit at least 10% above allocatedStorageGb (${allocatedStorageGb}), i.e. ${least} or more; AWS rejects a smaller one`,
                least <= 65536
                    ? `raise maxAllocatedStorageGb to ${least} or more`
                    : "lower allocatedStorageGb to at most 59578 (65536 / 1.1)",
            );
        }
    }

    // Serverless v2 capacity.
    let scaling: ServerlessScaling | undefined;
    if (serverless) {
        const min = a.minCapacityAcu ?? DEFAULT_MIN_ACU;
        const max = a.maxCapacityAcu ?? DEFAULT_MAX_ACU;
        if (!(min >= 0 && min <= 256 && isHalfStep(min)))
            bad(
                "minCapacityAcu",
                min,
                "expected 0 to 256 ACUs in steps of 0.5",
                `set minCapacityAcu to ${DEFAULT_MIN_ACU}`,
            );
        if (!(max >= 1 && max <= 256 && isHalfStep(max)))
            bad(
                "maxCapacityAcu",
                max,
                "expected 1 to 256 ACUs in steps of 0.5",
                `set maxCapacityAcu to ${DEFAULT_MAX_ACU}`,
            );
        if (min > max)
            bad(
                "minCapacityAcu",
                min,
                `must not exceed maxCapacityAcu (${max})`,
                `lower minCapacityAcu to ${max} or raise maxCapacityAcu`,
            );
        // (A major alone is already reported above for Aurora.)
        if (version?.minor !== undefined && !versionAtLeast(version, SERVERLESS_V2_MIN_VERSION)) {
            bad(
                "engineVersion",
                engineVersion,
                `Aurora Serverless v2 needs at least ${tableText(SERVERLESS_V2_MIN_VERSION)}`,
                "raise engineVersion",
            );
        }
        if (min === 0) {
            if (version?.minor !== undefined && !versionAtLeast(version, AUTO_PAUSE_MIN_VERSION)) {
                bad(
                    "minCapacityAcu",
                    0,
                    `0 ACUs (auto-pause) needs engine version at least ${tableText(AUTO_PAUSE_MIN_VERSION)}; engineVersion is ${engineVersion}`,
                    "set minCapacityAcu to 0.5 or raise engineVersion",
                );
            }
            if (a.proxy) {
                bad(
                    "proxy",
                    true,
                    "RDS Proxy keeps connections open, so an auto-pausing (0 ACU) cluster would never pause",
                    "set minCapacityAcu to 0.5 or proxy to false",
                );
            }
        }
        if (a.secondsUntilAutoPause !== undefined) {
            if (min !== 0)
                bad(
                    "secondsUntilAutoPause",
                    a.secondsUntilAutoPause,
                    "applies only when minCapacityAcu is 0",
                    "remove secondsUntilAutoPause",
                );
            else if (!isWhole(a.secondsUntilAutoPause, 300, 86400))
                bad(
                    "secondsUntilAutoPause",
                    a.secondsUntilAutoPause,
                    "expected a whole number of seconds from 300 to 86400",
                    `set secondsUntilAutoPause to ${DEFAULT_SECONDS_UNTIL_AUTO_PAUSE}`,
                );
        }
        scaling = serverlessScaling(min, max, a.secondsUntilAutoPause);
    } else {
        for (const k of ["minCapacityAcu", "maxCapacityAcu", "secondsUntilAutoPause"] as const) {
            if (a[k] !== undefined)
                bad(k, a[k], `applies only to engine aurora-serverless (engine is ${engine})`, `remove ${k}`);
        }
    }

    // Backups and windows.
    const backupRetentionDays = a.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
    if (!isWhole(backupRetentionDays, 1, 35)) {
        bad(
            "backupRetentionDays",
            backupRetentionDays,
            "expected a whole number of days from 1 to 35 (0 would turn automated backups off)",
            `set backupRetentionDays to ${DEFAULT_BACKUP_RETENTION_DAYS}`,
        );
    }
    const backupWindow = a.backupWindow ?? DEFAULT_BACKUP_WINDOW;
    const maintenanceWindow = a.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
    const backup = parseDailyWindow(backupWindow);
    const maintenance = parseWeeklyWindow(maintenanceWindow);
    if (!backup)
        bad(
            "backupWindow",
            backupWindow,
            "expected a UTC window hh:mm-hh:mm of at least 30 minutes",
            `set backupWindow to "${DEFAULT_BACKUP_WINDOW}"`,
        );
    if (!maintenance)
        bad(
            "maintenanceWindow",
            maintenanceWindow,
            "expected a UTC window ddd:hh:mm-ddd:hh:mm of 30 minutes to 24 hours",
            `set maintenanceWindow to "${DEFAULT_MAINTENANCE_WINDOW}"`,
        );
    if (backup && maintenance && windowsOverlap(backup, maintenance)) {
        bad(
            "maintenanceWindow",
            maintenanceWindow,
            `must not overlap the daily backupWindow (${backupWindow}); AWS rejects overlapping windows`,
            "move one of the two windows",
        );
    }

    // Options with a fixed set of values.
    const monitoringIntervalSeconds = a.monitoringIntervalSeconds ?? DEFAULT_MONITORING_INTERVAL_SECONDS;
    if (!(MONITORING_INTERVALS as readonly number[]).includes(monitoringIntervalSeconds)) {
        bad(
            "monitoringIntervalSeconds",
            monitoringIntervalSeconds,
            `expected one of ${MONITORING_INTERVALS.join(", ")} (0 = off)`,
            "set monitoringIntervalSeconds to 0 or 60",
        );
    }
    const logRetentionDays = a.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
        bad(
            "logRetentionDays",
            logRetentionDays,
            `expected a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(", ")}`,
            `set logRetentionDays to ${DEFAULT_LOG_RETENTION_DAYS}`,
        );
    }
    const proxyMaxConnectionsPercent = a.proxyMaxConnectionsPercent ?? DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT;
    if (!isWhole(proxyMaxConnectionsPercent, 1, 100)) {
        bad(
            "proxyMaxConnectionsPercent",
            proxyMaxConnectionsPercent,
            "expected a whole percentage from 1 to 100",
            `set proxyMaxConnectionsPercent to ${DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT}`,
        );
    }
    const bastionInstanceType = a.bastionInstanceType ?? DEFAULT_BASTION_INSTANCE_TYPE;
    if (!EC2_INSTANCE_TYPE.test(bastionInstanceType) || bastionInstanceType.startsWith("db.")) {
        bad(
            "bastionInstanceType",
            bastionInstanceType,
            "expected an EC2 instance type such as t4g.nano",
            `set bastionInstanceType to "${DEFAULT_BASTION_INSTANCE_TYPE}"`,
        );
    }
    if (typeof a.kmsKeyArn === "string" && !KMS_KEY_ARN.test(a.kmsKeyArn)) {
        bad(
            "kmsKeyArn",
            a.kmsKeyArn,
            "expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<uuid>), not an alias or key id",
            "pass the key's ARN",
        );
    }

    // Names.
    const databaseName = a.databaseName ?? DEFAULT_DATABASE_NAME;
    if (!DATABASE_NAME.test(databaseName) || databaseName === "postgres" || databaseName === "rdsadmin") {
        bad(
            "databaseName",
            databaseName,
            "expected 1 to 63 lower-case letters, digits or _ starting with a letter, not postgres or rdsadmin",
            `set databaseName to "${DEFAULT_DATABASE_NAME}"`,
        );
    }
    const masterUsername = a.masterUsername ?? DEFAULT_MASTER_USERNAME;
    const appUsername = a.appUsername ?? DEFAULT_APP_USERNAME;
    for (const [key, value, fallback] of [
        ["masterUsername", masterUsername, DEFAULT_MASTER_USERNAME],
        ["appUsername", appUsername, DEFAULT_APP_USERNAME],
    ] as const) {
        if (!USERNAME.test(value))
            bad(
                key,
                value,
                "expected 1 to 16 lower-case letters, digits or _ starting with a letter",
                `set ${key} to "${fallback}"`,
            );
        else if (RESERVED_USERNAMES.includes(value) || value.startsWith("rds") || value.startsWith("pg_")) {
            bad(key, value, "is reserved by PostgreSQL or RDS", `set ${key} to "${fallback}"`);
        }
    }
    if (masterUsername === appUsername) {
        bad(
            "appUsername",
            appUsername,
            "must differ from masterUsername (the application must not log in as the master user)",
            `set appUsername to "${DEFAULT_APP_USERNAME}"`,
        );
    }

    // Networking (checked when the ids are plain values).
    const isolated = plainStrings(a.isolatedSubnetIds);
    const privateIds = plainStrings(a.privateSubnetIds);
    if (isolated) {
        if (new Set(isolated).size < 2)
            bad(
                "isolatedSubnetIds",
                isolated,
                "a DB subnet group needs at least 2 distinct subnets in different AZs",
                "pass one isolated subnet per AZ",
            );
        if (new Set(isolated).size !== isolated.length)
            bad("isolatedSubnetIds", isolated, "subnet ids must be distinct", "remove the duplicates");
    }
    if ((a.proxy || a.bastion) && privateIds && privateIds.length === 0) {
        bad(
            "privateSubnetIds",
            privateIds,
            "the proxy and the bastion run in private subnets; none were given",
            "pass the private subnet ids",
        );
    }
    if (a.proxy && privateIds && new Set(privateIds).size < 2) {
        bad(
            "privateSubnetIds",
            privateIds,
            "RDS Proxy needs subnets in at least 2 AZs",
            "pass one private subnet per AZ",
        );
    }
    if (isolated && privateIds) {
        const shared = privateIds.filter((id) => isolated.includes(id));
        if (shared.length > 0)
            bad(
                "isolatedSubnetIds",
                shared,
                "these subnets are also listed in privateSubnetIds; the database needs the isolated tier only",
                "pass the isolated subnets (no route to the internet)",
            );
    }
    const azs = plainStrings(a.availabilityZones);
    if (azs && aurora && (a.multiAz ?? DEFAULT_MULTI_AZ) && new Set(azs).size < 2) {
        bad(
            "availabilityZones",
            azs,
            "a reader in another AZ needs at least 2 distinct AZs",
            "pass the AZs of the isolated subnets, or omit availabilityZones",
        );
    }
    // Wiring is checked when given (the component always gives it; the stack config has none).
    if ("alarmTopicArn" in a && (a.alarmTopicArn === "" || a.alarmTopicArn === undefined)) {
        bad("alarmTopicArn", a.alarmTopicArn, "alarms need an SNS topic", "pass AlarmTopic.topicArn");
    }

    // Alarm thresholds: given, or derived from the instance class (or ACUs) and the storage.
    const minAcu = a.minCapacityAcu ?? DEFAULT_MIN_ACU;
    const maxAcu = a.maxCapacityAcu ?? DEFAULT_MAX_ACU;
    const alarms = planAlarmThresholds(a.alarms ?? {}, {
        engine,
        instanceClass,
        allocatedStorageGb: a.allocatedStorageGb ?? DEFAULT_ALLOCATED_STORAGE_GB,
        minAcu,
        maxAcu,
        proxy: a.proxy ?? DEFAULT_PROXY,
        proxyMaxConnectionsPercent,
    });
    // A threshold that cannot be derived from an unlisted class is worth a line only when the
    // class itself is valid (an invalid one already has its own).
    const classOk = !problems.some((p) => p.key === "instanceClass" || p.key === "engine");
    problems.push(...alarms.problems.filter((p) => classOk || p.given !== undefined));

    // Restore: a snapshot or a point in time (its own module).
    const deletionProtection = a.deletionProtection ?? DEFAULT_DELETION_PROTECTION;
    let restore: RestorePlan | undefined;
    if (a.restore !== undefined && (DATABASE_ENGINES as readonly string[]).includes(engine)) {
        const r = planRestore(a.restore, {
            engine,
            now: a.now ?? Date.now(),
            stack: a.stack,
            project: a.project,
            identifier:
                a.project !== undefined && a.stack !== undefined
                    ? physicalIdentifier(a.project, a.stack, name)
                    : undefined,
            deletionProtection,
        });
        problems.push(...r.problems);
        restore = r.plan;
    }

    if (problems.length > 0 || !version) return { problems };
    return {
        problems,
        plan: {
            engine,
            engineVersion,
            major: version.major,
            autoMinorVersionUpgrade: version.minor === undefined,
            instanceClass,
            allocatedStorageGb,
            maxAllocatedStorageGb,
            multiAz: a.multiAz ?? DEFAULT_MULTI_AZ,
            deletionProtection,
            backupRetentionDays,
            backupWindow,
            maintenanceWindow,
            scaling,
            iamAuth: a.iamAuth ?? DEFAULT_IAM_AUTH,
            performanceInsights: a.performanceInsights ?? DEFAULT_PERFORMANCE_INSIGHTS,
            monitoringIntervalSeconds,
            logRetentionDays,
            databaseName,
            masterUsername,
            appUsername,
            proxy: a.proxy ?? DEFAULT_PROXY,
            proxyMaxConnectionsPercent,
            bastion: a.bastion ?? DEFAULT_BASTION,
            bastionInstanceType,
            alarms: alarms.thresholds,
            ...(restore ? { restore } : {}),
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Maintenance and backup windows
// ---------------------------------------------------------------------------------------------
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const WEEK = 7 * 24 * 60;

/** A daily window as [start, end) minutes of the day; end may exceed 1440 when it wraps. */
export function parseDailyWindow(w: string): { start: number; end: number } | undefined {
    const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(w);
    if (!m) return undefined;
    const start = Number(m[1]) * 60 + Number(m[2]);
    let end = Number(m[3]) * 60 + Number(m[4]);
    if (end <= start) end += 24 * 60;
    return end - start >= 30 ? { start, end } : undefined;
}

/** A weekly window as [start, end) minutes of the week (Monday 00:00 = 0); end may exceed a week. */
export function parseWeeklyWindow(w: string): { start: number; end: number } | undefined {
    const m =
        /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$/.exec(
            w,
        );
    if (!m) return undefined;
    const at = (d: string, h: string, mi: string) =>
        DAYS.indexOf(d as (typeof DAYS)[number]) * 1440 + Number(h) * 60 + Number(mi);
    const start = at(m[1], m[2], m[3]);
    let end = at(m[4], m[5], m[6]);
    if (end <= start) end += WEEK;
    const length = end - start;
    return length >= 30 && length <= 24 * 60 ? { start, end } : undefined;
}

/** True when the weekly maintenance window overlaps the daily backup window on any day. */
export function windowsOverlap(
    backup: { start: number; end: number },
    maintenance: { start: number; end: number },
): boolean {
    // Compare on two consecutive weeks so that wrapping intervals need no special case.
    for (let day = -1; day <= 14; day++) {
        const bs = day * 1440 + backup.start;
        const be = day * 1440 + backup.end;
        for (const shift of [0, WEEK]) {
            const ms = maintenance.start + shift;
            const me = maintenance.end + shift;
            if (bs < me && ms < be) return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Engine-dependent choices
// ---------------------------------------------------------------------------------------------
/** True for the two Aurora engines (a cluster plus cluster instances). */
export function isAurora(engine: DatabaseEngine): boolean {
    switch (engine) {
        case "postgres":
            return false;
        case "aurora-postgresql":
        case "aurora-serverless":
            return true;
    }
}

/** The parameter group family: `postgres16` for RDS, `aurora-postgresql16` for Aurora. */
export function parameterGroupFamily(engine: DatabaseEngine, engineVersion: string): string {
    const v = versionParts(engineVersion);
    if (!v)
        throw new Error(
            `parameterGroupFamily: engineVersion must be MAJOR or MAJOR.MINOR (got ${show(engineVersion)})`,
        );
    return isAurora(engine) ? `aurora-postgresql${v.major}` : `postgres${v.major}`;
}

/** The `engine` value AWS expects. */
export function awsEngine(engine: DatabaseEngine): "postgres" | "aurora-postgresql" {
    return isAurora(engine) ? "aurora-postgresql" : "postgres";
}

export interface DbParameter {
    name: string;
    value: string;
    /** `immediate` for dynamic parameters, `pending-reboot` for static ones (AWS rejects `immediate` there). */
    applyMethod: "immediate" | "pending-reboot";
}

/**
 * Server parameters: TLS enforced and useful logging. The parameter group is attached when
 * the database is created, so every value holds from the first boot whatever its apply method.
 *
 * `rds.force_ssl` is static on some RDS for PostgreSQL families (13, 14), where AWS rejects
 * `immediate` ("cannot use immediate apply method for static parameter"); `pending-reboot`
 * is valid for static and dynamic parameters alike (RDS API, `Parameter.ApplyMethod`), so it
 * is used for every engine and version. The logging parameters are dynamic everywhere.
 */
export function dbParameters(logMinDurationStatementMs: number = DEFAULT_LOG_MIN_DURATION_STATEMENT_MS): DbParameter[] {
    return [
        // Reject every connection that does not use TLS (the default on RDS 15+ but not on
        // Aurora or older majors; set it explicitly everywhere).
        { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
        { name: "log_min_duration_statement", value: String(logMinDurationStatementMs), applyMethod: "immediate" },
        { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
        { name: "log_temp_files", value: "10240", applyMethod: "immediate" },
    ];
}

/** CloudWatch Logs exports: `postgresql` everywhere, plus `upgrade` for an RDS instance. */
export function logExports(engine: DatabaseEngine): string[] {
    return isAurora(engine) ? ["postgresql"] : ["postgresql", "upgrade"];
}

/**
 * The log groups RDS writes the exports to. RDS creates them itself without retention, so
 * the component declares them first (with retention), which needs the identifier up front.
 */
export function logGroupNames(engine: DatabaseEngine, identifier: string): string[] {
    const kind = isAurora(engine) ? "cluster" : "instance";
    return logExports(engine).map((log) => `/aws/rds/${kind}/${identifier}/${log}`);
}

/**
 * Whether Performance Insights can be turned on for an instance class. AWS rejects it on
 * the smallest burstable classes (micro and small of t2, t3, t4g) for several engines; we
 * never risk a failed create on the dev default (db.t4g.micro) and turn it off there.
 * `db.serverless` and every other class support it.
 */
export function performanceInsightsSupported(instanceClass: string): boolean {
    return !/^db\.t\d+g?\.(micro|small)$/.test(instanceClass);
}

/** Serverless v2 scaling block; `secondsUntilAutoPause` only with a 0 ACU minimum. */
export function serverlessScaling(
    minCapacity: number,
    maxCapacity: number,
    secondsUntilAutoPause?: number,
): ServerlessScaling {
    return minCapacity === 0
        ? { minCapacity, maxCapacity, secondsUntilAutoPause: secondsUntilAutoPause ?? DEFAULT_SECONDS_UNTIL_AUTO_PAUSE }
        : { minCapacity, maxCapacity };
}

export interface ClusterInstancePlan {
    /** Logical-name suffix; stable (never depends on cosmetic options). */
    role: "writer" | "reader";
    instanceClass: string;
    /**
     * Failover priority (0 = highest). The reader gets tier 1: first in line for failover,
     * and on Serverless v2 tiers 0 and 1 scale with the writer, so it can take over at full size.
     */
    promotionTier: number;
    /** Index into `availabilityZones` when given (writer 0, reader 1). */
    azIndex: number;
}

/** Aurora cluster instances: a writer, plus a reader when `multiAz`. */
export function clusterInstancePlan(
    engine: DatabaseEngine,
    instanceClass: string,
    multiAz: boolean,
): ClusterInstancePlan[] {
    switch (engine) {
        case "postgres":
            return [];
        case "aurora-postgresql":
        case "aurora-serverless": {
            const cls = engine === "aurora-serverless" ? "db.serverless" : instanceClass;
            const writer: ClusterInstancePlan = { role: "writer", instanceClass: cls, promotionTier: 0, azIndex: 0 };
            return multiAz ? [writer, { role: "reader", instanceClass: cls, promotionTier: 1, azIndex: 1 }] : [writer];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Data safety
// ---------------------------------------------------------------------------------------------
export interface DataSafety {
    /** AWS-side deletion protection on the instance / cluster. */
    deletionProtection: boolean;
    /** Pulumi `protect` on the instance, the cluster and every cluster instance. */
    protect: boolean;
    /** False in prod: a final snapshot is kept (with a unique, stable identifier). */
    skipFinalSnapshot: boolean;
    /** False in prod: changes wait for the maintenance window. */
    applyImmediately: boolean;
    /** False in prod: automated backups are kept after the database is deleted. */
    deleteAutomatedBackups: boolean;
    /** Secrets Manager recovery window of the secrets the component creates. */
    secretRecoveryWindowDays: number;
}

/**
 * Everything `deletionProtection` decides. Prod (true): deletion protection, `protect`,
 * a kept final snapshot, changes in the maintenance window. Dev (false): a destroy that
 * needs no manual step.
 */
export function dataSafety(deletionProtection: boolean): DataSafety {
    return deletionProtection
        ? {
              deletionProtection: true,
              protect: true,
              skipFinalSnapshot: false,
              applyImmediately: false,
              deleteAutomatedBackups: false,
              secretRecoveryWindowDays: 30,
          }
        : {
              deletionProtection: false,
              protect: false,
              skipFinalSnapshot: true,
              applyImmediately: true,
              deleteAutomatedBackups: true,
              secretRecoveryWindowDays: 7,
          };
}

// ---------------------------------------------------------------------------------------------
// Physical names
// ---------------------------------------------------------------------------------------------
/** FNV-1a, 32 bits, as 8 hex digits (a short, stable disambiguator for truncated names). */
function shortHash(s: string): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
}

/**
 * A physical identifier `<project>-<stack>-<name>` that RDS accepts: lower-case letters,
 * digits and single hyphens, starting with a letter, not ending with a hyphen, at most
 * `maxLength` characters (a truncated name ends with a hash of the full one, so two long
 * names stay distinct). Project and stack keep it from colliding across stacks in one
 * account and region; it never changes with a cosmetic option.
 */
export function physicalIdentifier(
    project: string,
    stack: string,
    name: string,
    maxLength: number = MAX_DB_IDENTIFIER_LENGTH,
): string {
    const clean = (s: string) =>
        s
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, "-")
            .replace(/^-+|-+$/g, "");
    let id = [project, stack, name]
        .map(clean)
        .filter((p) => p.length > 0)
        .join("-");
    if (!/^[a-z]/.test(id)) id = `db-${id}`;
    id = id.replace(/-+$/, "");
    if (id.length > maxLength) {
        const hash = shortHash([project, stack, name].join("\u0000"));
        id = `${id.slice(0, maxLength - hash.length - 1).replace(/-+$/, "")}-${hash}`;
    }
    return id;
}

/**
 * The final snapshot identifier: `<identifier>-final-<suffix>`, where the suffix comes from
 * a `random.RandomId` created once with the database, so it is stable across updates and
 * differs from any snapshot an earlier incarnation of the stack left behind.
 */
export function finalSnapshotIdentifier(identifier: string, suffix: string): string {
    return `${identifier}-final-${suffix}`;
}

// ---------------------------------------------------------------------------------------------
// Client admission (connection.allowFrom / allowAdminFrom)
// ---------------------------------------------------------------------------------------------
/** How a client is admitted: through the client path (the proxy when on) or straight to the database. */
export type AdmissionPath = "client" | "admin";

/** A client name as `allowFrom` / `allowAdminFrom` take it: it names the rule resource. */
export function validClientName(clientName: string): boolean {
    return /^[a-z0-9][a-z0-9-]{0,39}$/.test(clientName);
}

/**
 * Logical name of the ingress rule that admits `client` on `path`. The client path keeps its
 * historical name (`<component>-allow-<client>`). The admin path has its own rule on the
 * database's group only behind a proxy (`<component>-admin-<client>`); without a proxy both
 * paths end at the same group, where AWS rejects a duplicate rule, so they share the
 * client path's rule and name.
 */
export function admissionRuleName(component: string, client: string, path: AdmissionPath, proxied: boolean): string {
    return path === "admin" && proxied ? `${component}-admin-${client}` : `${component}-allow-${client}`;
}

// ---------------------------------------------------------------------------------------------
// IAM and the bastion
// ---------------------------------------------------------------------------------------------
/** The resource id in an RDS Proxy ARN (`arn:aws:rds:<region>:<account>:db-proxy:prx-...` → `prx-...`). */
export function proxyResourceId(proxyArn: string): string {
    return proxyArn.slice(proxyArn.lastIndexOf(":") + 1);
}

/** `arn:<partition>:rds-db:<region>:<account>:dbuser:<resource-id>/<user>`, the `rds-db:connect` resource. */
export function rdsDbConnectArn(
    partition: string,
    region: string,
    account: string,
    resourceId: string,
    username: string,
): string {
    return `arn:${partition}:rds-db:${region}:${account}:dbuser:${resourceId}/${username}`;
}

/** Whether a login name can appear in an `rds-db:connect` ARN (checked before any Output is built). */
export function validDbUsername(username: string): boolean {
    return USERNAME.test(username);
}

/**
 * The public SSM parameter with the latest Amazon Linux 2023 AMI for the bastion's
 * architecture: Graviton families (t4g, m7g, c6gn, ...) get arm64, the others x86_64.
 */
export function bastionAmiParameter(instanceType: string): string {
    const family = instanceType.split(".")[0];
    // Graviton 2+ families carry a "g" after the generation (t4g, m7gd, c6gn, im4gn, ...);
    // a1 is the first-generation Graviton family and has none.
    const arm = family === "a1" || /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family);
    return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arm ? "arm64" : "x86_64"}`;
}

/**
 * The command that forwards `localhost:<localPort>` to the database through the bastion
 * (Session Manager; no inbound rule, no key pair). Used in the README and as a stack output.
 */
export function portForwardCommand(
    bastionInstanceId: string,
    dbHost: string,
    localPort: number = PORT_FORWARD_LOCAL_PORT,
    remotePort: number = DB_PORT,
): string {
    const parameters = JSON.stringify({
        host: [dbHost],
        portNumber: [String(remotePort)],
        localPortNumber: [String(localPort)],
    });
    return `aws ssm start-session --target ${bastionInstanceId} --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters '${parameters}'`;
}
