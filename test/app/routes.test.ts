import { strict as assert } from "node:assert";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { HEALTH_PATHS } from "../../app/contract";
import { DatabaseUnavailableError } from "../../app/src/errors";
import { requestFromEvent, resultFromResponse } from "../../app/src/lambda";
import type { Note, NotesRepository } from "../../app/src/notes";
import {
    type ApiRequest,
    type ApiResponse,
    DEFAULT_LIST_LIMIT,
    handleRequest,
    isJsonContentType,
    MAX_BODY_BYTES,
    MAX_NOTE_LENGTH,
    type RouterDeps,
} from "../../app/src/routes";

/** An in-memory NotesRepository with the same ordering contract as the SQL one. */
class MemoryNotes implements NotesRepository {
    notes: Note[] = [];
    private nextId = 1;
    async list(limit: number): Promise<Note[]> {
        return [...this.notes].reverse().slice(0, limit);
    }
    async create(text: string): Promise<Note> {
        const note = {
            id: this.nextId++,
            text,
            createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, this.nextId)).toISOString(),
        };
        this.notes.push(note);
        return note;
    }
    async get(id: number): Promise<Note | undefined> {
        return this.notes.find((n) => n.id === id);
    }
}

function req(
    method: string,
    target: string,
    init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): ApiRequest {
    const url = new URL(target, "http://x");
    return {
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: init.headers ?? {},
        body: typeof init.body === "string" ? Buffer.from(init.body) : init.body,
    };
}

const JSON_HEADERS = { "content-type": "application/json" };
const body = (res: ApiResponse): Record<string, unknown> => JSON.parse(res.body) as Record<string, unknown>;

