/**
 * Pure planning of `database.backupPlan`: an AWS Backup plan kept apart from the database
 * (its own vault, key, schedule and retention, optionally a copy in a second region and a
 * vault lock). Validates the options, resolves the defaults and says what the `BackupPlan`
 * component declares. No Pulumi resource declarations and no Pulumi runtime calls.
 *
 * What a first `pulumi up` relies on (AWS Backup Developer Guide and API reference, by title):
 * - "BackupRuleInput": `StartWindowMinutes` "must be at least 60 minutes to avoid errors";
 *   `ScheduleExpression` is a cron expression in UTC; lifecycle `DeleteAfterDays` 1 to 36500.
 * - "AWS Backup Vault Lock": governance mode can be removed by principals with IAM permission;
 *   compliance mode (`ChangeableForDays`, at least 3: AWS enforces a 72-hour cooling-off
 *   period) becomes immutable at the lock date, after which nobody (root user, AWS) can delete
 *   a recovery point before its retention ends, nor remove the lock. A job whose retention is
 *   outside the lock's minimum/maximum fails.
 * - "Plan options and configuration": database services cannot start a backup in the hour
 *   before or during their maintenance window (Aurora is exempt); RDS takes one snapshot at a
 *   time, so a job during the automated backup window waits or expires.
 * - "Assigning resources": an RDS instance is selected by its `db:` ARN, an Aurora cluster by
 *   its `cluster:` ARN (AWS Backup backs up Aurora per cluster, never per instance).
 */
import { RDS_CA_REGIONS } from "../app/contract";
import { parseDailyWindow, parseWeeklyWindow, windowsOverlap } from "./database-plan";
import { Problem, problem } from "./problems";

/** Daily at 01:00 UTC: two hours before the default RDS backup window (03:00-04:00). */
export const DEFAULT_BACKUP_SCHEDULE = "cron(0 1 ? * * *)";
/** AWS's minimum start window ("must be at least 60 minutes to avoid errors"). */
export const MIN_BACKUP_START_WINDOW_MINUTES = 60;
export const DEFAULT_BACKUP_START_WINDOW_MINUTES = 60;
/** At most half a day: a daily job still waiting to start after that collides with the next. */
export const MAX_BACKUP_START_WINDOW_MINUTES = 720;
/** Four hours from the start to finish a snapshot (a 500 GiB RDS snapshot takes far less). */
export const DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES = 240;
/** Our rule: the completion window exceeds the start window by at least an hour. */
export const MIN_COMPLETION_BEYOND_START_MINUTES = 60;
/** A week (AWS's default completion window). */
export const MAX_BACKUP_COMPLETION_WINDOW_MINUTES = 10080;
/** Daily recovery points are kept five weeks. */
export const DEFAULT_BACKUP_RETENTION_DAYS_PLAN = 35;
/** AWS Backup's lifecycle limit (`DeleteAfterDays` 1 to 36500, 100 years). */
export const MAX_BACKUP_RETENTION_DAYS = 36500;
/** Compliance mode: days to change or remove the lock before it becomes immutable (AWS minimum 3). */
export const MIN_CHANGEABLE_FOR_DAYS = 3;
export const DEFAULT_CHANGEABLE_FOR_DAYS = 7;
/** The value `vaultLock.acknowledge` must have for a compliance lock. */
export const COMPLIANCE_ACKNOWLEDGEMENT = "irreversible";
/** The rule's name in the plan. */
export const BACKUP_RULE_NAME = "daily";

export const VAULT_LOCK_MODES = ["governance", "compliance"] as const;
export type VaultLockMode = (typeof VAULT_LOCK_MODES)[number];

