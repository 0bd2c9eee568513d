/*  Offline work (issue 15): `kompass checkout` keeps a copy, the write
 *  commands keep their changes in a journal while the server is away, the
 *  reads answer from the copy (marked), and `kompass sync` sends each change
 *  once, in order, never overwriting a change made meanwhile on the server.
 *
 *  Everything through the real CLI against a real kompassd and PostgreSQL;
 *  "offline" is kompassd stopped, and back on the same database and
 *  endpoints afterwards. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

static th_server *s;
static char admin[300], lead[300], peer[300], ids[32];

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    long long id = th_scoring_eval(s, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", id);
}

static void teardown(void)
{
    th_server_free(&s);
}

TestSuite(field_offline, .init = setup, .fini = teardown, .timeout = 300);

/* Restarts kompassd on the same data dir (keys), database and endpoints. */
static void s_restart(void)
{
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
}

static void s_stop(void)
{
    cr_assert_eq(th_server_stop(s), 0);
}

/* The one value of sql (malloc'd). */
static char *s_sql(const char *sql)
{
    return th_sql(s, sql);
}

/* A file of home's offline directory (evaluation 1), path into out. */
static const char *s_offline_file(const char *home, const char *ext, char *out, size_t len)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -d %s/data/kompass/offline/*/", home);
    FILE *p = popen(cmd, "r");
    char dir[900] = "";
    cr_assert(p && fgets(dir, sizeof dir, p), "no offline directory under %s", home);
    pclose(p);
    dir[strcspn(dir, "\n")] = '\0';
    snprintf(out, len, "%s%s.%s", dir, ids, ext);
    return out;
}

static char *s_read(const char *path)
{
    char *t = kp_read_file(path, 1 << 24, NULL);
    cr_assert(t, "cannot read %s", path);
    return t;
}

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void s_checkout(const char *home)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "checkout", ids, NULL), 0, "%s", err);
    cr_assert(strstr(out, "checked out evaluation"), "%s", out);
    free(out);
    free(err);
}

/* ---------------------------------------------------------------- the day */

Test(field_offline, a_day_offline_keeps_scores_texts_and_evidence_and_sync_sends_them)
{
    s_checkout(peer);
    char path[1000];
    struct stat st;
    cr_assert_eq(stat(s_offline_file(peer, "json", path, sizeof path), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "the copy is 0600, not %o", st.st_mode & 0777);
    s_stop();

    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "set", ids, "1.4",
                       "25", "--why", "Bred dialog", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "kept offline (1 change waiting; `kompass sync` sends them)"), "%s", out);
    free(out);
    free(err);

    char strengths[1100];
    snprintf(strengths, sizeof strengths, "%s/strengths.txt", s->dir);
    s_write(strengths, "- Webbsändning av KF\n- E-förslag\n");
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "text", "set", ids, "1",
                   "strengths", "--file", strengths, NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "kept offline (2 changes waiting"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "evidence", "add", ids, "interview",
                   "--date", "2017-03-14", "--category", "politician", "--people", "3", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "kept offline (3 changes waiting"), "%s", out);
    free(out);
    free(err);

    /* the reads answer from the copy, marked, with her own changes in it */
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "show", ids, "--area", "1",
                   NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "offline copy of version "), "%s", out);
    cr_assert(strstr(out, "25"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "text", "show", ids, "1", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "offline copy of version "), "%s", out);
    cr_assert(strstr(out, "E-förslag"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "eval", "show", ids, NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "offline copy of version "), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "evidence", "list", ids, NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "offline copy of version ") && strstr(out, "interview"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "status", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "3 changes waiting") && strstr(out, "score 1.4 of ewa = 25") &&
                  strstr(out, "text of area 1 strengths"),
              "%s", out);
    free(out);
    free(err);

    /* nothing reached the server */
    char *n = s_sql("SELECT count(*) FROM audit_events WHERE action = 'score.set'");
    cr_assert_str_eq(n, "0");
    free(n);

    s_restart();
    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "in sync: 3 changes sent"), "%s", out);
    free(out);
    free(err);

    char *after = s_sql("SELECT after FROM audit_events WHERE action = 'score.set'");
    cr_assert(strstr(after, "\"offline\":{\"base_version\":") && strstr(after, "\"25\""), "%s",
              after);
    free(after);
    char *reason = s_sql("SELECT reason FROM audit_events WHERE action = 'text.save'");
    cr_assert(strstr(reason, "offline change"), "%s", reason);
    free(reason);
    char *ev = s_sql("SELECT after FROM audit_events WHERE action = 'evidence.add'");
    cr_assert(strstr(ev, "\"offline\""), "%s", ev);
    free(ev);
    /* nobody holds the lock sync took */
    char *locks = s_sql("SELECT count(*) FROM section_locks");
    cr_assert_str_eq(locks, "0");
    free(locks);

    rc = th_cli_as(s, peer, NULL, &out, &err, "status", NULL);
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "0 changes waiting"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "score", "show", ids, "--area", "1", NULL);
    cr_assert(!strstr(out, "offline copy"), "%s", out);
    free(out);
    free(err);
}

