/*  Hardening against hostile clients (issue 16), against a real kompassd:
 *  strings are checked whole, never cut (raw protocol and CLI). */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"

static th_server *s;
static void *sock;
static kp_arena *arena;

static void setup(void)
{
    s = th_server_start(NULL);
    sock = th_dealer(s);
    arena = kp_arena_new();
}

static void teardown(void)
{
    zmq_close(sock);
    kp_arena_destroy(&arena);
    th_server_free(&s);
}

TestSuite(hardening, .init = setup, .fini = teardown, .timeout = 180);

/* Sends req with a NUL inside some of its strings, as a hostile client
 * would: each of the strings given (NULL-terminated) that holds a '#' is
 * found in the packed bytes and its '#'s become NULs (same lengths: protobuf-c
 * packs strlen bytes; only bytes inside that string change). */
static kp_response *s_call_nul(kp_request *req, ...)
{
    if (!req->protocol_version) req->protocol_version = KP_PROTOCOL_VERSION;
    size_t len;
    uint8_t *frame = kp_wire_encode_request(arena, req, &len);
    va_list ap;
    va_start(ap, req);
    for (const char *str; (str = va_arg(ap, const char *));) {
        if (!strchr(str, '#')) continue;
        uint8_t *at = memmem(frame, len, str, strlen(str));
        cr_assert(at, "'%s' is not in the frame", str);
        for (size_t k = 0; str[k]; k++)
            if (str[k] == '#') at[k] = 0;
    }
    va_end(ap);
    return th_call_raw(sock, arena, frame, len, 20000);
}

static void assert_bad(kp_response *r, const char *field, const char *what)
{
    cr_assert(r, "no reply");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__BAD_REQUEST, "status %d: %s", r->status, r->error);
    char quoted[128];
    snprintf(quoted, sizeof quoted, "field '%s'", field);
    cr_assert(strstr(r->error, quoted), "error '%s' does not name %s", r->error, quoted);
    cr_assert(strstr(r->error, what), "error '%s' does not say '%s'", r->error, what);
}

static kp_request *s_login_req(const char *login, const char *password)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__LoginRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__login_request__init(in);
    in->login = kp_arena_strdup(arena, login);
    in->password = kp_arena_strdup(arena, password);
    req->request_id = "login-1";
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = in;
    return req;
}

Test(hardening, nul_in_login_does_not_log_in_as_the_prefix)
{
    char *before = th_sql(s, "SELECT count(*) FROM sessions");
    kp_response *r =
        s_call_nul(s_login_req("admin#anything", TH_ADMIN_PASSWORD), "admin#anything", NULL);
    assert_bad(r, "login.login", "NUL");
    cr_assert_str_eq(r->request_id, "login-1", "the readable request id is echoed");
    cr_assert(!r->login || !r->login->session_token || !*r->login->session_token);
    /* a NUL in the password is refused too, without checking it */
    assert_bad(
        s_call_nul(s_login_req("admin", TH_ADMIN_PASSWORD "#x"), TH_ADMIN_PASSWORD "#x", NULL),
        "login.password", "NUL");
    char *after = th_sql(s, "SELECT count(*) FROM sessions");
    cr_assert_str_eq(before, after, "a session was made");
    /* the real thing still works */
    th_token(sock, arena, "admin", TH_ADMIN_PASSWORD);
    free(before);
    free(after);
}

/* A UserAdd as admin with the given names. */
static kp_request *s_user_add(const char *token, const char *login, const char *full_name,
                              const char *org)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__UserAddRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = kp_arena_strdup(arena, login);
    in->full_name = kp_arena_strdup(arena, full_name);
    in->organisation = kp_arena_strdup(arena, org);
    in->role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    in->password = "a long enough password 1";
    req->session_token = (char *)token;
    req->request_id = "ua-1";
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
    req->user_add = in;
    return req;
}

