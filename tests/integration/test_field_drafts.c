/*  Nothing typed is lost (issue 15): `text edit` keeps a draft from the
 *  editor's first write until the server confirmed the save, whatever fails
 *  (the server stopped, the lock broken, a conflict, the CLI killed), and
 *  `--resume` carries on from it; no change saves nothing; an empty text is
 *  confirmed; a summary's paragraphs survive to the report.
 *
 *  Everything through the real CLI against a real kompassd and PostgreSQL;
 *  editors are small shell scripts that do what a person would, and wait
 *  for the test's "go" where the test must act while they are open. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    /* a fresh database: the draft names below say evaluation 1 */
    cr_assert_eq(eval_id, 1);
    a = kp_arena_new();
}

static void teardown(void)
{
    th_server_free(&s);
    kp_arena_destroy(&a);
}

TestSuite(field_drafts, .init = setup, .fini = teardown, .timeout = 300);

/* ---------------------------------------------------------------- helpers */

/* A file under the server's dir: path into out. */
static const char *s_path(char *out, const char *name)
{
    snprintf(out, 400, "%s/%s", s->dir, name);
    return out;
}

/* Writes an editor script (a shell body after #!/bin/sh) called name. */
static const char *s_editor(const char *name, const char *body)
{
    static char path[8][400];
    static int next;
    char *p = path[next++ % 8];
    s_path(p, name);
    char *text = kp_arena_printf(a, "#!/bin/sh\n%s", body);
    cr_assert_eq(kp_write_file(p, text, strlen(text), 0755), 0);
    return p;
}

typedef struct {
    pid_t pid;
    char out[400], err[400];
} bg;

/* Starts `kompass ARGS` as home's user with EDITOR=editor, in a process group
 * of its own (killing it kills its editor too), stdin from /dev/null. */
