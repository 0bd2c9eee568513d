/*  Scoring a whole area at once (issue 15): `score edit` (the sheet in the
 *  editor, only changed questions, all or nothing, every problem with its
 *  line, conflicts marked, kept as a draft), `score export` -> `score import`,
 *  `score set`'s echo. Through the real CLI against a real kompassd; editors
 *  are shell scripts editing the sheet with sed. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

static th_server *s;
static kp_arena *a;
static char admin[300], lead[300], peer[300], ids[32];
static long long eval_id;

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    eval_id = th_scoring_eval(s, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", eval_id);
    cr_assert_eq(eval_id, 1); /* a fresh database: draft names say 1 */
    a = kp_arena_new();
}

static void teardown(void)
{
    th_server_free(&s);
    kp_arena_destroy(&a);
}

TestSuite(score_sheet, .init = setup, .fini = teardown, .timeout = 300);

/* ---------------------------------------------------------------- helpers */

static const char *s_path(const char *name)
{
    return kp_arena_printf(a, "%s/%s", s->dir, name);
}

static const char *s_editor(const char *name, const char *body)
{
    const char *p = s_path(name);
    char *text = kp_arena_printf(a, "#!/bin/sh\n%s", body);
    cr_assert_eq(kp_write_file(p, text, strlen(text), 0755), 0);
    return p;
}

/* A sed command setting question q's points (and why, when not NULL). */
static const char *s_set(const char *q, const char *points, const char *why)
{
    const char *c = kp_arena_printf(
        a, "sed -i '/^\\[%s\\]/,/^why/ s/^points =.*/points = %s/' \"$1\"\n", q, points);
    if (why)
        c = kp_arena_printf(a, "%ssed -i '/^\\[%s\\]/,/^why/ s/^why =.*/why = %s/' \"$1\"\n", c, q,
                            why);
    return c;
}

/* Runs kompass as home's user with EDITOR=editor, stdin /dev/null (no
 * terminal); its exit code, stdout and stderr. */
static int s_run(const char *home, const char *editor, char **out, char **err, const char *arg, ...)
{
    const char *args[40];
    int n = 0;
    args[n++] = "--timeout";
    args[n++] = "2";
    va_list ap;
    va_start(ap, arg);
    for (const char *x = arg; x && n < 39; x = va_arg(ap, const char *))
        args[n++] = x;
    va_end(ap);
    args[n] = NULL;
    setenv("EDITOR", editor, 1);
    unsetenv("VISUAL");
    int rc = th_cli_full(s, home, "", out, err, args);
    unsetenv("EDITOR");
    return rc;
}

static char *s_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_sql(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char q[2000];
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    char *v = th_sql(s, q);
    return v ? v : strdup("");
}

/* "1.1=12.50:why;..." of login's scores. */
static char *s_scores(const char *login)
{
    return s_sql("SELECT coalesce(string_agg(q.code || '=' || s.points || ':' || s.rationale, ';' "
                 "ORDER BY q.position, q.code), '') FROM scores s JOIN framework_questions q ON "
                 "q.id = s.question_id JOIN users u ON u.id = s.evaluator_id WHERE u.login = '%s'",
                 login);
}

static long long s_count(const char *sql)
{
    char *v = th_sql(s, sql);
    long long n = v ? atoll(v) : -1;
    free(v);
    return n;
}

/* The kept sheet of home's user, or NULL. */
static char *s_draft(const char *home, const char *name)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -d %s/state/kompass/drafts/*/%s.txt 2>/dev/null", home, name);
    FILE *p = popen(cmd, "r");
    char line[900] = "";
    if (p) {
        if (!fgets(line, sizeof line, p)) line[0] = '\0';
        pclose(p);
    }
    line[strcspn(line, "\n")] = '\0';
    return *line ? kp_arena_strdup(a, line) : NULL;
}

static char *s_read(const char *path)
{
    char *t = kp_read_file(path, 1 << 20, NULL);
    char *c = kp_arena_strdup(a, t ? t : "");
    free(t);
    return c;
}

/* ---------------------------------------------------------------- score set */

