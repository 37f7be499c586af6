/**
 * Table-driven and property tests of the pure planning behind the Database component.
 */
import { strict as assert } from "assert";
import fc from "fast-check";
import { AUTO_PAUSE_MIN_VERSION, SUPPORTED_MAJORS } from "../../lib/aws-facts";
import { parseConfig } from "../../lib/config";
import { argsError, renderProblem } from "../../lib/problems";
import {
    DEFAULT_BACKUP_RETENTION_DAYS,
    DEFAULT_BACKUP_WINDOW,
    DEFAULT_INSTANCE_CLASS_AURORA,
    DEFAULT_INSTANCE_CLASS_RDS,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MAINTENANCE_WINDOW,
    DEFAULT_MAX_ACU,
    DEFAULT_MIN_ACU,
    DEFAULT_POSTGRES_VERSION,
    DatabaseEngine,
    ACU_UTILIZATION_ALARM_PERCENT,
    DATABASE_ENGINES,
    DEFAULT_ALARM_DB_CPU_PERCENT,
    DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT,
    DEFAULT_ALARM_DB_MEMORY_USED_PERCENT,
    DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
    DEFAULT_ALLOCATED_STORAGE_GB,
    DEFAULT_APP_USERNAME,
    DEFAULT_BASTION_INSTANCE_TYPE,
    DEFAULT_DATABASE_NAME,
    DEFAULT_MASTER_USERNAME,
    DEFAULT_MAX_ALLOCATED_STORAGE_GB,
    DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
    DEFAULT_SECONDS_UNTIL_AUTO_PAUSE,
    DatabasePlanInput,
    MAX_DB_IDENTIFIER_LENGTH,
    MAX_PROXY_NAME_LENGTH,
    admissionRuleName,
    alarmPlan,
    connectionsAlarmPercent,
    bastionAmiParameter,
    clusterInstancePlan,
    dataSafety,
    dbParameters,
    finalSnapshotIdentifier,
    logExports,
    logGroupNames,
    parameterGroupFamily,
    parseDailyWindow,
    parseWeeklyWindow,
    performanceInsightsSupported,
    physicalIdentifier,
    planDatabase,
    portForwardCommand,
    proxyResourceId,
    rdsDbConnectArn,
    serverlessScaling,
    validClientName,
    windowsOverlap,
} from "../../lib/database-plan";
import {
    defaultMaxConnections,
    instanceClassMemoryGib,
    instanceClassVcpus,
    serverlessMaxConnections,
} from "../../lib/db-instance-classes";

const VALID: Omit<DatabasePlanInput, "engine"> = {
    isolatedSubnetIds: ["subnet-iso0", "subnet-iso1"],
    privateSubnetIds: ["subnet-prv0", "subnet-prv1"],
    alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:alarms",
};
const problemsOf = (engine: DatabaseEngine, change: Partial<DatabasePlanInput>, name = "db") =>
    planDatabase(name, { ...VALID, engine, ...change }).problems.map((p) => renderProblem(p));

/** Asserts exactly one problem, about `key`, that echoes the rejected value and gives a fix. */
function assertOneProblem(problems: string[], key: string, got: unknown): void {
    assert.equal(problems.length, 1, `expected one problem, got:\n${problems.join("\n")}`);
    assert.ok(problems[0].startsWith(`${key}: got ${JSON.stringify(got)};`), problems[0]);
    assert.match(problems[0], /\. Fix: \S/);
}

