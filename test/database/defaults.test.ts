/**
 * The `@default` documented on every `DatabaseArgs` / `DatabaseAlarmThresholds` field equals
 * the named constant the code uses, and the code resolves exactly those defaults.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    DEFAULT_BACKUP_RETENTION_DAYS,
    DEFAULT_BACKUP_WINDOW,
    DEFAULT_INSTANCE_CLASS_AURORA,
    DEFAULT_INSTANCE_CLASS_RDS,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MAINTENANCE_WINDOW,
    DEFAULT_MAX_ACU,
    DEFAULT_MIN_ACU,
    DEFAULT_AURORA_VERSION,
    DEFAULT_POSTGRES_VERSION,
    DEFAULT_ALARM_DB_CPU_PERCENT,
    DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT,
    DEFAULT_ALARM_DB_MEMORY_USED_PERCENT,
    DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
    DEFAULT_ALLOCATED_STORAGE_GB,
    DEFAULT_APP_USERNAME,
    DEFAULT_BASTION,
    DEFAULT_BASTION_INSTANCE_TYPE,
    DEFAULT_DATABASE_NAME,
    DEFAULT_DELETION_PROTECTION,
    DEFAULT_IAM_AUTH,
    DEFAULT_MASTER_USERNAME,
    DEFAULT_MAX_ALLOCATED_STORAGE_GB,
    DEFAULT_MONITORING_INTERVAL_SECONDS,
    DEFAULT_MULTI_AZ,
    DEFAULT_PERFORMANCE_INSIGHTS,
    DEFAULT_PROXY,
    DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
    DEFAULT_SECONDS_UNTIL_AUTO_PAUSE,
    planDatabase,
    serverlessScaling,
} from "../../lib/database-plan";

// The options (with their defaults) live in the planner; the component adds the wiring.
const SOURCE =
    fs.readFileSync(path.join(__dirname, "../../lib/database-plan.ts"), "utf8") +
    fs.readFileSync(path.join(__dirname, "../../lib/database-alarms-plan.ts"), "utf8") +
    fs.readFileSync(path.join(__dirname, "../../components/database.ts"), "utf8");

interface Field {
    name: string;
    optional: boolean;
    /** The text after `@default`, or undefined when the field documents none. */
    documented?: string;
    doc: string;
}

/** The fields of an exported interface with their doc comments. */
function fieldsOf(interfaceName: string): Field[] {
    const start = SOURCE.indexOf(`export interface ${interfaceName} {`);
    if (interfaceName.includes(" extends ")) assert.ok(start >= 0);
    assert.ok(start >= 0, `interface ${interfaceName} not found`);
    const body = SOURCE.slice(start, SOURCE.indexOf("\n}\n", start));
    const fields: Field[] = [];
    for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)(\??):/g)) {
        const doc = m[1].replace(/^\s*\* ?/gm, "").trim();
        const d = /@default (.*)$/m.exec(doc);
        fields.push({ name: m[2], optional: m[3] === "?", documented: d?.[1].trim(), doc });
    }
    return fields;
}

/** Documented literal defaults, parsed as JSON; `- prose` defaults as the prose. */
function parse(documented: string): unknown {
    if (documented.startsWith("- ")) return documented;
    const literal = documented.replace(/\s*\(.*\)$/, "");
    return JSON.parse(literal);
}

const ARGS_DEFAULTS: Record<string, unknown> = {
    allocatedStorageGb: DEFAULT_ALLOCATED_STORAGE_GB,
    maxAllocatedStorageGb: DEFAULT_MAX_ALLOCATED_STORAGE_GB,
    multiAz: DEFAULT_MULTI_AZ,
    deletionProtection: DEFAULT_DELETION_PROTECTION,
    backupRetentionDays: DEFAULT_BACKUP_RETENTION_DAYS,
    backupWindow: DEFAULT_BACKUP_WINDOW,
    maintenanceWindow: DEFAULT_MAINTENANCE_WINDOW,
    minCapacityAcu: DEFAULT_MIN_ACU,
    maxCapacityAcu: DEFAULT_MAX_ACU,
    secondsUntilAutoPause: DEFAULT_SECONDS_UNTIL_AUTO_PAUSE,
    iamAuth: DEFAULT_IAM_AUTH,
    performanceInsights: DEFAULT_PERFORMANCE_INSIGHTS,
    monitoringIntervalSeconds: DEFAULT_MONITORING_INTERVAL_SECONDS,
    logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
    databaseName: DEFAULT_DATABASE_NAME,
    masterUsername: DEFAULT_MASTER_USERNAME,
    proxy: DEFAULT_PROXY,
    proxyMaxConnectionsPercent: DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
    bastion: DEFAULT_BASTION,
    bastionInstanceType: DEFAULT_BASTION_INSTANCE_TYPE,
    appUsername: DEFAULT_APP_USERNAME,
    alarms: {},
};
/** Fields whose default depends on something else, documented as `@default - prose`. */
const PROSE_DEFAULTS = ["engineVersion", "instanceClass", "kmsKeyArn", "availabilityZones", "restore"];
const REQUIRED = ["engine", "vpcId", "isolatedSubnetIds", "privateSubnetIds", "alarmTopicArn"];