Test(score_sheet, score_set_says_which_question_and_max_it_wrote)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "score", "set", ids, "1.4", "25", NULL), 0,
                 "%s", err);
    cr_assert(strstr(out, "score 1.4 (Främjas invånardialog och deltagande?, max 30) of ewa set "
                          "to 25 (evaluation version"),
              "%s", out);
    free(out);
    free(err);
    /* and it still carries the version last seen: a stale one is refused */
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "1.4", "26", NULL), 0);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "score", "set", ids, "1.4", "27", "--for",
                           "ewa", "--version", "0", NULL),
                 3);
}

/* ---------------------------------------------------------------- score edit */

Test(score_sheet, the_sheet_writes_only_what_changed_in_one_go)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "1.4", "20", "--why",
                           "Bred dialog", NULL),
                 0);
    long long v14 = s_count("SELECT version FROM scores");
    long long events = s_count("SELECT count(*) FROM audit_events");
    const char *seen = s_path("seen.txt");
    const char *ed = s_editor("fill.sh", kp_arena_printf(a, "cp \"$1\" %s\n%s%s", seen,
                                                         s_set("1.1", "12,5", "Tydlig plan"),
                                                         s_set("1.3", "19.5", NULL)));
    char *out = NULL, *err = NULL;
    int rc = s_run(peer, ed, &out, &err, "score", "edit", ids, "--area", "1", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(strstr(out, "2 scores of ewa written"), "%s", out);
    free(out);
    free(err);
    /* what the editor was given */
    char *sheet = s_read(seen);
    cr_assert(strstr(sheet, "# Kompass score sheet: evaluation 1, Västerås stad"), "%s", sheet);
    cr_assert(strstr(sheet, "# Area 1 Offentlighet och demokrati"), "%s", sheet);
    cr_assert(strstr(sheet, "# Evaluator: ewa (Ewa Luvö)"), "%s", sheet);
    cr_assert(strstr(sheet, "[1.4]\n# Främjas invånardialog och deltagande? (max 30)\npoints = "
                            "20\nwhy = Bred dialog\n"),
              "%s", sheet);
    cr_assert(!strstr(sheet, "[2.1]"), "another area in an area's sheet");
    /* one change, one audit event; 1.4 untouched */
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc, "1.1=12.50:Tydlig plan;1.3=19.50:;1.4=20.00:Bred dialog");
    free(sc);
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events"), events + 1);
    cr_assert_eq(s_count("SELECT version FROM scores s JOIN framework_questions q ON q.id = "
                         "s.question_id WHERE q.code = '1.4'"),
                 v14, "an unchanged score was written again");
    cr_assert_null(s_draft(peer, "scores-1-1-ewa"), "the sheet outlived the save");
    /* quitting without a change saves nothing */
    err = NULL;
    cr_assert_eq(s_run(peer, "true", &out, &err, "score", "edit", ids, "--area", "1", NULL), 0,
                 "%s", err);
    cr_assert(strstr(out, "no change"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events"), events + 1);
}

Test(score_sheet, every_problem_is_listed_with_its_line_and_nothing_is_written)
{
    char *fp = th_db_fingerprint(s);
    const char *ed =
        s_editor("bad.sh", kp_arena_printf(a, "%s%s%s%s", s_set("2.3", "27", NULL),
                                           s_set("2.1", "abc", NULL), s_set("2.2", "12", NULL),
                                           "printf '\\n[9.9]\\npoints = 1\\n' >> \"$1\"\n"));
    char *out = NULL, *err = NULL;
    int rc = s_run(peer, ed, &out, &err, "score", "edit", ids, "--area", "2", NULL);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
    char *sheet_path = s_draft(peer, "scores-1-2-ewa");
    cr_assert_not_null(sheet_path, "the sheet with problems was not kept");
    /* each with its line, all at once */
    char *sheet = s_read(sheet_path);
    cr_assert(strstr(err, "[2.3]: 27 exceeds the max of 20"), "%s", err);
    cr_assert(strstr(err, "[2.1]: 'abc' is not a number of points"), "%s", err);
    cr_assert(strstr(err, "[9.9]: no such question in area 2 of this sheet"), "%s", err);
    cr_assert(strstr(err, "3 problems; nothing was saved"), "%s", err);
    cr_assert(strstr(err, sheet_path), "%s", err);
    const char *l23 = strstr(err, "line ");
    cr_assert(l23);
    free(out);
    free(err);
    char *now = th_db_fingerprint(s);
    cr_assert_str_eq(now, fp, "a sheet with problems wrote something");
    free(now);
    /* the kept sheet carries them as comments above their lines */
    cr_assert(strstr(sheet, "#! 27 exceeds the max of 20\npoints = 27\n"), "%s", sheet);
    cr_assert(strstr(sheet, "#! 'abc' is not a number of points"), "%s", sheet);
    /* --resume with the problems fixed: written (2.2 kept its 12) */
    const char *fix = s_editor("fix.sh", kp_arena_printf(a, "%s%s%s", s_set("2.3", "17", NULL),
                                                         s_set("2.1", "9", NULL),
                                                         "sed -i '/^\\[9.9\\]$/,+1d' \"$1\"\n"));
    err = NULL;
    rc = s_run(peer, fix, &out, &err, "score", "edit", ids, "--area", "2", "--resume", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc, "2.1=9.00:;2.2=12.00:;2.3=17.00:");
    free(sc);
    free(fp);
}

/* On a terminal the sheet opens again with the problems in it, until they
 * are fixed. `script` gives the CLI a terminal. */
Test(score_sheet, on_a_terminal_the_sheet_reopens_with_its_problems)
{
    if (access("/usr/bin/script", X_OK) != 0) cr_skip("script (util-linux) is not installed");
    const char *log = s_path("rounds.log");
    /* first round: an over-the-max value; second: it sees the mark, fixes it */
    const char *ed = s_editor(
        "two.sh",
        kp_arena_printf(a,
                        "if grep -q '^#! 27 exceeds the max of 20' \"$1\"; then\n  echo fixed >> "
                        "%s\n  %s"
                        "else\n  echo bad >> %s\n  %s"
                        "fi\n",
                        log, s_set("2.3", "18", NULL), log, s_set("2.3", "27", NULL)));
    const char *cmd =
        kp_arena_printf(a,
                        "XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s/state KOMPASS_SERVER_KEY='%s' "
                        "EDITOR=%s %s --server %s "
                        "score edit %s --area 2",
                        peer, peer, s->server_key, ed, th_bin("kompass"), s->listen, ids);
    const char *argv[] = {"/usr/bin/script", "-qec", cmd, "/dev/null", NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, "", &out, &err, 60000);
    cr_assert_eq(rc, 0, "exit %d: %s %s", rc, out, err);
    cr_assert(strstr(out, "line ") && strstr(out, "[2.3]: 27 exceeds the max of 20"), "%s", out);
    free(out);
    free(err);
    cr_assert_str_eq(s_read(log), "bad\nfixed\n");
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc, "2.3=18.00:");
    free(sc);
}

