#!/bin/sh
# The image's entry point: the database password from a compose secret into
# a passfile libpq accepts (its own, mode 0600: a mounted secret is readable
# by others, which libpq refuses), then the command (kompassd by default).
set -eu
if [ -r /run/secrets/kompass_db_password ]; then
  umask 077
  printf '*:*:*:kompass:%s\n' "$(cat /run/secrets/kompass_db_password)" > /var/lib/kompass/.pgpass
  export PGPASSFILE=/var/lib/kompass/.pgpass
fi
exec "$@"
