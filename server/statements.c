/*  statements: the list of every module's named statements (statements.h).
 *
 *  The only file that names every module's kp_stmt array. kompassd's main
 *  hands the list to the database layer (kp_db_use_statements), which
 *  prepares it on every connection; nothing below main depends on it.
 */
#include "statements.h"

// clang-format off
const kp_stmt *const kp_statement_sets[] = {
    kp_ping_stmts,         kp_session_stmts,   kp_seclog_stmts,     kp_throttle_stmts,
    kp_rpc_session_stmts,  kp_rpc_user_stmts,  kp_bootstrap_stmts,  kp_audit_stmts,
    kp_audit_verify_stmts, kp_rpc_audit_stmts, kp_rpc_ops_stmts,    kp_replay_stmts,
    kp_rpc_backup_stmts,   kp_framework_stmts, kp_evaluation_stmts, kp_lifecycle_stmts, kp_eval_stmts,
    kp_evidence_stmts,     kp_score_stmts,     kp_agreement_stmts,  kp_text_stmts,
            kp_publisher_stmts, kp_content_stmts,    kp_consensus_stmts,
    kp_signoff_stmts,      kp_report_stmts,    kp_search_stmts,     kp_comment_stmts,
    kp_rpc_comment_stmts,
    kp_calibration_stmts,  kp_municipality_stmts, kp_subscriptions_stmts,
    kp_authz_stmts,        kp_identity_stmts,  kp_rpc_municipality_stmts, kp_eval_import_stmts, kp_eval_signoff_stmts, kp_eval_watch_stmts,
    kp_factcheck_stmts,    kp_followup_stmts,  NULL};
// clang-format on
