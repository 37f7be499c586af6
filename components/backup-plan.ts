/**
 * An AWS Backup plan kept apart from the database (`private-app:database:BackupPlan`): its own
 * vault encrypted with its own customer-managed key, a daily rule, a selection of exactly this
 * stack's database (by ARN, never by a tag another resource could carry), a role with AWS's
 * managed backup and restore policies, optionally a copy of every recovery point to a vault in
 * a second region and an AWS Backup Vault Lock.
 *
 * Every decision is made from plain options by `lib/backup-plan.ts`; `lib/config.ts` checks
 * them with the rest of the stack config (the component checks them again as a library).
 *
 * Design notes (what a first `pulumi up` relies on, AWS documentation by title):
 * - A component of its own, wired beside `Database` in `index.ts` rather than a step inside it:
 *   the backups must outlive the database (restoring after losing it is their point), their
 *   protection is their own, and the database's files stay untouched by this feature.
 * - "Encryption for backups in AWS Backup": RDS and Aurora are not under "full AWS Backup
 *   management", so a snapshot in the local vault keeps the database's own encryption (its
 *   `kmsKeyArn` or `aws/rds`); the vault key encrypts what AWS Backup encrypts itself. A
 *   cross-Region copy is re-encrypted in the destination Region with the destination vault's
 *   key ("Creating backup copies across AWS Regions"), hence a customer-managed key per vault.
 * - The second region uses the AWS provider v7's per-resource `region` argument ("Enhanced
 *   Region Support", @pulumi/aws 7.0+), not a second provider: the stack's provider and its
 *   `aws:defaultTags` apply unchanged (an explicit provider reads no stack config).
 * - Data safety (`deletionProtection`): the vaults, their keys and the locks get `protect` and
 *   `retainOnDelete`, keys a 30-day deletion window. A vault holding recovery points cannot be
 *   deleted anyway (AWS refuses; `forceDestroy` stays false in prod), and a scheduled key
 *   deletion would make every copy encrypted with it unreadable. Without it (dev) the vaults
 *   are `forceDestroy` so that `pulumi destroy` needs no manual step.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    BACKUP_RULE_NAME,
    BackupPlanOptions,
    backupRoleManagedPolicyArns,
    planBackup,
    ResolvedBackupPlan,
    vaultKeyPolicy,
} from "../lib/backup-plan";
import { dataSafety, physicalIdentifier } from "../lib/database-plan";
import { assumeRolePolicy } from "../lib/iam";
import { orThrow } from "../lib/problems";

/** Arguments of {@link BackupPlan}: the options and what is backed up. */
export interface BackupPlanArgs extends BackupPlanOptions {
    /**
     * The ARN of the one resource backed up: the RDS instance (`arn:...:db:...`) or the Aurora
     * cluster (`arn:...:cluster:...`; AWS Backup takes Aurora per cluster).
     * @example database.resourceArn
     */
    resourceArn: pulumi.Input<string>;
    /**
     * Prod data safety, as the database's `deletionProtection`: `protect` and `retainOnDelete` on
     * the vaults, keys and locks, and vaults that are never force-destroyed.
     * @default true
     */
    deletionProtection?: boolean;
}

/** The component's type token. */
export const BACKUP_PLAN_TYPE = "private-app:database:BackupPlan";

/** Key deletion window: the longest AWS allows, so a mistaken deletion can be cancelled. */
export const VAULT_KEY_DELETION_WINDOW_DAYS = 30;

/** One vault with its key (and its lock), in the stack's region or the copy region. */
interface VaultSet {
    key: aws.kms.Key;
    vault: aws.backup.Vault;
    lock?: aws.backup.VaultLockConfiguration;
}

/** A daily AWS Backup plan of one database, with its own vault(s). */
export class BackupPlan extends pulumi.ComponentResource {
    readonly plan: ResolvedBackupPlan;
    readonly key: aws.kms.Key;
    readonly vault: aws.backup.Vault;
    readonly vaultLock?: aws.backup.VaultLockConfiguration;
    readonly copyKey?: aws.kms.Key;
    readonly copyVault?: aws.backup.Vault;
    readonly copyVaultLock?: aws.backup.VaultLockConfiguration;
    readonly role: aws.iam.Role;
    readonly backupPlan: aws.backup.Plan;
    readonly selection: aws.backup.Selection;
    readonly vaultArn: pulumi.Output<string>;
    readonly copyVaultArn?: pulumi.Output<string>;

