/*  Backups, both ways docs/deploy.md gives: `kompass admin backup FILE`
 *  (kompassd runs pg_dump and sends the dump back in pieces) and
 *  deploy/kompass-backup (pg_dump where the database is reachable). Each is
 *  restored as the documentation says, into a fresh database (for the
 *  first, in a fresh PostgreSQL cluster, as after losing the machine), and
 *  every table must come back with the same contents; a kompassd on the
 *  restored database must serve it.
 *
 *  The restore is deploy/kompass-restore (pg_restore, after making the
 *  roles the dump grants to in a cluster that lacks them), and `kompass
 *  audit verify` must pass against the restored server: the audit chains
 *  came back intact, and go on.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "backup.h"
#include "harness.h"
#include "pgcluster.h"
#include "util.h"

#define EWA_PW "Ewa-Luvo-secret-2017"

/* Every table's row count and an MD5 of its rows, without what the
 * backup's own requests write after the dump was taken: the session touch
 * of each call, and the security log's record of the backup. One line per
 * table (malloc'd). */
static char *s_fingerprint(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *tables =
        PQexec(c, "SELECT quote_ident(table_name) FROM information_schema.tables "
                  "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1");
    cr_assert_eq(PQresultStatus(tables), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(tables));
    cr_assert_gt(PQntuples(tables), 3);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (int i = 0; i < PQntuples(tables); i++) {
        const char *t = PQgetvalue(tables, i, 0);
        char sql[600];
        /* names come from the catalogue, quoted: no input here */
        snprintf(sql, sizeof sql,
                 "SELECT count(*) || ':' || coalesce(md5(string_agg(j::text, '|' ORDER BY "
                 "j::text)), '') FROM (SELECT to_jsonb(x) - 'last_used_at' - 'idle_expires_at' "
                 "AS j FROM %s x WHERE to_jsonb(x)->>'kind' IS DISTINCT FROM 'backup') y",
                 t);
        PGresult *r = PQexec(c, sql);
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
        char line[300];
        int n = snprintf(line, sizeof line, "%s=%s\n", t, PQgetvalue(r, 0, 0));
        PQclear(r);
        if (len + (size_t)n + 1 > cap) out = realloc(out, cap = 2 * (len + (size_t)n + 1));
        memcpy(out + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    PQclear(tables);
    PQfinish(c);
    return out;
}

/* Users, roles, organisations and the security log's volume: enough that a
 * restore which loses anything shows, and a dump of several pieces. */
static void s_fill(th_server *s)
{
    char *out = NULL, *err = NULL;
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    th_user_add(s, "kim", "observer", "Kim-Kontakt-secret-1");
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "kim", NULL), 0,
                 "%s", err);
    free(out);
    free(err);
    /* a failed login: a security_log row */
    char home[400];
    th_home(s, "ewa", home, sizeof home);
    th_cli_as(s, home, "wrong-password-123\n", &out, &err, "login", "ewa", "--password-stdin",
              NULL);
    free(out);
    free(err);
    free(th_sql(s, "UPDATE users SET full_name = 'Ewa Luvö', organisation = 'Borås Stad' "
                   "WHERE login = 'ewa'"));
    /* bulk: about 6 MB of rows that do not compress well */
    free(th_sql(s, "INSERT INTO security_log (kind, login, detail) "
                   "SELECT 'login_failed', 'bulk' || g, md5(random()::text) || "
                   "md5(random()::text) FROM generate_series(1, 100000) g"));
}

static int s_file_sha256(const char *path, char out[65])
{
    size_t len;
    char *data = kp_read_file(path, 512 * 1024 * 1024, &len);
    if (!data) return -1;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (unsigned char *)data, len);
    kp_hex(h, sizeof h, out);
    free(data);
    return (int)(len > 0);
}

/* deploy/kompass-restore FILE with KOMPASS_DB=conninfo: its exit code,
 * stderr in *err (may be NULL). */
static int s_restore_script(const char *conninfo, const char *file, char **err)
{
    char script[600];
    snprintf(script, sizeof script, "%s/deploy/kompass-restore", KP_SOURCE_DIR);
    setenv("KOMPASS_DB", conninfo, 1);
    const char *argv[] = {script, file, NULL};
    char *out = NULL, *e = NULL;
    int rc = th_run(argv, NULL, &out, &e, 120000);
    unsetenv("KOMPASS_DB");
    free(out);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

/* The restore docs/deploy.md gives, into conninfo's (new, empty) database. */
static void s_restore(const char *conninfo, const char *file)
{
    char *err = NULL;
    int rc = s_restore_script(conninfo, file, &err);
    cr_assert_eq(rc, 0, "kompass-restore exited %d: %s", rc, err);
    free(err);
}

/* `kompass audit verify` against s: every chain intact. */
static void s_audit_verify(th_server *s)
{
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, th_admin(s), NULL, &out, &err, "audit", "verify", NULL);
    cr_assert_eq(rc, 0, "kompass audit verify exited %d: %s%s", rc, out, err);
    free(out);
    free(err);
}

