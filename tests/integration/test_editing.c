/*  Concurrent editing: scores with version checks, blind scoring, texts and
 *  section locks, live updates, several kompassd on one database. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

static th_server *s;
static char admin[300], lead[300], peer[300], ids[32];
static long long eval_id;

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    eval_id = th_scoring_eval(s, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", eval_id);
}

static void teardown(void)
{
    th_server_free(&s);
}

TestSuite(editing, .init = setup, .fini = teardown, .timeout = 240);

/* The evaluation's version now. */
static char *s_version(void)
{
    char q[128];
    snprintf(q, sizeof q, "SELECT version FROM evaluations WHERE id = %lld", eval_id);
    return th_sql(s, q);
}

Test(editing, scores_are_set_and_shown_with_versions)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "score", "set", ids, "1.4", "25", "--why",
                           "Bred dialog", NULL),
                 0, "%s", err);
    cr_assert(
        strstr(out, "score 1.4 (Främjas invånardialog och deltagande?, max 30) of ewa set to 25"),
        "%s", out);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "1.4", "25,5", NULL), 0);
    json_t *doc = th_json(s, peer, 0, "score", "show", ids, "--area", "1", NULL);
    json_t *q14 = json_array_get(json_object_get(doc, "questions"), 3);
    cr_assert_str_eq(json_string_value(json_object_get(q14, "question")), "1.4");
    json_t *mine = json_array_get(json_object_get(q14, "scores"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(mine, "points")), "25.5");
    cr_assert_str_eq(json_string_value(json_object_get(mine, "rationale")), "");
    json_decref(doc);
    /* eval show counts what each evaluator has scored, per area (no values) */
    char *show = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, &show, NULL, "eval", "show", ids, NULL), 0);
    cr_assert(strstr(show, "christine 0/5  ewa 1/5"), "%s", show);
    free(show);
    /* Out of range, unknown question, malformed points: named, nothing written. */
    char *v0 = s_version();
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "set", ids, "1.4", "31", NULL), 1);
    cr_assert(strstr(err, "31 points exceed question 1.4's max of 30"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "set", ids, "9.9", "1", NULL), 1);
    cr_assert(strstr(err, "question '9.9' is not in framework KK2015"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "set", ids, "1.4", "12.345", NULL),
                 2);
    cr_assert(strstr(err, "at most two decimals"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "set", ids, "1.4", "-1", NULL), 2);
    free(err);
    char *v1 = s_version();
    cr_assert_str_eq(v0, v1);
    free(v0);
    free(v1);
}

Test(editing, blind_scoring_hides_the_others_scores_from_every_rpc)
{
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "score", "set", ids, "3.2", "13", "--why",
                           "secret-rationale-of-the-lead", NULL),
                 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "3.2", "15", NULL), 0);
    char *out = NULL;
    /* score show */
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "--json", "score", "show", ids, NULL), 0);
    cr_assert(!strstr(out, "christine") && !strstr(out, "secret-rationale"), "%s", out);
    cr_assert(strstr(out, "\"blind\": true"), "%s", out);
    free(out);
    /* snapshot */
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "watch", ids, "--snapshot", NULL), 0);
    cr_assert(!strstr(out, "christine") && strstr(out, "3.2/ewa"), "%s", out);
    free(out);
    /* the change feed */
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "--json", "watch", ids, "--since", "0",
                           "--count", "6", NULL),
                 0);
    cr_assert(!strstr(out, "\"13\"") && !strstr(out, "secret-rationale"), "%s", out);
    cr_assert(strstr(out, "\"hidden\":true"), "%s", out);
    free(out);
    /* The lead sees only their own too; an admin sees both. */
    json_t *doc = th_json(s, admin, 0, "score", "show", ids, "--area", "3", NULL);
    json_t *q32 = json_array_get(json_object_get(doc, "questions"), 1);
    cr_assert_eq(json_array_size(json_object_get(q32, "scores")), 2);
    json_decref(doc);
}

/* ---------------------------------------------------------------- 16 writers */

typedef struct {
    int index;
    const char *token;
    int ok, conflicts, other, bad_conflicts;
    long long last_ok_value;
    int64_t last_ok_version;
} writer;

