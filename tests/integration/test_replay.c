/*  A write retried with the same request_id is answered with its first
 *  answer and done once: on the same kompassd, on another one on the same
 *  database, and when two copies race. And the commit-holding underneath:
 *  a held transaction is committed or rolled back as one, and a COMMIT that
 *  PostgreSQL turns into ROLLBACK is a failure. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "db.h"
#include "harness.h"
#include "statements.h"
#include "replay.h"
#include "util.h"

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field

static kp_request *s_user_add(kp_arena *a, const char *id, const char *token, const char *login)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__UserAddRequest *in = kp_arena_zalloc(a, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = kp_arena_strdup(a, login);
    in->full_name = "Anna Eklund";
    in->organisation = "SKL";
    in->role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    in->password = "Anna-Eklund-secret-1";
    req->body_case = RQ(USER_ADD);
    req->user_add = in;
    req->request_id = kp_arena_strdup(a, id);
    req->session_token = kp_arena_strdup(a, token);
    req->protocol_version = KP_PROTOCOL_VERSION;
    return req;
}

static int s_count(th_server *s, const char *sql)
{
    char *v = th_sql(s, sql);
    int n = atoi(v);
    free(v);
    return n;
}

/* A second kompassd on s's database. */
static th_server *s_twin(th_server *first)
{
    th_opts o = {0};
    o.dbname = first->dbname;
    return th_server_start_opts(&o);
}

Test(replay, a_retried_write_is_answered_once_here_and_on_another_server, .timeout = 120)
{
    th_server *s = th_server_start(NULL), *t = s_twin(s);
    kp_arena *a = kp_arena_new();
    void *sa = th_dealer(s), *sb = th_dealer(t);
    const char *token = th_token(sa, a, "admin", TH_ADMIN_PASSWORD);

    kp_response *first = th_call(sa, a, s_user_add(a, "retry-1", token, "anna"), 20000);
    cr_assert(first && first->status == KOMPASS__V1__STATUS__OK, "%s", first ? first->error : "");
    /* the same request again: here, then on the other server, then with a
     * new session of the same user */
    kp_response *again = th_call(sa, a, s_user_add(a, "retry-1", token, "anna"), 20000);
    kp_response *there = th_call(sb, a, s_user_add(a, "retry-1", token, "anna"), 20000);
    const char *token2 = th_token(sb, a, "admin", TH_ADMIN_PASSWORD);
    kp_response *later = th_call(sb, a, s_user_add(a, "retry-1", token2, "anna"), 20000);
    kp_response *answers[] = {again, there, later};
    for (int i = 0; i < 3; i++) {
        cr_assert(answers[i], "no answer to retry %d", i);
        cr_assert_eq(answers[i]->status, KOMPASS__V1__STATUS__OK, "retry %d: %s", i,
                     answers[i]->error);
        cr_assert_str_eq(answers[i]->request_id, "retry-1");
        cr_assert_str_eq(answers[i]->user_add->user->login, "anna");
        cr_assert_eq(answers[i]->user_add->user->created_us, first->user_add->user->created_us,
                     "retry %d was done again", i);
    }
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login = 'anna'"), 1);
    cr_assert_eq(s_count(s,
                         "SELECT count(*) FROM request_log WHERE request_id = 'retry-1' AND rpc = "
                         "'user_add'"),
                 1);

    /* Without the same id, the same body is a new request: CONFLICT. */
    kp_response *fresh = th_call(sa, a, s_user_add(a, "retry-2", token, "anna"), 20000);
    cr_assert(fresh);
    cr_assert_eq(fresh->status, KOMPASS__V1__STATUS__CONFLICT, "%s", fresh->error);

    zmq_close(sa);
    zmq_close(sb);
    kp_arena_destroy(&a);
    t->dbname[0] = '\0';
    th_server_free(&t);
    th_server_free(&s);
}