Test(hardening, bad_names_are_refused_naming_the_field_and_nothing_is_stored)
{
    const char *token = th_token(sock, arena, "admin", TH_ADMIN_PASSWORD);
    char *fp = th_db_fingerprint(s);
    struct {
        const char *login, *full_name, *org, *field, *what;
    } cases[] = {
        {"zed", "Kort#dold del", "SKL", "user_add.full_name", "NUL"},
        {"zed", "Zed Zedsson", "SKL#", "user_add.organisation", "NUL"},
        {"zed", "Zed\aZedsson", "SKL", "user_add.full_name", "control character U+0007"},
        {"zed", "Zed\nZedsson", "SKL", "user_add.full_name", "control character U+000A"},
        {"zed", "Zed Zedsson", "V\xc3\xa4ster\xc3\xa5s\xe2\x80\x8bstad", "user_add.organisation",
         "U+200B ZERO WIDTH SPACE"},
        {"zed",
         "Zed \xe2\x80\xae"
         "nossdeZ",
         "SKL", "user_add.full_name", "U+202E RIGHT-TO-LEFT OVERRIDE"},
        {"zed", "\xe2\x81\xa7Zed", "SKL", "user_add.full_name", "U+2067 RIGHT-TO-LEFT ISOLATE"},
        {"zed", "   ", "SKL", "user_add.full_name", "blank"},
        {"zed", "Zed Zedsson", "\xc2\xa0", "user_add.organisation", "blank"},
        {"zed\xe2\x80\x8b", "Zed Zedsson", "SKL", "user_add.login", "invisible"},
        {"zed", "Zed Zedsson", "SKL\xed\xa0\x80", "user_add.organisation", "UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kp_response *r =
            s_call_nul(s_user_add(token, cases[i].login, cases[i].full_name, cases[i].org),
                       cases[i].full_name, cases[i].org, NULL);
        assert_bad(r, cases[i].field, cases[i].what);
        cr_assert_str_eq(r->request_id, "ua-1", "case %zu: request id not echoed", i);
    }
    char *fp2 = th_db_fingerprint(s);
    cr_assert_str_eq(fp, fp2, "a refused request changed the database");
    /* A good one goes through whole. */
    kp_response *r =
        s_call_nul(s_user_add(token, "zed", "Zed Zedsson-Öberg", "Västerås stad"), NULL);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    char *name = th_sql(s, "SELECT full_name FROM users WHERE login = 'zed'");
    cr_assert_str_eq(name, "Zed Zedsson-Öberg");
    free(name);
    free(fp);
    free(fp2);
}

Test(hardening, request_id_with_a_nul_is_not_echoed)
{
    kp_request *req = s_login_req("admin", TH_ADMIN_PASSWORD);
    req->request_id = "id#more";
    kp_response *r = s_call_nul(req, "id#more", NULL);
    assert_bad(r, "request_id", "NUL");
    cr_assert_str_eq(r->request_id, "");
}

Test(hardening, cli_reports_an_invisible_character_in_a_name)
{
    /* README's example, word for word */
    char *o = NULL, *e = NULL;
    cr_assert_neq(th_cli_as(s, th_admin(s), "a long enough password 1\n", &o, &e, "user", "add",
                            "jonas", "--name", "Jonas\xe2\x80\x8b Ek", "--org", "SKL", "--role",
                            "evaluator", "--password-stdin", NULL),
                  0);
    cr_assert(strstr(e, "kompass: BAD_REQUEST: field 'user_add.full_name' contains U+200B ZERO "
                        "WIDTH SPACE, an invisible or direction-changing character, at character "
                        "6 (names may hold only visible characters and spaces)\n"),
              "%s", e);
    free(o);
    free(e);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, th_admin(s), "a long enough password 1\n", &out, &err, "user", "add",
                       "zed", "--name", "Zed\xe2\x80\x8bZedsson", "--org", "SKL", "--role",
                       "evaluator", "--password-stdin", NULL);
    cr_assert_neq(rc, 0, "accepted: %s", out);
    cr_assert(strstr(err, "full_name") && strstr(err, "U+200B ZERO WIDTH SPACE"), "%s", err);
    char *n = th_sql(s, "SELECT count(*) FROM users WHERE login = 'zed'");
    cr_assert_str_eq(n, "0");
    free(n);
    free(out);
    free(err);
}

/* ---------------------------------------------------------------- evidence */

