/**
 * The HTTP API as a pure function: {@link ApiRequest} in, {@link ApiResponse} out.
 *
 * No framework and no I/O of its own: the Lambda adapter (`lambda.ts`) and the Node server
 * (`server.ts`) translate their transport to and from these plain objects, and the data comes
 * through {@link RouterDeps}, so tests drive the whole API with an in-memory store.
 *
 * Routes (health paths from ../contract):
 *   GET  /health/live     200 {status:"ok"}: liveness, never touches the database
 *   GET  /health          200 {status:"ok", database:"ok"} | 503 {status:"error", database:"unavailable"}: readiness
 *   GET  /api/notes       ?limit=1..100 (default 20), newest first
 *   POST /api/notes       JSON {"text": "..."} (1..1000 characters) -> 201 + Location
 *   GET  /api/notes/:id
 *   GET  /api/me          200 {subject, scopes, via, claims}: who signed in at the public entry | 401 without sign-in
 * Errors are JSON `{error, message}`: 400, 404, 405 (+ Allow), 413, 415, 500, 503.
 */
import { HEALTH_PATHS } from "../contract";
import type { Caller } from "./caller";
import { DatabaseUnavailableError } from "./errors";
import { describeError, type Logger, silentLogger } from "./log";
import type { Note, NotesRepository } from "./notes";

export interface ApiRequest {
    readonly method: string;
    /** Path without query string, e.g. `/api/notes/3`. */
    readonly path: string;
    readonly query: URLSearchParams;
    /** Header names in lower case. */
    readonly headers: Readonly<Record<string, string | undefined>>;
    readonly body?: Uint8Array | undefined;
    /** For log correlation (API Gateway request id, or one the server makes up). */
    readonly requestId?: string | undefined;
    /** Who signed in at the public entry (see caller.ts); undefined without sign-in. */
    readonly caller?: Caller | undefined;
}

export interface ApiResponse {
    readonly statusCode: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
}

export interface RouterDeps {
    readonly notes: NotesRepository;
    /** True when the database answers. Must not throw. */
    checkDatabase(): Promise<boolean>;
    readonly log?: Logger;
}

export const MAX_NOTE_LENGTH = 1000;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
/** Largest request body accepted (bytes). A maximal note is at most ~4 KB of UTF-8. */
export const MAX_BODY_BYTES = 16 * 1024;

const BASE_HEADERS: Readonly<Record<string, string>> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
};

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
    return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function problem(statusCode: number, error: string, message: string, headers?: Record<string, string>): ApiResponse {
    return json(statusCode, { error, message }, headers);
}

type Handler = (req: ApiRequest, deps: RouterDeps, params: readonly string[]) => Promise<ApiResponse>;

interface Route {
    readonly pattern: RegExp;
    readonly methods: Readonly<Record<string, Handler>>;
}

/** Liveness: the process answers. Never touches the database, so a database blip drains nothing. */
async function live(): Promise<ApiResponse> {
    return json(200, { status: "ok" });
}

/** Readiness: the database answers. */
async function ready(_req: ApiRequest, deps: RouterDeps): Promise<ApiResponse> {
    let ok: boolean;
    try {
        ok = await deps.checkDatabase();
    } catch {
        ok = false;
    }
    return ok ? json(200, { status: "ok", database: "ok" }) : json(503, { status: "error", database: "unavailable" });
}

/** Parses `limit`: absent = default; otherwise exactly one decimal integer 1..MAX. */
export function parseLimit(query: URLSearchParams): number | undefined {
    const values = query.getAll("limit");
    if (values.length === 0) return DEFAULT_LIST_LIMIT;
    if (values.length > 1 || !/^[0-9]{1,4}$/.test(values[0]!)) return undefined;
    const limit = Number(values[0]);
    return limit >= 1 && limit <= MAX_LIST_LIMIT ? limit : undefined;
}