/** `database.backupPlan.vaultLock`. */
export interface VaultLockOptions {
    /**
     * `governance`: the lock can be changed or removed by principals with
     * `backup:DeleteBackupVaultLockConfiguration`; `compliance`: after `changeableForDays` the
     * lock can never be removed and no recovery point deleted before `minRetentionDays`, by
     * anyone (root user and AWS included). Compliance needs `acknowledge: irreversible`.
     * @example "governance"
     */
    mode: VaultLockMode;
    /** Every recovery point in the vault is kept at least this long (1 to 36500); at most `retentionDays`. */
    minRetentionDays: number;
    /** ... and at most this long (`minRetentionDays` to 36500); at least `retentionDays`. */
    maxRetentionDays: number;
    /**
     * Compliance only: days until the lock becomes immutable (3 or more); until then it can
     * still be changed or removed.
     * @default 7
     */
    changeableForDays?: number;
    /** Compliance only: must be `"irreversible"`, saying you know the lock cannot be undone. */
    acknowledge?: string;
}

/** `database.backupPlan`: the plain options (every default and rule is in {@link planBackup}). */
export interface BackupPlanOptions {
    /**
     * When the daily backup starts: `cron(M H ? * * *)` (or `cron(M H * * ? *)`), UTC. Not in
     * the hour before or during the RDS backup window, nor the maintenance window (RDS only).
     * @default "cron(0 1 ? * * *)"
     */
    schedule?: string;
    /**
     * Minutes after the scheduled time within which the job must start, else it is cancelled
     * (60 to 720).
     * @default 60
     */
    startWindowMinutes?: number;
    /**
     * Minutes within which a started job must complete, else it is cancelled (at least
     * `startWindowMinutes` + 60, at most 10080).
     * @default 240
     */
    completionWindowMinutes?: number;
    /**
     * Days each recovery point is kept (1 to 36500). Independent of `backupRetentionDays`
     * (RDS's own automated backups and point-in-time recovery, at most 35 days).
     * @default 35
     */
    retentionDays?: number;
    /**
     * A second region where every recovery point is copied (its own vault and key there);
     * not the stack's region.
     * @default - no copy
     * @example "eu-central-1"
     */
    copyRegion?: string;
    /**
     * Days the copies are kept (1 to 36500; only with `copyRegion`).
     * @default - retentionDays
     */
    copyRetentionDays?: number;
    /**
     * AWS Backup Vault Lock on the vault (and the copy vault).
     * @default - no lock
     */
    vaultLock?: VaultLockOptions;
}

export interface ResolvedVaultLock {
    mode: VaultLockMode;
    minRetentionDays: number;
    maxRetentionDays: number;
    /** Set only in compliance mode (its presence is what makes AWS apply compliance mode). */
    changeableForDays?: number;
}

/** What the `BackupPlan` component declares. */
export interface ResolvedBackupPlan {
    schedule: string;
    startWindowMinutes: number;
    completionWindowMinutes: number;
    retentionDays: number;
    copy?: { region: string; retentionDays: number };
    vaultLock?: ResolvedVaultLock;
}

/** What the checks read beside the options: the stack's region and the database's windows. */
export interface BackupPlanContext {
    /** The stack's region (`aws:region`), when known. */
    region?: string;
    /** The database engine; the window rules apply to `postgres` (RDS) only. */
    engine?: string;
    /** RDS backup window `hh:mm-hh:mm` UTC. */
    backupWindow?: string;
    /** RDS maintenance window `ddd:hh:mm-ddd:hh:mm` UTC. */
    maintenanceWindow?: string;
}

const DAILY_CRON = /^cron\(([0-5]?\d) ([01]?\d|2[0-3]) (?:\? \* \*|\* \* \?) \*\)$/;
const isWhole = (v: unknown, min: number, max: number): v is number =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** Minute of the day a daily cron expression runs at, or undefined when it is not one. */
export function dailyCronMinute(schedule: string): number | undefined {
    const m = DAILY_CRON.exec(schedule);
    return m ? Number(m[2]) * 60 + Number(m[1]) : undefined;
}

/**
 * Validates `database.backupPlan` and resolves its defaults. Keys are relative to the
 * `backupPlan` object.
 */
