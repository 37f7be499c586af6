/**
 * Pure planning of `database.restore`: the stack's database created from a snapshot or to a
 * point in time of another database, instead of empty. Validation of what can be checked
 * offline, the provider arguments of each engine, the signs that a stack is long-lived, and
 * the warning the plan prints. The database's own plan (`lib/database-plan.ts`) calls
 * {@link planRestore} and re-exports this module.
 *
 * What a restore is, in AWS's and the provider's terms (a first `pulumi up` depends on these):
 * - `postgres` (`aws.rds.Instance`): `snapshotIdentifier` → RestoreDBInstanceFromDBSnapshot;
 *   `restoreToPointInTime { sourceDbInstanceIdentifier | sourceDbInstanceAutomatedBackupsArn |
 *   sourceDbiResourceId, restoreTime | useLatestRestorableTime }` → RestoreDBInstanceToPointInTime.
 *   Neither API takes a KMS key ("RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime",
 *   RDS API Reference): the instance is encrypted with the source's key, and an unencrypted
 *   source gives an unencrypted instance. The terraform provider under `@pulumi/aws` sends
 *   `manageMasterUserPassword`, the master secret's key, storage, backup and maintenance
 *   settings in a ModifyDBInstance right after the restore, and ignores `dbName` for PostgreSQL.
 * - Aurora (`aws.rds.Cluster`): `snapshotIdentifier` → RestoreDBClusterFromSnapshot;
 *   `restoreToPointInTime { sourceClusterIdentifier | sourceClusterResourceId, restoreToTime |
 *   useLatestRestorableTime, restoreType }` → RestoreDBClusterToPointInTime. Both take
 *   `KmsKeyId`: "You can restore to a new DB cluster and encrypt the new DB cluster with a KMS
 *   key that is different from the KMS key used to encrypt the source" (RDS API Reference,
 *   "RestoreDBClusterToPointInTime", KmsKeyId), and an unencrypted snapshot restored with a
 *   key is encrypted (ibid., "RestoreDBClusterFromSnapshot"). The cluster instances are then
 *   created as for a new cluster.
 * - The restored database keeps the source's master user name, database name and data
 *   (roles included: the application role and its `rds_iam` grant come with the data). RDS
 *   generates a new master password in a new Secrets Manager secret for it
 *   (`manageMasterUserPassword`), so nothing of the source's secret is reused.
 *
 * No Pulumi resource declarations and no Pulumi runtime calls.
 */
import type { DatabaseEngine } from "./database-plan";
import { Problem, problem } from "./problems";

/** A point in time of another database. */
export interface PointInTimeOptions {
    /**
     * The source database: for `postgres` an RDS instance identifier (`private-app-prod-db`),
     * the ARN of its retained automated backups (`arn:aws:rds:<region>:<account>:auto-backup:ab-...`)
     * or its resource id (`db-ABC...`), the two forms that still work once the instance is
     * deleted; for Aurora a cluster identifier, a cluster ARN (another account) or a deleted
     * cluster's resource id (`cluster-ABC...`).
     * @example "private-app-prod-db"
     */
    source: string;
    /**
     * The time, UTC (`2026-12-01T09:30:00Z`), or `latest` for the latest restorable time (usually
     * about five minutes ago). Not in the future; AWS also requires it within the source's
     * backup retention, which is checked at `pulumi up`.
     * @example "2026-12-01T09:30:00Z"
     */
    time: string;
}

/** `database.restore`: what the database is created from. */
export interface RestoreOptions {
    /**
     * A snapshot: its identifier (manual, automated `rds:...` or AWS Backup `awsbackup:job-...`)
     * or its ARN (a snapshot shared by another account needs the ARN). An instance snapshot
     * (`:snapshot:`) for `postgres`, a cluster snapshot (`:cluster-snapshot:`) for Aurora.
     * Exactly one of `fromSnapshot` and `pointInTime`.
     * @example "arn:aws:rds:eu-west-1:123456789012:snapshot:private-app-prod-db-final-1a2b3c4d"
     */
    fromSnapshot?: string;
    /** A point in time of another database. Exactly one of `fromSnapshot` and `pointInTime`. */
    pointInTime?: PointInTimeOptions;
    /**
     * This stack's name, to confirm a restore on a stack that looks long-lived (see
     * {@link longLivedSigns}): on a stack whose database exists a restore replaces it (the
     * existing one deleted first; `protect` refuses that in prod), on one whose database is
     * gone it creates the database from the source.
     * @example "prod"
     */
    confirmStack?: string;
}

