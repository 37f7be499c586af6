/**
 * The workflows of `.github/workflows/` keep the properties of issue 12 (test/delivery/
 * workflow-rules.ts), lint clean with actionlint and shellcheck, and a mutated copy that loses
 * any one property fails its rule.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, parseDocument, visit, type YAMLMap } from "yaml";
import { availableStacks } from "../../tools/stack-files";
import { ROOT } from "../support/plan-cli";
import { checkWorkflows, RULES, type WorkflowFile } from "./workflow-rules";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lint = require("../../.github/scripts/lint-workflows.js") as {
    lintWorkflows(
        files: { path: string; data: string }[],
        options?: { withShellcheck?: boolean },
    ): Promise<{ tool: string; line: number; message: string }[]>;
    hasShellcheck(): boolean;
};

const DIR = path.join(ROOT, ".github", "workflows");
const FILES: WorkflowFile[] = fs
    .readdirSync(DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((name) => ({ name, text: fs.readFileSync(path.join(DIR, name), "utf8") }));
const OPTIONS = {
    stacks: availableStacks(ROOT),
    pulumiVersion: JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"],
};

/** The rules a set of files breaks, sorted and unique. */
function broken(files: WorkflowFile[]): string[] {
    return [...new Set(checkWorkflows(files, OPTIONS).map((p) => p.split(":")[0]))].sort();
}

/** The workflows with one file changed through the YAML document (comments kept). */
function mutate(name: string, change: (doc: Document) => void): WorkflowFile[] {
    return FILES.map((f) => {
        if (f.name !== name) return f;
        const doc = parseDocument(f.text);
        change(doc);
        return { name, text: doc.toString({ lineWidth: 0 }) };
    });
}

/** The workflows with one file's text changed (asserting the change applies). */
function edit(name: string, from: string | RegExp, to: string): WorkflowFile[] {
    return FILES.map((f) => {
        if (f.name !== name) return f;
        const text = f.text.replace(from, to);
        assert.notStrictEqual(text, f.text, `mutation of ${name} did not apply: ${from}`);
        return { name, text };
    });
}

/** Replaces the matrix job `jobId` by one job per stack, `change` applied to each copy. */
function splitMatrix(doc: Document, jobId: string, change: (stack: string, job: YAMLMap) => void): void {
    const job = doc.getIn(["jobs", jobId], true) as YAMLMap;
    const stacks = (doc.getIn(["jobs", jobId, "strategy", "matrix", "stack"]) as { toJSON(): string[] }).toJSON();
    for (const stack of stacks) {
        const copy = job.clone() as YAMLMap;
        copy.delete("strategy");
        visit(copy, {
            Scalar(_, node) {
                if (typeof node.value === "string")
                    node.value = node.value
                        .replace(/\$\{\{\s*matrix\.stack\s*\}\}/g, stack)
                        .replace(/\[matrix\.stack\]/g, `.${stack}`)
                        .replace(/matrix\.stack/g, `'${stack}'`);
            },
        });
        change(stack, copy);
        (doc.get("jobs") as YAMLMap).set(`${jobId}-${stack}`, copy);
    }
    (doc.get("jobs") as YAMLMap).delete(jobId);
}

/** The step of a job with this `uses:` prefix or `id`. */
function stepOf(job: YAMLMap, match: (step: YAMLMap) => boolean): YAMLMap {
    const steps = job.get("steps") as { items: YAMLMap[] };
    const step = steps.items.find((s) => isMap(s) && match(s));
    assert.ok(step, "step not found");
    return step;
}
const usesOf = (prefix: string) => (s: YAMLMap) => String(s.get("uses") ?? "").startsWith(prefix);

