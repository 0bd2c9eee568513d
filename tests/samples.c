/*  samples: one valid request body for every RPC (samples.h). */
#include "samples.h"

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field

/* Declares `in`, the body of type `type`, made by `init` and set on req. */
#define BODY(field, member, type, init)                                                            \
    (void)ids;                                                                                     \
    req->body_case = RQ(field);                                                                    \
    type *in = kp_arena_zalloc(a, sizeof *in);                                                     \
    init(in);                                                                                      \
    req->member = in

/* A string field's value: v, else the default d (a copy in a). */
static char *s_str(kp_arena *a, const char *v, const char *d)
{
    return kp_arena_strdup(a, v ? v : d);
}

static const char *s_question(const th_sample_ids *ids)
{
    return ids->question ? ids->question : "1.4";
}

/* ------------------------------------------------------------ sessions and users */

static void b_ping(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(PING, ping, Kompass__V1__PingRequest, kompass__v1__ping_request__init);
}
static void b_login(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(LOGIN, login, Kompass__V1__LoginRequest, kompass__v1__login_request__init);
    in->login = s_str(a, ids->login, "ewa");
    in->password = s_str(a, ids->password, "");
}
static void b_logout(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(LOGOUT, logout, Kompass__V1__LogoutRequest, kompass__v1__logout_request__init);
}
static void b_who_am_i(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(WHO_AM_I, who_am_i, Kompass__V1__WhoAmIRequest, kompass__v1__who_am_irequest__init);
}
static void b_change_password(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CHANGE_PASSWORD, change_password, Kompass__V1__ChangePasswordRequest,
         kompass__v1__change_password_request__init);
    in->current_password = s_str(a, ids->password, "");
    in->new_password = s_str(a, NULL, "Sample-changed-5678");
}
static void b_reauthenticate(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(REAUTHENTICATE, reauthenticate, Kompass__V1__ReauthenticateRequest,
         kompass__v1__reauthenticate_request__init);
    in->password = s_str(a, ids->password, "");
}
/* a new observer, anna<n> */
static void b_user_add(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(USER_ADD, user_add, Kompass__V1__UserAddRequest, kompass__v1__user_add_request__init);
    in->login = kp_arena_printf(a, "anna%d", ids->n);
    in->full_name = s_str(a, NULL, "Anna Eklund");
    in->organisation = s_str(a, NULL, "SKL");
    in->role = KOMPASS__V1__ROLE__ROLE_OBSERVER;
    in->password = s_str(a, ids->password, "Sample-password-1234");
}
static void b_user_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(USER_LIST, user_list, Kompass__V1__UserListRequest, kompass__v1__user_list_request__init);
}
static void b_user_set_active(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(USER_SET_ACTIVE, user_set_active, Kompass__V1__UserSetActiveRequest,
         kompass__v1__user_set_active_request__init);
    in->login = s_str(a, ids->login, "ewa");
    in->active = 0;
}
/* a new full name, the organisation kept */
static void b_user_edit(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(USER_EDIT, user_edit, Kompass__V1__UserEditRequest, kompass__v1__user_edit_request__init);
    in->login = s_str(a, ids->login, "ewa");
    in->full_name = s_str(a, NULL, "Ewa Luvö Berg");
    in->organisation = s_str(a, NULL, "");
}
static void b_user_reset_password(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(USER_RESET_PASSWORD, user_reset_password, Kompass__V1__UserResetPasswordRequest,
         kompass__v1__user_reset_password_request__init);
    in->login = s_str(a, ids->login, "ewa");
    in->new_password = s_str(a, NULL, "Sample-reset-9012");
}

/* ------------------------------------------------------------ the audit trail */

static void b_audit_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(AUDIT_LIST, audit_list, Kompass__V1__AuditListRequest,
         kompass__v1__audit_list_request__init);
    in->evaluation_id = ids->eval_id;
}
/* every chain (so no evaluation) */
static void b_audit_verify(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(AUDIT_VERIFY, audit_verify, Kompass__V1__AuditVerifyRequest,
         kompass__v1__audit_verify_request__init);
    in->all = 1;
}

/* ------------------------------------------------------------ frameworks, municipalities */