static pthread_barrier_t s_barrier;
static int64_t s_round_version;

static kp_response *s_rpc(void *sock, kp_arena *a, kp_request *req, const char *token)
{
    req->session_token = (char *)token;
    return th_call(sock, a, req, 60000);
}

static void *s_writer(void *arg)
{
    writer *w = arg;
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    for (int round = 0; round < 5; round++) {
        pthread_barrier_wait(&s_barrier); /* everyone has the same version */
        int64_t seen = s_round_version;
        pthread_barrier_wait(&s_barrier);
        kp_request *req = kp_arena_zalloc(a, sizeof *req);
        kompass__v1__request__init(req);
        Kompass__V1__ScoreSetRequest *b = kp_arena_zalloc(a, sizeof *b);
        kompass__v1__score_set_request__init(b);
        Kompass__V1__ScoreWrite *sw = kp_arena_zalloc(a, sizeof *sw);
        kompass__v1__score_write__init(sw);
        sw->question = "2.2";
        sw->points_centi = (w->index + 1) * 100 + round; /* distinct per writer and round */
        sw->expected_version = seen;
        b->evaluation_id = eval_id;
        b->writes = &sw;
        b->n_writes = 1;
        req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
        req->score_set = b;
        kp_response *r = s_rpc(sock, a, req, w->token);
        if (r && r->status == KOMPASS__V1__STATUS__OK) {
            w->ok++;
            w->last_ok_value = sw->points_centi;
            w->last_ok_version = r->score_set->scores[0]->version;
        } else if (r && r->status == KOMPASS__V1__STATUS__CONFLICT) {
            w->conflicts++;
            /* a CONFLICT reply carries the current score (checked by the main thread:
             * Criterion's asserts belong to it) */
            if (!r->score_set || r->score_set->n_scores != 1 ||
                r->score_set->scores[0]->version <= seen)
                w->bad_conflicts++;
        } else {
            w->other++;
        }
        pthread_barrier_wait(&s_barrier);
        kp_arena_reset(a);
    }
    kp_arena_destroy(&a);
    zmq_close(sock);
    return NULL;
}

/* Logs in over the raw protocol; the token (static buffer per call site). */
static char *s_token(const char *login, const char *password)
{
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__LoginRequest *l = kp_arena_zalloc(a, sizeof *l);
    kompass__v1__login_request__init(l);
    l->login = (char *)login;
    l->password = (char *)password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = l;
    kp_response *r = th_call(sock, a, req, 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK, "login: %s", r ? r->error : "timeout");
    char *t = strdup(r->login->session_token);
    kp_arena_destroy(&a);
    zmq_close(sock);
    return t;
}

Test(editing, sixteen_writers_on_one_score_never_overwrite_silently)
{
    enum { N = 16, ROUNDS = 5 };
    writer w[N];
    pthread_t t[N];
    memset(w, 0, sizeof w);
    char *tokens[N];
    for (int i = 0; i < N; i++) {
        tokens[i] = s_token("ewa", TH_PASSWORD);
        w[i].token = tokens[i];
        w[i].index = i;
    }
    pthread_barrier_init(&s_barrier, NULL, N + 1);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, s_writer, &w[i]);
    for (int round = 0; round < ROUNDS; round++) {
        char *v = th_sql(s, "SELECT coalesce(max(version), 0) FROM scores s JOIN "
                            "framework_questions q ON q.id = s.question_id WHERE q.code = '2.2'");
        s_round_version = atoll(v);
        free(v);
        pthread_barrier_wait(&s_barrier);
        pthread_barrier_wait(&s_barrier);
        pthread_barrier_wait(&s_barrier);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    int ok = 0, conflicts = 0, other = 0;
    int64_t last_version = 0;
    long long last_value = -1;
    for (int i = 0; i < N; i++) {
        ok += w[i].ok;
        conflicts += w[i].conflicts;
        other += w[i].other;
        if (w[i].ok && w[i].last_ok_version > last_version) {
            last_version = w[i].last_ok_version;
            last_value = w[i].last_ok_value;
        }
        free(tokens[i]);
    }
    cr_assert_eq(other, 0, "%d writes failed otherwise", other);
    for (int i = 0; i < N; i++)
        cr_assert_eq(w[i].bad_conflicts, 0, "a CONFLICT reply lacked the current score");
    cr_assert_eq(ok, ROUNDS, "exactly one write per round is accepted, got %d", ok);
    cr_assert_eq(conflicts, N * ROUNDS - ROUNDS);
    /* The final value is the last accepted write. */
    char *v = th_sql(s, "SELECT (points * 100)::bigint FROM scores s JOIN framework_questions q "
                        "ON q.id = s.question_id WHERE q.code = '2.2'");
    cr_assert_eq(atoll(v), last_value);
    free(v);
    /* The audit trail has exactly the accepted writes. */
    v = th_sql(s, "SELECT count(*) FROM audit_events WHERE action = 'score.set' AND target = "
                  "'score 2.2 of evaluator ewa'");
    cr_assert_eq(atoi(v), ROUNDS);
    free(v);
    pthread_barrier_destroy(&s_barrier);
}

