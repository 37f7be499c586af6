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
import { orThrow } from "../lib/problems";
import {
    DB_PORT,
    DataSafety,
    DatabaseOptions,
    ResolvedDatabasePlan,
    alarmPlan,
    dataSafety,
    physicalIdentifier,
    planDatabase,
    proxyResourceId,
    rdsDbConnectArn,
    restoreWarning,
    validDbUsername,
} from "../lib/database-plan";
import { declareAlarms } from "./alarms";
import { DatabaseConnection } from "./contracts";
import { Admissions } from "./database/admission";
import { createAppUserSecret } from "./database/app-user-secret";
import { createBastion } from "./database/bastion";
import { DatabaseContext } from "./database/context";
import { createProxy, DatabaseProxy } from "./database/proxy";
import { createLogGroups, createPlacement, createStore, Store } from "./database/store";

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

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before anything is registered, so that a bad argument leaves no trace.
        const plan = orThrow(
            "Database",
            name,
            planDatabase(name, { ...args, now: Date.now(), stack: pulumi.getStack(), project: pulumi.getProject() }),
        );

        super(DATABASE_TYPE, name, {}, opts);
        this.plan = plan;
        this.safety = dataSafety(plan.deletionProtection);
        this.identifier = physicalIdentifier(pulumi.getProject(), pulumi.getStack(), name);
        const ctx: DatabaseContext = {
            parent: this,
            name,
            identifier: this.identifier,
            plan,
            safety: this.safety,
            tags: { Name: this.identifier },
            kmsKeyArn: args.kmsKeyArn,
            vpcId: args.vpcId,
            privateSubnetIds: args.privateSubnetIds,
            region: aws.getRegionOutput({}, { parent: this }).region,
            account: aws.getCallerIdentityOutput({}, { parent: this }).accountId,
            partition: aws.getPartitionOutput({}, { parent: this }).partition,
        };

        // 0. A restore is said loudly (plan, preview and up): it decides what data the stack starts with.
        if (plan.restore) {
            pulumi.log.warn(
                restoreWarning(plan.restore, plan.engine, this.identifier, args.kmsKeyArn !== undefined),
                this,
            );
        }

        // 1. Where the data lives: isolated subnets, its own group, logs, the instance or cluster.
        const placement = createPlacement(ctx, args.isolatedSubnetIds);
        this.subnetGroup = placement.subnetGroup;
        this.securityGroup = placement.securityGroup;
        this.securityGroupId = placement.securityGroup.id;
        this.logGroups = createLogGroups(ctx);
        const store = createStore(ctx, {
            placement,
            logGroups: this.logGroups,
            availabilityZones: args.availabilityZones,
        });
        this.instance = store.instance;
        this.cluster = store.cluster;
        this.clusterInstances = store.clusterInstances;
        this.parameterGroup = store.parameterGroup;
        this.clusterParameterGroup = store.clusterParameterGroup;
        this.masterSecretArn = store.masterSecretArn;
        this.endpoint = store.endpoint;
        this.readerEndpoint = store.readerEndpoint;
        this.port = store.port;

        // 2. The application user's password (password authentication only).
        this.appUserSecretArn = plan.iamAuth ? undefined : createAppUserSecret(ctx);

        // 3. The RDS Proxy, the client path when enabled.
        const proxy = plan.proxy
            ? createProxy(ctx, {
                  dbSecurityGroupId: placement.securityGroup.id,
                  resourceId: store.resourceId,
                  masterSecretArn: store.masterSecretArn,
                  appUserSecretArn: this.appUserSecretArn,
                  target: store.instance
                      ? { dbInstanceIdentifier: store.instance.identifier }
                      : { dbClusterIdentifier: store.cluster!.clusterIdentifier },
                  clusterInstances: store.clusterInstances,
              })
            : undefined;
        this.proxy = proxy?.proxy;
        this.proxySecurityGroup = proxy?.securityGroup;
        this.proxySecurityGroupId = proxy?.securityGroup.id;

        // 4. The SSM bastion.
        if (plan.bastion) {
            const bastion = createBastion(ctx, {
                dbSecurityGroupId: placement.securityGroup.id,
                dbEndpoint: store.endpoint,
            });
            this.bastion = bastion.instance;
            this.bastionInstanceId = bastion.instance.id;
            this.portForwardCommand = bastion.portForwardCommand;
        }

        // 5. Alarms.
        const specs = alarmPlan(plan.engine, plan.alarms, {
            instanceIdentifier: this.instance ? this.identifier : undefined,
            clusterIdentifier: this.cluster ? this.identifier : undefined,
            proxyName: proxy?.proxyName,
        });
        this.alarms = declareAlarms(this, name, specs, {
            topicArn: args.alarmTopicArn,
            descriptionPrefix: this.identifier,
        });

        // 6. The connection contract: how compute reaches the database, and who may.
        this.connection = this.connectionContract(ctx, store, proxy);

        this.registerOutputs({
            identifier: this.identifier,
            endpoint: this.endpoint,
            readerEndpoint: this.readerEndpoint,
            host: this.connection.host,
            port: this.port,
            securityGroupId: this.securityGroupId,
            proxySecurityGroupId: this.proxySecurityGroupId,
            masterSecretArn: this.masterSecretArn,
            appUserSecretArn: this.appUserSecretArn,
            bastionInstanceId: this.bastionInstanceId,
            portForwardCommand: this.portForwardCommand,
        });
    }

    /** What compute components consume: hosts, secrets, IAM, and `allowFrom`/`allowAdminFrom`. */
    private connectionContract(
        ctx: DatabaseContext,
        store: Store,
        proxy: DatabaseProxy | undefined,
    ): DatabaseConnection {
        const { name, plan } = ctx;
        const proxied = proxy !== undefined;
        const clientGroupId = proxy ? proxy.securityGroup.id : this.securityGroup.id;
        const admissions = new Admissions(this, name, {
            database: this.securityGroup.id,
            client: clientGroupId,
            proxied,
        });
        const connectResourceId = proxy ? proxy.proxy.arn.apply(proxyResourceId) : store.resourceId;
        return {
            host: proxy ? proxy.proxy.endpoint : store.endpoint,
            adminHost: store.endpoint,
            port: pulumi.output(DB_PORT),
            databaseName: plan.databaseName,
            masterUsername: plan.masterUsername,
            masterSecretArn: store.masterSecretArn,
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
                    .all([ctx.partition, ctx.region, ctx.account, connectResourceId])
                    .apply(([p, r, a, id]) => rdsDbConnectArn(p, r, a, id, username));
            },
            secretKmsKeyArns: ctx.kmsKeyArn !== undefined ? [pulumi.output(ctx.kmsKeyArn)] : [],
            securityGroupId: clientGroupId,
            adminSecurityGroupId: this.securityGroup.id,
            allowFrom: (clientName, source) => admissions.admit("client", clientName, source),
            allowAdminFrom: (clientName, source) => admissions.admit("admin", clientName, source),
        };
    }
}