Test(field_offline, an_evaluation_not_checked_out_gives_exit_6_as_before)
{
    s_stop();
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "set", ids, "1.4",
                       "25", NULL);
    cr_assert_eq(rc, 6, "%s%s", out, err);
    cr_assert(!strstr(out, "kept offline"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "show", ids, NULL);
    cr_assert_eq(rc, 6, "%s%s", out, err);
    free(out);
    free(err);
}

/* ---------------------------------------------------------------- conflicts */

Test(field_offline, a_conflict_at_sync_overwrites_nothing_and_both_keeps_are_audited)
{
    s_checkout(peer);
    s_stop();
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "set", ids, "1.4",
                           "25", "--why", "min", NULL),
                 0, "%s%s", out, err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "set", ids, "1.5",
                           "8", NULL),
                 0, "%s%s", out, err);
    free(out);
    free(err);
    s_restart();
    /* meanwhile an admin wrote both for ewa */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "score", "set", ids, "1.4", "20", "--for",
                           "ewa", "--why", "deras", NULL),
                 0);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "score", "set", ids, "1.5", "5", "--for",
                           "ewa", NULL),
                 0);

    int rc = th_cli_as(s, peer, NULL, &out, &err, "sync", ids, NULL);
    cr_assert_eq(rc, 3, "%s%s", out, err);
    cr_assert(strstr(err, "CONFLICT: score 1.4 of ewa") && strstr(err, "yours (offline") &&
                  strstr(err, "25: min") && strstr(err, "written by admin") &&
                  strstr(err, "20: deras"),
              "%s", err);
    free(out);
    free(err);
    char *v =
        s_sql("SELECT points FROM scores s JOIN framework_questions q ON q.id = s.question_id "
              "WHERE q.code = '1.4'");
    cr_assert_str_eq(v, "20.00", "nothing overwritten at a conflict");
    free(v);

    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", "--keep", "mine", ids, "1.4", NULL);
    cr_assert_eq(rc, 3, "1.5 still waits: %s%s", out, err);
    cr_assert(strstr(out, "sent #1 score 1.4"), "%s", out);
    free(out);
    free(err);
    v = s_sql("SELECT points FROM scores s JOIN framework_questions q ON q.id = s.question_id "
              "WHERE q.code = '1.4'");
    cr_assert_str_eq(v, "25.00");
    free(v);
    char *a = s_sql("SELECT after FROM audit_events WHERE action = 'score.set' AND real_actor = '' "
                    "ORDER BY id DESC LIMIT 1");
    cr_assert(strstr(a, "\"kept\":\"mine\""), "%s", a);
    free(a);

    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", "--keep", "theirs", ids, "1.5", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "kept theirs for score 1.5"), "%s", out);
    free(out);
    free(err);
    v = s_sql("SELECT points FROM scores s JOIN framework_questions q ON q.id = s.question_id "
              "WHERE q.code = '1.5'");
    cr_assert_str_eq(v, "5.00");
    free(v);
    a = s_sql("SELECT target || ' ' || before || ' ' || after FROM audit_events WHERE action = "
              "'offline.kept_theirs'");
    cr_assert(strstr(a, "score 1.5 of ewa") && strstr(a, "\"points\":\"8\"") &&
                  strstr(a, "\"kept\":\"theirs\""),
              "%s", a);
    free(a);
}