/* `kompass --json search QUERY` as home's user: how many hits of kind. */
static size_t s_hits_of_kind(const char *home, const char *query, const char *kind)
{
    json_t *doc = th_json(s, home, 0, "search", query, "--limit", "200", NULL);
    size_t n = 0, i;
    json_t *h;
    json_array_foreach(json_object_get(doc, "hits"), i, h)
    {
        if (strcmp(json_string_value(json_object_get(h, "kind")), kind) == 0) n++;
    }
    json_decref(doc);
    return n;
}

Test(hardening, evidence_in_search_is_for_the_team_and_admins_only)
{
    char admin[300], lead[300], peer[300], olle[300], obs[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_scoring_eval(s, admin, lead, peer);
    th_user(s, admin, "olle", "Olle Berg", "SKL", "evaluator", olle, sizeof olle);
    th_user(s, admin, "obs", "Observatör", "Sundsvall", "observer", obs, sizeof obs);
    char ids[32], *err = NULL;
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "evidence", "add", ids, "document", "--title",
                           "Intervjuanteckningar medborgardialog", "--note",
                           "Kommundirektören Karin Ek om medborgardialogen", "--questions", "1.4",
                           NULL),
                 0, "%s", err);
    free(err);
    char path[600];
    snprintf(path, sizeof path, "%s/text.txt", s->dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("Bred medborgardialog med e-förslag\n", f);
    fclose(f);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "text", "set", ids, "1", "strengths",
                           "--file", path, NULL),
                 0, "%s", err);
    free(err);
    /* signed: its texts are everyone's good examples, its evidence is not */
    char sql[400];
    snprintf(sql, sizeof sql,
             "UPDATE evaluations SET status = 'consensus' WHERE id = %lld;"
             "UPDATE evaluations SET status = 'review' WHERE id = %lld;"
             "UPDATE evaluations SET status = 'signed' WHERE id = %lld",
             id, id, id);
    cr_assert_eq(th_sql_try(s, sql, &err), 0, "%s", err);

    const char *outsiders[] = {olle, obs};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(s_hits_of_kind(outsiders[i], "medborgardialog", "strengths"), 1);
        cr_assert_eq(s_hits_of_kind(outsiders[i], "medborgardialog", "evidence"), 0,
                     "an outsider found the evidence");
        cr_assert_eq(s_hits_of_kind(outsiders[i], "Karin", "evidence"), 0);
        /* the same rule as evidence list */
        cr_assert_neq(th_cli_as(s, outsiders[i], NULL, NULL, NULL, "evidence", "list", ids, NULL),
                      0);
    }
    const char *insiders[] = {lead, peer, admin};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(s_hits_of_kind(insiders[i], "medborgardialog", "evidence"), 1);
        cr_assert_eq(s_hits_of_kind(insiders[i], "Karin", "evidence"), 1);
    }
}

/* ---------------------------------------------------------------- look-alikes */

Test(hardening, look_alike_organisations_are_a_conflict_of_interest)
{
    char admin[300], home[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_eval(s, admin, "Västerås stad", "2017");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    struct {
        const char *login, *org;
    } people[] = {
        {"nbsp", "Västerås\xc2\xa0stad"},
        {"caps", "VÄSTERÅS  STAD "},
        {"wide", "\xef\xbc\xb6\xc3\xa4ster\xc3\xa5s \xef\xbd\x93tad"}, /* fullwidth V, s */
        {"nfd", "Va\xcc\x88stera\xcc\x8as kommun"},                    /* decomposed ä, å */
        {"zw", "SKL"}, /* given a zero-width space below, as stored before the check */
    };
    for (size_t i = 0; i < sizeof people / sizeof *people; i++)
        th_user(s, admin, people[i].login, "Test Person", people[i].org, "evaluator", home,
                sizeof home);
    char *err = NULL;
    cr_assert_eq(th_sql_try(s,
                            "UPDATE users SET organisation = 'Väs' || U&'\\200B' || 'terås  stad'"
                            " WHERE login = 'zw'",
                            &err),
                 0, "%s", err);
    for (size_t i = 0; i < sizeof people / sizeof *people; i++) {
        err = NULL;
        int rc = th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, people[i].login,
                           "--as", "peer", NULL);
        cr_assert_eq(rc, 3, "%s (%s) was assigned: %s", people[i].login, people[i].org, err);
        cr_assert(strstr(err, "conflict of interest"), "%s", err);
        free(err);
    }
    /* someone from elsewhere is not */
    th_user(s, admin, "olle", "Olle Berg", "Västerviks kommun", "evaluator", home, sizeof home);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "olle", "--as", "peer", NULL),
        0);
    /* and a look-alike letter of another script is refused at the door */
    char *out = NULL;
    err = NULL;
    cr_assert_neq(th_cli_as(s, admin, "a long enough password 1\n", &out, &err, "user", "add",
                            "cyr", "--name", "Cyr Test", "--org", "V\xd0\xb0ster\xc3\xa5s stad",
                            "--role", "evaluator", "--password-stdin", NULL),
                  0);
    cr_assert(strstr(err, "user_add.organisation") && strstr(err, "Latin and Cyrillic"), "%s", err);
    free(out);
    free(err);
}

