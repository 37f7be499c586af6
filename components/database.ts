/**
 * The private PostgreSQL database (`private-app:database:Database`): RDS for PostgreSQL,
 * Aurora PostgreSQL or Aurora Serverless v2 in the isolated subnets, behind a dedicated
 * security group, with TLS enforced at the server, an RDS-managed master secret, optional
 * RDS Proxy and SSM bastion, and CloudWatch alarms.
 *
 * Every decision is made from plain arguments by `lib/database-plan.ts` before the first
 * child is declared; invalid arguments throw one error listing every problem.
 *
 * Design notes:
 * - Identifiers. The instance / cluster identifier (and the proxy name) is explicit,
 *   `<project>-<stack>-<name>`, so that the log groups RDS exports to can be declared (with
 *   retention) before the database, and the alarms know their dimensions. Project and stack
 *   keep two stacks in one account and region apart. The price: a change that forces a
 *   replacement fails on the name instead of silently creating a second database next to
 *   the first, which we consider the safer failure. Cluster instances and the other
 *   children keep Pulumi's auto-naming.
 * - RDS Proxy with IAM auth uses end-to-end IAM (`defaultAuthScheme: IAM_AUTH`): clients
 *   and the proxy both log in with IAM tokens, so the application role needs no password
 *   (the same `rds_iam` role as without the proxy). The master secret stays registered
 *   (`iamAuth: REQUIRED`), so through the proxy the master user too can log in only with an
 *   IAM token, never with its password.
 * - Two ways in. The application uses `connection.host` (the proxy when on) and is admitted
 *   with `allowFrom`. Migrations and admin tools log in as the master user with its password
 *   (from the RDS-managed secret), which the proxy refuses with IAM auth: they use
 *   `connection.adminHost` (the writer endpoint, bypassing the proxy) and are admitted to
 *   the database's own group with `allowAdminFrom`. Without a proxy both are the same host
 *   and group, and one rule per client name (AWS rejects duplicate rules).
 * - The bastion's AMI is the latest Amazon Linux 2023 from the public SSM parameter: a new
 *   AMI release replaces the (stateless) bastion on the next `up`, which keeps it patched.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { orThrow } from "../lib/problems";
import {
    AdmissionPath,
    DB_PORT,
    DataSafety,
    MAX_PROXY_NAME_LENGTH,
    PERFORMANCE_INSIGHTS_RETENTION_DAYS,
    ResolvedDatabasePlan,
    admissionRuleName,
    alarmPlan,
    awsEngine,
    bastionAmiParameter,
    clusterInstancePlan,
    dataSafety,
    DatabaseOptions,
    dbParameters,
    finalSnapshotIdentifier,
    logExports,
    logGroupNames,
    parameterGroupFamily,
    performanceInsightsSupported,
    physicalIdentifier,
    planDatabase,
    portForwardCommand,
    proxyResourceId,
    rdsDbConnectArn,
    validClientName,
    validDbUsername,
} from "../lib/database-plan";
import { declareAlarms } from "./alarms";
import { DatabaseConnection } from "./contracts";
import { assumeRolePolicy } from "../lib/iam";

/**
 * Arguments of {@link Database}: the options (documented with their defaults in
 * `lib/database-plan.ts`, where they are checked) and the wiring to the network and alarms.
 */
export interface DatabaseArgs extends DatabaseOptions {
    /**
     * The VPC of the subnets.
     * @example network.vpcId
     */
    vpcId: pulumi.Input<string>;
    /**
     * Isolated subnets (no route to the internet), one per AZ; the DB subnet group uses
     * these and nothing else.
     * @example network.isolatedSubnetIds
     */
    isolatedSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Private subnets, where the proxy and the bastion run (the bastion in the first).
     * @example network.privateSubnetIds
     */
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The AZs of the isolated subnets, in the same order. When given, the Aurora writer is
     * placed in the first and the reader in the second; otherwise AWS chooses the AZ of each
     * cluster instance (usually distinct, not guaranteed). Not used for RDS, whose Multi-AZ
     * standby is always in another AZ.
     * @default - AWS chooses
     * @example ["eu-west-1a", "eu-west-1b"]
     */
    availabilityZones?: pulumi.Input<string>[];
    /**
     * The SNS topic every alarm notifies (alarm and OK actions).
     * @example alarmTopic.topicArn
     */
    alarmTopicArn: pulumi.Input<string>;
}

