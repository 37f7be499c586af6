/**
 * `database.backupPlan`: the planner's rules and defaults (table-driven), and the BackupPlan
 * component under recording mocks (vault key, rule, selection of exactly one database, role,
 * copy vault in the other region, vault locks, data safety).
 */
import { strict as assert } from "assert";
import {
    BACKUP_PLAN_TYPE,
    BackupPlan,
    BackupPlanArgs,
    VAULT_KEY_DELETION_WINDOW_DAYS,
} from "../../components/backup-plan";
import {
    BackupPlanContext,
    BackupPlanOptions,
    COMPLIANCE_ACKNOWLEDGEMENT,
    DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES,
    DEFAULT_BACKUP_RETENTION_DAYS_PLAN,
    DEFAULT_BACKUP_SCHEDULE,
    DEFAULT_BACKUP_START_WINDOW_MINUTES,
    DEFAULT_CHANGEABLE_FOR_DAYS,
    dailyCronMinute,
    planBackup,
} from "../../lib/backup-plan";
import { DEFAULT_BACKUP_WINDOW, DEFAULT_MAINTENANCE_WINDOW } from "../../lib/database-plan";
import { RecordedResource } from "../../tools/mocks";
import { ofType, one, settle, useMocks } from "../support/harness";

const RDS_CTX: BackupPlanContext = {
    region: "eu-west-1",
    engine: "postgres",
    backupWindow: DEFAULT_BACKUP_WINDOW,
    maintenanceWindow: DEFAULT_MAINTENANCE_WINDOW,
};
const keysOf = (o: BackupPlanOptions, ctx: BackupPlanContext = RDS_CTX) =>
    planBackup(o, ctx).problems.map((p) => p.key);
const LOCK = { mode: "governance", minRetentionDays: 7, maxRetentionDays: 365 } as const;

