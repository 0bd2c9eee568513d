/*  rpc: the handlers, one module per concern (rpc_ping.c, ...).
 *  Each is registered in dispatch.c's table.
 */
#ifndef KP_RPC_H
#define KP_RPC_H

#include <jansson.h>

#include "req.h"

int kp_rpc_ping(kp_req *r);

/* rpc_framework.c */
int kp_rpc_framework_import(kp_req *r);
int kp_rpc_framework_list(kp_req *r);
int kp_rpc_framework_show(kp_req *r);
int kp_rpc_municipality_add(kp_req *r);
int kp_rpc_municipality_list(kp_req *r);

/* rpc_municipality.c */
int kp_rpc_municipality_edit(kp_req *r);

/* rpc_followup.c */
int kp_rpc_followup_list(kp_req *r);
int kp_rpc_followup_set(kp_req *r);

/* rpc_eval.c */
int kp_rpc_eval_create(kp_req *r);
int kp_rpc_eval_list(kp_req *r);
int kp_rpc_eval_show(kp_req *r);
int kp_rpc_eval_assign(kp_req *r);
int kp_rpc_eval_unassign(kp_req *r);

/* rpc_evidence.c */
int kp_rpc_evidence_add(kp_req *r);
int kp_rpc_evidence_list(kp_req *r);
/* The evidence of evaluation eval_id linked to question_id, as messages. */
int kp_evidence_of_question(kp_req *r, int64_t eval_id, int64_t question_id,
                            Kompass__V1__Evidence ***out, size_t *n);
/* Copies every evidence entry of evaluation from, with its question links,
 * into evaluation to, in r's open transaction; *n entries copied. */
int kp_evidence_copy(kp_req *r, int64_t from, int64_t to, int *n);

/* rpc_score.c */
int kp_rpc_score_set(kp_req *r);
/* NULL when a ScoreSet's writes may be tried, else the sentence why not
 * (BAD_REQUEST). Pure: checked before any database access. */
const char *kp_score_set_problem(kp_arena *arena, const Kompass__V1__ScoreSetRequest *in);
int kp_rpc_score_list(kp_req *r);
int kp_rpc_eval_start(kp_req *r);

#include "agreement.h"
Kompass__V1__AgreementFigures *kp_agreement_figures(kp_req *r, const kp_agreement_result *res);
/* rpc_agreement.c (above): a result of kp_agreement_compute (values in centipoints)
 * as its message, in points. */
/* rpc_consensus.c */
int kp_rpc_submit(kp_req *r);
int kp_rpc_consensus_show(kp_req *r);
int kp_rpc_consensus_set(kp_req *r);
int kp_rpc_consensus_auto(kp_req *r);
int kp_rpc_consensus_threshold(kp_req *r);
int kp_rpc_text_approve(kp_req *r);
int kp_rpc_eval_status(kp_req *r);

/* rpc_signoff.c */
int kp_rpc_sign(kp_req *r);
int kp_rpc_eval_reopen(kp_req *r);
int kp_rpc_eval_verify(kp_req *r);
int kp_rpc_eval_revision(kp_req *r);
/* Whether scoring is blind for r's user in evaluation eval_id (admins never). */
int kp_score_blind_for(kp_req *r, int64_t eval_id, int *blind);
/* Whether evaluation eval_id is in its blind phase (blind scoring, draft or
 * scoring), whoever asks. */
int kp_score_blind_phase(kp_req *r, int64_t eval_id, int *blind);

/* rpc_agreement.c: SKL-wide agreement over signed evaluations */
int kp_rpc_stats_agreement(kp_req *r);

/* rpc_text.c */
int kp_rpc_text_show(kp_req *r);
int kp_rpc_text_lock(kp_req *r);
int kp_rpc_text_save(kp_req *r);
int kp_rpc_lock_list(kp_req *r);
int kp_rpc_lock_break(kp_req *r);
/* The texts of an evaluation (area 0: all; section NULL: all), as messages. */
int kp_text_rows(kp_req *r, int64_t eval_id, int64_t framework_id, int area, const char *section,
                 Kompass__V1__AreaText ***out, size_t *n);

/* The unexpired section locks of an evaluation, as messages. */
int kp_text_locks(kp_req *r, int64_t eval_id, Kompass__V1__LockInfo ***out, size_t *n);

