/** The notes store: SQL over the `notes` table (see migrations/0001_create_notes.sql). */
import type { QueryResult, QueryResultRow } from "pg";

export interface Note {
    readonly id: number;
    readonly text: string;
    /** ISO 8601, UTC. */
    readonly createdAt: string;
}

export interface NotesRepository {
    /** Newest first. */
    list(limit: number): Promise<Note[]>;
    create(text: string): Promise<Note>;
    get(id: number): Promise<Note | undefined>;
}

/** Anything that runs a parameterised query (`Database`, a `pg` Pool or Client). */
export interface Queryable {
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

interface NoteRow {
    id: string; // bigint arrives as a string
    text: string;
    created_at: Date;
}

function toNote(row: NoteRow): Note {
    return { id: Number(row.id), text: row.text, createdAt: row.created_at.toISOString() };
}

const COLUMNS = "id, text, created_at";

export class PgNotesRepository implements NotesRepository {
    constructor(private readonly db: Queryable) {}

    async list(limit: number): Promise<Note[]> {
        const result = await this.db.query<NoteRow>(
            `SELECT ${COLUMNS} FROM notes ORDER BY created_at DESC, id DESC LIMIT $1`,
            [limit],
        );
        return result.rows.map(toNote);
    }

    async create(text: string): Promise<Note> {
        const result = await this.db.query<NoteRow>(`INSERT INTO notes (text) VALUES ($1) RETURNING ${COLUMNS}`, [
            text,
        ]);
        return toNote(result.rows[0]!);
    }

    async get(id: number): Promise<Note | undefined> {
        const result = await this.db.query<NoteRow>(`SELECT ${COLUMNS} FROM notes WHERE id = $1`, [id]);
        return result.rows[0] === undefined ? undefined : toNote(result.rows[0]);
    }
}