Test(replay, an_id_is_per_user_and_per_rpc, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "christine", "admin", "Christine-Feuk-secret-1");
    kp_arena *a = kp_arena_new();
    void *sock = th_dealer(s);
    const char *admin = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    const char *christine = th_token(sock, a, "christine", "Christine-Feuk-secret-1");

    kp_response *r = th_call(sock, a, s_user_add(a, "same-id", admin, "ewa"), 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK);
    /* another user's request with the same id is their own */
    r = th_call(sock, a, s_user_add(a, "same-id", christine, "kim"), 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK, "%s", r ? r->error : "");
    cr_assert_str_eq(r->user_add->user->login, "kim");
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login IN ('ewa', 'kim')"), 2);

    /* the id again, for another RPC: refused, nothing done */
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__UserSetActiveRequest *in = kp_arena_zalloc(a, sizeof *in);
    kompass__v1__user_set_active_request__init(in);
    in->login = "ewa";
    in->active = 0;
    req->body_case = RQ(USER_SET_ACTIVE);
    req->user_set_active = in;
    req->request_id = "same-id";
    req->session_token = (char *)admin;
    r = th_call(sock, a, req, 20000);
    cr_assert(r);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert(strstr(r->error, "already used for user_add"), "%s", r->error);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login = 'ewa' AND active"), 1);

    /* a failed write is not recorded: corrected, the same id may succeed */
    kp_request *bad = s_user_add(a, "fix-me", admin, "Not A Login");
    r = th_call(sock, a, bad, 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__BAD_REQUEST);
    r = th_call(sock, a, s_user_add(a, "fix-me", admin, "fixed"), 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK, "%s", r ? r->error : "");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

/* Two copies of one request sent at once, to two servers: both answered OK
 * with the same user, one user made. */
Test(replay, two_copies_racing_on_two_servers_make_one_write, .timeout = 180)
{
    th_server *s = th_server_start(NULL), *t = s_twin(s);
    kp_arena *a = kp_arena_new();
    void *sa = th_dealer(s), *sb = th_dealer(t);
    const char *token = th_token(sa, a, "admin", TH_ADMIN_PASSWORD);
    cr_assert(th_token(sb, a, "admin", TH_ADMIN_PASSWORD)); /* sb's handshake is done */
    for (int i = 0; i < 6; i++) {
        char id[32], login[32];
        snprintf(id, sizeof id, "race-%d", i);
        snprintf(login, sizeof login, "racer%d", i);
        size_t len;
        void *frame = kp_wire_encode_request(a, s_user_add(a, id, token, login), &len);
        cr_assert(zmq_send(sa, frame, len, 0) >= 0);
        cr_assert(zmq_send(sb, frame, len, 0) >= 0);
        kp_response *ra = NULL, *rb = NULL;
        zmq_pollitem_t items[2] = {{sa, 0, ZMQ_POLLIN, 0}, {sb, 0, ZMQ_POLLIN, 0}};
        int64_t deadline = kp_mono_ms() + 30000;
        while ((!ra || !rb) && kp_mono_ms() < deadline) {
            if (zmq_poll(items, 2, 1000) <= 0) continue;
            for (int k = 0; k < 2; k++) {
                if (!(items[k].revents & ZMQ_POLLIN)) continue;
                zmq_msg_t m;
                zmq_msg_init(&m);
                zmq_msg_recv(&m, items[k].socket, 0);
                kp_response *r = NULL;
                const char *e;
                kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e);
                zmq_msg_close(&m);
                *(k == 0 ? &ra : &rb) = r;
            }
        }
        cr_assert(ra && rb, "race %d: not both answered", i);
        cr_assert_eq(ra->status, KOMPASS__V1__STATUS__OK, "race %d, first server: %s", i,
                     ra->error);
        cr_assert_eq(rb->status, KOMPASS__V1__STATUS__OK, "race %d, second server: %s", i,
                     rb->error);
        cr_assert_eq(ra->user_add->user->created_us, rb->user_add->user->created_us);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM users WHERE login = '%s'", login);
        cr_assert_eq(s_count(s, sql), 1);
    }
    zmq_close(sa);
    zmq_close(sb);
    kp_arena_destroy(&a);
    t->dbname[0] = '\0';
    th_server_free(&t);
    th_server_free(&s);
}

/* ------------------------------------------------------------ db.c */