/** How the source is named to the provider. */
export type RestoreSourceField =
    | "sourceDbInstanceIdentifier"
    | "sourceDbInstanceAutomatedBackupsArn"
    | "sourceDbiResourceId"
    | "sourceClusterIdentifier"
    | "sourceClusterResourceId";

/** The resolved restore. */
export type RestorePlan =
    | { kind: "snapshot"; snapshotIdentifier: string }
    | {
          kind: "pointInTime";
          sourceField: RestoreSourceField;
          source: string;
          /** An ISO UTC time, or undefined for the latest restorable time. */
          restoreTime?: string;
      };

/**
 * Stacks that are long-lived by name: the two committed root stacks the delivery workflow
 * deploys (`dev`, `prod`), and the usual names of other long-lived stages.
 */
export const LONG_LIVED_STACK_NAMES = ["dev", "prod", "production", "staging"] as const;

/** The value of `pointInTime.time` that asks for the latest restorable time. */
export const LATEST_RESTORABLE_TIME = "latest";

/**
 * Aurora point-in-time restores make a full copy: a `copy-on-write` clone shares the
 * source's storage volume (and dies with its account's access to it), which a recovery must
 * not depend on.
 */
export const AURORA_RESTORE_TYPE = "full-copy";

/**
 * The restore arguments of the instance / cluster, which the component always lists in
 * `ignoreChanges`. Once a database was created with them, editing or removing
 * `database.restore` is no change: Pulumi keeps the recorded value. Adding them to a database
 * created without them is a change all the same: with nothing recorded Pulumi uses the new
 * value (pulumi/pulumi#20278, "Don't error for missing old paths in ignoreChanges"; Pulumi CLI
 * from August 2025, CI pins 3.248.0), and the provider replaces the database, deleting it
 * first since its identifier is explicit (pulumi/pulumi-terraform#465, "Set
 * delete-before-replace for manually-named resources"). `protect` refuses that replacement in
 * prod; {@link planRestore} asks a long-lived-looking stack to confirm by name.
 */
export const RESTORE_ARGUMENTS = ["snapshotIdentifier", "restoreToPointInTime"] as const;

/**
 * Why a stack looks long-lived: offline nobody can read the stack's state, so these are the
 * facts the config gives. A long-lived name, or data protection on (the default: a stack for
 * a restore rehearsal sets `deletionProtection: false`, since it is torn down).
 */
export function longLivedSigns(facts: { stack?: string; deletionProtection: boolean }): string[] {
    const signs: string[] = [];
    if (facts.stack !== undefined && (LONG_LIVED_STACK_NAMES as readonly string[]).includes(facts.stack))
        signs.push(`the stack is named ${facts.stack}, a long-lived stack`);
    if (facts.deletionProtection)
        signs.push("database.deletionProtection is true (the data of a long-lived stack is protected)");
    return signs;
}

// RDS identifiers ("CreateDBInstance", "CreateDBSnapshot", RDS API Reference): letters, digits
// and hyphens, a letter first, no trailing hyphen and no two hyphens in a row; instances and
// clusters up to 63 characters, snapshots up to 255. Automated snapshots are named
// `rds:<db>-<date>`, AWS Backup's recovery points `awsbackup:job-<id>`.
const DB_ID = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/;
const SNAPSHOT_PREFIX = /^(rds:|awsbackup:)/;
const RDS_ARN = /^arn:aws(?:-[a-z]+)*:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/;
const INSTANCE_RESOURCE_ID = /^db-[A-Z0-9]{10,}$/;
const CLUSTER_RESOURCE_ID = /^cluster-[A-Z0-9]{10,}$/;
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?Z$/;

