/*  Upgrades: a database with data in it, at any older schema, is moved to
 *  the newest by kompassd without losing anything.
 *
 *  For each migration of sql/ but the last, in turn: a new database with
 *  the migrations up to it applied (as an older kompassd would have left
 *  it) and the fixtures of those migrations loaded (tests/data/upgrade/, one
 *  per migration, of the same name: the test fails naming a missing one);
 *  then a kompassd of this build starts on it and applies the rest. Every
 *  table that existed before must have the same rows in the columns it had
 *  (except columns a later migration declares it rewrites), the users of
 *  the fixtures must still be able to log in, and `kompass audit verify`
 *  must pass (the fixtures' events are hashed as kompassd hashes them). The first round starts from
 *  the first schema; a new migration is covered by adding its fixture.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "migrate.h"
#include "util.h"

#define MAX_TABLES  128
#define FIXTURE_DIR KP_SOURCE_DIR "/tests/data/upgrade"

typedef struct {
    char name[128];
    char columns[4096]; /* quoted, comma-separated, as they were before */
    char fingerprint[80];
} table_state;

static int s_count_migrations(void)
{
    int n = 0;
    while (kp_migrations[n].name)
        n++;
    return n;
}

/* The fixture of migration m (malloc'd). */
static char *s_fixture(const kp_migration *m)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, m->name);
    char *text = kp_read_file(path, 1024 * 1024, NULL);
    cr_assert(text,
              "migration %s has no upgrade fixture %s: add one with rows as a database at that "
              "schema holds them (tests/data/upgrade/README.md)",
              m->name, path);
    return text;
}

static PGconn *s_connect(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

static void s_exec(PGconn *c, const char *sql, const char *what)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", what,
              PQresultErrorMessage(r));
    PQclear(r);
}

/* Fingerprint of table's rows over columns. */
static void s_fingerprint(PGconn *c, const char *table, const char *columns, char *out, size_t len)
{
    char sql[5000];
    /* names come from the catalogue, quoted: no input here */
    snprintf(sql, sizeof sql,
             "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY "
             "t::text)), '') FROM (SELECT %s FROM %s) t",
             columns, table);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", table, PQresultErrorMessage(r));
    kp_strlcpy(out, PQgetvalue(r, 0, 0), len);
    PQclear(r);
}

/* Whether table.column is declared rewritten by a migration from index
 * `from` on ("-- upgrade-changes: table.column" in its fixture). */
static int s_declared_changed(int from, const char *table, const char *column)
{
    char want[300];
    snprintf(want, sizeof want, "-- upgrade-changes: %s.%s", table, column);
    for (int i = from; kp_migrations[i].name; i++) {
        char *text = s_fixture(&kp_migrations[i]);
        int found = 0;
        for (char *p = strstr(text, want); p && !found; p = strstr(p + 1, want)) {
            char after = p[strlen(want)];
            found = (p == text || p[-1] == '\n') &&
                    (after == '\n' || after == '\0' || after == ' ' || after == '\r');
        }
        free(text);
        if (found) return 1;
    }
    return 0;
}

/* Every table of the public schema with its columns now (those not
 * declared rewritten by migrations from index `from` on) and their
 * fingerprint. Returns the count. */
