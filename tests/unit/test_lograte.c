/*  lograte (server/lograte.c): events a peer causes at will are logged once
 *  per peer, then summarised at most every 10 s; new peers are named at most
 *  KP_LOGRATE_NEW_PEERS per window, the rest summed as "other peers".
 *
 *  The clock is the caller's (every call takes now_ms), so these tests drive
 *  it by hand; the log (stderr) goes to a file each test reads back. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "lograte.h"

static char s_path[64];
static int s_saved = -1;

static void setup(void)
{
    snprintf(s_path, sizeof s_path, "/tmp/test_lograte.%d.log", (int)getpid());
    int fd = open(s_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    s_saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    kp_log_set_level(KP_LOG_INFO);
    kp_lograte_reset();
}

static void teardown(void)
{
    dup2(s_saved, STDERR_FILENO);
    close(s_saved);
    unlink(s_path);
}

TestSuite(lograte, .init = setup, .fini = teardown);

/* What was logged so far (malloc'd). */
static char *s_log(void)
{
    FILE *f = fopen(s_path, "r");
    cr_assert(f);
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int s_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static int s_lines(void)
{
    char *t = s_log();
    int n = s_count(t, "\n");
    free(t);
    return n;
}

#define T0 1000000 /* any monotonic start */

Test(lograte, one_peer_is_logged_once_then_summarised_every_window)
{
    for (int i = 0; i < 5000; i++)
        kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-A", T0 + i, "worker", "bad request %d", i);
    char *t = s_log();
    cr_assert_eq(s_count(t, "\n"), 1, "%s", t);
    cr_assert(strstr(t, "info  worker: bad request 0 (more like it from this peer: summarised "
                        "every 10 s)\n"),
              "%s", t);
    free(t);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_MALFORMED), 5000);
    cr_assert_eq(kp_lograte_suppressed(KP_LOGRATE_MALFORMED), 4999);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_REFUSED), 0);

    /* not before the window is over */
    kp_lograte_flush(T0 + 9999);
    cr_assert_eq(s_lines(), 1);
    kp_lograte_flush(T0 + 10000);
    t = s_log();
    cr_assert_eq(s_count(t, "\n"), 2, "%s", t);
    cr_assert(strstr(t, "info  lograte: suppressed 4,999 malformed frames from KEY-A in the last "
                        "10 s\n"),
              "%s", t);
    free(t);
    /* flushing again soon writes nothing */
    kp_lograte_flush(T0 + 10001);
    kp_lograte_flush(T0 + 15000);
    cr_assert_eq(s_lines(), 2);

    /* still followed: more events are counted, summarised a window later */
    for (int i = 0; i < 3; i++)
        kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-A", T0 + 12000 + i, "worker", "bad");
    cr_assert_eq(s_lines(), 2);
    kp_lograte_flush(T0 + 20000);
    t = s_log();
    cr_assert(strstr(t, "suppressed 3 malformed frames from KEY-A in the last 10 s\n"), "%s", t);
    free(t);

    /* quiet for a whole window: forgotten, and its next event is written again */
    kp_lograte_flush(T0 + 30000);
    cr_assert_eq(s_lines(), 3);
    kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-A", T0 + 30001, "worker", "bad again");
    t = s_log();
    cr_assert_eq(s_count(t, "\n"), 4, "%s", t);
    cr_assert(strstr(t, "worker: bad again (more like it"), "%s", t);
    free(t);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_MALFORMED), 5004);
    cr_assert_eq(kp_lograte_suppressed(KP_LOGRATE_MALFORMED), 5002);
}