/* The logins of `kompass --json user list` on s, with role and active. */
static char *s_users(th_server *s, const char *home)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "--json", "user", "list", NULL), 0, "%s",
                 err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    char *summary = calloc(1, 4096);
    json_t *u;
    size_t i;
    json_array_foreach(json_object_get(doc, "users"), i, u)
    {
        char line[200];
        snprintf(line, sizeof line, "%s/%s/%s/%s;", json_string_value(json_object_get(u, "login")),
                 json_string_value(json_object_get(u, "role")),
                 json_is_true(json_object_get(u, "active")) ? "active" : "disabled",
                 json_string_value(json_object_get(u, "organisation")));
        strncat(summary, line, 4095 - strlen(summary));
    }
    json_decref(doc);
    free(out);
    free(err);
    return summary;
}

static kp_pgcluster s_fresh;
static char s_fresh_dir[64];
static int s_fresh_up;

static void s_fresh_stop(void)
{
    if (s_fresh_up) kp_pgcluster_crash(&s_fresh);
    s_fresh_up = 0;
    if (strncmp(s_fresh_dir, "/tmp/kompass-bk-", 16) == 0) {
        const char *rm[] = {"/bin/rm", "-rf", s_fresh_dir, NULL};
        th_run(rm, NULL, NULL, NULL, 60000);
    }
}

Test(backup, admin_backup_restored_into_a_fresh_cluster_is_the_same_database, .timeout = 400,
     .fini = s_fresh_stop)
{
    th_server *s = th_server_start(NULL);
    s_fill(s);
    char *users_before = s_users(s, th_admin(s));

    char file[400], *out = NULL, *err = NULL;
    snprintf(file, sizeof file, "%s/kompass.dump", s->dir);
    int rc = th_cli_as(s, th_admin(s), NULL, &out, &err, "--json", "admin", "backup", file, NULL);
    cr_assert_eq(rc, 0, "admin backup exited %d: %s%s", rc, out, err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    char sha[65];
    cr_assert_eq(s_file_sha256(file, sha), 1, "no backup file");
    cr_assert_str_eq(sha, json_string_value(json_object_get(doc, "sha256")));
    struct stat st;
    cr_assert_eq(stat(file, &st), 0);
    cr_assert_eq((long long)st.st_size, json_integer_value(json_object_get(doc, "bytes")));
    cr_assert_gt(st.st_size, 2 * KP_BACKUP_PIECE, "the dump should need several pieces");
    cr_assert_eq(st.st_mode & 077, 0, "the dump is readable by others");
    json_decref(doc);
    free(out);
    free(err);
    /* the server's copy is gone once the client has it all */
    char backups[400];
    snprintf(backups, sizeof backups, "ls -A '%s/backups' | wc -l", s->dir);
    FILE *p = popen(backups, "r");
    int left = -1;
    cr_assert_eq(fscanf(p, "%d", &left), 1);
    pclose(p);
    cr_assert_eq(left, 0, "the server kept %d files in %s/backups", left, s->dir);
    s_audit_verify(s);
    /* who took it, in the security log */
    char *logged = th_sql(s, "SELECT login || ' ' || detail FROM security_log WHERE kind = "
                             "'backup'");
    cr_assert(logged && strstr(logged, "admin backup ") && strstr(logged, sha), "%s",
              logged ? logged : "(no backup in the security log)");
    free(logged);
    char *before = s_fingerprint(s->conninfo);
    cr_assert_eq(th_server_stop(s), 0);

    /* A new machine: a new cluster, a new database, the documented restore. */
    kp_strlcpy(s_fresh_dir, "/tmp/kompass-bk-XXXXXX", sizeof s_fresh_dir);
    cr_assert(mkdtemp(s_fresh_dir));
    chmod(s_fresh_dir, 0755);
    char pgdir[128];
    snprintf(pgdir, sizeof pgdir, "%s/pg", s_fresh_dir);
    cr_assert_eq(kp_pgcluster_open(&s_fresh, pgdir, NULL), 0, "%s", s_fresh.error);
    cr_assert_eq(kp_pgcluster_init(&s_fresh), 1, "%s", s_fresh.error);
    cr_assert_eq(kp_pgcluster_start(&s_fresh), 0, "%s", s_fresh.error);
    s_fresh_up = 1;
    char admin[2400], conninfo[2400];
    kp_pgcluster_conninfo(&s_fresh, "postgres", admin, sizeof admin);
    PGconn *c = PQconnectdb(admin);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "CREATE DATABASE kompass_restored"));
    PQfinish(c);
    kp_pgcluster_conninfo(&s_fresh, "kompass_restored", conninfo, sizeof conninfo);
    s_restore(conninfo, file);
    char *after = s_fingerprint(conninfo);
    cr_assert_str_eq(after, before, "the restored database differs:\n%s\nfrom the original:\n%s",
                     after, before);

    /* kompassd on it: nothing to migrate, the users are there and can log in. */
    th_opts o = {0};
    o.conninfo = conninfo;
    th_server *restored = th_server_start_opts(&o);
    char *log = th_server_log(restored);
    cr_assert(strstr(log, "(0 applied now)"), "%s", log);
    free(log);
    char home[400];
    th_home(restored, "ewa", home, sizeof home);
    th_login(restored, home, "ewa", EWA_PW);
    char *users_after = s_users(restored, th_admin(restored));
    cr_assert_str_eq(users_after, users_before);
    cr_assert(strstr(users_after, "kim/observer/disabled"), "%s", users_after);
    cr_assert(strstr(users_after, "Borås Stad"), "%s", users_after);
    cr_assert_eq(th_cli_as(restored, th_admin(restored), NULL, &out, &err, "admin", "health", NULL),
                 0, "%s%s", out, err);
    free(out);
    free(err);
    s_audit_verify(restored);
    /* and the chains go on: a change after the restore, verified again */
    th_user_add(restored, "anna", "evaluator", "Anna-Eklund-secret-1");
    s_audit_verify(restored);

    /* The script refuses a database that is not empty. */
    cr_assert_eq(s_restore_script(conninfo, file, &err), 1);
    cr_assert(strstr(err, "is not empty"), "%s", err);
    free(err);
    free(users_before);
    free(users_after);
    free(before);
    free(after);
    th_server_free(&restored);
    th_server_free(&s);
}

