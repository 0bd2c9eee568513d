/*  rpc_comment: CommentAdd, CommentList, CommentResolve, CommentReopen, and
 *  what the consensus module reads of threads (comment.h).
 *
 *  A change to a thread is a change of the evaluation: it locks the
 *  evaluation's row, bumps its version and records one audit event, so
 *  watchers see it and the chain stays linear. Opening a thread while the
 *  evaluation is in review sends it back to consensus (the team has found
 *  something to settle: the signatures given so far are cancelled, as for
 *  any change in review); resolving the last one lets it move on to review
 *  when everything else is complete (kp_eval_advance, lifecycle.c, decides both).
 */
#include "comment.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "rpc.h"
#include "util.h"

#define MAX_COMMENT 10000
#define MAX_REASON  2000

const kp_stmt kp_rpc_comment_stmts[] = {
    {"cm_question", "SELECT q.id, q.code, q.text, a.number FROM framework_questions q"
                    " JOIN framework_areas a ON a.id = q.area_id"
                    " WHERE q.framework_id = $1 AND q.code = $2"},
    {"cm_thread_get",
     "SELECT t.status, coalesce(u.login, ''),"
     " coalesce((extract(epoch FROM t.resolved_at) * 1000000)::bigint, 0), t.resolve_reason"
     " FROM comment_threads t LEFT JOIN users u ON u.id = t.resolved_by"
     " WHERE t.evaluation_id = $1 AND t.question_id = $2 FOR UPDATE OF t"},
    {"cm_thread_open",
     "INSERT INTO comment_threads (evaluation_id, question_id, status, opened_by, version)"
     " VALUES ($1, $2, 'open', $3, $4) ON CONFLICT (evaluation_id, question_id) DO UPDATE SET"
     " status = 'open', resolved_by = NULL, resolved_at = NULL, resolve_reason = '',"
     " version = EXCLUDED.version"},
    {"cm_thread_touch", "UPDATE comment_threads SET version = $3"
                        " WHERE evaluation_id = $1 AND question_id = $2"},
    {"cm_thread_resolve",
     "UPDATE comment_threads SET status = 'resolved', resolved_by = $3, resolved_at = now(),"
     " resolve_reason = $4, version = $5 WHERE evaluation_id = $1 AND question_id = $2"},
    {"cm_put", "INSERT INTO comments (evaluation_id, question_id, kind, body, author_id, version)"
               " VALUES ($1, $2, $3, $4, $5, $6)"
               " RETURNING id, (extract(epoch FROM created_at) * 1000000)::bigint"},
    /* $2 the reader; $3 one question or NULL; $4 open threads only */
    {"cm_threads",
     "SELECT q.id, q.code, q.text, a.number, t.status, coalesce(u.login, ''),"
     " coalesce((extract(epoch FROM t.resolved_at) * 1000000)::bigint, 0), t.resolve_reason,"
     " t.version, coalesce(r.last_read, 0)"
     " FROM comment_threads t JOIN framework_questions q ON q.id = t.question_id"
     " JOIN framework_areas a ON a.id = q.area_id LEFT JOIN users u ON u.id = t.resolved_by"
     " LEFT JOIN comment_reads r ON r.evaluation_id = t.evaluation_id"
     "  AND r.question_id = t.question_id AND r.user_id = $2"
     " WHERE t.evaluation_id = $1 AND ($3::bigint IS NULL OR t.question_id = $3)"
     "  AND (NOT $4::boolean OR t.status = 'open')"
     " ORDER BY a.number, q.position"},
    {"cm_comments", "SELECT c.id, c.question_id, c.kind, c.body, u.login, u.full_name,"
                    " (extract(epoch FROM c.created_at) * 1000000)::bigint, c.version, c.author_id"
                    " FROM comments c JOIN users u ON u.id = c.author_id"
                    " WHERE c.evaluation_id = $1 AND ($2::bigint IS NULL OR c.question_id = $2)"
                    " ORDER BY c.question_id, c.id"},
    {"cm_read",
     "INSERT INTO comment_reads (evaluation_id, question_id, user_id, last_read)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (evaluation_id, question_id, user_id) DO UPDATE SET"
     " last_read = greatest(comment_reads.last_read, EXCLUDED.last_read), read_at = now()"
     " WHERE comment_reads.last_read < EXCLUDED.last_read"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- reading */

typedef struct {
    Kompass__V1__CommentThread *thread;
    int64_t question_id;
    int64_t last_read; /* the reader's marker before this read */
    int64_t last_id;   /* the thread's last entry */
} s_thread;

/* The threads of ev (one question: question_id, else 0; open ones only)
 * with their entries, as r's user sees them. */
static int s_threads(kp_req *r, const kp_eval *ev, int64_t question_id, int open_only,
                     s_thread **out, size_t *n)
{
    PGresult *res;
    const char *p[4] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, r->user_id),
                        question_id ? kp_db_param_i64(r->arena, question_id) : NULL,
                        open_only ? "true" : "false"};
    int rc = kp_req_call(r, "cm_threads", 4, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the threads");
    *n = (size_t)PQntuples(res);
    s_thread *t = kp_arena_zalloc(r->arena, sizeof *t * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        int k = (int)i;
        Kompass__V1__CommentThread *th = kp_arena_alloc(r->arena, sizeof *th);
        kompass__v1__comment_thread__init(th);
        t[i].question_id = kp_db_i64(res, k, 0);
        th->question = kp_db_str(r->arena, res, k, 1);
        th->text = kp_db_str(r->arena, res, k, 2);
        th->area = (int32_t)kp_db_i64(res, k, 3);
        th->status = kp_db_str(r->arena, res, k, 4);
        th->resolved_by = kp_db_str(r->arena, res, k, 5);
        th->resolved_at_us = kp_db_i64(res, k, 6);
        th->reason = kp_db_str(r->arena, res, k, 7);
        th->version = kp_db_i64(res, k, 8);
        t[i].last_read = kp_db_i64(res, k, 9);
        t[i].thread = th;
    }
    *out = t;
    if (*n == 0) return KP_OK;

    const char *q[2] = {p[0], p[2]};
    rc = kp_req_call(r, "cm_comments", 2, q, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading comments");
    int rows = PQntuples(res);
    /* entries come by question, then in order: count each thread's first */
    size_t *cap = kp_arena_zalloc(r->arena, sizeof(size_t) * (*n + 1));
    for (int k = 0; k < rows; k++) {
        int64_t qid = kp_db_i64(res, k, 1);
        for (size_t i = 0; i < *n; i++)
            if (t[i].question_id == qid) cap[i]++;
    }
    for (size_t i = 0; i < *n; i++)
        t[i].thread->comments = kp_arena_alloc(r->arena, sizeof(void *) * (cap[i] + 1));
    for (int k = 0; k < rows; k++) {
        int64_t qid = kp_db_i64(res, k, 1);
        size_t i = 0;
        while (i < *n && t[i].question_id != qid)
            i++;
        if (i == *n) continue; /* a thread not asked for */
        Kompass__V1__Comment *c = kp_arena_alloc(r->arena, sizeof *c);
        kompass__v1__comment__init(c);
        c->id = kp_db_i64(res, k, 0);
        c->kind = kp_db_str(r->arena, res, k, 2);
        c->text = kp_db_str(r->arena, res, k, 3);
        c->author = kp_db_str(r->arena, res, k, 4);
        c->author_name = kp_db_str(r->arena, res, k, 5);
        c->at_us = kp_db_i64(res, k, 6);
        c->version = kp_db_i64(res, k, 7);
        c->unread = kp_db_i64(res, k, 8) != r->user_id && c->id > t[i].last_read;
        Kompass__V1__CommentThread *th = t[i].thread;
        th->comments[th->n_comments++] = c;
        if (strcmp(c->kind, "comment") == 0) {
            th->count++;
            if (c->unread) th->new_count++;
        }
        if (c->id > t[i].last_id) t[i].last_id = c->id;
    }
    return KP_OK;
}

/* Moves r's user's read marker of each thread to its last entry. */
static int s_mark_read(kp_req *r, int64_t eval_id, const s_thread *t, size_t n)
{
    if (!r->user_id) return KP_OK;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].last_id || t[i].last_id <= t[i].last_read) continue;
        const char *p[4] = {
            kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, t[i].question_id),
            kp_db_param_i64(r->arena, r->user_id), kp_db_param_i64(r->arena, t[i].last_id)};
        int rc = kp_req_call(r, "cm_read", 4, p, NULL);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "noting what you have read");
    }
    return KP_OK;
}

