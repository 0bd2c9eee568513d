/*  Group commit (server/worker.c): writes that wait behind each other share
 *  one transaction, each in a savepoint; one that fails fails alone, the
 *  others commit, every reply comes after the COMMIT, and retries and audit
 *  chains stay exact. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"

#define N 10

/* A ScoreSet of one question for the caller, in arena. */
static kp_request *s_score_set(kp_arena *a, const char *token, long long eval_id, const char *id,
                               const char *question, int64_t points, int64_t expected)
{
    kp_request *req = kp_arena_alloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__ScoreSetRequest *in = kp_arena_alloc(a, sizeof *in);
    kompass__v1__score_set_request__init(in);
    Kompass__V1__ScoreWrite *w = kp_arena_alloc(a, sizeof *w);
    kompass__v1__score_write__init(w);
    w->question = (char *)question;
    w->points_centi = points;
    w->rationale = "grouped";
    w->expected_version = expected;
    in->evaluation_id = eval_id;
    in->n_writes = 1;
    in->writes = kp_arena_alloc(a, sizeof(void *));
    in->writes[0] = w;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
    req->score_set = in;
    req->session_token = (char *)token;
    req->request_id = (char *)id;
    req->protocol_version = KP_PROTOCOL_VERSION;
    return req;
}

Test(group_commit, a_failing_request_fails_alone_and_the_others_commit, .timeout = 180)
{
    const char *args[] = {"--log-level", "debug", NULL};
    th_opts o = {.workers = 1, .extra_args = args};
    th_server *s = th_server_start_opts(&o);
    char admin[300], lead[300], peer[300];
    th_admin_login(s, admin, sizeof admin);
    long long ev = th_scoring_eval(s, admin, lead, peer);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "ewa", TH_PASSWORD);

    /* Ten writes sent at once to one worker: the first runs alone, the
     * others wait and are committed as groups. #4 names no question of the
     * framework, #7 is stale. */
    static const char *const questions[N] = {"1.1", "1.2", "1.3", "1.4", "9.9",
                                             "2.1", "2.2", "2.3", "2.4", "2.5"};
    char ids[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "grp-%d", i);
        kp_request *req = s_score_set(a, token, ev, ids[i], questions[i], 500, i == 7 ? 3 : 0);
        size_t len;
        void *frame = kp_wire_encode_request(a, req, &len);
        cr_assert_eq(zmq_send(sock, frame, len, 0), (int)len);
    }
    int status[N], seen = 0;
    int64_t versions[N] = {0};
    for (int i = 0; i < N; i++)
        status[i] = -1;
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    while (seen < N && zmq_poll(&it, 1, 30000) == 1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        cr_assert(zmq_msg_recv(&m, sock, 0) >= 0);
        kp_response *resp = NULL;
        const char *e = NULL;
        cr_assert_eq(kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &resp, &e),
                     KP_OK, "%s", e);
        zmq_msg_close(&m);
        for (int i = 0; i < N; i++)
            if (strcmp(resp->request_id, ids[i]) == 0) {
                cr_assert_eq(status[i], -1, "two replies to %s", ids[i]);
                status[i] = (int)resp->status;
                if (resp->status == KOMPASS__V1__STATUS__OK)
                    versions[i] = resp->score_set->version;
                else
                    cr_assert(resp->error && *resp->error);
                seen++;
            }
    }
    cr_assert_eq(seen, N, "only %d replies", seen);
    for (int i = 0; i < N; i++) {
        int want = i == 4 ? KP_BAD_REQUEST : i == 7 ? KP_CONFLICT : KP_OK;
        cr_assert_eq(status[i], want, "%s (%s): %s, expected %s", ids[i], questions[i],
                     kp_status_name(status[i]), kp_status_name(want));
        for (int k = 0; k < i; k++)
            cr_assert(!versions[i] || versions[i] != versions[k], "version %lld twice",
                      (long long)versions[i]);
    }

    /* They did share transactions. */
    char *log = th_server_log(s);
    cr_assert(strstr(log, "group commit of"), "no group commit in the log:\n%s", log);
    free(log);

    /* Exactly the eight that succeeded were written, each audited once, and
     * the chain verifies. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM scores s JOIN users u ON u.id = s.evaluator_id "
             "WHERE s.evaluation_id = %lld AND u.login = 'ewa' AND s.rationale = 'grouped'",
             ev);
    char *count = th_sql(s, sql);
    cr_assert_str_eq(count, "8");
    free(count);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_events WHERE evaluation_id = %lld AND action = "
             "'score.set'",
             ev);
    count = th_sql(s, sql);
    cr_assert_str_eq(count, "8");
    free(count);
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, NULL, "audit", "verify", NULL), 0, "%s", out);
    free(out);

    /* A retry of a grouped write gets its first answer (recorded with it). */
    kp_request *again = s_score_set(a, token, ev, ids[2], questions[2], 500, 0);
    kp_response *resp = th_call(sock, a, again, 10000);
    cr_assert(resp);
    cr_assert_eq(resp->status, KOMPASS__V1__STATUS__OK, "%s", resp->error);
    cr_assert_eq(resp->score_set->version, versions[2]);

    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}
