// ESLint over the whole tree: the recommended rules of ESLint and typescript-eslint.
// Formatting is Prettier's job (npm run format); `npm run lint` checks both.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["**/node_modules/**", "**/dist/**", "**/.cache/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: {
            ecmaVersion: 2022,
            sourceType: "module",
            globals: {
                process: "readonly",
                console: "readonly",
                __dirname: "readonly",
                require: "readonly",
                module: "writable",
                Buffer: "readonly",
                setTimeout: "readonly",
                clearTimeout: "readonly",
                setInterval: "readonly",
                clearInterval: "readonly",
                URL: "readonly",
            },
        },
        rules: {
            // tsc (noUnusedLocals/Parameters) already reports these, with `_` for intended ones.
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
            ],
        },
    },
    {
        // CommonJS scripts (the require hook) run by Node as they are.
        files: ["**/*.js"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // Mocks and tests read the engine's untyped property bags (Pulumi types them `any`).
        files: ["test/**/*.ts", "tools/mocks.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
