/**
 * What the parts of the `Database` component share: its name and physical identifier, the
 * resolved plan, what data safety decided, and where it runs. No resource is declared here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DB_PORT, DataSafety, ResolvedDatabasePlan } from "../../lib/database-plan";

export interface DatabaseContext {
    /** The `Database` component: every part's resources are its children (stable URNs). */
    parent: pulumi.Resource;
    /** The component's name; children are named `<name>-...`. */
    name: string;
    /** `<project>-<stack>-<name>`: the RDS identifier. */
    identifier: string;
    plan: ResolvedDatabasePlan;
    safety: DataSafety;
    tags: Record<string, string>;
    kmsKeyArn?: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    partition: pulumi.Output<string>;
    region: pulumi.Output<string>;
    account: pulumi.Output<string>;
}

/** A client group's egress `logicalName` to the database's group on 5432. */
export function dbEgressRule(
    parent: pulumi.Resource,
    logicalName: string,
    securityGroupId: pulumi.Input<string>,
    dbSecurityGroupId: pulumi.Input<string>,
): aws.vpc.SecurityGroupEgressRule {
    return new aws.vpc.SecurityGroupEgressRule(
        logicalName,
        {
            securityGroupId,
            referencedSecurityGroupId: dbSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: DB_PORT,
            toPort: DB_PORT,
            description: "PostgreSQL to the database",
        },
        { parent },
    );
}

/** One TCP 5432 ingress rule from a security group (never a CIDR). */
export function dbIngressRule(
    parent: pulumi.Resource,
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
        { parent },
    );
}