Test(editing, a_write_from_a_stale_view_is_refused_with_the_current_value)
{
    /* Ewa on her laptop has seen 1.1 at 10; on her phone she changes it to 12. */
    char phone[400];
    snprintf(phone, sizeof phone, "%s-phone", peer);
    const char *cp[] = {"/bin/cp", "-a", peer, phone, NULL};
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "1.1", "10", NULL), 0);
    cr_assert_eq(th_run(cp, NULL, NULL, NULL, 10000), 0);
    cr_assert_eq(th_cli_as(s, phone, NULL, NULL, NULL, "score", "set", ids, "1.1", "12", NULL), 0);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "set", ids, "1.1", "11", NULL), 3);
    cr_assert(strstr(err, "score 1.1 of ewa changed since you read it (now 12"), "%s", err);
    cr_assert(strstr(err, "nothing was written"), "%s", err);
    free(err);
    char *v = th_sql(s, "SELECT points FROM scores");
    cr_assert_str_eq(v, "12.00");
    free(v);
}

/* ---------------------------------------------------------------- locks */

/* Starts `kompass text edit` as home's user with EDITOR=editor in the
 * background; its pid. */
static pid_t s_edit_bg(const char *home, const char *editor, const char *section, const char *lease,
                       char *outpath)
{
    snprintf(outpath, 400, "%s/edit-%d.out", s->dir, (int)getpid());
    pid_t pid = fork();
    if (pid == 0) {
        /* a group of its own: killing the client kills its editor too */
        setpgid(0, 0);
        setenv("XDG_CONFIG_HOME", home, 1);
        char state[400];
        snprintf(state, sizeof state, "%s/state", home);
        setenv("XDG_STATE_HOME", state, 1);
        setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
        setenv("EDITOR", editor, 1);
        FILE *f = freopen(outpath, "w", stderr);
        (void)f;
        execl(th_bin("kompass"), "kompass", "--server", s->listen, "text", "edit", ids, "3",
              section, "--lease", lease, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) setpgid(pid, pid);
    return pid;
}

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

/* Waits until file holds needle (at most timeout_ms). */
static void s_wait_for_text(const char *file, const char *needle, int timeout_ms)
{
    int64_t deadline = kp_mono_ms() + timeout_ms;
    for (;;) {
        char *t = kp_read_file(file, 1 << 20, NULL);
        int found = t && strstr(t, needle);
        free(t);
        if (found) return;
        cr_assert(kp_mono_ms() < deadline, "'%s' did not appear in %s", needle, file);
        usleep(20000);
    }
}

/* An editor that never finishes on its own, but ends with the kompass that
 * started it (an orphan would hold the test's output open for ctest). */
static const char *s_sleeper(void)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/sleeper.sh", s->dir);
    const char body[] = "#!/bin/sh\ni=0\nwhile [ $i -lt 300 ] && kill -0 $PPID 2>/dev/null; do\n   "
                        " i=$((i + 1))\n    sleep 0.2\ndone\n";
    cr_assert_eq(kp_write_file(path, body, sizeof body - 1, 0755), 0);
    return path;
}

