-- The reference application's data: short text notes, listed newest first.
CREATE TABLE notes (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  text       text        NOT NULL CONSTRAINT notes_text_length CHECK (char_length(text) BETWEEN 1 AND 1000),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notes_created_at_id_idx ON notes (created_at DESC, id DESC);