/* a framework A<n> of one area with one question */
static void b_framework_import(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FRAMEWORK_IMPORT, framework_import, Kompass__V1__FrameworkImportRequest,
         kompass__v1__framework_import_request__init);
    in->json = kp_arena_printf(a,
                               "{\"framework\":{\"code\":\"A%d\",\"name\":\"Sample\","
                               "\"year\":2020},\"areas\":[{\"number\":1,\"title\":\"A\","
                               "\"max\":10,\"questions\":[{\"code\":\"1.1\",\"text\":\"Q\","
                               "\"max\":10}]}]}",
                               ids->n);
}
static void b_framework_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FRAMEWORK_LIST, framework_list, Kompass__V1__FrameworkListRequest,
         kompass__v1__framework_list_request__init);
}
static void b_framework_show(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FRAMEWORK_SHOW, framework_show, Kompass__V1__FrameworkShowRequest,
         kompass__v1__framework_show_request__init);
    in->code = s_str(a, ids->framework, "KK2015");
}
/* a new city, Granskby <n> */
static void b_municipality_add(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(MUNICIPALITY_ADD, municipality_add, Kompass__V1__MunicipalityAddRequest,
         kompass__v1__municipality_add_request__init);
    in->name = kp_arena_printf(a, "Granskby %d", ids->n);
    in->kind = s_str(a, NULL, "stad");
}
static void b_municipality_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(MUNICIPALITY_LIST, municipality_list, Kompass__V1__MunicipalityListRequest,
         kompass__v1__municipality_list_request__init);
}
/* a county and a group given */
static void b_municipality_edit(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(MUNICIPALITY_EDIT, municipality_edit, Kompass__V1__MunicipalityEditRequest,
         kompass__v1__municipality_edit_request__init);
    in->municipality = s_str(a, ids->municipality, "Västerås stad");
    in->county = s_str(a, NULL, "Västmanlands län");
    in->group = s_str(a, NULL, "B3");
}

/* ------------------------------------------------------------ evaluations and their team */

static void b_eval_create(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_CREATE, eval_create, Kompass__V1__EvalCreateRequest,
         kompass__v1__eval_create_request__init);
    in->municipality = s_str(a, ids->municipality, "Västerås stad");
    in->framework = s_str(a, ids->framework, "KK2015");
    in->label = s_str(a, ids->label, "2017");
}
static void b_eval_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_LIST, eval_list, Kompass__V1__EvalListRequest, kompass__v1__eval_list_request__init);
}
static void b_eval_show(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_SHOW, eval_show, Kompass__V1__EvalShowRequest, kompass__v1__eval_show_request__init);
    in->evaluation_id = ids->eval_id;
}
/* login joins the team as an observer */
static void b_eval_assign(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_ASSIGN, eval_assign, Kompass__V1__EvalAssignRequest,
         kompass__v1__eval_assign_request__init);
    in->evaluation_id = ids->eval_id;
    in->login = s_str(a, ids->login, "ewa");
    in->role = s_str(a, NULL, "observer");
}
static void b_eval_unassign(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_UNASSIGN, eval_unassign, Kompass__V1__EvalUnassignRequest,
         kompass__v1__eval_unassign_request__init);
    in->evaluation_id = ids->eval_id;
    in->login = s_str(a, ids->login, "ewa");
}

/* ------------------------------------------------------------ evidence, scores, texts */