Test(score_sheet, a_score_changed_meanwhile_is_marked_in_the_sheet_and_resume_replaces_it)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "3.1", "5", NULL), 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "3.2", "6", NULL), 0);
    const char *ready = s_path("ready"), *go = s_path("go");
    const char *ed = s_editor(
        "slow.sh", kp_arena_printf(a, "%s%s%stouch %s\nwhile [ ! -e %s ]; do sleep 0.1; done\n",
                                   s_set("3.1", "8", NULL), s_set("3.2", "9", NULL),
                                   s_set("3.3", "4", NULL), ready, go));
    /* Ewa's sheet is open when her other laptop (an admin for her, here)
     * changes 3.1 and 3.2: 3.2 to what the sheet says anyway */
    const char *args[] = {"--timeout", "2", "score", "edit", ids, "--area", "3", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        setenv("EDITOR", ed, 1);
        char *o = NULL, *e = NULL;
        int rc = th_cli_full(s, peer, "", &o, &e, args);
        FILE *f = fopen(s_path("child.err"), "w");
        if (f) {
            fputs(e ? e : "", f);
            fclose(f);
        }
        _exit(rc);
    }
    for (int i = 0; i < 600 && access(ready, F_OK) != 0; i++)
        usleep(50000);
    cr_assert_eq(access(ready, F_OK), 0, "the editor did not start");
    char *v = s_sql("SELECT s.version FROM scores s JOIN framework_questions q ON q.id = "
                    "s.question_id WHERE q.code = '3.1'");
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "score", "set", ids, "3.1", "7", "--for",
                           "ewa", "--why", "från den andra datorn", "--version", v, NULL),
                 0);
    free(v);
    v = s_sql("SELECT s.version FROM scores s JOIN framework_questions q ON q.id = s.question_id "
              "WHERE q.code = '3.2'");
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "score", "set", ids, "3.2", "9", "--for",
                           "ewa", "--version", v, NULL),
                 0);
    free(v);
    cr_assert_eq(kp_write_file(go, "", 0, 0644), 0);
    int status;
    waitpid(pid, &status, 0);
    char *err = s_read(s_path("child.err"));
    cr_assert_eq(WEXITSTATUS(status), 3, "exit %d: %s", WEXITSTATUS(status), err);
    cr_assert(strstr(err, "CONFLICT: 1 score changed"), "%s", err);
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc,
                     "3.1=7.00:från den andra datorn;3.2=9.00:", "part of the sheet was written");
    free(sc);
    char *sheet = s_read(s_draft(peer, "scores-1-3-ewa"));
    cr_assert(strstr(sheet, "#! CONFLICT: [3.1] changed since you opened the sheet: now 7"), "%s",
              sheet);
    cr_assert(strstr(sheet, "från den andra datorn"), "%s", sheet);
    cr_assert(!strstr(sheet, "CONFLICT: [3.2]"), "the same value was marked a conflict: %s", sheet);
    /* --resume, saved as it is: her sheet's values, over the other laptop's */
    char *out = NULL;
    err = NULL;
    int rc = s_run(peer, "true", &out, &err, "score", "edit", ids, "--area", "3", "--resume", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    sc = s_scores("ewa");
    cr_assert_str_eq(sc, "3.1=8.00:;3.2=9.00:;3.3=4.00:");
    free(sc);
}

