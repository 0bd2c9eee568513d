/*  Live updates on the request connection: Subscribe, pushed Updates only
 *  to sessions that may see them, lock updates, the end of a subscription,
 *  and `kompass watch` across a server restart. Raw protocol where the
 *  frames matter, the CLI where a person would be. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

static th_server *s;
static char admin[300], lead[300], peer[300], ids[32];
static long long eval_id;
static kp_arena *arena;

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    eval_id = th_scoring_eval(s, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", eval_id);
    arena = kp_arena_new();
}

static void teardown(void)
{
    kp_arena_destroy(&arena);
    th_server_free(&s);
}

TestSuite(watch, .init = setup, .fini = teardown, .timeout = 300);

/* ------------------------------------------------------------ raw protocol */

/* What a raw subscriber has been pushed. */
typedef struct {
    long long eval;
    long long version;
    char action[40];
    int ended;
    char reason[200];
    char holder[40];
} seen_update;

typedef struct {
    void *sock;
    const char *token;
    seen_update got[200];
    int n;
} client;

/* Reads one frame; a push is recorded, a reply returned. */
static kp_response *s_read(client *c, int timeout_ms)
{
    zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0) return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    cr_assert(zmq_msg_recv(&m, c->sock, 0) >= 0);
    cr_assert(!zmq_msg_more(&m), "a frame of more than one part");
    kp_response *r = NULL;
    const char *e;
    kp_wire_decode_response(arena, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e);
    zmq_msg_close(&m);
    cr_assert(r, "not a kompass.v1.Response");
    if (r->body_case == KOMPASS__V1__RESPONSE__BODY_UPDATE) {
        cr_assert_str_eq(r->request_id, "", "a push carries no request id");
        cr_assert_lt(c->n, 200);
        seen_update *u = &c->got[c->n++];
        u->eval = r->update->evaluation_id;
        u->version = r->update->version;
        snprintf(u->action, sizeof u->action, "%s", r->update->action);
        u->ended = r->update->ended;
        snprintf(u->reason, sizeof u->reason, "%s", r->update->reason);
        snprintf(u->holder, sizeof u->holder, "%s", r->update->lock ? r->update->lock->holder : "");
    }
    return r;
}

/* Sends req, returns its reply; pushes meanwhile are recorded. */
static kp_response *s_rpc(client *c, kp_request *req)
{
    char id[33];
    kp_random_id(id);
    req->request_id = kp_arena_strdup(arena, id);
    req->protocol_version = KP_PROTOCOL_VERSION;
    req->session_token = (char *)(c->token ? c->token : "");
    size_t len;
    void *frame = kp_wire_encode_request(arena, req, &len);
    cr_assert(zmq_send(c->sock, frame, len, 0) >= 0);
    int64_t deadline = kp_mono_ms() + 20000;
    for (;;) {
        kp_response *r = s_read(c, (int)(deadline - kp_mono_ms()));
        cr_assert(r, "no reply within 20 s");
        if (strcmp(r->request_id, id) == 0) return r;
    }
}

/* Records what is pushed within ms. */
static void s_listen(client *c, int ms)
{
    int64_t deadline = kp_mono_ms() + ms;
    while (kp_mono_ms() < deadline)
        s_read(c, (int)(deadline - kp_mono_ms()));
}

/* Waits (at most 10 s) until c has been pushed an update with action for
 * eval; its index. */
static int s_await(client *c, long long eval, const char *action)
{
    int64_t deadline = kp_mono_ms() + 10000;
    for (;;) {
        for (int i = 0; i < c->n; i++)
            if (c->got[i].eval == eval && strcmp(c->got[i].action, action) == 0) return i;
        cr_assert(kp_mono_ms() < deadline, "no %s of evaluation %lld pushed (%d updates)", action,
                  eval, c->n);
        s_read(c, 200);
    }
}

static int s_count(const client *c, long long eval)
{
    int n = 0;
    for (int i = 0; i < c->n; i++)
        n += c->got[i].eval == eval;
    return n;
}

/* A raw connection, logged in as login (NULL: anonymous). */
static client *s_client(const char *login, const char *password)
{
    client *c = kp_arena_zalloc(arena, sizeof *c);
    c->sock = th_dealer(s);
    if (login) c->token = kp_arena_strdup(arena, th_token(c->sock, arena, login, password));
    return c;
}

