/*  statements: every named prepared statement, by module.
 *
 *  Each module owns its SQL as a kp_stmt array next to the code that reads
 *  it; kp_statement_sets (statements.c) gathers them, and kompassd's main
 *  registers that list with kp_db_use_statements, so that every connection
 *  prepares all of them. A new module's array goes here and into that list;
 *  tests/tools/stmtcheck fails when one is missing, or when a kp_db_call
 *  names a statement that no array defines.
 */
#ifndef KP_STATEMENTS_H
#define KP_STATEMENTS_H

#include "db.h"

extern const kp_stmt kp_ping_stmts[];
extern const kp_stmt kp_session_stmts[];      /* session.c */
extern const kp_stmt kp_seclog_stmts[];       /* seclog.c */
extern const kp_stmt kp_throttle_stmts[];     /* throttle.c */
extern const kp_stmt kp_rpc_session_stmts[];  /* rpc_session.c */
extern const kp_stmt kp_rpc_user_stmts[];     /* rpc_user.c */
extern const kp_stmt kp_bootstrap_stmts[];    /* bootstrap.c */
extern const kp_stmt kp_audit_stmts[];        /* audit.c */
extern const kp_stmt kp_audit_verify_stmts[]; /* audit_verify.c */
extern const kp_stmt kp_rpc_audit_stmts[];    /* rpc_audit.c */
extern const kp_stmt kp_rpc_ops_stmts[];      /* rpc_ops.c */
extern const kp_stmt kp_replay_stmts[];       /* replay.c */
extern const kp_stmt kp_rpc_backup_stmts[];   /* rpc_backup.c */
extern const kp_stmt kp_framework_stmts[];
extern const kp_stmt kp_evaluation_stmts[];
extern const kp_stmt kp_lifecycle_stmts[]; /* lifecycle.c */
extern const kp_stmt kp_eval_stmts[];
extern const kp_stmt kp_evidence_stmts[];
extern const kp_stmt kp_score_stmts[];
extern const kp_stmt kp_agreement_stmts[]; /* rpc_agreement.c */
extern const kp_stmt kp_text_stmts[];
extern const kp_stmt kp_publisher_stmts[];
extern const kp_stmt kp_subscriptions_stmts[];
extern const kp_stmt kp_content_stmts[];   /* content.c */
extern const kp_stmt kp_consensus_stmts[]; /* rpc_consensus.c */
extern const kp_stmt kp_signoff_stmts[];   /* rpc_signoff.c */
extern const kp_stmt kp_report_stmts[];    /* rpc_report.c */
extern const kp_stmt kp_search_stmts[];    /* rpc_search.c */

/* the consensus meeting */
extern const kp_stmt kp_comment_stmts[];     /* comment.c */
extern const kp_stmt kp_rpc_comment_stmts[]; /* rpc_comment.c */
extern const kp_stmt kp_calibration_stmts[]; /* rpc_calibration.c */

extern const kp_stmt kp_municipality_stmts[];     /* municipality.c */
extern const kp_stmt kp_authz_stmts[];            /* authz.c */
extern const kp_stmt kp_identity_stmts[];         /* identity.c */
extern const kp_stmt kp_rpc_municipality_stmts[]; /* rpc_municipality.c */
extern const kp_stmt kp_eval_import_stmts[];      /* rpc_eval_import.c */
extern const kp_stmt kp_eval_signoff_stmts[];     /* rpc_eval_signoff.c */
extern const kp_stmt kp_eval_watch_stmts[];       /* rpc_eval_watch.c */
extern const kp_stmt kp_factcheck_stmts[];        /* rpc_factcheck.c */
extern const kp_stmt kp_followup_stmts[];         /* rpc_followup.c */

/* NULL-terminated list of the modules' arrays (statements.c). */
extern const kp_stmt *const kp_statement_sets[];

#endif
