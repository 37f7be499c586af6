/**
 * The properties issue 12 asks of `.github/workflows/`, as checks over the workflow files
 * (their text, for pin comments and literals, and their parsed YAML). Each problem is one line
 * starting with the rule's name, so a test can show that a mutated copy breaks exactly it.
 *
 * Pure: the files are passed in; nothing is read here.
 */
import { parse } from "yaml";

export interface WorkflowFile {
    /** File name, e.g. `deploy.yml`. */
    name: string;
    text: string;
}

type Obj = Record<string, any>;

interface Step {
    file: string;
    jobId: string;
    job: Obj;
    index: number;
    step: Obj;
}

export const RULES = [
    "offline-plan-every-stack",
    "preview-every-stack-with-policy-pack",
    "preview-comment",
    "prod-behind-environment",
    "deploy-every-stack-with-policy-pack",
    "smoke-after-up",
    "drift-every-stack",
    "oidc-only",
    "no-long-lived-key",
    "id-token-only-where-needed",
    "least-permissions",
    "concurrency-per-stack",
    "pinned-actions",
    "no-expression-in-run",
    "no-secret-literal",
    "pulumi-cli-version",
    "container-image",
] as const;
export type Rule = (typeof RULES)[number];

export interface CheckOptions {
    /** Stack names with a Pulumi.<stack>.yaml at the root. */
    stacks: string[];
    /** The @pulumi/pulumi version of package.json, which the CLI should match. */
    pulumiVersion: string;
}

const PULUMI_ACTION = /^pulumi\/actions@/;
const AWS_CREDENTIALS = /^aws-actions\/configure-aws-credentials@/;
const PULUMI_AUTH = /^pulumi\/auth-actions@/;

function triggers(wf: Obj): string[] {
    const on = wf.on;
    if (typeof on === "string") return [on];
    if (Array.isArray(on)) return on;
    return Object.keys(on ?? {});
}

function steps(file: string, wf: Obj): Step[] {
    return Object.entries<Obj>(wf.jobs ?? {}).flatMap(([jobId, job]) =>
        ((job.steps ?? []) as Obj[]).map((step, index) => ({ file, jobId, job, index, step })),
    );
}

/** The values of `matrix.stack` a job runs with (`[undefined]` without a matrix). */
function matrixStacks(job: Obj): (string | undefined)[] {
    const m = job.strategy?.matrix;
    if (!m) return [undefined];
    const base: string[] = Array.isArray(m.stack) ? m.stack.map(String) : [];
    const included: string[] = Array.isArray(m.include)
        ? m.include.map((i: Obj) => i.stack).filter((s: unknown) => typeof s === "string")
        : [];
    const excluded = new Set(
        Array.isArray(m.exclude) ? m.exclude.map((e: Obj) => e.stack).filter((s: unknown) => s) : [],
    );
    return [...base.filter((s) => !excluded.has(s)), ...included];
}

/** A value with `matrix.stack` replaced by one stack, as the runner would for that matrix leg. */
function forStack(value: unknown, stack: string | undefined): string {
    const text = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
    if (stack === undefined) return text;
    return text
        .replace(/\$\{\{\s*matrix\.stack\s*\}\}/g, stack)
        .replace(/fromJSON\(vars\.AWS_ROLES\)\[matrix\.stack\]/g, `fromJSON(vars.AWS_ROLES).${stack}`)
        .replace(/matrix\.stack/g, `'${stack}'`);
}

/** The app stack a Pulumi step targets: its `stack-name` (or `--stack` argument), resolved. */
function targetStack(value: string, stacks: string[]): string | undefined {
    const trimmed = value.trim();
    if (stacks.includes(trimmed)) return trimmed;
    // `${{ ... format('{0}/{1}', vars.PULUMI_CLOUD_ORG, 'prod') || 'prod' }}`: the stack literal.
    const found = stacks.filter((s) => new RegExp(`(^|['/])${s}('|$)`).test(trimmed));
    return found.length === 1 ? found[0] : undefined;
}

function envOf(step: Step): Obj {
    return { ...(step.job.env ?? {}), ...(step.step.env ?? {}) };
}

/** Each Pulumi operation of the workflows: which command on which stack, with what. */
interface PulumiOp {
    step: Step;
    command: string;
    stack?: string;
    policyPacks: string;
    policyPackConfigs: string;
    /** The whole step, resolved for that stack (to find other references). */
    text: string;
    matrixStack?: string;
    args: string;
}