describe("lib/database-plan", () => {
    describe("planDatabase: defaults", () => {
        it("is what the stack config runs: one set of defaults for every engine", () => {
            for (const engine of DATABASE_ENGINES) {
                const settings = parseConfig({ database: { engine }, compute: { mode: "lambda" } });
                const { plan, problems } = planDatabase("db", { ...VALID, engine });
                assert.deepEqual(problems, []);
                assert.deepEqual(settings.databasePlan, plan);
                assert.deepEqual(settings.database, { engine }, "the settings keep the options as given");
            }
        });

        it("fills every default when only the engine and the wiring are given", () => {
            const { plan } = planDatabase("db", { ...VALID, engine: "postgres" });
            assert.deepEqual(plan, {
                engine: "postgres",
                engineVersion: DEFAULT_POSTGRES_VERSION,
                autoMinorVersionUpgrade: true,
                major: 16,
                instanceClass: DEFAULT_INSTANCE_CLASS_RDS,
                allocatedStorageGb: DEFAULT_ALLOCATED_STORAGE_GB,
                maxAllocatedStorageGb: DEFAULT_MAX_ALLOCATED_STORAGE_GB,
                multiAz: false,
                deletionProtection: true,
                backupRetentionDays: DEFAULT_BACKUP_RETENTION_DAYS,
                backupWindow: DEFAULT_BACKUP_WINDOW,
                maintenanceWindow: DEFAULT_MAINTENANCE_WINDOW,
                scaling: undefined,
                iamAuth: true,
                performanceInsights: true,
                monitoringIntervalSeconds: 0,
                logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
                databaseName: DEFAULT_DATABASE_NAME,
                masterUsername: DEFAULT_MASTER_USERNAME,
                appUsername: DEFAULT_APP_USERNAME,
                proxy: false,
                proxyMaxConnectionsPercent: DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
                bastion: false,
                bastionInstanceType: DEFAULT_BASTION_INSTANCE_TYPE,
                alarms: {
                    dbCpuPercent: DEFAULT_ALARM_DB_CPU_PERCENT,
                    dbFreeStoragePercent: DEFAULT_ALARM_DB_FREE_STORAGE_PERCENT,
                    // 10% of the 20 GB allocated
                    dbFreeStorageMb: 2048,
                    dbMemoryUsedPercent: DEFAULT_ALARM_DB_MEMORY_USED_PERCENT,
                    // db.t4g.micro: 15% of 1 GiB; 80% of its estimated max_connections (84)
                    dbFreeableMemoryMb: 153,
                    dbConnections: 67,
                    proxyClientConnections: DEFAULT_ALARM_PROXY_CLIENT_CONNECTIONS,
                },
            });
            assert.equal(
                planDatabase("db", { ...VALID, engine: "aurora-postgresql" }).plan?.instanceClass,
                DEFAULT_INSTANCE_CLASS_AURORA,
            );
            assert.deepEqual(planDatabase("db", { ...VALID, engine: "aurora-serverless" }).plan?.scaling, {
                minCapacity: DEFAULT_MIN_ACU,
                maxCapacity: DEFAULT_MAX_ACU,
            });
        });
    });

    describe("planDatabase: one change, one problem", () => {
        const cases: [string, DatabaseEngine, Partial<DatabasePlanInput>, string, unknown][] = [
            ["bad component name", "postgres", {}, "name", "My_DB"],
            ["unknown engine", "mysql" as DatabaseEngine, {}, "engine", "mysql"],
            ["version not MAJOR or MAJOR.MINOR", "postgres", { engineVersion: "16.4.1" }, "engineVersion", "16.4.1"],
            ["a major alone on Aurora", "aurora-postgresql", { engineVersion: "16" }, "engineVersion", "16"],
            ["a major alone on Aurora Serverless", "aurora-serverless", { engineVersion: "16" }, "engineVersion", "16"],
            ["unsupported major", "postgres", { engineVersion: "12.9" }, "engineVersion", "12.9"],
            ["class without db.", "postgres", { instanceClass: "t4g.micro" }, "instanceClass", "t4g.micro"],
            ["db.serverless on RDS", "postgres", { instanceClass: "db.serverless" }, "instanceClass", "db.serverless"],
            [
                "micro class on Aurora",
                "aurora-postgresql",
                { instanceClass: "db.t4g.micro" },
                "instanceClass",
                "db.t4g.micro",
            ],
            [
                "provisioned class on Serverless",
                "aurora-serverless",
                { instanceClass: "db.r7g.large" },
                "instanceClass",
                "db.r7g.large",
            ],
            ["storage below 20 GiB", "postgres", { allocatedStorageGb: 10 }, "allocatedStorageGb", 10],
            [
                "max storage below allocated",
                "postgres",
                { allocatedStorageGb: 50, maxAllocatedStorageGb: 40 },
                "maxAllocatedStorageGb",
                40,
            ],
            // AWS: the autoscaling limit must be at least 10% above the allocated storage.
            [
                "max storage equal to allocated",
                "postgres",
                { allocatedStorageGb: 100, maxAllocatedStorageGb: 100 },
                "maxAllocatedStorageGb",
                100,
            ],
            [
                "max storage less than 10% above allocated",
                "postgres",
                { allocatedStorageGb: 100, maxAllocatedStorageGb: 109 },
                "maxAllocatedStorageGb",
                109,
            ],
            ["ACU min above max", "aurora-serverless", { minCapacityAcu: 8, maxCapacityAcu: 4 }, "minCapacityAcu", 8],
            ["ACU not in steps of 0.5", "aurora-serverless", { minCapacityAcu: 0.7 }, "minCapacityAcu", 0.7],
            [
                "ACU max below 1",
                "aurora-serverless",
                { minCapacityAcu: 0.5, maxCapacityAcu: 0.5 },
                "maxCapacityAcu",
                0.5,
            ],
            ["ACU on RDS", "postgres", { minCapacityAcu: 1 }, "minCapacityAcu", 1],
            [
                "auto-pause seconds without min 0",
                "aurora-serverless",
                { secondsUntilAutoPause: 600 },
                "secondsUntilAutoPause",
                600,
            ],
            [
                "auto-pause seconds out of range",
                "aurora-serverless",
                { minCapacityAcu: 0, engineVersion: "16.6", secondsUntilAutoPause: 60 },
                "secondsUntilAutoPause",
                60,
            ],
            [
                "min 0 on an old minor",
                "aurora-serverless",
                { minCapacityAcu: 0, engineVersion: "16.1" },
                "minCapacityAcu",
                0,
            ],
            [
                "min 0 with the proxy",
                "aurora-serverless",
                { minCapacityAcu: 0, engineVersion: "16.6", proxy: true },
                "proxy",
                true,
            ],
            [
                "Serverless v2 on a too old minor",
                "aurora-serverless",
                { engineVersion: "14.2" },
                "engineVersion",
                "14.2",
            ],
            ["retention 0 (backups off)", "postgres", { backupRetentionDays: 0 }, "backupRetentionDays", 0],
            ["retention 40", "postgres", { backupRetentionDays: 40 }, "backupRetentionDays", 40],
            ["backup window too short", "postgres", { backupWindow: "03:00-03:10" }, "backupWindow", "03:00-03:10"],
            [
                "maintenance window malformed",
                "postgres",
                { maintenanceWindow: "sunday 4am" },
                "maintenanceWindow",
                "sunday 4am",
            ],
            [
                "windows overlap",
                "postgres",
                { backupWindow: "04:00-05:00", maintenanceWindow: "sun:04:30-sun:05:30" },
                "maintenanceWindow",
                "sun:04:30-sun:05:30",
            ],
            ["monitoring interval 2", "postgres", { monitoringIntervalSeconds: 2 }, "monitoringIntervalSeconds", 2],
            ["log retention 10", "postgres", { logRetentionDays: 10 }, "logRetentionDays", 10],
            ["proxy pool 0%", "postgres", { proxyMaxConnectionsPercent: 0 }, "proxyMaxConnectionsPercent", 0],
            [
                "bastion type is an RDS class",
                "postgres",
                { bastionInstanceType: "db.t4g.micro" },
                "bastionInstanceType",
                "db.t4g.micro",
            ],
            ["KMS alias instead of ARN", "postgres", { kmsKeyArn: "alias/app" }, "kmsKeyArn", "alias/app"],
            ["database name with capitals", "postgres", { databaseName: "App" }, "databaseName", "App"],
            ["master user reserved", "postgres", { masterUsername: "postgres" }, "masterUsername", "postgres"],
            ["app user with rds prefix", "postgres", { appUsername: "rds_app" }, "appUsername", "rds_app"],
            ["app user equals master", "postgres", { appUsername: "app_admin" }, "appUsername", "app_admin"],
            [
                "one isolated subnet",
                "postgres",
                { isolatedSubnetIds: ["subnet-iso0"] },
                "isolatedSubnetIds",
                ["subnet-iso0"],
            ],
            [
                "a private subnet in the DB subnet group",
                "postgres",
                { isolatedSubnetIds: ["subnet-iso0", "subnet-prv0"] },
                "isolatedSubnetIds",
                ["subnet-prv0"],
            ],
            [
                "proxy with one private subnet",
                "postgres",
                { proxy: true, privateSubnetIds: ["subnet-prv0"] },
                "privateSubnetIds",
                ["subnet-prv0"],
            ],
            [
                "Aurora reader with one AZ",
                "aurora-postgresql",
                { multiAz: true, availabilityZones: ["eu-west-1a", "eu-west-1a"] },
                "availabilityZones",
                ["eu-west-1a", "eu-west-1a"],
            ],
            ["no alarm topic", "postgres", { alarmTopicArn: "" }, "alarmTopicArn", ""],
            ["CPU alarm above 100%", "postgres", { alarms: { dbCpuPercent: 120 } }, "alarms.dbCpuPercent", 120],
        ];
        for (const [title, engine, change, key, got] of cases) {
            it(title, () => {
                const name = key === "name" ? String(got) : "db";
                assertOneProblem(problemsOf(engine, change, name), key, got);
            });
        }

        it("accepts what AWS accepts at the edges", () => {
            assert.deepEqual(
                problemsOf("aurora-serverless", {
                    minCapacityAcu: 0,
                    engineVersion: `16.${AUTO_PAUSE_MIN_VERSION[16]}`,
                    secondsUntilAutoPause: 86400,
                }),
                [],
            );
            assert.deepEqual(problemsOf("aurora-serverless", { minCapacityAcu: 256, maxCapacityAcu: 256 }), []);
            assert.deepEqual(
                problemsOf("postgres", {
                    backupRetentionDays: 35,
                    allocatedStorageGb: 100,
                    maxAllocatedStorageGb: 110,
                }),
                [],
            );
            assert.deepEqual(
                problemsOf("postgres", { allocatedStorageGb: 21, maxAllocatedStorageGb: 24 }),
                [],
                "ceil(21 * 1.1) = 24",
            );
            const full = problemsOf("postgres", { allocatedStorageGb: 65536, maxAllocatedStorageGb: 65536 });
            assert.deepEqual(
                full.map((p) => p.split(":")[0]),
                ["maxAllocatedStorageGb"],
            );
            assert.match(full[0], /lower allocatedStorageGb/);
            assert.deepEqual(
                problemsOf("postgres", { backupWindow: "23:30-00:30", maintenanceWindow: "mon:01:00-mon:02:00" }),
                [],
            );
            assert.deepEqual(
                problemsOf("aurora-postgresql", { allocatedStorageGb: 20, maxAllocatedStorageGb: 100 }).map(
                    (p) => p.split(":")[0],
                ),
                ["allocatedStorageGb", "maxAllocatedStorageGb"],
                "Aurora's storage grows by itself: a size given for it is a mistake",
            );
            assert.deepEqual(
                problemsOf("postgres", {
                    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
                }),
                [],
            );
        });

        it("reports every problem at once, and the error names the component", () => {
            const problems = problemsOf("aurora-serverless", {
                minCapacityAcu: 8,
                maxCapacityAcu: 4,
                backupRetentionDays: 0,
                logRetentionDays: 10,
                appUsername: "app_admin",
            });
            assert.equal(problems.length, 4, problems.join("\n"));
            const raw = planDatabase("db", {
                ...VALID,
                engine: "aurora-serverless",
                minCapacityAcu: 8,
                maxCapacityAcu: 4,
                backupRetentionDays: 0,
                logRetentionDays: 10,
                appUsername: "app_admin",
            });
            const message = argsError("Database", "db", raw.problems).message;
            assert.match(message, /^Database "db": invalid arguments \(4 problems\):\n {2}minCapacityAcu: got 8;/);
            for (const key of ["minCapacityAcu", "backupRetentionDays", "logRetentionDays", "appUsername"])
                assert.match(message, new RegExp(`\n  ${key}: got`));
        });

        it("skips the checks of subnet ids it cannot see (Outputs)", () => {
            const unknown = { apply: () => undefined };
            assert.deepEqual(
                problemsOf("postgres", {
                    isolatedSubnetIds: unknown,
                    privateSubnetIds: [unknown, "subnet-prv1"],
                    proxy: true,
                }),
                [],
            );
        });
    });

    describe("engine choices", () => {
        it("derives the parameter group family from the major version", () => {
            const table: [DatabaseEngine, string, string][] = [
                ["postgres", "16.4", "postgres16"],
                ["postgres", "13.15", "postgres13"],
                ["aurora-postgresql", "16.4", "aurora-postgresql16"],
                ["aurora-serverless", "17.4", "aurora-postgresql17"],
            ];
            for (const [engine, version, family] of table) assert.equal(parameterGroupFamily(engine, version), family);
            fc.assert(
                fc.property(
                    fc.constantFrom(...DATABASE_ENGINES),
                    fc.constantFrom(...SUPPORTED_MAJORS),
                    fc.nat({ max: 99 }),
                    (engine, major, minor) => {
                        const family = parameterGroupFamily(engine, `${major}.${minor}`);
                        return (
                            family.endsWith(String(major)) &&
                            family.startsWith(engine === "postgres" ? "postgres" : "aurora-postgresql")
                        );
                    },
                ),
            );
            assert.equal(parameterGroupFamily("postgres", "16"), "postgres16", "a major alone picks the family too");
            assert.throws(() => parameterGroupFamily("postgres", "16.4.1"), /MAJOR or MAJOR\.MINOR/);
        });

        it("forces TLS with rds.force_ssl = 1, with an apply method AWS accepts for a static parameter", () => {
            // rds.force_ssl is static on older RDS for PostgreSQL families: "immediate" fails there
            // (InvalidParameterCombination), "pending-reboot" is valid for static and dynamic ones.
            const force = dbParameters().find((p) => p.name === "rds.force_ssl");
            assert.deepEqual(force, { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" });
            assert.ok(dbParameters().some((p) => p.name === "log_min_duration_statement"));
        });

        it("exports the PostgreSQL log (and the upgrade log on RDS) to groups named after the identifier", () => {
            assert.deepEqual(logExports("postgres"), ["postgresql", "upgrade"]);
            assert.deepEqual(logExports("aurora-serverless"), ["postgresql"]);
            assert.deepEqual(logGroupNames("postgres", "p-s-db"), [
                "/aws/rds/instance/p-s-db/postgresql",
                "/aws/rds/instance/p-s-db/upgrade",
            ]);
            assert.deepEqual(logGroupNames("aurora-postgresql", "p-s-db"), ["/aws/rds/cluster/p-s-db/postgresql"]);
        });

        it("turns Performance Insights off only for the micro and small burstable classes", () => {
            for (const c of ["db.t4g.micro", "db.t4g.small", "db.t3.micro", "db.t3.small", "db.t2.micro"])
                assert.equal(performanceInsightsSupported(c), false, c);
            for (const c of ["db.t4g.medium", "db.t3.large", "db.m7g.large", "db.r6g.xlarge", "db.serverless"])
                assert.equal(performanceInsightsSupported(c), true, c);
        });

        it("sets secondsUntilAutoPause only when the minimum is 0 ACU", () => {
            assert.deepEqual(serverlessScaling(0.5, 4), { minCapacity: 0.5, maxCapacity: 4 });
            assert.deepEqual(serverlessScaling(0, 4), {
                minCapacity: 0,
                maxCapacity: 4,
                secondsUntilAutoPause: DEFAULT_SECONDS_UNTIL_AUTO_PAUSE,
            });
            assert.deepEqual(serverlessScaling(0, 4, 900), {
                minCapacity: 0,
                maxCapacity: 4,
                secondsUntilAutoPause: 900,
            });
            assert.deepEqual(serverlessScaling(1, 4, 900), { minCapacity: 1, maxCapacity: 4 });
        });

        it("plans a writer, and a reader in tier 1 with multiAz, for Aurora only", () => {
            assert.deepEqual(clusterInstancePlan("postgres", "db.t4g.micro", true), []);
            assert.deepEqual(clusterInstancePlan("aurora-postgresql", "db.r7g.large", false), [
                { role: "writer", instanceClass: "db.r7g.large", promotionTier: 0, azIndex: 0 },
            ]);
            assert.deepEqual(
                clusterInstancePlan("aurora-serverless", "db.serverless", true).map((p) => [
                    p.role,
                    p.instanceClass,
                    p.promotionTier,
                    p.azIndex,
                ]),
                [
                    ["writer", "db.serverless", 0, 0],
                    ["reader", "db.serverless", 1, 1],
                ],
            );
        });
    });

    describe("dataSafety", () => {
        it("prod: deletion protection, protect, a kept final snapshot, changes in the maintenance window", () => {
            assert.deepEqual(dataSafety(true), {
                deletionProtection: true,
                protect: true,
                skipFinalSnapshot: false,
                applyImmediately: false,
                deleteAutomatedBackups: false,
                secretRecoveryWindowDays: 30,
            });
        });
        it("dev: a destroy that needs no manual step", () => {
            assert.deepEqual(dataSafety(false), {
                deletionProtection: false,
                protect: false,
                skipFinalSnapshot: true,
                applyImmediately: true,
                deleteAutomatedBackups: true,
                secretRecoveryWindowDays: 7,
            });
        });
    });

    describe("physical names", () => {
        const RDS_ID = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

        it("builds <project>-<stack>-<name>, lower-cased and cleaned", () => {
            assert.equal(physicalIdentifier("private-app", "prod", "db"), "private-app-prod-db");
            assert.equal(physicalIdentifier("Private_App", "eu.prod", "db"), "private-app-eu-prod-db");
            assert.equal(physicalIdentifier("1app", "dev", "db"), "db-1app-dev-db");
        });

        it("always yields an identifier RDS accepts, within the length limit, deterministically", () => {
            fc.assert(
                fc.property(
                    fc.string(),
                    fc.string(),
                    fc.string({ minLength: 1 }),
                    fc.constantFrom(MAX_DB_IDENTIFIER_LENGTH, MAX_PROXY_NAME_LENGTH),
                    (project, stack, name, max) => {
                        const id = physicalIdentifier(project, stack, name, max);
                        return (
                            RDS_ID.test(id) && id.length <= max && id === physicalIdentifier(project, stack, name, max)
                        );
                    },
                ),
                { numRuns: 500 },
            );
        });

        it("keeps long names apart with a hash when it truncates", () => {
            const long = "x".repeat(80);
            const a = physicalIdentifier("private-app", "prod", `${long}a`);
            const b = physicalIdentifier("private-app", "prod", `${long}b`);
            assert.equal(a.length, MAX_DB_IDENTIFIER_LENGTH);
            assert.notEqual(a, b);
        });

        it("names the final snapshot after the identifier and a random suffix", () => {
            assert.equal(
                finalSnapshotIdentifier("private-app-prod-db", "0a1b2c3d"),
                "private-app-prod-db-final-0a1b2c3d",
            );
        });
    });

    describe("windows", () => {
        it("parses daily and weekly windows, wrapping at midnight and at the end of the week", () => {
            assert.deepEqual(parseDailyWindow("03:00-04:00"), { start: 180, end: 240 });
            assert.deepEqual(parseDailyWindow("23:30-00:30"), { start: 1410, end: 1470 });
            assert.equal(parseDailyWindow("03:00-03:29"), undefined);
            assert.deepEqual(parseWeeklyWindow("mon:00:00-mon:00:30"), { start: 0, end: 30 });
            assert.deepEqual(parseWeeklyWindow("sun:23:30-mon:00:30"), { start: 6 * 1440 + 1410, end: 7 * 1440 + 30 });
            assert.equal(parseWeeklyWindow("mon:00:00-wed:00:00"), undefined);
        });

        it("detects overlaps on any day, across midnight and across the week boundary", () => {
            const overlap = (b: string, m: string) => windowsOverlap(parseDailyWindow(b)!, parseWeeklyWindow(m)!);
            assert.equal(overlap(DEFAULT_BACKUP_WINDOW, DEFAULT_MAINTENANCE_WINDOW), false);
            assert.equal(overlap("03:00-04:00", "wed:03:30-wed:04:30"), true);
            assert.equal(overlap("23:30-00:30", "tue:00:00-tue:00:45"), true);
            assert.equal(overlap("00:00-00:30", "sun:23:30-mon:00:15"), true);
            assert.equal(overlap("03:00-04:00", "sun:04:00-sun:05:00"), false);
        });
    });

    describe("alarmPlan", () => {
        const thresholds = {
            dbCpuPercent: 75,
            dbFreeStoragePercent: 10,
            dbFreeStorageMb: 1024,
            dbMemoryUsedPercent: 85,
            dbFreeableMemoryMb: 512,
            dbConnections: 90,
            proxyClientConnections: 500,
        };
        const metrics = (engine: DatabaseEngine, proxy = false) =>
            alarmPlan(engine, thresholds, {
                instanceIdentifier: "i",
                clusterIdentifier: "c",
                proxyName: proxy ? "p" : undefined,
            }).map((a) => a.metricName);

        it("watches CPU, storage or capacity, and connections per engine", () => {
            assert.deepEqual(metrics("postgres"), [
                "CPUUtilization",
                "FreeStorageSpace",
                "DatabaseConnections",
                "FreeableMemory",
            ]);
            assert.deepEqual(metrics("aurora-postgresql"), [
                "CPUUtilization",
                "FreeLocalStorage",
                "DatabaseConnections",
                "FreeableMemory",
            ]);
            assert.deepEqual(metrics("aurora-serverless"), [
                "CPUUtilization",
                "ACUUtilization",
                "DatabaseConnections",
                "FreeableMemory",
            ]);
            assert.deepEqual(metrics("postgres", true), [
                "CPUUtilization",
                "FreeStorageSpace",
                "DatabaseConnections",
                "FreeableMemory",
                "ClientConnections",
            ]);
        });

        it("computes thresholds, comparisons and dimensions", () => {
            const rds = alarmPlan("postgres", thresholds, { instanceIdentifier: "i" });
            assert.deepEqual(
                rds.map((a) => [a.metricName, a.comparisonOperator, a.threshold, a.dimensions]),
                [
                    ["CPUUtilization", "GreaterThanThreshold", 75, { DBInstanceIdentifier: "i" }],
                    ["FreeStorageSpace", "LessThanThreshold", 1024 * 1024 * 1024, { DBInstanceIdentifier: "i" }],
                    ["DatabaseConnections", "GreaterThanThreshold", 90, { DBInstanceIdentifier: "i" }],
                    ["FreeableMemory", "LessThanThreshold", 512 * 1024 * 1024, { DBInstanceIdentifier: "i" }],
                ],
            );
            const serverless = alarmPlan("aurora-serverless", thresholds, { clusterIdentifier: "c", proxyName: "p" });
            assert.deepEqual(serverless[1].dimensions, { DBClusterIdentifier: "c", Role: "WRITER" });
            assert.equal(serverless[1].threshold, ACU_UTILIZATION_ALARM_PERCENT);
            assert.deepEqual(serverless[4].dimensions, { ProxyName: "p" });
            assert.equal(serverless[4].threshold, 500);
            assert.ok(serverless.every((a) => a.namespace === "AWS/RDS"));
            assert.equal(
                new Set(serverless.map((a) => a.key)).size,
                serverless.length,
                "alarm keys name resources and must be unique",
            );
        });
    });

    describe("IAM and bastion helpers", () => {
        it("builds rds-db:connect ARNs and reads the proxy id out of its ARN", () => {
            assert.equal(
                rdsDbConnectArn("aws", "eu-west-1", "123456789012", "db-ABC", "app_user"),
                "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABC/app_user",
            );
            assert.equal(
                proxyResourceId("arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0"),
                "prx-0123456789abcdef0",
            );
        });

        it("picks the AL2023 AMI parameter by architecture", () => {
            for (const t of [
                "t4g.nano",
                "m7g.large",
                "c6gn.xlarge",
                "r8g.medium",
                "im4gn.large",
                "a1.medium",
                "x2gd.large",
            ]) {
                assert.equal(
                    bastionAmiParameter(t),
                    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
                    t,
                );
            }
            for (const t of ["t3.nano", "m6i.large", "c5n.xlarge", "g4dn.xlarge", "m7i-flex.large"]) {
                assert.equal(
                    bastionAmiParameter(t),
                    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                    t,
                );
            }
        });

        it("renders the exact port-forwarding command", () => {
            assert.equal(
                portForwardCommand("i-0123456789abcdef0", "db.example.eu-west-1.rds.amazonaws.com"),
                "aws ssm start-session --target i-0123456789abcdef0 --document-name AWS-StartPortForwardingSessionToRemoteHost " +
                    '--parameters \'{"host":["db.example.eu-west-1.rds.amazonaws.com"],"portNumber":["5432"],"localPortNumber":["15432"]}\'',
            );
        });
    });

    describe("client admission", () => {
        it("names the client rule as before, and a separate admin rule only behind a proxy", () => {
            assert.equal(admissionRuleName("db", "app-lambda", "client", false), "db-allow-app-lambda");
            assert.equal(admissionRuleName("db", "app-lambda", "client", true), "db-allow-app-lambda");
            assert.equal(admissionRuleName("db", "app-lambda", "admin", true), "db-admin-app-lambda");
            assert.equal(
                admissionRuleName("db", "app-lambda", "admin", false),
                "db-allow-app-lambda",
                "no proxy: one group, one shared rule",
            );
        });

        it("gives the two paths the same rule exactly when there is no proxy", () => {
            fc.assert(
                fc.property(
                    fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
                    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,39}$/),
                    fc.boolean(),
                    (component, client, proxied) => {
                        const same =
                            admissionRuleName(component, client, "client", proxied) ===
                            admissionRuleName(component, client, "admin", proxied);
                        assert.equal(same, !proxied);
                    },
                ),
            );
        });

        it("accepts 1 to 40 lower-case letters, digits or hyphens as a client name", () => {
            for (const ok of ["a", "app", "app-lambda", "0worker", "a".repeat(40)]) assert.ok(validClientName(ok), ok);
            for (const bad of ["", "-app", "App", "my app", "a_b", "a".repeat(41)])
                assert.ok(!validClientName(bad), bad);
        });
    });
});