static void s_start(bg *b, const char *home, const char *editor, const char *const *args)
{
    static int seq;
    snprintf(b->out, sizeof b->out, "%s/bg-%d.out", s->dir, ++seq);
    snprintf(b->err, sizeof b->err, "%s/bg-%d.err", s->dir, seq);
    b->pid = fork();
    cr_assert(b->pid >= 0);
    if (b->pid == 0) {
        setpgid(0, 0);
        char state[400];
        snprintf(state, sizeof state, "%s/state", home);
        setenv("XDG_CONFIG_HOME", home, 1);
        setenv("XDG_STATE_HOME", state, 1);
        setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
        setenv("EDITOR", editor, 1);
        unsetenv("VISUAL");
        if (!freopen("/dev/null", "r", stdin) || !freopen(b->out, "w", stdout) ||
            !freopen(b->err, "w", stderr))
            _exit(126);
        const char *argv[40];
        int n = 0;
        argv[n++] = "kompass";
        argv[n++] = "--server";
        argv[n++] = s->listen;
        argv[n++] = "--timeout";
        argv[n++] = "2";
        for (int i = 0; args[i] && n < 39; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(th_bin("kompass"), (char **)argv);
        _exit(127);
    }
    setpgid(b->pid, b->pid);
}

/* Waits for b (at most timeout_ms, else kills it and fails); its exit code. */
static int s_wait(bg *b, int timeout_ms)
{
    int status = 0;
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (waitpid(b->pid, &status, WNOHANG) == 0) {
        if (kp_mono_ms() > deadline) {
            kill(-b->pid, SIGKILL);
            waitpid(b->pid, &status, 0);
            cr_assert_fail("kompass did not finish in %d ms", timeout_ms);
        }
        usleep(20000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *s_read(const char *path)
{
    char *t = kp_read_file(path, 1 << 20, NULL);
    return t ? t : strdup("");
}

/* Waits until path exists (at most timeout_ms). */
static void s_wait_file(const char *path, int timeout_ms)
{
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (access(path, F_OK) != 0) {
        cr_assert(kp_mono_ms() < deadline, "%s did not appear", path);
        usleep(20000);
    }
}

static void s_touch(const char *path)
{
    cr_assert_eq(kp_write_file(path, "", 0, 0644), 0);
}

/* The draft's text file of the section for the user of home, or NULL when
 * there is none (found under home/state, whatever the server's hash). */
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
    return *line ? strdup(line) : NULL;
}

static char *s_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_sql(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char q[2000];
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return th_sql(s, q);
}

/* The section's text as the server has it (JSON "text" or items joined by
 * '|'), malloc'd. */
static char *s_text(int area, const char *section)
{
    char *v = s_sql("SELECT CASE WHEN jsonb_typeof(content) = 'string' THEN content #>> '{}' "
                    "ELSE (SELECT string_agg(x, '|') FROM jsonb_array_elements_text(content) x) "
                    "END FROM area_texts WHERE evaluation_id = %lld AND area_number = %d AND "
                    "section = '%s'",
                    eval_id, area, section);
    return v ? v : strdup("");
}

static long long s_text_version(int area, const char *section)
{
    char *v = s_sql("SELECT coalesce(max(version), 0) FROM area_texts WHERE evaluation_id = %lld "
                    "AND area_number = %d AND section = '%s'",
                    eval_id, area, section);
    long long n = atoll(v);
    free(v);
    return n;
}

static int s_locks(void)
{
    char *v = th_sql(s, "SELECT count(*) FROM section_locks");
    int n = atoi(v);
    free(v);
    return n;
}

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

static const char s_three_paragraphs[] = "Västerås har en tydlig demokratistrategi.\n"
                                         "Den följs upp varje år.\n"
                                         "\n"
                                         "Medborgardialogen är bred.\n"
                                         "\n"
                                         "\n"
                                         "E-förslag används flitigt.";

/* ---------------------------------------------------------------- paragraphs */

Test(field_drafts, a_summary_keeps_its_paragraphs_through_edit_show_and_report)
{
    char data[400];
    s_path(data, "paragraphs.txt");
    cr_assert_eq(kp_write_file(data, s_three_paragraphs, strlen(s_three_paragraphs), 0644), 0);
    /* the editor appends the paragraphs below the header the CLI wrote */
    const char *ed = s_editor("para.sh", kp_arena_printf(a, "cat %s >> \"$1\"\n", data));
    bg b;
    const char *args[] = {"text", "edit", ids, "1", "summary", NULL};
    s_start(&b, lead, ed, args);
    char *err;
    cr_assert_eq(s_wait(&b, 60000), 0, "%s", err = s_read(b.err));
    char *t = s_text(1, "summary");
    cr_assert_str_eq(t, s_three_paragraphs, "the summary changed on its way: '%s'", t);
    free(t);
    cr_assert_null(s_draft(lead, "text-1-1-summary"), "the draft outlived the save");

    /* text show indents every line and keeps the blank ones */
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "text", "show", ids, "1", NULL), 0);
    cr_assert(strstr(out, "    Västerås har en tydlig demokratistrategi.\n    Den följs upp varje "
                          "år.\n\n    Medborgardialogen är bred.\n"),
              "%s", out);
    free(out);

    /* text set keeps them too, and lists stay one item per line */
    const char list[] = "# a comment\n- Tydlig strategi\n\n  Webbsändning av KF  \n- \n";
    s_path(data, "list.txt");
    cr_assert_eq(kp_write_file(data, list, strlen(list), 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "strengths",
                           "--file", data, NULL),
                 0);
    t = s_text(1, "strengths");
    cr_assert_str_eq(t, "Tydlig strategi|Webbsändning av KF");
    free(t);

    /* Markdown: paragraphs separated by blank lines, not run together */
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, NULL, "report", ids, "--format", "md", NULL), 0);
    cr_assert(strstr(out, "Den följs upp varje år.\n\nMedborgardialogen är bred.\n\nE-förslag "
                          "används flitigt."),
              "%s", out);
    free(out);
    /* HTML: three <p> in the summary */
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, NULL, "report", ids, "--format", "html", NULL), 0);
    cr_assert(strstr(out, "<p>Medborgardialogen är bred.</p>"), "%s", out);
    cr_assert(strstr(out, "<p>E-förslag används flitigt.</p>"), "%s", out);
    char html[400];
    s_path(html, "report.html");
    cr_assert_eq(kp_write_file(html, out, strlen(out), 0644), 0);
    free(out);

    /* and a real browser lays them out as three paragraphs */
    const char *chromium = access("/usr/bin/chromium", X_OK) == 0 ? "/usr/bin/chromium" : NULL;
    if (!chromium) {
        cr_log_warn("chromium is not installed: the rendered paragraphs were not checked");
        return;
    }
    char profile[400];
    s_path(profile, "chromium-profile");
    char *profile_opt = kp_arena_printf(a, "--user-data-dir=%s", profile);
    char *url = kp_arena_printf(a, "file://%s", html);
    const char *argv[] = {chromium,
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-background-networking",
                          "--no-first-run",
                          "--disable-component-update",
                          profile_opt,
                          "--dump-dom",
                          url,
                          NULL};
    char *dom = NULL;
    err = NULL;
    int rc = th_run(argv, NULL, &dom, &err, 120000);
    cr_assert_eq(rc, 0, "chromium: %s", err);
    const char *sum = strstr(dom, "<h4>Sammanfattning</h4>");
    cr_assert(sum, "no summary in the rendered report");
    const char *end = strstr(sum, "Styrkor</h4>");
    cr_assert(end);
    int paragraphs = 0;
    for (const char *p = sum; (p = strstr(p, "<p>")) && p < end; p++)
        paragraphs++;
    cr_assert_eq(paragraphs, 3, "the browser shows %d paragraphs in the summary", paragraphs);
    free(dom);
    free(err);
}

