/**
 * Pure planning for the compute layer: which mode runs the app, its public entry, and the
 * settings block of that mode. A discriminated union on `mode`: each mode has its own block
 * (`compute.lambda` for `lambda`, `compute.ecs` for `ecs`, `compute.ec2` for `ec2`), and a
 * block for another mode is a problem naming it.
 *
 * No Pulumi resource declarations.
 */
import { redactAlbOptions } from "./auth-plan";
import { type Ec2Options, planEc2 } from "./ec2-plan";
import { AlbOptions, albHasCertificate, EcsOptions, planAlb, planEcs } from "./ecs-plan";
import { HttpApiOptions, LambdaOptions, planHttpApi, planLambda } from "./lambda-plan";
import { nested, Problem, problem } from "./problems";

export const COMPUTE_MODES = ["lambda", "ecs", "ec2"] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number];

export const INGRESS_KINDS = ["alb", "apiGateway"] as const;
export type Ingress = (typeof INGRESS_KINDS)[number];

/** The `compute` config object as its shape allows. */
export interface ComputeOptions {
    mode: ComputeMode;
    ingress?: string;
    lambda?: LambdaOptions;
    ecs?: EcsOptions;
    ec2?: Ec2Options;
    alb?: AlbOptions;
    api?: HttpApiOptions;
}

/** The compute settings, one variant per mode. */
export type ComputeSettings =
    | {
          mode: "lambda";
          /** The lambda mode's public entry is always an HTTP API. */
          ingress: "apiGateway";
          lambda: LambdaOptions;
          api: HttpApiOptions;
      }
    | {
          mode: "ecs";
          ingress: Ingress;
          ecs: EcsOptions;
          /** The public ALB (ingress `alb`); `{}` with `apiGateway`. */
          alb: AlbOptions;
          /** The HTTP API (ingress `apiGateway`); `{}` with `alb`. */
          api: HttpApiOptions;
      }
    | {
          mode: "ec2";
          ingress: Ingress;
          ec2: Ec2Options;
          /** The public ALB (ingress `alb`); `{}` with `apiGateway`. */
          alb: AlbOptions;
          /** The HTTP API (ingress `apiGateway`); `{}` with `alb`. */
          api: HttpApiOptions;
      };

/** The public entry of a container mode when `compute.ingress` is unset. */
export const DEFAULT_CONTAINER_INGRESS: Ingress = "alb";

/** The settings block of each mode; a block of another mode is a mistake. */
const MODE_BLOCKS: Readonly<Record<ComputeMode, readonly (keyof ComputeOptions)[]>> = {
    lambda: ["lambda"],
    ecs: ["ecs"],
    ec2: ["ec2"],
};

/** Validates the compute options and picks the mode's variant. */
export function planCompute(
    o: ComputeOptions,
    context: {
        pausableDatabase: boolean;
        region?: string;
        /** Whether the stack keeps the `compute` object secure (so `alb.oidc.clientSecret` is not plain text). */
        clientSecretIsSecure?: boolean;
    },
): { plan?: ComputeSettings; problems: Problem[] } {
    const problems: Problem[] = [];
    for (const [mode, blocks] of Object.entries(MODE_BLOCKS)) {
        for (const block of blocks) {
            if (mode !== o.mode && o[block] !== undefined) {
                problems.push(
                    problem(
                        block,
                        block === "alb" ? redactAlbOptions(o[block]) : o[block],
                        `applies only to compute.mode ${mode} (mode is ${o.mode})`,
                        `remove compute.${block}`,
                    ),
                );
            }
        }
    }
    if (o.ingress !== undefined && !(INGRESS_KINDS as readonly string[]).includes(o.ingress)) {
        problems.push(
            problem(
                "ingress",
                o.ingress,
                `expected one of: ${INGRESS_KINDS.join(", ")}`,
                "set compute.ingress to one of them",
            ),
        );
    }
    switch (o.mode) {
        case "lambda": {
            if (o.ingress === "alb") {
                problems.push(
                    problem(
                        "ingress",
                        o.ingress,
                        "the lambda mode always uses an API Gateway HTTP API",
                        "remove compute.ingress or set it to apiGateway",
                    ),
                );
            }
            if (o.alb !== undefined)
                problems.push(
                    problem(
                        "alb",
                        redactAlbOptions(o.alb),
                        "applies only to compute.ingress alb of a container mode",
                        "remove compute.alb",
                    ),
                );
            const lambda = o.lambda ?? {};
            const api = o.api ?? {};
            problems.push(...nested("lambda", planLambda(lambda, context)), ...nested("api", planHttpApi(api)));
            if (problems.length > 0) return { problems };
            return { problems, plan: { mode: "lambda", ingress: "apiGateway", lambda, api } };
        }
        case "ecs":
        case "ec2": {
            const ingress = (o.ingress ?? DEFAULT_CONTAINER_INGRESS) as Ingress;
            const alb = o.alb ?? {};
            const api = o.api ?? {};
            const ecs = o.ecs ?? {};
            const ec2 = o.ec2 ?? {};
            problems.push(
                ...containerEntryProblems(o, ingress, alb),
                ...(o.mode === "ecs" ? nested("ecs", planEcs(ecs)) : nested("ec2", planEc2(ec2))),
                ...nested("alb", planAlb(alb, context)),
                ...nested("api", planHttpApi(api)),
            );
            if (problems.length > 0) return { problems };
            if (o.mode === "ecs") return { problems, plan: { mode: "ecs", ingress, ecs, alb, api } };
            return { problems, plan: { mode: "ec2", ingress, ec2, alb, api } };
        }
    }
}

/** The public entry of a container mode (`ecs`, `ec2`): `compute.ingress`, `compute.alb`, `compute.api`. */
function containerEntryProblems(o: ComputeOptions, ingress: Ingress, alb: AlbOptions): Problem[] {
    const problems: Problem[] = [];
    if (o.alb !== undefined && ingress !== "alb")
        problems.push(
            problem(
                "alb",
                redactAlbOptions(o.alb),
                `applies only to compute.ingress alb (ingress is ${ingress})`,
                "remove compute.alb",
            ),
        );
    if (o.api !== undefined && ingress !== "apiGateway")
        problems.push(
            problem(
                "api",
                o.api,
                `applies only to compute.ingress apiGateway (ingress is ${ingress})`,
                "remove compute.api",
            ),
        );
    if (ingress === "alb" && !albHasCertificate(alb) && alb.domainName === undefined && alb.hostedZoneId === undefined)
        problems.push(
            problem(
                "alb",
                redactAlbOptions(o.alb),
                "the public ALB serves HTTPS only and needs a certificate: compute.alb.certificateArn, or compute.alb.domainName with compute.alb.hostedZoneId",
                "set one of them, or set compute.ingress to apiGateway (an HTTP API on AWS's own HTTPS endpoint, no certificate needed)",
            ),
        );
    return problems;
}