Test(score_sheet, a_kept_sheet_is_offered_and_the_server_away_loses_nothing)
{
    const char *ready = s_path("ready"), *go = s_path("go");
    const char *ed = s_editor("slow.sh", kp_arena_printf(a,
                                                         "%stouch %s\nwhile [ ! -e %s ]; do "
                                                         "sleep 0.1; done\n",
                                                         s_set("4.1", "3", "Bra"), ready, go));
    const char *args[] = {"--timeout", "2", "score", "edit", ids, "--area", "4", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        setenv("EDITOR", ed, 1);
        char *o = NULL, *e = NULL;
        int rc = th_cli_full(s, peer, "", &o, &e, args);
        FILE *f = fopen(s_path("child.err"), "w");
        if (f) {
            fputs(e ? e : "", f);
            fclose(f);
        }
        _exit(rc);
    }
    for (int i = 0; i < 600 && access(ready, F_OK) != 0; i++)
        usleep(50000);
    kill(s->pid, SIGSTOP); /* the link drops */
    cr_assert_eq(kp_write_file(go, "", 0, 0644), 0);
    int status;
    waitpid(pid, &status, 0);
    kill(s->pid, SIGCONT);
    char *err = s_read(s_path("child.err"));
    cr_assert_eq(WEXITSTATUS(status), 6, "exit %d: %s", WEXITSTATUS(status), err);
    cr_assert(strstr(err, "your sheet is kept in") && strstr(err, "--resume"), "%s", err);
    cr_assert_not_null(s_draft(peer, "scores-1-4-ewa"));
    /* the frozen server may have written it when it woke: either way, one
     * --resume ends with the sheet's values, once */
    for (int i = 0; i < 40 && s_count("SELECT count(*) FROM scores") == 0; i++)
        usleep(50000);
    char *out = NULL;
    err = NULL;
    cr_assert_eq(s_run(peer, "true", &out, &err, "score", "edit", ids, "--area", "4", NULL), 1);
    cr_assert(strstr(err, "you have a kept score sheet of area 4"), "%s", err);
    free(out);
    free(err);
    err = NULL;
    int rc = s_run(peer, "true", &out, &err, "score", "edit", ids, "--area", "4", "--resume", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc, "4.1=3.00:Bra");
    free(sc);
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events WHERE action = 'score.set'"), 1,
                 "saved twice");
    cr_assert_null(s_draft(peer, "scores-1-4-ewa"));
}

/* ---------------------------------------------------------------- export, import */