Test(field_offline, a_change_sent_twice_is_applied_once)
{
    s_checkout(peer);
    s_stop();
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "--timeout", "1", "score", "set", ids, "2.1",
                           "10", NULL),
                 0);
    char jpath[1000], cpath[1000];
    s_offline_file(peer, "journal", jpath, sizeof jpath);
    s_offline_file(peer, "json", cpath, sizeof cpath);
    char *journal = s_read(jpath);
    char *copy = s_read(cpath);
    s_restart();
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "sync", NULL), 0);
    /* as if the CLI had died before it wrote down that the change went */
    s_write(jpath, journal);
    s_write(cpath, copy);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "sent #1 score 2.1"), "%s", out);
    free(out);
    free(err);
    char *n = s_sql("SELECT count(*) FROM audit_events WHERE action = 'score.set'");
    cr_assert_str_eq(n, "1", "the second send was answered from request_log");
    free(n);
    free(journal);
    free(copy);
}

/* ---------------------------------------------------------------- damage */

Test(field_offline, a_damaged_journal_line_is_named_and_loses_no_other_change)
{
    s_checkout(peer);
    s_stop();
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "--timeout", "1", "score", "set", ids, "3.1",
                           "5", NULL),
                 0);
    char jpath[1000];
    s_offline_file(peer, "journal", jpath, sizeof jpath);
    /* a line cut short by a crash: no end, half an object */
    FILE *f = fopen(jpath, "a");
    fputs("{\"change\":2,\"id\":\"abc\",\"rpc\":\"score_s", f);
    fclose(f);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "--timeout", "1", "score", "set", ids, "3.2",
                           "6", NULL),
                 0);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "status", NULL);
    cr_assert_eq(rc, 1, "%s%s", out, err);
    char want[1200];
    snprintf(want, sizeof want, "%s line 2 is damaged", jpath);
    cr_assert(strstr(err, want), "%s", err);
    cr_assert(strstr(out, "2 changes waiting"), "%s", out);
    free(out);
    free(err);

    s_restart();
    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 1, "%s%s", out, err);
    cr_assert(strstr(err, want), "%s", err);
    cr_assert(strstr(out, "sent #1 score 3.1") && strstr(out, "score 3.2"), "%s", out);
    free(out);
    free(err);
    char *n = s_sql("SELECT count(*) FROM scores");
    cr_assert_str_eq(n, "2");
    free(n);
    /* the damaged line stays for a person to look at */
    char *j = s_read(jpath);
    cr_assert(strstr(j, "\"rpc\":\"score_s\n"), "%s", j);
    free(j);
}

/* ---------------------------------------------------------------- merges */

Test(field_offline, strengths_changed_on_both_sides_without_overlap_merge_by_themselves)
{
    char file[1100];
    snprintf(file, sizeof file, "%s/s.txt", s->dir);
    s_write(file, "- Webbsändning av KF\n");
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "strengths",
                           "--file", file, NULL),
                 0);
    s_checkout(peer);
    s_stop();
    s_write(file, "- Webbsändning av KF\n- E-förslag\n");
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "--timeout", "1", "text", "set", ids, "1",
                           "strengths", "--file", file, NULL),
                 0);
    s_restart();
    s_write(file, "- Webbsändning av KF\n- Medborgarpanel\n");
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "strengths",
                           "--file", file, NULL),
                 0);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "merged #1"), "%s", out);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "text", "show", ids, "1", NULL);
    cr_assert(strstr(out, "Webbsändning av KF") && strstr(out, "Medborgarpanel") &&
                  strstr(out, "E-förslag"),
              "%s", out);
    free(out);
    free(err);
}