static int s_locked_by(const char *who)
{
    char *v = th_sql(s, "SELECT u.login FROM section_locks l JOIN users u ON u.id = l.holder_id "
                        "WHERE l.expires_at > now()");
    int yes = v && strcmp(v, who) == 0;
    free(v);
    return yes;
}

Test(editing, lock_contention_and_lease_expiry_after_a_killed_client)
{
    char out[400], file[400];
    snprintf(file, sizeof file, "%s/summary.txt", s->dir);
    cr_assert_eq(kp_write_file(file, "Tydlig strategi.\n", 17, 0644), 0);
    pid_t ed = s_edit_bg(peer, s_sleeper(), "summary", "5", out);
    for (int i = 0; i < 100 && !s_locked_by("ewa"); i++)
        usleep(50000);
    cr_assert(s_locked_by("ewa"), "the editor did not take the lock");
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "text", "set", ids, "3", "summary", "--file",
                           file, NULL),
                 3);
    cr_assert(strstr(err, "area 3 summary is being edited by Ewa Luvö (ewa)"), "%s", err);
    free(err);
    char *lout = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, &lout, NULL, "locks", ids, NULL), 0);
    cr_assert(strstr(lout, "3/summary") && strstr(lout, "ewa"), "%s", lout);
    free(lout);
    cr_assert_eq(th_cli_as(s, lead, NULL, &lout, NULL, "eval", "show", ids, NULL), 0);
    cr_assert(strstr(lout, "3/summary locked by ewa until"), "%s", lout);
    free(lout);
    /* The editor's client dies without releasing: the lock is free after its lease. */
    kill(-ed, SIGKILL);
    waitpid(ed, NULL, 0);
    sleep(6);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "text", "set", ids, "3", "summary", "--file",
                           file, NULL),
                 0, "%s", err);
    free(err);
    json_t *doc = th_json(s, peer, 0, "text", "show", ids, "3", NULL);
    cr_assert_str_eq(json_string_value(
                         json_object_get(json_array_get(json_object_get(doc, "texts"), 0), "text")),
                     "Tydlig strategi.");
    json_decref(doc);
}

Test(editing, a_broken_lock_makes_the_holders_save_fail)
{
    /* The editor waits until the test says go, then writes a list. */
    char script[400], go[400], out[400];
    snprintf(script, sizeof script, "%s/editor.sh", s->dir);
    snprintf(go, sizeof go, "%s/go", s->dir);
    char body[1200];
    int n = snprintf(body, sizeof body,
                     "#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.1; done\n"
                     "printf 'Tydliga mål\\nBra uppföljning\\n' > \"$1\"\n",
                     go);
    cr_assert_eq(kp_write_file(script, body, (size_t)n, 0755), 0);
    pid_t ed = s_edit_bg(peer, script, "strengths", "300", out);
    for (int i = 0; i < 100 && !s_locked_by("ewa"); i++)
        usleep(50000);
    cr_assert(s_locked_by("ewa"));
    char *err = NULL;
    /* A peer may not break it; the lead may, with a reason only. */
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "lock", "break", ids, "3/strengths", NULL),
                 2);
    free(err);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "lock", "break", ids, "3/strengths",
                           "--reason", "Ewa är bortrest", NULL),
                 0, "%s", err);
    free(err);
    cr_assert_eq(kp_write_file(go, "", 0, 0644), 0);
    int status = s_wait_child(ed, 60000);
    char *log = kp_read_file(out, 1 << 20, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3, "exit %d: %s", WEXITSTATUS(status),
              log);
    cr_assert(strstr(log, "you no longer hold the lock on area 3 strengths"), "%s", log);
    free(log);
    char *v = th_sql(s, "SELECT count(*) FROM area_texts");
    cr_assert_str_eq(v, "0", "the text was saved after the lock was broken");
    free(v);
    v = th_sql(s, "SELECT reason FROM audit_events WHERE action = 'lock.break'");
    cr_assert_str_eq(v, "Ewa är bortrest");
    free(v);
}

/* ---------------------------------------------------------------- live updates */

