/**
 * Where the data lives: the DB subnet group (isolated subnets only), the database's own
 * security group (no inline rules, no egress), the parameter group (TLS enforced), the log
 * groups RDS exports to, Enhanced Monitoring, and the RDS instance or the Aurora cluster and its
 * instances, with what data safety decided (deletion protection, a kept final snapshot,
 * `protect`), created empty or restored (`database.restore`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    awsEngine,
    clusterInstancePlan,
    clusterRestoreArgs,
    instanceRestoreArgs,
    RESTORE_ARGUMENTS,
    DB_PORT,
    dbParameters,
    finalSnapshotIdentifier,
    logExports,
    logGroupNames,
    parameterGroupFamily,
    PERFORMANCE_INSIGHTS_RETENTION_DAYS,
    performanceInsightsSupported,
} from "../../lib/database-plan";
import { assumeRolePolicy } from "../../lib/iam";
import { DatabaseContext } from "./context";

export interface Placement {
    subnetGroup: aws.rds.SubnetGroup;
    securityGroup: aws.ec2.SecurityGroup;
}

/** The DB subnet group `<name>-subnets` and the database's group `<name>-sg`. */
export function createPlacement(
    ctx: DatabaseContext,
    isolatedSubnetIds: pulumi.Input<pulumi.Input<string>[]>,
): Placement {
    const { parent, name, identifier, tags } = ctx;
    const subnetGroup = new aws.rds.SubnetGroup(
        `${name}-subnets`,
        { description: `Isolated subnets of ${identifier}`, subnetIds: isolatedSubnetIds, tags },
        { parent },
    );
    // No inline rules: ingress comes from SecurityGroupIngressRule resources (allowFrom and
    // allowAdminFrom, proxy, bastion). No egress at all: PostgreSQL only answers connections
    // (replies are allowed by the security group's connection tracking) and never opens one; the
    // provider revokes AWS's default allow-all egress rule when it creates the group.
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        {
            vpcId: ctx.vpcId,
            description: `PostgreSQL ${identifier}: port ${DB_PORT} from admitted security groups only; no egress`,
            tags: { Name: `${identifier}-db` },
        },
        { parent },
    );
    return { subnetGroup, securityGroup };
}

/** The log groups RDS exports to (`<name>-log-<kind>`), declared first so that they keep a retention. */
export function createLogGroups(ctx: DatabaseContext): aws.cloudwatch.LogGroup[] {
    const { parent, name, plan, identifier, tags } = ctx;
    return logGroupNames(plan.engine, identifier).map(
        (logName) =>
            new aws.cloudwatch.LogGroup(
                `${name}-log-${logName.slice(logName.lastIndexOf("/") + 1)}`,
                { name: logName, retentionInDays: plan.logRetentionDays, tags },
                { parent },
            ),
    );
}

export interface Store {
    instance?: aws.rds.Instance;
    cluster?: aws.rds.Cluster;
    /** Aurora: the writer first, then the reader (empty for `postgres`). */
    clusterInstances: aws.rds.ClusterInstance[];
    parameterGroup?: aws.rds.ParameterGroup;
    clusterParameterGroup?: aws.rds.ClusterParameterGroup;
    /** The instance's or cluster's resource id (for `rds-db:connect`). */
    resourceId: pulumi.Output<string>;
    masterSecretArn: pulumi.Output<string>;
    /** The writer endpoint (host name) of the database itself. */
    endpoint: pulumi.Output<string>;
    readerEndpoint?: pulumi.Output<string>;
    port: pulumi.Output<number>;
}

