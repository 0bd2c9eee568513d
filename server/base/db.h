/*  db: one worker's PostgreSQL connection and its prepared statements.
 *
 *  A kp_db belongs to exactly one thread. It connects lazily, prepares every
 *  named statement of every module on each new connection (the sets that
 *  kompassd's main registers with kp_db_use_statements: statements.c lists
 *  them, so that this, the lowest layer, names no module above it), and reconnects by itself after
 * the database went away: while it cannot, calls fail fast with KP_UNAVAILABLE (retryable) instead
 * of blocking the worker. SQL text exists only in sql/ migrations and in those named statements;
 * values always travel as parameters.
 */
#ifndef KP_DB_H
#define KP_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "arena.h"

typedef struct kp_db kp_db;

/* A named prepared statement: name, SQL text with $1..$n. */
typedef struct {
    const char *name;
    const char *sql;
} kp_stmt;

/* The named statements every connection prepares from now on: a
 * NULL-terminated list of kp_stmt arrays, each ended by {NULL, NULL}; kept,
 * not copied. Call it once, before the first kp_db connects (kompassd's
 * main and tests: kp_db_use_statements(kp_statement_sets), statements.h). */
void kp_db_use_statements(const kp_stmt *const *sets);

/* A plain connection to conninfo with kompassd's defaults, which the
 * conninfo may override: connect_timeout 5 s (per host of a list), TCP
 * keepalives after 10 s idle every 5 s, 3 probes, tcp_user_timeout 20 s.
 * The caller checks PQstatus and PQfinishes it. */
PGconn *kp_db_connect(const char *conninfo);

/* A new, unconnected handle for conninfo; NULL when out of memory. */
kp_db *kp_db_new(const char *conninfo);

/* Closes the connection and frees the handle; sets *self_p to NULL. */
void kp_db_destroy(kp_db **self_p);

/* Connects (and prepares) if not connected. KP_OK or KP_UNAVAILABLE; after a
 * failure, reconnection is attempted at most every 500 ms. */
int kp_db_ensure(kp_db *self);

/* Runs a prepared statement. On KP_OK *out is the result (the caller's to
 * PQclear; may be NULL if out is NULL). On failure, the status that the
 * database's error maps to (UNAVAILABLE for a lost connection or a lock
 * wait beyond lock_timeout, CONFLICT for a unique or serialization
 * violation, BAD_REQUEST for a check violation, INTERNAL otherwise) and
 * kp_db_error() tells why. */
int kp_db_call(kp_db *self, const char *name, int nparams, const char *const *params,
               PGresult **out);

/* kp_db_call whose result belongs to arena: PQclear'ed by its next reset
 * (kp_arena_on_reset), never by the caller. What a request runs uses this,
 * through kp_req_call (req.h); kp_db_call's caller-owned results remain for
 * code that lives outside a request (main, bootstrap, migrate, publisher,
 * subscriptions, audit verification) and for loops that run more
 * statements than a request should keep. */
int kp_db_call_in(kp_db *self, kp_arena *arena, const char *name, int nparams,
                  const char *const *params, PGresult **out);

