/**
 * The security group of something that connects to the database (a function, a service, a
 * migration runner), shared by every compute mode: no ingress, egress only to the database's
 * port and to HTTPS, and the database's ingress rule that admits it.
 *
 * Two paths (see `DatabaseConnection`): the app's `client` path (through the RDS Proxy when
 * there is one) and the `admin` path (straight to the database, for the master user's
 * password login: migrations). Each group takes exactly one, so that with a proxy the app's
 * group can reach the proxy only, never the database itself.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConnection } from "../contracts";

export type DatabasePath = "client" | "admin";

export interface ClientSecurityGroupArgs {
    vpcId: pulumi.Input<string>;
    /** Without NAT, HTTPS egress is limited to this range (the interface endpoints). */
    vpcCidr: pulumi.Input<string>;
    /** True when the private subnets reach the internet through NAT. */
    privateEgress: boolean;
    database: DatabaseConnection;
    path: DatabasePath;
    /** What runs in the group, for its description. */
    description: string;
}

export interface ClientSecurityGroup {
    securityGroup: aws.ec2.SecurityGroup;
    id: pulumi.Output<string>;
    /**
     * The egress rules and the database's ingress rule: what a first connection must wait for
     * (a migration invoked before them times out connecting).
     */
    rules: pulumi.Resource[];
}

/**
 * Declares the group `name`, its egress rules `<name>-to-db` and `<name>-https`, and the
 * database's rule admitting it (client name `name`).
 */
export function clientSecurityGroup(
    parent: pulumi.Resource,
    name: string,
    a: ClientSecurityGroupArgs,
): ClientSecurityGroup {
    const opts = { parent };
    const db = a.database;
    const securityGroup = new aws.ec2.SecurityGroup(
        name,
        {
            vpcId: a.vpcId,
            description: `${a.description}: no ingress; egress to the database and HTTPS only`,
            // No inline rules: the rules below are separate resources (the provider removes the
            // default allow-all egress rule of a new group).
            tags: { Name: name },
        },
        opts,
    );
    const id = securityGroup.id;
    const toDb = new aws.vpc.SecurityGroupEgressRule(
        `${name}-to-db`,
        {
            securityGroupId: id,
            description:
                a.path === "client"
                    ? "PostgreSQL to the database (or its proxy)"
                    : "PostgreSQL to the database itself, bypassing any proxy",
            ipProtocol: "tcp",
            fromPort: db.port,
            toPort: db.port,
            referencedSecurityGroupId: a.path === "client" ? db.securityGroupId : db.adminSecurityGroupId,
        },
        opts,
    );
    const https = new aws.vpc.SecurityGroupEgressRule(
        `${name}-https`,
        {
            securityGroupId: id,
            description: a.privateEgress
                ? "HTTPS to AWS APIs (Secrets Manager, STS) through NAT"
                : "HTTPS to the VPC interface endpoints (no NAT)",
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrIpv4: a.privateEgress ? "0.0.0.0/0" : a.vpcCidr,
        },
        opts,
    );
    const admission = a.path === "client" ? db.allowFrom(name, id) : db.allowAdminFrom(name, id);
    return { securityGroup, id, rules: [toDb, https, admission] };
}

export interface EntryClientGroupArgs extends Omit<ClientSecurityGroupArgs, "path"> {
    /** The group the public entry's load balancer is in: the only source admitted. */
    loadBalancerSecurityGroupId: pulumi.Input<string>;
    /** The port the app listens on. */
    port: number;
    /** What comes from S3 through the gateway endpoint without NAT, for the rule's description. */
    fromS3: string;
}

/**
 * The app's group behind the public entry (the container modes' tasks and instances): a
 * {@link clientSecurityGroup} on the `client` path, plus `<name>-from-lb` admitting the load
 * balancer's group on the app's port and nothing else (no port 22, no CIDR), and, without NAT,
 * `<name>-s3`: HTTPS to the S3 gateway endpoint, whose addresses are the region's S3 prefix
 * list (the interface endpoints' range does not cover them).
 */
export function entryClientGroup(
    parent: pulumi.Resource,
    name: string,
    a: EntryClientGroupArgs,
): { id: pulumi.Output<string>; rules: pulumi.Resource[] } {
    const opts = { parent };
    const group = clientSecurityGroup(parent, name, { ...a, path: "client" });
    const rules: pulumi.Resource[] = [...group.rules];
    rules.push(
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-from-lb`,
            {
                securityGroupId: group.id,
                description: "The app's port from the load balancer only",
                ipProtocol: "tcp",
                fromPort: a.port,
                toPort: a.port,
                referencedSecurityGroupId: a.loadBalancerSecurityGroupId,
            },
            opts,
        ),
    );
    if (!a.privateEgress) {
        const region = aws.getRegionOutput({}, opts).region;
        const s3 = aws.ec2.getPrefixListOutput({ name: pulumi.interpolate`com.amazonaws.${region}.s3` }, opts);
        rules.push(
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-s3`,
                {
                    securityGroupId: group.id,
                    description: `HTTPS to S3 through the gateway endpoint (${a.fromS3})`,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    prefixListId: s3.id,
                },
                opts,
            ),
        );
    }
    return { id: group.id, rules };
}