export function planBackup(
    a: BackupPlanOptions,
    ctx: BackupPlanContext = {},
): { plan?: ResolvedBackupPlan; problems: Problem[] } {
    const problems: Problem[] = [];
    const bad = (key: string, got: unknown, allowed: string, fix: string) =>
        problems.push(problem(key, got, allowed, fix));

    const schedule = a.schedule ?? DEFAULT_BACKUP_SCHEDULE;
    const at = dailyCronMinute(schedule);
    if (at === undefined) {
        bad(
            "schedule",
            schedule,
            "expected a daily AWS cron expression in UTC, cron(M H ? * * *) or cron(M H * * ? *), M 0-59, H 0-23",
            `set schedule to "${DEFAULT_BACKUP_SCHEDULE}"`,
        );
    }
    const startWindowMinutes = a.startWindowMinutes ?? DEFAULT_BACKUP_START_WINDOW_MINUTES;
    const startOk = isWhole(startWindowMinutes, MIN_BACKUP_START_WINDOW_MINUTES, MAX_BACKUP_START_WINDOW_MINUTES);
    if (!startOk) {
        bad(
            "startWindowMinutes",
            startWindowMinutes,
            `expected whole minutes from ${MIN_BACKUP_START_WINDOW_MINUTES} (AWS's minimum) to ${MAX_BACKUP_START_WINDOW_MINUTES} (a daily job must start before the next is due)`,
            `set startWindowMinutes to ${DEFAULT_BACKUP_START_WINDOW_MINUTES}`,
        );
    }
    const completionWindowMinutes = a.completionWindowMinutes ?? DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES;
    const leastCompletion =
        (startOk ? startWindowMinutes : MIN_BACKUP_START_WINDOW_MINUTES) + MIN_COMPLETION_BEYOND_START_MINUTES;
    if (!isWhole(completionWindowMinutes, leastCompletion, MAX_BACKUP_COMPLETION_WINDOW_MINUTES)) {
        bad(
            "completionWindowMinutes",
            completionWindowMinutes,
            `expected whole minutes from startWindowMinutes + ${MIN_COMPLETION_BEYOND_START_MINUTES} (${leastCompletion}) to ${MAX_BACKUP_COMPLETION_WINDOW_MINUTES}`,
            `set completionWindowMinutes to ${Math.max(DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES, leastCompletion)}`,
        );
    }

    // RDS (not Aurora) cannot start a snapshot during its automated backup, nor in the hour
    // before or during maintenance: a start window there leaves the job waiting or expired.
    if (at !== undefined && startOk && ctx.engine === "postgres") {
        const start = { start: at, end: at + startWindowMinutes };
        const backup = ctx.backupWindow !== undefined ? parseDailyWindow(ctx.backupWindow) : undefined;
        if (backup && windowsOverlap(start, { start: backup.start - 60, end: backup.end })) {
            bad(
                "schedule",
                schedule,
                `the start window (${startWindowMinutes} min from the scheduled time) meets the hour before or the RDS backup window itself (database.backupWindow ${ctx.backupWindow}), when RDS takes its own snapshot`,
                "schedule the backup plan at least an hour after database.backupWindow ends, or an hour plus the start window before it starts",
            );
        }
        const maintenance = ctx.maintenanceWindow !== undefined ? parseWeeklyWindow(ctx.maintenanceWindow) : undefined;
        if (maintenance && windowsOverlap(start, { start: maintenance.start - 60, end: maintenance.end })) {
            bad(
                "schedule",
                schedule,
                `the start window meets the hour before or the maintenance window itself (database.maintenanceWindow ${ctx.maintenanceWindow}), when AWS Backup cannot start an RDS backup`,
                "move the schedule or database.maintenanceWindow apart by at least an hour",
            );
        }
    }

    const retentionDays = a.retentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS_PLAN;
    const retentionOk = isWhole(retentionDays, 1, MAX_BACKUP_RETENTION_DAYS);
    if (!retentionOk) {
        bad(
            "retentionDays",
            retentionDays,
            `expected whole days from 1 to ${MAX_BACKUP_RETENTION_DAYS}`,
            `set retentionDays to ${DEFAULT_BACKUP_RETENTION_DAYS_PLAN}`,
        );
    }

    let copy: ResolvedBackupPlan["copy"];
    if (a.copyRegion !== undefined) {
        if (!RDS_CA_REGIONS.includes(a.copyRegion)) {
            bad(
                "copyRegion",
                a.copyRegion,
                `expected an AWS region the app can reach a restored database in: ${RDS_CA_REGIONS.join(", ")}`,
                'set copyRegion to a region such as "eu-central-1", or remove it',
            );
        } else if (ctx.region !== undefined && a.copyRegion === ctx.region) {
            bad(
                "copyRegion",
                a.copyRegion,
                `a copy must be in another region than the stack's (${ctx.region}), or it survives nothing the vault does not`,
                "set copyRegion to another region, or remove it",
            );
        }
        const copyRetentionDays = a.copyRetentionDays ?? retentionDays;
        if (a.copyRetentionDays !== undefined && !isWhole(a.copyRetentionDays, 1, MAX_BACKUP_RETENTION_DAYS)) {
            bad(
                "copyRetentionDays",
                a.copyRetentionDays,
                `expected whole days from 1 to ${MAX_BACKUP_RETENTION_DAYS}`,
                "set copyRetentionDays to retentionDays, or remove it",
            );
        }
        copy = { region: a.copyRegion, retentionDays: copyRetentionDays };
    } else if (a.copyRetentionDays !== undefined) {
        bad(
            "copyRetentionDays",
            a.copyRetentionDays,
            "applies only with copyRegion",
            "remove copyRetentionDays, or set copyRegion",
        );
    }

    let vaultLock: ResolvedVaultLock | undefined;
    if (a.vaultLock !== undefined) {
        vaultLock = planVaultLock(a.vaultLock, problems, retentionOk ? retentionDays : undefined, copy?.retentionDays);
    }

    if (problems.length > 0) return { problems };
    return {
        plan: { schedule, startWindowMinutes, completionWindowMinutes, retentionDays, copy, vaultLock },
        problems,
    };
}

