/**
 * On-demand prices in US East (N. Virginia), us-east-1. Pure data; see `types.ts` for what
 * each field means and `lib/cost.ts` for how each is used.
 */
import { Confirmation, Price, PriceTable } from "./types";

const DATE = "2026-12-03";
const p = (usd: number, per: string, source: string, confirmed: Confirmation, note?: string): Price => ({
    usd,
    per,
    source,
    date: DATE,
    confirmed,
    ...(note ? { note } : {}),
});
const VPC = "https://aws.amazon.com/vpc/pricing/";
const PRIVATELINK = "https://aws.amazon.com/privatelink/pricing/";
const RDS_PG = "https://aws.amazon.com/rds/postgresql/pricing/";
const AURORA = "https://aws.amazon.com/rds/aurora/pricing/";
const PROXY = "https://aws.amazon.com/rds/proxy/pricing/";
const FARGATE = "https://aws.amazon.com/fargate/pricing/";
const EC2 = "https://aws.amazon.com/ec2/pricing/on-demand/";
const EBS = "https://aws.amazon.com/ebs/pricing/";
const KMS = "https://aws.amazon.com/kms/pricing/";
const SECRETS = "https://aws.amazon.com/secrets-manager/pricing/";
const CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/";
const WAF = "https://aws.amazon.com/waf/pricing/";
const LAMBDA = "https://aws.amazon.com/lambda/pricing/";
const APIGW = "https://aws.amazon.com/api-gateway/pricing/";
const ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/";
const SNS = "https://aws.amazon.com/sns/pricing/";
const S3 = "https://aws.amazon.com/s3/pricing/";
const ECR = "https://aws.amazon.com/ecr/pricing/";

const UNCONFIRMED = "not shown for this region in any stored page; the author's reading of the AWS list price";