int kp_comment_thread(kp_req *r, const kp_eval *ev, int64_t question_id,
                      Kompass__V1__CommentThread **out)
{
    *out = NULL;
    s_thread *t;
    size_t n;
    int rc = s_threads(r, ev, question_id, 0, &t, &n);
    if (rc == KP_OK && n) rc = s_mark_read(r, ev->id, t, n);
    if (rc == KP_OK && n) *out = t[0].thread;
    return rc;
}

/* ---------------------------------------------------------------- writing */

typedef struct {
    int64_t id;
    const char *code, *text;
    int area;
} s_question;

static int s_question_find(kp_req *r, const kp_eval *ev, const char *code, s_question *q)
{
    if (!*code) return kp_req_fail(r, KP_BAD_REQUEST, "a thread needs a question (e.g. 7.1)");
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->framework_id), code};
    int rc = kp_req_call(r, "cm_question", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the framework");
    if (PQntuples(res) == 0) {
        return kp_req_fail(r, KP_BAD_REQUEST, "question '%.40s' is not in framework %s", code,
                           ev->framework);
    }
    q->id = kp_db_i64(res, 0, 0);
    q->code = kp_db_str(r->arena, res, 0, 1);
    q->text = kp_db_str(r->arena, res, 0, 2);
    q->area = (int)kp_db_i64(res, 0, 3);
    return KP_OK;
}