/* ---------------------------------------------------------------- no change, empty */

Test(field_drafts, an_unchanged_editor_saves_nothing_and_releases_the_lock)
{
    char data[400];
    s_path(data, "s.txt");
    cr_assert_eq(kp_write_file(data, "Tydlig strategi.\n", 17, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "2", "summary", "--file",
                           data, NULL),
                 0);
    char *events = th_sql(s, "SELECT count(*) FROM audit_events");
    long long v = s_text_version(2, "summary");
    bg b;
    const char *args[] = {"text", "edit", ids, "2", "summary", NULL};
    s_start(&b, lead, "true", args);
    cr_assert_eq(s_wait(&b, 60000), 0);
    char *out = s_read(b.out);
    cr_assert(strstr(out, "no change to area 2 summary: nothing saved"), "%s", out);
    free(out);
    cr_assert_eq(s_text_version(2, "summary"), v, "an unchanged text got a new version");
    char *after = th_sql(s, "SELECT count(*) FROM audit_events");
    cr_assert_str_eq(after, events, "an unchanged text was audited as a change");
    cr_assert_eq(s_locks(), 0, "the lock was kept");
    cr_assert_null(s_draft(lead, "text-1-2-summary"));
    /* an editor that only touches the comments changes nothing either */
    const char *ed = s_editor("comment.sh", "sed -i 's/^# Write/# I wrote/' \"$1\"\n");
    s_start(&b, lead, ed, args);
    cr_assert_eq(s_wait(&b, 60000), 0);
    cr_assert_eq(s_text_version(2, "summary"), v);
    /* text set of the same content: no change */
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, NULL, "text", "set", ids, "2", "summary", "--file",
                           data, NULL),
                 0);
    cr_assert(strstr(out, "no change"), "%s", out);
    free(out);
    cr_assert_eq(s_text_version(2, "summary"), v);
    free(events);
    free(after);
}