/* Transaction levels: who owns the real COMMIT.
 *
 * A handler brackets its work with kp_db_begin and kp_db_commit (or
 * kp_db_rollback); what those do depends on the level the connection is
 * at, set from outside the handler:
 *
 *   KP_TX_NONE     nobody else: kp_db_begin is BEGIN, kp_db_commit COMMIT,
 *                  kp_db_rollback ROLLBACK. The handler's COMMIT is real.
 *   KP_TX_REQUEST  the request (server/dispatch.c for every write with a
 *                  session, server/replay.c records its answer in the same
 *                  transaction): between kp_db_hold_commits and
 *                  kp_db_release, kp_db_commit of an open transaction keeps
 *                  it open ("held", kp_db_holding) and returns KP_OK, and
 *                  kp_db_rollback leaves a held transaction alone. The real
 *                  COMMIT (or ROLLBACK) is kp_db_release's. A kp_db_begin
 *                  while one is held commits the held one first (one
 *                  transaction per request is the rule; a second is not
 *                  rolled back with the first).
 *   KP_TX_GROUP    a group commit (server/worker.c): several requests in one
 *                  transaction, from kp_db_batch_begin to
 *                  kp_db_batch_commit, which is the only real COMMIT. Each
 *                  request runs in a savepoint of its own (kp_db_batch_enter
 *                  .. kp_db_batch_leave: a request that fails is undone
 *                  alone); a handler's begin / commit / rollback, and
 *                  kp_db_release, work on a savepoint kp_tx of the handler's
 *                  instead of a transaction. A request that writes is at
 *                  KP_TX_REQUEST above the group.
 *
 * When the connection breaks under a group or a held transaction, that
 * transaction is gone: every call fails with KP_UNAVAILABLE (instead of
 * running on a new connection by itself) until the level ends. A COMMIT that
 * PostgreSQL turns into a ROLLBACK (an earlier statement of the transaction
 * failed) is a failure, not KP_OK; a rollback never fails visibly. */
typedef enum {
    KP_TX_NONE,    /* no one above the handler */
    KP_TX_GROUP,   /* kp_db_batch_begin .. kp_db_batch_commit */
    KP_TX_REQUEST, /* kp_db_hold_commits .. kp_db_release */
} kp_tx_level;

/* The innermost level the connection is at. */
kp_tx_level kp_db_level(const kp_db *self);

/* The handler's transaction, at the current level (above). */
int kp_db_begin(kp_db *self);
/* A read-only transaction seeing one consistent snapshot (REPEATABLE READ);
 * always a BEGIN of its own (reads are never held and join no group). */
int kp_db_begin_read(kp_db *self);
int kp_db_commit(kp_db *self);
void kp_db_rollback(kp_db *self);

/* Enters KP_TX_REQUEST: the handler's commit is held from now on. */
void kp_db_hold_commits(kp_db *self);

/* Whether the handler committed a transaction that is held open. */
int kp_db_holding(const kp_db *self);

/* Leaves KP_TX_REQUEST; a held transaction is committed (commit = 1) or
 * rolled back (in a group: its savepoint released or rolled back). KP_OK,
 * or the COMMIT's failure. */
int kp_db_release(kp_db *self, int commit);

/* KP_TX_GROUP (above). kp_db_batch_leave is KP_UNAVAILABLE when the request
 * had to be undone (a statement outside its handler failed) or the group is
 * broken. kp_db_batch_commit commits everything (rolls back on failure):
 * KP_OK, or the COMMIT's failure, which is every request's. */
int kp_db_batch_begin(kp_db *self);
int kp_db_batch_enter(kp_db *self);
int kp_db_batch_leave(kp_db *self);
int kp_db_batch_commit(kp_db *self);

/* The last error, for logs and for the reply of INTERNAL/UNAVAILABLE. */
const char *kp_db_error(const kp_db *self);

/* The SQLSTATE of the last error ("" if none). */
const char *kp_db_sqlstate(const kp_db *self);

/* Whether the connection is up right now. */
int kp_db_connected(const kp_db *self);

/* How many connections self has made: a different number than before means
 * a new connection (session state such as LISTEN is gone). */
uint64_t kp_db_connects(const kp_db *self);

/* Row access: a copy of a value in the arena ("" for NULL), or as a number
 * (0 for NULL). */
char *kp_db_str(kp_arena *arena, const PGresult *res, int row, int col);
int64_t kp_db_i64(const PGresult *res, int row, int col);
int kp_db_bool(const PGresult *res, int row, int col);

/* A number as text for a statement parameter, in the arena. */
const char *kp_db_param_i64(kp_arena *arena, int64_t v);

/* The raw connection, for LISTEN and tests; NULL when not connected. */
PGconn *kp_db_conn(kp_db *self);

#endif
