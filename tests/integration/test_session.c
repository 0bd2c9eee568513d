/*  Sessions end to end: login, whoami, logout through the CLI and the raw
 *  protocol; expiry; ending sessions by logout, password change, reset and
 *  disabling; re-authentication; throttling; secrets never shown. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pty.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

#define EWA_PW "Ewa-Luvo-secret-2017"

static kp_request *s_req(kp_arena *a, const char *token)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    req->session_token = kp_arena_strdup(a, token ? token : "");
    return req;
}

static kp_response *s_whoami(void *sock, kp_arena *a, const char *token)
{
    kp_request *req = s_req(a, token);
    Kompass__V1__WhoAmIRequest *in = kp_arena_zalloc(a, sizeof *in);
    kompass__v1__who_am_irequest__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_WHO_AM_I;
    req->who_am_i = in;
    kp_response *r = th_call(sock, a, req, 10000);
    cr_assert(r, "no answer to whoami");
    return r;
}

static kp_response *s_login(void *sock, kp_arena *a, const char *login, const char *password)
{
    kp_request *req = s_req(a, NULL);
    Kompass__V1__LoginRequest *in = kp_arena_zalloc(a, sizeof *in);
    kompass__v1__login_request__init(in);
    in->login = kp_arena_strdup(a, login);
    in->password = kp_arena_strdup(a, password);
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = in;
    kp_response *r = th_call(sock, a, req, 10000);
    cr_assert(r, "no answer to login");
    return r;
}

static void s_assert_unauth(kp_response *r, const char *needle)
{
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAUTHENTICATED, "status %d: %s", r->status,
                 r->error);
    cr_assert(strstr(r->error, needle), "'%s' does not say '%s'", r->error, needle);
}

static int s_count(th_server *s, const char *sql)
{
    char *v = th_sql(s, sql);
    int n = v ? atoi(v) : -1;
    free(v);
    return n;
}

Test(session, login_whoami_logout_with_the_cli, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300], *out = NULL, *err = NULL;
    th_home(s, "ewa", home, sizeof home);
    /* not logged in yet: exit 4 and a hint */
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "whoami", NULL), 4);
    cr_assert(strstr(err, "not logged in") && strstr(err, "kompass login USER"), "%s", err);
    free(out);
    free(err);

    cr_assert_eq(
        th_cli_as(s, home, EWA_PW "\n", &out, &err, "login", "Ewa", "--password-stdin", NULL), 0,
        "%s", err);
    cr_assert(strstr(out, "logged in as ewa (Test ewa, Testkommun, evaluator)"), "%s", out);
    free(out);
    free(err);

    char path[400];
    struct stat st;
    snprintf(path, sizeof path, "%s/kompass/session", home);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "session file mode %o", st.st_mode & 0777);
    snprintf(path, sizeof path, "%s/kompass", home);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700, "config dir mode %o", st.st_mode & 0777);

    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "whoami", NULL), 0, "%s", err);
    cr_assert(strstr(out, "login         ewa"), "%s", out);
    cr_assert(strstr(out, "organisation  Testkommun"), "%s", out);
    cr_assert(strstr(out, "role          evaluator"), "%s", out);
    cr_assert(strstr(out, "unless used, at the latest"), "%s", out);
    free(out);
    free(err);

    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "--json", "whoami", NULL), 0, "%s", err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "login")), "ewa");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "role")), "evaluator");
    /* the server saw this CLI's CURVE key (the ZAP handler's User-Id) */
    cr_assert(kp_curve_key_valid(json_string_value(json_object_get(doc, "client_key"))), "%s", out);
    json_decref(doc);
    free(out);
    free(err);

    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "logout", NULL), 0, "%s", err);
    cr_assert(strstr(out, "logged out"), "%s", out);
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/kompass/session", home);
    cr_assert_neq(access(path, F_OK), 0, "logout left the session file");
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "logout", NULL), 0);
    cr_assert(strstr(out, "not logged in"), "%s", out);
    free(out);
    free(err);
    th_server_free(&s);
}

