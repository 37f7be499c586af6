/**
 * Database policies: RDS instances, Aurora clusters and cluster instances, DB subnet groups.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { findPublicSubnetsInDbSubnetGroups, StackResourceView } from "../lib/network-graph";
import { asBool, asLowerString, asNumber, get, UNKNOWN } from "../lib/props";
import { labelOf, T } from "../lib/types";
import { stackValidation, undecided, validateTypes } from "./util";

// ------------------------------------------------------------------------------------------------
// rds-not-publicly-accessible (mandatory)
// ------------------------------------------------------------------------------------------------

/** RDS instances and Aurora cluster instances must not get a public endpoint. */
export const rdsNotPubliclyAccessible: ResourceValidationPolicy = {
    name: "rds-not-publicly-accessible",
    description: "RDS instances and Aurora cluster instances must not be publicly accessible.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Set publiclyAccessible to false (the default) and place the database in isolated subnets.",
    validateResource: validateTypes([T.rdsInstance, T.rdsClusterInstance], (args, report) => {
        const publiclyAccessible = asBool(get(args.props, "publiclyAccessible"));
        if (publiclyAccessible === UNKNOWN) {
            undecided("publiclyAccessible");
        }
        if (publiclyAccessible === true) {
            report(`${labelOf(args.type)} must not be publicly accessible.`);
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// db-subnet-group-not-public (mandatory, stack)
// ------------------------------------------------------------------------------------------------

/** A DB subnet group must contain only subnets without a path from the internet. */
export const dbSubnetGroupNotPublic: StackValidationPolicy = {
    name: "db-subnet-group-not-public",
    description:
        "DB subnet groups must contain only private subnets (no public IPs on launch, no route to an internet gateway).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Build the DB subnet group from isolated subnets whose route tables have no internet gateway route.",
    validateStack: stackValidation([T.rdsSubnetGroup], (args, report) => {
        if (!args.resources.some((r) => r.type === T.rdsSubnetGroup)) {
            args.notApplicable(`Policy only applies to stacks with a '${T.rdsSubnetGroup}'`);
        }
        const unknownGroups: StackResourceView[] = [];
        for (const f of findPublicSubnetsInDbSubnetGroups(args.resources, unknownGroups)) {
            report(
                `DB Subnet Group must contain only private subnets: subnet "${f.subnet.name}" (${f.subnetId}) ${f.reasons.join("; and ")}. ` +
                    "Replace it with an isolated subnet (mapPublicIpOnLaunch false, no route to an internet gateway).",
                f.subnetGroup.urn,
            );
        }
        if (unknownGroups.length > 0) {
            // Findings above stand; the rest cannot be decided before the subnets exist.
            undecided(`${unknownGroups.map((g) => g.name).join(",")}.subnetIds`);
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// rds-storage-encrypted (mandatory)
// ------------------------------------------------------------------------------------------------

export interface StorageEncryptedConfig {
    /** Also require a customer-managed KMS key (`kmsKeyId`) instead of the AWS-managed `aws/rds` key. @default false */
    requireCustomerManagedKey: boolean;
}

/** RDS instances and clusters must encrypt their storage. */
export const rdsStorageEncrypted: ResourceValidationPolicy = {
    name: "rds-storage-encrypted",
    description: "RDS instances and Aurora/Multi-AZ clusters must have storage encryption enabled.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set storageEncrypted: true (this replaces an existing database: restore from an encrypted snapshot copy).",
    configSchema: {
        properties: {
            requireCustomerManagedKey: {
                type: "boolean",
                default: false,
                description:
                    "Also require a customer-managed KMS key (kmsKeyId) instead of the AWS-managed aws/rds key.",
            },
        },
    },
    validateResource: validateTypes([T.rdsInstance, T.rdsCluster], (args, report) => {
        const { requireCustomerManagedKey } = args.getConfig<StorageEncryptedConfig>();
        const props = args.props;
        const label = labelOf(args.type);
        if (args.type === T.rdsInstance && get(props, "replicateSourceDb") !== undefined) {
            args.notApplicable("A read replica inherits encryption from its source database");
        }
        const encrypted = asBool(get(props, "storageEncrypted"));
        if (encrypted === UNKNOWN) {
            undecided("storageEncrypted");
        }
        if (encrypted === undefined) {
            // Not set: the provider default decides.
            if (get(props, "snapshotIdentifier") !== undefined) {
                return; // restored from a snapshot: encryption comes from the snapshot
            }
            if (args.type === T.rdsCluster) {
                const mode = asLowerString(get(props, "engineMode"));
                if (mode === UNKNOWN || mode === "serverless") {
                    return; // Aurora Serverless v1 is always encrypted
                }
            }
            report(
                `${label} must have storage encryption enabled (storageEncrypted is not set; the default is false).`,
            );
            return;
        }
        if (!encrypted) {
            report(`${label} must have storage encryption enabled (storageEncrypted: false).`);
            return;
        }
        if (requireCustomerManagedKey && get(props, "kmsKeyId") === undefined) {
            report(`${label} must encrypt storage with a customer-managed KMS key (kmsKeyId is not set).`);
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// rds-backup-retention (advisory)
// ------------------------------------------------------------------------------------------------

/** @see rdsBackupRetention */
export const DEFAULT_MIN_BACKUP_RETENTION_DAYS = 7;

export interface BackupRetentionConfig {
    /** Minimum automated backup retention, in days (1 to 35). @default 7 */
    minDays: number;
}

/** Provider defaults for `backupRetentionPeriod` when it is not set. */
const BACKUP_RETENTION_DEFAULT: Readonly<Record<string, number>> = {
    [T.rdsInstance]: 0,
    [T.rdsCluster]: 1,
};

/** RDS instances and clusters must keep automated backups long enough to recover. */
export const rdsBackupRetention: ResourceValidationPolicy = {
    name: "rds-backup-retention",
    description: "RDS instances and clusters must keep automated backups for a minimum number of days.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Set backupRetentionPeriod to at least the configured minimum (up to 35 days).",
    configSchema: {
        properties: {
            minDays: {
                type: "integer",
                minimum: 1,
                maximum: 35,
                default: DEFAULT_MIN_BACKUP_RETENTION_DAYS,
                description: "Minimum automated backup retention, in days (1 to 35).",
            },
        },
    },
    validateResource: validateTypes([T.rdsInstance, T.rdsCluster], (args, report) => {
        const { minDays } = args.getConfig<BackupRetentionConfig>();
        if (args.type === T.rdsInstance && get(args.props, "replicateSourceDb") !== undefined) {
            args.notApplicable("Backups of a read replica are governed by its source database");
        }
        const days = asNumber(get(args.props, "backupRetentionPeriod"));
        if (days === UNKNOWN) {
            return;
        }
        const effective = days ?? BACKUP_RETENTION_DEFAULT[args.type];
        if (effective < minDays) {
            const actual = days === undefined ? `not set; the default is ${effective}` : `${days}`;
            report(
                `${labelOf(args.type)} must keep automated backups for at least ${minDays} days (backupRetentionPeriod is ${actual}).`,
            );
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// rds-deletion-protection (mandatory when required)
// ------------------------------------------------------------------------------------------------

/** @see rdsDeletionProtection */
export const DEFAULT_PRODUCTION_TAG_KEY = "environment";
/** @see rdsDeletionProtection */
export const DEFAULT_PRODUCTION_TAG_VALUES: readonly string[] = ["prod", "production"];

export interface DeletionProtectionConfig {
    /** Require deletion protection and a kept final snapshot on every RDS instance and cluster. @default false */
    requireDeletionProtection: boolean;
    /** Stack tag that marks a production stack (`pulumi stack tag set environment production`). @default "environment" */
    productionTagKey: string;
    /** Values of that tag (case-insensitive) that mark a production stack. @default ["prod", "production"] */
    productionTagValues: string[];
}

/** In production, databases must survive an accidental `pulumi destroy` or replacement. */
export const rdsDeletionProtection: ResourceValidationPolicy = {
    name: "rds-deletion-protection",
    description: "In production, RDS instances and clusters must have deletion protection and keep a final snapshot.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set deletionProtection: true and leave skipFinalSnapshot false (with a finalSnapshotIdentifier).",
    configSchema: {
        properties: {
            requireDeletionProtection: {
                type: "boolean",
                default: false,
                description:
                    "Require deletion protection and a kept final snapshot on every RDS instance and cluster. Set true in the production config.",
            },
            productionTagKey: {
                type: "string",
                minLength: 1,
                default: DEFAULT_PRODUCTION_TAG_KEY,
                description:
                    "Stack tag that marks a production stack; the requirement also applies when this tag has one of productionTagValues.",
            },
            productionTagValues: {
                type: "array",
                items: { type: "string", minLength: 1 },
                uniqueItems: true,
                default: [...DEFAULT_PRODUCTION_TAG_VALUES],
                description: "Values of productionTagKey (case-insensitive) that mark a production stack.",
            },
        },
    },
    validateResource: validateTypes([T.rdsInstance, T.rdsCluster], (args, report) => {
        const cfg = args.getConfig<DeletionProtectionConfig>();
        const tag = args.stackTags.get(cfg.productionTagKey);
        const taggedProduction =
            tag !== undefined && cfg.productionTagValues.some((v) => v.toLowerCase() === tag.trim().toLowerCase());
        if (!cfg.requireDeletionProtection && !taggedProduction) {
            args.notApplicable(
                `Deletion protection is only required when requireDeletionProtection is true or the stack tag ${cfg.productionTagKey} marks production`,
            );
        }
        const label = labelOf(args.type);
        const protectedFlag = asBool(get(args.props, "deletionProtection"));
        if (protectedFlag === false || protectedFlag === undefined) {
            report(
                `${label} must have deletion protection enabled in production (deletionProtection is ${protectedFlag === false ? "false" : "not set"}).`,
            );
        }
        if (asBool(get(args.props, "skipFinalSnapshot")) === true) {
            report(`${label} must keep a final snapshot in production (skipFinalSnapshot: true).`);
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// rds-iam-authentication (advisory)
// ------------------------------------------------------------------------------------------------

/** Engines whose RDS instances do not support IAM database authentication. */
const NO_IAM_AUTH_ENGINE = /^(sqlserver|oracle|db2|custom-)/;

/** Prefer short-lived IAM tokens over long-lived database passwords. */
export const rdsIamAuthentication: ResourceValidationPolicy = {
    name: "rds-iam-authentication",
    description: "RDS instances and clusters should enable IAM database authentication.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set iamDatabaseAuthenticationEnabled: true and grant rds-db:connect to the app's role.",
    validateResource: validateTypes([T.rdsInstance, T.rdsCluster], (args, report) => {
        const engine = asLowerString(get(args.props, "engine"));
        if (typeof engine === "string" && NO_IAM_AUTH_ENGINE.test(engine)) {
            args.notApplicable(`IAM database authentication is not available for engine ${engine}`);
        }
        if (args.type === T.rdsCluster && asLowerString(get(args.props, "engineMode")) === "serverless") {
            args.notApplicable("IAM database authentication is not available for Aurora Serverless v1");
        }
        const enabled = asBool(get(args.props, "iamDatabaseAuthenticationEnabled"));
        if (enabled === false || enabled === undefined) {
            report(
                `${labelOf(args.type)} must enable IAM database authentication (iamDatabaseAuthenticationEnabled is ${enabled === false ? "false" : "not set"}).`,
            );
        }
    }),
};

/** The database policies, in evaluation order. */
export const databasePolicies = [
    rdsNotPubliclyAccessible,
    dbSubnetGroupNotPublic,
    rdsStorageEncrypted,
    rdsBackupRetention,
    rdsDeletionProtection,
    rdsIamAuthentication,
] as const;
