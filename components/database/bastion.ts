/**
 * An SSM-managed bastion for port forwarding to the database: a tiny instance in the first
 * private subnet, no inbound rule, no key pair, no public address, IMDSv2 only, an encrypted
 * root volume, reachable only through Session Manager. Its AMI is the latest Amazon Linux 2023
 * from the public SSM parameter: a new AMI release replaces the (stateless) bastion on the next
 * `up`, which keeps it patched. It needs HTTPS to Systems Manager: NAT, or the `ssm`,
 * `ssmmessages` and `ec2messages` interface endpoints (the stack config checks this).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bastionAmiParameter, portForwardCommand } from "../../lib/database-plan";
import { assumeRolePolicy } from "../../lib/iam";
import { DatabaseContext, dbEgressRule, dbIngressRule } from "./context";

export interface Bastion {
    instance: aws.ec2.Instance;
    /** `aws ssm start-session ...` forwarding localhost:15432 to the database. */
    portForwardCommand: pulumi.Output<string>;
}

/**
 * Declares, under the database component: the group `<name>-bastion-sg` with egress
 * `<name>-bastion-https` and `<name>-bastion-to-db`, the database's rule `<name>-db-from-bastion`
 * (straight to the database, not through a proxy), the role, SSM policy attachment and instance
 * profile, and the instance `<name>-bastion`.
 *
 * Invokes `aws:ssm/getParameter:getParameter` for the AMI.
 */
export function createBastion(
    ctx: DatabaseContext,
    a: { dbSecurityGroupId: pulumi.Output<string>; dbEndpoint: pulumi.Output<string> },
): Bastion {
    const { parent, name, identifier, plan } = ctx;
    const opts = { parent };
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-bastion-sg`,
        {
            vpcId: ctx.vpcId,
            description: `SSM bastion of ${identifier}: no inbound; HTTPS to SSM and PostgreSQL to the database`,
            tags: { Name: `${identifier}-bastion` },
        },
        opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-bastion-https`,
        {
            securityGroupId: securityGroup.id,
            cidrIpv4: "0.0.0.0/0",
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: "HTTPS to Systems Manager (through NAT or interface endpoints)",
        },
        opts,
    );
    dbEgressRule(parent, `${name}-bastion-to-db`, securityGroup.id, a.dbSecurityGroupId);
    dbIngressRule(
        parent,
        `${name}-db-from-bastion`,
        a.dbSecurityGroupId,
        securityGroup.id,
        "PostgreSQL from the SSM bastion",
    );

    const role = new aws.iam.Role(
        `${name}-bastion`,
        {
            description: `SSM bastion of ${identifier}`,
            assumeRolePolicy: JSON.stringify(assumeRolePolicy("ec2.amazonaws.com")),
        },
        opts,
    );
    const ssmCore = new aws.iam.RolePolicyAttachment(
        `${name}-bastion-ssm`,
        {
            role: role.name,
            policyArn: pulumi.interpolate`arn:${ctx.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
        },
        opts,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-bastion`, { role: role.name }, opts);
    const ami = aws.ssm.getParameterOutput({ name: bastionAmiParameter(plan.bastionInstanceType) }, opts).value;
    const instance = new aws.ec2.Instance(
        `${name}-bastion`,
        {
            ami,
            instanceType: plan.bastionInstanceType,
            subnetId: pulumi.output(ctx.privateSubnetIds).apply((ids) => ids[0]),
            vpcSecurityGroupIds: [securityGroup.id],
            associatePublicIpAddress: false,
            iamInstanceProfile: profile.name,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { encrypted: true, volumeType: "gp3" },
            monitoring: false,
            tags: { Name: `${identifier}-bastion` },
        },
        { parent, dependsOn: [ssmCore] },
    );
    return {
        instance,
        portForwardCommand: pulumi.all([instance.id, a.dbEndpoint]).apply(([id, host]) => portForwardCommand(id, host)),
    };
}