Test(session, wrong_login_and_wrong_password_look_the_same, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300], *out = NULL, *e1 = NULL, *e2 = NULL;
    th_home(s, "x", home, sizeof home);
    cr_assert_eq(th_cli_as(s, home, "not-the-password\n", &out, &e1, "login", "ewa",
                           "--password-stdin", NULL),
                 4);
    free(out);
    cr_assert_eq(th_cli_as(s, home, "not-the-password\n", &out, &e2, "login", "nobody",
                           "--password-stdin", NULL),
                 4);
    free(out);
    cr_assert_str_eq(e1, "kompass: UNAUTHENTICATED: wrong login or password\n");
    cr_assert_str_eq(e1, e2);
    free(e1);
    free(e2);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM security_log WHERE kind = 'login_failed' AND "
                            "login IN ('ewa', 'nobody') AND rpc = 'login'"),
                 2);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM security_log WHERE detail LIKE '%not-the%'"), 0);
    th_server_free(&s);
}

Test(session, two_config_homes_are_two_people, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char ewa[300], *out = NULL;
    th_home(s, "ewa", ewa, sizeof ewa);
    th_login(s, ewa, "ewa", EWA_PW);
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, NULL, "whoami", NULL), 0);
    cr_assert(strstr(out, "login         ewa"), "%s", out);
    free(out);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, NULL, "whoami", NULL), 0);
    cr_assert(strstr(out, "login         admin"), "%s", out);
    cr_assert(strstr(out, "role          admin"), "%s", out);
    free(out);
    th_server_free(&s);
}