describe("app router (pure, in-memory store)", () => {
    let notes: MemoryNotes;
    let deps: RouterDeps;
    beforeEach(() => {
        notes = new MemoryNotes();
        deps = { notes, checkDatabase: async () => true };
    });

    describe("GET /health", () => {
        it("answers 200 ok when the database answers", async () => {
            const res = await handleRequest(req("GET", "/health"), deps);
            assert.equal(res.statusCode, 200);
            assert.deepEqual(body(res), { status: "ok", database: "ok" });
            assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
            assert.equal(res.headers["cache-control"], "no-store");
        });

        it("answers 503 unavailable, with no error details, when the check fails or throws", async () => {
            for (const checkDatabase of [
                async () => false,
                async () => Promise.reject(new Error("password authentication failed, password=hunter2")),
            ]) {
                const res = await handleRequest(req("GET", "/health"), { notes, checkDatabase });
                assert.equal(res.statusCode, 503);
                assert.deepEqual(body(res), { status: "error", database: "unavailable" });
                assert.ok(!res.body.includes("hunter2"));
            }
        });
    });

    describe("GET /health/live (liveness)", () => {
        it("is the contract's liveness path, next to readiness", () => {
            assert.deepEqual(HEALTH_PATHS, { liveness: "/health/live", readiness: "/health" });
        });

        it("answers 200 {status: ok} without asking the database, even when it is down", async () => {
            let checks = 0;
            const down: RouterDeps = {
                notes: {
                    list: () => Promise.reject(new DatabaseUnavailableError({ name: "Error", message: "down" })),
                    create: () => Promise.reject(new DatabaseUnavailableError({ name: "Error", message: "down" })),
                    get: () => Promise.reject(new DatabaseUnavailableError({ name: "Error", message: "down" })),
                },
                checkDatabase: async () => (checks++, false),
            };
            const res = await handleRequest(req("GET", HEALTH_PATHS.liveness), down);
            assert.equal(res.statusCode, 200);
            assert.deepEqual(body(res), { status: "ok" });
            assert.equal(res.headers["cache-control"], "no-store");
            assert.equal(checks, 0, "liveness never checks the database");
            assert.equal((await handleRequest(req("GET", HEALTH_PATHS.readiness), down)).statusCode, 503);
            assert.equal(checks, 1);
        });

        it("only GET; /health/live/ and /health/liveness are not routes", async () => {
            const post = await handleRequest(req("POST", HEALTH_PATHS.liveness), deps);
            assert.equal(post.statusCode, 405);
            assert.equal(post.headers.allow, "GET");
            for (const path of ["/health/live/", "/health/liveness", "/healthxlive"])
                assert.equal((await handleRequest(req("GET", path), deps)).statusCode, 404, path);
        });
    });

    describe("GET /api/notes", () => {
        it("lists newest first with the default limit", async () => {
            for (let i = 0; i < DEFAULT_LIST_LIMIT + 5; i++) await notes.create(`note ${i}`);
            const res = await handleRequest(req("GET", "/api/notes"), deps);
            assert.equal(res.statusCode, 200);
            const listed = body(res).notes as Note[];
            assert.equal(listed.length, DEFAULT_LIST_LIMIT);
            assert.equal(listed[0]!.text, `note ${DEFAULT_LIST_LIMIT + 4}`);
        });

        for (const ok of ["1", "100", "007"]) {
            it(`accepts limit=${ok}`, async () => {
                const res = await handleRequest(req("GET", `/api/notes?limit=${ok}`), deps);
                assert.equal(res.statusCode, 200);
            });
        }
        for (const bad of ["0", "101", "abc", "1.5", "-1", "", "1e2", "99999999999", "1&limit=2"]) {
            it(`rejects limit=${bad} with 400`, async () => {
                const res = await handleRequest(req("GET", `/api/notes?limit=${bad}`), deps);
                assert.equal(res.statusCode, 400);
                assert.equal(body(res).error, "invalid_limit");
            });
        }
    });

    describe("POST /api/notes", () => {
        it("creates a note: 201, Location, the note back", async () => {
            const res = await handleRequest(
                req("POST", "/api/notes", { headers: JSON_HEADERS, body: '{"text":"hello"}' }),
                deps,
            );
            assert.equal(res.statusCode, 201);
            assert.equal(res.headers.location, "/api/notes/1");
            assert.deepEqual(body(res), { id: 1, text: "hello", createdAt: notes.notes[0]!.createdAt });
        });

        for (const type of [
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            'application/json; charset="utf-8"',
        ]) {
            it(`accepts Content-Type ${type}`, async () => {
                assert.ok(isJsonContentType(type));
                const res = await handleRequest(
                    req("POST", "/api/notes", { headers: { "content-type": type }, body: '{"text":"x"}' }),
                    deps,
                );
                assert.equal(res.statusCode, 201);
            });
        }

        for (const type of [
            undefined,
            "text/plain",
            "application/json; charset=latin1",
            "application/jsonx",
            "multipart/form-data",
        ]) {
            it(`answers 415 for Content-Type ${String(type)}`, async () => {
                const headers: Record<string, string> = type === undefined ? {} : { "content-type": type };
                const res = await handleRequest(req("POST", "/api/notes", { headers, body: '{"text":"x"}' }), deps);
                assert.equal(res.statusCode, 415);
                assert.equal(body(res).error, "unsupported_media_type");
                assert.equal(notes.notes.length, 0);
            });
        }

        for (const [label, raw] of [
            ["broken JSON", '{"text":'],
            ["empty body", ""],
            ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])],
        ] as const) {
            it(`answers 400 invalid_json for ${label}`, async () => {
                const res = await handleRequest(req("POST", "/api/notes", { headers: JSON_HEADERS, body: raw }), deps);
                assert.equal(res.statusCode, 400);
                assert.equal(body(res).error, "invalid_json");
            });
        }

        for (const [label, value] of [
            ["an array", [{ text: "x" }]],
            ["null", null],
            ["a string", "x"],
            ["no text", {}],
            ["a number text", { text: 1 }],
            ["a blank text", { text: " \n\t " }],
            ["a too long text", { text: "a".repeat(MAX_NOTE_LENGTH + 1) }],
            ["an unknown field", { text: "x", pinned: true }],
            ["a NUL character", { text: "a\u0000b" }],
        ] as const) {
            it(`answers 400 invalid_note for ${label}`, async () => {
                const res = await handleRequest(
                    req("POST", "/api/notes", { headers: JSON_HEADERS, body: JSON.stringify(value) }),
                    deps,
                );
                assert.equal(res.statusCode, 400);
                assert.equal(body(res).error, "invalid_note");
                assert.equal(notes.notes.length, 0);
            });
        }

        it("counts characters, not UTF-16 units: 1000 emoji are accepted", async () => {
            const res = await handleRequest(
                req("POST", "/api/notes", {
                    headers: JSON_HEADERS,
                    body: JSON.stringify({ text: "😀".repeat(MAX_NOTE_LENGTH) }),
                }),
                deps,
            );
            assert.equal(res.statusCode, 201);
        });

        it("answers 413 for a body over the limit", async () => {
            const res = await handleRequest(
                req("POST", "/api/notes", {
                    headers: JSON_HEADERS,
                    body: JSON.stringify({ text: "a".repeat(MAX_BODY_BYTES) }),
                }),
                deps,
            );
            assert.equal(res.statusCode, 413);
        });

        it("property: any JSON text yields 201 (stored exactly) or 400, never anything else", async () => {
            await fc.assert(
                fc.asyncProperty(
                    fc.oneof(fc.string({ maxLength: 1200 }), fc.string({ unit: "grapheme", maxLength: 50 })),
                    async (text) => {
                        const before = notes.notes.length;
                        const res = await handleRequest(
                            req("POST", "/api/notes", { headers: JSON_HEADERS, body: JSON.stringify({ text }) }),
                            deps,
                        );
                        const valid =
                            text.trim() !== "" && [...text].length <= MAX_NOTE_LENGTH && !text.includes("\u0000");
                        if (valid) {
                            assert.equal(res.statusCode, 201);
                            assert.equal(notes.notes[before]!.text, text);
                        } else {
                            assert.equal(res.statusCode, 400);
                            assert.equal(notes.notes.length, before);
                        }
                    },
                ),
                { numRuns: 200 },
            );
        });
    });

    describe("GET /api/notes/:id", () => {
        it("returns the note, 404 when absent", async () => {
            await notes.create("one");
            assert.equal((await handleRequest(req("GET", "/api/notes/1"), deps)).statusCode, 200);
            const missing = await handleRequest(req("GET", "/api/notes/2"), deps);
            assert.equal(missing.statusCode, 404);
            assert.equal(body(missing).error, "not_found");
            assert.equal((await handleRequest(req("GET", "/api/notes/99999999999999999999"), deps)).statusCode, 404);
        });

        for (const bad of ["abc", "0", "01", "-1", "1.0", "%20"]) {
            it(`answers 400 for id ${bad}`, async () => {
                const res = await handleRequest(req("GET", `/api/notes/${bad}`), deps);
                assert.equal(res.statusCode, 400);
                assert.equal(body(res).error, "invalid_id");
            });
        }
    });

    describe("unknown routes and methods", () => {
        for (const path of ["/", "/api", "/api/notes/1/x", "/api/notes/", "/healthz"]) {
            it(`404 JSON for ${path}`, async () => {
                const res = await handleRequest(req("GET", path), deps);
                assert.equal(res.statusCode, 404);
                assert.equal(body(res).error, "not_found");
                assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
            });
        }

        for (const [method, path, allow] of [
            ["DELETE", "/api/notes", "GET, POST"],
            ["PUT", "/api/notes/1", "GET"],
            ["POST", "/health", "GET"],
            ["HEAD", "/health", "GET"],
        ] as const) {
            it(`405 with Allow for ${method} ${path}`, async () => {
                const res = await handleRequest(req(method, path), deps);
                assert.equal(res.statusCode, 405);
                assert.equal(res.headers.allow, allow);
                assert.equal(body(res).error, "method_not_allowed");
            });
        }
    });

    describe("failures of the store", () => {
        it("503 when the database is unavailable, 500 otherwise; no error details in the body", async () => {
            const failing = (err: Error): RouterDeps => ({
                checkDatabase: async () => true,
                notes: {
                    list: () => Promise.reject(err),
                    create: () => Promise.reject(err),
                    get: () => Promise.reject(err),
                },
            });
            const unavailable = await handleRequest(
                req("GET", "/api/notes"),
                failing(new DatabaseUnavailableError({ name: "Error", message: "x", code: "ECONNREFUSED" })),
            );
            assert.equal(unavailable.statusCode, 503);
            assert.equal(unavailable.headers["retry-after"], "1");
            const broken = await handleRequest(
                req("GET", "/api/notes/1"),
                failing(new Error("boom with password=hunter2")),
            );
            assert.equal(broken.statusCode, 500);
            assert.deepEqual(body(broken), { error: "internal_error", message: "internal error" });
        });
    });
});