static const char *const s_user_params[6] = {
    "heldtest", "Held Test", "Testkommun", "evaluator", "$argon2id$v=19$m=1,t=1,p=1$x$y", NULL};

Test(db, held_commits_commit_or_roll_back_as_one, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    kp_db_use_statements(kp_statement_sets);
    kp_db *db = kp_db_new(s->conninfo);
    cr_assert_eq(kp_db_ensure(db), KP_OK, "%s", kp_db_error(db));

    /* held, then rolled back: nothing */
    kp_db_hold_commits(db);
    cr_assert_eq(kp_db_begin(db), KP_OK);
    cr_assert_eq(kp_db_call(db, "user_insert", 6, s_user_params, NULL), KP_OK, "%s",
                 kp_db_error(db));
    cr_assert_eq(kp_db_commit(db), KP_OK);
    cr_assert(kp_db_holding(db));
    kp_db_rollback(db); /* a handler's habit: must not touch the held one */
    cr_assert(kp_db_holding(db));
    cr_assert_eq(kp_db_release(db, 0), KP_OK);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login = 'heldtest'"), 0);

    /* held, then committed: there */
    kp_db_hold_commits(db);
    cr_assert_eq(kp_db_begin(db), KP_OK);
    cr_assert_eq(kp_db_call(db, "user_insert", 6, s_user_params, NULL), KP_OK);
    cr_assert_eq(kp_db_commit(db), KP_OK);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login = 'heldtest'"), 0,
                 "visible before the release");
    cr_assert_eq(kp_db_release(db, 1), KP_OK);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login = 'heldtest'"), 1);
    cr_assert(!kp_db_holding(db));

    /* not holding: a COMMIT after a failed statement is a failure */
    cr_assert_eq(kp_db_begin(db), KP_OK);
    cr_assert_eq(kp_db_call(db, "user_insert", 6, s_user_params, NULL), KP_CONFLICT);
    cr_assert_neq(kp_db_commit(db), KP_OK, "COMMIT of an aborted transaction reported OK");
    cr_assert(strstr(kp_db_error(db), "rolled back"), "%s", kp_db_error(db));
    kp_db_destroy(&db);
    th_server_free(&s);
}

/* A handler that fails after its commit (a read for its answer failing,
 * comment_resolve's count of open threads say) leaves nothing written and
 * nothing recorded: the failure it answers is true, and a retry does the
 * write. */
Test(db, a_failure_after_the_commit_takes_the_write_back, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    kp_db_use_statements(kp_statement_sets);
    kp_db *db = kp_db_new(s->conninfo);
    cr_assert_eq(kp_db_ensure(db), KP_OK, "%s", kp_db_error(db));
    kp_arena *a = kp_arena_new();
    char *uid = th_sql(s, "SELECT id FROM users WHERE login = 'admin'");
    kp_request *msg = s_user_add(a, "req-after-commit", "", "heldtest");
    kp_response resp;
    kompass__v1__response__init(&resp);
    kp_req r = {
        .arena = a, .db = db, .msg = msg, .resp = &resp, .user_id = atoll(uid), .login = "admin"};
    free(uid);

    kp_db_hold_commits(db);
    cr_assert_eq(kp_db_begin(db), KP_OK);
    cr_assert_eq(kp_db_call(db, "user_insert", 6, s_user_params, NULL), KP_OK, "%s",
                 kp_db_error(db));
    cr_assert_eq(kp_db_commit(db), KP_OK);
    kp_req_fail(&r, KP_UNAVAILABLE, "database unavailable while counting; retry shortly");
    kp_replay_finish(&r, "user_add");
    cr_assert_eq(resp.status, KOMPASS__V1__STATUS__UNAVAILABLE);
    cr_assert(!kp_db_holding(db));
    cr_assert_eq(s_count(s, "SELECT count(*) FROM users WHERE login = 'heldtest'"), 0,
                 "the write stayed although its answer was a failure");
    cr_assert_eq(s_count(s, "SELECT count(*) FROM request_log WHERE request_id = "
                            "'req-after-commit'"),
                 0, "a failure was recorded as the answer");
    kp_arena_destroy(&a);
    kp_db_destroy(&db);
    th_server_free(&s);
}
