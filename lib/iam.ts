/**
 * IAM policy documents shared by the components. Pure: plain JSON-ready objects.
 */

/** A trust policy letting one AWS service assume a role, optionally with conditions. */
export function assumeRolePolicy(
    service: string,
    condition?: Record<string, Record<string, unknown>>,
    sid?: string,
): {
    Version: "2012-10-17";
    Statement: {
        Sid?: string;
        Effect: "Allow";
        Principal: { Service: string };
        Action: "sts:AssumeRole";
        Condition?: Record<string, Record<string, unknown>>;
    }[];
} {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                ...(sid ? { Sid: sid } : {}),
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                ...(condition ? { Condition: condition } : {}),
            },
        ],
    };
}