Test(session, token_is_kept_hashed_and_ends_with_logout, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    cr_assert_eq(strlen(token), 64, "%s", token);

    unsigned char h[32];
    char hex[65], sql[300];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    kp_hex(h, sizeof h, hex);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE token_hash = '%s'", hex);
    cr_assert_eq(s_count(s, sql), 1, "the session is not stored under the token's SHA-256");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions s WHERE s::text LIKE '%%%s%%'", token);
    cr_assert_eq(s_count(s, sql), 0, "the token is stored in clear");

    kp_response *r = s_whoami(sock, a, token);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    cr_assert_str_eq(r->who_am_i->user->login, "admin");

    kp_request *req = s_req(a, token);
    Kompass__V1__LogoutRequest lo = KOMPASS__V1__LOGOUT_REQUEST__INIT;
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGOUT;
    req->logout = &lo;
    r = th_call(sock, a, req, 10000);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    s_assert_unauth(s_whoami(sock, a, token), "this session was logged out");

    /* Tokens that never were, or are not even tokens */
    s_assert_unauth(s_whoami(sock, a, ""), "not logged in");
    s_assert_unauth(s_whoami(sock, a, "abc"), "malformed session token");
    char fake[65];
    memset(fake, 'a', 64);
    fake[64] = '\0';
    s_assert_unauth(s_whoami(sock, a, fake), "unknown session token");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, the_server_sees_the_clients_curve_key, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    void *sock = zmq_socket(th_zctx(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    char pub[KP_CURVE_KEY_LEN + 1];
    th_curve_client(s, sock, pub);
    cr_assert_eq(zmq_connect(sock, s->listen), 0);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    kp_response *r = s_whoami(sock, a, token);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    cr_assert_str_eq(r->who_am_i->client_key, pub);
    /* and so does the security log */
    s_assert_unauth(s_login(sock, a, "admin", "a wrong password"), "wrong login or password");
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT client_key FROM security_log WHERE kind = 'login_failed'");
    char *key = th_sql(s, sql);
    cr_assert_str_eq(key, pub);
    free(key);
    key = th_sql(s, "SELECT client_addr FROM security_log WHERE kind = 'login_failed'");
    cr_assert_str_eq(key, "127.0.0.1");
    free(key);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, idle_sessions_expire_and_use_keeps_them_alive, .timeout = 120)
{
    const char *args[] = {"--session-idle", "3", NULL};
    th_server *s = th_server_start(args);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    for (int i = 0; i < 3; i++) { /* 4.5 s in all, never 3 s unused */
        usleep(1500000);
        kp_response *r = s_whoami(sock, a, token);
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "use %d: %s", i, r->error);
    }
    usleep(3500000);
    s_assert_unauth(s_whoami(sock, a, token), "expired after a time without use");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, sessions_end_at_their_maximum_age, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    kp_response *r = s_whoami(sock, a, token);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    /* 12 h idle, 7 days at most, by default */
    int64_t idle = r->who_am_i->idle_expires_us - r->who_am_i->session_created_us;
    int64_t max = r->who_am_i->expires_us - r->who_am_i->session_created_us;
    cr_assert(idle > 43190LL * 1000000 && idle < 43210LL * 1000000, "idle %lld", (long long)idle);
    cr_assert(max > 604790LL * 1000000 && max < 604810LL * 1000000, "max %lld", (long long)max);
    free(th_sql(s, "UPDATE sessions SET expires_at = now() - interval '1 second'"));
    s_assert_unauth(s_whoami(sock, a, token), "reached its maximum age");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, disabling_a_user_ends_all_their_sessions, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300], *out = NULL, *err = NULL;
    th_home(s, "ewa", home, sizeof home);
    th_login(s, home, "ewa", EWA_PW);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "ewa", EWA_PW);

    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "ewa", NULL), 0,
                 "%s", err);
    cr_assert(strstr(out, "disabled ewa; 2 sessions ended"), "%s", out);
    free(out);
    free(err);
    s_assert_unauth(s_whoami(sock, a, token), "the account was disabled");
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "whoami", NULL), 4);
    cr_assert(strstr(err, "session ended: the account was disabled"), "%s", err);
    free(out);
    free(err);
    s_assert_unauth(s_login(sock, a, "ewa", EWA_PW), "the account 'ewa' is disabled");
    s_assert_unauth(s_login(sock, a, "ewa", "not her password"), "wrong login or password");

    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "enable", "ewa", NULL), 0);
    free(out);
    free(err);
    cr_assert_eq(s_login(sock, a, "ewa", EWA_PW)->status, KOMPASS__V1__STATUS__OK);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, passwd_changes_the_password_and_ends_the_other_sessions, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300], *out = NULL, *err = NULL;
    th_home(s, "ewa", home, sizeof home);
    th_login(s, home, "ewa", EWA_PW);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *other = th_token(sock, a, "ewa", EWA_PW);

    cr_assert_eq(
        th_cli_as(s, home, EWA_PW "\nshort\n", &out, &err, "passwd", "--password-stdin", NULL), 1);
    cr_assert(strstr(err, "shorter than 12 characters"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, home, "wrong-current-pw\nA-new-password-2024\n", &out, &err, "passwd",
                           "--password-stdin", NULL),
                 4);
    cr_assert(strstr(err, "kompass: DENIED: wrong password (your session is still valid); "
                          "nothing was changed: run the command again\n"),
              "%s", err);
    cr_assert(!strstr(err, "log in"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, home, EWA_PW "\nA-new-password-2024\n", &out, &err, "passwd",
                           "--password-stdin", NULL),
                 0, "%s", err);
    cr_assert(strstr(out, "password changed; 1 other session ended"), "%s", out);
    free(out);
    free(err);
    /* this session goes on, the other has ended */
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, NULL, "whoami", NULL), 0);
    s_assert_unauth(s_whoami(sock, a, other), "the password was changed");
    s_assert_unauth(s_login(sock, a, "ewa", EWA_PW), "wrong login or password");
    cr_assert_eq(s_login(sock, a, "ewa", "A-new-password-2024")->status, KOMPASS__V1__STATUS__OK);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, reauthenticate_asks_for_the_password_again, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    const char *tries[] = {TH_ADMIN_PASSWORD, "not the password"};
    for (int i = 0; i < 2; i++) {
        kp_request *req = s_req(a, token);
        Kompass__V1__ReauthenticateRequest *in = kp_arena_zalloc(a, sizeof *in);
        kompass__v1__reauthenticate_request__init(in);
        in->password = kp_arena_strdup(a, tries[i]);
        req->body_case = KOMPASS__V1__REQUEST__BODY_REAUTHENTICATE;
        req->reauthenticate = in;
        kp_response *r = th_call(sock, a, req, 10000);
        if (i == 0) {
            cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
            cr_assert_gt(r->reauthenticate->verified_us, 0);
        } else {
            /* DENIED: the session it was asked in is still valid */
            cr_assert_eq(r->status, KOMPASS__V1__STATUS__DENIED, "status %d: %s", r->status,
                         r->error);
            cr_assert_str_eq(r->error, "wrong password (your session is still valid)");
        }
    }
    /* a wrong password does not end the session; it is recorded */
    cr_assert_eq(s_whoami(sock, a, token)->status, KOMPASS__V1__STATUS__OK);
    cr_assert_eq(s_count(s, "SELECT count(*) FROM security_log WHERE kind = 'login_failed' AND "
                            "rpc = 'reauthenticate' AND login = 'admin'"),
                 1);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