Test(score_sheet, export_then_import_round_trips_and_import_lists_every_problem)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "1.2", "15", "--why",
                           "Bra, men \"kan\" bli bättre\nsärskilt på webben", NULL),
                 0);
    char *csv = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &csv, NULL, "score", "export", ids, "--area", "1", NULL),
                 0);
    cr_assert(strstr(csv, "question,points,rationale,text,max\r\n1.1,,,Finns en plan/strategi"),
              "%s", csv);
    cr_assert(strstr(csv, "1.2,15,\"Bra, men \"\"kan\"\" bli bättre\nsärskilt på "
                          "webben\",Informeras invånarna om aktuella frågor i politiken?,20\r\n"),
              "%s", csv);
    const char *file = s_path("sheet.csv");
    cr_assert_eq(kp_write_file(file, csv, strlen(csv), 0644), 0);
    long long events = s_count("SELECT count(*) FROM audit_events");
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "score", "import", ids, file, NULL), 0, "%s",
                 err);
    cr_assert(strstr(out, "nothing to write"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events"), events);
    /* filled in, in a spreadsheet: written, once */
    char *filled = kp_arena_strdup(a, csv);
    char *at = strstr(filled, "1.1,,,");
    cr_assert(at);
    filled = kp_arena_printf(a, "%.*s1.1,14,Tydlig plan,%s", (int)(at - filled), filled, at + 6);
    cr_assert_eq(kp_write_file(file, filled, strlen(filled), 0644), 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, &err, "score", "import", ids, file, NULL), 0, "%s",
                 err);
    cr_assert(strstr(out, "score 1.1 (Finns en plan/strategi"), "%s", out);
    free(out);
    free(err);
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc, "1.1=14.00:Tydlig plan;1.2=15.00:Bra, men \"kan\" bli bättre\nsärskilt "
                         "på webben");
    free(sc);
    free(csv);
    /* every problem of a file at once, nothing written */
    const char bad[] = "question,points,rationale\n"
                       "1.3,26,\n"             /* 2: over the max */
                       "1.4,x,\n"              /* 3: not a number */
                       "1.5,4,Bra, men inte\n" /* 4: a comma unquoted */
                       "7.9,1,\n"              /* 5: no such question */
                       "1.3,2,\n"              /* 6: twice */
                       "1.2,,\n";              /* 7: removing a score */
    cr_assert_eq(kp_write_file(file, bad, strlen(bad), 0644), 0);
    char *fp = th_db_fingerprint(s);
    err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "score", "import", ids, file, NULL), 1);
    const char *want[] = {"line 2, [1.3]: 26 exceeds the max of 25",
                          "line 3, [1.4]: 'x' is not a number of points",
                          "line 4, [1.5]: 4 fields, but the header has 3",
                          "line 5, [7.9]: no such question in this evaluation",
                          "line 6, [1.3]: given twice (first at line 2)",
                          "line 7, [1.2]: points are empty, but 1.2 has a score (15)",
                          "6 problems in"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(err, want[i]), "'%s' is not among the problems:\n%s", want[i], err);
    free(err);
    char *now = th_db_fingerprint(s);
    cr_assert_str_eq(now, fp);
    free(now);
    free(fp);
    /* --json lists them too */
    json_t *doc = th_json(s, peer, 1, "score", "import", ids, file, NULL);
    cr_assert_eq(json_array_size(json_object_get(json_object_get(doc, "error"), "problems")), 6);
    json_decref(doc);
}

Test(score_sheet, export_for_another_evaluator_follows_blind_scoring)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "1.1", "3", NULL), 0);
    char *out = NULL, *err = NULL;
    /* the lead may not see Ewa's scores while scoring is blind */
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, &err, "score", "export", ids, "--for", "ewa", NULL),
                 4);
    cr_assert(strstr(err, "scored blind"), "%s", err);
    free(out);
    free(err);
    /* an admin may, and edits for her with --for */
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, NULL, "score", "export", ids, "--area", "1",
                           "--for", "ewa", NULL),
                 0);
    cr_assert(strstr(out, "\r\n1.1,3,,"), "%s", out);
    free(out);
    err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "score", "export", ids, NULL), 4);
    cr_assert(strstr(err, "use --for LOGIN"), "%s", err);
    free(err);
    const char *ed = s_editor("fill.sh", s_set("1.2", "11", NULL));
    err = NULL;
    cr_assert_eq(
        s_run(admin, ed, &out, &err, "score", "edit", ids, "--area", "1", "--for", "ewa", NULL), 0,
        "%s", err);
    free(out);
    free(err);
    char *sc = s_scores("ewa");
    cr_assert_str_eq(sc, "1.1=3.00:;1.2=11.00:");
    free(sc);
}