static int s_snapshot(PGconn *c, int from, table_state *tables)
{
    PGresult *r =
        PQexec(c, "SELECT c.table_name, string_agg(quote_ident(c.column_name), ',' ORDER BY "
                  "c.ordinal_position), string_agg(c.column_name, ',' ORDER BY c.ordinal_position) "
                  "FROM information_schema.columns c JOIN information_schema.tables t "
                  "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                  "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
                  "GROUP BY c.table_name ORDER BY c.table_name");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    int n = PQntuples(r);
    cr_assert_leq(n, MAX_TABLES);
    for (int i = 0; i < n; i++) {
        table_state *t = &tables[i];
        kp_strlcpy(t->name, PQgetvalue(r, i, 0), sizeof t->name);
        /* keep the columns no later migration says it rewrites */
        char quoted[4096], plain[4096];
        kp_strlcpy(quoted, PQgetvalue(r, i, 1), sizeof quoted);
        kp_strlcpy(plain, PQgetvalue(r, i, 2), sizeof plain);
        t->columns[0] = '\0';
        char *qs = NULL, *ps = NULL;
        char *q = strtok_r(quoted, ",", &qs), *p = strtok_r(plain, ",", &ps);
        for (; q && p; q = strtok_r(NULL, ",", &qs), p = strtok_r(NULL, ",", &ps)) {
            if (s_declared_changed(from, t->name, p)) continue;
            if (t->columns[0]) strncat(t->columns, ",", sizeof t->columns - strlen(t->columns) - 1);
            strncat(t->columns, q, sizeof t->columns - strlen(t->columns) - 1);
        }
        char quoted_table[300];
        snprintf(quoted_table, sizeof quoted_table, "\"%s\"", t->name);
        if (t->columns[0])
            s_fingerprint(c, quoted_table, t->columns, t->fingerprint, sizeof t->fingerprint);
        else
            t->fingerprint[0] = '\0';
    }
    PQclear(r);
    return n;
}

/* One round: the database at migrations[0..upto], filled, then upgraded. */
static void s_round(int upto, int total)
{
    char dbname[64], conninfo[1024];
    th_db_create(dbname, sizeof dbname, conninfo, sizeof conninfo);
    PGconn *c = s_connect(conninfo);

    /* The older schema, as an older kompassd would have left it. */
    kp_migration older[256];
    for (int i = 0; i <= upto; i++)
        older[i] = kp_migrations[i];
    older[upto + 1] = (kp_migration){NULL, NULL};
    char err[1200];
    int applied = kp_migrate(c, older, err, sizeof err);
    cr_assert_eq(applied, upto + 1, "applying the first %d migrations: %s", upto + 1, err);
    for (int i = 0; i <= upto; i++) {
        char *sql = s_fixture(&kp_migrations[i]);
        char what[300];
        snprintf(what, sizeof what, "loading the fixture of %s at schema %s", kp_migrations[i].name,
                 kp_migrations[upto].name);
        s_exec(c, sql, what);
        free(sql);
    }
    static table_state before[MAX_TABLES], after[MAX_TABLES];
    int n_before = s_snapshot(c, upto + 1, before);
    PQfinish(c);

    /* This kompassd moves it to the newest schema. */
    th_opts o = {0};
    o.dbname = dbname;
    th_server *s = th_server_start_opts(&o);
    char *log = th_server_log(s);
    char want[64];
    snprintf(want, sizeof want, "(%d applied now)", total - upto - 1);
    cr_assert(strstr(log, want), "from %s: expected %s in:\n%s", kp_migrations[upto].name, want,
              log);
    free(log);

    c = s_connect(conninfo);
    int n_after = s_snapshot(c, upto + 1, after);
    cr_assert_geq(n_after, n_before);
    for (int i = 0; i < n_before; i++) {
        if (!before[i].columns[0]) continue;
        char now[80], quoted_table[300];
        snprintf(quoted_table, sizeof quoted_table, "\"%s\"", before[i].name);
        int exists = 0;
        for (int k = 0; k < n_after && !exists; k++)
            exists = strcmp(after[k].name, before[i].name) == 0;
        cr_assert(exists, "upgrading from %s dropped table %s", kp_migrations[upto].name,
                  before[i].name);
        s_fingerprint(c, quoted_table, before[i].columns, now, sizeof now);
        /* schema_migrations gains rows: compare the ones that were there */
        if (strcmp(before[i].name, "schema_migrations") == 0) continue;
        cr_assert_str_eq(now, before[i].fingerprint,
                         "upgrading from %s changed the rows of %s (columns %s): %s before, %s "
                         "after",
                         kp_migrations[upto].name, before[i].name, before[i].columns,
                         before[i].fingerprint, now);
    }
    PGresult *r = PQexec(c, "SELECT count(*) FROM schema_migrations");
    cr_assert_eq(atoi(PQgetvalue(r, 0, 0)), total);
    PQclear(r);
    r = PQexec(c, "SELECT count(*) FROM users WHERE login = 'ewa'");
    int has_ewa = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 1;
    PQclear(r);
    PQfinish(c);

    /* And the data still works: the fixtures' users log in. */
    if (has_ewa) {
        char home[400];
        th_home(s, "ewa", home, sizeof home);
        th_login(s, home, "ewa", "Ewa-Luvo-secret-2017");
        th_home(s, "admin-old", home, sizeof home);
        th_login(s, home, "admin", "Upgrade-admin-pw-2016");
        char *out = NULL, *err2 = NULL;
        cr_assert_eq(th_cli_as(s, home, NULL, &out, &err2, "user", "list", NULL), 0, "%s", err2);
        cr_assert(strstr(out, "Ewa Luvö") && strstr(out, "Västerås stad"), "%s", out);
        free(out);
        free(err2);
        /* the audit chains came through intact, and go on */
        cr_assert_eq(th_cli_as(s, home, NULL, &out, &err2, "audit", "verify", NULL), 0,
                     "audit verify after upgrading from %s: %s%s", kp_migrations[upto].name, out,
                     err2);
        free(out);
        free(err2);
    }
    cr_log_info("from %s: %d tables kept their rows, %d migrations applied by kompassd",
                kp_migrations[upto].name, n_before, total - upto - 1);
    th_server_free(&s); /* drops the database */
}