/* Moves every security log entry back in time, as if seconds had passed. */
static void s_age(th_server *s, int seconds)
{
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE security_log SET at = at - interval '%d seconds'", seconds);
    free(th_sql(s, sql));
}

Test(session, repeated_failures_for_one_login_are_slowed_more_and_more, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *pw = TH_ADMIN_PASSWORD;
    s_assert_unauth(s_login(sock, a, "admin", "wrong 1"), "wrong login or password");
    s_assert_unauth(s_login(sock, a, "admin", "wrong 2"), "wrong login or password");
    kp_response *r = s_login(sock, a, "admin", "wrong 3");
    s_assert_unauth(r, "the next attempt must wait 2 s");
    /* slowed: even the right password is refused, without being checked */
    r = s_login(sock, a, "admin", pw);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__RATE_LIMITED, "%d %s", r->status, r->error);
    cr_assert(strstr(r->error, "too many failed password attempts for login 'admin'"), "%s",
              r->error);
    cr_assert(strstr(r->error, "try again in"), "%s", r->error);
    cr_assert(r->retry_after_ms > 0 && r->retry_after_ms <= 2000, "%u", r->retry_after_ms);
    s_age(s, 5);
    s_assert_unauth(s_login(sock, a, "admin", "wrong 4"), "must wait 4 s");
    s_age(s, 10);
    s_assert_unauth(s_login(sock, a, "admin", "wrong 5"), "must wait 8 s");
    s_age(s, 10);
    r = s_login(sock, a, "admin", "wrong 6");
    s_assert_unauth(r, "must wait 16 s");
    cr_assert_eq(r->retry_after_ms, 16000);
    /* refused for a while, and the CLI says so with exit 6 */
    char home[300], *out = NULL, *err = NULL;
    th_home(s, "admin2", home, sizeof home);
    cr_assert_eq(th_cli_as(s, home, TH_ADMIN_PASSWORD "\n", &out, &err, "login", "admin",
                           "--password-stdin", NULL),
                 6);
    cr_assert(strstr(err, "RATE_LIMITED: too many failed password attempts"), "%s", err);
    free(out);
    free(err);
    cr_assert_geq(s_count(s, "SELECT count(*) FROM security_log WHERE kind = 'throttled'"), 2);
    /* after the wait, the right password works and the count starts again */
    s_age(s, 40);
    r = s_login(sock, a, "admin", pw);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    r = s_login(sock, a, "admin", "wrong again");
    cr_assert_str_eq(r->error, "wrong login or password");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, repeated_failures_from_one_address_are_slowed, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    /* 20 guesses at 20 logins: no login has many, the address has; each
     * after the wait the last one started (2, 4 ... 60 s from the tenth),
     * all well inside the 15 minutes */
    for (int i = 0; i < 20; i++) {
        char login[32];
        snprintf(login, sizeof login, "guess%d", i);
        kp_response *r = s_login(sock, a, login, "a guessed password");
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAUTHENTICATED, "guess %d: %s", i, r->error);
        if (i < 19) s_age(s, (int)(r->retry_after_ms / 1000) + 1);
        kp_arena_reset(a);
    }
    kp_response *r = s_login(sock, a, "admin", TH_ADMIN_PASSWORD);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__RATE_LIMITED, "%d %s", r->status, r->error);
    cr_assert(strstr(r->error, "from 127.0.0.1"), "%s", r->error);
    /* slowed, never locked out: at most a minute */
    cr_assert(r->retry_after_ms > 50000 && r->retry_after_ms <= 60000, "%u", r->retry_after_ms);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(session, secrets_are_never_logged_or_printed, .timeout = 180)
{
    th_server *s = th_server_start(NULL); /* the harness runs it at --log-level debug */
    const char *secrets[] = {TH_ADMIN_PASSWORD, EWA_PW, "Wrong-Guess-98765", "Reset-To-This-2024",
                             "Changed-To-That-2025"};
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300], *out[6] = {0}, *err[6] = {0};
    th_home(s, "ewa", home, sizeof home);
    th_cli_as(s, home, EWA_PW "\n", &out[0], &err[0], "--json", "login", "ewa", "--password-stdin",
              NULL);
    th_cli_as(s, home, "Wrong-Guess-98765\n", &out[1], &err[1], "login", "ewa", "--password-stdin",
              NULL);
    th_cli_as(s, th_admin(s), "Reset-To-This-2024\n", &out[2], &err[2], "user", "reset-password",
              "ewa", "--password-stdin", NULL);
    th_cli_as(s, home, "Reset-To-This-2024\n", &out[3], &err[3], "login", "ewa", "--password-stdin",
              NULL);
    th_cli_as(s, home, "Reset-To-This-2024\nChanged-To-That-2025\n", &out[4], &err[4], "passwd",
              "--password-stdin", NULL);
    th_cli_as(s, home, NULL, &out[5], &err[5], "--json", "whoami", NULL);

    char path[400];
    snprintf(path, sizeof path, "%s/kompass/session", home);
    char *session = kp_read_file(path, 65536, NULL);
    cr_assert(session);
    char *token = strstr(session, "token = ");
    cr_assert(token, "%s", session);
    token += 8;
    *strchr(token, '\n') = '\0';
    cr_assert_eq(strlen(token), 64);

    char *log = th_server_log(s);
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        cr_assert(!strstr(log, secrets[i]), "'%s' is in the server log", secrets[i]);
        for (int k = 0; k < 6; k++)
            cr_assert(!strstr(out[k], secrets[i]) && !strstr(err[k], secrets[i]),
                      "'%s' was printed by command %d", secrets[i], k);
    }
    cr_assert(!strstr(log, token), "the session token is in the server log");
    for (int k = 0; k < 6; k++) {
        cr_assert(!strstr(out[k], token), "command %d printed the token", k);
        free(out[k]);
        free(err[k]);
    }
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM security_log l WHERE l::text LIKE '%%%s%%'",
             "Wrong-Guess");
    cr_assert_eq(s_count(s, sql), 0, "a password is in the security log");
    free(session);
    free(log);
    th_server_free(&s);
}

