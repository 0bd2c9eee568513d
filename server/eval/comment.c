/*  comment: what the rest of the server reads of threads (comment.h):
 *  which are open, and each one's summary.
 *
 *  Below the handlers: the lifecycle reads the open threads to decide
 *  whether an evaluation leaves consensus (lifecycle.c), ConsensusShow the
 *  summaries. The handlers (and kp_comment_thread, which shares CommentList's
 *  reading) are in rpc_comment.c.
 */
#include "comment.h"

const kp_stmt kp_comment_stmts[] = {
    {"cm_open", "SELECT q.code FROM comment_threads t"
                " JOIN framework_questions q ON q.id = t.question_id"
                " JOIN framework_areas a ON a.id = q.area_id"
                " WHERE t.evaluation_id = $1 AND t.status = 'open' ORDER BY a.number, q.position"},
    {"cm_summaries",
     "SELECT t.question_id, t.status, count(c.id) FILTER (WHERE c.kind = 'comment'),"
     " count(c.id) FILTER (WHERE c.kind = 'comment' AND c.author_id <> $2"
     "  AND c.id > coalesce(r.last_read, 0))"
     " FROM comment_threads t LEFT JOIN comment_reads r ON r.evaluation_id = t.evaluation_id"
     "  AND r.question_id = t.question_id AND r.user_id = $2"
     " LEFT JOIN comments c ON c.evaluation_id = t.evaluation_id AND c.question_id = t.question_id"
     " WHERE t.evaluation_id = $1 GROUP BY t.question_id, t.status, r.last_read"},
    {NULL, NULL},
};

int kp_comment_open(kp_req *r, int64_t eval_id, char ***codes, size_t *n)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, eval_id)};
    int rc = kp_req_call(r, "cm_open", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the open threads");
    *n = (size_t)PQntuples(res);
    *codes = kp_arena_alloc(r->arena, sizeof(char *) * (*n + 1));
    for (size_t i = 0; i < *n; i++)
        (*codes)[i] = kp_db_str(r->arena, res, (int)i, 0);
    return KP_OK;
}

int kp_comment_summaries(kp_req *r, int64_t eval_id, kp_comment_summary **out, size_t *n)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, r->user_id)};
    int rc = kp_req_call(r, "cm_summaries", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the threads");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_zalloc(r->arena, sizeof **out * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        (*out)[i].question_id = kp_db_i64(res, (int)i, 0);
        (*out)[i].status = kp_db_str(r->arena, res, (int)i, 1);
        (*out)[i].comments = (int)kp_db_i64(res, (int)i, 2);
        (*out)[i].unread = (int)kp_db_i64(res, (int)i, 3);
    }
    return KP_OK;
}
