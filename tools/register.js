/**
 * A require hook that runs TypeScript by stripping its types with esbuild (the bundler the app
 * build already uses). `npm run plan` (and the tests' plan processes, and the policy pack's
 * analyzer under the plan) load it instead of ts-node: the same code runs, about 2 s sooner per
 * process, because type checking is `tsc --noEmit`'s job (`npm test` runs it over the whole
 * project). Mocha loads it too (.mocharc.js).
 *
 * Files under node_modules are left to Node. Inline source maps keep stack traces pointing at
 * the .ts lines (the scripts run Node with --enable-source-maps). The output is cached in
 * node_modules/.cache/private-app-ts/ by the hash of the source, the file name and the options,
 * so an unchanged file is not transformed again (esbuild is then not started at all).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const target = `node${process.versions.node.split(".")[0]}`;
const CACHE = path.join(__dirname, "..", "node_modules", ".cache", "private-app-ts");
let esbuild;

require.extensions[".ts"] = function compileTypeScript(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const options = {
        loader: "ts",
        format: "cjs",
        target,
        sourcefile: filename,
        sourcemap: "inline",
        // Keep class and function names: Pulumi and the tests print them.
        keepNames: true,
        // import() becomes require(), as tsc does for CommonJS: Node's ESM loader cannot
        // resolve extensionless .ts specifiers.
        supported: { "dynamic-import": false },
    };
    esbuild ??= require("esbuild");
    const key = crypto
        .createHash("sha256")
        .update(JSON.stringify([esbuild.version, options, source]))
        .digest("hex");
    const cached = path.join(CACHE, `${key}.js`);
    let code;
    try {
        code = fs.readFileSync(cached, "utf8");
    } catch {
        code = esbuild.transformSync(source, options).code;
        try {
            fs.mkdirSync(CACHE, { recursive: true });
            const tmp = `${cached}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, code);
            fs.renameSync(tmp, cached); // atomic: concurrent plans never read half a file
        } catch {
            // A read-only checkout: no cache, same result.
        }
    }
    module._compile(code, filename);
};

// With --enable-source-maps, formatting a stack maps every frame, and the Pulumi SDK formats one
// for every promise it creates (`debuggablePromise` keeps `new Error().stack`, read only for
// leak reports): about 0.3 s of a prod plan. Those stacks skip the source maps; every other
// error (the program's, the plan's) is still reported with mapped .ts lines.
const mappedPrepareStackTrace = Error.prepareStackTrace;
if (typeof mappedPrepareStackTrace === "function") {
    Error.prepareStackTrace = function prepareStackTrace(error, trace) {
        if (error && error.message === "" && trace.length > 0 && trace[0].getFunctionName() === "debuggablePromise") {
            return `Error\n${trace.map((frame) => `    at ${frame}`).join("\n")}`;
        }
        return mappedPrepareStackTrace(error, trace);
    };
}

// `@pulumi/pulumi` loads at start-up modules that neither a program under the plan nor a policy
// uses unless it serializes a function (which this project never does): its Automation API
// (with npm's arborist, pacote and more: about 0.3 s), the TypeScript compiler its closure
// serializer parses functions with (9 MB of JavaScript) and npm's arborist again for the
// closure's package paths. Load each on first use instead: the module is a stand-in that loads
// the real one when read, so a program that does use them gets the same modules.
const Module = require("module");
const load = Module._load;
const LAZY = [
    ["./automation", /[\\/]@pulumi[\\/]pulumi[\\/]index\.js$/],
    ["../../typescript-shim", /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]parseFunction\.js$/],
    ["@npmcli/arborist", /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/],
];
Module._load = function (request, parent) {
    if (LAZY.some(([r, from]) => r === request && from.test(parent?.filename ?? ""))) {
        let real;
        const args = arguments;
        const get = () => (real ??= load.apply(Module, args));
        return new Proxy(
            {},
            {
                // `__esModule`: TypeScript's __importStar hands the stand-in over as it is
                // instead of copying (and so loading) every export.
                get: (_, prop) => (prop === "__esModule" ? true : get()[prop]),
                has: (_, prop) => prop in get(),
                ownKeys: () => Reflect.ownKeys(get()),
                getOwnPropertyDescriptor: (_, prop) => Reflect.getOwnPropertyDescriptor(get(), prop),
            },
        );
    }
    return load.apply(this, arguments);
};