describe("workflows (.github/workflows)", () => {
    it("are the three workflows, checked against every stack file at the root", () => {
        assert.ok(OPTIONS.stacks.includes("dev") && OPTIONS.stacks.includes("prod"), OPTIONS.stacks.join(","));
        assert.deepStrictEqual(
            FILES.map((f) => f.name),
            ["deploy.yml", "drift.yml", "pull-request.yml"],
        );
    });

    it("keep every property", () => {
        assert.deepStrictEqual(checkWorkflows(FILES, OPTIONS), []);
    });

    it("lint clean with actionlint (WebAssembly) and, when on the path, shellcheck", async function () {
        this.timeout(120_000);
        const files = FILES.map((f) => ({ path: path.join(DIR, f.name), data: f.text }));
        const withShellcheck = lint.hasShellcheck();
        if (!withShellcheck)
            console.warn("    (shellcheck not on the path: actionlint only; apt-get install shellcheck)");
        assert.deepStrictEqual(await lint.lintWorkflows(files, { withShellcheck }), []);
    });

    it("actionlint and shellcheck find an untrusted expression and an unquoted variable", async function () {
        this.timeout(120_000);
        if (!lint.hasShellcheck()) this.skip();
        const [pr] = edit(
            "pull-request.yml",
            "run: npm test",
            'run: echo "${{ github.event.pull_request.title }}" && ls $HOME',
        ).filter((f) => f.name === "pull-request.yml");
        const found = await lint.lintWorkflows([{ path: path.join(DIR, pr.name), data: pr.text }]);
        assert.ok(
            found.some((f) => f.tool === "actionlint" && /potentially untrusted/.test(f.message)),
            JSON.stringify(found),
        );
        assert.ok(
            found.some((f) => f.tool === "shellcheck" && /SC2086/.test(f.message)),
            JSON.stringify(found),
        );
    });

    describe("a mutated copy that loses one property fails its rule", () => {
        const cases: [string, () => WorkflowFile[], string[]][] = [
            [
                "the policy pack removed from one stack's preview",
                () =>
                    mutate("pull-request.yml", (doc) =>
                        splitMatrix(doc, "preview", (stack, job) => {
                            if (stack === "prod")
                                stepOf(job, (s) => !!s.getIn(["with", "command"])).deleteIn(["with", "policyPacks"]);
                        }),
                    ),
                ["preview-every-stack-with-policy-pack"],
            ],
            [
                "another stack's policy config in one stack's preview",
                () =>
                    mutate("pull-request.yml", (doc) =>
                        splitMatrix(doc, "preview", (stack, job) => {
                            if (stack === "prod")
                                stepOf(job, (s) => !!s.getIn(["with", "command"])).setIn(
                                    ["with", "policyPackConfigs"],
                                    "policy-pack/config/dev.json",
                                );
                        }),
                    ),
                ["preview-every-stack-with-policy-pack"],
            ],
            [
                "one stack left out of the preview matrix",
                () =>
                    mutate("pull-request.yml", (doc) =>
                        doc.setIn(["jobs", "preview", "strategy", "matrix", "stack"], ["dev"]),
                    ),
                ["preview-every-stack-with-policy-pack"],
            ],
            [
                "the offline plan without the stack's policy config",
                () => edit("pull-request.yml", / --policy-config "policy-pack\/config\/\$STACK.json"/, ""),
                ["offline-plan-every-stack"],
            ],
            [
                "the preview comment turned off",
                () =>
                    mutate("pull-request.yml", (doc) =>
                        stepOf(
                            doc.getIn(["jobs", "preview"], true) as YAMLMap,
                            (s) => !!s.getIn(["with", "command"]),
                        ).setIn(["with", "comment-on-pr"], false),
                    ),
                ["least-permissions", "preview-comment"],
            ],
            [
                "the prod deploy without its policy config",
                () => edit("deploy.yml", /\n\s+policyPackConfigs: policy-pack\/config\/prod.json/, ""),
                ["deploy-every-stack-with-policy-pack"],
            ],
            [
                "the prod environment removed",
                () => mutate("deploy.yml", (doc) => doc.deleteIn(["jobs", "deploy-prod", "environment"])),
                ["prod-behind-environment"],
            ],
            [
                "prod no longer waiting for dev",
                () => mutate("deploy.yml", (doc) => doc.setIn(["jobs", "deploy-prod", "needs"], ["modes", "image"])),
                ["prod-behind-environment"],
            ],
            [
                "id-token: write widened to the workflow",
                () =>
                    mutate("deploy.yml", (doc) =>
                        doc.set("permissions", doc.createNode({ contents: "read", "id-token": "write" })),
                    ),
                ["id-token-only-where-needed", "least-permissions"],
            ],
            [
                "id-token: write on a job that logs in nowhere",
                () =>
                    mutate("pull-request.yml", (doc) =>
                        doc.setIn(["jobs", "test", "permissions", "id-token"], "write"),
                    ),
                ["id-token-only-where-needed"],
            ],
            [
                "contents: write on a deploy job",
                () =>
                    mutate("deploy.yml", (doc) =>
                        doc.setIn(["jobs", "deploy-dev", "permissions", "contents"], "write"),
                    ),
                ["least-permissions"],
            ],
            [
                "an action pinned to a tag",
                () =>
                    edit(
                        "drift.yml",
                        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
                        "actions/checkout@v7",
                    ),
                ["pinned-actions"],
            ],
            [
                "a pinned action without its version comment",
                () =>
                    edit(
                        "deploy.yml",
                        "@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a # v7.3.0",
                        "@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
                    ),
                ["pinned-actions"],
            ],
            [
                "a long-lived AWS key instead of OIDC",
                () =>
                    mutate("deploy.yml", (doc) => {
                        const step = stepOf(
                            doc.getIn(["jobs", "deploy-dev"], true) as YAMLMap,
                            usesOf("aws-actions/configure-aws-credentials@"),
                        );
                        step.deleteIn(["with", "role-to-assume"]);
                        step.setIn(["with", "aws-access-key-id"], "${{ secrets.AWS_ACCESS_KEY_ID }}");
                        step.setIn(["with", "aws-secret-access-key"], "${{ secrets.AWS_SECRET_ACCESS_KEY }}");
                    }),
                ["no-long-lived-key", "oidc-only"],
            ],
            [
                "AWS keys in a step's env",
                () =>
                    mutate("drift.yml", (doc) =>
                        stepOf(doc.getIn(["jobs", "drift"], true) as YAMLMap, (s) =>
                            /drift-report/.test(String(s.get("run"))),
                        ).setIn(["env", "AWS_ACCESS_KEY_ID"], "${{ secrets.AWS_ACCESS_KEY_ID }}"),
                    ),
                ["no-long-lived-key"],
            ],
            [
                "a preview assuming the deploy role",
                () =>
                    edit(
                        "pull-request.yml",
                        "fromJSON(vars.AWS_ROLES)[matrix.stack].preview",
                        "fromJSON(vars.AWS_ROLES)[matrix.stack].deploy",
                    ),
                ["oidc-only"],
            ],
            [
                "untrusted event text in run:",
                () =>
                    edit(
                        "pull-request.yml",
                        "run: npm test",
                        'run: echo "${{ github.event.pull_request.title }}" && npm test',
                    ),
                ["no-expression-in-run"],
            ],
            [
                "a secret-looking literal",
                () =>
                    edit(
                        "deploy.yml",
                        "      STACK: dev\n",
                        `      STACK: dev\n      PULUMI_ACCESS_TOKEN: pul-${"0123456789abcdef".repeat(2)}01234567\n`,
                    ),
                ["no-secret-literal"],
            ],
            [
                "the smoke test after the dev deploy removed",
                () =>
                    mutate("deploy.yml", (doc) =>
                        (doc.getIn(["jobs", "deploy-dev", "steps"]) as { items: unknown[] }).items.pop(),
                    ),
                ["smoke-after-up"],
            ],
            [
                "the smoke test on another stack's url",
                () =>
                    edit(
                        "deploy.yml",
                        /URL: \$\{\{ steps\.up\.outputs\.url \}\}(\n\s+run: npm run smoke -- "\$URL"\n\n {2}deploy-prod:)/,
                        "URL: ${{ vars.SOME_URL }}$1",
                    ),
                ["smoke-after-up"],
            ],
            [
                "no concurrency group on the prod deploy",
                () => mutate("deploy.yml", (doc) => doc.deleteIn(["jobs", "deploy-prod", "concurrency"])),
                ["concurrency-per-stack"],
            ],
            [
                "a deploy that a newer push cancels midway",
                () =>
                    mutate("deploy.yml", (doc) =>
                        doc.setIn(["jobs", "deploy-dev", "concurrency", "cancel-in-progress"], true),
                    ),
                ["concurrency-per-stack"],
            ],
            [
                "the drift check without --expect-no-changes",
                () => edit("drift.yml", "--refresh --expect-no-changes --diff", "--refresh --diff"),
                ["drift-every-stack"],
            ],
            [
                "the drift check without its report",
                () => edit("drift.yml", /node \.github\/scripts\/drift-report\.js [^\n]*/, 'exit "$status"'),
                ["drift-every-stack"],
            ],
            [
                "a Pulumi CLI other than the SDK's version",
                () => edit("drift.yml", "pulumi-version: 3.248.0", "pulumi-version: 3.100.0"),
                ["pulumi-cli-version"],
            ],
            [
                "the image passed to a lambda stack too (unconditional config set)",
                () =>
                    mutate("deploy.yml", (doc) =>
                        stepOf(doc.getIn(["jobs", "deploy-prod"], true) as YAMLMap, (s) =>
                            /config set/.test(String(s.get("run"))),
                        ).delete("if"),
                    ),
                ["container-image"],
            ],
            [
                "the image tagged latest instead of the commit",
                () => edit("deploy.yml", "SHA: ${{ github.sha }}", "SHA: latest"),
                ["container-image"],
            ],
        ];
        for (const [what, files, rules] of cases) {
            it(`${what}: ${rules.join(", ")}`, () => {
                assert.deepStrictEqual(broken(files()), rules, checkWorkflows(files(), OPTIONS).join("\n"));
            });
        }

        it("the split into one job per stack is itself no problem (the control of the first cases)", () => {
            assert.deepStrictEqual(
                checkWorkflows(
                    mutate("pull-request.yml", (doc) => splitMatrix(doc, "preview", () => {})),
                    OPTIONS,
                ),
                [],
            );
        });

        it("every rule has a case", () => {
            const covered = new Set(cases.flatMap(([, , rules]) => rules));
            assert.deepStrictEqual(
                RULES.filter((r) => !covered.has(r)),
                [],
            );
        });
    });
});