static void s_client_close(client *c)
{
    zmq_close(c->sock);
}

/* Subscribe: to one evaluation (eval > 0), or all (eval 0). Its reply. */
static kp_response *s_subscribe(client *c, long long eval)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__SubscribeRequest *b = kp_arena_zalloc(arena, sizeof *b);
    kompass__v1__subscribe_request__init(b);
    if (eval > 0) {
        b->n_evaluation_ids = 1;
        b->evaluation_ids = kp_arena_alloc(arena, sizeof(int64_t));
        b->evaluation_ids[0] = eval;
    } else {
        b->all = 1;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_SUBSCRIBE;
    req->subscribe = b;
    return s_rpc(c, req);
}

static void s_score(const char *home, const char *question, const char *points)
{
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "score", "set", ids, question, points, NULL),
                 0, "%s", err);
    free(err);
}

Test(watch, an_anonymous_subscriber_receives_nothing)
{
    /* On the request connection: no session, no subscription. */
    client *anon = s_client(NULL, NULL);
    kp_response *r = s_subscribe(anon, 0);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAUTHENTICATED, "%s", r->error);
    /* On the old update socket: a CURVE key, subscribed to everything. */
    void *sub = zmq_socket(th_zctx(), ZMQ_SUB);
    char pub[64];
    th_curve_client(s, sub, pub);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    cr_assert_eq(zmq_connect(sub, s->publish), 0);
    /* A team member's subscription shows that updates do flow. */
    client *mine = s_client("ewa", TH_PASSWORD);
    cr_assert_eq(s_subscribe(mine, eval_id)->status, KOMPASS__V1__STATUS__OK);
    usleep(300000); /* the SUB connection is up */
    s_score(lead, "1.1", "10");
    s_score(peer, "1.2", "11");
    s_await(mine, eval_id, "score.set");
    s_listen(anon, 1500);
    cr_assert_eq(anon->n, 0, "an anonymous connection was pushed %d updates", anon->n);
    zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&it, 1, 500), 0, "the update socket carried something");
    zmq_close(sub);
    s_client_close(anon);
    s_client_close(mine);
}

Test(watch, a_session_off_the_team_receives_nothing)
{
    char olle[300];
    th_user(s, admin, "olle", "Olle Ek", "Lunds kommun", "evaluator", olle, sizeof olle);
    client *o = s_client("olle", TH_PASSWORD);
    /* Exactly that evaluation: as if it did not exist. */
    kp_response *r = s_subscribe(o, eval_id);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__NOT_FOUND, "%s", r->error);
    cr_assert(strstr(r->error, "no evaluation"), "%s", r->error);
    /* Everything it may see: nothing of this one. */
    r = s_subscribe(o, 0);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    cr_assert(r->subscribe->all);
    client *adm = s_client("admin", TH_ADMIN_PASSWORD);
    cr_assert_eq(s_subscribe(adm, 0)->status, KOMPASS__V1__STATUS__OK);
    s_score(lead, "1.1", "12");
    s_await(adm, eval_id, "score.set"); /* admins see every evaluation */
    s_listen(o, 1500);
    cr_assert_eq(o->n, 0, "olle was pushed %d updates of an evaluation he is not on", o->n);
    s_client_close(o);
    s_client_close(adm);
}