static void b_evidence_add(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVIDENCE_ADD, evidence_add, Kompass__V1__EvidenceAddRequest,
         kompass__v1__evidence_add_request__init);
    in->evaluation_id = ids->eval_id;
    Kompass__V1__Evidence *ev = kp_arena_zalloc(a, sizeof *ev);
    kompass__v1__evidence__init(ev);
    ev->kind = s_str(a, NULL, "document");
    ev->title = s_str(a, NULL, "Kommunikationspolicy");
    in->evidence = ev;
}
static void b_evidence_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVIDENCE_LIST, evidence_list, Kompass__V1__EvidenceListRequest,
         kompass__v1__evidence_list_request__init);
    in->evaluation_id = ids->eval_id;
}
/* question at 25.5 points, with a rationale */
static void b_score_set(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(SCORE_SET, score_set, Kompass__V1__ScoreSetRequest, kompass__v1__score_set_request__init);
    in->evaluation_id = ids->eval_id;
    Kompass__V1__ScoreWrite *w = kp_arena_zalloc(a, sizeof *w);
    kompass__v1__score_write__init(w);
    w->question = s_str(a, s_question(ids), "");
    w->points_centi = 2550;
    w->rationale = s_str(a, NULL, "Bred dialog");
    in->writes = kp_arena_alloc(a, sizeof(void *));
    in->writes[0] = w;
    in->n_writes = 1;
}
static void b_score_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(SCORE_LIST, score_list, Kompass__V1__ScoreListRequest,
         kompass__v1__score_list_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_text_show(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(TEXT_SHOW, text_show, Kompass__V1__TextShowRequest, kompass__v1__text_show_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_text_lock(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(TEXT_LOCK, text_lock, Kompass__V1__TextLockRequest, kompass__v1__text_lock_request__init);
    in->evaluation_id = ids->eval_id;
    in->area = 2;
    in->section = s_str(a, NULL, "strengths");
}
/* area 1's summary, under the lock lock_token */
static void b_text_save(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(TEXT_SAVE, text_save, Kompass__V1__TextSaveRequest, kompass__v1__text_save_request__init);
    in->evaluation_id = ids->eval_id;
    in->area = 1;
    in->section = s_str(a, NULL, "summary");
    in->summary = s_str(a, NULL, "Tydlig strategi.");
    in->lock_token = s_str(a, ids->lock_token, "a3f1");
}
static void b_lock_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(LOCK_LIST, lock_list, Kompass__V1__LockListRequest, kompass__v1__lock_list_request__init);
    in->evaluation_id = ids->eval_id;
}
/* the lock on area 1's summary, with a reason */
static void b_lock_break(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(LOCK_BREAK, lock_break, Kompass__V1__LockBreakRequest,
         kompass__v1__lock_break_request__init);
    in->evaluation_id = ids->eval_id;
    in->area = 1;
    in->section = s_str(a, NULL, "summary");
    in->reason = s_str(a, NULL, "Ewa är bortrest");
}
static void b_eval_snapshot(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_SNAPSHOT, eval_snapshot, Kompass__V1__EvalSnapshotRequest,
         kompass__v1__eval_snapshot_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_eval_changes(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_CHANGES, eval_changes, Kompass__V1__EvalChangesRequest,
         kompass__v1__eval_changes_request__init);
    in->evaluation_id = ids->eval_id;
}

/* ------------------------------------------------------------ the lifecycle */

static void b_eval_start(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_START, eval_start, Kompass__V1__EvalStartRequest,
         kompass__v1__eval_start_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_submit(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(SUBMIT, submit, Kompass__V1__SubmitRequest, kompass__v1__submit_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_consensus_show(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CONSENSUS_SHOW, consensus_show, Kompass__V1__ConsensusShowRequest,
         kompass__v1__consensus_show_request__init);
    in->evaluation_id = ids->eval_id;
}
/* question's consensus at 20 points */
static void b_consensus_set(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CONSENSUS_SET, consensus_set, Kompass__V1__ConsensusSetRequest,
         kompass__v1__consensus_set_request__init);
    in->evaluation_id = ids->eval_id;
    in->question = s_str(a, s_question(ids), "");
    in->points_centi = 2000;
}
static void b_consensus_auto(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CONSENSUS_AUTO, consensus_auto, Kompass__V1__ConsensusAutoRequest,
         kompass__v1__consensus_auto_request__init);
    in->evaluation_id = ids->eval_id;
    in->strategy = s_str(a, NULL, "median");
}
static void b_consensus_threshold(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CONSENSUS_THRESHOLD, consensus_threshold, Kompass__V1__ConsensusThresholdRequest,
         kompass__v1__consensus_threshold_request__init);
    in->evaluation_id = ids->eval_id;
    in->major_spread_pct = 25;
}
static void b_text_approve(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(TEXT_APPROVE, text_approve, Kompass__V1__TextApproveRequest,
         kompass__v1__text_approve_request__init);
    in->evaluation_id = ids->eval_id;
    in->area = 1;
}
/* as author, with the caller's password */
static void b_sign(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(SIGN, sign, Kompass__V1__SignRequest, kompass__v1__sign_request__init);
    in->evaluation_id = ids->eval_id;
    in->meaning = s_str(a, NULL, "authored");
    in->password = s_str(a, ids->password, "");
}
static void b_eval_reopen(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_REOPEN, eval_reopen, Kompass__V1__EvalReopenRequest,
         kompass__v1__eval_reopen_request__init);
    in->evaluation_id = ids->eval_id;
    in->reason = s_str(a, NULL, "Fel i område 3");
}
static void b_eval_verify(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_VERIFY, eval_verify, Kompass__V1__EvalVerifyRequest,
         kompass__v1__eval_verify_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_eval_status(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_STATUS, eval_status, Kompass__V1__EvalStatusRequest,
         kompass__v1__eval_status_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_eval_revision(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_REVISION, eval_revision, Kompass__V1__EvalRevisionRequest,
         kompass__v1__eval_revision_request__init);
    in->evaluation_id = ids->eval_id;
    in->revision = 1;
}

/* ------------------------------------------------------------ reports and operations */

static void b_stats_agreement(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(STATS_AGREEMENT, stats_agreement, Kompass__V1__StatsAgreementRequest,
         kompass__v1__stats_agreement_request__init);
}
static void b_report_data(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(REPORT_DATA, report_data, Kompass__V1__ReportDataRequest,
         kompass__v1__report_data_request__init);
    in->evaluation_id = ids->eval_id;
}
/* a published evaluation: every question of areas with its points */
static void b_eval_import(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_IMPORT, eval_import, Kompass__V1__EvalImportRequest,
         kompass__v1__eval_import_request__init);
    in->json = kp_arena_printf(
        a,
        "{\"municipality\":\"%s\",\"framework\":\"%s\",\"label\":\"%s\",\"source\":"
        "\"Granskad rapport\",\"areas\":%s}",
        ids->municipality ? ids->municipality : "Västerås stad",
        ids->framework ? ids->framework : "KK2015", ids->label ? ids->label : "2017",
        ids->areas ? ids->areas
                   : "[{\"number\":1,\"questions\":[{\"code\":\"1.1\",\"points\":10}]}]");
}
static void b_history(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(HISTORY, history, Kompass__V1__HistoryRequest, kompass__v1__history_request__init);
    in->municipality = s_str(a, ids->municipality, "Västerås stad");
}
static void b_health(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(HEALTH, health, Kompass__V1__HealthRequest, kompass__v1__health_request__init);
}
static void b_stats(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(STATS, stats, Kompass__V1__StatsRequest, kompass__v1__stats_request__init);
}
static void b_backup(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(BACKUP, backup, Kompass__V1__BackupRequest, kompass__v1__backup_request__init);
}
static void b_search(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(SEARCH, search, Kompass__V1__SearchRequest, kompass__v1__search_request__init);
    in->query = s_str(a, NULL, "medborgardialog");
}