function planVaultLock(
    l: VaultLockOptions,
    problems: Problem[],
    retentionDays: number | undefined,
    copyRetentionDays: number | undefined,
): ResolvedVaultLock | undefined {
    const start = problems.length;
    const mode = l.mode;
    if (!(VAULT_LOCK_MODES as readonly string[]).includes(mode)) {
        problems.push(
            problem(
                "vaultLock.mode",
                mode,
                "expected governance (removable by principals with IAM permission) or compliance (immutable after changeableForDays)",
                "set vaultLock.mode to governance",
            ),
        );
    }
    const { minRetentionDays: min, maxRetentionDays: max } = l;
    const minOk = isWhole(min, 1, MAX_BACKUP_RETENTION_DAYS);
    if (!minOk) {
        problems.push(
            problem(
                "vaultLock.minRetentionDays",
                min,
                `expected whole days from 1 to ${MAX_BACKUP_RETENTION_DAYS} (a lock needs explicit bounds)`,
                "set vaultLock.minRetentionDays to at most retentionDays",
            ),
        );
    }
    if (!isWhole(max, minOk ? min : 1, MAX_BACKUP_RETENTION_DAYS)) {
        problems.push(
            problem(
                "vaultLock.maxRetentionDays",
                max,
                `expected whole days from minRetentionDays to ${MAX_BACKUP_RETENTION_DAYS} (a lock needs explicit bounds)`,
                "set vaultLock.maxRetentionDays to at least retentionDays",
            ),
        );
    }
    // A job whose retention is outside the lock's bounds fails: every backup (or copy) would.
    for (const [key, days] of [
        ["retentionDays", retentionDays],
        ["copyRetentionDays", copyRetentionDays],
    ] as const) {
        if (days === undefined || problems.length > start) continue;
        if (days < min || days > max) {
            problems.push(
                problem(
                    key,
                    days,
                    `must lie within the vault lock's retention bounds (${min} to ${max} days), or AWS Backup fails every job into the locked vault`,
                    `set ${key} between ${min} and ${max}, or change the lock's bounds`,
                ),
            );
        }
    }
    let changeableForDays: number | undefined;
    if (mode === "compliance") {
        changeableForDays = l.changeableForDays ?? DEFAULT_CHANGEABLE_FOR_DAYS;
        if (!isWhole(changeableForDays, MIN_CHANGEABLE_FOR_DAYS, MAX_BACKUP_RETENTION_DAYS)) {
            problems.push(
                problem(
                    "vaultLock.changeableForDays",
                    changeableForDays,
                    `expected whole days from ${MIN_CHANGEABLE_FOR_DAYS} (AWS's 72-hour cooling-off period) to ${MAX_BACKUP_RETENTION_DAYS}`,
                    `set vaultLock.changeableForDays to ${DEFAULT_CHANGEABLE_FOR_DAYS}`,
                ),
            );
        }
        if (l.acknowledge !== COMPLIANCE_ACKNOWLEDGEMENT) {
            problems.push(
                problem(
                    "vaultLock.acknowledge",
                    l.acknowledge,
                    `a compliance lock becomes immutable ${changeableForDays} days after it is applied: from then on nobody (root user, AWS) can remove it or delete a recovery point before minRetentionDays, and the vault cannot be deleted while it holds any; say so with "${COMPLIANCE_ACKNOWLEDGEMENT}"`,
                    `set vaultLock.acknowledge to "${COMPLIANCE_ACKNOWLEDGEMENT}", or use mode governance`,
                ),
            );
        }
    } else {
        for (const k of ["changeableForDays", "acknowledge"] as const) {
            if (l[k] !== undefined) {
                problems.push(
                    problem(
                        `vaultLock.${k}`,
                        l[k],
                        "applies only to mode compliance (a governance lock has no lock date)",
                        `remove vaultLock.${k}`,
                    ),
                );
            }
        }
    }
    if (problems.length > start) return undefined;
    return { mode, minRetentionDays: min, maxRetentionDays: max, ...(changeableForDays ? { changeableForDays } : {}) };
}

