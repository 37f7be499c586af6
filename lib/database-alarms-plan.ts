/**
 * Pure planning of the database's alarms: their thresholds (given in the `alarms` config object,
 * or derived from the instance class, the ACU range and the proxy's share) and the alarm specs
 * `Database` declares. No Pulumi resource declarations.
 */
import { AlarmSpec } from "./alarm-spec";
import {
    defaultMaxConnections,
    GIB_PER_ACU,
    instanceClassMemoryGib,
    serverlessMaxConnections,
} from "./db-instance-classes";
import { Problem, problem } from "./problems";

type DatabaseEngine = "postgres" | "aurora-postgresql" | "aurora-serverless";

const isWhole = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/** Alarm thresholds (the `alarms` config keys of the same names). */
export const DEFAULT_ALARM_DB_CPU_PERCENT = 80;
/** Aurora provisioned: the writer's local (temporary) storage; RDS derives its threshold from the allocated storage. */
export const DEFAULT_ALARM_DB_FREE_STORAGE_MB = 2048;
/** RDS: alarm when free storage falls below this share of `allocatedStorageGb`. */
export const DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT = 10;
/** Alarm when more than this share of the instance's memory (max ACU memory on Serverless v2) is in use. */
export const DEFAULT_ALARM_DB_MEMORY_USED_PERCENT = 85;
/** Alarm when connections exceed this share of the estimated `max_connections`. */
export const DEFAULT_ALARM_DB_CONNECTIONS_PERCENT = 80;
/** With a proxy, the threshold stays at least this many points above the share the proxy may hold. */
export const PROXY_CONNECTIONS_HEADROOM_PERCENT = 10;
/** ... and never above this share of `max_connections` (an alarm at 100% would never fire). */
export const MAX_ALARM_DB_CONNECTIONS_PERCENT = 95;
export const DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS = 1000;
/** Aurora Serverless v2: alarm when the writer uses more than this share of its max ACUs. */
export const ACU_UTILIZATION_ALARM_PERCENT = 90;

/** Alarm thresholds: the `alarms` config keys of the same name. */
export interface DatabaseAlarmThresholds {
    /**
     * Alarm when the database (the writer on Aurora) averages more CPU than this, in percent,
     * for 15 minutes.
     * @default 80
     */
    dbCpuPercent?: number;
    /**
     * RDS (`postgres`): alarm when FreeStorageSpace falls below this share of
     * `allocatedStorageGb`, in percent (storage autoscaling may have reached
     * `maxAllocatedStorageGb`). Not with `dbFreeStorageMb`.
     * @default 10
     */
    dbFreeStoragePercent?: number;
    /**
     * Free storage threshold in MB: Aurora provisioned, the writer's FreeLocalStorage
     * (temporary files); RDS, FreeStorageSpace instead of `dbFreeStoragePercent`. Not used by
     * Aurora Serverless v2, which alarms on ACUUtilization above 90% instead.
     * @default - 2048 for aurora-postgresql; for postgres, dbFreeStoragePercent of allocatedStorageGb
     */
    dbFreeStorageMb?: number;
    /**
     * Alarm when more than this share of the memory is in use (FreeableMemory below the rest)
     * for 15 minutes: the instance class's memory, or on Serverless v2 the memory of
     * `maxCapacityAcu` (2 GiB per ACU). Not with `dbFreeableMemoryMb`.
     * @default 85
     */
    dbMemoryUsedPercent?: number;
    /**
     * Alarm when FreeableMemory falls below this many MB, instead of `dbMemoryUsedPercent`;
     * required for an instance class whose memory `lib/db-instance-classes.ts` does not list.
     * @default - (100 - dbMemoryUsedPercent)% of the class's memory
     */
    dbFreeableMemoryMb?: number;
    /**
     * Alarm when the database has more connections than this for 10 minutes.
     * The default derives from PostgreSQL's default `max_connections` for the instance class
     * (`LEAST({DBInstanceClassMemory/9531392},5000)`) or, on Serverless v2, AWS's table for
     * `maxCapacityAcu`: 80% of it, and with `proxy` at least 10 points above
     * `proxyMaxConnectionsPercent` (at most 95%), so a proxy using its share never alarms.
     * Required for an instance class whose memory `lib/db-instance-classes.ts` does not list.
     * @default - 80% of the estimated max_connections (see above)
     */
    dbConnections?: number;
    /**
     * Alarm when the RDS Proxy has more client connections than this for 10 minutes (only
     * with `proxy`).
     * @default 1000
     */
    proxyClientConnections?: number;
}

