-- The least-privilege role the API connects as. Only the migration function uses the master
-- user. How app_user logs in (IAM via rds_iam, or a password from a secret) depends on the
-- deployment, so the migration function sets that after the migrations on every run
-- (app/src/app-role.ts), not here. Without either, app_user has no password and cannot log in.

-- Roles belong to the cluster, not the database: create it only once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN
    CREATE ROLE app_user LOGIN;
  END IF;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO app_user', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO app_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE notes TO app_user;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO app_user;

-- Tables and sequences later migrations create (as the migrating role) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO app_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO app_user;

-- The migration history is not the application's business.
REVOKE ALL ON TABLE public.schema_migrations FROM PUBLIC, app_user;

-- Before PostgreSQL 15 every role may create objects in schema public; the app must not.
-- (Where the migrating role does not own the schema this only warns.)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