function validDbIdentifier(id: string, maxLength: number): boolean {
    return id.length <= maxLength && DB_ID.test(id) && !id.endsWith("-");
}

function validSnapshotIdentifier(id: string): boolean {
    const bare = id.replace(SNAPSHOT_PREFIX, "");
    return id.length <= 255 && validDbIdentifier(bare, 255);
}

/** What a string names, as far as its shape tells. */
type Named =
    | { kind: "snapshot" | "cluster-snapshot" | "db" | "cluster" | "auto-backup" | "other-arn"; id: string }
    | { kind: "instance-resource-id" | "cluster-resource-id" | "identifier" | "invalid"; id: string };

function classify(value: string): Named {
    const arn = RDS_ARN.exec(value);
    if (arn) {
        const kind = arn[3];
        switch (kind) {
            case "snapshot":
            case "cluster-snapshot":
            case "db":
            case "cluster":
            case "auto-backup":
                return { kind, id: arn[4] };
            default:
                return { kind: "other-arn", id: arn[4] };
        }
    }
    if (value.startsWith("arn:")) return { kind: "invalid", id: value };
    if (INSTANCE_RESOURCE_ID.test(value)) return { kind: "instance-resource-id", id: value };
    if (CLUSTER_RESOURCE_ID.test(value)) return { kind: "cluster-resource-id", id: value };
    return { kind: "identifier", id: value };
}

const THIS_PROJECT_DB = (project: string) => new RegExp(`^${project.replace(/[^a-z0-9-]/g, "")}-[a-z0-9-]+-db$`);

export interface RestoreContext {
    engine: DatabaseEngine;
    /** The current time (ms since the epoch) a point in time is compared with: pure, so passed in. */
    now: number;
    /** The stack's name, when known (the config layer and the component know it). */
    stack?: string;
    /** The Pulumi project (databases of this project are named `<project>-<stack>-<name>`). */
    project?: string;
    /** The physical identifier the restored database gets (`<project>-<stack>-<name>`), when known. */
    identifier?: string;
    deletionProtection: boolean;
}

/**
 * Validates `restore` (keys under `restore.`) and resolves it. Offline it checks the shape of
 * every identifier and its kind against the engine, a time that is not in the future, and
 * the confirmation on a long-lived-looking stack. AWS checks at `pulumi up` that the snapshot
 * or source exists, that the time lies between the source's earliest and latest restorable
 * times, and that the restored engine version and storage fit.
 */