Test(watch, a_team_change_adds_and_removes_visibility)
{
    char olle[300];
    th_user(s, admin, "olle", "Olle Ek", "Lunds kommun", "observer", olle, sizeof olle);
    client *o = s_client("olle", TH_PASSWORD);
    cr_assert_eq(s_subscribe(o, 0)->status, KOMPASS__V1__STATUS__OK);
    /* Added to the team: from its own assignment on. */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "olle", "--as",
                           "observer", NULL),
                 0);
    s_await(o, eval_id, "eval.assign");
    s_score(lead, "2.1", "5");
    s_await(o, eval_id, "score.set");
    /* Removed: nothing more, not even of the removal. */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "unassign", ids, "olle", NULL), 0);
    int before = o->n;
    s_score(lead, "2.2", "6");
    client *adm = s_client("admin", TH_ADMIN_PASSWORD);
    cr_assert_eq(s_subscribe(adm, eval_id)->status, KOMPASS__V1__STATUS__OK);
    s_score(lead, "2.3", "7");
    s_await(adm, eval_id, "score.set");
    s_listen(o, 1000);
    cr_assert_eq(o->n, before, "olle was pushed %s after leaving the team",
                 o->n > before ? o->got[before].action : "");

    /* Subscribed to exactly this evaluation, then taken off its team: the
     * subscription ends, saying why. */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "olle", "--as",
                           "observer", NULL),
                 0);
    kp_response *r = s_subscribe(o, eval_id);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    cr_assert(r->subscribe->was_subscribed, "the connection's subscription to all was replaced");
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "unassign", ids, "olle", NULL), 0);
    int end = s_await(o, eval_id, "subscription.end");
    cr_assert(o->got[end].ended);
    cr_assert(strstr(o->got[end].reason, "no longer on this evaluation's team"), "%s",
              o->got[end].reason);
    int after = o->n;
    s_score(lead, "2.4", "8");
    s_await(adm, eval_id, "score.set");
    s_listen(o, 1000);
    cr_assert_eq(o->n, after, "pushed after the end of the subscription");
    s_client_close(o);
    s_client_close(adm);
}

Test(watch, a_revoked_sessions_subscription_ends)
{
    client *e = s_client("ewa", TH_PASSWORD);
    cr_assert_eq(s_subscribe(e, eval_id)->status, KOMPASS__V1__STATUS__OK);
    s_score(lead, "1.3", "4");
    s_await(e, eval_id, "score.set");
    /* The same session logged out from another connection. */
    client *other = s_client(NULL, NULL);
    other->token = e->token;
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__LogoutRequest *b = kp_arena_zalloc(arena, sizeof *b);
    kompass__v1__logout_request__init(b);
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGOUT;
    req->logout = b;
    cr_assert_eq(s_rpc(other, req)->status, KOMPASS__V1__STATUS__OK);
    int end = s_await(e, 0, "subscription.end");
    cr_assert(e->got[end].ended);
    cr_assert(strstr(e->got[end].reason, "logged out"), "%s", e->got[end].reason);
    int after = e->n;
    s_score(lead, "1.4", "5");
    s_listen(e, 1500);
    cr_assert_eq(e->n, after, "pushed to a session that ended");
    s_client_close(e);
    s_client_close(other);
}

Test(watch, exact_match_evaluation_1_does_not_get_evaluation_10)
{
    cr_assert_eq(eval_id, 1);
    long long ten = 0;
    for (int i = 2; i <= 10; i++) {
        char label[16];
        snprintf(label, sizeof label, "20%02d", i);
        ten = th_eval(s, admin, "Västerås stad", label);
    }
    cr_assert_eq(ten, 10);
    client *adm = s_client("admin", TH_ADMIN_PASSWORD);
    kp_response *r = s_subscribe(adm, 1);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    cr_assert_eq(r->subscribe->n_evaluation_ids, 1);
    cr_assert(!r->subscribe->was_subscribed);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", "10", "christine", "--as",
                           "lead", NULL),
                 0);
    s_score(lead, "1.1", "3"); /* evaluation 1, after the change of 10 */
    s_await(adm, 1, "score.set");
    s_listen(adm, 500);
    cr_assert_eq(s_count(adm, 10), 0, "evaluation 10's change reached a subscriber of 1");
    s_client_close(adm);
}

/* TextLock op on area 3's summary as c; the token. */
static const char *s_lock(client *c, int op, const char *token)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__TextLockRequest *b = kp_arena_zalloc(arena, sizeof *b);
    kompass__v1__text_lock_request__init(b);
    b->evaluation_id = eval_id;
    b->area = 3;
    b->section = "summary";
    b->op = (Kompass__V1__TextLockRequest__Op)op;
    b->token = (char *)(token ? token : "");
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = b;
    kp_response *r = s_rpc(c, req);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    return r->text_lock->token;
}