export interface AlarmThresholds {
    dbCpuPercent: number;
    dbFreeStoragePercent: number;
    /** FreeStorageSpace (postgres) or FreeLocalStorage (aurora-postgresql) threshold, MB. */
    dbFreeStorageMb: number;
    dbMemoryUsedPercent: number;
    /** FreeableMemory threshold, MB. */
    dbFreeableMemoryMb: number;
    dbConnections: number;
    proxyClientConnections: number;
}

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------
export type { AlarmSpec };

export interface AlarmTargets {
    /** RDS instance identifier (engine postgres). */
    instanceIdentifier?: string;
    /** Aurora cluster identifier. */
    clusterIdentifier?: string;
    /** RDS Proxy name, when the proxy is on. */
    proxyName?: string;
}

/** What the derived thresholds depend on. */
export interface AlarmBasis {
    engine: string;
    instanceClass: string;
    allocatedStorageGb: number;
    minAcu: number;
    maxAcu: number;
    proxy: boolean;
    proxyMaxConnectionsPercent: number;
}

/**
 * The memory the FreeableMemory alarm and the connection estimate start from: the instance
 * class's (`lib/db-instance-classes.ts`), or on Serverless v2 that of `maxCapacityAcu`: AWS
 * reports Serverless v2's FreeableMemory as the memory unused when the instance is scaled to its
 * maximum capacity (Aurora User Guide, "Performance and scaling for Aurora Serverless v2",
 * Important Amazon CloudWatch metrics,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html).
 * Undefined for a class the table does not list.
 */
export function alarmMemoryGib(b: Pick<AlarmBasis, "engine" | "instanceClass" | "maxAcu">): number | undefined {
    return b.engine === "aurora-serverless" ? b.maxAcu * GIB_PER_ACU : instanceClassMemoryGib(b.instanceClass);
}

/** PostgreSQL's default `max_connections` for the class (or the ACU range); undefined for an unlisted class. */
export function estimatedMaxConnections(
    b: Pick<AlarmBasis, "engine" | "instanceClass" | "minAcu" | "maxAcu">,
): number | undefined {
    if (b.engine === "aurora-serverless") return serverlessMaxConnections(b.minAcu, b.maxAcu);
    const gib = instanceClassMemoryGib(b.instanceClass);
    return gib === undefined ? undefined : defaultMaxConnections(gib);
}

/**
 * Share of `max_connections` the connections alarm fires above: 80%, and with a proxy at least
 * 10 points above the share the proxy may open (`proxyMaxConnectionsPercent`), at most 95%.
 */
export function connectionsAlarmPercent(proxy: boolean, proxyMaxConnectionsPercent: number): number {
    if (!proxy) return DEFAULT_ALARM_DB_CONNECTIONS_PERCENT;
    return Math.max(
        DEFAULT_ALARM_DB_CONNECTIONS_PERCENT,
        Math.min(MAX_ALARM_DB_CONNECTIONS_PERCENT, proxyMaxConnectionsPercent + PROXY_CONNECTIONS_HEADROOM_PERCENT),
    );
}

/**
 * Resolves the alarm thresholds: the given ones checked, the others derived. Problems carry
 * `alarms.<key>` keys (the stack config prints them under `private-app:alarms`).
 */