/** Enhanced Monitoring: its role `<name>-monitoring` when an interval is set. */
function monitoring(ctx: DatabaseContext): { settings: Record<string, unknown>; deps: pulumi.Resource[] } {
    const { parent, name, plan, identifier } = ctx;
    if (plan.monitoringIntervalSeconds === 0) return { settings: { monitoringInterval: 0 }, deps: [] };
    const role = new aws.iam.Role(
        `${name}-monitoring`,
        {
            description: `Enhanced Monitoring of ${identifier}`,
            assumeRolePolicy: JSON.stringify(assumeRolePolicy("monitoring.rds.amazonaws.com")),
        },
        { parent },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
        `${name}-monitoring`,
        {
            role: role.name,
            policyArn: pulumi.interpolate`arn:${ctx.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
        },
        { parent },
    );
    return {
        settings: { monitoringInterval: plan.monitoringIntervalSeconds, monitoringRoleArn: role.arn },
        deps: [attachment],
    };
}

/** Deletion protection, final snapshot and update behaviour, as data safety decided. */
function lifecycle(ctx: DatabaseContext) {
    const { parent, name, identifier, safety } = ctx;
    let finalSnapshot: pulumi.Output<string> | undefined;
    if (!safety.skipFinalSnapshot) {
        // Created once with the database: stable across updates, and different from the
        // snapshot an earlier incarnation of this stack left behind.
        const suffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4 }, { parent });
        finalSnapshot = suffix.hex.apply((hex) => finalSnapshotIdentifier(identifier, hex));
    }
    return {
        deletionProtection: safety.deletionProtection,
        skipFinalSnapshot: safety.skipFinalSnapshot,
        finalSnapshotIdentifier: finalSnapshot,
        deleteAutomatedBackups: safety.deleteAutomatedBackups,
        applyImmediately: safety.applyImmediately,
        copyTagsToSnapshot: true,
        allowMajorVersionUpgrade: false,
    };
}

/**
 * The RDS instance `<name>` (with `<name>-params`), or the Aurora cluster `<name>` (with
 * `<name>-cluster-params`) and its instances `<name>-<role>`. Stateful resources get `protect`
 * when data safety asks for it.
 */
export function createStore(
    ctx: DatabaseContext,
    a: {
        placement: Placement;
        logGroups: aws.cloudwatch.LogGroup[];
        availabilityZones?: pulumi.Input<string>[];
    },
): Store {
    const { parent, name, plan, identifier, tags, safety } = ctx;
    // Stateful resources: `protect` in prod; otherwise inherit from the component's options.
    const stateful = { parent, protect: safety.protect ? true : undefined };
    const family = parameterGroupFamily(plan.engine, plan.engineVersion);
    const parameters = dbParameters();
    const kmsKeyArn = ctx.kmsKeyArn;
    const monitor = monitoring(ctx);
    const performanceInsights =
        plan.performanceInsights && performanceInsightsSupported(plan.instanceClass)
            ? {
                  performanceInsightsEnabled: true,
                  performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
                  performanceInsightsKmsKeyId: kmsKeyArn,
              }
            : { performanceInsightsEnabled: false };
    const safe = lifecycle(ctx);
    // A restore (lib/restore-plan.ts): the source's arguments, in `ignoreChanges` on every
    // database, restored or not, so that editing or removing `database.restore` once the
    // database exists never replaces it (RESTORE_ARGUMENTS says what adding it does). The
    // restored database keeps the source's master user and database name: they are left to
    // the source rather than sent (the provider sends neither for PostgreSQL on a restore).
    const restored = plan.restore !== undefined;
    const atCreation = { ignoreChanges: [...RESTORE_ARGUMENTS] };

    switch (plan.engine) {
        case "postgres": {
            const parameterGroup = new aws.rds.ParameterGroup(
                `${name}-params`,
                { family, description: `${identifier}: TLS required, slow statement logging`, parameters, tags },
                { parent },
            );
            const instance = new aws.rds.Instance(
                `${name}`,
                {
                    identifier,
                    engine: awsEngine(plan.engine),
                    engineVersion: plan.engineVersion,
                    instanceClass: plan.instanceClass,
                    dbName: restored ? undefined : plan.databaseName,
                    username: restored ? undefined : plan.masterUsername,
                    ...(plan.restore ? instanceRestoreArgs(plan.restore) : {}),
                    manageMasterUserPassword: true,
                    masterUserSecretKmsKeyId: kmsKeyArn,
                    port: DB_PORT,
                    storageType: "gp3",
                    allocatedStorage: plan.allocatedStorageGb,
                    maxAllocatedStorage: plan.maxAllocatedStorageGb,
                    storageEncrypted: true,
                    kmsKeyId: kmsKeyArn,
                    multiAz: plan.multiAz,
                    dbSubnetGroupName: a.placement.subnetGroup.name,
                    vpcSecurityGroupIds: [a.placement.securityGroup.id],
                    publiclyAccessible: false,
                    parameterGroupName: parameterGroup.name,
                    iamDatabaseAuthenticationEnabled: plan.iamAuth,
                    backupRetentionPeriod: plan.backupRetentionDays,
                    backupWindow: plan.backupWindow,
                    maintenanceWindow: plan.maintenanceWindow,
                    autoMinorVersionUpgrade: plan.autoMinorVersionUpgrade,
                    enabledCloudwatchLogsExports: logExports(plan.engine),
                    ...safe,
                    ...performanceInsights,
                    ...monitor.settings,
                    tags,
                },
                { ...stateful, ...atCreation, dependsOn: [...a.logGroups, ...monitor.deps] },
            );
            return {
                instance,
                clusterInstances: [],
                parameterGroup,
                resourceId: instance.resourceId,
                masterSecretArn: instance.masterUserSecrets.apply((s) => s[0].secretArn),
                endpoint: instance.address,
                port: instance.port,
            };
        }
        case "aurora-postgresql":
        case "aurora-serverless": {
            const clusterParameterGroup = new aws.rds.ClusterParameterGroup(
                `${name}-cluster-params`,
                { family, description: `${identifier}: TLS required, slow statement logging`, parameters, tags },
                { parent },
            );
            const cluster = new aws.rds.Cluster(
                `${name}`,
                {
                    clusterIdentifier: identifier,
                    engine: awsEngine(plan.engine),
                    engineMode: "provisioned",
                    engineVersion: plan.engineVersion,
                    databaseName: restored ? undefined : plan.databaseName,
                    masterUsername: restored ? undefined : plan.masterUsername,
                    ...(plan.restore ? clusterRestoreArgs(plan.restore) : {}),
                    manageMasterUserPassword: true,
                    masterUserSecretKmsKeyId: kmsKeyArn,
                    port: DB_PORT,
                    storageEncrypted: true,
                    kmsKeyId: kmsKeyArn,
                    dbSubnetGroupName: a.placement.subnetGroup.name,
                    vpcSecurityGroupIds: [a.placement.securityGroup.id],
                    dbClusterParameterGroupName: clusterParameterGroup.name,
                    iamDatabaseAuthenticationEnabled: plan.iamAuth,
                    backupRetentionPeriod: plan.backupRetentionDays,
                    preferredBackupWindow: plan.backupWindow,
                    preferredMaintenanceWindow: plan.maintenanceWindow,
                    enabledCloudwatchLogsExports: logExports(plan.engine),
                    serverlessv2ScalingConfiguration: plan.scaling,
                    ...safe,
                    tags,
                },
                { ...stateful, ...atCreation, dependsOn: [...a.logGroups] },
            );
            const clusterInstances: aws.rds.ClusterInstance[] = [];
            let previous: aws.rds.ClusterInstance | undefined;
            for (const spec of clusterInstancePlan(plan.engine, plan.instanceClass, plan.multiAz)) {
                const ci: aws.rds.ClusterInstance = new aws.rds.ClusterInstance(
                    `${name}-${spec.role}`,
                    {
                        clusterIdentifier: cluster.clusterIdentifier,
                        engine: awsEngine(plan.engine),
                        engineVersion: cluster.engineVersion,
                        instanceClass: spec.instanceClass,
                        dbSubnetGroupName: a.placement.subnetGroup.name,
                        publiclyAccessible: false,
                        promotionTier: spec.promotionTier,
                        availabilityZone: a.availabilityZones?.[spec.azIndex],
                        applyImmediately: safety.applyImmediately,
                        autoMinorVersionUpgrade: plan.autoMinorVersionUpgrade,
                        preferredMaintenanceWindow: plan.maintenanceWindow,
                        copyTagsToSnapshot: true,
                        ...performanceInsights,
                        ...monitor.settings,
                        tags: { Name: `${identifier}-${spec.role}` },
                    },
                    {
                        ...stateful,
                        // The first instance Aurora creates becomes the writer: create the reader after it.
                        dependsOn: [...monitor.deps, ...(previous ? [previous] : [])],
                    },
                );
                clusterInstances.push(ci);
                previous = ci;
            }
            return {
                cluster,
                clusterInstances,
                clusterParameterGroup,
                resourceId: cluster.clusterResourceId,
                masterSecretArn: cluster.masterUserSecrets.apply((s) => s[0].secretArn),
                endpoint: cluster.endpoint,
                readerEndpoint: cluster.readerEndpoint,
                port: cluster.port,
            };
        }
    }
}
