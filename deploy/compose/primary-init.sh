#!/bin/bash
# Runs once, when the primary's data directory is made (the postgres image's
# /docker-entrypoint-initdb.d): the role kompassd connects as and owns the
# database with (CREATEROLE: sql/003_audit.sql makes the role kompass_app),
# the database, a replication role for the standby, and pg_hba lines for both.
set -euo pipefail
kompass_pw=$(cat /run/secrets/kompass_db_password)
repl_pw=$(cat /run/secrets/replication_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v kompass_pw="$kompass_pw" -v repl_pw="$repl_pw" <<'SQL'
CREATE ROLE kompass LOGIN CREATEROLE PASSWORD :'kompass_pw';
CREATE DATABASE kompass OWNER kompass ENCODING 'UTF8' TEMPLATE template0;
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'repl_pw';
SELECT pg_create_physical_replication_slot('pg_replica');
SQL
cat >> "$PGDATA/pg_hba.conf" <<'HBA'
host replication replicator all scram-sha-256
host kompass     kompass    all scram-sha-256
HBA
