/*  Hostile clients (issue 16), over the real protocol: tests/python/hostile.py,
 *  written from proto/README.md alone, one section per point against a real
 *  kompassd of its own. Each Test names its point; the script names the
 *  check that failed. (Hostile subscribers: test_watch_subscribe runs
 *  tests/python/subscriber.py.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static long long s_size(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", path);
    return (long long)sb.st_size;
}

/* Runs hostile.py SECTION against s; asserts it passed every check. */
static void s_hostile(th_server *s, const char *section, int timeout_ms)
{
    char script[600];
    snprintf(script, sizeof script, "%s/tests/python/hostile.py", KP_SOURCE_DIR);
    const char *argv[] = {KP_PYTHON3, script, section, "--", s->listen, s->server_key, NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, TH_ADMIN_PASSWORD "\n", &out, &err, timeout_ms);
    fputs(out, stderr); /* the checks, for ctest -V and CI logs */
    cr_assert_eq(rc, 0, "hostile.py %s exited %d:\n%s\n%s", section, rc, out, err);
    char done[80];
    snprintf(done, sizeof done, "%s: every check passed", section);
    cr_assert(strstr(out, done), "%s", out);
    free(out);
    free(err);
}

/* Point 1: one user's 64 connections x 16 searches in flight; another
 * user's requests keep answering; the excess is "busy" for the flooder. */
Test(hostile, flood, .timeout = 300)
{
    th_server *s = th_server_start(NULL);
    s_hostile(s, "flood", 240000);
    th_server_free(&s);
}

/* Point 2: 5,000 junk frames from one client grow the log by < 100 KB. */
Test(hostile, junk_frames_and_the_log, .timeout = 300)
{
    th_server *s = th_server_start(NULL);
    long long before = s_size(s->log);
    s_hostile(s, "junk", 240000);
    /* repeated events are summarised at most every 10 s: let a summary come */
    sleep(11);
    long long grown = s_size(s->log) - before;
    char *log = th_server_log(s);
    const char *grew = log + (before < (long long)strlen(log) ? before : 0);
    fprintf(stderr, "junk: the log grew by %lld bytes:\n%s\n", grown, grew);
    cr_assert(strstr(grew, "suppressed "), "no summary of the suppressed lines:\n%s", grew);
    free(log);
    cr_assert_lt(grown, 100 * 1024, "5,000 junk frames grew the log by %lld bytes", grown);
    th_server_free(&s);
}

/* Point 8 and "Rules the server enforces": a malformed request whose
 * request_id is readable gets BAD_REQUEST with that id. */
Test(hostile, request_id_echoed, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    s_hostile(s, "echo", 60000);
    th_server_free(&s);
}

/* Point 3: NUL, control and invisible characters in string fields. */
Test(hostile, strings_checked_never_cut, .timeout = 300)
{
    th_server *s = th_server_start(NULL);
    s_hostile(s, "strings", 240000);
    /* nothing of it reached the database: no text of the refused shapes */
    char *n = th_sql(s, "SELECT count(*) FROM users WHERE position(E'\\x1b' IN full_name) > 0 "
                        "OR organisation LIKE '%' || chr(8203) || '%'");
    cr_assert_str_eq(n, "0");
    free(n);
    th_server_free(&s);
}

/* Point 6: conflict of interest with look-alike organisations. */
Test(hostile, lookalike_organisations, .timeout = 300)
{
    th_server *s = th_server_start(NULL);
    s_hostile(s, "lookalike", 240000);
    th_server_free(&s);
}

/* Point 7: lockouts that cannot be aimed. */
Test(hostile, lockout_policy, .timeout = 300)
{
    th_server *s = th_server_start(NULL);
    s_hostile(s, "lockout", 240000);
    th_server_free(&s);
}

/* Point 5: evidence of a signed evaluation in search: team and admins only. */
Test(hostile, evidence_in_search, .timeout = 600)
{
    th_server *s = th_server_start(NULL);
    s_hostile(s, "evidence", 540000);
    th_server_free(&s);
}