/* ------------------------------------------------------------ the consensus meeting */

static void b_comment_add(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(COMMENT_ADD, comment_add, Kompass__V1__CommentAddRequest,
         kompass__v1__comment_add_request__init);
    in->evaluation_id = ids->eval_id;
    in->question = s_str(a, s_question(ids), "");
    in->text = s_str(a, NULL, "Intervjuerna talar för 24.");
}
static void b_comment_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(COMMENT_LIST, comment_list, Kompass__V1__CommentListRequest,
         kompass__v1__comment_list_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_comment_resolve(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(COMMENT_RESOLVE, comment_resolve, Kompass__V1__CommentResolveRequest,
         kompass__v1__comment_resolve_request__init);
    in->evaluation_id = ids->eval_id;
    in->question = s_str(a, s_question(ids), "");
    in->reason = s_str(a, NULL, "Vi enades om 20");
}
static void b_comment_reopen(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(COMMENT_REOPEN, comment_reopen, Kompass__V1__CommentReopenRequest,
         kompass__v1__comment_reopen_request__init);
    in->evaluation_id = ids->eval_id;
    in->question = s_str(a, s_question(ids), "");
}
static void b_consensus_question(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CONSENSUS_QUESTION, consensus_question, Kompass__V1__ConsensusQuestionRequest,
         kompass__v1__consensus_question_request__init);
    in->evaluation_id = ids->eval_id;
    in->question = s_str(a, s_question(ids), "");
}
/* a practice copy of signed evaluation eval_id for trainee login */
static void b_calibration_create(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CALIBRATION_CREATE, calibration_create, Kompass__V1__CalibrationCreateRequest,
         kompass__v1__calibration_create_request__init);
    in->evaluation_id = ids->eval_id;
    in->trainee = s_str(a, ids->login, "ewa");
}
static void b_calibration_show(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CALIBRATION_SHOW, calibration_show, Kompass__V1__CalibrationShowRequest,
         kompass__v1__calibration_show_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_calibration_stats(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(CALIBRATION_STATS, calibration_stats, Kompass__V1__CalibrationStatsRequest,
         kompass__v1__calibration_stats_request__init);
}
/* every evaluation the caller may see (so no evaluation) */
static void b_subscribe(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(SUBSCRIBE, subscribe, Kompass__V1__SubscribeRequest, kompass__v1__subscribe_request__init);
    in->all = 1;
}

/* ------------------------------------------------------------ offline work, the cycle */

/* a score changed offline that the server's newer one won over */
static void b_offline_discard(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(OFFLINE_DISCARD, offline_discard, Kompass__V1__OfflineDiscardRequest,
         kompass__v1__offline_discard_request__init);
    in->evaluation_id = ids->eval_id;
    in->item =
        ids->item ? kp_arena_strdup(a, ids->item) : kp_arena_printf(a, "score %s", s_question(ids));
    in->mine = s_str(a, NULL, "{\"points\":\"25\"}");
    in->theirs_version = 7;
    Kompass__V1__OfflineOrigin *o = kp_arena_zalloc(a, sizeof *o);
    kompass__v1__offline_origin__init(o);
    o->recorded_at_us = 1764748800000000; /* 2025-12-03T08:00:00Z */
    o->base_version = 5;
    o->kept = s_str(a, NULL, "theirs");
    in->offline = o;
}
/* the report's date and the stated ordinal, if any */
static void b_eval_set(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(EVAL_SET, eval_set, Kompass__V1__EvalSetRequest, kompass__v1__eval_set_request__init);
    in->evaluation_id = ids->eval_id;
    in->report_date = s_str(a, NULL, "2017-09-30");
    in->ordinal = ids->ordinal;
}

/* ------------------------------------------------------------ the factual review */

static void b_factcheck_start(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FACTCHECK_START, factcheck_start, Kompass__V1__FactcheckStartRequest,
         kompass__v1__factcheck_start_request__init);
    in->evaluation_id = ids->eval_id;
    in->days = 10;
}
static void b_factcheck_remark(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FACTCHECK_REMARK, factcheck_remark, Kompass__V1__FactcheckRemarkRequest,
         kompass__v1__factcheck_remark_request__init);
    in->evaluation_id = ids->eval_id;
    in->area = 1;
    in->text = s_str(a, NULL, "Medborgarpanelen startade 2016.");
}
static void b_factcheck_answer(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FACTCHECK_ANSWER, factcheck_answer, Kompass__V1__FactcheckAnswerRequest,
         kompass__v1__factcheck_answer_request__init);
    in->evaluation_id = ids->eval_id;
    in->remark_id = ids->remark_id;
    in->text = s_str(a, NULL, "Rättat.");
}
static void b_factcheck_show(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FACTCHECK_SHOW, factcheck_show, Kompass__V1__FactcheckShowRequest,
         kompass__v1__factcheck_show_request__init);
    in->evaluation_id = ids->eval_id;
}
static void b_factcheck_close(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FACTCHECK_CLOSE, factcheck_close, Kompass__V1__FactcheckCloseRequest,
         kompass__v1__factcheck_close_request__init);
    in->evaluation_id = ids->eval_id;
}