export function planRestore(r: RestoreOptions, ctx: RestoreContext): { plan?: RestorePlan; problems: Problem[] } {
    const problems: Problem[] = [];
    const bad = (key: string, got: unknown, constraint: string, fix: string) =>
        problems.push(problem(key, got, constraint, fix));
    const aurora = ctx.engine !== "postgres";
    const snapshotKind = aurora ? "cluster-snapshot" : "snapshot";
    const what = aurora ? "an Aurora cluster" : "an RDS instance";

    let plan: RestorePlan | undefined;
    if (r.fromSnapshot !== undefined && r.pointInTime !== undefined) {
        bad(
            "restore.pointInTime",
            r.pointInTime,
            "a database is restored from one source: fromSnapshot or pointInTime, not both",
            "remove database.restore.fromSnapshot or database.restore.pointInTime",
        );
    } else if (r.fromSnapshot === undefined && r.pointInTime === undefined) {
        bad(
            "restore",
            r,
            "a restore needs a source: fromSnapshot (a snapshot) or pointInTime ({ source, time })",
            "set database.restore.fromSnapshot or database.restore.pointInTime, or remove database.restore",
        );
    } else if (r.fromSnapshot !== undefined) {
        plan = planSnapshot(r.fromSnapshot);
    } else if (r.pointInTime !== undefined) {
        plan = planPointInTime(r.pointInTime);
    }

    function planSnapshot(given: string): RestorePlan | undefined {
        const named = classify(given);
        switch (named.kind) {
            case "snapshot":
            case "cluster-snapshot":
                if (named.kind !== snapshotKind) {
                    bad(
                        "restore.fromSnapshot",
                        given,
                        `is ${named.kind === "snapshot" ? "an RDS instance snapshot" : "an Aurora cluster snapshot"}; engine ${ctx.engine} restores ${what} from ${aurora ? "a cluster snapshot (arn:...:cluster-snapshot:...)" : "an instance snapshot (arn:...:snapshot:...)"}`,
                        aurora
                            ? "give a cluster snapshot of an Aurora cluster, or restore an instance snapshot with database.engine postgres"
                            : "give a snapshot of an RDS instance, or restore a cluster snapshot with an Aurora database.engine",
                    );
                    return undefined;
                }
                if (!validSnapshotIdentifier(named.id)) break;
                return { kind: "snapshot", snapshotIdentifier: given };
            case "db":
            case "cluster":
            case "auto-backup":
            case "instance-resource-id":
            case "cluster-resource-id":
                bad(
                    "restore.fromSnapshot",
                    given,
                    "names a database or its automated backups, not a snapshot",
                    "give a snapshot (aws rds describe-db-snapshots / describe-db-cluster-snapshots), or restore the database's automated backups with database.restore.pointInTime.source",
                );
                return undefined;
            case "identifier":
                if (!validSnapshotIdentifier(given)) break;
                if (ctx.project !== undefined && THIS_PROJECT_DB(ctx.project).test(given)) {
                    bad(
                        "restore.fromSnapshot",
                        given,
                        `is how this project names its databases (${ctx.project}-<stack>-db), not a snapshot`,
                        "for a point in time of that database use database.restore.pointInTime.source; if it really is a snapshot's name, give the snapshot's ARN",
                    );
                    return undefined;
                }
                return { kind: "snapshot", snapshotIdentifier: given };
            case "other-arn":
            case "invalid":
                break;
        }
        bad(
            "restore.fromSnapshot",
            given,
            `expected a snapshot identifier (letters, digits and single hyphens, a letter first, optionally after rds: or awsbackup:, up to 255 characters) or a snapshot ARN (arn:aws:rds:<region>:<account>:${snapshotKind}:<id>)`,
            "copy the snapshot's identifier or ARN from aws rds " +
                (aurora ? "describe-db-cluster-snapshots" : "describe-db-snapshots"),
        );
        return undefined;
    }

    function planPointInTime(p: PointInTimeOptions): RestorePlan | undefined {
        const named = classify(p.source);
        let sourceField: RestoreSourceField | undefined;
        switch (named.kind) {
            case "identifier":
                if (!validDbIdentifier(p.source, 63)) {
                    bad(
                        "restore.pointInTime.source",
                        p.source,
                        `expected ${aurora ? "a cluster" : "a DB instance"} identifier (1 to 63 letters, digits or single hyphens, a letter first)${aurora ? ", a cluster ARN or a cluster-... resource id" : ", an auto-backup ARN or a db-... resource id"}`,
                        `copy it from aws rds ${aurora ? "describe-db-clusters" : "describe-db-instances"}`,
                    );
                    break;
                }
                if (ctx.identifier !== undefined && p.source === ctx.identifier) {
                    bad(
                        "restore.pointInTime.source",
                        p.source,
                        "is the identifier this stack's restored database gets: the source must be another database, and a deleted one is named by its retained automated backups",
                        aurora
                            ? "give the deleted cluster's resource id (cluster-..., aws rds describe-db-cluster-automated-backups)"
                            : "give the deleted instance's resource id (db-..., aws rds describe-db-instance-automated-backups) or its auto-backup ARN",
                    );
                    break;
                }
                sourceField = aurora ? "sourceClusterIdentifier" : "sourceDbInstanceIdentifier";
                break;
            case "cluster":
                if (aurora) sourceField = "sourceClusterIdentifier";
                break;
            case "auto-backup":
                if (!aurora) sourceField = "sourceDbInstanceAutomatedBackupsArn";
                break;
            case "instance-resource-id":
                if (!aurora) sourceField = "sourceDbiResourceId";
                break;
            case "cluster-resource-id":
                if (aurora) sourceField = "sourceClusterResourceId";
                break;
            case "snapshot":
            case "cluster-snapshot":
            case "db":
            case "other-arn":
            case "invalid":
                break;
        }
        if (sourceField === undefined && !problems.some((x) => x.key === "restore.pointInTime.source")) {
            bad(
                "restore.pointInTime.source",
                p.source,
                named.kind === "snapshot" || named.kind === "cluster-snapshot"
                    ? "is a snapshot; pointInTime.source is the database whose automated backups are restored"
                    : `is not a source of ${what}: expected ${aurora ? "a cluster identifier, a cluster ARN (arn:...:cluster:<id>) or a cluster resource id (cluster-...)" : "a DB instance identifier, an auto-backup ARN (arn:...:auto-backup:ab-...) or a resource id (db-...)"}`,
                named.kind === "snapshot" || named.kind === "cluster-snapshot"
                    ? "move it to database.restore.fromSnapshot"
                    : aurora
                      ? "give the source cluster, or set database.engine to postgres for an RDS instance"
                      : "give the source DB instance, or set database.engine to an Aurora engine for a cluster",
            );
        }

        let restoreTime: string | undefined;
        if (p.time !== LATEST_RESTORABLE_TIME) {
            const t = isoUtc(p.time);
            if (t === undefined) {
                bad(
                    "restore.pointInTime.time",
                    p.time,
                    'expected a UTC time such as "2026-12-01T09:30:00Z", or "latest" for the latest restorable time',
                    'write the time in UTC with a trailing Z (date -u +%Y-%m-%dT%H:%M:%SZ), or "latest"',
                );
            } else if (t > ctx.now) {
                bad(
                    "restore.pointInTime.time",
                    p.time,
                    `is in the future (now is ${new Date(ctx.now).toISOString().replace(/\.\d{3}Z$/, "Z")}); a database can be restored only to a time it has backed up`,
                    'give a past time, or "latest" for the latest restorable time',
                );
            } else restoreTime = p.time;
        }
        if (sourceField === undefined || (restoreTime === undefined && p.time !== LATEST_RESTORABLE_TIME))
            return undefined;
        return { kind: "pointInTime", sourceField, source: p.source, restoreTime };
    }

    // A restore on a stack that looks long-lived needs its name, typed out.
    const signs = longLivedSigns({ stack: ctx.stack, deletionProtection: ctx.deletionProtection });
    if (r.confirmStack !== undefined && ctx.stack !== undefined && r.confirmStack !== ctx.stack) {
        bad(
            "restore.confirmStack",
            r.confirmStack,
            `confirms a restore on stack ${r.confirmStack}, but this stack is ${ctx.stack} (a confirmation copied from another stack's file confirms nothing)`,
            `set database.restore.confirmStack to ${ctx.stack} if a restore on this stack is meant`,
        );
    } else if (signs.length > 0 && r.confirmStack === undefined) {
        bad(
            "restore.confirmStack",
            undefined,
            `a restore is for a new stack, and this one looks long-lived: ${signs.join("; ")}. On a stack whose database exists a restore replaces it, deleting it first; on one whose database is gone it creates it from the source`,
            `for a rehearsal use a new stack with database.deletionProtection false; to restore this stack's lost database (README, disaster recovery) set database.restore.confirmStack to ${ctx.stack ?? "the stack's name"}`,
        );
    }

    return problems.length > 0 ? { problems } : { problems, plan };
}

