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
 */
export interface DatabaseConnection {
    /** The host the application connects to: the RDS Proxy endpoint when enabled, else the writer. */
    host: pulumi.Output<string>;
    port: pulumi.Output<number>;
    databaseName: string;
    /** Master user name (used by the migration function only). */
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
    /** The `rds-db:connect` resource ARN for a database user (proxy or database resource id). */
    iamConnectArn(username: string): pulumi.Output<string>;
    /** ARNs of the KMS keys a reader of the secrets needs `kms:Decrypt` on (empty: AWS-managed keys). */
    secretKmsKeyArns: pulumi.Output<string>[];
    /** The security group a client must reach on `port` (the proxy's when enabled, else the DB's). */
    securityGroupId: pulumi.Output<string>;
    /**
     * Admits a client security group on the database port: declares one ingress rule resource
     * on {@link securityGroupId}, named after `name`. Call it once per client.
     */
    allowFrom(name: string, sourceSecurityGroupId: pulumi.Input<string>): void;
}