describe("app Lambda adapter (API Gateway HTTP API payload 2.0)", () => {
    const event = (overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 => ({
        version: "2.0",
        routeKey: "$default",
        rawPath: "/api/notes",
        rawQueryString: "limit=5",
        headers: { "Content-Type": "application/json" },
        requestContext: {
            accountId: "123456789012",
            apiId: "api",
            domainName: "api.example.com",
            domainPrefix: "api",
            http: {
                method: "post",
                path: "/api/notes",
                protocol: "HTTP/1.1",
                sourceIp: "203.0.113.1",
                userAgent: "test",
            },
            requestId: "req-1",
            routeKey: "$default",
            stage: "$default",
            time: "01/Jan/2024:00:00:00 +0000",
            timeEpoch: 1704067200000,
        },
        isBase64Encoded: false,
        ...overrides,
    });

    it("maps method, path, query, lower-cased headers and request id", () => {
        const r = requestFromEvent(event({ body: '{"text":"hi"}' }));
        assert.equal(r.method, "POST");
        assert.equal(r.path, "/api/notes");
        assert.equal(r.query.get("limit"), "5");
        assert.equal(r.headers["content-type"], "application/json");
        assert.equal(r.requestId, "req-1");
        assert.equal(Buffer.from(r.body!).toString(), '{"text":"hi"}');
    });

    it("decodes base64 bodies", () => {
        const r = requestFromEvent(
            event({ body: Buffer.from('{"text":"é"}').toString("base64"), isBase64Encoded: true }),
        );
        assert.equal(Buffer.from(r.body!).toString("utf8"), '{"text":"é"}');
    });

    it("strips a named stage prefix from rawPath", () => {
        const base = event();
        const r = requestFromEvent({
            ...base,
            rawPath: "/prod/api/notes",
            requestContext: { ...base.requestContext, stage: "prod" },
        });
        assert.equal(r.path, "/api/notes");
    });

    it("returns a structured v2 result", () => {
        const result = resultFromResponse({ statusCode: 201, headers: { location: "/api/notes/1" }, body: "{}" });
        assert.deepEqual(result, {
            statusCode: 201,
            headers: { location: "/api/notes/1" },
            body: "{}",
            isBase64Encoded: false,
        });
    });
});