Test(field_drafts, an_empty_text_is_saved_only_when_confirmed)
{
    char data[400];
    s_path(data, "s.txt");
    cr_assert_eq(kp_write_file(data, "Bra uppföljning\n", 16, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "4", "strengths",
                           "--file", data, NULL),
                 0);
    long long v = s_text_version(4, "strengths");
    const char *ed = s_editor("empty.sh", ": > \"$1\"\n");
    bg b;
    const char *args[] = {"text", "edit", ids, "4", "strengths", NULL};
    s_start(&b, lead, ed, args);
    cr_assert_eq(s_wait(&b, 60000), 1);
    char *err = s_read(b.err);
    cr_assert(strstr(err, "no terminal to confirm it") && strstr(err, "--empty"), "%s", err);
    free(err);
    cr_assert_eq(s_text_version(4, "strengths"), v, "an empty text was saved unasked");
    cr_assert_eq(s_locks(), 0);
    char *d = s_draft(lead, "text-1-4-strengths");
    cr_assert_not_null(d, "the refused draft was not kept");
    free(d);
    /* --resume --empty: saved empty, as asked */
    const char *args2[] = {"text", "edit", ids, "4", "strengths", "--resume", "--empty", NULL};
    s_start(&b, lead, "true", args2);
    cr_assert_eq(s_wait(&b, 60000), 0, "%s", err = s_read(b.err));
    char *t = s_text(4, "strengths");
    cr_assert_str_eq(t, "");
    free(t);
    /* text set of an empty file: the same rule */
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "4", "summary", "--file",
                           data, NULL),
                 0);
    cr_assert_eq(kp_write_file(data, "# nothing\n", 10, 0644), 0);
    err = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "text", "set", ids, "4", "summary", "--file",
                           data, NULL),
                 1);
    cr_assert(strstr(err, "--empty"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "4", "summary", "--file",
                           data, "--empty", NULL),
                 0);
}

/* ---------------------------------------------------------------- failures keep the draft */

Test(field_drafts, the_server_stopped_while_the_editor_is_open_keeps_the_draft_and_resume_saves_it)
{
    char ready[400], go[400];
    s_path(ready, "ready");
    s_path(go, "go");
    const char *ed = s_editor(
        "slow.sh", kp_arena_printf(a,
                                   "printf 'Kommunen har en bred medborgardialog.\\n\\nOch "
                                   "e-förslag.\\n' >> \"$1\"\ntouch %s\n"
                                   "while [ ! -e %s ]; do sleep 0.1; done\n",
                                   ready, go));
    bg b;
    const char *args[] = {"text", "edit", ids, "1", "summary", NULL};
    s_start(&b, peer, ed, args);
    s_wait_file(ready, 30000);
    /* the server goes away while Ewa writes */
    cr_assert_eq(th_server_stop(s), 0);
    s_touch(go);
    int rc = s_wait(&b, 60000);
    char *err = s_read(b.err);
    cr_assert_eq(rc, 6, "exit %d: %s", rc, err);
    char *draft = s_draft(peer, "text-1-1-summary");
    cr_assert_not_null(draft, "no draft kept: %s", err);
    cr_assert(strstr(err, draft), "the message does not say where the draft is: %s", err);
    cr_assert(strstr(err, "kompass text edit 1 1 summary --resume"), "%s", err);
    free(err);
    struct stat st;
    cr_assert_eq(stat(draft, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "the draft is mode %o", st.st_mode & 0777);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/state/kompass/drafts", peer);
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    char *text = s_read(draft);
    cr_assert(strstr(text, "Kommunen har en bred medborgardialog.\n\nOch e-förslag."), "%s", text);
    free(text);

    /* back: a plain edit says there is a draft and does nothing else */
    s_restart();
    err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "text", "edit", ids, "1", "summary", NULL),
                 1);
    cr_assert(strstr(err, "you have a kept draft of area 1 summary") && strstr(err, "--resume") &&
                  strstr(err, "--discard"),
              "%s", err);
    free(err);
    /* --resume, the editor quits without a change: the draft is saved as it is */
    const char *args2[] = {"text", "edit", ids, "1", "summary", "--resume", NULL};
    s_start(&b, peer, "true", args2);
    rc = s_wait(&b, 60000);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err = s_read(b.err));
    char *t = s_text(1, "summary");
    cr_assert_str_eq(t, "Kommunen har en bred medborgardialog.\n\nOch e-förslag.");
    free(t);
    cr_assert_eq(access(draft, F_OK), -1, "the draft outlived the save");
    cr_assert_eq(s_locks(), 0);
    free(draft);
}