Test(session, the_password_prompt_does_not_echo, .timeout = 60)
{
    th_server *s = th_server_start(NULL);
    char home[300];
    th_home(s, "tty", home, sizeof home);
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    cr_assert(pid >= 0);
    if (pid == 0) {
        setenv("XDG_CONFIG_HOME", home, 1);
        setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
        execl(th_bin("kompass"), "kompass", "--server", s->listen, "login", "admin", (char *)NULL);
        _exit(127);
    }
    char screen[8192];
    size_t n = 0;
    int sent = 0;
    int64_t deadline = kp_mono_ms() + 30000;
    while (kp_mono_ms() < deadline && n < sizeof screen - 1) {
        ssize_t r = read(master, screen + n, sizeof screen - 1 - n);
        if (r <= 0) break; /* EIO: the child is gone */
        n += (size_t)r;
        screen[n] = '\0';
        if (!sent && strstr(screen, "Password for admin")) {
            cr_assert_eq(write(master, TH_ADMIN_PASSWORD "\n", strlen(TH_ADMIN_PASSWORD) + 1),
                         (ssize_t)strlen(TH_ADMIN_PASSWORD) + 1);
            sent = 1;
        }
    }
    int status;
    waitpid(pid, &status, 0);
    close(master);
    cr_assert(sent, "no prompt: %s", screen);
    cr_assert(!strstr(screen, TH_ADMIN_PASSWORD), "the password was echoed:\n%s", screen);
    cr_assert(strstr(screen, "logged in as admin"), "%s", screen);
    cr_assert_eq(WEXITSTATUS(status), 0);

    /* Without a terminal and without --password-stdin: told what to do. */
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "login", "admin", NULL), 2);
    cr_assert(strstr(err, "no terminal to ask for the password: use --password-stdin"), "%s", err);
    free(err);
    th_server_free(&s);
}