Test(watch, lock_taken_renewed_and_released_are_pushed)
{
    client *e = s_client("ewa", TH_PASSWORD);
    cr_assert_eq(s_subscribe(e, eval_id)->status, KOMPASS__V1__STATUS__OK);
    client *c = s_client("christine", TH_PASSWORD);
    const char *token = s_lock(c, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE, NULL);
    int i = s_await(e, eval_id, "lock.take");
    cr_assert_str_eq(e->got[i].holder, "christine");
    cr_assert_eq(e->got[i].version, 0, "locks are not versioned");
    s_lock(c, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW, token);
    s_await(e, eval_id, "lock.renew");
    s_lock(c, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE, token);
    i = s_await(e, eval_id, "lock.release");
    cr_assert_str_eq(e->got[i].holder, "christine");
    s_client_close(e);
    s_client_close(c);
}

Test(watch, a_req_socket_cannot_subscribe)
{
    void *req_sock = zmq_socket(th_zctx(), ZMQ_REQ);
    char pub[64];
    th_curve_client(s, req_sock, pub);
    cr_assert_eq(zmq_connect(req_sock, s->listen), 0);
    const char *token = th_token(req_sock, arena, "ewa", TH_PASSWORD);
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__SubscribeRequest *b = kp_arena_zalloc(arena, sizeof *b);
    kompass__v1__subscribe_request__init(b);
    b->all = 1;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SUBSCRIBE;
    req->subscribe = b;
    req->session_token = (char *)token;
    kp_response *r = th_call(req_sock, arena, req, 20000);
    cr_assert(r);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert(strstr(r->error, "DEALER"), "%s", r->error);
    zmq_close(req_sock);
}

/* ------------------------------------------------------------ the CLI */

/* Waits for a child at most timeout_ms, then kills it; its wait status. */
static int s_wait_child(pid_t pid, int timeout_ms)
{
    int status = 0;
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (kp_mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cr_assert_fail("a child process did not finish in %d ms", timeout_ms);
        }
        usleep(20000);
    }
    return status;
}