Test(field_drafts, a_lock_broken_during_the_edit_keeps_the_draft_and_resume_shows_theirs)
{
    char ready[400], go[400], seen[400];
    s_path(ready, "ready");
    s_path(go, "go");
    s_path(seen, "seen");
    const char *ed =
        s_editor("slow.sh", kp_arena_printf(a,
                                            "printf 'Tydliga mål\\nBra uppföljning\\n' >> \"$1\"\n"
                                            "touch %s\nwhile [ ! -e %s ]; do sleep 0.1; done\n",
                                            ready, go));
    bg b;
    const char *args[] = {"text", "edit", ids, "3", "strengths", NULL};
    s_start(&b, peer, ed, args);
    s_wait_file(ready, 30000);
    /* Christine, the lead, breaks Ewa's lock and saves her own list */
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "lock", "break", ids, "3/strengths",
                           "--reason", "Ewa är bortrest", NULL),
                 0);
    char data[400];
    s_path(data, "theirs.txt");
    cr_assert_eq(kp_write_file(data, "Styrdokument finns\n", 19, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "3", "strengths",
                           "--file", data, NULL),
                 0);
    long long theirs = s_text_version(3, "strengths");
    s_touch(go);
    int rc = s_wait(&b, 60000);
    char *err = s_read(b.err);
    cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "you no longer hold the lock on area 3 strengths"), "%s", err);
    cr_assert(strstr(err, "your text is kept in"), "%s", err);
    free(err);
    char *t = s_text(3, "strengths");
    cr_assert_str_eq(t, "Styrdokument finns", "Christine's list was overwritten");
    free(t);

    /* --resume: the editor shows Christine's version beside Ewa's text;
     * quitting without a change saves Ewa's, replacing Christine's, which
     * she has now seen */
    const char *show = s_editor("show.sh", kp_arena_printf(a, "cp \"$1\" %s\n", seen));
    const char *args2[] = {"text", "edit", ids, "3", "strengths", "--resume", NULL};
    s_start(&b, peer, show, args2);
    rc = s_wait(&b, 60000);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err = s_read(b.err));
    char *shown = s_read(seen);
    cr_assert(strstr(shown, "# CONFLICT: while you wrote, christine saved version"), "%s", shown);
    cr_assert(strstr(shown, "#   | Styrdokument finns"), "%s", shown);
    cr_assert(strstr(shown, "\nTydliga mål\nBra uppföljning\n"), "%s", shown);
    free(shown);
    t = s_text(3, "strengths");
    cr_assert_str_eq(t, "Tydliga mål|Bra uppföljning");
    free(t);
    cr_assert_gt(s_text_version(3, "strengths"), theirs);
    cr_assert_null(s_draft(peer, "text-1-3-strengths"));
}

Test(field_drafts, a_conflict_at_save_keeps_both_versions_in_the_draft)
{
    char data[400];
    s_path(data, "first.txt");
    cr_assert_eq(kp_write_file(data, "Första versionen.\n", 19, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "5", "summary", "--file",
                           data, NULL),
                 0);
    char ready[400], go[400];
    s_path(ready, "ready");
    s_path(go, "go");
    const char *ed =
        s_editor("slow.sh", kp_arena_printf(a,
                                            "sed -i 's/^Första versionen./Ewas version./' \"$1\"\n"
                                            "touch %s\nwhile [ ! -e %s ]; do sleep 0.1; done\n",
                                            ready, go));
    bg b;
    const char *args[] = {"text", "edit", ids, "5", "summary", NULL};
    s_start(&b, peer, ed, args);
    s_wait_file(ready, 30000);
    /* The text moves on under the lock (a writer that bypassed it: the
     * version check must still catch it). */
    char *v = s_sql("UPDATE area_texts SET content = '\"Någon annans version.\"', version = "
                    "version + 100 WHERE evaluation_id = %lld AND area_number = 5 AND section = "
                    "'summary' RETURNING version",
                    eval_id);
    free(v);
    s_touch(go);
    int rc = s_wait(&b, 60000);
    char *err = s_read(b.err);
    cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "CONFLICT") && strstr(err, "your text is kept in"), "%s", err);
    cr_assert(strstr(err, "Någon annans version."), "the other version is not shown: %s", err);
    free(err);
    cr_assert_eq(s_locks(), 0, "the lock outlived the refused save");
    char *draft = s_draft(peer, "text-1-5-summary");
    cr_assert_not_null(draft);
    char *text = s_read(draft);
    cr_assert(strstr(text, "#   | Någon annans version.") && strstr(text, "\nEwas version.\n"),
              "%s", text);
    free(text);
    free(draft);
    const char *args2[] = {"text", "edit", ids, "5", "summary", "--resume", NULL};
    s_start(&b, peer, "true", args2);
    rc = s_wait(&b, 60000);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err = s_read(b.err));
    char *t = s_text(5, "summary");
    cr_assert_str_eq(t, "Ewas version.");
    free(t);
}