export const US_EAST_1: PriceTable = {
    region: "us-east-1",
    currency: "USD",
    priceDate: DATE,
    hoursPerMonth: 730,
    prices: {
        "nat.hour": p(0.045, "hour", VPC, "third-party", "cloudburn.io/blog/aws-nat-gateway-pricing (2026-02-24)"),
        "nat.gb": p(0.045, "GB", VPC, "third-party", "cloudburn.io/blog/aws-nat-gateway-pricing (2026-02-24)"),
        "ipv4.hour": p(
            0.005,
            "hour",
            VPC,
            "third-party",
            "same in every region since 2024-02-01 (doit.com, besthub.dev quoting the AWS announcement)",
        ),
        "endpoint.azHour": p(0.01, "AZ-hour", PRIVATELINK, "third-party", "c3x.dev/resources/aws/aws_vpc_endpoint"),
        "endpoint.gb": p(0.01, "GB", PRIVATELINK, "third-party", "copy of the PrivateLink pricing page: first 1 PB"),
        "alb.hour": p(0.0225, "hour", ELB, "unconfirmed", UNCONFIRMED),
        "alb.lcuHour": p(0.008, "LCU-hour", ELB, "unconfirmed", UNCONFIRMED),
        "nlb.hour": p(0.0225, "hour", ELB, "unconfirmed", UNCONFIRMED),
        "nlb.lcuHour": p(0.006, "NLCU-hour", ELB, "unconfirmed", UNCONFIRMED),
        "rds.postgres.db.t4g.micro": p(0.016, "hour", RDS_PG, "third-party", "infratally.com RDS pricing 2026"),
        "rds.postgres.db.t4g.small": p(0.032, "hour", RDS_PG, "third-party", "infratally.com RDS pricing 2026"),
        "rds.postgres.db.t4g.medium": p(0.065, "hour", RDS_PG, "third-party", "infratally.com RDS pricing 2026"),
        "rds.postgres.db.t4g.large": p(0.129, "hour", RDS_PG, "unconfirmed", UNCONFIRMED),
        "rds.postgres.db.m7g.large": p(0.168, "hour", RDS_PG, "unconfirmed", UNCONFIRMED),
        "rds.postgres.db.m7g.xlarge": p(0.336, "hour", RDS_PG, "unconfirmed", UNCONFIRMED),
        "rds.postgres.db.r7g.large": p(0.239, "hour", RDS_PG, "unconfirmed", UNCONFIRMED),
        "rds.storage.gp3": p(0.115, "GB-month", RDS_PG, "third-party", "usage.ai RDS pricing (June 2026)"),
        "rds.storage.gp2": p(0.115, "GB-month", RDS_PG, "unconfirmed", UNCONFIRMED),
        "rds.backup.gbMonth": p(
            0.095,
            "GB-month",
            RDS_PG,
            "third-party",
            "usage.ai RDS pricing (June 2026); free up to the provisioned storage",
        ),
        "aurora.db.t4g.medium": p(0.073, "hour", AURORA, "unconfirmed", UNCONFIRMED),
        "aurora.db.t4g.large": p(0.146, "hour", AURORA, "unconfirmed", UNCONFIRMED),
        "aurora.db.r6g.large": p(0.26, "hour", AURORA, "unconfirmed", UNCONFIRMED),
        "aurora.db.r7g.large": p(0.276, "hour", AURORA, "unconfirmed", UNCONFIRMED),
        "aurora.acuHour": p(0.12, "ACU-hour", AURORA, "third-party", "c3x.dev, awsnegotiations.com (May 2026)"),
        "aurora.storage.gbMonth": p(0.1, "GB-month", AURORA, "third-party", "awsnegotiations.com (May 2026)"),
        "aurora.io.million": p(0.2, "1M requests", AURORA, "unconfirmed", UNCONFIRMED),
        "proxy.vcpuHour": p(0.015, "vCPU-hour", PROXY, "unconfirmed", UNCONFIRMED),
        "proxy.acuHour": p(0.015, "ACU-hour", PROXY, "unconfirmed", UNCONFIRMED),
        "fargate.x86.vcpuHour": p(0.04048, "vCPU-hour", FARGATE, "third-party", "vantage.sh, wring.co (2026)"),
        "fargate.x86.gbHour": p(0.004445, "GB-hour", FARGATE, "third-party", "vantage.sh, wring.co (2026)"),
        "fargate.arm.vcpuHour": p(0.03238, "vCPU-hour", FARGATE, "third-party", "vantage.sh"),
        "fargate.arm.gbHour": p(0.00356, "GB-hour", FARGATE, "third-party", "vantage.sh"),
        "fargate.spot.vcpuHour": p(
            0.012144,
            "vCPU-hour",
            FARGATE,
            "unconfirmed",
            "Spot prices change with capacity: 70% off the on-demand x86 rate, the discount AWS advertises; not a quoted price",
        ),
        "fargate.spot.gbHour": p(
            0.0013335,
            "GB-hour",
            FARGATE,
            "unconfirmed",
            "Spot prices change with capacity: 70% off the on-demand x86 rate, the discount AWS advertises; not a quoted price",
        ),
        "ec2.t4g.nano": p(0.0042, "hour", EC2, "unconfirmed", UNCONFIRMED),
        "ec2.t4g.micro": p(0.0084, "hour", EC2, "unconfirmed", UNCONFIRMED),
        "ec2.t4g.small": p(0.0168, "hour", EC2, "unconfirmed", UNCONFIRMED),
        "ec2.t3.micro": p(0.0104, "hour", EC2, "unconfirmed", UNCONFIRMED),
        "ebs.gp3": p(0.08, "GB-month", EBS, "unconfirmed", UNCONFIRMED),
        "ebs.gp2": p(0.1, "GB-month", EBS, "unconfirmed", UNCONFIRMED),
        "kms.key": p(1, "month", KMS, "aws-page", "aws.amazon.com/kms/pricing: $1/month per key, all regions"),
        "kms.requests": p(
            0.03,
            "10K requests",
            KMS,
            "third-party",
            "factualminds.com, wring.co; 20,000 free requests a month",
        ),
        "secrets.secret": p(0.4, "month", SECRETS, "third-party", "hivebook.wiki (AWS Secrets Manager overview)"),
        "secrets.api": p(0.05, "10K requests", SECRETS, "third-party", "hivebook.wiki (AWS Secrets Manager overview)"),
        "cloudwatch.alarm": p(0.1, "alarm-metric-month", CLOUDWATCH, "unconfirmed", UNCONFIRMED),
        "cloudwatch.alarmHighRes": p(0.3, "alarm-metric-month", CLOUDWATCH, "unconfirmed", UNCONFIRMED),
        "logs.ingestGb": p(0.5, "GB", CLOUDWATCH, "unconfirmed", UNCONFIRMED),
        "logs.storeGbMonth": p(0.03, "GB-month", CLOUDWATCH, "unconfirmed", UNCONFIRMED),
        "waf.webAcl": p(
            5,
            "month",
            WAF,
            "third-party",
            "c3x.dev, awsnegotiations.com; the AWS networking blog says WAF pricing is the same in every region",
        ),
        "waf.rule": p(1, "month", WAF, "third-party", "c3x.dev, awsnegotiations.com"),
        "waf.requests": p(0.6, "1M requests", WAF, "third-party", "c3x.dev, awsnegotiations.com"),
        "lambda.requests": p(0.2, "1M requests", LAMBDA, "unconfirmed", UNCONFIRMED),
        "lambda.arm.gbSecond": p(0.0000133334, "GB-second", LAMBDA, "unconfirmed", UNCONFIRMED),
        "lambda.x86.gbSecond": p(0.0000166667, "GB-second", LAMBDA, "unconfirmed", UNCONFIRMED),
        "apigw.http.million": p(1, "1M requests", APIGW, "unconfirmed", UNCONFIRMED),
        "s3.storage.gbMonth": p(0.023, "GB-month", S3, "unconfirmed", UNCONFIRMED),
        "ecr.storage.gbMonth": p(0.1, "GB-month", ECR, "unconfirmed", UNCONFIRMED),
        "sns.requests": p(0.5, "1M requests", SNS, "unconfirmed", UNCONFIRMED),
    },
    dbClassVcpus: {
        "db.t4g.micro": 2,
        "db.t4g.small": 2,
        "db.t4g.medium": 2,
        "db.t4g.large": 2,
        "db.m7g.large": 2,
        "db.m7g.xlarge": 4,
        "db.r6g.large": 2,
        "db.r7g.large": 2,
    },
};