export function planAlarmThresholds(
    given: DatabaseAlarmThresholds,
    b: AlarmBasis,
): { thresholds: AlarmThresholds; problems: Problem[] } {
    const problems: Problem[] = [];
    const bad = (key: string, got: unknown, allowed: string, fix: string) =>
        problems.push(problem(`alarms.${key}`, got, allowed, fix));
    const whole = (key: keyof DatabaseAlarmThresholds, min: number, max: number, fallback: number, unit: string) => {
        const v = given[key];
        if (v !== undefined && !isWhole(v, min, max)) {
            bad(key, v, `expected a whole ${unit} from ${min} to ${max}`, `set it to ${fallback}, or remove it`);
        }
    };
    whole("dbCpuPercent", 1, 100, DEFAULT_ALARM_DB_CPU_PERCENT, "percentage");
    whole("dbFreeStoragePercent", 1, 99, DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT, "percentage");
    whole("dbFreeStorageMb", 1, 1_000_000, DEFAULT_ALARM_DB_FREE_STORAGE_MB, "number of MB");
    whole("dbMemoryUsedPercent", 1, 99, DEFAULT_ALARM_DB_MEMORY_USED_PERCENT, "percentage");
    whole("dbFreeableMemoryMb", 1, 10_000_000, 1024, "number of MB");
    whole("dbConnections", 1, 100_000, 80, "number");
    whole("proxyClientConnections", 1, 1_000_000, DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS, "number");

    const mb = (gib: number) => Math.floor(gib * 1024);
    const unlisted = `the memory of ${b.instanceClass} is not in lib/db-instance-classes.ts, so this threshold cannot be derived`;

    // Free storage: RDS as a share of the allocated storage; Aurora's local storage in MB.
    const dbFreeStoragePercent = given.dbFreeStoragePercent ?? DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT;
    if (given.dbFreeStoragePercent !== undefined && given.dbFreeStorageMb !== undefined && b.engine === "postgres") {
        bad(
            "dbFreeStorageMb",
            given.dbFreeStorageMb,
            "is a second threshold for the same alarm as alarms.dbFreeStoragePercent",
            "set one of them",
        );
    }
    const dbFreeStorageMb =
        given.dbFreeStorageMb ??
        (b.engine === "postgres"
            ? Math.floor((b.allocatedStorageGb * 1024 * dbFreeStoragePercent) / 100)
            : DEFAULT_ALARM_DB_FREE_STORAGE_MB);

    // Freeable memory: the rest of the class's (or max ACU's) memory.
    const dbMemoryUsedPercent = given.dbMemoryUsedPercent ?? DEFAULT_ALARM_DB_MEMORY_USED_PERCENT;
    if (given.dbMemoryUsedPercent !== undefined && given.dbFreeableMemoryMb !== undefined) {
        bad(
            "dbFreeableMemoryMb",
            given.dbFreeableMemoryMb,
            "is a second threshold for the same alarm as alarms.dbMemoryUsedPercent",
            "set one of them",
        );
    }
    const memoryGib = alarmMemoryGib(b);
    let dbFreeableMemoryMb = given.dbFreeableMemoryMb;
    if (dbFreeableMemoryMb === undefined && memoryGib !== undefined) {
        dbFreeableMemoryMb = Math.floor((mb(memoryGib) * (100 - dbMemoryUsedPercent)) / 100);
    } else if (dbFreeableMemoryMb === undefined) {
        bad(
            "dbFreeableMemoryMb",
            undefined,
            unlisted,
            "set alarms.dbFreeableMemoryMb (for example 15% of the class's memory in MB), or add the class's family to lib/db-instance-classes.ts",
        );
    }

    // Connections: a share of the estimated max_connections, above what the proxy may hold.
    const maxConnections = estimatedMaxConnections(b);
    let dbConnections = given.dbConnections;
    if (dbConnections === undefined && maxConnections !== undefined) {
        dbConnections = Math.floor(
            (maxConnections * connectionsAlarmPercent(b.proxy, b.proxyMaxConnectionsPercent)) / 100,
        );
    } else if (dbConnections === undefined) {
        bad(
            "dbConnections",
            undefined,
            unlisted,
            "set alarms.dbConnections to about 80% of the instance's max_connections (SHOW max_connections), or add the class's family to lib/db-instance-classes.ts",
        );
    }

    return {
        thresholds: {
            dbCpuPercent: given.dbCpuPercent ?? DEFAULT_ALARM_DB_CPU_PERCENT,
            dbFreeStoragePercent,
            dbFreeStorageMb,
            dbMemoryUsedPercent,
            dbFreeableMemoryMb: dbFreeableMemoryMb ?? 0,
            dbConnections: dbConnections ?? 0,
            proxyClientConnections: given.proxyClientConnections ?? DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
        },
        problems,
    };
}

/**
 * The CloudWatch alarms per engine. Aurora alarms watch the writer through the
 * `DBClusterIdentifier` + `Role=WRITER` dimensions, which follow the writer across failovers.
 *
 * - postgres: CPUUtilization, FreeStorageSpace, DatabaseConnections, FreeableMemory
 * - aurora-postgresql: CPUUtilization, FreeLocalStorage, DatabaseConnections, FreeableMemory
 * - aurora-serverless: CPUUtilization, ACUUtilization, DatabaseConnections, FreeableMemory
 * - with the proxy: ClientConnections (dimension ProxyName)
 */
