/**
 * An existing VPC, given by the ids of its subnets per tier: the same {@link NetworkOutputs}
 * a new `Network` hands out, and no resource at all (the VPC belongs to someone else).
 *
 * A factory, not a mode of `Network`: there is nothing to own, so there is no component.
 * The ids are checked by `planExistingVpc` (lib/network-plan.ts) before anything is used.
 *
 * Invokes: `aws:ec2/getVpc:getVpc` when `cidr` is not given (needs AWS credentials at preview).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ExistingVpcOptions, planExistingVpc } from "../lib/network-plan";
import { orThrow } from "../lib/problems";
import { NetworkOutputs } from "./contracts";

export function existingNetwork(
    name: string,
    options: ExistingVpcOptions,
    opts: pulumi.InvokeOptions = {},
): NetworkOutputs {
    const vpc = orThrow("existingNetwork", name, planExistingVpc(options));
    return {
        vpcId: pulumi.output(vpc.vpcId),
        vpcCidr:
            vpc.cidr !== undefined ? pulumi.output(vpc.cidr) : aws.ec2.getVpcOutput({ id: vpc.vpcId }, opts).cidrBlock,
        publicSubnetIds: pulumi.output(vpc.publicSubnetIds),
        privateSubnetIds: pulumi.output(vpc.privateSubnetIds),
        isolatedSubnetIds: pulumi.output(vpc.isolatedSubnetIds),
        privateEgress: vpc.privateEgress,
    };
}
