/** Errors shared by the data layer and the router (no `pg` import, so the router stays pure). */

/** The database cannot be reached, refused us, or gave up on a query: the API answers 503, not 500. */
export class DatabaseUnavailableError extends Error {
    constructor(readonly reason: { name: string; message: string; code?: string }) {
        super(`database unavailable: ${reason.code ?? reason.name}`);
        this.name = "DatabaseUnavailableError";
    }
}