const ALARM_DEFAULTS: Record<string, unknown> = {
    dbCpuPercent: DEFAULT_ALARM_DB_CPU_PERCENT,
    dbFreeStoragePercent: DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT,
    dbMemoryUsedPercent: DEFAULT_ALARM_DB_MEMORY_USED_PERCENT,
    proxyClientConnections: DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
};
/** Thresholds derived from the class, the storage or the proxy share: `@default - prose`. */
const ALARM_PROSE_DEFAULTS = ["dbFreeStorageMb", "dbFreeableMemoryMb", "dbConnections"];

const WIRING = {
    isolatedSubnetIds: ["subnet-iso0", "subnet-iso1"],
    privateSubnetIds: ["subnet-prv0", "subnet-prv1"],
    alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:alarms",
};

describe("components/database: documented defaults", () => {
    const args = [...fieldsOf("DatabaseOptions"), ...fieldsOf("DatabaseArgs extends DatabaseOptions")];
    const alarms = fieldsOf("DatabaseAlarmThresholds");

    it("documents every field, with a @default on every optional one and none on required ones", () => {
        assert.deepEqual(
            args.map((f) => f.name).sort(),
            [...Object.keys(ARGS_DEFAULTS), ...PROSE_DEFAULTS, ...REQUIRED].sort(),
        );
        for (const f of [...args, ...alarms]) {
            assert.ok(f.doc.replace(/@\w+.*$/gm, "").trim().length > 10, `${f.name} has no summary`);
            if (f.optional) assert.ok(f.documented !== undefined, `${f.name} documents no @default`);
            else assert.equal(f.documented, undefined, `${f.name} is required but documents a @default`);
        }
    });

    it("documents the named constants as the defaults of DatabaseArgs", () => {
        for (const f of args.filter((x) => x.documented !== undefined)) {
            if (PROSE_DEFAULTS.includes(f.name)) {
                assert.ok(f.documented!.startsWith("- "), `${f.name}: expected a prose default ("@default - ...")`);
                continue;
            }
            assert.deepEqual(parse(f.documented!), ARGS_DEFAULTS[f.name], `${f.name}: documented ${f.documented}`);
        }
        const engineVersion = args.find((f) => f.name === "engineVersion")!.documented!;
        assert.ok(engineVersion.includes(`"${DEFAULT_POSTGRES_VERSION}" for postgres`), engineVersion);
        assert.ok(engineVersion.includes(`"${DEFAULT_AURORA_VERSION}" for the Aurora engines`), engineVersion);
        const instanceClass = args.find((f) => f.name === "instanceClass")!.documented!;
        assert.ok(instanceClass.includes(`"${DEFAULT_INSTANCE_CLASS_RDS}" for postgres`), instanceClass);
        assert.ok(instanceClass.includes(`"${DEFAULT_INSTANCE_CLASS_AURORA}" for aurora-postgresql`), instanceClass);
    });

    it("documents the named constants as the alarm thresholds' defaults", () => {
        assert.deepEqual(
            alarms.map((f) => f.name).sort(),
            [...Object.keys(ALARM_DEFAULTS), ...ALARM_PROSE_DEFAULTS].sort(),
        );
        for (const f of alarms) {
            if (ALARM_PROSE_DEFAULTS.includes(f.name)) {
                assert.ok(f.documented!.startsWith("- "), `${f.name}: expected a prose default ("@default - ...")`);
                continue;
            }
            assert.deepEqual(parse(f.documented!), ALARM_DEFAULTS[f.name], `${f.name}: documented ${f.documented}`);
        }
    });

    it("resolves exactly the documented defaults", () => {
        const { plan } = planDatabase("db", { engine: "postgres", ...WIRING });
        assert.ok(plan);
        const resolved: Record<string, unknown> = { ...plan, alarms: {} };
        for (const [key, value] of Object.entries(ARGS_DEFAULTS)) {
            if (["minCapacityAcu", "maxCapacityAcu", "secondsUntilAutoPause", "alarms"].includes(key)) continue;
            assert.deepEqual(resolved[key], value, key);
        }
        for (const [key, value] of Object.entries(ALARM_DEFAULTS)) {
            assert.deepEqual((plan.alarms as unknown as Record<string, unknown>)[key], value, `alarms.${key}`);
        }
        assert.equal(plan.instanceClass, DEFAULT_INSTANCE_CLASS_RDS);
        assert.equal(plan.engineVersion, DEFAULT_POSTGRES_VERSION);
        assert.equal(plan.autoMinorVersionUpgrade, true, "a major alone: AWS upgrades minors");
        const aurora = planDatabase("db", { engine: "aurora-postgresql", ...WIRING }).plan!;
        assert.equal(aurora.engineVersion, DEFAULT_AURORA_VERSION);
        assert.equal(aurora.autoMinorVersionUpgrade, false, "a pinned minor: no automatic upgrades (they would drift)");
        const serverless = planDatabase("db", { engine: "aurora-serverless", ...WIRING }).plan!;
        assert.deepEqual(serverless.scaling, {
            minCapacity: ARGS_DEFAULTS.minCapacityAcu,
            maxCapacity: ARGS_DEFAULTS.maxCapacityAcu,
        });
        assert.equal(serverlessScaling(0, 4).secondsUntilAutoPause, ARGS_DEFAULTS.secondsUntilAutoPause);
        assert.equal(
            planDatabase("db", { engine: "aurora-postgresql", ...WIRING }).plan!.instanceClass,
            DEFAULT_INSTANCE_CLASS_AURORA,
        );
    });
});