// ---------------------------------------------------------------------------------------------
// What the component declares
// ---------------------------------------------------------------------------------------------
/** The managed policies of the backup role (AWS managed policy reference, by name). */
export function backupRoleManagedPolicyArns(partition: string): string[] {
    return [
        `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`,
        `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores`,
    ];
}

/** The KMS key policy context of a vault key. */
export interface VaultKeyPolicyContext {
    partition: string;
    account: string;
    /** The region of the vault (and so of the key). */
    region: string;
}

/**
 * Key policy of a vault's customer-managed key: the account administers it through IAM (the
 * default statement, without which the key could become unmanageable; it is also what lets
 * the backup role's AWS-managed policy act on the key, e.g. when RDS re-encrypts a cross-Region
 * snapshot copy with it on AWS Backup's behalf), and any principal of this account may use it
 * through AWS Backup in the vault's region (`kms:ViaService`), as the AWS-managed `aws/backup`
 * key allows. AWS Backup creates grants on it for its jobs ("Encryption for backups in AWS
 * Backup"; "Backup vault creation and deletion" lists the KMS permissions a vault needs).
 */
export function vaultKeyPolicy(c: VaultKeyPolicyContext): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersTheKeyThroughIam",
                Effect: "Allow",
                Principal: { AWS: `arn:${c.partition}:iam::${c.account}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "UseThroughAwsBackupOnly",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                    "kms:CreateGrant",
                ],
                Resource: "*",
                Condition: {
                    StringEquals: {
                        "kms:CallerAccount": c.account,
                        "kms:ViaService": `backup.${c.region}.amazonaws.com`,
                    },
                },
            },
        ],
    };
}