/* How many times needle is in file. */
static int s_occurs(const char *file, const char *needle)
{
    char *t = kp_read_file(file, 1 << 20, NULL);
    int n = 0;
    for (const char *p = t; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(t);
    return n;
}

/* Waits until file holds needle at least times times (at most 60 s). */
static void s_wait_for(const char *file, const char *needle, int times)
{
    int64_t deadline = kp_mono_ms() + 60000;
    while (s_occurs(file, needle) < times) {
        char *t = kp_read_file(file, 1 << 20, NULL);
        cr_assert(kp_mono_ms() < deadline, "'%s' did not appear %d times in %s:\n%s", needle, times,
                  file, t ? t : "");
        free(t);
        usleep(50000);
    }
}

/* `kompass --server SERVERS ARGS...` as home's user, in the background,
 * its stdout and stderr into out and err. */
static pid_t s_watch_bg_at(const char *home, const char *servers, const char *key, const char *out,
                           const char *err, const char *const *args)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("XDG_CONFIG_HOME", home, 1);
        setenv("KOMPASS_SERVER_KEY", key, 1);
        FILE *f = freopen(out, "w", stdout);
        f = freopen(err, "w", stderr);
        (void)f;
        const char *argv[20] = {"kompass", "--server", servers};
        int n = 3;
        for (int i = 0; args[i] && n < 19; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(th_bin("kompass"), (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static pid_t s_watch_bg(const char *home, const th_server *server, const char *out, const char *err,
                        const char *const *args)
{
    return s_watch_bg_at(home, server->listen, server->server_key, out, err, args);
}

/* The changes (lines with a version) in a watch's --json output: how many,
 * asserting consecutive versions (no gap, no repeat). */
static int s_changes(const char *text)
{
    char *copy = strdup(text), *save = NULL;
    long long prev = -1;
    int changes = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *c = json_loads(line, 0, NULL);
        cr_assert(c, "%s", line);
        if (json_object_get(c, "version") && !json_object_get(c, "watching")) {
            long long v = json_integer_value(json_object_get(c, "version"));
            if (prev >= 0) cr_assert_eq(v, prev + 1, "after version %lld came %lld", prev, v);
            prev = v;
            changes++;
        }
        json_decref(c);
    }
    free(copy);
    return changes;
}

Test(watch, watch_rides_out_a_server_restart_with_no_gap_and_no_repeat)
{
    /* A second kompassd on the database, for changes while the first is down. */
    th_opts o2 = {0};
    o2.dbname = s->dbname;
    th_server *s2 = th_server_start_opts(&o2);
    char lead2[300];
    th_login_new(s2, "christine", lead2, sizeof lead2);

    char out[400], err[400];
    snprintf(out, sizeof out, "%s/watch.out", s->dir);
    snprintf(err, sizeof err, "%s/watch.err", s->dir);
    const char *args[] = {"--json", "watch", ids, "--count", "7", "--poll", "1", NULL};
    pid_t w = s_watch_bg(peer, s, out, err, args);
    s_wait_for(out, "\"watching\"", 1);
    s_score(lead, "1.1", "1");
    s_score(lead, "1.2", "2");
    s_wait_for(out, "\"score.set\"", 2);

    /* The watched server goes away; two changes happen elsewhere meanwhile. */
    cr_assert_eq(th_server_stop(s), 0);
    s_wait_for(err, "reconnecting", 1);
    for (int i = 0; i < 2; i++) {
        char *e = NULL;
        cr_assert_eq(
            th_cli_as(s2, lead2, NULL, NULL, &e, "score", "set", ids, i ? "1.4" : "1.3", "3", NULL),
            0, "%s", e);
        free(e);
    }
    /* ... and it comes back, on the same endpoints. */
    const char *again[] = {"--listen", s->listen, "--publish", s->publish, NULL};
    th_opts o = {0};
    o.data_dir = s->dir;
    o.dbname = s->dbname;
    o.extra_args = again;
    th_server *t = th_server_start_opts(&o);
    cr_assert_str_eq(t->listen, s->listen);
    s->dbname[0] = '\0'; /* t owns them now */
    s->dir[0] = '\0';
    th_server_free(&s);
    s = t;
    s_wait_for(err, "reconnected to", 1);
    s_wait_for(out, "\"score.set\"", 4);
    /* Live again, pushed: three more (one through the other server). */
    s_score(lead, "1.5", "4");
    s_score(peer, "1.1", "5");
    char *e = NULL;
    cr_assert_eq(th_cli_as(s2, lead2, NULL, NULL, &e, "score", "set", ids, "2.1", "6", NULL), 0,
                 "%s", e);
    free(e);
    int status = s_wait_child(w, 120000);
    char *text = kp_read_file(out, 1 << 20, NULL), *etext = kp_read_file(err, 1 << 20, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "watch exited %d:\n%s\n%s",
              WEXITSTATUS(status), text, etext);
    /* Seven changes, consecutive versions: no gap, no repeat. */
    cr_assert_eq(s_changes(text), 7, "%s", text);
    cr_assert(strstr(etext, "reconnected to"), "%s", etext);
    free(text);
    free(etext);
    s2->dbname[0] = '\0';
    th_server_free(&s2);
}

Test(watch, watch_ends_when_the_session_ends)
{
    char out[400], err[400];
    snprintf(out, sizeof out, "%s/watch.out", s->dir);
    snprintf(err, sizeof err, "%s/watch.err", s->dir);
    const char *args[] = {"watch", ids, NULL};
    char ewa2[300];
    th_login_new(s, "ewa", ewa2, sizeof ewa2);
    pid_t w = s_watch_bg(ewa2, s, out, err, args);
    s_wait_for(out, "watching evaluation", 1);
    /* The user is disabled: every session of hers ends. */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "user", "disable", "ewa", NULL), 0);
    int status = s_wait_child(w, 30000);
    char *etext = kp_read_file(err, 1 << 20, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0, "watch went on");
    cr_assert(strstr(etext, "no more updates of evaluation") && strstr(etext, "disabled"), "%s",
              etext);
    free(etext);
}

Test(watch, a_text_save_shows_the_words_that_changed)
{
    char file[400];
    snprintf(file, sizeof file, "%s/summary.txt", s->dir);
    const char first[] = "Kommunen har en tydlig vision och ett väl förankrat mål för "
                         "medborgardialogen i alla nämnder.\n";
    cr_assert_eq(kp_write_file(file, first, sizeof first - 1, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "3", "summary", "--file",
                           file, NULL),
                 0);
    char *v = th_sql(s, "SELECT version FROM evaluations WHERE id = 1");
    const char second[] = "Kommunen har en tydlig vision och ett väl förankrat mål för "
                          "medborgardialogen i alla nämnder. Uppföljningen saknas dock helt.\n";
    cr_assert_eq(kp_write_file(file, second, sizeof second - 1, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "3", "summary", "--file",
                           file, NULL),
                 0);
    char *out = NULL;
    cr_assert_eq(
        th_cli_as(s, peer, NULL, &out, NULL, "watch", ids, "--since", v, "--count", "1", NULL), 0);
    /* The appended sentence, with a little of what came before it. */
    cr_assert(strstr(out, "i alla nämnder. {+Uppföljningen saknas dock helt.+}"), "%s", out);
    cr_assert(!strstr(out, "Kommunen har"), "the unchanged start was repeated: %s", out);
    free(out);
    free(v);
}

Test(watch, watch_moves_to_another_endpoint_of_server_when_its_own_goes_away)
{
    /* A twin: same database, same key pair, its own endpoints. */
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    chmod(dir, 0755);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp -a '%s/curve' '%s/curve'", s->dir, dir);
    cr_assert_eq(system(cmd), 0);
    th_opts o = {0};
    o.data_dir = dir;
    o.dbname = s->dbname;
    th_server *twin = th_server_start_opts(&o);
    cr_assert_str_eq(twin->server_key, s->server_key);
    char list[600], home[400];
    snprintf(list, sizeof list, "%s,%s", s->listen, twin->listen);
    snprintf(home, sizeof home, "%s/ewa-both", s->dir);
    cr_assert_eq(mkdir(home, 0700), 0);
    const char *login[] = {"--server", list,  "--server-key",     s->server_key,
                           "login",    "ewa", "--password-stdin", NULL};
    char *e = NULL;
    cr_assert_eq(th_cli_full(NULL, home, TH_PASSWORD, NULL, &e, login), 0, "%s", e);
    free(e);
    char lead2[300];
    th_login_new(twin, "christine", lead2, sizeof lead2);

    char out[400], err[400];
    snprintf(out, sizeof out, "%s/watch.out", s->dir);
    snprintf(err, sizeof err, "%s/watch.err", s->dir);
    const char *args[] = {"--json", "watch", ids, "--count", "3", "--poll", "1", NULL};
    pid_t w = s_watch_bg_at(home, list, s->server_key, out, err, args);
    s_wait_for(out, "\"watching\"", 1);
    s_score(lead, "1.1", "1");
    s_wait_for(out, "\"score.set\"", 1);
    cr_assert_eq(th_server_stop(s), 0); /* the first endpoint goes away for good */
    for (int i = 0; i < 2; i++) {
        e = NULL;
        cr_assert_eq(th_cli_as(twin, lead2, NULL, NULL, &e, "score", "set", ids, i ? "1.3" : "1.2",
                               "2", NULL),
                     0, "%s", e);
        free(e);
    }
    int status = s_wait_child(w, 120000);
    char *text = kp_read_file(out, 1 << 20, NULL), *etext = kp_read_file(err, 1 << 20, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "watch exited %d:\n%s\n%s",
              WEXITSTATUS(status), text, etext);
    cr_assert_eq(s_changes(text), 3, "%s", text);
    char want[400];
    snprintf(want, sizeof want, "reconnected to %s", twin->listen);
    cr_assert(strstr(etext, want), "%s", etext);
    free(text);
    free(etext);
    twin->dbname[0] = '\0'; /* s drops it */
    th_server_free(&twin);
}

Test(watch, a_python_client_from_the_readme_sees_only_what_its_session_may)
{
    char olle[300];
    th_user(s, admin, "olle", "Olle Ek", "Lunds kommun", "evaluator", olle, sizeof olle);
    char script[600];
    snprintf(script, sizeof script, "%s/tests/python/subscriber.py", KP_SOURCE_DIR);
    const char *argv[] = {KP_PYTHON3, script,    "--outsider", "olle",        "--member", "ewa",
                          "--",       s->listen, s->publish,   s->server_key, ids,        NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, TH_PASSWORD "\n" TH_PASSWORD "\n", &out, &err, 90000);
    cr_assert_eq(rc, 0, "subscriber.py exited %d:\n%s\n%s", rc, out, err);
    cr_assert(strstr(out, "member pushed: lock.take, lock.release"), "%s", out);
    free(out);
    free(err);
}