Test(backup, the_documented_pg_dump_script_keeps_restorable_dumps, .timeout = 300)
{
    th_server *s = th_server_start(NULL);
    s_fill(s);
    char dir[400], script[600];
    snprintf(dir, sizeof dir, "%s/nightly", s->dir);
    snprintf(script, sizeof script, "%s/deploy/kompass-backup", KP_SOURCE_DIR);
    setenv("KOMPASS_DB", s->conninfo, 1);
    char *newest = NULL;
    for (int i = 0; i < 3; i++) {
        if (i) sleep(1); /* names are to the second */
        const char *argv[] = {script, dir, "2", NULL};
        char *out = NULL, *err = NULL;
        int rc = th_run(argv, NULL, &out, &err, 120000);
        cr_assert_eq(rc, 0, "kompass-backup exited %d: %s%s", rc, out, err);
        kp_trim(out);
        free(newest);
        newest = out;
        free(err);
    }
    char count[500];
    snprintf(count, sizeof count, "ls '%s' | grep -c '^kompass-.*\\.dump$'", dir);
    FILE *p = popen(count, "r");
    int kept = 0;
    cr_assert_eq(fscanf(p, "%d", &kept), 1);
    pclose(p);
    cr_assert_eq(kept, 2, "KEEP 2 kept %d dumps", kept);
    struct stat st;
    cr_assert_eq(stat(newest, &st), 0, "%s", newest);
    cr_assert_eq(st.st_mode & 077, 0, "the dump is readable by others");

    /* A password in the string is refused: it would show in `ps`. */
    char with_pw[1200];
    snprintf(with_pw, sizeof with_pw, "%s password=secret", s->conninfo);
    setenv("KOMPASS_DB", with_pw, 1);
    const char *argv[] = {script, dir, NULL};
    char *err = NULL;
    cr_assert_eq(th_run(argv, NULL, NULL, &err, 60000), 2);
    cr_assert(strstr(err, "passfile"), "%s", err);
    free(err);
    unsetenv("KOMPASS_DB");

    char *before = s_fingerprint(s->conninfo);
    char dbname[64], conninfo[1024];
    th_db_create(dbname, sizeof dbname, conninfo, sizeof conninfo);
    s_restore(conninfo, newest);
    char *after = s_fingerprint(conninfo);
    cr_assert_str_eq(after, before);
    th_opts o = {0};
    o.dbname = dbname;
    th_server *restored = th_server_start_opts(&o);
    char home[400];
    th_home(restored, "ewa", home, sizeof home);
    th_login(restored, home, "ewa", EWA_PW);
    s_audit_verify(restored);
    th_server_free(&restored); /* drops dbname */
    free(before);
    free(after);
    free(newest);
    th_server_free(&s);
}