/** The time in ms when `s` is a real UTC time in the accepted form. */
function isoUtc(s: string): number | undefined {
    const m = ISO_UTC.exec(s);
    if (!m) return undefined;
    const t = Date.parse(s);
    if (Number.isNaN(t)) return undefined;
    // Date.parse rolls 2026-02-30 over to March: the fields must come back as written.
    const d = new Date(t);
    const same =
        d.getUTCFullYear() === Number(m[1]) &&
        d.getUTCMonth() + 1 === Number(m[2]) &&
        d.getUTCDate() === Number(m[3]) &&
        d.getUTCHours() === Number(m[4]);
    return same ? t : undefined;
}

/** The `aws.rds.Instance` arguments of a restore (engine `postgres`). */
export function instanceRestoreArgs(plan: RestorePlan): {
    snapshotIdentifier?: string;
    restoreToPointInTime?: Partial<Record<RestoreSourceField, string>> & {
        restoreTime?: string;
        useLatestRestorableTime?: boolean;
    };
} {
    switch (plan.kind) {
        case "snapshot":
            return { snapshotIdentifier: plan.snapshotIdentifier };
        case "pointInTime":
            return {
                restoreToPointInTime: {
                    [plan.sourceField]: plan.source,
                    ...(plan.restoreTime === undefined
                        ? { useLatestRestorableTime: true }
                        : { restoreTime: plan.restoreTime }),
                },
            };
    }
}

