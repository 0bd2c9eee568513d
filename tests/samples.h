/*  samples: one valid request body for every RPC, the one table of them.
 *
 *  Shared by the authorisation matrix (tests/integration/test_authz_matrix.c),
 *  the audit trail's expectations (tests/integration/test_audit_rpc.c) and the
 *  fuzzer's seed corpus (tests/fuzz/fuzz_corpus.c). A sample fills a request
 *  body from a few ids and names (th_sample_ids) in an arena and calls no
 *  server: each test sets up its own world (users, evaluations) and passes
 *  what it made; the corpus passes plausible ids.
 *
 *  The values a sample makes up itself (a rationale, a reason, a title) are
 *  the ones test_audit_rpc.c finds again in the audit events it checks:
 *  change one and that test says where.
 *
 *  Adding an RPC: a sample here, in its group (docs/hacking.md, "Adding an
 *  RPC"); test_authz_matrix fails for an RPC of the table without one, and
 *  for a sample of an RPC that does not exist.
 */
#ifndef KP_TEST_SAMPLES_H
#define KP_TEST_SAMPLES_H

#include <stddef.h>

#include "arena.h"
#include "wire.h"

/* What a sample names. Unset strings (NULL) get the defaults given. */
typedef struct {
    int n;                    /* unique per request: made-up names carry it (anna7, Granskby 7) */
    long long eval_id;        /* the evaluation the request is about (0: set it later) */
    long long remark_id;      /* factcheck_answer: the remark answered */
    const char *login;        /* the user named: login, user_set_active, user_edit,
                                 user_reset_password, eval_assign, eval_unassign, the
                                 calibration's trainee */
    const char *password;     /* the caller's (login, change_password, reauthenticate, sign)
                                 and the added user's */
    const char *municipality; /* eval_create, history, eval_import, municipality_edit */
    const char *framework;    /* eval_create, framework_show, eval_import ("KK2015") */
    const char *label;        /* eval_create, eval_import ("2017") */
    int ordinal;              /* eval_set: a stated ordinal (0: none, the report date only) */
    const char *question;     /* score_set, consensus_set, comment_*, consensus_question
                                 ("1.4") */
    const char *item;         /* offline_discard ("score QUESTION"), followup_set ("2.1") */
    const char *lock_token;   /* text_save: the lock held */
    const char *areas;        /* eval_import: the areas' JSON array, every question of the
                                 framework with its points */
} th_sample_ids;

/* Fills req's body (body_case and the body, in a) with a valid request. */
typedef void (*th_sample_fn)(kp_arena *a, const th_sample_ids *ids, kp_request *req);

typedef struct {
    int body_case; /* KOMPASS__V1__REQUEST__BODY_* */
    th_sample_fn build;
} th_sample;

/* The table, one entry per RPC, in the order of server/core/rpcs.def. */
const th_sample *th_samples(size_t *n);

/* The sample for body_case, or NULL. */
const th_sample *th_sample_find(int body_case);

/* Builds the sample for body_case into req; -1 when there is none. */
int th_sample_build(kp_arena *a, int body_case, const th_sample_ids *ids, kp_request *req);

#endif