Test(hardening, municipalities_are_found_by_their_names_as_read)
{
    char admin[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_eval(s, admin, "Västerås stad", "2017");
    /* adding one that reads the same: the same municipality */
    char *err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "municipality", "add", "VÄSTERÅS\xc2\xa0 STAD", NULL),
        3);
    cr_assert(strstr(err, "already exists as 'Västerås stad'"), "%s", err);
    free(err);
    char *n = th_sql(s, "SELECT count(*) FROM municipalities");
    cr_assert_str_eq(n, "1");
    free(n);
    /* creating, listing, history and search find it written any such way */
    json_t *doc = th_json(s, admin, 0, "eval", "create", "--municipality",
                          "\xef\xbc\xb6\xc3\xa4ster\xc3\xa5s  STAD", "--framework", "KK2015",
                          "--label", "2019", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "municipality")), "Västerås stad");
    json_decref(doc);
    doc = th_json(s, admin, 0, "eval", "list", "--municipality", "västerås\xc2\xa0stad", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "evaluations")), 2, "%s", json_dumps(doc, 0));
    json_decref(doc);
    doc = th_json(s, admin, 0, "history", "VÄSTERÅS STAD", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "municipality")), "Västerås stad");
    json_decref(doc);
    doc =
        th_json(s, admin, 0, "search", "medborgardialog", "--municipality", "VÄSTERÅS STAD", NULL);
    json_decref(doc);
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    /* by id as before */
    doc = th_json(s, admin, 0, "history", "1", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "municipality")), "Västerås stad");
    json_decref(doc);
}

/* ---------------------------------------------------------------- lockouts */

#define EWA_PW "Ewa-Luvo-secret-2017"

/* A raw Login from an unknown client (no session token). */
static kp_response *s_guess(const char *login, const char *password)
{
    kp_request *req = s_login_req(login, password);
    req->request_id = NULL;
    kp_response *r = th_call(sock, arena, req, 20000);
    cr_assert(r, "no answer to login");
    return r;
}

/* Moves the security log back in time, as if seconds had passed. */
static void s_age(int seconds)
{
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE security_log SET at = at - interval '%d seconds'", seconds);
    free(th_sql(s, sql));
}