Test(lograte, kinds_and_peers_are_followed_apart)
{
    kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-A", T0, "worker", "junk from A");
    kp_lograte_event(KP_LOGRATE_REFUSED, "KEY-A", T0, "broker", "refused A");
    kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-B", T0, "worker", "junk from B");
    kp_lograte_event(KP_LOGRATE_MALFORMED, "", T0, "worker", "junk from nobody");
    kp_lograte_event(KP_LOGRATE_MALFORMED, NULL, T0, "worker", "junk from nobody again");
    for (int i = 0; i < 7; i++)
        kp_lograte_event(KP_LOGRATE_REFUSED, "KEY-A", T0 + 1, "broker", "refused A");
    kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-B", T0 + 1, "worker", "junk from B");
    char *t = s_log();
    cr_assert_eq(s_count(t, "\n"), 4, "%s", t);
    cr_assert(strstr(t, "junk from A") && strstr(t, "refused A") && strstr(t, "junk from B") &&
                  strstr(t, "junk from nobody ("),
              "%s", t);
    free(t);
    kp_lograte_flush(T0 + 10000);
    t = s_log();
    cr_assert(strstr(t, "suppressed 7 refused requests from KEY-A in the last 10 s\n"), "%s", t);
    cr_assert(strstr(t, "suppressed 1 malformed frames from KEY-B"), "%s", t);
    cr_assert(strstr(t, "suppressed 1 malformed frames from (unknown peer)"), "%s", t);
    /* KEY-A sent one malformed frame only: nothing to summarise */
    cr_assert_eq(s_count(t, "malformed frames from KEY-A"), 0, "%s", t);
    cr_assert_eq(s_count(t, "\n"), 7, "%s", t);
    free(t);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_REFUSED), 8);
    cr_assert_eq(kp_lograte_suppressed(KP_LOGRATE_REFUSED), 7);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_MALFORMED), 5);
    cr_assert_eq(kp_lograte_suppressed(KP_LOGRATE_MALFORMED), 2);
    /* an unknown kind is ignored */
    kp_lograte_event(KP_LOGRATE_KINDS, "KEY-A", T0, "worker", "what");
    cr_assert_eq(s_lines(), 7);
}

Test(lograte, many_peers_are_named_a_few_per_window_and_the_rest_summed)
{
    /* 1,000 peers with 5 junk frames each, all in one window, as a botnet
     * of fresh CURVE keys would */
    char peer[32];
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < 1000; i++) {
            snprintf(peer, sizeof peer, "KEY-%04d", i);
            kp_lograte_event(KP_LOGRATE_MALFORMED, peer, T0 + round * 100 + i / 100, "worker",
                             "junk from %s", peer);
        }
    char *t = s_log();
    cr_assert_eq(s_count(t, "\n"), KP_LOGRATE_NEW_PEERS, "%s", t);
    cr_assert(strstr(t, "junk from KEY-0000 ") && strstr(t, "junk from KEY-0015 ") &&
                  !strstr(t, "junk from KEY-0016 "),
              "%s", t);
    free(t);
    kp_lograte_flush(T0 + 10000);
    t = s_log();
    /* one line per named peer, one for the others */
    cr_assert_eq(s_count(t, "\n"), 2 * KP_LOGRATE_NEW_PEERS + 1, "%s", t);
    cr_assert(strstr(t, "suppressed 4 malformed frames from KEY-0003 in the last 10 s\n"), "%s", t);
    cr_assert(strstr(t, "suppressed 4,920 malformed frames from other peers (too many to name) in "
                        "the last 10 s\n"),
              "%s", t);
    free(t);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_MALFORMED), 5000);
    cr_assert_eq(kp_lograte_suppressed(KP_LOGRATE_MALFORMED), 5000 - KP_LOGRATE_NEW_PEERS);

    /* a new window names new peers again (the old ones are still followed) */
    kp_lograte_event(KP_LOGRATE_MALFORMED, "KEY-0500", T0 + 10001, "worker", "junk from 500");
    t = s_log();
    cr_assert(strstr(t, "junk from 500 (more like it"), "%s", t);
    free(t);
}

Test(lograte, the_log_grows_by_a_bounded_number_of_lines_whatever_arrives)
{
    /* 10 minutes of 64 fresh peers a second, each sending 10 frames, with
     * flushes once a second as the broker does */
    int64_t now = T0;
    char peer[32];
    int serial = 0;
    for (int second = 0; second < 600; second++) {
        for (int p = 0; p < 64; p++) {
            snprintf(peer, sizeof peer, "KEY-%06d", serial++);
            for (int k = 0; k < 10; k++)
                kp_lograte_event(KP_LOGRATE_MALFORMED, peer, now + k, "worker", "junk");
        }
        now += 1000;
        kp_lograte_flush(now);
    }
    /* per 10 s window: at most 16 new peers' lines, their summaries and one
     * for the others: about 33 lines, so 60 windows are ~2,000 lines */
    int lines = s_lines();
    cr_assert_leq(lines, 60 * (2 * KP_LOGRATE_NEW_PEERS + 1) + 2 * KP_LOGRATE_NEW_PEERS + 1,
                  "%d lines for 384,000 events", lines);
    cr_assert_eq(kp_lograte_events(KP_LOGRATE_MALFORMED), 600 * 64 * 10);
    struct stat st;
    cr_assert_eq(stat(s_path, &st), 0);
    cr_assert_lt(st.st_size, 400 * 1024, "%lld bytes", (long long)st.st_size);
}