Test(editing, two_servers_one_database_locks_and_updates_hold_across)
{
    th_opts o = {0};
    o.dbname = s->dbname;
    th_server *s2 = th_server_start_opts(&o);
    /* A session belongs to the server it was opened with: log in to s2 too. */
    char lead2[400];
    th_login_new(s2, "christine", lead2, sizeof lead2);
    char file[400];
    snprintf(file, sizeof file, "%s/s.txt", s->dir);
    cr_assert_eq(kp_write_file(file, "x\n", 2, 0644), 0);

    /* A watcher on server 2 ... */
    char wout[400];
    snprintf(wout, sizeof wout, "%s/watch.out", s->dir);
    pid_t w = fork();
    if (w == 0) {
        setenv("XDG_CONFIG_HOME", lead2, 1);
        setenv("KOMPASS_SERVER_KEY", s2->server_key, 1);
        FILE *f = freopen(wout, "w", stdout);
        (void)f;
        execl(th_bin("kompass"), "kompass", "--json", "--server", s2->listen, "watch", ids,
              "--count", "6", "--poll", "60", (char *)NULL);
        _exit(127);
    }
    s_wait_for_text(wout, "\"watching\"", 60000);
    /* ... sees, in order and without gaps, changes made through server 1. */
    for (int i = 0; i < 5; i++) {
        char pts[8];
        snprintf(pts, sizeof pts, "%d", 10 + i);
        const char *home = i % 2 ? peer : lead;
        cr_assert_eq(th_cli_as(s, home, NULL, NULL, NULL, "score", "set", ids, "1.2", pts, NULL),
                     0);
    }
    /* A lock taken through server 1 blocks through server 2. */
    char out[400];
    pid_t ed = s_edit_bg(peer, s_sleeper(), "summary", "60", out);
    for (int i = 0; i < 100 && !s_locked_by("ewa"); i++)
        usleep(50000);
    cr_assert(s_locked_by("ewa"));
    char *err = NULL;
    cr_assert_eq(th_cli_as(s2, lead2, NULL, NULL, &err, "text", "set", ids, "3", "summary",
                           "--file", file, NULL),
                 3, "%s", err);
    cr_assert(strstr(err, "is being edited by"), "%s", err);
    free(err);
    /* ... and a break through server 2 frees it for server 1. */
    cr_assert_eq(th_cli_as(s2, lead2, NULL, NULL, NULL, "lock", "break", ids, "3/summary",
                           "--reason", "test", NULL),
                 0);
    kill(-ed, SIGKILL);
    waitpid(ed, NULL, 0);
    int status = s_wait_child(w, 120000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "watcher exited %d",
              WEXITSTATUS(status));
    char *text = kp_read_file(wout, 1 << 20, NULL);
    /* 6 changes, consecutive versions, in the order they were made; and
     * the lock taken through server 1, pushed by server 2. */
    long long prev = -1;
    int lines = 0, lock_taken = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *c = json_loads(line, 0, NULL);
        cr_assert(c, "%s", line);
        if (json_object_get(c, "lock")) {
            json_t *l = json_object_get(c, "lock");
            if (strcmp(json_string_value(json_object_get(c, "action")), "lock.take") == 0) {
                cr_assert_str_eq(json_string_value(json_object_get(l, "holder")), "ewa");
                cr_assert_str_eq(json_string_value(json_object_get(l, "section")), "summary");
                cr_assert_eq(lines, 5, "the lock came after the five scores: %s", line);
                lock_taken++;
            }
            json_decref(c);
            continue;
        }
        if (json_object_get(c, "watching")) {
            json_decref(c);
            continue;
        }
        long long v = json_integer_value(json_object_get(c, "version"));
        if (prev >= 0) cr_assert_eq(v, prev + 1, "gap after version %lld", prev);
        const char *action = json_string_value(json_object_get(c, "action"));
        cr_assert_str_eq(action, lines < 5 ? "score.set" : "lock.break");
        prev = v;
        lines++;
        json_decref(c);
    }
    cr_assert_eq(lines, 6);
    cr_assert_eq(lock_taken, 1);
    free(text);
    s2->dbname[0] = '\0'; /* s drops it */
    th_server_free(&s2);
}