Test(hardening, guessers_cannot_keep_a_named_user_out, .timeout = 300)
{
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300];
    th_home(s, "ewa", home, sizeof home);
    th_login(s, home, "ewa", EWA_PW);
    /* her session has ended since (the CLI keeps its token until logout) */
    free(th_sql(s, "UPDATE sessions SET expires_at = now(), idle_expires_at = now()"
                   " WHERE user_id = (SELECT id FROM users WHERE login = 'ewa')"));
    /* 40 wrong guesses at ewa from an unknown client, each as soon as
     * allowed: the wait grows, but never beyond a minute (30 s for the
     * login; the guesser shares the test's address, whose limit is 60 s) */
    unsigned longest = 0;
    for (int i = 0; i < 40; i++) {
        kp_response *r = s_guess("ewa", "a guessed password");
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAUTHENTICATED, "guess %d: %s", i, r->error);
        cr_assert_leq(r->retry_after_ms, 60000, "guess %d", i);
        if (r->retry_after_ms > longest) longest = r->retry_after_ms;
        s_age((int)(r->retry_after_ms / 1000) + 1);
        kp_arena_reset(arena);
    }
    cr_assert_eq(longest, 60000);
    /* the guesser is slowed now: even the right password waits, unchecked */
    cr_assert_eq(s_guess("ewa", "another guess")->status, KOMPASS__V1__STATUS__UNAUTHENTICATED);
    kp_response *r = s_guess("ewa", EWA_PW);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__RATE_LIMITED, "%d %s", r->status, r->error);
    cr_assert(r->retry_after_ms > 0 && r->retry_after_ms <= 60000, "%u", r->retry_after_ms);
    /* ... but ewa, on the client she used before, logs in at once */
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, home, EWA_PW "\n", &out, &err, "login", "ewa", "--password-stdin", NULL);
    cr_assert_eq(rc, 0, "ewa kept out: %s", err);
    free(out);
    free(err);
    /* her own mistakes slow her client alone */
    for (int i = 0; i < 3; i++) {
        out = err = NULL;
        th_cli_as(s, home, "ewa mistypes\n", &out, &err, "login", "ewa", "--password-stdin", NULL);
        free(out);
        if (i < 2) free(err);
    }
    cr_assert(strstr(err, "from this client for login 'ewa'"), "%s", err);
    free(err);
    char *n = th_sql(s, "SELECT count(*) FROM security_log WHERE kind = 'login_failed'"
                        " AND login = 'ewa' AND client_session IS NOT NULL");
    cr_assert_str_eq(n, "3");
    free(n);
}

Test(hardening, an_address_limit_does_not_block_known_clients, .timeout = 300)
{
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char home[300];
    th_home(s, "ewa", home, sizeof home);
    th_login(s, home, "ewa", EWA_PW);
    const char *admin_home = th_admin(s); /* logged in: a known client */
    const char *token = th_token(sock, arena, "ewa", EWA_PW);
    char *tok = strdup(token);
    /* someone behind the same address guesses at 30 logins */
    for (int i = 0; i < 30; i++) {
        char login[32];
        snprintf(login, sizeof login, "guess%d", i);
        kp_response *r = s_guess(login, "a guessed password");
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAUTHENTICATED, "guess %d: %s", i, r->error);
        cr_assert_leq(r->retry_after_ms, 60000, "guess %d", i);
        if (i < 29) s_age((int)(r->retry_after_ms / 1000) + 1);
        kp_arena_reset(arena);
    }
    /* a new client from there waits (at most a minute) */
    kp_response *r = s_guess("ewa", EWA_PW);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__RATE_LIMITED, "%d %s", r->status, r->error);
    cr_assert(strstr(r->error, "from 127.0.0.1"), "%s", r->error);
    cr_assert(r->retry_after_ms > 0 && r->retry_after_ms <= 60000, "%u", r->retry_after_ms);
    /* known clients do not: the admin's correct password, ewa's login ... */
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin_home, TH_ADMIN_PASSWORD "\n", &out, &err, "login", "admin",
                           "--password-stdin", NULL),
                 0, "admin kept out: %s", err);
    free(out);
    free(err);
    out = err = NULL;
    cr_assert_eq(
        th_cli_as(s, home, EWA_PW "\n", &out, &err, "login", "ewa", "--password-stdin", NULL), 0,
        "ewa kept out: %s", err);
    free(out);
    free(err);
    /* ... and a password asked again inside a live session (as for signing) */
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__ReauthenticateRequest *re = kp_arena_zalloc(arena, sizeof *re);
    kompass__v1__reauthenticate_request__init(re);
    re->password = EWA_PW;
    req->session_token = tok;
    req->body_case = KOMPASS__V1__REQUEST__BODY_REAUTHENTICATE;
    req->reauthenticate = re;
    r = th_call(sock, arena, req, 20000);
    cr_assert(r);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%d %s", r->status, r->error);
    free(tok);
}

/* ---------------------------------------------------------------- point 8 */

/* Moves evaluation id (scoring) on to review behind the server's back. */
static void s_to_review(long long id)
{
    char sql[300], *err = NULL;
    snprintf(sql, sizeof sql,
             "UPDATE evaluations SET status = 'consensus' WHERE id = %lld;"
             "UPDATE evaluations SET status = 'review' WHERE id = %lld",
             id, id);
    cr_assert_eq(th_sql_try(s, sql, &err), 0, "%s", err);
}

