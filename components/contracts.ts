/**
 * What the components hand each other. The network gives the database and the compute
 * components their subnets; the database gives the compute components a way in and the
 * settings the application reads at run time. No resource is declared here.
 */
import * as pulumi from "@pulumi/pulumi";

/** The subnets and addresses of a network, created by `Network` or imported (existing VPC). */
export interface NetworkOutputs {
    vpcId: pulumi.Output<string>;
    vpcCidr: pulumi.Output<string>;
    /** One per AZ, in AZ order. Empty for an imported VPC without public subnets. */
    publicSubnetIds: pulumi.Output<string[]>;
    /** Private (egress) subnets: where compute, proxies and bastions run. */
    privateSubnetIds: pulumi.Output<string[]>;
    /** Isolated subnets: no route to the internet; the DB subnet group uses these only. */
    isolatedSubnetIds: pulumi.Output<string[]>;
    /** True when private subnets have a default route through NAT. */
    privateEgress: boolean;
}

/**
 * How an application reaches the database. Returned by `Database`; consumed by every compute
 * component. Nothing in it is a password: credentials are read at run time from Secrets
 * Manager (by ARN) or replaced by IAM authentication tokens.
 *
 * Two ways in:
 * - the client path ({@link host}, {@link securityGroupId}, {@link allowFrom}): what the
 *   application uses, through the RDS Proxy when it is enabled;
 * - the admin path ({@link adminHost}, {@link adminSecurityGroupId}, {@link allowAdminFrom}):
 *   straight to the database's writer, bypassing the proxy, for migrations and admin tools
 *   that log in as the master user with its password (from {@link masterSecretArn}). With IAM
 *   authentication the proxy accepts IAM tokens only, so a password login through it fails.
 *
 * Without a proxy ({@link proxied} false) both paths are the same: same host, same security
 * group, and one ingress rule per client name.
 */
export interface DatabaseConnection {
    /** The host the application connects to: the RDS Proxy endpoint when enabled, else the writer. */
    host: pulumi.Output<string>;
    /**
     * The database's own writer endpoint (the RDS instance address or the Aurora cluster's
     * writer endpoint), bypassing the proxy: for migrations and admin tools that log in as the
     * master user with its password. Equal to {@link host} when there is no proxy.
     */
    adminHost: pulumi.Output<string>;
    port: pulumi.Output<number>;
    databaseName: string;
    /** Master user name (used by the migration function only, on {@link adminHost}). */
    masterUsername: string;
    /** ARN of the Secrets Manager secret holding the master credentials (RDS-managed). */
    masterSecretArn: pulumi.Output<string>;
    /** The least-privilege role the application logs in as (created by the migrations). */
    appUsername: string;
    /**
     * ARN of the secret holding the application role's password; set only when IAM
     * authentication is off (the migration function sets that password on the role).
     */
    appUserSecretArn?: pulumi.Output<string>;
    /** True when the application authenticates with IAM tokens instead of a password. */
    iamAuth: boolean;
    /**
     * True when the database can pause (Aurora Serverless v2 at 0 ACU): a first connection
     * may wait about 15 s for it to resume, so clients connect with longer timeouts and a retry
     * (`PAUSABLE_DATABASE_CONNECT` in app/contract.ts).
     */
    pausable: boolean;
    /**
     * True when an RDS Proxy sits in front of the database: {@link host} and
     * {@link securityGroupId} are then the proxy's, and differ from {@link adminHost} and
     * {@link adminSecurityGroupId}.
     */
    proxied: boolean;
    /** The `rds-db:connect` resource ARN for a database user (proxy or database resource id). */
    iamConnectArn(username: string): pulumi.Output<string>;
    /** ARNs of the KMS keys a reader of the secrets needs `kms:Decrypt` on (empty: AWS-managed keys). */
    secretKmsKeyArns: pulumi.Output<string>[];
    /** The security group a client must reach on `port` (the proxy's when enabled, else the DB's). */
    securityGroupId: pulumi.Output<string>;
    /**
     * The database's own security group, which an admin client (see {@link allowAdminFrom})
     * must reach on `port`. Equal to {@link securityGroupId} when there is no proxy.
     */
    adminSecurityGroupId: pulumi.Output<string>;
    /**
     * Admits a client security group on the database port: declares one ingress rule resource
     * on {@link securityGroupId} (the proxy's group when proxied), named after `name`, and
     * returns it, so that whatever must not run before the client can connect (a migration
     * invocation) can `dependsOn` it. Call it once per client: a second call with the same
     * `name` throws, except that without a proxy a rule already declared by
     * {@link allowAdminFrom} under that `name` is returned instead.
     */
    allowFrom(name: string, sourceSecurityGroupId: pulumi.Input<string>): pulumi.Resource;
    /**
     * Admits a client security group straight to the database (on {@link adminSecurityGroupId},
     * port 5432), bypassing the proxy; for clients of {@link adminHost}. Returns the ingress rule.
     *
     * - With a proxy: declares a second rule, on the database's own group, distinct from the
     *   one {@link allowFrom} declares on the proxy's group.
     * - Without a proxy the two groups are one, and AWS rejects a second identical rule
     *   (`InvalidPermission.Duplicate`): if {@link allowFrom} was already called with the same
     *   `name`, its rule is returned and nothing is declared; otherwise the rule is declared
     *   exactly as {@link allowFrom} would (same resource name), and a later {@link allowFrom}
     *   with the same `name` returns it.
     *
     * The same `name` must therefore mean the same client (the same source group) in both
     * calls; when both sources are plain strings and differ, the second call throws (outputs
     * cannot be compared before deployment). Call it once per client: a second call with the
     * same `name` throws.
     */
    allowAdminFrom(name: string, sourceSecurityGroupId: pulumi.Input<string>): pulumi.Resource;
}
