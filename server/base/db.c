/*  db: one worker's PostgreSQL connection and its prepared statements. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "status.h"
#include "util.h"

struct kp_db {
    char *conninfo;
    PGconn *conn;         /* NULL when not connected */
    int64_t last_attempt; /* kp_mono_ms() of the last failed connect */
    char error[512];
    char sqlstate[6];
    /* The transaction levels (db.h), outermost first: KP_TX_GROUP, then
     * KP_TX_REQUEST; depth 0 is KP_TX_NONE. */
    kp_tx_level levels[2];
    int depth;
    int held;          /* at KP_TX_REQUEST: the handler's commit came; still open */
    int broken;        /* the connection broke under a group or a held transaction */
    uint64_t connects; /* connections made so far (kp_db_connects) */
};

/* The statement sets every new connection prepares (kp_db_use_statements):
 * registered once, before the first connection, and only read after. */
static const kp_stmt *const *s_sets;

void kp_db_use_statements(const kp_stmt *const *sets)
{
    s_sets = sets;
}

PGconn *kp_db_connect(const char *conninfo)
{
    /* Defaults that the conninfo may override (it comes last, expanded):
     * a connection attempt, and a connection to a host that vanished
     * without a word, must end in seconds, not when TCP gives up. */
    static const char *const keys[] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          NULL};
    const char *values[] = {"5", "1", "10", "5", "3", "20000", conninfo, NULL};
    return PQconnectdbParams(keys, values, 1);
}

kp_db *kp_db_new(const char *conninfo)
{
    kp_db *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->conninfo = strdup(conninfo);
    if (!self->conninfo) {
        free(self);
        return NULL;
    }
    self->last_attempt = -1000000;
    return self;
}

void kp_db_destroy(kp_db **self_p)
{
    if (!self_p || !*self_p) return;
    kp_db *self = *self_p;
    if (self->conn) PQfinish(self->conn);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

kp_tx_level kp_db_level(const kp_db *self)
{
    return self->depth ? self->levels[self->depth - 1] : KP_TX_NONE;
}

/* Whether a group commit's transaction is open (at any depth). */
static int s_in_group(const kp_db *self)
{
    return self->depth && self->levels[0] == KP_TX_GROUP;
}

static void s_push(kp_db *self, kp_tx_level level)
{
    self->levels[self->depth++] = level;
}

static void s_pop(kp_db *self, kp_tx_level level)
{
    if (kp_db_level(self) == level) self->depth--;
}

static void s_set_error(kp_db *self, const char *msg)
{
    kp_strlcpy(self->error, msg ? msg : "", sizeof self->error);
    /* libpq messages end in a newline, and may span lines */
    for (char *p = self->error; *p; p++)
        if (*p == '\n') *p = ' ';
    kp_trim(self->error);
}

/* Forgets a connection that broke. The next request tries to connect at
 * once (a failover's new primary may be there already); only failed
 * attempts to connect wait 500 ms before the next. */
static void s_drop(kp_db *self)
{
    if (self->conn) PQfinish(self->conn);
    self->conn = NULL;
    /* A held transaction, or a group's, died with its connection: nothing
     * more may run as part of it (on a new connection it would commit on
     * its own). */
    if (self->held || s_in_group(self)) self->broken = 1;
}

/* PostgreSQL's notices (e.g. a search query of only stop words) go to the
 * log at debug level, one line, instead of libpq's raw stderr. */
static void s_notice(void *arg, const char *message)
{
    (void)arg;
    char line[512];
    kp_strlcpy(line, message, sizeof line);
    for (char *p = line; *p; p++)
        if (*p == '\n') *p = ' ';
    kp_trim(line);
    kp_debug("db", "notice: %s", line);
}

int kp_db_ensure(kp_db *self)
{
    if (self->conn && PQstatus(self->conn) == CONNECTION_OK) return KP_OK;
    if (self->conn) s_drop(self);
    if (kp_mono_ms() - self->last_attempt < 500) return KP_UNAVAILABLE;

    PGconn *conn = kp_db_connect(self->conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        s_set_error(self, PQerrorMessage(conn));
        PQfinish(conn);
        self->last_attempt = kp_mono_ms();
        return KP_UNAVAILABLE;
    }
    /* Times are UTC everywhere; a hung statement must not hold a worker.
     * Work as kompass_app, which may only read and append the audit trail
     * (sql/003_audit.sql, docs/audit.md): migrations ran as the owner. */
    PGresult *r = PQexec(conn, "SET TIME ZONE 'UTC'; SET statement_timeout = '30s'; "
                               "SET lock_timeout = '10s'; SET ROLE kompass_app");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) kp_error("db", "cannot set up the session: %s", PQresultErrorMessage(r));
    PQclear(r);
    for (int s = 0; ok && s_sets && s_sets[s]; s++)
        for (const kp_stmt *st = s_sets[s]; ok && st->name; st++) {
            r = PQprepare(conn, st->name, st->sql, 0, NULL);
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                kp_error("db", "cannot prepare statement %s: %s", st->name,
                         PQresultErrorMessage(r));
                ok = 0;
            }
            PQclear(r);
        }
    if (!ok) {
        s_set_error(self, PQerrorMessage(conn));
        PQfinish(conn);
        self->last_attempt = kp_mono_ms();
        return KP_UNAVAILABLE;
    }
    PQsetNoticeProcessor(conn, s_notice, NULL);
    self->conn = conn;
    self->connects++;
    self->error[0] = '\0';
    return KP_OK;
}