static kp_request *s_req_in(const char *token, const char *id)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    req->session_token = (char *)token;
    req->request_id = (char *)id;
    return req;
}

static kp_response *s_sign_raw(const char *token, long long id, const char *password)
{
    static int serial;
    kp_request *req = s_req_in(token, kp_arena_printf(arena, "sign-%d", ++serial));
    Kompass__V1__SignRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__sign_request__init(in);
    in->evaluation_id = id;
    in->meaning = "authored";
    in->password = kp_arena_strdup(arena, password);
    req->body_case = KOMPASS__V1__REQUEST__BODY_SIGN;
    req->sign = in;
    kp_response *r = th_call(sock, arena, req, 20000);
    cr_assert(r, "no answer to sign");
    return r;
}

static int s_whoami_status(const char *token)
{
    kp_request *req = s_req_in(token, NULL); /* th_call gives it a fresh id */
    Kompass__V1__WhoAmIRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__who_am_irequest__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_WHO_AM_I;
    req->who_am_i = in;
    kp_response *r = th_call(sock, arena, req, 20000);
    cr_assert(r);
    return (int)r->status;
}

Test(hardening, a_wrong_password_inside_a_session_is_denied_and_the_session_goes_on, .timeout = 300)
{
    char admin[300], lead[300], peer[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_scoring_eval(s, admin, lead, peer);
    s_to_review(id);
    const char *token = kp_arena_strdup(arena, th_token(sock, arena, "christine", TH_PASSWORD));

    /* sign: DENIED, with the same throttle as before (the third failure
     * says how long to wait, the next attempt is RATE_LIMITED) */
    kp_response *r = s_sign_raw(token, id, "not the password");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__DENIED, "%d %s", r->status, r->error);
    cr_assert_str_eq(r->error, "wrong password (your session is still valid)");
    cr_assert_str_eq(r->request_id, "sign-1", "the request id is echoed");
    cr_assert_eq(r->retry_after_ms, 0);
    cr_assert_eq(s_whoami_status(token), KOMPASS__V1__STATUS__OK, "the session ended");

    /* reauthenticate and change_password alike */
    kp_request *req = s_req_in(token, "re-1");
    Kompass__V1__ReauthenticateRequest *re = kp_arena_zalloc(arena, sizeof *re);
    kompass__v1__reauthenticate_request__init(re);
    re->password = "not the password either";
    req->body_case = KOMPASS__V1__REQUEST__BODY_REAUTHENTICATE;
    req->reauthenticate = re;
    r = th_call(sock, arena, req, 20000);
    cr_assert(r);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__DENIED, "%d %s", r->status, r->error);
    cr_assert(strstr(r->error, "wrong password (your session is still valid)"), "%s", r->error);

    req = s_req_in(token, "cp-1");
    Kompass__V1__ChangePasswordRequest *cp = kp_arena_zalloc(arena, sizeof *cp);
    kompass__v1__change_password_request__init(cp);
    cp->current_password = "a wrong current password";
    cp->new_password = "A-new-password-2026";
    req->body_case = KOMPASS__V1__REQUEST__BODY_CHANGE_PASSWORD;
    req->change_password = cp;
    r = th_call(sock, arena, req, 20000);
    cr_assert(r);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__DENIED, "%d %s", r->status, r->error);
    cr_assert(strstr(r->error, "wrong password (your session is still valid); after repeated "
                               "failures from this client for login 'christine', the next "
                               "attempt must wait 2 s"),
              "%s", r->error);
    cr_assert_eq(r->retry_after_ms, 2000);
    r = s_sign_raw(token, id, TH_PASSWORD);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__RATE_LIMITED, "%d %s", r->status, r->error);
    cr_assert(r->retry_after_ms > 0 && r->retry_after_ms <= 2000, "%u", r->retry_after_ms);
    cr_assert_eq(s_whoami_status(token), KOMPASS__V1__STATUS__OK, "the session ended");
    char *n = th_sql(s, "SELECT count(*) FROM signatures");
    cr_assert_str_eq(n, "0");
    free(n);

    /* a login is still UNAUTHENTICATED: no session was made */
    r = th_call(sock, arena, s_login_req("ewa", "not ewa's password"), 20000);
    cr_assert(r);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAUTHENTICATED, "%d %s", r->status, r->error);

    /* the CLI says so, without telling her to log in again */
    char ids[32], *out = NULL, *err = NULL;
    snprintf(ids, sizeof ids, "%lld", id);
    int rc = th_cli_as(s, peer, "not the password\n", &out, &err, "sign", ids, "--meaning",
                       "reviewed", "--password-stdin", NULL);
    cr_assert_eq(rc, 4, "%s", err);
    cr_assert_str_eq(err, "kompass: DENIED: wrong password (your session is still valid); nothing "
                          "was changed: run the command again\n");
    cr_assert(!strstr(err, "log in"), "%s", err);
    free(out);
    free(err);
    out = err = NULL;
    rc = th_cli_as(s, peer, TH_PASSWORD "\n", &out, &err, "sign", ids, "--meaning", "reviewed",
                   "--password-stdin", NULL);
    cr_assert_eq(rc, 0, "the same session signs: %s", err);
    free(out);
    free(err);
}

