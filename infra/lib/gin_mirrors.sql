-- GIN twins for FerretDB's btree indexes (see pg_gin_mirrors in postgres.sh). Idempotent.
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION techbank_gin_mirror(idx oid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  tbl regclass;
  field text;
  twin text;
BEGIN
  SELECT i.indrelid::regclass,
         substring(pg_get_indexdef(idx, 1, true) from '^\(_jsonb -> ''([^'']+)''::text\)$'),
         left(c.relname, 59) || '_gin'
    INTO tbl, field, twin
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
   WHERE i.indexrelid = idx AND a.amname = 'btree' AND NOT i.indisprimary;
  IF field IS NULL OR field = '_id' THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops)',
                 twin, tbl, field);
END
$fn$;

CREATE OR REPLACE FUNCTION techbank_gin_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands()
                  WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM techbank_gin_mirror(created.objid);
  END LOOP;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS techbank_gin_mirrors;
CREATE EVENT TRIGGER techbank_gin_mirrors ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION techbank_gin_on_create_index();

SELECT techbank_gin_mirror(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');