/* Where threads are written: not in a calibration exercise, not while
 * scoring is blind (a comment could carry a score; whoever writes it). A
 * signed evaluation was refused by kp_eval_begin_change already. */
static int s_writable(kp_req *r, const kp_eval *ev)
{
    if (ev->practice)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is a calibration exercise (övning): it has no "
                           "consensus meeting and no threads",
                           (long long)ev->id);
    int blind;
    int rc = kp_score_blind_phase(r, ev->id, &blind);
    if (rc != KP_OK) return rc;
    if (blind)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is in %s with blind scoring: a comment could carry "
                           "a score, so threads open once every evaluator has submitted "
                           "(kompass submit)",
                           (long long)ev->id, kp_eval_state_name(ev->state));
    return KP_OK;
}

/* The thread's state, locked: *status "" (none), open or resolved. */
static int s_thread_lock(kp_req *r, const kp_eval *ev, int64_t question_id, const char **status,
                         const char **resolved_by, int64_t *resolved_at)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, question_id)};
    int rc = kp_req_call(r, "cm_thread_get", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the thread");
    *status = PQntuples(res) ? kp_db_str(r->arena, res, 0, 0) : "";
    if (resolved_by) *resolved_by = PQntuples(res) ? kp_db_str(r->arena, res, 0, 1) : "";
    if (resolved_at) *resolved_at = PQntuples(res) ? kp_db_i64(res, 0, 2) : 0;
    return KP_OK;
}

/* Appends an entry of kind to the thread at ev's (bumped) version. */
static int s_entry(kp_req *r, const kp_eval *ev, int64_t question_id, const char *kind,
                   const char *text, Kompass__V1__Comment **out)
{
    PGresult *res;
    const char *p[6] = {
        kp_db_param_i64(r->arena, ev->id),     kp_db_param_i64(r->arena, question_id), kind, text,
        kp_db_param_i64(r->arena, r->user_id), kp_db_param_i64(r->arena, ev->version)};
    int rc = kp_req_call(r, "cm_put", 6, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "writing to the thread");
    if (out) {
        Kompass__V1__Comment *c = kp_arena_alloc(r->arena, sizeof *c);
        kompass__v1__comment__init(c);
        c->id = kp_db_i64(res, 0, 0);
        c->at_us = kp_db_i64(res, 0, 1);
        c->kind = (char *)kind;
        c->text = (char *)text;
        c->author = (char *)r->login;
        c->author_name = (char *)r->full_name;
        c->version = ev->version;
        *out = c;
    }
    return KP_OK;
}

/* After a thread opened or closed: the move to or from review (which an
 * open thread blocks) is kp_eval_advance's, past scoring. */
static int s_advance(kp_req *r, kp_eval *ev, json_t *after)
{
    if (ev->state != KP_EVAL_CONSENSUS && ev->state != KP_EVAL_REVIEW &&
        ev->state != KP_EVAL_REOPENED)
        return KP_OK;
    return kp_eval_advance(r, ev, after, NULL);
}