Test(editing, a_watcher_ends_identical_to_the_snapshot)
{
    char state[400], snap[400];
    snprintf(state, sizeof state, "%s/state.json", s->dir);
    snprintf(snap, sizeof snap, "%s/snap.json", s->dir);
    /* Its replica, built from the changes pushed and fetched, is the
     * server's copy (restarts: test_watch_subscribe.c). */
    pid_t w = fork();
    if (w == 0) {
        setenv("XDG_CONFIG_HOME", lead, 1);
        setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
        FILE *f = freopen(snap, "w", stdout);
        (void)f;
        execl(th_bin("kompass"), "kompass", "--server", s->listen, "watch", ids, "--count", "4",
              "--poll", "1", "--state", state, (char *)NULL);
        _exit(127);
    }
    s_wait_for_text(snap, "watching evaluation", 60000);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "score", "set", ids, "4.1", "12", NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "score", "set", ids, "4.2", "8.5", NULL), 0);
    char file[400];
    snprintf(file, sizeof file, "%s/imp.txt", s->dir);
    cr_assert_eq(kp_write_file(file, "Ledarutveckling\nTydliga uppdrag\n", 32, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "4", "improvements",
                           "--file", file, NULL),
                 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "4.1", "11", NULL), 0);
    int status = s_wait_child(w, 120000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "watch exited %d",
              WEXITSTATUS(status));
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, NULL, "watch", ids, "--snapshot", NULL), 0);
    json_t *a = json_load_file(state, 0, NULL), *b = json_loads(out, 0, NULL);
    cr_assert(a && b);
    cr_assert(json_equal(a, b), "watcher state differs from the snapshot:\n%s\nvs\n%s",
              json_dumps(a, 0), out);
    /* blind: the lead's replica has only the lead's scores */
    cr_assert(json_object_get(json_object_get(a, "scores"), "4.1/christine"));
    cr_assert(!json_object_get(json_object_get(a, "scores"), "4.1/ewa"));
    json_decref(a);
    json_decref(b);
    free(out);
}

Test(editing, text_edit_saves_through_the_editor_and_releases_the_lock)
{
    char script[400], out[400];
    snprintf(script, sizeof script, "%s/writer.sh", s->dir);
    const char body[] = "#!/bin/sh\nprintf '# a comment\\nTydlig strategi\\n- Bra uppföljning\\n' "
                        "> \"$1\"\n";
    cr_assert_eq(kp_write_file(script, body, sizeof body - 1, 0755), 0);
    pid_t ed = s_edit_bg(peer, script, "strengths", "60", out);
    int status = s_wait_child(ed, 60000);
    char *log = kp_read_file(out, 1 << 20, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit %d: %s", WEXITSTATUS(status),
              log);
    free(log);
    json_t *doc = th_json(s, lead, 0, "text", "show", ids, "3", NULL);
    json_t *items = json_object_get(json_array_get(json_object_get(doc, "texts"), 1), "items");
    cr_assert_eq(json_array_size(items), 2);
    cr_assert_str_eq(json_string_value(json_array_get(items, 0)), "Tydlig strategi");
    cr_assert_str_eq(json_string_value(json_array_get(items, 1)), "Bra uppföljning");
    json_decref(doc);
    char *n = th_sql(s, "SELECT count(*) FROM section_locks");
    cr_assert_str_eq(n, "0", "the lock was not released after saving");
    free(n);
}