/* A summary changed on both sides stays a conflict; the offline text is also
 * kept as the section's draft, which `text edit --resume` opens with theirs
 * beside it. */
Test(field_offline, a_summary_changed_on_both_sides_keeps_both_texts)
{
    char file[1100];
    snprintf(file, sizeof file, "%s/sum.txt", s->dir);
    s_checkout(peer);
    s_stop();
    s_write(file, "Min sammanfattning.\n\nAndra stycket.\n");
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "--timeout", "1", "text", "set", ids, "1",
                           "summary", "--file", file, NULL),
                 0);
    s_restart();
    s_write(file, "Deras sammanfattning.\n");
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "summary", "--file",
                           file, NULL),
                 0);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 3, "%s%s", out, err);
    cr_assert(strstr(err, "CONFLICT: #1 text of area 1 summary") &&
                  strstr(err, "Min sammanfattning.") && strstr(err, "Deras sammanfattning.") &&
                  strstr(err, "written by christine") && strstr(err, "--resume"),
              "%s", err);
    /* both paragraphs shown, each line under "yours" */
    cr_assert(strstr(err, "      Min sammanfattning.\n\n      Andra stycket.\n"), "%s", err);
    free(out);
    free(err);
    char *v = s_sql("SELECT content FROM area_texts WHERE section = 'summary'");
    cr_assert(strstr(v, "Deras"), "nothing overwritten: %s", v);
    free(v);
    char draft[1200];
    snprintf(draft, sizeof draft, "ls %s/state/kompass/drafts/*/text-%s-1-summary.txt", peer, ids);
    FILE *p = popen(draft, "r");
    char path[1000] = "";
    cr_assert(p && fgets(path, sizeof path, p), "no draft kept");
    pclose(p);
    path[strcspn(path, "\n")] = '\0';
    char *d = s_read(path);
    cr_assert(strstr(d, "Min sammanfattning."), "%s", d);
    free(d);

    /* the draft, resumed and saved unchanged, puts hers over theirs; the
     * offline change is then given up, on the record */
    setenv("EDITOR", "true", 1);
    unsetenv("VISUAL");
    rc =
        th_cli_as(s, peer, NULL, &out, &err, "text", "edit", ids, "1", "summary", "--resume", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    free(out);
    free(err);
    v = s_sql("SELECT content FROM area_texts WHERE section = 'summary'");
    cr_assert(strstr(v, "Min sammanfattning."), "%s", v);
    free(v);
    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", "--keep", "theirs", ids, "1/summary", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    free(out);
    free(err);
    char *a = s_sql("SELECT target FROM audit_events WHERE action = 'offline.kept_theirs'");
    cr_assert_str_eq(a, "text of area 1 summary");
    free(a);
}