Test(field_drafts, the_cli_killed_at_any_point_loses_nothing_the_editor_wrote)
{
    /* 1. killed (the terminal closed) while the editor is open */
    char ready[400];
    s_path(ready, "ready");
    const char *ed =
        s_editor("forever.sh", kp_arena_printf(a,
                                               "printf 'Skrivet i tåget.\\n' >> \"$1\"\ntouch %s\n"
                                               "while :; do sleep 0.1; done\n",
                                               ready));
    bg b;
    const char *args[] = {"text", "edit", ids, "6", "improvements", NULL};
    s_start(&b, peer, ed, args);
    s_wait_file(ready, 30000);
    kill(-b.pid, SIGKILL);
    s_wait(&b, 10000);
    char *draft = s_draft(peer, "text-1-6-improvements");
    cr_assert_not_null(draft);
    char *text = s_read(draft);
    cr_assert(strstr(text, "Skrivet i tåget."), "%s", text);
    free(text);
    /* the lock is still Ewa's (her lease): --resume takes it again at once */
    const char *args2[] = {"text", "edit", ids, "6", "improvements", "--resume", NULL};
    s_start(&b, peer, "true", args2);
    char *err;
    cr_assert_eq(s_wait(&b, 60000), 0, "%s", err = s_read(b.err));
    char *t = s_text(6, "improvements");
    cr_assert_str_eq(t, "Skrivet i tåget.");
    free(t);
    free(draft);

    /* 2. killed mid-save: kompassd is frozen when the save goes out, the CLI
     * is killed while it waits for the answer, then kompassd goes on and
     * commits the save nobody hears about */
    unlink(ready);
    ed = s_editor("freeze.sh", kp_arena_printf(a,
                                               "printf 'Och på hotellet.\\n' >> \"$1\"\n"
                                               "kill -STOP %d\ntouch %s\n",
                                               (int)s->pid, ready));
    s_start(&b, peer, ed, args);
    s_wait_file(ready, 30000);
    usleep(300000); /* the save is on its way */
    kill(-b.pid, SIGKILL);
    s_wait(&b, 10000);
    kill(s->pid, SIGCONT);
    draft = s_draft(peer, "text-1-6-improvements");
    cr_assert_not_null(draft, "the draft was dropped before the server confirmed the save");
    text = s_read(draft);
    cr_assert(strstr(text, "Skrivet i tåget.\nOch på hotellet."), "%s", text);
    free(text);
    /* --resume finds the save done and does not save it twice */
    for (int i = 0; i < 100; i++) {
        t = s_text(6, "improvements");
        int done = strcmp(t, "Skrivet i tåget.|Och på hotellet.") == 0;
        free(t);
        if (done) break;
        usleep(50000);
    }
    long long v = s_text_version(6, "improvements");
    s_start(&b, peer, "true", args2);
    cr_assert_eq(s_wait(&b, 60000), 0, "%s", err = s_read(b.err));
    char *out = s_read(b.out);
    t = s_text(6, "improvements");
    if (strcmp(t, "Skrivet i tåget.|Och på hotellet.") == 0 && strstr(out, "saved already"))
        cr_assert_eq(s_text_version(6, "improvements"), v, "saved twice");
    else
        cr_assert(strstr(out, "saved area 6 improvements"), "%s", out);
    free(out);
    free(t);
    t = s_text(6, "improvements");
    cr_assert_str_eq(t, "Skrivet i tåget.|Och på hotellet.");
    free(t);
    cr_assert_eq(access(draft, F_OK), -1);
    free(draft);
}