/* ---------------------------------------------------------------- tables, --json */

Test(score_sheet, score_show_wraps_texts_at_words_and_json_goes_anywhere)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "score", "set", ids, "2.5", "12.5", NULL), 0);
    setenv("COLUMNS", "60", 1);
    char *out = NULL;
    int rc = th_cli_as(s, peer, NULL, &out, NULL, "score", "show", ids, "--area", "2", NULL);
    unsetenv("COLUMNS");
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "ewa (me)  christine"), "%s", out);
    /* every line within 60 columns; no word cut, no ellipsis */
    cr_assert(!strstr(out, "…"), "%s", out);
    for (char *l = out; *l;) {
        char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        int w = 0;
        for (size_t i = 0; i < len; i++)
            w += ((unsigned char)l[i] & 0xC0) != 0x80;
        if (strncmp(l, "Evaluation ", 11) != 0) /* the heading is a sentence */
            cr_assert_leq(w, 60, "a line of %d columns: %.*s", w, (int)len, l);
        l += len + (nl ? 1 : 0);
    }
    cr_assert(strstr(out, "klagomålshantering"), "%s", out);
    cr_assert(strstr(out, "12.5    (blind)"), "%s", out);
    free(out);
    /* without a terminal or COLUMNS, whole lines (for grep) */
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "score", "show", ids, "--area", "2", NULL),
                 0);
    cr_assert(strstr(out, "Hur arbetar kommunen med att förtydliga tjänsternas innehåll samt "
                          "synpunkts- och klagomålshantering för medborgare/brukare?"),
              "%s", out);
    free(out);
    /* --json after the command, or before it: the same document */
    json_t *before = th_json(s, peer, 0, "score", "show", ids, "--area", "2", NULL);
    char *after_text = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &after_text, NULL, "score", "show", ids, "--json",
                           "--area", "2", NULL),
                 0);
    json_t *after = json_loads(after_text, 0, NULL);
    cr_assert(json_equal(before, after), "%s", after_text);
    json_decref(before);
    json_decref(after);
    free(after_text);
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "whoami", "--json", NULL), 0);
    cr_assert(strstr(out, "\"login\": \"ewa\""), "%s", out);
    free(out);
    /* and an error after it is JSON too */
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "score", "show", "x", "--json", NULL), 2);
    cr_assert(strstr(out, "\"status\": \"USAGE\""), "%s", out);
    free(out);
}

/* Every line of out within width columns (as a terminal counts them). */
static void s_fits(const char *out, int width)
{
    for (const char *l = out; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        int w = 0;
        for (size_t i = 0; i < len; i++)
            w += ((unsigned char)l[i] & 0xC0) != 0x80;
        cr_assert_leq(w, width, "a line of %d columns: %.*s", w, (int)len, l);
        l += len + (nl ? 1 : 0);
    }
}