describe("alarm thresholds from the instance class, the ACUs, the storage and the proxy share", () => {
    const plan = (o: Partial<DatabasePlanInput> & { engine: DatabaseEngine }) => {
        const r = planDatabase("db", { ...VALID, ...o });
        assert.deepEqual(r.problems, []);
        return r.plan!.alarms;
    };

    it("db.m7g.large behind a proxy at 50%: alarms above what the proxy may open, not at 80", () => {
        const a = plan({ engine: "postgres", instanceClass: "db.m7g.large", proxy: true });
        const maxConnections = defaultMaxConnections(8);
        assert.equal(a.dbConnections, Math.floor(maxConnections * 0.8));
        assert.ok(a.dbConnections > maxConnections * 0.5 + 100, `${a.dbConnections} vs the proxy's share`);
    });

    it("a proxy allowed 90% moves the threshold to 95% of max_connections", () => {
        const a = plan({
            engine: "postgres",
            instanceClass: "db.m7g.large",
            proxy: true,
            proxyMaxConnectionsPercent: 90,
        });
        assert.equal(a.dbConnections, Math.floor(defaultMaxConnections(8) * 0.95));
        assert.equal(connectionsAlarmPercent(true, 50), 80);
        assert.equal(connectionsAlarmPercent(true, 75), 85);
        assert.equal(connectionsAlarmPercent(true, 100), 95);
        assert.equal(connectionsAlarmPercent(false, 100), 80);
    });

    it("freeable memory: 15% of the class's memory; free storage: 10% of the allocated storage", () => {
        const a = plan({
            engine: "postgres",
            instanceClass: "db.m7g.large",
            allocatedStorageGb: 100,
            maxAllocatedStorageGb: 500,
        });
        assert.equal(a.dbFreeableMemoryMb, Math.floor(8 * 1024 * 0.15));
        assert.equal(a.dbFreeStorageMb, 10 * 1024);
        const specs = alarmPlan("postgres", a, { instanceIdentifier: "i" });
        const memory = specs.find((s) => s.metricName === "FreeableMemory")!;
        assert.equal(memory.comparisonOperator, "LessThanThreshold");
        assert.equal(memory.threshold, a.dbFreeableMemoryMb * 1024 * 1024);
        assert.equal(specs.find((s) => s.metricName === "FreeStorageSpace")!.threshold, 10 * 1024 ** 3);
    });

    it("Aurora provisioned: the writer's class; Serverless v2: AWS's table for the max ACU and its memory", () => {
        const aurora = plan({ engine: "aurora-postgresql", instanceClass: "db.r6g.large" });
        assert.equal(aurora.dbConnections, Math.floor(defaultMaxConnections(16) * 0.8));
        assert.equal(aurora.dbFreeableMemoryMb, Math.floor(16 * 1024 * 0.15));
        const specs = alarmPlan("aurora-postgresql", aurora, { clusterIdentifier: "c" });
        for (const s of specs) assert.deepEqual(s.dimensions, { DBClusterIdentifier: "c", Role: "WRITER" });

        const small = plan({ engine: "aurora-serverless", minCapacityAcu: 0.5, maxCapacityAcu: 4 });
        assert.equal(small.dbConnections, Math.floor(823 * 0.8));
        assert.equal(small.dbFreeableMemoryMb, Math.floor(4 * 2 * 1024 * 0.15));
        // A 0.5 ACU minimum caps max_connections at 2000; a minimum of 1 does not.
        assert.equal(plan({ engine: "aurora-serverless", maxCapacityAcu: 16 }).dbConnections, 1600);
        assert.equal(
            plan({ engine: "aurora-serverless", minCapacityAcu: 1, maxCapacityAcu: 16 }).dbConnections,
            Math.floor(3360 * 0.8),
        );
    });

    it("given thresholds win; two thresholds for one alarm are a problem", () => {
        const a = plan({
            engine: "postgres",
            instanceClass: "db.m7g.large",
            alarms: { dbConnections: 500, dbFreeableMemoryMb: 700, dbFreeStorageMb: 4096 },
        });
        assert.deepEqual([a.dbConnections, a.dbFreeableMemoryMb, a.dbFreeStorageMb], [500, 700, 4096]);
        const r = planDatabase("db", {
            ...VALID,
            engine: "postgres",
            alarms: { dbMemoryUsedPercent: 90, dbFreeableMemoryMb: 700, dbFreeStoragePercent: 5, dbFreeStorageMb: 1 },
        });
        assert.deepEqual(r.problems.map((p) => p.key).sort(), ["alarms.dbFreeStorageMb", "alarms.dbFreeableMemoryMb"]);
    });

    it("an instance class the table does not list: the thresholds must be given", () => {
        const r = planDatabase("db", { ...VALID, engine: "postgres", instanceClass: "db.z1d.large" });
        assert.deepEqual(r.problems.map((p) => p.key).sort(), ["alarms.dbConnections", "alarms.dbFreeableMemoryMb"]);
        for (const p of r.problems) assert.match(p.allowed, /db\.z1d\.large is not in lib\/db-instance-classes\.ts/);
        const given = planDatabase("db", {
            ...VALID,
            engine: "postgres",
            instanceClass: "db.z1d.large",
            alarms: { dbConnections: 1000, dbFreeableMemoryMb: 2048 },
        });
        assert.deepEqual(given.problems, []);
    });
});