async function listNotes(req: ApiRequest, deps: RouterDeps): Promise<ApiResponse> {
    const limit = parseLimit(req.query);
    if (limit === undefined) {
        return problem(400, "invalid_limit", `limit must be a single integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    const notes = await deps.notes.list(limit);
    return json(200, { notes });
}

/** True for `application/json` with no charset or a UTF-8 one. */
export function isJsonContentType(value: string | undefined): boolean {
    if (value === undefined) return false;
    const [type, ...params] = value.split(";").map((part) => part.trim().toLowerCase());
    if (type !== "application/json") return false;
    for (const param of params) {
        const [name, raw = ""] = param.split("=").map((s) => s.trim());
        if (name === "charset" && raw.replace(/^"|"$/g, "") !== "utf-8" && raw.replace(/^"|"$/g, "") !== "utf8")
            return false;
    }
    return true;
}

export type NoteInput = { ok: true; text: string } | { ok: false; message: string };

/** Validates a decoded JSON body for POST /api/notes. */
export function validateNoteInput(value: unknown): NoteInput {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return { ok: false, message: 'body must be a JSON object {"text": string}' };
    }
    const unknownKeys = Object.keys(value).filter((k) => k !== "text");
    if (unknownKeys.length > 0) {
        return {
            ok: false,
            message: `unknown field(s): ${unknownKeys
                .slice(0, 5)
                .map((k) => JSON.stringify(k.slice(0, 40)))
                .join(", ")}`,
        };
    }
    const text = (value as { text?: unknown }).text;
    if (typeof text !== "string") return { ok: false, message: "text must be a string" };
    if (text.trim() === "") return { ok: false, message: "text must not be empty" };
    // Characters as PostgreSQL's char_length counts them (code points, not UTF-16 units).
    if ([...text].length > MAX_NOTE_LENGTH)
        return { ok: false, message: `text must be at most ${MAX_NOTE_LENGTH} characters` };
    if (text.includes("\u0000")) return { ok: false, message: "text must not contain NUL characters" };
    return { ok: true, text };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function createNote(req: ApiRequest, deps: RouterDeps): Promise<ApiResponse> {
    if (!isJsonContentType(req.headers["content-type"])) {
        return problem(415, "unsupported_media_type", "Content-Type must be application/json (UTF-8)");
    }
    const body = req.body ?? new Uint8Array();
    if (body.byteLength > MAX_BODY_BYTES) {
        return problem(413, "payload_too_large", `body must be at most ${MAX_BODY_BYTES} bytes`);
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(utf8.decode(body));
    } catch {
        return problem(400, "invalid_json", "body must be valid UTF-8 JSON");
    }
    const input = validateNoteInput(parsed);
    if (!input.ok) return problem(400, "invalid_note", input.message);
    const note: Note = await deps.notes.create(input.text);
    return json(201, note, { location: `/api/notes/${note.id}` });
}

async function getNote(_req: ApiRequest, deps: RouterDeps, params: readonly string[]): Promise<ApiResponse> {
    const raw = params[0]!;
    if (!/^[1-9][0-9]*$/.test(raw)) return problem(400, "invalid_id", "id must be a positive integer");
    const id = Number(raw);
    const note = Number.isSafeInteger(id) ? await deps.notes.get(id) : undefined;
    return note === undefined ? problem(404, "not_found", "note not found") : json(200, note);
}

/** The caller as the public entry established it; 401 when nobody signed in (or sign-in is off). */
async function me(req: ApiRequest): Promise<ApiResponse> {
    const c = req.caller;
    if (c === undefined) return problem(401, "unauthenticated", "nobody signed in at the public entry");
    return json(200, { subject: c.subject, scopes: c.scopes, via: c.via, claims: c.claims });
}

function exactPath(path: string): RegExp {
    return new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
}

const ROUTES: readonly Route[] = [
    { pattern: exactPath(HEALTH_PATHS.liveness), methods: { GET: live } },
    { pattern: exactPath(HEALTH_PATHS.readiness), methods: { GET: ready } },
    { pattern: /^\/api\/notes$/, methods: { GET: listNotes, POST: createNote } },
    { pattern: /^\/api\/notes\/([^/]+)$/, methods: { GET: getNote } },
    { pattern: /^\/api\/me$/, methods: { GET: me } },
];

/** Routes one request. Never throws: unexpected errors become 500 (or 503 when the database is unavailable). */
export async function handleRequest(req: ApiRequest, deps: RouterDeps): Promise<ApiResponse> {
    const log = deps.log ?? silentLogger;
    for (const route of ROUTES) {
        const match = route.pattern.exec(req.path);
        if (match === null) continue;
        const handler = route.methods[req.method];
        if (handler === undefined) {
            const allow = Object.keys(route.methods).join(", ");
            return problem(405, "method_not_allowed", `method ${req.method} is not allowed here; use ${allow}`, {
                allow,
            });
        }
        try {
            return await handler(req, deps, match.slice(1).map(decodeSegment));
        } catch (err) {
            if (err instanceof DatabaseUnavailableError) {
                log.warn("database unavailable", {
                    requestId: req.requestId,
                    method: req.method,
                    route: route.pattern.source,
                    error: err.reason,
                });
                return problem(503, "service_unavailable", "the database is unavailable; retry later", {
                    "retry-after": "1",
                });
            }
            log.error("unhandled error", {
                requestId: req.requestId,
                method: req.method,
                route: route.pattern.source,
                error: describeError(err),
            });
            return problem(500, "internal_error", "internal error");
        }
    }
    return problem(404, "not_found", "no such route");
}

function decodeSegment(segment: string): string {
    try {
        return decodeURIComponent(segment);
    } catch {
        return segment;
    }
}