static int s_open_count(kp_req *r, int64_t eval_id, int32_t *n, char ***codes, size_t *ncodes)
{
    char **c;
    size_t k;
    int rc = kp_comment_open(r, eval_id, &c, &k);
    if (rc != KP_OK) return rc;
    *n = (int32_t)k;
    if (codes) *codes = c;
    if (ncodes) *ncodes = k;
    return KP_OK;
}

/* Only white space? */
static int s_blank(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\r\n\v\f", *s)) return 0;
    return 1;
}

int kp_rpc_comment_add(kp_req *r)
{
    const Kompass__V1__CommentAddRequest *in = r->msg->comment_add;
    if (s_blank(in->text)) return kp_req_fail(r, KP_BAD_REQUEST, "a comment needs text (--text)");
    if (strlen(in->text) > MAX_COMMENT)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "the comment is %zu bytes long; at most %d: nothing was written",
                           strlen(in->text), MAX_COMMENT);
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "adding a comment");
    kp_eval ev;
    s_question q = {0};
    const char *status = "";
    Kompass__V1__Comment *c = NULL;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_writable(r, &ev);
    if (rc == KP_OK) rc = s_question_find(r, &ev, in->question, &q);
    if (rc == KP_OK) rc = s_thread_lock(r, &ev, q.id, &status, NULL, NULL);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    int opens = rc == KP_OK && strcmp(status, "open") != 0;
    if (rc == KP_OK) {
        const char *e = kp_db_param_i64(r->arena, ev.id), *qq = kp_db_param_i64(r->arena, q.id),
                   *v = kp_db_param_i64(r->arena, ev.version);
        if (opens) {
            const char *p[4] = {e, qq, kp_db_param_i64(r->arena, r->user_id), v};
            rc = kp_req_call(r, "cm_thread_open", 4, p, NULL);
        } else {
            const char *p[3] = {e, qq, v};
            rc = kp_req_call(r, "cm_thread_touch", 3, p, NULL);
        }
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "opening the thread");
    }
    if (rc == KP_OK) rc = s_entry(r, &ev, q.id, "comment", in->text, &c);
    json_t *after = NULL;
    if (rc == KP_OK) {
        after = kp_req_json(r, json_pack("{s:s,s:I,s:s,s:s}", "question", q.code, "comment",
                                         (json_int_t)c->id, "text", in->text, "thread",
                                         !*status                          ? "opened"
                                         : strcmp(status, "resolved") == 0 ? "reopened"
                                                                           : "open"));
        if (opens) rc = s_advance(r, &ev, after);
    }
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "comment.add",
                            .target = kp_arena_printf(r->arena, "thread %s", q.code),
                            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "adding a comment");
    if (rc != KP_OK) return rc;
    Kompass__V1__CommentAddResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__comment_add_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->comment = c;
    out->reopened = strcmp(status, "resolved") == 0;
    rc = s_open_count(r, ev.id, &out->open_threads, NULL, NULL);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_COMMENT_ADD;
    r->resp->comment_add = out;
    return KP_OK;
}

