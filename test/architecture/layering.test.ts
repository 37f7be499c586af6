/**
 * Layers point one way: app contract → pure planners (lib/) → components → program. A pure
 * module that imports a component, the app's sources or AWS resources at run time would make
 * the planners untestable without Pulumi and let rules drift between layers.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

/** The modules a file imports at run time (`import type` and `import { type X }`-only imports are left out). */
export function runtimeImports(source: string): string[] {
    const out: string[] = [];
    const re =
        /^\s*import\s+(type\s+)?([\s\S]*?)\s+from\s+["']([^"']+)["'];?|^\s*import\s+["']([^"']+)["']|require\(\s*["']([^"']+)["']\s*\)/gm;
    for (const m of source.matchAll(re)) {
        if (m[4] || m[5]) {
            out.push((m[4] ?? m[5])!);
            continue;
        }
        if (m[1]) continue; // import type ...
        const names = m[2];
        const braces = /^\{([\s\S]*)\}$/.exec(names.trim());
        if (braces && braces[1].split(",").every((n) => n.trim() === "" || /^type\s/.test(n.trim()))) continue;
        out.push(m[3]);
    }
    return out;
}

function filesUnder(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return filesUnder(rel);
        return e.name.endsWith(".ts") ? [rel] : [];
    });
}

/** Where an import leads, relative to the repository root (packages as themselves). */
function target(file: string, spec: string): string {
    if (!spec.startsWith(".")) return spec;
    return path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
}

describe("architecture: layering", () => {
    it("the import reader sees runtime imports and skips type-only ones", () => {
        assert.deepStrictEqual(
            runtimeImports(
                'import { a } from "./x";\nimport type { B } from "../components/y";\nimport { type C } from "../app/src/z";\nimport * as aws from "@pulumi/aws";\nconst r = require("../components/w");',
            ),
            ["./x", "@pulumi/aws", "../components/w"],
        );
    });

    for (const file of filesUnder("lib")) {
        it(`${file} imports no component, no app source and no AWS resource`, () => {
            const bad = runtimeImports(fs.readFileSync(path.join(ROOT, file), "utf8"))
                .map((spec) => target(file, spec))
                .filter(
                    (t) =>
                        t.startsWith("components") ||
                        t.startsWith(path.join("app", "src")) ||
                        t === "@pulumi/aws" ||
                        t.startsWith("@pulumi/aws/") ||
                        t === "@pulumi/awsx" ||
                        t.startsWith("tools") ||
                        t === "index",
                );
            assert.deepStrictEqual(bad, [], `${file} reaches over its layer`);
        });
    }

    it("the app contract imports nothing, so the infrastructure can load it without the app's dependencies", () => {
        assert.deepStrictEqual(runtimeImports(fs.readFileSync(path.join(ROOT, "app", "contract.ts"), "utf8")), []);
    });

    for (const file of filesUnder("components")) {
        it(`${file} does not import the app's sources or the program`, () => {
            const bad = runtimeImports(fs.readFileSync(path.join(ROOT, file), "utf8"))
                .map((spec) => target(file, spec))
                .filter((t) => t.startsWith(path.join("app", "src")) || t === "index" || t.startsWith("tools"));
            assert.deepStrictEqual(bad, [], `${file} reaches over its layer`);
        });
    }
});