Test(upgrade, every_migration_has_a_fixture)
{
    for (const kp_migration *m = kp_migrations; m->name; m++)
        free(s_fixture(m));
}

Test(upgrade, from_every_older_schema_with_data_to_the_newest_without_loss, .timeout = 600)
{
    int total = s_count_migrations();
    cr_assert_geq(total, 2, "nothing to upgrade");
    for (int upto = 0; upto < total - 1; upto++)
        s_round(upto, total);
}

/* The comparison above is only worth something if a lost row shows: a
 * migration that deletes a row must fail it. */
Test(upgrade, the_check_sees_a_migration_that_loses_a_row, .timeout = 120)
{
    char dbname[64], conninfo[1024];
    th_db_create(dbname, sizeof dbname, conninfo, sizeof conninfo);
    PGconn *c = s_connect(conninfo);
    kp_migration first[2] = {kp_migrations[0], {NULL, NULL}};
    char err[1200];
    cr_assert_eq(kp_migrate(c, first, err, sizeof err), 1, "%s", err);
    char *sql = s_fixture(&kp_migrations[0]);
    s_exec(c, sql, "fixture");
    free(sql);
    static table_state before[MAX_TABLES];
    int n = s_snapshot(c, 1, before);
    kp_migration bad[3] = {
        kp_migrations[0], {"002_loses_a_row.sql", "DELETE FROM installation"}, {NULL, NULL}};
    cr_assert_eq(kp_migrate(c, bad, err, sizeof err), 1, "%s", err);
    int differs = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(before[i].name, "installation") != 0) continue;
        char now[80];
        s_fingerprint(c, "\"installation\"", before[i].columns, now, sizeof now);
        differs = strcmp(now, before[i].fingerprint) != 0;
    }
    cr_assert(differs, "a deleted row went unnoticed");
    PQfinish(c);
    char admin[1024], drop[160];
    th_db_conninfo("postgres", admin, sizeof admin);
    c = s_connect(admin);
    snprintf(drop, sizeof drop, "DROP DATABASE %s WITH (FORCE)", dbname);
    s_exec(c, drop, "dropping the database");
    PQfinish(c);
}
