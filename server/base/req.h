/*  req: one request being handled, as a handler sees it.
 *
 *  Everything a handler needs travels in kp_req: the decoded request, the
 *  response to fill, the worker's database handle, the request's arena, and
 *  who is asking (filled before the handler runs). A handler returns KP_OK
 *  after filling resp's body, or a status from kp_req_fail() that names the
 *  problem for a person.
 */
#ifndef KP_REQ_H
#define KP_REQ_H

#include <jansson.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "stats.h"
#include "wire.h"

typedef struct kp_server_info {
    const char *instance; /* "host:pid" */
    int64_t started_us;   /* when this kompassd started */
    const char *publish;  /* the PUB endpoint as bound */
    int session_idle_s;   /* --session-idle: a session ends after this long unused */
    int session_max_s;    /* --session-max: and at the latest this long after login */
    kp_stats *stats;      /* this process's counters (NULL: not counted) */
    int workers;          /* how many workers answer requests */
    const char *conninfo; /* the database's libpq string (may hold a password: never log it) */
    const char *data_dir; /* --data-dir */
    const char *subs;     /* the publisher's inproc endpoint for Subscribe */
} kp_server_info;

typedef struct kp_req {
    kp_arena *arena;              /* all of this request's memory */
    kp_db *db;                    /* the worker's connection */
    const kp_request *msg;        /* the decoded request */
    kp_response *resp;            /* the reply being built */
    const char *peer_addr;        /* client address as the transport saw it */
    const char *peer_key;         /* client's CURVE public key (Z85), "" if none */
    const kp_server_info *server; /* facts about this process */
    int worker;                   /* the worker answering (its stats shard) */
    const void *client_id;        /* the connection's routing id on the front socket */
    size_t client_id_len;         /* 0: unknown (group commits, tests) */
    int req_socket;               /* the client is a REQ socket (empty delimiter) */
    void *subscribe;              /* the worker's DEALER to the publisher (Subscribe) */

    /* Who is asking, filled by the session check before the handler runs
     * (user_id 0: no session, for RPCs that need none). */
    int64_t user_id;
    const char *login;     /* "ewa" */
    const char *full_name; /* "Ewa Luvö", printed on signatures */
    const char *role;      /* global role: "admin", "evaluator", "observer" */
    int64_t session_id;    /* the caller's session (sessions.id) */

    /* The evaluation the request is about, as the authorisation check read
     * it with the caller's relation (eval_seen: its id; 0: not read): what
     * tells whether a kept snapshot of it is still true (snapcache.h). */
    int64_t eval_seen;
    int64_t eval_version;
    const char *eval_status;
    int eval_blind;         /* blind scoring, in draft or scoring */
    const char *eval_locks; /* a digest of its section locks (KP_EVAL_STAMP_COLUMNS) */
} kp_req;

/* Runs a prepared statement for the request (kp_db_call_in): *out, on
 * KP_OK, belongs to the request and is PQclear'ed with its arena after the
 * reply; a handler never PQclears it. */
int kp_req_call(kp_req *r, const char *name, int nparams, const char *const *params,
                PGresult **out);

/* v, which now belongs to the request: json_decref'ed with its arena after
 * the reply (NULL gives NULL). `json_t *o = kp_req_json(r, json_object());` */
json_t *kp_req_json(kp_req *r, json_t *v);

/* Sets resp's status and error sentence; returns status, so a handler can
 * `return kp_req_fail(r, KP_NOT_FOUND, "no evaluation %s", id);`. */
int kp_req_fail(kp_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fails with the status the last database error maps to, and a sentence that
 * is safe to show (UNAVAILABLE says retry; INTERNAL hides SQL details). */
int kp_req_db_fail(kp_req *r, int status, const char *doing);

/* Ends the handler's transaction: commits when rc is KP_OK, else rolls back.
 * Returns the final status, with a sentence (from rc's failure if the
 * handler set none, or from a failed commit). */
int kp_req_end_tx(kp_req *r, int rc, const char *doing);

#endif
