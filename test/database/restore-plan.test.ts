/**
 * `database.restore` planned directly (lib/restore-plan.ts): each identifier's kind against each
 * engine, the time, the confirmation on a stack that looks long-lived, and the provider
 * arguments each engine gets. Pure: the current time is passed in.
 */
import { strict as assert } from "assert";
import {
    AURORA_RESTORE_TYPE,
    clusterRestoreArgs,
    DatabaseEngine,
    instanceRestoreArgs,
    longLivedSigns,
    planDatabase,
    planRestore,
    RESTORE_ARGUMENTS,
    RestoreContext,
    RestoreOptions,
    restoreWarning,
} from "../../lib/database-plan";

const NOW = Date.parse("2026-12-03T08:00:00Z");
const ACCOUNT = "123456789012";
const SNAPSHOT_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:private-app-prod-db-final-1a2b3c4d`;
const CLUSTER_SNAPSHOT_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster-snapshot:private-app-prod-db-final-1a2b3c4d`;

const ctx = (engine: DatabaseEngine, more: Partial<RestoreContext> = {}): RestoreContext => ({
    engine,
    now: NOW,
    stack: "restore-test",
    project: "private-app",
    identifier: "private-app-restore-test-db",
    deletionProtection: false,
    ...more,
});

function keysOf(r: RestoreOptions, c: RestoreContext): string[] {
    return planRestore(r, c).problems.map((p) => p.key);
}