/* ------------------------------------------------------------ the follow-up */

static void b_followup_list(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FOLLOWUP_LIST, followup_list, Kompass__V1__FollowupListRequest,
         kompass__v1__followup_list_request__init);
    in->evaluation_id = ids->eval_id;
}
/* item started, with a note */
static void b_followup_set(kp_arena *a, const th_sample_ids *ids, kp_request *req)
{
    BODY(FOLLOWUP_SET, followup_set, Kompass__V1__FollowupSetRequest,
         kompass__v1__followup_set_request__init);
    in->evaluation_id = ids->eval_id;
    in->item = s_str(a, ids->item, "2.1");
    in->status = s_str(a, NULL, "started");
    in->note = s_str(a, NULL, "Målen är omarbetade.");
}

/* ------------------------------------------------------------ the table */

static const th_sample s_samples[] = {
    {RQ(PING), b_ping},
    {RQ(LOGIN), b_login},
    {RQ(LOGOUT), b_logout},
    {RQ(WHO_AM_I), b_who_am_i},
    {RQ(CHANGE_PASSWORD), b_change_password},
    {RQ(REAUTHENTICATE), b_reauthenticate},
    {RQ(USER_ADD), b_user_add},
    {RQ(USER_LIST), b_user_list},
    {RQ(USER_SET_ACTIVE), b_user_set_active},
    {RQ(USER_EDIT), b_user_edit},
    {RQ(USER_RESET_PASSWORD), b_user_reset_password},
    {RQ(AUDIT_LIST), b_audit_list},
    {RQ(AUDIT_VERIFY), b_audit_verify},
    {RQ(FRAMEWORK_IMPORT), b_framework_import},
    {RQ(FRAMEWORK_LIST), b_framework_list},
    {RQ(FRAMEWORK_SHOW), b_framework_show},
    {RQ(MUNICIPALITY_ADD), b_municipality_add},
    {RQ(MUNICIPALITY_LIST), b_municipality_list},
    {RQ(MUNICIPALITY_EDIT), b_municipality_edit},
    {RQ(EVAL_CREATE), b_eval_create},
    {RQ(EVAL_LIST), b_eval_list},
    {RQ(EVAL_SHOW), b_eval_show},
    {RQ(EVAL_ASSIGN), b_eval_assign},
    {RQ(EVAL_UNASSIGN), b_eval_unassign},
    {RQ(EVIDENCE_ADD), b_evidence_add},
    {RQ(EVIDENCE_LIST), b_evidence_list},
    {RQ(SCORE_SET), b_score_set},
    {RQ(SCORE_LIST), b_score_list},
    {RQ(TEXT_SHOW), b_text_show},
    {RQ(TEXT_LOCK), b_text_lock},
    {RQ(TEXT_SAVE), b_text_save},
    {RQ(LOCK_LIST), b_lock_list},
    {RQ(LOCK_BREAK), b_lock_break},
    {RQ(EVAL_SNAPSHOT), b_eval_snapshot},
    {RQ(EVAL_CHANGES), b_eval_changes},
    {RQ(EVAL_START), b_eval_start},
    {RQ(SUBMIT), b_submit},
    {RQ(CONSENSUS_SHOW), b_consensus_show},
    {RQ(CONSENSUS_SET), b_consensus_set},
    {RQ(CONSENSUS_AUTO), b_consensus_auto},
    {RQ(CONSENSUS_THRESHOLD), b_consensus_threshold},
    {RQ(TEXT_APPROVE), b_text_approve},
    {RQ(SIGN), b_sign},
    {RQ(EVAL_REOPEN), b_eval_reopen},
    {RQ(EVAL_VERIFY), b_eval_verify},
    {RQ(EVAL_STATUS), b_eval_status},
    {RQ(EVAL_REVISION), b_eval_revision},
    {RQ(STATS_AGREEMENT), b_stats_agreement},
    {RQ(REPORT_DATA), b_report_data},
    {RQ(EVAL_IMPORT), b_eval_import},
    {RQ(HISTORY), b_history},
    {RQ(HEALTH), b_health},
    {RQ(STATS), b_stats},
    {RQ(BACKUP), b_backup},
    {RQ(SEARCH), b_search},
    {RQ(COMMENT_ADD), b_comment_add},
    {RQ(COMMENT_LIST), b_comment_list},
    {RQ(COMMENT_RESOLVE), b_comment_resolve},
    {RQ(COMMENT_REOPEN), b_comment_reopen},
    {RQ(CONSENSUS_QUESTION), b_consensus_question},
    {RQ(CALIBRATION_CREATE), b_calibration_create},
    {RQ(CALIBRATION_SHOW), b_calibration_show},
    {RQ(CALIBRATION_STATS), b_calibration_stats},
    {RQ(SUBSCRIBE), b_subscribe},
    {RQ(OFFLINE_DISCARD), b_offline_discard},
    {RQ(EVAL_SET), b_eval_set},
    {RQ(FACTCHECK_START), b_factcheck_start},
    {RQ(FACTCHECK_REMARK), b_factcheck_remark},
    {RQ(FACTCHECK_ANSWER), b_factcheck_answer},
    {RQ(FACTCHECK_SHOW), b_factcheck_show},
    {RQ(FACTCHECK_CLOSE), b_factcheck_close},
    {RQ(FOLLOWUP_LIST), b_followup_list},
    {RQ(FOLLOWUP_SET), b_followup_set},
};

const th_sample *th_samples(size_t *n)
{
    *n = sizeof s_samples / sizeof s_samples[0];
    return s_samples;
}

const th_sample *th_sample_find(int body_case)
{
    for (size_t i = 0; i < sizeof s_samples / sizeof s_samples[0]; i++)
        if (s_samples[i].body_case == body_case) return &s_samples[i];
    return NULL;
}

int th_sample_build(kp_arena *a, int body_case, const th_sample_ids *ids, kp_request *req)
{
    const th_sample *s = th_sample_find(body_case);
    if (!s) return -1;
    s->build(a, ids, req);
    return 0;
}