export function alarmPlan(engine: DatabaseEngine, thresholds: AlarmThresholds, targets: AlarmTargets): AlarmSpec[] {
    const bytes = (mb: number) => mb * 1024 * 1024;
    let dims: Record<string, string>;
    let storage: AlarmSpec;
    const base = {
        namespace: "AWS/RDS" as const,
        periodSeconds: 300,
        // A paused (0 ACU) or stopped database sends no data; that is not an alarm.
        treatMissingData: "notBreaching" as const,
    };
    const spec = (s: Omit<AlarmSpec, keyof typeof base | "datapointsToAlarm" | "dimensions">): AlarmSpec => ({
        ...base,
        ...s,
        dimensions: dims,
        datapointsToAlarm: s.evaluationPeriods,
    });
    switch (engine) {
        case "postgres":
            dims = { DBInstanceIdentifier: required(targets.instanceIdentifier, "instanceIdentifier") };
            storage = spec({
                key: "free-storage",
                metricName: "FreeStorageSpace",
                statistic: "Minimum",
                comparisonOperator: "LessThanThreshold",
                threshold: bytes(thresholds.dbFreeStorageMb),
                evaluationPeriods: 1,
                description: `Free storage below ${thresholds.dbFreeStorageMb} MB (storage autoscaling may have reached maxAllocatedStorageGb)`,
            });
            break;
        case "aurora-postgresql":
            dims = { DBClusterIdentifier: required(targets.clusterIdentifier, "clusterIdentifier"), Role: "WRITER" };
            storage = spec({
                key: "free-local-storage",
                metricName: "FreeLocalStorage",
                statistic: "Minimum",
                comparisonOperator: "LessThanThreshold",
                threshold: bytes(thresholds.dbFreeStorageMb),
                evaluationPeriods: 1,
                description: `Writer's local (temporary) storage below ${thresholds.dbFreeStorageMb} MB`,
            });
            break;
        case "aurora-serverless":
            dims = { DBClusterIdentifier: required(targets.clusterIdentifier, "clusterIdentifier"), Role: "WRITER" };
            storage = spec({
                key: "acu-utilization",
                metricName: "ACUUtilization",
                statistic: "Average",
                comparisonOperator: "GreaterThanThreshold",
                threshold: ACU_UTILIZATION_ALARM_PERCENT,
                evaluationPeriods: 3,
                description: `Writer above ${ACU_UTILIZATION_ALARM_PERCENT}% of maxCapacityAcu for 15 minutes (raise maxCapacityAcu)`,
            });
            break;
    }
    const specs: AlarmSpec[] = [
        spec({
            key: "cpu",
            metricName: "CPUUtilization",
            statistic: "Average",
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.dbCpuPercent,
            evaluationPeriods: 3,
            description: `Database CPU above ${thresholds.dbCpuPercent}% for 15 minutes`,
        }),
        storage,
        spec({
            key: "connections",
            metricName: "DatabaseConnections",
            statistic: "Maximum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.dbConnections,
            evaluationPeriods: 2,
            description: `More than ${thresholds.dbConnections} database connections for 10 minutes (near max_connections)`,
        }),
        spec({
            key: "freeable-memory",
            metricName: "FreeableMemory",
            statistic: "Average",
            comparisonOperator: "LessThanThreshold",
            threshold: bytes(thresholds.dbFreeableMemoryMb),
            evaluationPeriods: 3,
            description: `Freeable memory below ${thresholds.dbFreeableMemoryMb} MB for 15 minutes (memory nearly all in use: queries spill to disk, the instance may swap)`,
        }),
    ];
    if (targets.proxyName !== undefined) {
        specs.push({
            ...base,
            key: "proxy-client-connections",
            metricName: "ClientConnections",
            statistic: "Maximum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.proxyClientConnections,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            dimensions: { ProxyName: targets.proxyName },
            description: `More than ${thresholds.proxyClientConnections} client connections to the RDS Proxy for 10 minutes`,
        });
    }
    return specs;
}

function required(v: string | undefined, what: string): string {
    if (v === undefined) throw new Error(`alarmPlan: ${what} is required for this engine`);
    return v;
}
