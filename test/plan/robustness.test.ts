/**
 * The offline plan's contract under stress: `--json` prints exactly one JSON document whatever
 * the program writes, every secret is masked, and a program that fails, hangs or calls an
 * unmocked invoke ends the plan with exit 3 and a message that says why.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import type { PlanDocument } from "../../tools/run-plan";
import { CliResult, planCli, ROOT } from "../support/plan-cli";

const NOISY = "test/plan/fixtures/noisy-program.ts";
const FAILING = "test/plan/fixtures/failing-program.ts";

/** `npm run plan -- <args>` exactly as a user runs it. */
function npmPlan(args: string[]): Promise<CliResult> {
    const started = Date.now();
    return new Promise((resolve) =>
        execFile(
            "npm",
            ["run", "plan", "--", ...args],
            { cwd: ROOT, env: { ...process.env, PULUMI_CONFIG: undefined }, maxBuffer: 64 << 20 },
            (err, stdout, stderr) =>
                resolve({
                    code: err ? (typeof err.code === "number" ? err.code : 1) : 0,
                    stdout,
                    stderr,
                    ms: Date.now() - started,
                }),
        ),
    );
}

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
    return [];
}

describe("npm run plan: robustness", function () {
    this.timeout(120_000);

    describe("`npm run plan -- dev --json --program` with a program that writes to stdout and passes secrets", () => {
        let r: CliResult;
        let doc: PlanDocument;
        before(async () => {
            // Through npm, as a user types it, so that npm's own output is checked too.
            r = await npmPlan(["dev", "--json", "--program", NOISY]);
            doc = JSON.parse(r.stdout) as PlanDocument; // throws if anything else is on stdout
        });
        const inputsOf = (name: string) =>
            doc.resources.find((x) => x.name === name)!.inputs as Record<string, unknown>;

        it("prints exactly one JSON document on stdout; the program's own output goes to stderr", () => {
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout.trim().startsWith("{") && r.stdout.trim().endsWith("}"), true);
            for (const noise of ["pulumi.log.info", "pulumi.log.warn", "console.log", "process.stdout.write"]) {
                assert.ok(!r.stdout.includes(`noise from ${noise}`), `${noise} on stdout`);
                assert.ok(r.stderr.includes(`noise from ${noise}`), `${noise} missing from stderr:\n${r.stderr}`);
            }
        });

        it('shows every secret input as "[secret]", also inside objects and JSON built from secrets', () => {
            assert.deepStrictEqual(
                inputsOf("noisy-vpc").tags,
                { Name: "noisy", token: "[secret]" },
                "a secret nested in an object is masked where it is, as the engine keeps it",
            );
            assert.strictEqual(inputsOf("noisy-secret-version").secretString, "[secret]");
            assert.strictEqual(inputsOf("noisy-policy").policy, "[secret]");
            assert.deepStrictEqual(inputsOf("noisy-subnet").tags, { plain: "visible" });
            assert.strictEqual(inputsOf("noisy-vpc").cidrBlock, "10.7.0.0/16");
        });

        it("masks secret stack outputs, nested ones too, and keeps the rest", () => {
            assert.deepStrictEqual(doc.outputs, {
                secretOutput: "[secret]",
                nested: { secret: "[secret]", plain: "visible", list: ["[secret]", "visible"] },
                plainOutput: "10.7.0.0/16",
            });
        });

        it("never prints the secret's value, on stdout or stderr", () => {
            assert.ok(!r.stdout.includes("hunter2"), "secret on stdout");
            assert.ok(!r.stderr.includes("hunter2"), "secret on stderr");
            assert.ok(!strings(doc).some((s) => s.includes("hunter2")));
        });
    });

    describe("a program that fails: exit 3 with a message that says why", () => {
        const cases: [mode: string, expected: RegExp, extra?: string[]][] = [
            ["throw", /plan failed: Error: boom in the program\n\s+at .*failing-program\.ts:\d+/],
            [
                "unmocked-invoke",
                /plan failed: .*mocks: unmocked invoke aws:ec2\/getAmi:getAmi; answer it in tools\/mocks\.ts/,
            ],
            ["apply-throws", /plan failed: the program failed while resolving outputs .*boom in an apply/],
            ["never-settles", /plan failed: the program can never finish: .*\n.*resource:v\[test:index:Thing\]/],
            [
                "hangs",
                /plan failed: the program did not finish within 2 s \(raise the limit with --timeout <seconds>\)/,
                ["--timeout", "2"],
            ],
            [
                "logs-error",
                /error: \[runtime\] something the program considers fatal[\s\S]*plan failed: the program logged an error/,
            ],
        ];
        const results = new Map<string, CliResult>();
        before(async () => {
            await Promise.all(
                cases.map(async ([mode, , extra]) => {
                    results.set(
                        mode,
                        await planCli(["dev", "--json", "--program", FAILING, ...(extra ?? [])], {
                            FAILING_MODE: mode,
                        }),
                    );
                }),
            );
        });
        for (const [mode, expected] of cases) {
            it(mode, () => {
                const r = results.get(mode)!;
                assert.strictEqual(r.code, 3, `exit ${r.code}\n${r.stderr}`);
                assert.strictEqual(r.stdout, "", "no document on stdout");
                assert.match(r.stderr, expected);
                assert.ok(!r.stderr.includes("promises were still active"), "no confusing leak report");
            });
        }
        it("the hang is cut off at the timeout, not later", () => {
            assert.ok(results.get("hangs")!.ms < 30_000, `took ${results.get("hangs")!.ms} ms`);
        });
    });

    it("rejects a --timeout that is not a number of seconds (exit 2)", async () => {
        const r = await planCli(["dev", "--timeout", "soon"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /--timeout needs a number of seconds/);
    });
});