describe("lib/restore-plan: database.restore", () => {
    describe("a snapshot", () => {
        const accepted: [DatabaseEngine, string][] = [
            ["postgres", SNAPSHOT_ARN],
            ["postgres", "rds:private-app-prod-db-2026-12-01-03-05"],
            ["postgres", "awsbackup:job-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"],
            // An AWS Backup recovery point, as README "Backups" names it.
            [
                "postgres",
                `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:awsbackup:job-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`,
            ],
            [
                "aurora-postgresql",
                `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster-snapshot:awsbackup:job-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`,
            ],
            ["postgres", "before-migration-42"],
            ["aurora-postgresql", CLUSTER_SNAPSHOT_ARN],
            ["aurora-serverless", "rds:private-app-prod-db-2026-12-01-03-05"],
            ["aurora-serverless", CLUSTER_SNAPSHOT_ARN.replace("arn:aws:", "arn:aws-us-gov:")],
        ];
        for (const [engine, id] of accepted) {
            it(`${engine} accepts ${id}`, () => {
                const r = planRestore({ fromSnapshot: id }, ctx(engine));
                assert.deepEqual(r.problems, []);
                assert.deepEqual(r.plan, { kind: "snapshot", snapshotIdentifier: id });
            });
        }

        const refused: [string, DatabaseEngine, string, RegExp][] = [
            ["a cluster snapshot for an instance", "postgres", CLUSTER_SNAPSHOT_ARN, /Aurora cluster snapshot/],
            ["an instance snapshot for a cluster", "aurora-postgresql", SNAPSHOT_ARN, /RDS instance snapshot/],
            ["a database ARN", "postgres", `arn:aws:rds:eu-west-1:${ACCOUNT}:db:private-app-prod-db`, /not a snapshot/],
            [
                "a cluster ARN",
                "aurora-serverless",
                `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:private-app-prod-db`,
                /not a snapshot/,
            ],
            ["a resource id", "postgres", "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ", /not a snapshot/],
            ["this project's database identifier", "postgres", "private-app-prod-db", /names its databases/],
            ["two hyphens in a row", "postgres", "prod--snap", /expected a snapshot identifier/],
            ["a trailing hyphen", "postgres", "prod-snap-", /expected a snapshot identifier/],
            ["a digit first", "postgres", "1-snap", /expected a snapshot identifier/],
            ["an ARN of another service", "postgres", `arn:aws:s3:::bucket`, /expected a snapshot identifier/],
            ["an RDS ARN of another kind", "postgres", `arn:aws:rds:eu-west-1:${ACCOUNT}:og:x`, /expected/],
        ];
        for (const [what, engine, id, message] of refused) {
            it(`${engine} refuses ${what}, naming restore.fromSnapshot`, () => {
                const r = planRestore({ fromSnapshot: id }, ctx(engine));
                assert.equal(r.plan, undefined);
                assert.deepEqual(
                    r.problems.map((p) => p.key),
                    ["restore.fromSnapshot"],
                );
                assert.match(r.problems[0].allowed, message);
                assert.equal(r.problems[0].given, id);
            });
        }

        it("takes a snapshot ARN that looks like this project's database: the ARN says it is a snapshot", () => {
            const arn = `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:private-app-prod-db`;
            assert.deepEqual(keysOf({ fromSnapshot: arn }, ctx("postgres")), []);
        });
    });

    describe("a point in time", () => {
        const sources: [DatabaseEngine, string, string][] = [
            ["postgres", "private-app-prod-db", "sourceDbInstanceIdentifier"],
            [
                "postgres",
                `arn:aws:rds:eu-west-1:${ACCOUNT}:auto-backup:ab-abcdefghijklmnopqrstuvwxyz1234`,
                "sourceDbInstanceAutomatedBackupsArn",
            ],
            ["postgres", "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "sourceDbiResourceId"],
            ["aurora-postgresql", "private-app-prod-db", "sourceClusterIdentifier"],
            ["aurora-postgresql", `arn:aws:rds:eu-west-1:210987654321:cluster:shared-db`, "sourceClusterIdentifier"],
            ["aurora-serverless", "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "sourceClusterResourceId"],
        ];
        for (const [engine, source, field] of sources) {
            it(`${engine}: ${source} is a ${field}`, () => {
                const r = planRestore({ pointInTime: { source, time: "2026-12-02T23:59:59Z" } }, ctx(engine));
                assert.deepEqual(r.problems, []);
                assert.deepEqual(r.plan, {
                    kind: "pointInTime",
                    sourceField: field,
                    source,
                    restoreTime: "2026-12-02T23:59:59Z",
                });
            });
        }

        const wrongSources: [DatabaseEngine, string, RegExp][] = [
            ["postgres", SNAPSHOT_ARN, /is a snapshot/],
            ["aurora-postgresql", CLUSTER_SNAPSHOT_ARN, /is a snapshot/],
            [
                "postgres",
                `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:private-app-prod-db`,
                /not a source of an RDS instance/,
            ],
            ["postgres", "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ", /not a source of an RDS instance/],
            [
                "aurora-serverless",
                `arn:aws:rds:eu-west-1:${ACCOUNT}:db:private-app-prod-db`,
                /not a source of an Aurora/,
            ],
            ["aurora-serverless", "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ", /not a source of an Aurora/],
            ["aurora-serverless", `arn:aws:rds:eu-west-1:${ACCOUNT}:auto-backup:ab-x1`, /not a source of an Aurora/],
            ["postgres", "prod_db", /expected a DB instance identifier/],
            ["postgres", "a".repeat(64), /expected a DB instance identifier/],
            ["postgres", "private-app-restore-test-db", /the identifier this stack's restored database gets/],
        ];
        for (const [engine, source, message] of wrongSources) {
            it(`${engine} refuses the source ${source.slice(0, 60)}, naming restore.pointInTime.source`, () => {
                const r = planRestore({ pointInTime: { source, time: "latest" } }, ctx(engine));
                assert.deepEqual(
                    r.problems.map((p) => p.key),
                    ["restore.pointInTime.source"],
                );
                assert.match(r.problems[0].allowed, message);
            });
        }

        it('"latest" asks for the latest restorable time', () => {
            const r = planRestore({ pointInTime: { source: "private-app-prod-db", time: "latest" } }, ctx("postgres"));
            assert.deepEqual(r.plan, {
                kind: "pointInTime",
                sourceField: "sourceDbInstanceIdentifier",
                source: "private-app-prod-db",
                restoreTime: undefined,
            });
        });

        const times: [string, string, RegExp][] = [
            ["a second in the future", "2026-12-03T08:00:01Z", /is in the future \(now is 2026-12-03T08:00:00Z\)/],
            ["next year", "2027-01-01T00:00:00Z", /in the future/],
            ["a local time without Z", "2026-12-01T09:30:00", /expected a UTC time/],
            ["an offset instead of Z", "2026-12-01T09:30:00+01:00", /expected a UTC time/],
            ["a date alone", "2026-12-01", /expected a UTC time/],
            ["a day that does not exist", "2026-02-30T10:00:00Z", /expected a UTC time/],
            ["an hour that does not exist", "2026-12-01T24:00:00Z", /expected a UTC time/],
            ["a word", "yesterday", /expected a UTC time/],
        ];
        for (const [what, time, message] of times) {
            it(`refuses ${what}, naming restore.pointInTime.time`, () => {
                const r = planRestore({ pointInTime: { source: "private-app-prod-db", time } }, ctx("postgres"));
                assert.deepEqual(
                    r.problems.map((p) => p.key),
                    ["restore.pointInTime.time"],
                );
                assert.match(r.problems[0].allowed, message);
            });
        }

        it("accepts now itself and a time with milliseconds", () => {
            for (const time of ["2026-12-03T08:00:00Z", "2026-12-03T07:59:59.999Z"]) {
                assert.deepEqual(keysOf({ pointInTime: { source: "private-app-prod-db", time } }, ctx("postgres")), []);
            }
        });
    });

    describe("one source", () => {
        it("refuses both a snapshot and a point in time", () => {
            const keys = keysOf(
                { fromSnapshot: SNAPSHOT_ARN, pointInTime: { source: "private-app-prod-db", time: "latest" } },
                ctx("postgres"),
            );
            assert.deepEqual(keys, ["restore.pointInTime"]);
        });
        it("refuses neither", () => {
            assert.deepEqual(keysOf({}, ctx("postgres")), ["restore"]);
        });
    });

    describe("a stack that looks long-lived", () => {
        it("names its signs: a long-lived name, data protection", () => {
            assert.deepEqual(longLivedSigns({ stack: "restore-test", deletionProtection: false }), []);
            assert.equal(longLivedSigns({ stack: "prod", deletionProtection: false }).length, 1);
            assert.equal(longLivedSigns({ stack: "restore-test", deletionProtection: true }).length, 1);
            assert.equal(longLivedSigns({ stack: "dev", deletionProtection: true }).length, 2);
            assert.equal(longLivedSigns({ deletionProtection: false }).length, 0);
        });

        const cases: [string, Partial<RestoreContext>, string | undefined, boolean][] = [
            ["prod without confirmation", { stack: "prod", identifier: undefined }, undefined, false],
            ["dev without confirmation", { stack: "dev", identifier: undefined }, undefined, false],
            ["deletion protection without confirmation", { deletionProtection: true }, undefined, false],
            ["prod confirmed", { stack: "prod", deletionProtection: true, identifier: undefined }, "prod", true],
            ["protected data confirmed", { deletionProtection: true }, "restore-test", true],
            ["a confirmation of another stack", { stack: "prod", identifier: undefined }, "restore-test", false],
            ["a confirmation copied to a new stack", {}, "prod", false],
            ["a new stack, nothing to confirm", {}, undefined, true],
            ["a new stack confirmed anyway", {}, "restore-test", true],
        ];
        for (const [what, more, confirmStack, ok] of cases) {
            it(`${what}: ${ok ? "accepted" : "refused, naming restore.confirmStack"}`, () => {
                const keys = keysOf({ fromSnapshot: SNAPSHOT_ARN, confirmStack }, ctx("postgres", more));
                assert.deepEqual(keys, ok ? [] : ["restore.confirmStack"]);
            });
        }

        it("says why, and both ways out", () => {
            const [p] = planRestore(
                { fromSnapshot: SNAPSHOT_ARN },
                ctx("postgres", { stack: "prod", deletionProtection: true }),
            ).problems;
            assert.match(p.allowed, /the stack is named prod/);
            assert.match(p.allowed, /deletionProtection is true/);
            assert.match(p.fix, /deletionProtection false/);
            assert.match(p.fix, /confirmStack to prod/);
        });
    });

    describe("provider arguments", () => {
        it("an instance: snapshotIdentifier, or restoreToPointInTime with restoreTime / useLatestRestorableTime", () => {
            assert.deepEqual(instanceRestoreArgs({ kind: "snapshot", snapshotIdentifier: "s1" }), {
                snapshotIdentifier: "s1",
            });
            assert.deepEqual(
                instanceRestoreArgs({
                    kind: "pointInTime",
                    sourceField: "sourceDbiResourceId",
                    source: "db-ABCDEFGHIJKL",
                    restoreTime: "2026-12-01T09:30:00Z",
                }),
                {
                    restoreToPointInTime: {
                        sourceDbiResourceId: "db-ABCDEFGHIJKL",
                        restoreTime: "2026-12-01T09:30:00Z",
                    },
                },
            );
            assert.deepEqual(
                instanceRestoreArgs({ kind: "pointInTime", sourceField: "sourceDbInstanceIdentifier", source: "x" }),
                { restoreToPointInTime: { sourceDbInstanceIdentifier: "x", useLatestRestorableTime: true } },
            );
        });

        it("a cluster: restoreToTime, and always a full copy (never a clone sharing the source's storage)", () => {
            assert.equal(AURORA_RESTORE_TYPE, "full-copy");
            assert.deepEqual(
                clusterRestoreArgs({
                    kind: "pointInTime",
                    sourceField: "sourceClusterIdentifier",
                    source: "c",
                    restoreTime: "2026-12-01T09:30:00Z",
                }),
                {
                    restoreToPointInTime: {
                        sourceClusterIdentifier: "c",
                        restoreToTime: "2026-12-01T09:30:00Z",
                        restoreType: "full-copy",
                    },
                },
            );
            assert.deepEqual(
                clusterRestoreArgs({
                    kind: "pointInTime",
                    sourceField: "sourceClusterResourceId",
                    source: "cluster-X",
                }),
                {
                    restoreToPointInTime: {
                        sourceClusterResourceId: "cluster-X",
                        useLatestRestorableTime: true,
                        restoreType: "full-copy",
                    },
                },
            );
        });

        it("ignoreChanges covers exactly the arguments a restore sets", () => {
            const args = [
                instanceRestoreArgs({ kind: "snapshot", snapshotIdentifier: "s" }),
                clusterRestoreArgs({ kind: "pointInTime", sourceField: "sourceClusterIdentifier", source: "c" }),
            ].flatMap((a) => Object.keys(a));
            assert.deepEqual([...new Set(args)].sort(), [...RESTORE_ARGUMENTS].sort());
        });
    });

    describe("the warning", () => {
        const snap = { kind: "snapshot" as const, snapshotIdentifier: "s1" };
        it("postgres: names the source, says what happens on an existing stack, and how to re-encrypt", () => {
            const w = restoreWarning(snap, "postgres", "private-app-x-db", true);
            assert.match(w, /^RESTORE: database private-app-x-db is created from snapshot s1/);
            assert.match(
                w,
                /On a stack whose database exists this REPLACES it, deleting the existing database first \(protect stops that in prod\)/,
            );
            assert.match(w, /editing or removing database.restore is no change \(ignoreChanges\)/);
            assert.match(w, /aws rds copy-db-snapshot --kms-key-id <database.kmsKeyArn>/);
            assert.match(w, /allocatedStorageGb must be at least/);
        });
        it("Aurora: re-encrypts with the stack's key", () => {
            assert.match(restoreWarning(snap, "aurora-serverless", "x", true), /Aurora re-encrypts on restore/);
        });
    });

    describe("through planDatabase", () => {
        const WIRING = {
            isolatedSubnetIds: ["subnet-iso0", "subnet-iso1"],
            privateSubnetIds: ["subnet-prv0", "subnet-prv1"],
            alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:alarms",
        };
        it("resolves the restore into the plan; none without one", () => {
            const r = planDatabase("db", {
                engine: "postgres",
                deletionProtection: false,
                restore: { fromSnapshot: SNAPSHOT_ARN },
                now: NOW,
                ...WIRING,
            });
            assert.deepEqual(r.problems, []);
            assert.deepEqual(r.plan?.restore, { kind: "snapshot", snapshotIdentifier: SNAPSHOT_ARN });
            assert.equal("restore" in planDatabase("db", { engine: "postgres", ...WIRING }).plan!, false);
        });
        it("checks the source against its own identifier <project>-<stack>-<name>", () => {
            const r = planDatabase("db", {
                engine: "postgres",
                deletionProtection: false,
                restore: { pointInTime: { source: "private-app-drill-db", time: "latest" } },
                now: NOW,
                stack: "drill",
                project: "private-app",
                ...WIRING,
            });
            assert.deepEqual(
                r.problems.map((p) => p.key),
                ["restore.pointInTime.source"],
            );
        });
        it("uses the default deletionProtection (true) as a sign of a long-lived stack", () => {
            const r = planDatabase("db", {
                engine: "postgres",
                restore: { fromSnapshot: SNAPSHOT_ARN },
                now: NOW,
                ...WIRING,
            });
            assert.deepEqual(
                r.problems.map((p) => p.key),
                ["restore.confirmStack"],
            );
        });
    });
});