int kp_rpc_comment_resolve(kp_req *r)
{
    const Kompass__V1__CommentResolveRequest *in = r->msg->comment_resolve;
    if (strlen(in->reason) > MAX_REASON)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "the reason is %zu bytes long; at most %d: nothing was written",
                           strlen(in->reason), MAX_REASON);
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "resolving a thread");
    kp_eval ev;
    s_question q = {0};
    const char *status = "", *by = "";
    int64_t at = 0;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_writable(r, &ev);
    if (rc == KP_OK) rc = s_question_find(r, &ev, in->question, &q);
    if (rc == KP_OK) rc = s_thread_lock(r, &ev, q.id, &status, &by, &at);
    if (rc == KP_OK && !*status)
        rc = kp_req_fail(r, KP_NOT_FOUND, "there is no thread on %s in evaluation %lld", q.code,
                         (long long)ev.id);
    if (rc == KP_OK && strcmp(status, "resolved") == 0) {
        char when[32];
        kp_format_utc_us(at, when);
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "the thread on %s is already resolved (by %s at %s); nothing was "
                         "written",
                         q.code, by, when);
    }
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        const char *p[5] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, q.id),
                            kp_db_param_i64(r->arena, r->user_id), in->reason,
                            kp_db_param_i64(r->arena, ev.version)};
        rc = kp_req_call(r, "cm_thread_resolve", 5, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "resolving the thread");
    }
    if (rc == KP_OK) rc = s_entry(r, &ev, q.id, "resolve", in->reason, NULL);
    json_t *after = kp_req_json(
        r, json_pack("{s:s,s:s}", "question", q.code ? q.code : "", "thread", "resolved"));
    if (rc == KP_OK) rc = s_advance(r, &ev, after);
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "comment.resolve",
                            .target = kp_arena_printf(r->arena, "thread %s", q.code),
                            .before = kp_audit_json(
                                r, json_pack("{s:s,s:s}", "question", q.code, "thread", "open")),
                            .after = kp_audit_json(r, json_incref(after)),
                            .reason = in->reason};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "resolving a thread");
    if (rc != KP_OK) return rc;
    Kompass__V1__CommentResolveResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__comment_resolve_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    rc = s_open_count(r, ev.id, &out->open_threads, &out->still_open, &out->n_still_open);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_COMMENT_RESOLVE;
    r->resp->comment_resolve = out;
    return KP_OK;
}

int kp_rpc_comment_reopen(kp_req *r)
{
    const Kompass__V1__CommentReopenRequest *in = r->msg->comment_reopen;
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reopening a thread");
    kp_eval ev;
    s_question q = {0};
    const char *status = "";
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_writable(r, &ev);
    if (rc == KP_OK) rc = s_question_find(r, &ev, in->question, &q);
    if (rc == KP_OK) rc = s_thread_lock(r, &ev, q.id, &status, NULL, NULL);
    if (rc == KP_OK && !*status)
        rc = kp_req_fail(r, KP_NOT_FOUND,
                         "there is no thread on %s in evaluation %lld (kompass comment add "
                         "opens one)",
                         q.code, (long long)ev.id);
    if (rc == KP_OK && strcmp(status, "open") == 0)
        rc = kp_req_fail(r, KP_INVALID_STATE, "the thread on %s is open already", q.code);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        const char *p[4] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, q.id),
                            kp_db_param_i64(r->arena, r->user_id),
                            kp_db_param_i64(r->arena, ev.version)};
        rc = kp_req_call(r, "cm_thread_open", 4, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reopening the thread");
    }
    if (rc == KP_OK) rc = s_entry(r, &ev, q.id, "reopen", "", NULL);
    json_t *after =
        kp_req_json(r, json_pack("{s:s,s:s}", "question", q.code ? q.code : "", "thread", "open"));
    if (rc == KP_OK) rc = s_advance(r, &ev, after);
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "comment.reopen",
                            .target = kp_arena_printf(r->arena, "thread %s", q.code),
                            .before = kp_audit_json(r, json_pack("{s:s,s:s}", "question", q.code,
                                                                 "thread", "resolved")),
                            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "reopening a thread");
    if (rc != KP_OK) return rc;
    Kompass__V1__CommentReopenResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__comment_reopen_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    rc = s_open_count(r, ev.id, &out->open_threads, NULL, NULL);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_COMMENT_REOPEN;
    r->resp->comment_reopen = out;
    return KP_OK;
}

int kp_rpc_comment_list(kp_req *r)
{
    const Kompass__V1__CommentListRequest *in = r->msg->comment_list;
    kp_eval ev;
    int rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    s_question q = {0};
    if (*in->question && (rc = s_question_find(r, &ev, in->question, &q)) != KP_OK) return rc;
    s_thread *t;
    size_t n;
    rc = s_threads(r, &ev, q.id, in->open_only, &t, &n);
    if (rc != KP_OK) return rc;
    Kompass__V1__CommentListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__comment_list_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->n_threads = n;
    out->threads = kp_arena_alloc(r->arena, sizeof(void *) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        out->threads[i] = t[i].thread;
        out->new_count += t[i].thread->new_count;
    }
    rc = s_open_count(r, ev.id, &out->open_threads, NULL, NULL);
    if (rc == KP_OK) rc = s_mark_read(r, ev.id, t, n);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_COMMENT_LIST;
    r->resp->comment_list = out;
    return KP_OK;
}
