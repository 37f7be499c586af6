/**
 * The application user's password, for password authentication only (with IAM auth there is
 * none): generated, kept in a Secrets Manager secret (JSON `{username, password}`), and set on
 * the role by the migrations. The program never reads it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DatabaseContext } from "./context";

/** Declares `<name>-app-password`, the secret `<name>-app-user` and its version; returns the secret's ARN. */
export function createAppUserSecret(ctx: DatabaseContext): pulumi.Output<string> {
    const { parent, name, plan, identifier } = ctx;
    const password = new random.RandomPassword(
        `${name}-app-password`,
        {
            length: 32,
            // URL-unreserved symbols only: safe in a DSN, a shell and JSON.
            special: true,
            overrideSpecial: "-_.~",
            minLower: 1,
            minUpper: 1,
            minNumeric: 1,
        },
        { parent },
    );
    const secret = new aws.secretsmanager.Secret(
        `${name}-app-user`,
        {
            description: `Password of the ${plan.appUsername} role of ${identifier} (set on the role by the migrations)`,
            kmsKeyId: ctx.kmsKeyArn,
            recoveryWindowInDays: ctx.safety.secretRecoveryWindowDays,
            tags: ctx.tags,
        },
        { parent },
    );
    new aws.secretsmanager.SecretVersion(
        `${name}-app-user`,
        {
            secretId: secret.id,
            secretString: pulumi.secret(
                pulumi
                    .all([password.result])
                    .apply(([pw]) => JSON.stringify({ username: plan.appUsername, password: pw })),
            ),
        },
        { parent },
    );
    return secret.arn;
}
