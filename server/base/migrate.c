/*  migrate: moves the database schema forward at start-up. */
#include "migrate.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* Arbitrary, fixed: "KOMPASS" in ASCII, the advisory lock for migrations. */
#define MIGRATION_LOCK "75793284703107923"

static int s_exec(PGconn *conn, const char *sql, char *err, size_t errlen, const char *what)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

void kp_migrate_checksum(const char *sql, char hex[65])
{
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)sql, strlen(sql), NULL, 0);
    kp_hex(hash, sizeof hash, hex);
}

const char *kp_migrate_latest(const kp_migration *table)
{
    const char *last = NULL;
    for (const kp_migration *m = table; m->name; m++)
        last = m->name;
    return last;
}

int kp_migrate(PGconn *conn, const kp_migration *table, char *err, size_t errlen)
{
    if (s_exec(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", err, errlen,
               "cannot take the migration lock") != 0)
        return -1;
    int applied = 0;
    if (s_exec(conn,
               "SET client_min_messages = warning;"
               "CREATE TABLE IF NOT EXISTS schema_migrations ("
               "  name text PRIMARY KEY,"
               "  checksum text NOT NULL,"
               "  applied_at timestamptz NOT NULL DEFAULT now())",
               err, errlen, "cannot create schema_migrations") != 0) {
        applied = -1;
        goto out;
    }
    for (const kp_migration *m = table; m->name; m++) {
        char hex[65];
        kp_migrate_checksum(m->sql, hex);

        const char *params[1] = {m->name};
        PGresult *r = PQexecParams(conn, "SELECT checksum FROM schema_migrations WHERE name = $1",
                                   1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "cannot read schema_migrations: %s", PQresultErrorMessage(r));
            PQclear(r);
            applied = -1;
            goto out;
        }
        int done = PQntuples(r) > 0;
        if (done && strcmp(PQgetvalue(r, 0, 0), hex) != 0)
            kp_warn("migrate",
                    "%s was changed after it was applied (checksum differs); "
                    "migrations must never be edited once released",
                    m->name);
        PQclear(r);
        if (done) continue;

        char what[256];
        snprintf(what, sizeof what, "migration %s failed", m->name);
        if (s_exec(conn, "BEGIN", err, errlen, what) != 0 ||
            s_exec(conn, m->sql, err, errlen, what) != 0) {
            PQclear(PQexec(conn, "ROLLBACK"));
            applied = -1;
            goto out;
        }
        const char *ins[2] = {m->name, hex};
        r = PQexecParams(conn, "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", 2,
                         NULL, ins, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(r));
        PQclear(r);
        if (!ok || s_exec(conn, "COMMIT", err, errlen, what) != 0) {
            PQclear(PQexec(conn, "ROLLBACK"));
            applied = -1;
            goto out;
        }
        kp_info("migrate", "applied %s", m->name);
        applied++;
    }
out:
    PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")"));
    /* newline-free for the one-line log */
    if (applied < 0)
        for (char *p = err; *p; p++)
            if (*p == '\n') *p = ' ';
    return applied;
}