/* Maps a failed result to a status, keeping the message and SQLSTATE. */
static int s_fail(kp_db *self, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    kp_strlcpy(self->sqlstate, state ? state : "", sizeof self->sqlstate);
    s_set_error(self, r ? PQresultErrorMessage(r) : PQerrorMessage(self->conn));
    if (!self->error[0]) s_set_error(self, PQerrorMessage(self->conn));
    /* No SQLSTATE: libpq's own error, the connection's failure (libpq may
     * not have marked the connection bad yet when the server vanished). */
    if (PQstatus(self->conn) != CONNECTION_OK || !state) {
        s_drop(self);
        return KP_UNAVAILABLE;
    }
    /* 55P03: lock_timeout passed waiting, e.g. for a busy audit chain: the
     * server is overloaded, not wrong; nothing was written, retry. */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strcmp(state, "53300") == 0 || strcmp(state, "55P03") == 0)
        return KP_UNAVAILABLE;
    /* A read-only node (a standby, or a primary being demoted): let go of
     * it, so that the next connection finds the writable one. */
    if (strcmp(state, "25006") == 0) {
        s_drop(self);
        return KP_UNAVAILABLE;
    }
    if (strcmp(state, "23505") == 0 || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return KP_CONFLICT;
    if (strcmp(state, "23514") == 0 || strcmp(state, "22P02") == 0 || strcmp(state, "22007") == 0 ||
        strcmp(state, "22008") == 0 || strcmp(state, "22001") == 0 || strcmp(state, "22003") == 0)
        return KP_BAD_REQUEST;
    return KP_INTERNAL;
}

/* KP_UNAVAILABLE when a held or group transaction was lost (s_drop). */
static int s_check_lost(kp_db *self)
{
    if (!self->broken) return KP_OK;
    s_set_error(self, "the connection to the database broke during the transaction");
    return KP_UNAVAILABLE;
}