function pulumiOps(all: Step[], stacks: string[]): PulumiOp[] {
    const ops: PulumiOp[] = [];
    for (const s of all) {
        for (const leg of matrixStacks(s.job)) {
            const uses = String(s.step.uses ?? "");
            if (PULUMI_ACTION.test(uses) && s.step.with?.command) {
                const w = s.step.with;
                ops.push({
                    step: s,
                    command: String(w.command),
                    stack: targetStack(forStack(w["stack-name"], leg), stacks),
                    policyPacks: forStack(w.policyPacks, leg),
                    policyPackConfigs: forStack(w.policyPackConfigs, leg),
                    text: forStack(s.step, leg),
                    matrixStack: leg,
                    args: "",
                });
            }
            const run = String(s.step.run ?? "");
            for (const m of run.matchAll(/pulumi (preview|up)\b([^\n]*(?:\\\n[^\n]*)*)/g)) {
                const env = envOf(s);
                const stackArg = /--stack\s+"?\$([A-Z_]+)"?/.exec(m[2])?.[1];
                const stackValue = stackArg ? forStack(env[stackArg], leg) : "";
                const packs = /--policy-pack\s+(\S+)/.exec(m[2])?.[1] ?? "";
                const configs = /--policy-pack-config\s+(\S+)/.exec(m[2])?.[1] ?? "";
                ops.push({
                    step: s,
                    command: m[1],
                    stack: targetStack(stackValue, stacks),
                    policyPacks: packs,
                    policyPackConfigs: configs,
                    text: forStack(s.step, leg),
                    matrixStack: leg,
                    args: m[2],
                });
            }
        }
    }
    return ops;
}

function environmentName(job: Obj): string | undefined {
    const e = job.environment;
    if (typeof e === "string") return e;
    if (e && typeof e.name === "string") return e.name;
    return undefined;
}