/* A text made offline goes at sync only while nobody else holds its lock. */
Test(field_offline, a_text_waits_at_sync_while_another_holds_the_lock)
{
    char file[1100];
    snprintf(file, sizeof file, "%s/st.txt", s->dir);
    s_checkout(peer);
    s_stop();
    s_write(file, "- Tydliga mål\n");
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "--timeout", "1", "text", "set", ids, "2",
                           "strengths", "--file", file, NULL),
                 0);
    s_restart();
    /* christine holds the lock, as while she edits */
    kp_arena *a = kp_arena_new();
    void *sock = th_dealer(s);
    const char *token = th_token(sock, a, "christine", TH_PASSWORD);
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__TextLockRequest *l = kp_arena_zalloc(a, sizeof *l);
    kompass__v1__text_lock_request__init(l);
    l->evaluation_id = atoll(ids);
    l->area = 2;
    l->section = "strengths";
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = l;
    req->session_token = (char *)token;
    kp_response *r = th_call(sock, a, req, 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 3, "%s%s", out, err);
    cr_assert(strstr(err, "waits: Christine Feuk (christine) holds the section's lock"), "%s", err);
    free(out);
    free(err);
    rc = th_cli_as(s, peer, NULL, &out, &err, "status", NULL);
    cr_assert(strstr(out, "1 change waiting"), "%s", out);
    free(out);
    free(err);
    /* she is done */
    kp_request *rel = kp_arena_zalloc(a, sizeof *rel);
    kompass__v1__request__init(rel);
    Kompass__V1__TextLockRequest *rl = kp_arena_zalloc(a, sizeof *rl);
    kompass__v1__text_lock_request__init(rl);
    rl->evaluation_id = atoll(ids);
    rl->area = 2;
    rl->section = "strengths";
    rl->op = KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE;
    rl->token = kp_arena_strdup(a, r->text_lock->token);
    rel->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    rel->text_lock = rl;
    rel->session_token = (char *)token;
    r = th_call(sock, a, rel, 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK);
    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    free(out);
    free(err);
    char *v = s_sql("SELECT content FROM area_texts WHERE section = 'strengths'");
    cr_assert(strstr(v, "Tydliga mål"), "%s", v);
    free(v);
    zmq_close(sock);
    kp_arena_destroy(&a);
}

/* text edit, score import and score edit work offline too; --json says kept. */
Test(field_offline, text_edit_score_import_and_score_edit_are_kept_offline_too)
{
    s_checkout(peer);
    s_stop();
    char ed[1100], csv[1100];
    snprintf(ed, sizeof ed, "%s/ed.sh", s->dir);
    s_write(ed, "#!/bin/sh\nprintf -- '- Öppna nämndmöten\\n' >> \"$1\"\n");
    chmod(ed, 0755);
    setenv("EDITOR", ed, 1);
    unsetenv("VISUAL");
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "text", "edit", ids, "3",
                       "improvements", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "text of area 3 improvements: kept offline (1 change waiting"), "%s",
              out);
    free(out);
    free(err);
    snprintf(csv, sizeof csv, "%s/s.csv", s->dir);
    s_write(csv, "question,points,rationale\n1.1,10,Plan finns\n1.2,12,\n");
    json_t *doc = th_json(s, peer, 0, "--timeout", "1", "score", "import", ids, csv, NULL);
    json_t *o = json_object_get(doc, "offline");
    cr_assert(json_is_true(json_object_get(o, "kept")), "%s", json_dumps(doc, 0));
    cr_assert_eq(json_integer_value(json_object_get(o, "waiting")), 2);
    json_decref(doc);
    /* the area's sheet, offline: the copy's questions, the change journalled */
    s_write(ed, "#!/bin/sh\nsed -i '0,/^points = *$/s//points = 4/' \"$1\"\n");
    rc = th_cli_as(s, peer, NULL, &out, &err, "--timeout", "1", "score", "edit", ids, "--area", "2",
                   NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "score 2.1 of ewa = 4: kept offline (3 changes waiting"), "%s%s", out,
              err);
    free(out);
    free(err);
    s_restart();
    rc = th_cli_as(s, peer, NULL, &out, &err, "sync", NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    free(out);
    free(err);
    char *v = s_sql("SELECT content FROM area_texts WHERE section = 'improvements'");
    cr_assert(strstr(v, "Öppna nämndmöten"), "%s", v);
    free(v);
    v = s_sql("SELECT count(*) FROM scores");
    cr_assert_str_eq(v, "3");
    free(v);
    v = s_sql("SELECT s.points FROM scores s JOIN framework_questions q ON q.id = s.question_id "
              "WHERE q.code = '2.1'");
    cr_assert_str_eq(v, "4.00");
    free(v);
}