int kp_db_call(kp_db *self, const char *name, int nparams, const char *const *params,
               PGresult **out)
{
    if (out) *out = NULL;
    if (s_check_lost(self) != KP_OK) return KP_UNAVAILABLE;
    int rc = kp_db_ensure(self);
    if (rc != KP_OK) return rc;
    PGresult *r = PQexecPrepared(self->conn, name, nparams, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = s_fail(self, r);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return KP_OK;
}

static void s_clear(void *res)
{
    PQclear(res);
}

int kp_db_call_in(kp_db *self, kp_arena *arena, const char *name, int nparams,
                  const char *const *params, PGresult **out)
{
    int rc = kp_db_call(self, name, nparams, params, out);
    if (out && *out) kp_arena_on_reset(arena, s_clear, *out);
    return rc;
}

static int s_simple(kp_db *self, const char *sql)
{
    if (s_check_lost(self) != KP_OK) return KP_UNAVAILABLE;
    int rc = kp_db_ensure(self);
    if (rc != KP_OK) return rc;
    PGresult *r = PQexec(self->conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = s_fail(self, r);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    return KP_OK;
}

/* COMMIT, and a failure when PostgreSQL answers it with ROLLBACK. */
static int s_commit(kp_db *self)
{
    if (s_check_lost(self) != KP_OK) return KP_UNAVAILABLE;
    int rc = kp_db_ensure(self);
    if (rc != KP_OK) return rc;
    PGresult *r = PQexec(self->conn, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = s_fail(self, r);
        PQclear(r);
        return rc;
    }
    if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
        kp_strlcpy(self->sqlstate, "40000", sizeof self->sqlstate);
        s_set_error(self, "the transaction was rolled back: a statement in it had failed");
        rc = KP_INTERNAL;
    }
    PQclear(r);
    return rc;
}

static void s_rollback(kp_db *self)
{
    if (!self->conn || PQstatus(self->conn) != CONNECTION_OK) return;
    PGresult *r = PQexec(self->conn, "ROLLBACK");
    PQclear(r);
}

/* In a group, a handler's transaction is a savepoint of the group's. */
#define TX_SAVEPOINT "SAVEPOINT kp_tx"
#define TX_RELEASE   "RELEASE SAVEPOINT kp_tx"
#define TX_ROLLBACK  "ROLLBACK TO SAVEPOINT kp_tx; RELEASE SAVEPOINT kp_tx"

/* Back to the handler's savepoint; never fails visibly (a broken group
 * fails at its COMMIT). */
static void s_rollback_savepoint(kp_db *self)
{
    if (!self->conn || PQstatus(self->conn) != CONNECTION_OK) return;
    PGresult *r = PQexec(self->conn, TX_ROLLBACK);
    PQclear(r);
}

/* The end of a handler's transaction: COMMIT, or RELEASE of its savepoint
 * in a group (whose COMMIT comes later, kp_db_batch_commit). */
static int s_end_commit(kp_db *self)
{
    return s_in_group(self) ? s_simple(self, TX_RELEASE) : s_commit(self);
}

/* The end of a handler's transaction that undoes it. */
static void s_end_rollback(kp_db *self)
{
    if (s_in_group(self))
        s_rollback_savepoint(self);
    else
        s_rollback(self);
}

int kp_db_begin(kp_db *self)
{
    if (self->held) {
        self->held = 0;
        int rc = s_end_commit(self);
        if (rc != KP_OK) return rc;
    }
    return s_simple(self, s_in_group(self) ? TX_SAVEPOINT : "BEGIN");
}

int kp_db_begin_read(kp_db *self)
{
    return s_simple(self, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

int kp_db_commit(kp_db *self)
{
    if (kp_db_level(self) == KP_TX_REQUEST && self->conn &&
        PQtransactionStatus(self->conn) == PQTRANS_INTRANS) {
        self->held = 1;
        return KP_OK;
    }
    return s_end_commit(self);
}

void kp_db_rollback(kp_db *self)
{
    if (self->held) return;
    s_end_rollback(self);
}

void kp_db_hold_commits(kp_db *self)
{
    if (kp_db_level(self) != KP_TX_REQUEST) s_push(self, KP_TX_REQUEST);
    self->held = 0;
    if (!s_in_group(self)) self->broken = 0;
}

int kp_db_holding(const kp_db *self)
{
    return self->held;
}

int kp_db_release(kp_db *self, int commit)
{
    int rc = KP_OK;
    if (self->held) {
        if (commit)
            rc = s_end_commit(self);
        else
            s_end_rollback(self);
    }
    s_pop(self, KP_TX_REQUEST);
    self->held = 0;
    if (!s_in_group(self)) self->broken = 0;
    return rc;
}

int kp_db_batch_begin(kp_db *self)
{
    self->broken = 0;
    int rc = s_simple(self, "BEGIN");
    if (rc == KP_OK) s_push(self, KP_TX_GROUP);
    return rc;
}

int kp_db_batch_enter(kp_db *self)
{
    return s_simple(self, "SAVEPOINT kp_req");
}

int kp_db_batch_leave(kp_db *self)
{
    if (s_check_lost(self) != KP_OK || !self->conn) return KP_UNAVAILABLE;
    /* A statement that failed outside the handler's own savepoint (the
     * session check, the retry log) left the transaction failed: undo
     * this request alone. */
    int failed = PQtransactionStatus(self->conn) == PQTRANS_INERROR;
    if (failed) {
        PGresult *r = PQexec(self->conn, "ROLLBACK TO SAVEPOINT kp_req");
        PQclear(r);
    }
    int rc = s_simple(self, "RELEASE SAVEPOINT kp_req");
    return rc != KP_OK ? rc : failed ? KP_UNAVAILABLE : KP_OK;
}

int kp_db_batch_commit(kp_db *self)
{
    self->depth = 0; /* the group, and anything left above it */
    self->held = 0;
    int rc = s_commit(self);
    if (rc != KP_OK) s_rollback(self);
    self->broken = 0;
    return rc;
}

const char *kp_db_error(const kp_db *self)
{
    return self->error;
}

const char *kp_db_sqlstate(const kp_db *self)
{
    return self->sqlstate;
}

uint64_t kp_db_connects(const kp_db *self)
{
    return self->connects;
}

int kp_db_connected(const kp_db *self)
{
    return self->conn && PQstatus(self->conn) == CONNECTION_OK;
}

PGconn *kp_db_conn(kp_db *self)
{
    return self->conn;
}

char *kp_db_str(kp_arena *arena, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) return kp_arena_strdup(arena, "");
    return kp_arena_strndup(arena, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

int64_t kp_db_i64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) return 0;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int kp_db_bool(const PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

const char *kp_db_param_i64(kp_arena *arena, int64_t v)
{
    return kp_arena_printf(arena, "%lld", (long long)v);
}