    constructor(name: string, args: BackupPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = orThrow("BackupPlan", name, planBackup(args));
        super(BACKUP_PLAN_TYPE, name, {}, opts);
        this.plan = plan;
        const safety = dataSafety(args.deletionProtection ?? true);
        const identifier = physicalIdentifier(pulumi.getProject(), pulumi.getStack(), name);
        const parent = { parent: this };
        const partition = aws.getPartitionOutput({}, parent).partition;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const region = aws.getRegionOutput({}, parent).region;
        const stateful: pulumi.CustomResourceOptions = safety.protect
            ? { parent: this, protect: true, retainOnDelete: true }
            : { parent: this };

        // 1. The vault in the stack's region, and the copy vault in the other region.
        const local = this.createVault(
            `${name}`,
            identifier,
            plan,
            { partition, account, region },
            stateful,
            !safety.protect,
        );
        this.key = local.key;
        this.vault = local.vault;
        this.vaultLock = local.lock;
        this.vaultArn = local.vault.arn;
        let copy: VaultSet | undefined;
        if (plan.copy) {
            copy = this.createVault(
                `${name}-copy`,
                identifier,
                plan,
                { partition, account, region: pulumi.output(plan.copy.region) },
                stateful,
                !safety.protect,
                plan.copy.region,
            );
            this.copyKey = copy.key;
            this.copyVault = copy.vault;
            this.copyVaultLock = copy.lock;
            this.copyVaultArn = copy.vault.arn;
        }

        // 2. The role AWS Backup assumes to back up and restore.
        this.role = this.createRole(name, partition);

        // 3. The daily rule, and the selection of exactly this database.
        this.backupPlan = new aws.backup.Plan(
            `${name}-plan`,
            {
                rules: [
                    {
                        ruleName: BACKUP_RULE_NAME,
                        targetVaultName: local.vault.name,
                        schedule: plan.schedule,
                        startWindow: plan.startWindowMinutes,
                        completionWindow: plan.completionWindowMinutes,
                        lifecycle: { deleteAfter: plan.retentionDays },
                        copyActions:
                            copy && plan.copy
                                ? [
                                      {
                                          destinationVaultArn: copy.vault.arn,
                                          lifecycle: { deleteAfter: plan.copy.retentionDays },
                                      },
                                  ]
                                : undefined,
                    },
                ],
            },
            // The rule waits for the locks: a job into a vault whose lock is still being set
            // would be checked against the old bounds.
            { parent: this, dependsOn: [local.lock, copy?.lock].filter((l) => l !== undefined) },
        );
        this.selection = new aws.backup.Selection(
            `${name}-selection`,
            {
                planId: this.backupPlan.id,
                iamRoleArn: this.role.arn,
                resources: [args.resourceArn],
            },
            parent,
        );

        this.registerOutputs({
            vaultArn: this.vaultArn,
            copyVaultArn: this.copyVaultArn,
            planArn: this.backupPlan.arn,
        });
    }

    /** A customer-managed key (rotation on), its alias, the vault, and the lock when asked. */
    private createVault(
        prefix: string,
        identifier: string,
        plan: ResolvedBackupPlan,
        where: { partition: pulumi.Output<string>; account: pulumi.Output<string>; region: pulumi.Output<string> },
        stateful: pulumi.CustomResourceOptions,
        forceDestroy: boolean,
        region?: string,
    ): VaultSet {
        const key = new aws.kms.Key(
            `${prefix}-key`,
            {
                region,
                description: `Encrypts the AWS Backup vault of ${identifier}${region ? ` (copies in ${region})` : ""}`,
                enableKeyRotation: true,
                deletionWindowInDays: VAULT_KEY_DELETION_WINDOW_DAYS,
                policy: pulumi
                    .all([where.partition, where.account, where.region])
                    .apply(([partition, account, r]) =>
                        JSON.stringify(vaultKeyPolicy({ partition, account, region: r })),
                    ),
            },
            stateful,
        );
        new aws.kms.Alias(
            `${prefix}-key-alias`,
            { region, name: `alias/${identifier}${region ? "-copy" : ""}`, targetKeyId: key.keyId },
            { parent: this },
        );
        const vault = new aws.backup.Vault(`${prefix}-vault`, { region, kmsKeyArn: key.arn, forceDestroy }, stateful);
        const lock = plan.vaultLock
            ? new aws.backup.VaultLockConfiguration(
                  `${prefix}-vault-lock`,
                  {
                      region,
                      backupVaultName: vault.name,
                      minRetentionDays: plan.vaultLock.minRetentionDays,
                      maxRetentionDays: plan.vaultLock.maxRetentionDays,
                      // Set only in compliance mode: its presence is what makes the lock compliance.
                      changeableForDays: plan.vaultLock.changeableForDays,
                  },
                  stateful,
              )
            : undefined;
        return { key, vault, lock };
    }

    /** The role AWS Backup assumes, with AWS's managed backup and restore policies. */
    private createRole(name: string, partition: pulumi.Output<string>): aws.iam.Role {
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "AWS Backup backs up and restores this stack's database with it",
                assumeRolePolicy: JSON.stringify(assumeRolePolicy("backup.amazonaws.com")),
            },
            { parent: this },
        );
        ["backup", "restores"].forEach((what, i) => {
            new aws.iam.RolePolicyAttachment(
                `${name}-role-${what}`,
                { role: role.name, policyArn: partition.apply((p) => backupRoleManagedPolicyArns(p)[i]) },
                { parent: this },
            );
        });
        return role;
    }
}