describe("lib/backup-plan", () => {
    it("resolves the documented defaults for an empty object (and the default schedule clears the default windows)", () => {
        const r = planBackup({}, RDS_CTX);
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.plan, {
            schedule: DEFAULT_BACKUP_SCHEDULE,
            startWindowMinutes: DEFAULT_BACKUP_START_WINDOW_MINUTES,
            completionWindowMinutes: DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES,
            retentionDays: DEFAULT_BACKUP_RETENTION_DAYS_PLAN,
            copy: undefined,
            vaultLock: undefined,
        });
        assert.equal(DEFAULT_BACKUP_SCHEDULE, "cron(0 1 ? * * *)");
        assert.equal(DEFAULT_BACKUP_START_WINDOW_MINUTES, 60);
        assert.equal(DEFAULT_BACKUP_COMPLETION_WINDOW_MINUTES, 240);
        assert.equal(DEFAULT_BACKUP_RETENTION_DAYS_PLAN, 35);
    });

    it("reads only daily cron expressions", () => {
        const table: [string, number | undefined][] = [
            ["cron(0 1 ? * * *)", 60],
            ["cron(30 23 * * ? *)", 23 * 60 + 30],
            ["cron(5 0 ? * * *)", 5],
            ["cron(0 1 ? * MON *)", undefined],
            ["cron(0 */6 ? * * *)", undefined],
            ["cron(60 1 ? * * *)", undefined],
            ["cron(0 24 ? * * *)", undefined],
            ["cron(0 1 * * * *)", undefined],
            ["rate(1 day)", undefined],
            ["0 1 * * *", undefined],
        ];
        for (const [cron, minute] of table) assert.equal(dailyCronMinute(cron), minute, cron);
    });

    const cases: [string, BackupPlanOptions, string[], BackupPlanContext?][] = [
        ["start window 59", { startWindowMinutes: 59 }, ["startWindowMinutes"]],
        ["start window 721", { startWindowMinutes: 721 }, ["startWindowMinutes"]],
        ["start window 60, completion 120", { startWindowMinutes: 60, completionWindowMinutes: 120 }, []],
        [
            "start window 60, completion 119",
            { startWindowMinutes: 60, completionWindowMinutes: 119 },
            ["completionWindowMinutes"],
        ],
        ["completion over a week", { completionWindowMinutes: 10081 }, ["completionWindowMinutes"]],
        ["retention 1 and 36500", { retentionDays: 36500 }, []],
        ["retention 36501", { retentionDays: 36501 }, ["retentionDays"]],
        ["retention 1.5", { retentionDays: 1.5 }, ["retentionDays"]],
        // 02:00 + 60 min ends when the hour before the 03:00 backup window starts: allowed.
        ["start window ending at the backup window's hour before", { schedule: "cron(0 1 ? * * *)" }, []],
        [
            "start window in the hour before the backup window",
            { schedule: "cron(1 1 ? * * *)", startWindowMinutes: 60 },
            ["schedule"],
        ],
        ["start window during the backup window", { schedule: "cron(15 2 ? * * *)" }, ["schedule"]],
        ["after the backup window and Sunday's maintenance", { schedule: "cron(0 6 ? * * *)" }, []],
        // Wednesday 11:00-12:00 maintenance: 09:30 + 60 min reaches its hour before.
        [
            "the hour before maintenance",
            { schedule: "cron(30 9 ? * * *)" },
            ["schedule"],
            { ...RDS_CTX, maintenanceWindow: "wed:11:00-wed:12:00" },
        ],
        [
            "Aurora is exempt from the window rules",
            { schedule: "cron(30 3 ? * * *)" },
            [],
            { ...RDS_CTX, engine: "aurora-postgresql" },
        ],
        ["a copy region", { copyRegion: "eu-central-1" }, []],
        ["a copy in the same region", { copyRegion: "eu-west-1" }, ["copyRegion"]],
        ["an unknown copy region", { copyRegion: "mars-1" }, ["copyRegion"]],
        ["copy retention without a copy", { copyRetentionDays: 10 }, ["copyRetentionDays"]],
        ["a governance lock", { vaultLock: LOCK }, []],
        ["lock minimum above the retention", { retentionDays: 5, vaultLock: LOCK }, ["retentionDays"]],
        ["lock maximum below the retention", { retentionDays: 400, vaultLock: LOCK }, ["retentionDays"]],
        [
            "lock bounds exclude the copy retention",
            { copyRegion: "eu-central-1", copyRetentionDays: 3, vaultLock: LOCK },
            ["copyRetentionDays"],
        ],
        [
            "lock max under min",
            { vaultLock: { ...LOCK, minRetentionDays: 30, maxRetentionDays: 29 } },
            ["vaultLock.maxRetentionDays"],
        ],
        [
            "a compliance lock without acknowledgement",
            { vaultLock: { ...LOCK, mode: "compliance" } },
            ["vaultLock.acknowledge"],
        ],
        [
            "a compliance lock acknowledged wrongly",
            { vaultLock: { ...LOCK, mode: "compliance", acknowledge: "yes" } },
            ["vaultLock.acknowledge"],
        ],
        [
            "a compliance lock changeable for 2 days",
            {
                vaultLock: {
                    ...LOCK,
                    mode: "compliance",
                    changeableForDays: 2,
                    acknowledge: COMPLIANCE_ACKNOWLEDGEMENT,
                },
            },
            ["vaultLock.changeableForDays"],
        ],
        [
            "a governance lock with an acknowledgement",
            { vaultLock: { ...LOCK, acknowledge: COMPLIANCE_ACKNOWLEDGEMENT } },
            ["vaultLock.acknowledge"],
        ],
    ];
    for (const [what, options, keys, ctx] of cases) {
        it(`${what}: ${keys.length ? keys.join(", ") : "accepted"}`, () => {
            assert.deepEqual(keysOf(options, ctx), keys);
        });
    }

    it("a compliance lock gets the default lock date; governance none", () => {
        const c = planBackup(
            { vaultLock: { ...LOCK, mode: "compliance", acknowledge: COMPLIANCE_ACKNOWLEDGEMENT } },
            RDS_CTX,
        );
        assert.deepEqual(c.plan?.vaultLock, {
            mode: "compliance",
            minRetentionDays: 7,
            maxRetentionDays: 365,
            changeableForDays: DEFAULT_CHANGEABLE_FOR_DAYS,
        });
        const g = planBackup({ vaultLock: LOCK }, RDS_CTX);
        assert.deepEqual(g.plan?.vaultLock, { mode: "governance", minRetentionDays: 7, maxRetentionDays: 365 });
    });

    it("the copy keeps the rule's retention unless told otherwise", () => {
        assert.deepEqual(planBackup({ retentionDays: 20, copyRegion: "us-east-1" }, RDS_CTX).plan?.copy, {
            region: "us-east-1",
            retentionDays: 20,
        });
        assert.deepEqual(
            planBackup({ copyRegion: "us-east-1", copyRetentionDays: 90 }, RDS_CTX).plan?.copy?.retentionDays,
            90,
        );
    });
});

