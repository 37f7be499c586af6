/**
 * What every price table shares: where each price was read (AWS's public pricing page of the
 * service) and how a price entry is written. Pure data.
 */
import { Confirmation, Price } from "./types";

export const SOURCES = {
    VPC: "https://aws.amazon.com/vpc/pricing/",
    PRIVATELINK: "https://aws.amazon.com/privatelink/pricing/",
    RDS_PG: "https://aws.amazon.com/rds/postgresql/pricing/",
    AURORA: "https://aws.amazon.com/rds/aurora/pricing/",
    PROXY: "https://aws.amazon.com/rds/proxy/pricing/",
    FARGATE: "https://aws.amazon.com/fargate/pricing/",
    EC2: "https://aws.amazon.com/ec2/pricing/on-demand/",
    EBS: "https://aws.amazon.com/ebs/pricing/",
    KMS: "https://aws.amazon.com/kms/pricing/",
    SECRETS: "https://aws.amazon.com/secrets-manager/pricing/",
    CLOUDWATCH: "https://aws.amazon.com/cloudwatch/pricing/",
    WAF: "https://aws.amazon.com/waf/pricing/",
    LAMBDA: "https://aws.amazon.com/lambda/pricing/",
    APIGW: "https://aws.amazon.com/api-gateway/pricing/",
    ELB: "https://aws.amazon.com/elasticloadbalancing/pricing/",
    SNS: "https://aws.amazon.com/sns/pricing/",
    S3: "https://aws.amazon.com/s3/pricing/",
    ECR: "https://aws.amazon.com/ecr/pricing/",
    BACKUP: "https://aws.amazon.com/backup/pricing/",
} as const;

/** A price entry factory for a table read on `date`. */
export function priceOn(date: string) {
    return (usd: number, per: string, source: string, confirmed: Confirmation, note?: string): Price => ({
        usd,
        per,
        source,
        date,
        confirmed,
        ...(note ? { note } : {}),
    });
}