static kp_request *s_backup_req(kp_arena *a, const char *token, const char *id, uint64_t offset)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    req->body_case = KOMPASS__V1__REQUEST__BODY_BACKUP;
    req->backup = kp_arena_zalloc(a, sizeof *req->backup);
    kompass__v1__backup_request__init(req->backup);
    req->backup->backup_id = kp_arena_strdup(a, id);
    req->backup->offset = offset;
    req->session_token = kp_arena_strdup(a, token);
    return req;
}

Test(backup, bad_requests_get_sentences, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    kp_arena *a = kp_arena_new();
    void *sock = th_dealer(s);
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    struct {
        const char *id;
        uint64_t offset;
        int status;
        const char *says;
    } cases[] = {
        {"../../etc/passwd", 0, KOMPASS__V1__STATUS__BAD_REQUEST, "is not a backup id"},
        {"0123456789abcdef0123456789abcdef", 0, KOMPASS__V1__STATUS__NOT_FOUND, "no backup"},
        {"", 5, KOMPASS__V1__STATUS__BAD_REQUEST, "starts at offset 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kp_response *r =
            th_call(sock, a, s_backup_req(a, token, cases[i].id, cases[i].offset), 60000);
        cr_assert(r);
        cr_assert_eq(r->status, cases[i].status, "%s: %s", cases[i].id, r->error);
        cr_assert(strstr(r->error, cases[i].says), "%s", r->error);
    }
    /* a real one, then an offset beyond its end */
    kp_response *r = th_call(sock, a, s_backup_req(a, token, "", 0), 120000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK, "%s", r ? r->error : "");
    cr_assert_eq(strlen(r->backup->backup_id), 32);
    cr_assert_eq(r->backup->data.len, r->backup->total_bytes, "a small dump is one piece");
    const char *id = kp_arena_strdup(a, r->backup->backup_id);
    uint64_t total = r->backup->total_bytes;
    r = th_call(sock, a, s_backup_req(a, token, id, total + 1), 60000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert(strstr(r->error, "beyond the end"), "%s", r->error);
    /* the end: the server lets go of it */
    r = th_call(sock, a, s_backup_req(a, token, id, total), 60000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK && r->backup->data.len == 0);
    r = th_call(sock, a, s_backup_req(a, token, id, 0), 60000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__NOT_FOUND);

    /* The CLI does not overwrite a file unless told to. */
    char file[400], *err = NULL;
    snprintf(file, sizeof file, "%s/exists.dump", s->dir);
    cr_assert_eq(kp_write_file(file, "x", 1, 0600), 0);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, NULL, &err, "admin", "backup", file, NULL), 2);
    cr_assert(strstr(err, "exists; choose another name, or --force"), "%s", err);
    free(err);
    cr_assert_eq(
        th_cli_as(s, th_admin(s), NULL, NULL, &err, "admin", "backup", file, "--force", NULL), 0,
        "%s", err);
    free(err);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(backup, without_pg_dump_the_error_says_what_to_install, .timeout = 120)
{
    setenv("KOMPASS_PG_BINDIR", "/nonexistent", 1);
    th_server *s = th_server_start(NULL); /* not embedded: needs no initdb */
    unsetenv("KOMPASS_PG_BINDIR");
    char file[400], *err = NULL;
    snprintf(file, sizeof file, "%s/never.dump", s->dir);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, NULL, &err, "admin", "backup", file, NULL), 1);
    cr_assert(strstr(err, "cannot run /nonexistent/pg_dump"), "%s", err);
    cr_assert(strstr(err, "KOMPASS_PG_BINDIR"), "%s", err);
    free(err);
    cr_assert_neq(access(file, F_OK), 0, "a failed backup left %s", file);
    char part[500];
    snprintf(part, sizeof part, "%s.part", file);
    cr_assert_neq(access(part, F_OK), 0, "a failed backup left %s", part);
    th_server_free(&s);
}