Test(score_sheet, consensus_on_80_columns_keeps_every_word_whole)
{
    /* both evaluators score everything (a sheet each, imported) and submit */
    char *codes = s_sql("SELECT string_agg(q.code, ' ' ORDER BY a.number, q.position) FROM "
                        "framework_questions q JOIN framework_areas a ON a.id = q.area_id JOIN "
                        "evaluations e ON e.framework_id = q.framework_id WHERE e.id = 1");
    const char *homes[] = {peer, lead};
    for (int h = 0; h < 2; h++) {
        char *csv = kp_arena_strdup(a, "question,points,rationale\n");
        char *copy = kp_arena_strdup(a, codes);
        for (char *c = strtok(copy, " "); c; c = strtok(NULL, " "))
            csv = kp_arena_printf(a, "%s%s,%d,\n", csv, c, h ? 1 : 5);
        const char *file = s_path(h ? "lead.csv" : "peer.csv");
        cr_assert_eq(kp_write_file(file, csv, strlen(csv), 0644), 0);
        char *err = NULL;
        cr_assert_eq(th_cli_as(s, homes[h], NULL, NULL, &err, "score", "import", ids, file, NULL),
                     0, "%s", err);
        free(err);
        cr_assert_eq(th_cli_as(s, homes[h], NULL, NULL, NULL, "submit", ids, NULL), 0);
    }
    free(codes);
    setenv("COLUMNS", "80", 1);
    char *out = NULL;
    int rc = th_cli_as(s, lead, NULL, &out, NULL, "consensus", ids, NULL);
    unsetenv("COLUMNS");
    cr_assert_eq(rc, 0);
    /* the table (the agreement figures after it are a sentence) */
    char *figures = strstr(out, "\n\nagreement over");
    cr_assert(figures, "%s", out);
    *figures = '\0';
    s_fits(out, 80);
    /* the figures on the question's line, its text whole below it */
    cr_assert(strstr(out, "\n1.1   15"), "%s", out);
    cr_assert(strstr(out, "demokratiutveckling"), "%s", out);
    cr_assert(strstr(out, "kommunövergripande"), "%s", out);
    free(out);
    /* wide enough: the text beside its figures */
    setenv("COLUMNS", "130", 1);
    rc = th_cli_as(s, lead, NULL, &out, NULL, "consensus", ids, NULL);
    unsetenv("COLUMNS");
    cr_assert_eq(rc, 0);
    *strstr(out, "\n\nagreement over") = '\0';
    s_fits(out, 130);
    cr_assert(strstr(out, "\n1.1  Finns en plan/strategi för demokratiutveckling och information?"),
              "%s", out);
    free(out);
}

/* ---------------------------------------------------------------- completion, man */

Test(score_sheet, completion_and_the_man_page_come_from_the_help_texts)
{
    /* bash, with the completion script as installed, asks kompass itself */
    const char *script = KP_SOURCE_DIR "/client/kompass.bash";
    const char *bin_dir = kp_arena_strdup(a, th_bin("kompass"));
    *strrchr((char *)bin_dir, '/') = '\0';
    struct {
        const char *words;
        int cword;
        const char *want;
    } cases[] = {
        {"kompass sc", 1, "score"},
        {"kompass score e", 2, "edit export"},
        {"kompass score edit ''", 3, "1"}, /* the evaluations Ewa can see */
        {"kompass score edit 1 --a", 4, "--area"},
        {"kompass text edit 1 1 s", 5, "summary strengths"},
        {"kompass text edit 1 1 summary --r", 6, "--resume"},
        {"kompass eval assign 1 ewa --as p", 6, "peer"},
        {"kompass --ti", 1, "--timeout"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *cmd = kp_arena_printf(
            a,
            "export PATH=%s:$PATH XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s/state KOMPASS_SERVER=%s "
            "KOMPASS_SERVER_KEY='%s'; source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _kompass; echo "
            "\"${COMPREPLY[*]}\"",
            bin_dir, peer, peer, s->listen, s->server_key, script, cases[i].words, cases[i].cword);
        const char *argv[] = {"/bin/bash", "-c", cmd, NULL};
        char *out = NULL, *err = NULL;
        cr_assert_eq(th_run(argv, NULL, &out, &err, 30000), 0, "%s", err);
        out[strcspn(out, "\n")] = '\0';
        cr_assert_str_eq(out, cases[i].want, "completing '%s'", cases[i].words);
        free(out);
        free(err);
    }
    /* the man page: every command with its usage, valid roff */
    char *man = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &man, NULL, "help", "--man", NULL), 0);
    cr_assert(strncmp(man, ".TH KOMPASS 1", 13) == 0, "%.200s", man);
    const char *names[] = {"score", "text", "consensus", "watch", "report", "admin"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert(strstr(man, kp_arena_printf(a, ".SS %s\n", names[i])), "no %s", names[i]);
    cr_assert(strstr(man, "kompass score edit ID [\\-\\-area N]"), "the usage is not the help's");
    const char *page = s_path("kompass.1");
    cr_assert_eq(kp_write_file(page, man, strlen(man), 0644), 0);
    free(man);
    if (access("/usr/bin/groff", X_OK) == 0) {
        const char *argv[] = {"/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z", page, NULL};
        char *out = NULL, *err = NULL;
        cr_assert_eq(th_run(argv, NULL, &out, &err, 30000), 0);
        cr_assert_str_eq(err, "", "groff warns: %s", err);
        free(out);
        free(err);
    }
}
