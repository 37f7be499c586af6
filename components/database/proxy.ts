/**
 * RDS Proxy in front of the database, in the private subnets, TLS required, with its own
 * security group (admitted to the database's), a least-privilege role, and end-to-end IAM
 * authentication when `iamAuth` is on: clients present IAM tokens and the proxy logs in to the
 * database with its own token as the application user, so that user needs no password. The
 * master secret stays registered (`iamAuth: REQUIRED`): through the proxy the master user too
 * can log in only with an IAM token, never with its password (migrations bypass the proxy).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MAX_PROXY_NAME_LENGTH, DB_PORT, physicalIdentifier, rdsDbConnectArn } from "../../lib/database-plan";
import { assumeRolePolicy } from "../../lib/iam";
import { DatabaseContext, dbEgressRule, dbIngressRule } from "./context";

export interface ProxyArgs {
    /** The database's own security group, which admits the proxy. */
    dbSecurityGroupId: pulumi.Output<string>;
    /** The RDS instance's or Aurora cluster's resource id (for `rds-db:connect`). */
    resourceId: pulumi.Output<string>;
    masterSecretArn: pulumi.Output<string>;
    appUserSecretArn?: pulumi.Output<string>;
    /** What the proxy targets: the instance, or the cluster once its instances exist. */
    target: { dbInstanceIdentifier: pulumi.Output<string> } | { dbClusterIdentifier: pulumi.Output<string> };
    clusterInstances: aws.rds.ClusterInstance[];
}

export interface DatabaseProxy {
    proxy: aws.rds.Proxy;
    securityGroup: aws.ec2.SecurityGroup;
    /** The proxy's physical name (alarm dimension). */
    proxyName: string;
}

/**
 * Declares, under the database component: the group `<name>-proxy-sg` and its egress
 * `<name>-proxy-to-db`, the database's rule `<name>-db-from-proxy`, the role and policy
 * `<name>-proxy`, the proxy, its default target group and its target `<name>-proxy`.
 */
export function createProxy(ctx: DatabaseContext, a: ProxyArgs): DatabaseProxy {
    const { parent, name, identifier, plan, tags } = ctx;
    const opts = { parent };
    const proxyName = physicalIdentifier(
        pulumi.getProject(),
        pulumi.getStack(),
        `${name}-proxy`,
        MAX_PROXY_NAME_LENGTH,
    );
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-proxy-sg`,
        {
            vpcId: ctx.vpcId,
            description: `RDS Proxy of ${identifier}: port ${DB_PORT} from admitted security groups; egress to the database only`,
            tags: { Name: `${identifier}-proxy` },
        },
        opts,
    );
    dbEgressRule(parent, `${name}-proxy-to-db`, securityGroup.id, a.dbSecurityGroupId);
    dbIngressRule(
        parent,
        `${name}-db-from-proxy`,
        a.dbSecurityGroupId,
        securityGroup.id,
        "PostgreSQL from the RDS Proxy",
    );

    const role = new aws.iam.Role(
        `${name}-proxy`,
        {
            description: `RDS Proxy of ${identifier}: reads the database secrets`,
            assumeRolePolicy: ctx.account.apply((acct) =>
                JSON.stringify(assumeRolePolicy("rds.amazonaws.com", { StringEquals: { "aws:SourceAccount": acct } })),
            ),
        },
        opts,
    );
    const appUserConnectArn = plan.iamAuth
        ? pulumi
              .all([ctx.partition, ctx.region, ctx.account, a.resourceId])
              .apply(([p, r, acct, id]) => rdsDbConnectArn(p, r, acct, id, plan.appUsername))
        : undefined;
    const secretArns = [a.masterSecretArn, ...(a.appUserSecretArn ? [a.appUserSecretArn] : [])];
    const policy = new aws.iam.RolePolicy(
        `${name}-proxy`,
        {
            role: role.id,
            policy: pulumi
                .all([pulumi.all(secretArns), ctx.kmsKeyArn, ctx.region, appUserConnectArn])
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
                                              StringEquals: { "kms:ViaService": `secretsmanager.${r}.amazonaws.com` },
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
        opts,
    );

    const auths: aws.types.input.rds.ProxyAuth[] = [
        {
            description: `master user ${plan.masterUsername}`,
            authScheme: "SECRETS",
            secretArn: a.masterSecretArn,
            iamAuth: plan.iamAuth ? "REQUIRED" : "DISABLED",
            clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
        },
    ];
    if (a.appUserSecretArn) {
        auths.push({
            description: `application user ${plan.appUsername}`,
            authScheme: "SECRETS",
            secretArn: a.appUserSecretArn,
            iamAuth: "DISABLED",
            clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
        });
    }
    const proxy = new aws.rds.Proxy(
        `${name}-proxy`,
        {
            name: proxyName,
            engineFamily: "POSTGRESQL",
            requireTls: true,
            debugLogging: false,
            roleArn: role.arn,
            vpcSubnetIds: ctx.privateSubnetIds,
            vpcSecurityGroupIds: [securityGroup.id],
            // With IAM auth, clients present IAM tokens and the proxy reaches the database
            // with IAM too (end-to-end), so the application user needs no password.
            defaultAuthScheme: plan.iamAuth ? "IAM_AUTH" : "NONE",
            auths,
            tags,
        },
        { parent, dependsOn: [policy] },
    );
    const targetGroup = new aws.rds.ProxyDefaultTargetGroup(
        `${name}-proxy`,
        {
            dbProxyName: proxy.name,
            connectionPoolConfig: { maxConnectionsPercent: plan.proxyMaxConnectionsPercent },
        },
        opts,
    );
    new aws.rds.ProxyTarget(
        `${name}-proxy`,
        { dbProxyName: proxy.name, targetGroupName: targetGroup.name, ...a.target },
        { parent, dependsOn: a.clusterInstances },
    );
    return { proxy, securityGroup, proxyName };
}