Test(editing, score_import_writes_a_whole_sheet_or_nothing)
{
    char csv[400];
    snprintf(csv, sizeof csv, "%s/sheet.csv", s->dir);
    const char good[] =
        "question,points,rationale\n1.1,14,Tydlig plan\n1.2,15,\"Bra, men \"\"kan\"\" "
        "bli bättre\"\n1.3,19.5,\n";
    cr_assert_eq(kp_write_file(csv, good, sizeof good - 1, 0644), 0);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "score", "import", ids, csv, NULL), 0, "%s",
                 err);
    cr_assert(strstr(out, "3 scores of ewa written"), "%s", out);
    free(out);
    free(err);
    char *v = th_sql(s, "SELECT string_agg(q.code || '=' || s.points || ':' || s.rationale, ';' "
                        "ORDER BY q.code) FROM scores s JOIN framework_questions q ON q.id = "
                        "s.question_id");
    cr_assert_str_eq(v, "1.1=14.00:Tydlig plan;1.2=15.00:Bra, men \"kan\" bli bättre;1.3=19.50:");
    free(v);
    /* One bad row: nothing of the sheet is written. */
    const char bad[] = "question,points,rationale\n1.4,20,x\n1.5,11,over the max\n";
    cr_assert_eq(kp_write_file(csv, bad, sizeof bad - 1, 0644), 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "import", ids, csv, NULL), 1);
    cr_assert(strstr(err, "line 3, [1.5]: 11 exceeds the max of 10"), "%s", err);
    free(err);
    v = th_sql(s, "SELECT count(*) FROM scores");
    cr_assert_str_eq(v, "3", "part of a refused sheet was written");
    free(v);
    const char garbled[] = "q,p\n1.1,x\n";
    cr_assert_eq(kp_write_file(csv, garbled, sizeof garbled - 1, 0644), 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "import", ids, csv, NULL), 1);
    cr_assert(strstr(err, "header question,points,rationale"), "%s", err);
    free(err);
}

Test(editing, the_team_reads_its_trail_once_scoring_is_not_blind)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "2.1", "12", NULL), 0);
    char *out = NULL, *err = NULL;
    /* while blind: closed to the team, with the way to follow it meanwhile */
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "audit", ids, NULL), 1);
    cr_assert(strstr(err, "opens to its team when blind scoring ends"), "%s", err);
    free(err);
    /* an admin writes for an evaluator: the evaluator acts, the admin is the real actor */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "score", "set", ids, "2.2", "20", "--for",
                           "ewa", NULL),
                 0, "%s", err);
    free(err);
    char *v = th_sql(s, "SELECT actor || '/' || real_actor FROM audit_events WHERE target = "
                        "'score 2.2 of evaluator ewa'");
    cr_assert_str_eq(v, "ewa/admin");
    free(v);
    char q[200];
    snprintf(q, sizeof q, "UPDATE evaluations SET blind = false WHERE id = %lld", eval_id);
    free(th_sql(s, q));
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, &err, "audit", ids, NULL), 0, "%s", err);
    cr_assert(strstr(out, "score.set") && strstr(out, "eval.start"), "%s", out);
    free(out);
    free(err);
    /* the global chain stays the admins' */
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "audit", NULL), 4);
    cr_assert(strstr(err, "audit_list is for admin"), "%s", err);
    free(err);
}

/* A save of a section nobody has saved yet, with a version other than 0:
 * CONFLICT that says so, not "changed since you read it (version 0 by )". */
Test(editing, a_stale_version_of_a_never_saved_section_says_it_was_never_saved)
{
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__TextLockRequest *lk = kp_arena_zalloc(a, sizeof *lk);
    kompass__v1__text_lock_request__init(lk);
    lk->evaluation_id = eval_id;
    lk->area = 6;
    lk->section = "summary";
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = lk;
    req->session_token = (char *)token;
    kp_response *r = th_call(sock, a, req, 20000);
    cr_assert(r && (int)r->status == KP_OK, "%s", r ? r->error : "no answer");
    const char *lock_token = r->text_lock->token;

    req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__TextSaveRequest *in = kp_arena_zalloc(a, sizeof *in);
    kompass__v1__text_save_request__init(in);
    in->evaluation_id = eval_id;
    in->area = 6;
    in->section = "summary";
    in->summary = "Text.";
    in->expected_version = 7;
    in->lock_token = (char *)lock_token;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SAVE;
    req->text_save = in;
    req->session_token = (char *)token;
    r = th_call(sock, a, req, 20000);
    cr_assert(r);
    cr_assert_eq((int)r->status, KP_CONFLICT, "%s", r->error);
    cr_assert_str_eq(r->error,
                     "area 6 summary has never been saved (you sent version 7: send 0); nothing "
                     "was saved");
    kp_arena_destroy(&a);
    zmq_close(sock);
}
