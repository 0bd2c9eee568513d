/*  evaluation: what every change to an evaluation goes through.
 *
 *  A handler that changes an evaluation, inside its transaction:
 *      kp_eval_begin_change(r, id, &ev)   locks the row (FOR UPDATE), refuses
 *                                          a signed evaluation (INVALID_STATE)
 *      ... the change ...                 a change of status: kp_eval_transition
 *                                          (lifecycle.h), never by hand
 *      kp_eval_bump(r, &ev)               version + 1, gap-free
 *      kp_audit_append(...)               with ev.version
 *  Locking the evaluation row serialises its changes, so versions and the
 *  evaluation's audit chain stay linear.
 */
#ifndef KP_EVALUATION_H
#define KP_EVALUATION_H

#include <jansson.h>
#include <stdint.h>

#include "lifecycle.h"
#include "req.h"

struct kp_eval {
    int64_t id;
    int64_t version;          /* after kp_eval_bump: the new version */
    kp_eval_state state;      /* moved by kp_eval_transition (lifecycle.h) only */
    const char *municipality; /* name */
    const char *framework;    /* code */
    int64_t framework_id;
    const char *label;
    int revision;       /* 1, or more after a reopen */
    const char *source; /* "" unless imported: where the published one came from */
    int practice;       /* a calibration exercise ("övning", rpc_calibration.c) */
};

/* Locks evaluation id for a change. NOT_FOUND, or INVALID_STATE when it is
 * signed (unless allow_signed), with the sentence set on r. */
int kp_eval_begin_change(kp_req *r, int64_t id, int allow_signed, kp_eval *ev);

/* Reads an evaluation without locking it; NOT_FOUND if there is none. */
int kp_eval_get(kp_req *r, int64_t id, kp_eval *ev);

/* Bumps the evaluation's version; ev->version becomes the new one. */
int kp_eval_bump(kp_req *r, kp_eval *ev);

/* The role of login in evaluation eval_id's team: lead, peer, observer, or
 * "" when none (or when the database cannot say). */
const char *kp_eval_member_role(kp_req *r, int64_t eval_id, const char *login);

/* The evaluators (lead and peers) of evaluation eval_id, by login: KP_OK
 * with *res (columns: user id, login; the caller's to PQclear), or a
 * database status (r is not failed). */
int kp_eval_evaluators(kp_req *r, int64_t eval_id, PGresult **res);

/* Counts the ordinals of municipality_id's evaluations afresh (the order
 * conducted and the stated ones, sql/014_cycle.sql) and checks that they
 * grow in that order (CONFLICT, naming the pair, when not). changes, when
 * not NULL, gets a JSON array of the other evaluations whose ordinal moved
 * ({id, label, from, to}), which belongs to the request (kp_req_json). */
int kp_eval_renumber(kp_req *r, int64_t municipality_id, int64_t eval_id, json_t **changes);

/* Whether r's user is a global admin. */
int kp_is_admin(const kp_req *r);

extern const kp_stmt kp_evaluation_stmts[];

#endif