/* ---------------------------------------------------------------- the draft's rules */

Test(field_drafts, drafts_are_offered_resumed_or_discarded_and_never_shared)
{
    /* no draft to resume */
    char *err = NULL;
    cr_assert_eq(
        th_cli_as(s, peer, NULL, NULL, &err, "text", "edit", ids, "7", "summary", "--resume", NULL),
        5);
    cr_assert(strstr(err, "no kept draft of area 7 summary"), "%s", err);
    free(err);
    cr_assert_eq(s_locks(), 0);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "text", "edit", ids, "7", "summary",
                           "--resume", "--discard", NULL),
                 2);
    free(err);

    /* a failing editor keeps what it wrote */
    const char *ed = s_editor("fail.sh", "printf 'Halvfärdig mening' >> \"$1\"\nexit 3\n");
    bg b;
    const char *args[] = {"text", "edit", ids, "7", "summary", NULL};
    s_start(&b, peer, ed, args);
    cr_assert_eq(s_wait(&b, 60000), 1);
    err = s_read(b.err);
    cr_assert(strstr(err, "exited with status 3") && strstr(err, "your text is kept in"), "%s",
              err);
    free(err);
    cr_assert_eq(s_locks(), 0);
    char *draft = s_draft(peer, "text-1-7-summary");
    cr_assert_not_null(draft);

    /* while one kompass works on the draft, a second one is refused */
    char ready[400];
    s_path(ready, "ready");
    const char *wait = s_editor(
        "wait.sh",
        kp_arena_printf(a, "touch %s\nwhile [ ! -e %s.go ]; do sleep 0.1; done\n", ready, ready));
    const char *resume[] = {"text", "edit", ids, "7", "summary", "--resume", NULL};
    s_start(&b, peer, wait, resume);
    s_wait_file(ready, 30000);
    err = NULL;
    cr_assert_eq(
        th_cli_as(s, peer, NULL, NULL, &err, "text", "edit", ids, "7", "summary", "--resume", NULL),
        3);
    cr_assert(strstr(err, "another kompass on this machine is working on it"), "%s", err);
    free(err);
    /* Christine's drafts are hers: she gets no offer of Ewa's */
    char *l = NULL;
    cr_assert_eq(
        th_cli_as(s, lead, NULL, NULL, &l, "text", "edit", ids, "7", "summary", "--resume", NULL),
        5);
    free(l);
    char go[420];
    snprintf(go, sizeof go, "%s.go", ready);
    s_touch(go);
    cr_assert_eq(s_wait(&b, 60000), 0, "%s", err = s_read(b.err));
    char *t = s_text(7, "summary");
    cr_assert_str_eq(t, "Halvfärdig mening");
    free(t);

    /* --discard drops a kept draft and starts from the server's text */
    s_start(&b, peer, ed, args);
    cr_assert_eq(s_wait(&b, 60000), 1);
    cr_assert_not_null(s_draft(peer, "text-1-7-summary"));
    const char *discard[] = {"text", "edit", ids, "7", "summary", "--discard", NULL};
    s_start(&b, peer, "true", discard);
    cr_assert_eq(s_wait(&b, 60000), 0, "%s", err = s_read(b.err));
    char *out = s_read(b.out);
    cr_assert(strstr(out, "no change"), "%s", out);
    free(out);
    cr_assert_null(s_draft(peer, "text-1-7-summary"));
    t = s_text(7, "summary");
    cr_assert_str_eq(t, "Halvfärdig mening");
    free(t);
    free(draft);
}