/* rpc_report.c: reports, history, the import of published evaluations */
int kp_rpc_report_data(kp_req *r);
int kp_rpc_history(kp_req *r);
int kp_rpc_eval_import(kp_req *r);

/* rpc_watch.c */
int kp_rpc_eval_snapshot(kp_req *r);
int kp_rpc_eval_changes(kp_req *r);
int kp_rpc_subscribe(kp_req *r);
/* rpc_session.c: the caller's own session and password */
int kp_rpc_login(kp_req *r);
int kp_rpc_logout(kp_req *r);
int kp_rpc_who_am_i(kp_req *r);
int kp_rpc_change_password(kp_req *r);
int kp_rpc_reauthenticate(kp_req *r);
/* Checks the caller's own password, throttled and recorded like a login:
 * KP_OK, or r is failed: a wrong password is DENIED with a sentence starting
 * KP_OWN_PASSWORD_WRONG (the session stays valid; UNAUTHENTICATED would
 * tell the client it ended), too many attempts RATE_LIMITED. Call it
 * outside a transaction: a failure is recorded for good. */
#define KP_OWN_PASSWORD_WRONG "wrong password (your session is still valid)"
int kp_check_own_password(kp_req *r, const char *password);

/* rpc_user.c: user administration */
int kp_rpc_user_add(kp_req *r);
/* NULL when a UserAdd's fields are acceptable (login, names, role,
 * password), else the sentence why not. Pure: no database, no hashing. */
const char *kp_user_add_problem(kp_arena *arena, const Kompass__V1__UserAddRequest *in);
int kp_rpc_user_list(kp_req *r);
int kp_rpc_user_set_active(kp_req *r);
int kp_rpc_user_edit(kp_req *r);
int kp_rpc_user_reset_password(kp_req *r);

/* rpc_audit.c: reading and verifying the audit trail */
int kp_rpc_audit_list(kp_req *r);
int kp_rpc_audit_verify(kp_req *r);

/* rpc_ops.c: health and counters of this kompassd */
int kp_rpc_health(kp_req *r);
int kp_rpc_stats(kp_req *r);

/* rpc_backup.c: a pg_dump of the database, read back in pieces */
int kp_rpc_backup(kp_req *r);

/* rpc_search.c: full-text search over the texts of every visible evaluation */
int kp_rpc_search(kp_req *r);

/* the consensus meeting: rpc_comment.c (a thread per question), the
 * question's whole picture (rpc_consensus.c), rpc_calibration.c (practice
 * copies of signed evaluations for new peer evaluators) */
int kp_rpc_comment_add(kp_req *r);
int kp_rpc_comment_list(kp_req *r);
int kp_rpc_comment_resolve(kp_req *r);
int kp_rpc_comment_reopen(kp_req *r);
int kp_rpc_consensus_question(kp_req *r);
int kp_rpc_calibration_create(kp_req *r);
int kp_rpc_calibration_show(kp_req *r);
int kp_rpc_calibration_stats(kp_req *r);

/* rpc_factcheck.c: the municipality's factual review (faktagranskning) */
int kp_rpc_factcheck_start(kp_req *r);
int kp_rpc_factcheck_remark(kp_req *r);
int kp_rpc_factcheck_answer(kp_req *r);
int kp_rpc_factcheck_show(kp_req *r);
int kp_rpc_factcheck_close(kp_req *r);
/* the cycle across rounds (issue 19): rpc_eval.c corrects an evaluation's
 * period, report date and ordinal */
int kp_rpc_eval_set(kp_req *r);

/* rpc_offline.c: offline work (kompass checkout, sync) */
int kp_rpc_offline_discard(kp_req *r);
/* An OfflineOrigin as JSON (a new reference), or NULL for none. */
json_t *kp_offline_json(const Kompass__V1__OfflineOrigin *o);
/* doc (an audit event's after) with "offline": o, when the write has one;
 * returns doc. */
json_t *kp_offline_after(json_t *doc, const Kompass__V1__OfflineOrigin *o);
/* For an event whose after is not an object (text.save): "offline change
 * {...}" as its reason, in r's arena; NULL for a live write. */
const char *kp_offline_reason(kp_req *r, const Kompass__V1__OfflineOrigin *o);

#endif
