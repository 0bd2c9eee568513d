/*  audit: the one path by which a change is recorded (docs/audit.md).
 *
 *  Every state-changing handler calls kp_audit_append() inside its own
 *  transaction, after kp_db_begin() and before kp_db_commit(): the event is
 *  written if and only if the change is. Events form hash chains, one per
 *  evaluation and one global chain (evaluation 0) for administrative
 *  actions. Each event holds the hash of the chain's previous event and its
 *  own SHA-256 over a canonical serialization of its fields (kp_audit_canonical).
 *
 *  Invariants:
 *    - a chain's sequence numbers are 1, 2, 3, ... without gaps, and each
 *      event's prev_hash is the hash of the event before it (genesis: 64
 *      zeros). Writers take the chain's transaction-scoped advisory lock
 *      before reading the chain's head, so concurrent writers queue and the
 *      chain stays linear; the lock is released by COMMIT or ROLLBACK;
 *    - the database role kompassd works as (kompass_app) may only SELECT and
 *      INSERT audit events; triggers refuse UPDATE, DELETE and TRUNCATE to
 *      any role but a superuser (sql/003_audit.sql);
 *    - before/after never hold secrets (passwords, hashes of them, tokens):
 *      kp_audit_append refuses JSON with such keys.
 *
 *  Lock order: a handler that takes row locks of its own takes them before
 *  calling kp_audit_append, whose chain lock is always the last lock taken.
 */
#ifndef KP_AUDIT_H
#define KP_AUDIT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "db.h"
#include "req.h"

/* The prev_hash of a chain's first event. */
#define KP_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The version of the canonical serialization (field "v"). */
#define KP_AUDIT_FORMAT 1

/* What a handler tells kp_audit_append; the rest (time, actor, client,
 * sequence, hashes) the module fills in. */
typedef struct {
    const char *action;    /* "user.add": lower case, [a-z0-9_.-] */
    int64_t evaluation_id; /* the evaluation changed; 0: the global chain */
    const char *target;    /* what changed, for a person: "user ewa" */
    const char *before;    /* JSON text of the old value; NULL or "": none (created) */
    const char *after;     /* JSON text of the new value; NULL or "": none (deleted) */
    const char *reason;    /* why; NULL or "": none given */
    int reason_required;   /* 1: refuse without a reason (see docs/audit.md) */
    int64_t eval_version;  /* the evaluation's version after the change; 0: none */
    /* When an admin acts on another user's behalf: that user. The event's
     * actor is then on_behalf_id, and the session's user its real actor. */
    int64_t on_behalf_id;
    const char *on_behalf_login;
} kp_audit_event;

/* An event as stored: every hashed field, plus id and hash. Strings are ""
 * (never NULL) and numbers 0 when they do not apply. */
typedef struct {
    int64_t id; /* not hashed */
    int64_t evaluation_id;
    int64_t seq;
    int64_t at_us;
    int64_t actor_id;
    const char *actor;
    int64_t real_actor_id;
    const char *real_actor;
    const char *client_addr;
    const char *client_key;
    const char *action;
    const char *target;
    const char *before;
    const char *after;
    const char *reason;
    int64_t eval_version;
    const char *prev_hash;
    const char *hash; /* not hashed, obviously */
} kp_audit_record;

/* The columns of a kp_audit_record, in kp_audit_record_from_row's order, for
 * the modules' SELECT statements on audit_events. */
#define KP_AUDIT_COLUMNS                                                                           \
    "id, evaluation_id, seq, (extract(epoch FROM at) * 1000000)::bigint, actor_id, actor, "        \
    "real_actor_id, real_actor, client_addr, client_key, action, target, before, after, reason, "  \
    "eval_version, prev_hash, hash"

extern const kp_stmt kp_audit_stmts[];

/* Records ev in r's open transaction as the next event of its chain. KP_OK,
 * or a failure status with r's reply sentence set (a missing reason is
 * BAD_REQUEST; a malformed event, a secret in before/after, or no open
 * transaction is INTERNAL); after a failure the caller must roll back. */
int kp_audit_append(kp_req *r, const kp_audit_event *ev);

/* doc as compact JSON text with sorted keys, in r's arena, for before/after;
 * steals the reference. */
const char *kp_audit_json(kp_req *r, json_t *doc);

/* The canonical serialization of rec (docs/audit.md, "The hash"): the
 * caller's to free; *len its length. NULL when out of memory. */
char *kp_audit_canonical(const kp_audit_record *rec, size_t *len);

/* SHA-256 of rec's canonical serialization, lower-case hex, into out. 0, or
 * -1 when out of memory. */
int kp_audit_hash(const kp_audit_record *rec, char out[65]);

/* Fills rec from row `row` of a result selected with KP_AUDIT_COLUMNS. The
 * strings point into res: valid while res is. */
void kp_audit_record_from_row(const PGresult *res, int row, kp_audit_record *rec);

#endif