/** Checks every property; returns one line per problem, `<rule>: <file> ...: <what>`. */
export function checkWorkflows(files: WorkflowFile[], options: CheckOptions): string[] {
    const problems: string[] = [];
    const say = (rule: Rule, where: string, what: string) => problems.push(`${rule}: ${where}: ${what}`);
    const parsed = files.map((f) => ({ ...f, wf: (parse(f.text) ?? {}) as Obj }));
    const { stacks } = options;

    const byTrigger = (t: string) => parsed.filter((p) => triggers(p.wf).includes(t));
    const prFiles = byTrigger("pull_request");
    const pushFiles = byTrigger("push");
    const scheduleFiles = byTrigger("schedule");
    const allSteps = parsed.flatMap((p) => steps(p.name, p.wf));
    const stepsOf = (ps: typeof parsed) => ps.flatMap((p) => steps(p.name, p.wf));

    // --- pull requests: offline plan and preview of every stack, with its policy config
    const prSteps = stepsOf(prFiles);
    for (const stack of stacks) {
        const planned = prSteps.some((s) =>
            matrixStacks(s.job).some((leg) => {
                const run = String(s.step.run ?? "");
                if (!/npm run (--silent )?plan -- /.test(run)) return false;
                const env = envOf(s);
                const resolved = run.replace(/\$\{?([A-Z_]+)\}?/g, (_, v) => forStack(env[v], leg));
                return (
                    new RegExp(`plan -- "?${stack}"? `).test(resolved) &&
                    resolved.includes(`--policy-config "policy-pack/config/${stack}.json"`)
                );
            }),
        );
        if (!planned)
            say(
                "offline-plan-every-stack",
                prFiles.map((p) => p.name).join(",") || "(no pull_request workflow)",
                `no offline plan of ${stack} with --policy-config policy-pack/config/${stack}.json`,
            );
    }
    const prOps = pulumiOps(prSteps, stacks);
    for (const stack of stacks) {
        const previews = prOps.filter((o) => o.command === "preview" && o.stack === stack);
        if (previews.length === 0) {
            say("preview-every-stack-with-policy-pack", "pull request", `no pulumi preview of ${stack}`);
            continue;
        }
        for (const o of previews) {
            if (
                o.policyPacks.trim() !== "policy-pack" ||
                o.policyPackConfigs.trim() !== `policy-pack/config/${stack}.json`
            )
                say(
                    "preview-every-stack-with-policy-pack",
                    `${o.step.file} jobs.${o.step.jobId}`,
                    `the preview of ${stack} runs without policy-pack and policy-pack/config/${stack}.json (policyPacks ${JSON.stringify(o.policyPacks)}, policyPackConfigs ${JSON.stringify(o.policyPackConfigs)})`,
                );
            const w = o.step.step.with ?? {};
            if (String(w["comment-on-pr"]) !== "true" || String(w["edit-pr-comment"] ?? "true") !== "true")
                say(
                    "preview-comment",
                    `${o.step.file} jobs.${o.step.jobId}`,
                    `the preview of ${stack} must post one comment per stack, edited on each run (comment-on-pr: true, edit-pr-comment: true)`,
                );
            if (o.step.job.permissions?.["pull-requests"] !== "write")
                say("preview-comment", `${o.step.file} jobs.${o.step.jobId}`, "needs pull-requests: write to comment");
        }
    }

    // --- push to main: up of every stack with the pack; prod behind an environment; smoke after each
    const pushSteps = stepsOf(pushFiles);
    const ups = pulumiOps(pushSteps, stacks).filter((o) => o.command === "up");
    const upJob = new Map<string, string>();
    for (const stack of stacks) {
        const mine = ups.filter((o) => o.stack === stack);
        if (mine.length === 0) {
            say("deploy-every-stack-with-policy-pack", "push", `no pulumi up of ${stack}`);
            continue;
        }
        for (const o of mine) {
            upJob.set(stack, o.step.jobId);
            const where = `${o.step.file} jobs.${o.step.jobId}`;
            if (
                o.policyPacks.trim() !== "policy-pack" ||
                o.policyPackConfigs.trim() !== `policy-pack/config/${stack}.json`
            )
                say(
                    "deploy-every-stack-with-policy-pack",
                    where,
                    `pulumi up of ${stack} without policy-pack and its config`,
                );
            // The smoke test: a later step of the same job runs `npm run smoke` on this up's `url` output.
            const id = o.step.step.id;
            const later = ((o.step.job.steps ?? []) as Obj[]).slice(o.step.index + 1);
            const smoke = later.find(
                (s) =>
                    /npm run smoke -- "\$([A-Z_]+)"/.test(String(s.run ?? "")) &&
                    Object.values(s.env ?? {}).some((v) => id && String(v).includes(`steps.${id}.outputs.url`)),
            );
            if (!smoke)
                say(
                    "smoke-after-up",
                    where,
                    `no npm run smoke -- <url> on steps.${id ?? "?"}.outputs.url after the up of ${stack}`,
                );
        }
    }
    const prodJobId = upJob.get("prod");
    if (stacks.includes("prod") && prodJobId) {
        const prodFile = parsed.find((p) => p.wf.jobs?.[prodJobId]);
        const job = prodFile?.wf.jobs[prodJobId] ?? {};
        if (environmentName(job) !== "prod")
            say(
                "prod-behind-environment",
                `${prodFile?.name} jobs.${prodJobId}`,
                "pulumi up of prod must run in the protected environment prod",
            );
        const devJobId = upJob.get("dev");
        const needs = [job.needs ?? []].flat();
        if (devJobId && !needs.includes(devJobId))
            say(
                "prod-behind-environment",
                `${prodFile?.name} jobs.${prodJobId}`,
                `prod must wait for the dev deploy (needs: ${devJobId})`,
            );
    }
    for (const [stack, jobId] of upJob) {
        if (stack === "prod") continue;
        const job = parsed.find((p) => p.wf.jobs?.[jobId])?.wf.jobs[jobId];
        if (job && environmentName(job) === "prod")
            say("prod-behind-environment", `jobs.${jobId}`, `the ${stack} deploy must not use the prod environment`);
    }

    // --- schedule: refresh + preview --expect-no-changes of every stack, with a report
    const scheduleOps = pulumiOps(stepsOf(scheduleFiles), stacks);
    for (const stack of stacks) {
        const drift = scheduleOps.filter(
            (o) =>
                o.command === "preview" &&
                o.stack === stack &&
                /--refresh\b/.test(o.args) &&
                /--expect-no-changes\b/.test(o.args),
        );
        if (drift.length === 0)
            say("drift-every-stack", "schedule", `no pulumi preview --refresh --expect-no-changes of ${stack}`);
        for (const o of drift) {
            if (!/drift-report\.js/.test(String(o.step.step.run)))
                say(
                    "drift-every-stack",
                    `${o.step.file} jobs.${o.step.jobId}`,
                    `the drift check of ${stack} must name the drifted resources (drift-report.js)`,
                );
        }
    }

    // --- credentials: OIDC only, the right role per purpose
    for (const s of allSteps) {
        const where = `${s.file} jobs.${s.jobId}.steps[${s.index}]`;
        const uses = String(s.step.uses ?? "");
        const w = s.step.with ?? {};
        const env = envOf(s);
        for (const k of ["aws-access-key-id", "aws-secret-access-key", "aws-session-token"])
            if (k in w) say("no-long-lived-key", where, `${k} given: use role-to-assume (OIDC)`);
        for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
            if (k in env)
                say(
                    "no-long-lived-key",
                    where,
                    `${k} in env: use aws-actions/configure-aws-credentials with role-to-assume`,
                );
        if (AWS_CREDENTIALS.test(uses)) {
            if (!w["role-to-assume"]) say("oidc-only", where, "configure-aws-credentials without role-to-assume");
            const purpose = /\.(preview|drift|deploy)\s*\}\}$/.exec(
                forStack(w["role-to-assume"], matrixStacks(s.job)[0]),
            )?.[1];
            const ops = pulumiOps(steps(s.file, { jobs: { [s.jobId]: s.job } }), stacks);
            const commands = new Set(ops.map((o) => o.command));
            const expected = commands.has("up")
                ? "deploy"
                : commands.has("preview")
                  ? triggers(parsed.find((p) => p.name === s.file)!.wf).includes("schedule")
                      ? "drift"
                      : "preview"
                  : undefined;
            if (expected && purpose !== expected)
                say(
                    "oidc-only",
                    where,
                    `a job running pulumi ${[...commands].join("/")} must assume the stack's ${expected} role (got ${JSON.stringify(w["role-to-assume"])})`,
                );
        }
    }
    for (const p of parsed) {
        if (/secrets\.AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)|aws-secret-access-key/i.test(p.text))
            say("no-long-lived-key", p.name, "refers to a long-lived AWS key");
    }

    // --- permissions: none at the workflow level; per job, the least; id-token only where needed
    for (const p of parsed) {
        const top = p.wf.permissions;
        if (top === undefined || (typeof top === "object" && Object.keys(top).length > 0) || typeof top === "string")
            say(
                "least-permissions",
                p.name,
                `workflow-level permissions must be {} (got ${JSON.stringify(top ?? "unset")}); grant per job`,
            );
        if (typeof top === "string" || top?.["id-token"] === "write")
            say("id-token-only-where-needed", p.name, "id-token: write at the workflow level reaches every job");
        for (const [jobId, job] of Object.entries<Obj>(p.wf.jobs ?? {})) {
            const where = `${p.name} jobs.${jobId}`;
            const perms = job.permissions;
            if (perms === undefined || typeof perms === "string") {
                say(
                    "least-permissions",
                    where,
                    `permissions must be listed per job (got ${JSON.stringify(perms ?? "unset")})`,
                );
                continue;
            }
            const usesOidc = ((job.steps ?? []) as Obj[]).some(
                (s) => AWS_CREDENTIALS.test(String(s.uses ?? "")) || PULUMI_AUTH.test(String(s.uses ?? "")),
            );
            if (perms["id-token"] === "write" && !usesOidc)
                say("id-token-only-where-needed", where, "id-token: write without an OIDC login");
            if (usesOidc && perms["id-token"] !== "write")
                say("id-token-only-where-needed", where, "an OIDC login needs id-token: write");
            for (const [scope, level] of Object.entries(perms)) {
                const allowed =
                    scope === "contents" ? level === "read" : scope === "id-token" || scope === "pull-requests";
                if (!allowed) say("least-permissions", where, `${scope}: ${level} is more than this job needs`);
            }
            const comments = ((job.steps ?? []) as Obj[]).some((s) => String(s.with?.["comment-on-pr"]) === "true");
            if (perms["pull-requests"] && !comments)
                say("least-permissions", where, "pull-requests permission without a PR comment");
        }
    }

    // --- concurrency: one group per stack for every job that touches a stack
    for (const o of [...prOps, ...ups, ...scheduleOps]) {
        const group = forStack(o.step.job.concurrency?.group, o.matrixStack);
        const where = `${o.step.file} jobs.${o.step.jobId}`;
        if (!o.stack || !group.includes(o.stack)) {
            say(
                "concurrency-per-stack",
                where,
                `the job running pulumi ${o.command} of ${o.stack ?? "?"} needs a concurrency group naming the stack (got ${JSON.stringify(group || "none")})`,
            );
        } else if (o.command === "up" && o.step.job.concurrency?.["cancel-in-progress"] !== false) {
            say("concurrency-per-stack", where, "a deploy must never be cancelled midway: cancel-in-progress: false");
        }
    }
    const upGroups = ups.map((o) => forStack(o.step.job.concurrency?.group, o.matrixStack));
    if (new Set(upGroups).size !== upGroups.length)
        say("concurrency-per-stack", "push", "two stacks share a deploy concurrency group");

    // --- actions pinned to a full commit SHA, with the version in a comment
    for (const p of parsed) {
        p.text.split("\n").forEach((line, i) => {
            const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
            if (!m) return;
            const [, ref, rest] = m;
            if (ref.startsWith("./")) return;
            if (ref.startsWith("docker://")) {
                if (!/@sha256:[0-9a-f]{64}$/.test(ref))
                    say("pinned-actions", `${p.name}:${i + 1}`, `${ref} is not pinned by digest`);
                return;
            }
            if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref))
                say("pinned-actions", `${p.name}:${i + 1}`, `${ref} is not pinned to a full commit SHA`);
            else if (!/^\s*#\s*v\d+(\.\d+){0,2}\b/.test(rest))
                say("pinned-actions", `${p.name}:${i + 1}`, `${ref} has no "# vX.Y.Z" comment naming its version`);
        });
    }

    // --- run: scripts take untrusted text only through env
    for (const s of allSteps) {
        const run = String(s.step.run ?? "");
        if (/\$\{\{/.test(run))
            say(
                "no-expression-in-run",
                `${s.file} jobs.${s.jobId}.steps[${s.index}]`,
                `run: interpolates ${/\$\{\{[^}]*\}\}/.exec(run)?.[0]}; pass it through env:`,
            );
    }

    // --- no secret-looking literal anywhere
    const SECRET_PATTERNS: [string, RegExp][] = [
        ["an AWS access key id", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
        ["a Pulumi access token", /\bpul-[0-9a-f]{40}\b/],
        ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
        ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
        [
            "a secret-looking assignment",
            /(secret|password|token|passphrase)[\w-]*\s*:\s*["']?(?!\$\{\{)[A-Za-z0-9/+=_-]{16,}/i,
        ],
    ];
    for (const p of parsed) {
        for (const [what, re] of SECRET_PATTERNS)
            if (re.test(p.text)) say("no-secret-literal", p.name, `contains ${what}`);
    }

    // --- the Pulumi CLI the workflows install matches the SDK
    for (const s of allSteps) {
        if (!PULUMI_ACTION.test(String(s.step.uses ?? ""))) continue;
        const v = s.step.with?.["pulumi-version"];
        if (String(v) !== options.pulumiVersion)
            say(
                "pulumi-cli-version",
                `${s.file} jobs.${s.jobId}.steps[${s.index}]`,
                `pulumi-version ${JSON.stringify(v)}; expected ${options.pulumiVersion} (@pulumi/pulumi in package.json)`,
            );
    }

    // --- container modes: image built once, tagged with the commit, passed by config when needed
    const build = pushSteps.find((s) => /^docker\/build-push-action@/.test(String(s.step.uses ?? "")));
    if (!build) say("container-image", "push", "no image build (docker/build-push-action)");
    else {
        if (!/needs-image == 'true'/.test(String(build.job.if ?? "")))
            say(
                "container-image",
                `${build.file} jobs.${build.jobId}`,
                "the image job must run only when a stack's mode needs an image",
            );
        const tags = String(build.step.with?.tags ?? "");
        const tagStep = ((build.job.steps ?? []) as Obj[]).find((s) => s.id && tags.includes(`steps.${s.id}.outputs`));
        if (!tagStep || !Object.values(tagStep.env ?? {}).some((v) => String(v).includes("github.sha")))
            say("container-image", `${build.file} jobs.${build.jobId}`, "the image must be tagged with the commit SHA");
        for (const [stack, jobId] of upJob) {
            const job = parsed.find((p) => p.wf.jobs?.[jobId])!.wf.jobs[jobId] as Obj;
            const set = ((job.steps ?? []) as Obj[]).find((s) =>
                /pulumi config set .*--path/.test(String(s.run ?? "")),
            );
            if (
                !set ||
                !/needs\.modes\.outputs\.\w+ != ''/.test(String(set.if ?? "")) ||
                !Object.values(set.env ?? {}).some((v) => String(v).includes("needs.image.outputs.image"))
            )
                say(
                    "container-image",
                    `jobs.${jobId}`,
                    `the ${stack} deploy must set the image by config (pulumi config set --path), only when its mode needs it`,
                );
        }
    }

    return problems;
}