/** The component's type token. */
export const DATABASE_TYPE = "private-app:database:Database";

/**
 * A private PostgreSQL database. Read `connection` to reach it; call
 * `connection.allowFrom(name, securityGroupId)` once per client, and
 * `connection.allowAdminFrom(name, securityGroupId)` once per client of the admin path
 * (`connection.adminHost`, e.g. migrations). The children are exposed
 * (`instance` or `cluster` + `clusterInstances`, `proxy`, `securityGroup`, ...) for
 * reference; everything a consumer needs is on `connection`.
 */
export class Database extends pulumi.ComponentResource {
    /** What compute components consume (host, port, secrets, IAM, security group). */
    readonly connection: DatabaseConnection;
    /** The resolved arguments (every default filled in). */
    readonly plan: ResolvedDatabasePlan;
    /** What `deletionProtection` decided (protect, final snapshot, apply immediately, ...). */
    readonly safety: DataSafety;
    /** Physical identifier of the RDS instance or the Aurora cluster (`<project>-<stack>-<name>`). */
    readonly identifier: string;
    /** The database's own security group (admits the proxy, the bastion and admin clients, or every client). */
    readonly securityGroupId: pulumi.Output<string>;
    /** The proxy's security group, when `proxy`. */
    readonly proxySecurityGroupId?: pulumi.Output<string>;
    /** The writer endpoint (host name) of the database itself, bypassing the proxy. */
    readonly endpoint: pulumi.Output<string>;
    /** Aurora's reader endpoint (host name). */
    readonly readerEndpoint?: pulumi.Output<string>;
    readonly port: pulumi.Output<number>;
    /** ARN of the RDS-managed master secret. */
    readonly masterSecretArn: pulumi.Output<string>;
    /** ARN of the application user's secret, only when `iamAuth` is false. */
    readonly appUserSecretArn?: pulumi.Output<string>;
    /** The bastion's instance id, when `bastion`. */
    readonly bastionInstanceId?: pulumi.Output<string>;
    /** `aws ssm start-session ...` forwarding localhost:15432 to the database, when `bastion`. */
    readonly portForwardCommand?: pulumi.Output<string>;

    readonly subnetGroup: aws.rds.SubnetGroup;
    readonly securityGroup: aws.ec2.SecurityGroup;
    readonly parameterGroup?: aws.rds.ParameterGroup;
    readonly clusterParameterGroup?: aws.rds.ClusterParameterGroup;
    readonly logGroups: aws.cloudwatch.LogGroup[];
    readonly instance?: aws.rds.Instance;
    readonly cluster?: aws.rds.Cluster;
    /** Aurora cluster instances: the writer first, then the reader (empty for `postgres`). */
    readonly clusterInstances: aws.rds.ClusterInstance[];
    readonly proxy?: aws.rds.Proxy;
    readonly proxySecurityGroup?: aws.ec2.SecurityGroup;
    readonly bastion?: aws.ec2.Instance;
    readonly alarms: aws.cloudwatch.MetricAlarm[];

    /** `<path>:<client name>` of every allowFrom / allowAdminFrom call made. */
    private readonly admitted = new Set<string>();
    /** The admission rules declared, by logical name, with the source they admit. */
    private readonly admissionRules = new Map<
        string,
        { rule: aws.vpc.SecurityGroupIngressRule; source: pulumi.Input<string> }
    >();

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before anything is registered, so that a bad argument leaves no trace.
        const plan = orThrow("Database", name, planDatabase(name, args));