/** The `aws.rds.Cluster` arguments of a restore (the Aurora engines). */
export function clusterRestoreArgs(plan: RestorePlan): {
    snapshotIdentifier?: string;
    restoreToPointInTime?: Partial<Record<RestoreSourceField, string>> & {
        restoreToTime?: string;
        useLatestRestorableTime?: boolean;
        restoreType: string;
    };
} {
    switch (plan.kind) {
        case "snapshot":
            return { snapshotIdentifier: plan.snapshotIdentifier };
        case "pointInTime":
            return {
                restoreToPointInTime: {
                    [plan.sourceField]: plan.source,
                    ...(plan.restoreTime === undefined
                        ? { useLatestRestorableTime: true }
                        : { restoreToTime: plan.restoreTime }),
                    restoreType: AURORA_RESTORE_TYPE,
                },
            };
    }
}

/** A phrase naming the source: `snapshot X` or `X at T` / `X at its latest restorable time`. */
export function restoreSource(plan: RestorePlan): string {
    switch (plan.kind) {
        case "snapshot":
            return `snapshot ${plan.snapshotIdentifier}`;
        case "pointInTime":
            return `${plan.source} at ${plan.restoreTime ?? "its latest restorable time"}`;
    }
}

/**
 * The warning the plan and `pulumi preview`/`up` print when a restore is configured: what it
 * does on a new stack, what it does (nothing) on a stack whose database exists, and what to
 * check that cannot be checked offline.
 */
export function restoreWarning(
    plan: RestorePlan,
    engine: DatabaseEngine,
    identifier: string,
    kmsKeyArnGiven: boolean,
): string {
    const parts = [
        `RESTORE: database ${identifier} is created from ${restoreSource(plan)}, not empty.`,
        "On a stack whose database exists this REPLACES it, deleting the existing database first (protect stops that in prod); once created, editing or removing database.restore is no change (ignoreChanges).",
        "The restored database keeps the source's master user, database name and data; its master password is a new RDS-managed secret.",
    ];
    if (engine === "postgres") {
        parts.push(
            kmsKeyArnGiven
                ? "RDS cannot re-encrypt on restore: the source must be encrypted with database.kmsKeyArn, or the next update would replace the database; re-encrypt a snapshot first with aws rds copy-db-snapshot --kms-key-id <database.kmsKeyArn> (an unencrypted source too)."
                : "RDS cannot encrypt on restore: an unencrypted source must first be copied with aws rds copy-db-snapshot --kms-key-id alias/aws/rds.",
        );
        parts.push(
            "database.allocatedStorageGb must be at least the source's allocated storage (storage cannot shrink).",
        );
    } else {
        parts.push(
            kmsKeyArnGiven
                ? "The cluster is encrypted with database.kmsKeyArn whatever the source's key (Aurora re-encrypts on restore)."
                : "The cluster keeps the source's key (set database.kmsKeyArn to re-encrypt; an unencrypted source needs it).",
        );
    }
    parts.push(
        "Once the restored database is live, remove database.restore: a database created again later would otherwise be restored from the same source.",
    );
    return parts.join(" ");
}