static kp_response *s_lock_raw(const char *token, long long id, int op, const char *lock_token)
{
    static int serial;
    kp_request *req = s_req_in(token, kp_arena_printf(arena, "lock-%d", ++serial));
    Kompass__V1__TextLockRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__text_lock_request__init(in);
    in->evaluation_id = id;
    in->area = 1;
    in->section = "strengths";
    in->op = (Kompass__V1__TextLockRequest__Op)op;
    in->token = (char *)lock_token;
    in->lease_seconds = 60;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = in;
    kp_response *r = th_call(sock, arena, req, 20000);
    cr_assert(r, "no answer to text_lock");
    return r;
}

Test(hardening, an_unknown_lock_operation_is_a_bad_request_naming_it)
{
    char admin[300], lead[300], peer[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_scoring_eval(s, admin, lead, peer);
    const char *token = kp_arena_strdup(arena, th_token(sock, arena, "christine", TH_PASSWORD));
    /* a lock held, with its token: an unknown operation used to renew it */
    kp_response *r = s_lock_raw(token, id, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE, "");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    const char *lock = kp_arena_strdup(arena, r->text_lock->token);
    const char *q = "SELECT count(*) || ' ' || expires_at FROM section_locks GROUP BY expires_at";
    char *held = th_sql(s, q);
    int ops[] = {7, 3, -1};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        const char *tokens[] = {lock, ""};
        for (size_t t = 0; t < 2; t++) {
            r = s_lock_raw(token, id, ops[i], tokens[t]);
            cr_assert_eq(r->status, KOMPASS__V1__STATUS__BAD_REQUEST, "op %d: %d %s", ops[i],
                         r->status, r->error);
            char want[80];
            snprintf(want, sizeof want,
                     "text_lock.op is ACQUIRE (0), RENEW (1) or RELEASE (2), not %d", ops[i]);
            cr_assert_str_eq(r->error, want);
            cr_assert(!strncmp(r->request_id, "lock-", 5), "id '%s' not echoed", r->request_id);
            cr_assert(!r->text_lock, "op %d answered with a lock", ops[i]);
        }
    }
    char *now = th_sql(s, q);
    cr_assert_str_eq(now, held, "an unknown operation changed the lock");
    free(now);
    free(held);
    /* the known ones still work */
    r = s_lock_raw(token, id, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW, lock);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    r = s_lock_raw(token, id, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE, lock);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    char *n = th_sql(s, "SELECT count(*) FROM section_locks");
    cr_assert_str_eq(n, "0");
    free(n);
}

static int s_sign_cli(const char *home, const char *ids, const char *meaning, const char *password,
                      char **err)
{
    char input[128];
    snprintf(input, sizeof input, "%s\n", password);
    char *out = NULL;
    int rc = th_cli_as(s, home, input, &out, err, "sign", ids, "--meaning", meaning,
                       "--password-stdin", NULL);
    free(out);
    return rc;
}

