/*  rpc: the handlers, one module per concern (rpc_ping.c, ...), and what
 *  the handler modules share. Every handler's prototype comes from its row
 *  of the one table of RPCs, rpcs.def (which also says in which file it is).
 */
#ifndef KP_RPC_H
#define KP_RPC_H

#include <jansson.h>

#include "req.h"

/* int kp_rpc_<name>(kp_req *r): one per row of rpcs.def */
#define KP_RPC(c, name, handler, ...) int handler(kp_req *r);
#include "rpcs.def"
#undef KP_RPC

/* What handler modules share (each with the file that defines it). */

/* rpc_evidence.c: the evidence of evaluation eval_id linked to question_id,
 * as messages. */
int kp_evidence_of_question(kp_req *r, int64_t eval_id, int64_t question_id,
                            Kompass__V1__Evidence ***out, size_t *n);
/* rpc_evidence.c: copies every evidence entry of evaluation from, with its
 * question links, into evaluation to, in r's open transaction; *n entries
 * copied. */
int kp_evidence_copy(kp_req *r, int64_t from, int64_t to, int *n);

/* rpc_score.c: NULL when a ScoreSet's writes may be tried, else the
 * sentence why not (BAD_REQUEST). Pure: checked before any database
 * access. */
const char *kp_score_set_problem(kp_arena *arena, const Kompass__V1__ScoreSetRequest *in);
/* rpc_score.c: whether scoring is blind for r's user in evaluation eval_id
 * (admins never). */
int kp_score_blind_for(kp_req *r, int64_t eval_id, int *blind);
/* rpc_score.c: whether evaluation eval_id is in its blind phase (blind
 * scoring, draft or scoring), whoever asks. */
int kp_score_blind_phase(kp_req *r, int64_t eval_id, int *blind);

#include "agreement.h"
/* rpc_agreement.c: a result of kp_agreement_compute (values in
 * centipoints) as its message, in points. */
Kompass__V1__AgreementFigures *kp_agreement_figures(kp_req *r, const kp_agreement_result *res);

/* rpc_text.c: the texts of an evaluation (area 0: all; section NULL: all),
 * as messages. */
int kp_text_rows(kp_req *r, int64_t eval_id, int64_t framework_id, int area, const char *section,
                 Kompass__V1__AreaText ***out, size_t *n);
/* rpc_text.c: the unexpired section locks of an evaluation, as messages. */
int kp_text_locks(kp_req *r, int64_t eval_id, Kompass__V1__LockInfo ***out, size_t *n);

/* rpc_session.c: checks the caller's own password, throttled and recorded
 * like a login: KP_OK, or r is failed: a wrong password is DENIED with a
 * sentence starting KP_OWN_PASSWORD_WRONG (the session stays valid;
 * UNAUTHENTICATED would tell the client it ended), too many attempts
 * RATE_LIMITED. Call it outside a transaction: a failure is recorded for
 * good. */
#define KP_OWN_PASSWORD_WRONG "wrong password (your session is still valid)"
int kp_check_own_password(kp_req *r, const char *password);

/* rpc_user.c: NULL when a UserAdd's fields are acceptable (login, names,
 * role, password), else the sentence why not. Pure: no database, no
 * hashing. */
const char *kp_user_add_problem(kp_arena *arena, const Kompass__V1__UserAddRequest *in);

/* rpc_offline.c (offline work: kompass checkout, sync): an OfflineOrigin as
 * JSON (a new reference), or NULL for none. */
json_t *kp_offline_json(const Kompass__V1__OfflineOrigin *o);
/* rpc_offline.c: doc (an audit event's after) with "offline": o, when the
 * write has one; returns doc. */
json_t *kp_offline_after(json_t *doc, const Kompass__V1__OfflineOrigin *o);
/* rpc_offline.c: for an event whose after is not an object (text.save):
 * "offline change {...}" as its reason, in r's arena; NULL for a live
 * write. */
const char *kp_offline_reason(kp_req *r, const Kompass__V1__OfflineOrigin *o);

#endif