        super(DATABASE_TYPE, name, {}, opts);
        this.plan = plan;
        const safety = (this.safety = dataSafety(plan.deletionProtection));
        const parent = { parent: this };
        // Stateful resources: `protect` in prod; otherwise inherit from the component's options.
        const stateful = { parent: this, protect: safety.protect ? true : undefined };
        const identifier = (this.identifier = physicalIdentifier(pulumi.getProject(), pulumi.getStack(), name));
        const tags = { Name: identifier };

        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const kmsKeyArn = args.kmsKeyArn;

        // ---- Network placement -------------------------------------------------------------
        this.subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            {
                description: `Isolated subnets of ${identifier}`,
                subnetIds: args.isolatedSubnetIds,
                tags,
            },
            parent,
        );

        // No inline rules: ingress comes from SecurityGroupIngressRule resources (allowFrom and
        // allowAdminFrom, proxy, bastion). No egress at all: PostgreSQL only answers
        // connections (replies are allowed by the security group's connection tracking) and
        // never opens one; the provider revokes AWS's default allow-all egress rule when it
        // creates the group.
        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: `PostgreSQL ${identifier}: port ${DB_PORT} from admitted security groups only; no egress`,
                tags: { Name: `${identifier}-db` },
            },
            parent,
        );
        this.securityGroupId = this.securityGroup.id;

        // ---- Parameters (TLS enforced) and logs --------------------------------------------
        const family = parameterGroupFamily(plan.engine, plan.engineVersion);
        const parameters = dbParameters();
        this.logGroups = logGroupNames(plan.engine, identifier).map(
            (logName) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-log-${logName.slice(logName.lastIndexOf("/") + 1)}`,
                    {
                        name: logName,
                        retentionInDays: plan.logRetentionDays,
                        tags,
                    },
                    parent,
                ),
        );

        let monitoringRoleArn: pulumi.Output<string> | undefined;
        const monitoringDeps: pulumi.Resource[] = [];
        if (plan.monitoringIntervalSeconds > 0) {
            const role = new aws.iam.Role(
                `${name}-monitoring`,
                {
                    description: `Enhanced Monitoring of ${identifier}`,
                    assumeRolePolicy: JSON.stringify(assumeRolePolicy("monitoring.rds.amazonaws.com")),
                },
                parent,
            );
            monitoringDeps.push(
                new aws.iam.RolePolicyAttachment(
                    `${name}-monitoring`,
                    {
                        role: role.name,
                        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
                    },
                    parent,
                ),
            );
            monitoringRoleArn = role.arn;
        }
        const monitoring =
            plan.monitoringIntervalSeconds > 0
                ? { monitoringInterval: plan.monitoringIntervalSeconds, monitoringRoleArn }
                : { monitoringInterval: 0 };

        const piEnabled = plan.performanceInsights && performanceInsightsSupported(plan.instanceClass);
        const performanceInsights = piEnabled
            ? {
                  performanceInsightsEnabled: true,
                  performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
                  performanceInsightsKmsKeyId: kmsKeyArn,
              }
            : { performanceInsightsEnabled: false };

        // ---- Data safety -------------------------------------------------------------------
        let finalSnapshot: pulumi.Output<string> | undefined;
        if (!safety.skipFinalSnapshot) {
            // Created once with the database: stable across updates, and different from the
            // snapshot an earlier incarnation of this stack left behind.
            const suffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4 }, parent);
            finalSnapshot = suffix.hex.apply((hex) => finalSnapshotIdentifier(identifier, hex));
        }
        const lifecycle = {
            deletionProtection: safety.deletionProtection,
            skipFinalSnapshot: safety.skipFinalSnapshot,
            finalSnapshotIdentifier: finalSnapshot,
            deleteAutomatedBackups: safety.deleteAutomatedBackups,
            applyImmediately: safety.applyImmediately,
            copyTagsToSnapshot: true,
            allowMajorVersionUpgrade: false,
        };

        // ---- The database ------------------------------------------------------------------
        let resourceId: pulumi.Output<string>;
        let masterUserSecrets: pulumi.Output<{ secretArn: string }[]>;
        this.clusterInstances = [];
        switch (plan.engine) {
            case "postgres": {
                this.parameterGroup = new aws.rds.ParameterGroup(
                    `${name}-params`,
                    {
                        family,
                        description: `${identifier}: TLS required, slow statement logging`,
                        parameters,
                        tags,
                    },
                    parent,
                );
                const instance = (this.instance = new aws.rds.Instance(
                    `${name}`,
                    {
                        identifier,
                        engine: awsEngine(plan.engine),
                        engineVersion: plan.engineVersion,
                        instanceClass: plan.instanceClass,
                        dbName: plan.databaseName,
                        username: plan.masterUsername,
                        manageMasterUserPassword: true,
                        masterUserSecretKmsKeyId: kmsKeyArn,
                        port: DB_PORT,
                        storageType: "gp3",
                        allocatedStorage: plan.allocatedStorageGb,
                        maxAllocatedStorage: plan.maxAllocatedStorageGb,
                        storageEncrypted: true,
                        kmsKeyId: kmsKeyArn,
                        multiAz: plan.multiAz,
                        dbSubnetGroupName: this.subnetGroup.name,
                        vpcSecurityGroupIds: [this.securityGroup.id],
                        publiclyAccessible: false,
                        parameterGroupName: this.parameterGroup.name,
                        iamDatabaseAuthenticationEnabled: plan.iamAuth,
                        backupRetentionPeriod: plan.backupRetentionDays,
                        backupWindow: plan.backupWindow,
                        maintenanceWindow: plan.maintenanceWindow,
                        autoMinorVersionUpgrade: plan.autoMinorVersionUpgrade,
                        enabledCloudwatchLogsExports: logExports(plan.engine),
                        ...lifecycle,
                        ...performanceInsights,
                        ...monitoring,
                        tags,
                    },
                    { ...stateful, dependsOn: [...this.logGroups, ...monitoringDeps] },
                ));
                resourceId = instance.resourceId;
                masterUserSecrets = instance.masterUserSecrets;
                this.endpoint = instance.address;
                this.port = instance.port;
                break;
            }
            case "aurora-postgresql":
            case "aurora-serverless": {
                this.clusterParameterGroup = new aws.rds.ClusterParameterGroup(
                    `${name}-cluster-params`,
                    {
                        family,
                        description: `${identifier}: TLS required, slow statement logging`,
                        parameters,
                        tags,
                    },
                    parent,
                );
                const cluster = (this.cluster = new aws.rds.Cluster(
                    `${name}`,
                    {
                        clusterIdentifier: identifier,
                        engine: awsEngine(plan.engine),
                        engineMode: "provisioned",
                        engineVersion: plan.engineVersion,
                        databaseName: plan.databaseName,
                        masterUsername: plan.masterUsername,
                        manageMasterUserPassword: true,
                        masterUserSecretKmsKeyId: kmsKeyArn,
                        port: DB_PORT,
                        storageEncrypted: true,
                        kmsKeyId: kmsKeyArn,
                        dbSubnetGroupName: this.subnetGroup.name,
                        vpcSecurityGroupIds: [this.securityGroup.id],
                        dbClusterParameterGroupName: this.clusterParameterGroup.name,
                        iamDatabaseAuthenticationEnabled: plan.iamAuth,
                        backupRetentionPeriod: plan.backupRetentionDays,
                        preferredBackupWindow: plan.backupWindow,
                        preferredMaintenanceWindow: plan.maintenanceWindow,
                        enabledCloudwatchLogsExports: logExports(plan.engine),
                        serverlessv2ScalingConfiguration: plan.scaling,
                        ...lifecycle,
                        tags,
                    },
                    { ...stateful, dependsOn: [...this.logGroups] },
                ));
                const azs = args.availabilityZones;
                let previous: aws.rds.ClusterInstance | undefined;
                for (const spec of clusterInstancePlan(plan.engine, plan.instanceClass, plan.multiAz)) {
                    const ci: aws.rds.ClusterInstance = new aws.rds.ClusterInstance(
                        `${name}-${spec.role}`,
                        {
                            clusterIdentifier: cluster.clusterIdentifier,
                            engine: awsEngine(plan.engine),
                            engineVersion: cluster.engineVersion,
                            instanceClass: spec.instanceClass,
                            dbSubnetGroupName: this.subnetGroup.name,
                            publiclyAccessible: false,
                            promotionTier: spec.promotionTier,
                            availabilityZone: azs?.[spec.azIndex],
                            applyImmediately: safety.applyImmediately,
                            autoMinorVersionUpgrade: plan.autoMinorVersionUpgrade,
                            preferredMaintenanceWindow: plan.maintenanceWindow,
                            copyTagsToSnapshot: true,
                            ...performanceInsights,
                            ...monitoring,
                            tags: { Name: `${identifier}-${spec.role}` },
                        },
                        {
                            ...stateful,
                            // The first instance Aurora creates becomes the writer: create the reader after it.
                            dependsOn: [...monitoringDeps, ...(previous ? [previous] : [])],
                        },
                    );
                    this.clusterInstances.push(ci);
                    previous = ci;
                }
                resourceId = cluster.clusterResourceId;
                masterUserSecrets = cluster.masterUserSecrets;
                this.endpoint = cluster.endpoint;
                this.readerEndpoint = cluster.readerEndpoint;
                this.port = cluster.port;
                break;
            }
        }
        this.masterSecretArn = masterUserSecrets.apply((s) => s[0].secretArn);

        // ---- Application user credentials (password authentication only) ------------------
        if (!plan.iamAuth) {
            const password = new random.RandomPassword(
                `${name}-app-password`,
                {
                    length: 32,
                    // URL-unreserved symbols only: safe in a DSN, a shell and JSON.
                    special: true,
                    overrideSpecial: "-_.~",
                    minLower: 1,
                    minUpper: 1,
                    minNumeric: 1,
                },
                parent,
            );
            const secret = new aws.secretsmanager.Secret(
                `${name}-app-user`,
                {
                    description: `Password of the ${plan.appUsername} role of ${identifier} (set on the role by the migrations)`,
                    kmsKeyId: kmsKeyArn,
                    recoveryWindowInDays: safety.secretRecoveryWindowDays,
                    tags,
                },
                parent,
            );
            new aws.secretsmanager.SecretVersion(
                `${name}-app-user`,
                {
                    secretId: secret.id,
                    secretString: pulumi.secret(
                        pulumi
                            .all([password.result])
                            .apply(([pw]) => JSON.stringify({ username: plan.appUsername, password: pw })),
                    ),
                },
                parent,
            );
            this.appUserSecretArn = secret.arn;
        }
        const secretKmsKeyArns = kmsKeyArn !== undefined ? [pulumi.output(kmsKeyArn)] : [];

        // ---- RDS Proxy ---------------------------------------------------------------------
        let clientSecurityGroup = this.securityGroup;
        let host = this.endpoint;
        let proxyName: string | undefined;
        if (plan.proxy) {
            proxyName = physicalIdentifier(
                pulumi.getProject(),
                pulumi.getStack(),
                `${name}-proxy`,
                MAX_PROXY_NAME_LENGTH,
            );
            const proxySg = (this.proxySecurityGroup = new aws.ec2.SecurityGroup(
                `${name}-proxy-sg`,
                {
                    vpcId: args.vpcId,
                    description: `RDS Proxy of ${identifier}: port ${DB_PORT} from admitted security groups; egress to the database only`,
                    tags: { Name: `${identifier}-proxy` },
                },
                parent,
            ));
            this.proxySecurityGroupId = proxySg.id;
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-proxy-to-db`,
                {
                    securityGroupId: proxySg.id,
                    referencedSecurityGroupId: this.securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: DB_PORT,
                    toPort: DB_PORT,
                    description: "PostgreSQL to the database",
                },
                parent,
            );
            this.ingress(`${name}-db-from-proxy`, this.securityGroup.id, proxySg.id, "PostgreSQL from the RDS Proxy");

            const dbUserArn = (user: string) =>
                pulumi
                    .all([partition, region, account, resourceId])
                    .apply(([p, r, a, id]) => rdsDbConnectArn(p, r, a, id, user));
            const secretArns: pulumi.Output<string>[] = [
                this.masterSecretArn,
                ...(this.appUserSecretArn ? [this.appUserSecretArn] : []),
            ];
            const role = new aws.iam.Role(
                `${name}-proxy`,
                {
                    description: `RDS Proxy of ${identifier}: reads the database secrets`,
                    assumeRolePolicy: account.apply((a) =>
                        JSON.stringify(
                            assumeRolePolicy("rds.amazonaws.com", { StringEquals: { "aws:SourceAccount": a } }),
                        ),
                    ),
                },
                parent,
            );
            const policy = new aws.iam.RolePolicy(
                `${name}-proxy`,
                {
                    role: role.id,
                    policy: pulumi
                        .all([
                            pulumi.all(secretArns),
                            kmsKeyArn,
                            region,
                            plan.iamAuth ? dbUserArn(plan.appUsername) : undefined,
                        ])
                        .apply(([arns, key, r, appUserArn]) =>
                            JSON.stringify({
                                Version: "2012-10-17",
                                Statement: [
                                    {
                                        Sid: "ReadDatabaseSecrets",
                                        Effect: "Allow",
                                        Action: "secretsmanager:GetSecretValue",
                                        Resource: arns,
                                    },
                                    ...(key
                                        ? [
                                              {
                                                  Sid: "DecryptSecretsViaSecretsManager",
                                                  Effect: "Allow",
                                                  Action: "kms:Decrypt",
                                                  Resource: key,
                                                  Condition: {
                                                      StringEquals: {
                                                          "kms:ViaService": `secretsmanager.${r}.amazonaws.com`,
                                                      },
                                                  },
                                              },
                                          ]
                                        : []),
                                    // End-to-end IAM: the proxy logs in to the database as the
                                    // application user with its own IAM token (no app password exists).
                                    ...(appUserArn
                                        ? [
                                              {
                                                  Sid: "ConnectAsApplicationUser",
                                                  Effect: "Allow",
                                                  Action: "rds-db:connect",
                                                  Resource: appUserArn,
                                              },
                                          ]
                                        : []),
                                ],
                            }),
                        ),
                },
                parent,
            );

            const auths: aws.types.input.rds.ProxyAuth[] = [
                {
                    description: `master user ${plan.masterUsername}`,
                    authScheme: "SECRETS",
                    secretArn: this.masterSecretArn,
                    iamAuth: plan.iamAuth ? "REQUIRED" : "DISABLED",
                    clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
                },
            ];
            if (this.appUserSecretArn) {
                auths.push({
                    description: `application user ${plan.appUsername}`,
                    authScheme: "SECRETS",
                    secretArn: this.appUserSecretArn,
                    iamAuth: "DISABLED",
                    clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
                });
            }
            const proxy = (this.proxy = new aws.rds.Proxy(
                `${name}-proxy`,
                {
                    name: proxyName,
                    engineFamily: "POSTGRESQL",
                    requireTls: true,
                    debugLogging: false,
                    roleArn: role.arn,
                    vpcSubnetIds: args.privateSubnetIds,
                    vpcSecurityGroupIds: [proxySg.id],
                    // With IAM auth, clients present IAM tokens and the proxy reaches the database
                    // with IAM too (end-to-end), so the application user needs no password.
                    defaultAuthScheme: plan.iamAuth ? "IAM_AUTH" : "NONE",
                    auths,
                    tags,
                },
                { parent: this, dependsOn: [policy] },
            ));
            const targetGroup = new aws.rds.ProxyDefaultTargetGroup(
                `${name}-proxy`,
                {
                    dbProxyName: proxy.name,
                    connectionPoolConfig: { maxConnectionsPercent: plan.proxyMaxConnectionsPercent },
                },
                parent,
            );
            new aws.rds.ProxyTarget(
                `${name}-proxy`,
                {
                    dbProxyName: proxy.name,
                    targetGroupName: targetGroup.name,
                    ...(this.instance
                        ? { dbInstanceIdentifier: this.instance.identifier }
                        : { dbClusterIdentifier: this.cluster!.clusterIdentifier }),
                },
                { parent: this, dependsOn: this.clusterInstances },
            );
            clientSecurityGroup = proxySg;
            host = proxy.endpoint;
        }

        // ---- Bastion -----------------------------------------------------------------------
        if (plan.bastion) {
            const bastionSg = new aws.ec2.SecurityGroup(
                `${name}-bastion-sg`,
                {
                    vpcId: args.vpcId,
                    description: `SSM bastion of ${identifier}: no inbound; HTTPS to SSM and PostgreSQL to the database`,
                    tags: { Name: `${identifier}-bastion` },
                },
                parent,
            );
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-bastion-https`,
                {
                    securityGroupId: bastionSg.id,
                    cidrIpv4: "0.0.0.0/0",
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    description: "HTTPS to Systems Manager (through NAT or interface endpoints)",
                },
                parent,
            );
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-bastion-to-db`,
                {
                    securityGroupId: bastionSg.id,
                    referencedSecurityGroupId: this.securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: DB_PORT,
                    toPort: DB_PORT,
                    description: "PostgreSQL to the database",
                },
                parent,
            );
            // The bastion goes straight to the database (not through the proxy).
            this.ingress(
                `${name}-db-from-bastion`,
                this.securityGroup.id,
                bastionSg.id,
                "PostgreSQL from the SSM bastion",
            );

            const role = new aws.iam.Role(
                `${name}-bastion`,
                {
                    description: `SSM bastion of ${identifier}`,
                    assumeRolePolicy: JSON.stringify(assumeRolePolicy("ec2.amazonaws.com")),
                },
                parent,
            );
            const ssmCore = new aws.iam.RolePolicyAttachment(
                `${name}-bastion-ssm`,
                {
                    role: role.name,
                    policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
                },
                parent,
            );
            const profile = new aws.iam.InstanceProfile(`${name}-bastion`, { role: role.name }, parent);
            const ami = aws.ssm.getParameterOutput(
                { name: bastionAmiParameter(plan.bastionInstanceType) },
                parent,
            ).value;
            const bastion = (this.bastion = new aws.ec2.Instance(
                `${name}-bastion`,
                {
                    ami,
                    instanceType: plan.bastionInstanceType,
                    subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => ids[0]),
                    vpcSecurityGroupIds: [bastionSg.id],
                    associatePublicIpAddress: false,
                    iamInstanceProfile: profile.name,
                    metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                    rootBlockDevice: { encrypted: true, volumeType: "gp3" },
                    monitoring: false,
                    tags: { Name: `${identifier}-bastion` },
                },
                { parent: this, dependsOn: [ssmCore] },
            ));
            this.bastionInstanceId = bastion.id;
            this.portForwardCommand = pulumi
                .all([bastion.id, this.endpoint])
                .apply(([id, dbHost]) => portForwardCommand(id, dbHost));
        }

        // ---- Alarms ------------------------------------------------------------------------
        const specs = alarmPlan(plan.engine, plan.alarms, {
            instanceIdentifier: this.instance ? identifier : undefined,
            clusterIdentifier: this.cluster ? identifier : undefined,
            proxyName,
        });
        this.alarms = declareAlarms(this, name, specs, {
            topicArn: args.alarmTopicArn,
            descriptionPrefix: identifier,
        });

        // ---- The connection contract -------------------------------------------------------
        const clientSg = clientSecurityGroup;
        const proxied = this.proxy !== undefined;
        const connectResourceId = this.proxy ? this.proxy.arn.apply(proxyResourceId) : resourceId;
        /**
         * Admits a client on one path. Behind a proxy, the client path ends at the proxy's group
         * and the admin path at the database's, each with its own rule. Without a proxy both end
         * at the database's group: `admissionRuleName` gives both paths the same rule name, and
         * the rule the first call declared is returned to the second (a second, identical rule
         * would fail with InvalidPermission.Duplicate).
         */
        const admit = (
            path: AdmissionPath,
            clientName: string,
            source: pulumi.Input<string>,
        ): aws.vpc.SecurityGroupIngressRule => {
            const call = path === "client" ? "allowFrom" : "allowAdminFrom";
            if (!validClientName(clientName)) {
                throw new Error(
                    `Database "${name}": ${call}: got ${JSON.stringify(clientName)}; expected 1 to 40 lower-case letters, digits or hyphens (it names the rule resource)`,
                );
            }
            const key = `${path}:${clientName}`;
            if (this.admitted.has(key)) {
                throw new Error(
                    `Database "${name}": ${call}: "${clientName}" is already admitted; call ${call} once per client`,
                );
            }
            const ruleName = admissionRuleName(name, clientName, path, proxied);
            const existing = this.admissionRules.get(ruleName);
            if (existing) {
                // Without a proxy only: the other path already admitted this client to this group.
                if (typeof existing.source === "string" && typeof source === "string" && existing.source !== source) {
                    throw new Error(
                        `Database "${name}": ${call}: "${clientName}" is already admitted from ${existing.source}, not ${source}; one client name is one security group`,
                    );
                }
                this.admitted.add(key);
                return existing.rule;
            }
            const direct = path === "admin" && proxied;
            const rule = this.ingress(
                ruleName,
                direct ? this.securityGroup.id : clientSg.id,
                source,
                direct ? `PostgreSQL from ${clientName} (admin, bypassing the proxy)` : `PostgreSQL from ${clientName}`,
            );
            this.admissionRules.set(ruleName, { rule, source });
            this.admitted.add(key);
            return rule;
        };
        this.connection = {
            host,
            adminHost: this.endpoint,
            port: pulumi.output(DB_PORT),
            databaseName: plan.databaseName,
            masterUsername: plan.masterUsername,
            masterSecretArn: this.masterSecretArn,
            appUsername: plan.appUsername,
            appUserSecretArn: this.appUserSecretArn,
            iamAuth: plan.iamAuth,
            pausable: plan.scaling?.minCapacity === 0,
            proxied,
            iamConnectArn: (username: string) => {
                if (!validDbUsername(username)) {
                    throw new Error(
                        `Database "${name}": iamConnectArn: got ${JSON.stringify(username)}; expected a PostgreSQL user name (lower-case letters, digits or _, starting with a letter)`,
                    );
                }
                return pulumi
                    .all([partition, region, account, connectResourceId])
                    .apply(([p, r, a, id]) => rdsDbConnectArn(p, r, a, id, username));
            },
            secretKmsKeyArns,
            securityGroupId: clientSg.id,
            adminSecurityGroupId: this.securityGroup.id,
            allowFrom: (clientName: string, sourceSecurityGroupId: pulumi.Input<string>) =>
                admit("client", clientName, sourceSecurityGroupId),
            allowAdminFrom: (clientName: string, sourceSecurityGroupId: pulumi.Input<string>) =>
                admit("admin", clientName, sourceSecurityGroupId),
        };

        this.registerOutputs({
            identifier: this.identifier,
            endpoint: this.endpoint,
            readerEndpoint: this.readerEndpoint,
            host,
            port: this.port,
            securityGroupId: this.securityGroupId,
            proxySecurityGroupId: this.proxySecurityGroupId,
            masterSecretArn: this.masterSecretArn,
            appUserSecretArn: this.appUserSecretArn,
            bastionInstanceId: this.bastionInstanceId,
            portForwardCommand: this.portForwardCommand,
        });
    }

    /** One TCP 5432 ingress rule from a security group (never a CIDR). */
    private ingress(
        logicalName: string,
        securityGroupId: pulumi.Input<string>,
        source: pulumi.Input<string>,
        description: string,
    ): aws.vpc.SecurityGroupIngressRule {
        return new aws.vpc.SecurityGroupIngressRule(
            logicalName,
            {
                securityGroupId,
                referencedSecurityGroupId: source,
                ipProtocol: "tcp",
                fromPort: DB_PORT,
                toPort: DB_PORT,
                description,
            },
            { parent: this },
        );
    }
}