const T = {
    key: "aws:kms/key:Key",
    alias: "aws:kms/alias:Alias",
    vault: "aws:backup/vault:Vault",
    lock: "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    plan: "aws:backup/plan:Plan",
    selection: "aws:backup/selection:Selection",
    role: "aws:iam/role:Role",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
} as const;
const DB_ARN = "arn:aws:rds:eu-west-1:123456789012:db:private-app-test-db";
const CLUSTER_ARN = "arn:aws:rds:eu-west-1:123456789012:cluster:private-app-test-db";
const inputs = (r: RecordedResource) => r.inputs as Record<string, any>;

async function build(args: BackupPlanArgs): Promise<RecordedResource[]> {
    const mocks = await useMocks();
    new BackupPlan("db-backup", args);
    return settle(mocks);
}

describe("components/backup-plan", () => {
    describe("prod-like: copy to eu-central-1, governance lock", () => {
        let rs: RecordedResource[];
        before(async () => {
            rs = await build({
                resourceArn: DB_ARN,
                deletionProtection: true,
                retentionDays: 35,
                copyRegion: "eu-central-1",
                copyRetentionDays: 60,
                vaultLock: { mode: "governance", minRetentionDays: 7, maxRetentionDays: 365 },
            });
        });

        it("declares one component with two keys, two vaults, two locks, one plan, one selection, one role", () => {
            assert.equal(one(rs, BACKUP_PLAN_TYPE).name, "db-backup");
            const counts = Object.fromEntries(Object.entries(T).map(([k, t]) => [k, ofType(rs, t).length]));
            assert.deepEqual(counts, {
                key: 2,
                alias: 2,
                vault: 2,
                lock: 2,
                plan: 1,
                selection: 1,
                role: 1,
                attachment: 2,
            });
        });

        it("each vault is encrypted with its own customer-managed key, in its own region, rotation on", () => {
            const local = one(rs, T.vault, "db-backup-vault");
            const copy = one(rs, T.vault, "db-backup-copy-vault");
            const key = one(rs, T.key, "db-backup-key");
            const copyKey = one(rs, T.key, "db-backup-copy-key");
            assert.equal(inputs(local).kmsKeyArn, `arn:aws:kms:eu-west-1:123456789012:key/${key.id}`);
            assert.equal(inputs(copy).kmsKeyArn, `arn:aws:kms:eu-central-1:123456789012:key/${copyKey.id}`);
            assert.equal(inputs(local).region, undefined, "the local vault uses the stack's region");
            assert.equal(inputs(copy).region, "eu-central-1");
            assert.equal(inputs(copyKey).region, "eu-central-1");
            for (const k of [key, copyKey]) {
                assert.equal(inputs(k).enableKeyRotation, true);
                assert.equal(inputs(k).deletionWindowInDays, VAULT_KEY_DELETION_WINDOW_DAYS);
            }
            const via = (k: RecordedResource) =>
                JSON.parse(inputs(k).policy).Statement[1].Condition.StringEquals["kms:ViaService"];
            assert.equal(via(key), "backup.eu-west-1.amazonaws.com");
            assert.equal(via(copyKey), "backup.eu-central-1.amazonaws.com");
        });

        it("the daily rule: schedule, windows, retention, and the copy to the other region's vault", () => {
            const rules = inputs(one(rs, T.plan)).rules;
            assert.equal(rules.length, 1);
            // The vaults' names as the locks (each in its vault's region) name them.
            const lockOf = (region: string | undefined) =>
                ofType(rs, T.lock)
                    .map(inputs)
                    .find((l) => l.region === region)!;
            const localName = lockOf(undefined).backupVaultName;
            const copyName = lockOf("eu-central-1").backupVaultName;
            assert.match(localName, /^db-backup-vault-/);
            assert.match(copyName, /^db-backup-copy-vault-/);
            assert.deepEqual(rules[0], {
                ruleName: "daily",
                targetVaultName: localName,
                schedule: "cron(0 1 ? * * *)",
                startWindow: 60,
                completionWindow: 240,
                lifecycle: { deleteAfter: 35 },
                copyActions: [
                    {
                        destinationVaultArn: `arn:aws:backup:eu-central-1:123456789012:backup-vault:${copyName}`,
                        lifecycle: { deleteAfter: 60 },
                    },
                ],
            });
        });

        it("selects exactly this database, with the backup role", () => {
            const s = inputs(one(rs, T.selection));
            assert.deepEqual(s.resources, [DB_ARN]);
            assert.equal(s.selectionTags, undefined, "no tag-based selection");
            assert.equal(
                s.iamRoleArn,
                `arn:aws:iam::123456789012:role/${inputs(one(rs, T.role)).name ?? s.iamRoleArn.split("/").pop()}`,
            );
            assert.equal(s.planId, one(rs, T.plan).id);
        });

        it("the role is trusted by AWS Backup only and has AWS's managed backup and restore policies", () => {
            const trust = JSON.parse(inputs(one(rs, T.role)).assumeRolePolicy);
            assert.deepEqual(
                trust.Statement.map((s: any) => s.Principal.Service),
                ["backup.amazonaws.com"],
            );
            assert.deepEqual(
                ofType(rs, T.attachment)
                    .map((a) => inputs(a).policyArn)
                    .sort(),
                [
                    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
                ],
            );
        });

        it("locks both vaults in governance mode (no lock date) with the given bounds", () => {
            const locks = ofType(rs, T.lock).map(inputs);
            assert.equal(locks.length, 2);
            for (const l of locks) {
                assert.equal(l.minRetentionDays, 7);
                assert.equal(l.maxRetentionDays, 365);
                assert.equal(l.changeableForDays, undefined, "changeableForDays would make it compliance");
            }
            assert.deepEqual(locks.map((l) => l.region ?? "stack").sort(), ["eu-central-1", "stack"]);
        });

        it("protects and retains the keys, vaults and locks; vaults are never force-destroyed", () => {
            for (const r of [...ofType(rs, T.key), ...ofType(rs, T.vault), ...ofType(rs, T.lock)]) {
                assert.equal(r.options.protect, true, r.name);
                assert.equal(r.options.retainOnDelete, true, r.name);
            }
            for (const v of ofType(rs, T.vault)) assert.equal(inputs(v).forceDestroy, false);
            for (const r of [...ofType(rs, T.plan), ...ofType(rs, T.selection), ...ofType(rs, T.role)])
                assert.equal(r.options.protect, undefined, r.name);
        });
    });

    describe("dev-like: Aurora cluster, no copy, no lock, no deletion protection", () => {
        let rs: RecordedResource[];
        before(async () => {
            rs = await build({ resourceArn: CLUSTER_ARN, deletionProtection: false });
        });
        it("one vault and key, no lock, no copy action, the cluster's ARN selected", () => {
            assert.equal(ofType(rs, T.vault).length, 1);
            assert.equal(ofType(rs, T.key).length, 1);
            assert.equal(ofType(rs, T.lock).length, 0);
            assert.equal(inputs(one(rs, T.plan)).rules[0].copyActions, undefined);
            assert.deepEqual(inputs(one(rs, T.selection)).resources, [CLUSTER_ARN]);
        });
        it("nothing protected, and the vault force-destroyed so that destroy needs no manual step", () => {
            for (const r of rs) assert.equal(r.options.protect, undefined, r.name);
            assert.equal(inputs(one(rs, T.vault)).forceDestroy, true);
        });
    });

    describe("compliance mode", () => {
        it("sets changeableForDays on the lock", async () => {
            const rs = await build({
                resourceArn: DB_ARN,
                vaultLock: {
                    mode: "compliance",
                    minRetentionDays: 7,
                    maxRetentionDays: 35,
                    changeableForDays: 5,
                    acknowledge: COMPLIANCE_ACKNOWLEDGEMENT,
                },
            });
            assert.equal(inputs(one(rs, T.lock)).changeableForDays, 5);
        });
    });

    it("rejects invalid options before declaring anything, naming each", async () => {
        const mocks = await useMocks();
        assert.throws(
            () => new BackupPlan("db-backup", { resourceArn: DB_ARN, startWindowMinutes: 10, copyRegion: "nowhere" }),
            (e: Error) => /startWindowMinutes: got 10/.test(e.message) && /copyRegion: got "nowhere"/.test(e.message),
        );
        assert.equal((await settle(mocks)).length, 0);
    });
});
