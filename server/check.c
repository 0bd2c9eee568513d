/*  check: `kompassd --check-config` (see check.h). */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libpq-fe.h>
#include <net/if.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "db.h"
#include "keys.h"
#include "migrate.h"
#include "util.h"

/* What the check asks the database; prepared on its own connection (the
 * workers' statements need the newest schema, which may not be there). */
static const kp_stmt s_stmts[] = {
    {"check_server",
     "SELECT current_setting('server_version'), pg_is_in_recovery(), current_user, "
     "  current_database(), current_setting('max_connections')::int, "
     "  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), "
     "  has_schema_privilege('public', 'CREATE'), "
     "  to_regclass('public.schema_migrations') IS NOT NULL"},
    {NULL, NULL},
};
static const kp_stmt s_migrations_stmt = {
    "check_migrations", "SELECT name, checksum FROM schema_migrations ORDER BY name"};

typedef struct {
    FILE *out;
    int failed, warned;
} report;

static void s_line(report *rp, const char *verdict, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_line(report *rp, const char *verdict, const char *what, const char *fmt, ...)
{
    if (strcmp(verdict, "FAIL") == 0) rp->failed++;
    if (strcmp(verdict, "warn") == 0) rp->warned++;
    fprintf(rp->out, "%-5s %-9s ", verdict, what);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(rp->out, fmt, ap);
    va_end(ap);
    fputc('\n', rp->out);
}

/* Whether endpoint could serve clients: 0, or -1 with why. */
static int s_endpoint(const char *ep, char *why, size_t len)
{
    if (strncmp(ep, "ipc://", 6) == 0) {
        const char *path = ep + 6;
        if (!*path || strcmp(path, "*") == 0) {
            snprintf(why, len, "an ipc:// endpoint needs a path clients can find");
            return -1;
        }
        char dir[1024];
        kp_strlcpy(dir, path, sizeof dir);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            kp_strlcpy(dir, ".", sizeof dir);
        if (access(dir, W_OK | X_OK) != 0) {
            snprintf(why, len, "cannot make a socket in %.300s: %s", dir, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (strncmp(ep, "tcp://", 6) != 0) {
        snprintf(why, len, "only tcp://HOST:PORT and ipc://PATH endpoints serve clients");
        return -1;
    }
    char host[512];
    kp_strlcpy(host, ep + 6, sizeof host);
    char *colon = strrchr(host, ':');
    if (!colon || colon == host) {
        snprintf(why, len, "expected tcp://HOST:PORT");
        return -1;
    }
    *colon = '\0';
    const char *port = colon + 1;
    if (strcmp(port, "*") != 0) {
        char *end;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 1 || p > 65535) {
            snprintf(why, len, "port '%s' is not a number from 1 to 65535 (or *)", port);
            return -1;
        }
    }
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    unsigned char addr[16];
    if (strcmp(host, "*") == 0 || inet_pton(AF_INET, host, addr) == 1 ||
        inet_pton(AF_INET6, host, addr) == 1 || if_nametoindex(host) != 0)
        return 0;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(why, len,
                 "host '%s' is neither an address, an interface nor a name that "
                 "resolves (%s)",
                 host, gai_strerror(rc));
        return -1;
    }
    freeaddrinfo(res);
    return 0;
}

static void s_check_endpoints(report *rp, const kp_config *cfg)
{
    const char *names[2] = {"listen", "publish"};
    const char *eps[2] = {cfg->listen, cfg->publish};
    for (int i = 0; i < 2; i++) {
        char why[600];
        if (s_endpoint(eps[i], why, sizeof why) != 0)
            s_line(rp, "FAIL", names[i], "%s: %s", eps[i], why);
        else
            s_line(rp, "ok", names[i], "%s%s", eps[i],
                   cfg->insecure ? " (plain text: --insecure)" : " (CURVE)");
    }
    if (strcmp(cfg->listen, cfg->publish) == 0 && strstr(cfg->listen, ":*") == NULL)
        s_line(rp, "FAIL", "endpoints", "listen and publish are both %s: they need two",
               cfg->listen);
}

static void s_check_data_dir(report *rp, const kp_config *cfg)
{
    struct stat st;
    if (stat(cfg->data_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            s_line(rp, "FAIL", "data dir", "%s is not a directory", cfg->data_dir);
        else if (access(cfg->data_dir, W_OK | X_OK) != 0)
            s_line(rp, "FAIL", "data dir", "%s is not writable by this user: %s", cfg->data_dir,
                   strerror(errno));
        else
            s_line(rp, "ok", "data dir", "%s", cfg->data_dir);
        return;
    }
    char parent[1024];
    kp_strlcpy(parent, cfg->data_dir, sizeof parent);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else
        kp_strlcpy(parent, slash ? "/" : ".", sizeof parent);
    if (access(parent, W_OK | X_OK) == 0)
        s_line(rp, "ok", "data dir", "%s does not exist yet: kompassd makes it", cfg->data_dir);
    else
        s_line(rp, "FAIL", "data dir", "%s does not exist and %s is not writable: %s",
               cfg->data_dir, parent, strerror(errno));
}

static void s_check_keys(report *rp, const kp_config *cfg)
{
    if (cfg->insecure) {
        s_line(rp, "warn", "keys", "--insecure: no CURVE; requests travel in plain text");
        return;
    }
    char pub[KP_CURVE_KEY_LEN + 1], err[1200];
    int rc = kp_keys_check(cfg->data_dir, pub, err, sizeof err);
    if (rc == 1)
        s_line(rp, "warn", "keys",
               "no key pair in %s/curve yet: kompassd makes one at its first start (clients "
               "then need its public key: kompassd --print-public-key)",
               cfg->data_dir);
    else if (rc < 0)
        s_line(rp, "FAIL", "keys", "%s", err);
    else
        s_line(rp, "ok", "keys", "%s/curve, public key %s", cfg->data_dir, pub);
}

/* Runs a statement prepared on c; NULL (and a FAIL line) on error. */
static PGresult *s_run(report *rp, PGconn *c, const kp_stmt *st)
{
    PGresult *r = PQprepare(c, st->name, st->sql, 0, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) s_line(rp, "FAIL", "database", "%s", PQresultErrorMessage(r));
    PQclear(r);
    if (!ok) return NULL;
    r = PQexecPrepared(c, st->name, 0, NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        s_line(rp, "FAIL", "database", "%s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* The schema against the migrations compiled in. */
static void s_check_schema(report *rp, PGconn *c, int has_table, int can_create)
{
    int known = 0;
    for (const kp_migration *m = kp_migrations; m->name; m++)
        known++;
    PGresult *r = has_table ? s_run(rp, c, &s_migrations_stmt) : NULL;
    if (has_table && !r) return;
    int applied = r ? PQntuples(r) : 0, pending = 0, unknown = 0, changed = 0;
    const char *first_pending = NULL, *first_unknown = NULL, *first_changed = NULL;
    for (const kp_migration *m = kp_migrations; m->name; m++) {
        int found = -1;
        for (int i = 0; i < applied && found < 0; i++)
            if (strcmp(PQgetvalue(r, i, 0), m->name) == 0) found = i;
        if (found < 0) {
            if (!pending++) first_pending = m->name;
            continue;
        }
        char hex[65];
        kp_migrate_checksum(m->sql, hex);
        if (strcmp(hex, PQgetvalue(r, found, 1)) != 0 && !changed++) first_changed = m->name;
    }
    for (int i = 0; i < applied; i++) {
        int found = 0;
        for (const kp_migration *m = kp_migrations; m->name && !found; m++)
            found = strcmp(PQgetvalue(r, i, 0), m->name) == 0;
        if (!found && !unknown++) first_unknown = PQgetvalue(r, i, 0);
    }
    if (unknown)
        s_line(rp, "warn", "schema",
               "the database has %d migration%s this kompassd does not know (%s...): a newer "
               "kompassd migrated it; run that version",
               unknown, unknown == 1 ? "" : "s", first_unknown);
    if (changed)
        s_line(rp, "warn", "schema", "%s differs from the migration applied under that name",
               first_changed);
    if (pending && !can_create)
        s_line(rp, "FAIL", "schema",
               "%d migration%s to apply (from %s), but this role may not create tables in "
               "schema public",
               pending, pending == 1 ? "" : "s", first_pending);
    else if (pending == known)
        s_line(rp, "ok", "schema", "empty database: kompassd applies %d migrations at start",
               known);
    else if (pending)
        s_line(rp, "ok", "schema", "%d migration%s to apply at the next start, from %s", pending,
               pending == 1 ? "" : "s", first_pending);
    else if (!unknown)
        s_line(rp, "ok", "schema", "current at %s", kp_migrate_latest(kp_migrations));
    PQclear(r);
}

/* Connection string facts: several hosts without target_session_attrs. */
static void s_check_conninfo(report *rp, const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        s_line(rp, "FAIL", "database", "the connection string cannot be read: %s",
               err ? err : "out of memory");
        PQfreemem(err);
        return;
    }
    const char *host = NULL, *tsa = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "host") == 0) host = o->val;
        if (strcmp(o->keyword, "target_session_attrs") == 0) tsa = o->val;
    }
    if (host && strchr(host, ',') &&
        !(tsa && (strcmp(tsa, "read-write") == 0 || strcmp(tsa, "primary") == 0)))
        s_line(rp, "warn", "database",
               "several hosts (%s) without target_session_attrs=read-write: after a failover "
               "kompassd may connect to a standby and answer every write UNAVAILABLE",
               host);
    PQconninfoFree(opts);
}

static void s_check_database(report *rp, const kp_config *cfg, const char *conninfo)
{
    if (cfg->db[0]) s_check_conninfo(rp, conninfo);
    PGconn *c = kp_db_connect(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[1024];
        kp_strlcpy(msg, PQerrorMessage(c), sizeof msg);
        for (char *p = msg; *p; p++)
            if (*p == '\n' || *p == '\t') *p = ' ';
        s_line(rp, "FAIL", "database", "cannot connect: %s", kp_trim(msg));
        PQfinish(c);
        return;
    }
    PGresult *r = s_run(rp, c, &s_stmts[0]);
    if (!r) {
        PQfinish(c);
        return;
    }
    const char *host = PQhost(c), *port = PQport(c);
    int standby = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    int max_conn = atoi(PQgetvalue(r, 0, 4)), used = atoi(PQgetvalue(r, 0, 5));
    if (standby)
        s_line(rp, "FAIL", "database",
               "%s:%s is a standby (read-only): kompassd needs the primary (with several "
               "hosts, add target_session_attrs=read-write)",
               host ? host : "?", port ? port : "?");
    else
        s_line(rp, "ok", "database", "%s:%s, database %s as %s, PostgreSQL %s, primary",
               host ? host : "?", port ? port : "?", PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 2),
               PQgetvalue(r, 0, 0));
    /* each worker holds one connection; migrations and backups one more */
    if (cfg->workers + 2 > max_conn - used)
        s_line(rp, "warn", "database",
               "%d workers need %d connections; max_connections is %d and %d are in use",
               cfg->workers, cfg->workers + 2, max_conn, used);
    int can_create = strcmp(PQgetvalue(r, 0, 6), "t") == 0;
    int has_table = strcmp(PQgetvalue(r, 0, 7), "t") == 0;
    PQclear(r);
    s_check_schema(rp, c, has_table, can_create);
    PQfinish(c);
}

/* The embedded cluster: its programs, its user, whether it exists and runs. */
static void s_check_embedded(report *rp, const kp_config *cfg)
{
    const char *env = getenv("KOMPASS_PG_BINDIR");
    const char *bindir = env && *env ? env : KOMPASS_PG_BINDIR;
    const char *progs[] = {"initdb", "pg_ctl", "postgres"};
    for (int i = 0; i < 3; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", bindir, progs[i]);
        if (access(path, X_OK) != 0) {
            s_line(rp, "FAIL", "database",
                   "no --db, so the embedded cluster, which needs %s: %s (install "
                   "postgresql-15, or set KOMPASS_PG_BINDIR)",
                   path, strerror(errno));
            return;
        }
    }
    if (geteuid() == 0) {
        const char *user = cfg->pg_user[0] ? cfg->pg_user : NULL;
        struct passwd *pw = user ? getpwnam(user) : getpwnam("kompass");
        if (!pw && !user) pw = getpwnam("postgres");
        if (!pw || pw->pw_uid == 0) {
            s_line(rp, "FAIL", "database",
                   "run as root, the embedded cluster needs an unprivileged user (%s)",
                   user ? user : "kompass or postgres");
            return;
        }
    }
    char version[1200];
    snprintf(version, sizeof version, "%s/pg/data/PG_VERSION", cfg->data_dir);
    if (access(version, F_OK) != 0) {
        s_line(rp, "ok", "database",
               "embedded cluster: not made yet; kompassd makes it in %s/pg at its first start",
               cfg->data_dir);
        return;
    }
    char pid[1200];
    snprintf(pid, sizeof pid, "%s/pg/data/postmaster.pid", cfg->data_dir);
    if (access(pid, F_OK) != 0) {
        s_line(rp, "ok", "database",
               "embedded cluster in %s/pg, not running: kompassd starts it (schema checked then)",
               cfg->data_dir);
        return;
    }
    char conninfo[2400];
    snprintf(conninfo, sizeof conninfo, "host='%s/pg' port=5432 dbname=kompass user=kompass",
             cfg->data_dir);
    s_check_database(rp, cfg, conninfo);
}

static void s_check_pg_dump(report *rp)
{
    const char *env = getenv("KOMPASS_PG_BINDIR");
    char path[700];
    snprintf(path, sizeof path, "%s/pg_dump", env && *env ? env : KOMPASS_PG_BINDIR);
    if (access(path, X_OK) != 0)
        s_line(rp, "warn", "backups",
               "%s: %s; `kompass admin backup` will fail (install the PostgreSQL client "
               "programs, or set KOMPASS_PG_BINDIR)",
               path, strerror(errno));
    else
        s_line(rp, "ok", "backups", "%s for `kompass admin backup`", path);
}

int kp_check_config(const kp_config *cfg, FILE *out)
{
    report rp = {out, 0, 0};
    fprintf(out, "kompassd %s: checking the configuration (nothing is started)\n", KOMPASS_VERSION);
    char conf[1200];
    snprintf(conf, sizeof conf, "%s/kompassd.conf", cfg->data_dir);
    char shown[4096] = "", pw[1100] = "", err[600];
    if (cfg->db[0] &&
        kp_backup_split_password(cfg->db, shown, sizeof shown, pw, sizeof pw, err, sizeof err) != 0)
        kp_strlcpy(shown, "(unreadable)", sizeof shown);
    s_line(&rp, "ok", "settings",
           "%s%s; database %s%s; %d workers; sessions %d s idle, %d s at most",
           access(conf, F_OK) == 0 ? "read " : "no ", conf,
           cfg->db[0] ? shown : "embedded (no --db)", cfg->db[0] && pw[0] ? " password=***" : "",
           cfg->workers, cfg->session_idle, cfg->session_max);
    s_check_data_dir(&rp, cfg);
    s_check_keys(&rp, cfg);
    s_check_endpoints(&rp, cfg);
    if (cfg->db[0])
        s_check_database(&rp, cfg, cfg->db);
    else
        s_check_embedded(&rp, cfg);
    s_check_pg_dump(&rp);
    if (rp.failed)
        fprintf(out, "configuration NOT usable: %d problem%s, %d warning%s\n", rp.failed,
                rp.failed == 1 ? "" : "s", rp.warned, rp.warned == 1 ? "" : "s");
    else
        fprintf(out, "configuration OK (%d warning%s)\n", rp.warned, rp.warned == 1 ? "" : "s");
    return rp.failed ? 1 : 0;
}
