/**
 * A private S3 bucket as every bucket of this program starts: public access blocked on all four
 * counts, objects owned by the bucket owner (ACLs disabled), SSE-S3 by default. Declares, under
 * `parent`, the bucket and its three settings, all named `id`; the caller adds its policy,
 * versioning and lifecycle.
 *
 * SSE-S3 rather than SSE-KMS for both users: ELB writes access logs with SSE-S3 only ("Access
 * logs for your Application Load Balancer"), and instances read the ec2 artifact through the S3
 * gateway endpoint with no KMS endpoint or key grant needed.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateBucket {
    bucket: aws.s3.Bucket;
    publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    encryption: aws.s3.BucketServerSideEncryptionConfiguration;
}

export function privateBucket(parent: pulumi.Resource, id: string, o: { forceDestroy: boolean }): PrivateBucket {
    const opts = { parent };
    const bucket = new aws.s3.Bucket(id, { forceDestroy: o.forceDestroy }, opts);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        id,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        opts,
    );
    new aws.s3.BucketOwnershipControls(
        id,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        opts,
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        id,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        opts,
    );
    return { bucket, publicAccessBlock, encryption };
}