Test(hardening, one_admin_signs_a_revision_not_two, .timeout = 300)
{
    char admin[300], lead[300], peer[300], admin2[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_scoring_eval(s, admin, lead, peer);
    th_user(s, admin, "birgitta", "Birgitta Admin", "SKL", "admin", admin2, sizeof admin2);
    s_to_review(id);
    char ids[32], *err = NULL;
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(s_sign_cli(admin, ids, "approved", TH_ADMIN_PASSWORD, &err), 0, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(s_sign_cli(admin2, ids, "approved", TH_PASSWORD, &err), 3, "%s", err);
    cr_assert(strstr(err, "CONFLICT: revision 1 of evaluation") &&
                  strstr(err, "is already signed as admin by admin ("),
              "%s", err);
    free(err);
    char *n = th_sql(s, "SELECT count(*) FROM signatures WHERE capacity = 'admin'");
    cr_assert_str_eq(n, "1");
    free(n);
    /* the team still signs, and the evaluation is signed with one admin */
    err = NULL;
    cr_assert_eq(s_sign_cli(lead, ids, "authored", TH_PASSWORD, &err), 0, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(s_sign_cli(peer, ids, "reviewed", TH_PASSWORD, &err), 0, "%s", err);
    free(err);
    char *st = th_sql(s, "SELECT status FROM evaluations ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(st, "signed");
    free(st);
}

Test(hardening, a_lead_cannot_leave_the_team_without_a_lead, .timeout = 300)
{
    char admin[300], lead[300], peer[300];
    th_admin_login(s, admin, sizeof admin);
    long long id = th_scoring_eval(s, admin, lead, peer);
    char ids[32], *err = NULL, want[160];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(want, sizeof want,
             "CONFLICT: evaluation %lld would have no lead: christine is its only lead; an admin "
             "assigns another lead",
             id);
    const char *roles[] = {"peer", "observer"};
    for (size_t i = 0; i < 2; i++) {
        err = NULL;
        cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "eval", "assign", ids, "christine",
                               "--as", roles[i], NULL),
                     3, "demoted to %s: %s", roles[i], err);
        cr_assert(strstr(err, want), "%s", err);
        free(err);
    }
    err = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "eval", "unassign", ids, "christine", NULL),
                 3, "%s", err);
    cr_assert(strstr(err, want), "%s", err);
    free(err);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(u.login || ':' || x.role, ',' ORDER BY u.login) FROM "
             "evaluation_members x JOIN users u ON u.id = x.user_id WHERE x.evaluation_id = %lld",
             id);
    char *team = th_sql(s, sql);
    cr_assert_str_eq(team, "christine:lead,ewa:peer");
    free(team);
    /* the lead still manages the rest of the team ... */
    err = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "eval", "assign", ids, "ewa", "--as",
                           "observer", NULL),
                 0, "%s", err);
    free(err);
    cr_assert_eq(
        th_cli_as(s, lead, NULL, NULL, NULL, "eval", "assign", ids, "ewa", "--as", "peer", NULL),
        0);
    /* ... and an admin hands the lead over: the old lead --as peer, the new --as lead */
    err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "christine", "--as",
                           "peer", NULL),
                 0, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "ewa", "--as", "lead", NULL),
        0, "%s", err);
    free(err);
    team = th_sql(s, sql);
    cr_assert_str_eq(team, "christine:peer,ewa:lead");
    free(team);
}

Test(hardening, the_request_id_is_echoed_when_a_field_is_not_utf8)
{
    /* issue 16 point 8: the id was readable, so the reply carries it */
    struct {
        const char *login, *password, *field;
    } cases[] = {
        {"adm\xffin", TH_ADMIN_PASSWORD, "login.login"},
        {"admin\xc3", TH_ADMIN_PASSWORD, "login.login"},
        {"admin", "pass\xed\xa0\x80word", "login.password"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kp_response *r =
            th_call(sock, arena, s_login_req(cases[i].login, cases[i].password), 20000);
        assert_bad(r, cases[i].field, "UTF-8");
        cr_assert_str_eq(r->request_id, "login-1", "case %zu", i);
    }
    /* an id that is itself not UTF-8 is not echoed */
    kp_request *req = s_login_req("admin", TH_ADMIN_PASSWORD);
    req->request_id = "id-\xff";
    kp_response *r = th_call(sock, arena, req, 20000);
    assert_bad(r, "request_id", "UTF-8");
    cr_assert_str_eq(r->request_id, "");
}