describe("lib/db-instance-classes", () => {
    it("knows the vCPUs of the classes (what RDS Proxy bills)", () => {
        assert.equal(instanceClassVcpus("db.t4g.micro"), 2);
        assert.equal(instanceClassVcpus("db.t3.xlarge"), 4);
        assert.equal(instanceClassVcpus("db.m7g.large"), 2);
        assert.equal(instanceClassVcpus("db.r7g.4xlarge"), 16);
        assert.equal(instanceClassVcpus("db.z1d.large"), undefined);
        assert.equal(instanceClassVcpus("db.serverless"), undefined);
    });

    it("knows the memory of the burstable, general purpose and memory optimized classes", () => {
        assert.equal(instanceClassMemoryGib("db.t4g.micro"), 1);
        assert.equal(instanceClassMemoryGib("db.t3.medium"), 4);
        assert.equal(instanceClassMemoryGib("db.m7g.large"), 8);
        assert.equal(instanceClassMemoryGib("db.m6i.4xlarge"), 64);
        assert.equal(instanceClassMemoryGib("db.r6g.large"), 16);
        assert.equal(instanceClassMemoryGib("db.r7g.16xlarge"), 512);
        assert.equal(instanceClassMemoryGib("db.x2g.large"), 32);
        assert.equal(instanceClassMemoryGib("db.z1d.large"), undefined);
        assert.equal(instanceClassMemoryGib("db.serverless"), undefined);
    });

    it("estimates max_connections within 4% of what instances report, never over 5000", () => {
        for (const [gib, reported] of [
            [1, 81],
            [2, 198],
            [4, 413],
            [8, 856],
            [15.25, 1660],
        ] as const) {
            const estimate = defaultMaxConnections(gib);
            assert.ok(Math.abs(estimate - reported) / reported <= 0.04, `${gib} GiB: ${estimate} vs ${reported}`);
        }
        assert.equal(defaultMaxConnections(256), 5000);
    });

    it("Serverless v2: AWS's documented values per max ACU, 2000 at most with a 0 or 0.5 minimum", () => {
        assert.deepEqual(
            [1, 4, 8, 16, 32, 64, 256].map((max) => serverlessMaxConnections(1, max)),
            [189, 823, 1669, 3360, 5000, 5000, 5000],
        );
        assert.equal(serverlessMaxConnections(0, 64), 2000);
        assert.equal(serverlessMaxConnections(0.5, 8), 1669);
        const mid = serverlessMaxConnections(1, 2);
        assert.ok(mid > 189 && mid < 823, String(mid));
    });
});
