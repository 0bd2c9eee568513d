#!/bin/bash
# The standby's entry point: on first start, a base backup of the primary
# (pg_basebackup -R: standby.signal and primary_conninfo), streaming through
# the replication slot pg_replica under the application name that the
# primary's synchronous_standby_names waits for; then the postgres image's
# own entry point, which finds the data directory made and starts it.
set -euo pipefail
umask 077
printf '*:*:*:replicator:%s\n' "$(cat /run/secrets/replication_password)" > "$HOME/.pgpass"
export PGPASSFILE=$HOME/.pgpass
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h pg-primary -p 5432 -q; do sleep 1; done
  pg_basebackup -h pg-primary -p 5432 -U replicator -D "$PGDATA" -X stream -S pg_replica \
                -R -c fast
  cat >> "$PGDATA/postgresql.auto.conf" <<CONF
primary_conninfo = 'host=pg-primary port=5432 user=replicator passfile=$HOME/.pgpass application_name=pg_replica'
primary_slot_name = 'pg_replica'
CONF
fi
exec docker-entrypoint.sh postgres -c hot_standby=on
