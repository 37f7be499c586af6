/**
 * Pulumi type tokens of @pulumi/aws v7 that the pack inspects, and the labels used in messages.
 *
 * Policies match on these strings rather than on `@pulumi/aws` classes so that loading the pack
 * (and the offline plan) does not load the AWS SDK. `test/policy/types.test.ts` checks every
 * token against the installed `@pulumi/aws`.
 */
export const T = {
    rdsInstance: "aws:rds/instance:Instance",
    rdsClusterInstance: "aws:rds/clusterInstance:ClusterInstance",
    rdsCluster: "aws:rds/cluster:Cluster",
    rdsSubnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    defaultRouteTable: "aws:ec2/defaultRouteTable:DefaultRouteTable",
    route: "aws:ec2/route:Route",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    mainRouteTableAssociation: "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
    internetGateway: "aws:ec2/internetGateway:InternetGateway",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    lambdaFunction: "aws:lambda/function:Function",
    ecsService: "aws:ecs/service:Service",
    ecsTaskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    ec2Instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    lbListener: "aws:lb/listener:Listener",
    albListener: "aws:alb/listener:Listener",
    lbListenerCertificate: "aws:lb/listenerCertificate:ListenerCertificate",
    albListenerCertificate: "aws:alb/listenerCertificate:ListenerCertificate",
    acmCertificate: "aws:acm/certificate:Certificate",
} as const;

export type AwsType = (typeof T)[keyof typeof T];

/** Human names used at the start of violation messages ("RDS Instance must ..."). */
const LABELS: Readonly<Record<string, string>> = {
    [T.rdsInstance]: "RDS Instance",
    [T.rdsClusterInstance]: "RDS Cluster Instance",
    [T.rdsCluster]: "RDS Cluster",
    [T.rdsSubnetGroup]: "DB Subnet Group",
    [T.securityGroup]: "Security Group",
    [T.defaultSecurityGroup]: "Default Security Group",
    [T.securityGroupRule]: "Security Group Rule",
    [T.securityGroupIngressRule]: "Security Group Ingress Rule",
    [T.lambdaFunction]: "Lambda Function",
    [T.ecsService]: "ECS Service",
    [T.ecsTaskDefinition]: "ECS Task Definition",
    [T.ec2Instance]: "EC2 Instance",
    [T.launchTemplate]: "Launch Template",
    [T.lbListener]: "Load Balancer Listener",
    [T.albListener]: "Load Balancer Listener",
};

/** The label for a type token, falling back to the token itself. */
export function labelOf(type: string): string {
    return LABELS[type] ?? type;
}
