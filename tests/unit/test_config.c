/*  config: kompassd's settings and their precedence. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static char dir[64];

static void setup(void)
{
    kp_strlcpy(dir, "/tmp/kompass-cfg-XXXXXX", sizeof dir);
    cr_assert(mkdtemp(dir));
    unsetenv("KOMPASS_DATA_DIR");
    unsetenv("KOMPASS_LISTEN");
    unsetenv("KOMPASS_WORKERS");
    unsetenv("KOMPASS_DB");
    unsetenv("KOMPASS_INSECURE");
    unsetenv("KOMPASS_SESSION_IDLE");
    unsetenv("KOMPASS_SESSION_MAX");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
}

TestSuite(config, .init = setup, .fini = teardown);

static void write_conf(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/kompassd.conf", dir);
    cr_assert_eq(kp_write_file(path, text, strlen(text), 0644), 0);
}

Test(config, defaults)
{
    kp_config c;
    char err[256];
    char *argv[] = {"kompassd", NULL};
    cr_assert_eq(kp_config_load(&c, 1, argv, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.data_dir, "./var");
    cr_assert_str_eq(c.listen, "tcp://127.0.0.1:5555");
    cr_assert_str_eq(c.publish, "tcp://127.0.0.1:5556");
    cr_assert_eq(c.workers, 4);
    cr_assert_str_eq(c.db, "");
}

Test(config, command_line_beats_environment_beats_file)
{
    write_conf("# comment\nlisten = tcp://127.0.0.1:1111\nworkers = 3\nlog_level = debug\n"
               "publish = tcp://127.0.0.1:2222\n");
    setenv("KOMPASS_LISTEN", "tcp://127.0.0.1:3333", 1);
    setenv("KOMPASS_WORKERS", "5", 1);
    char *argv[] = {"kompassd", "--data-dir", dir, "--workers", "7", NULL};
    kp_config c;
    char err[256];
    cr_assert_eq(kp_config_load(&c, 5, argv, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.listen, "tcp://127.0.0.1:3333");  /* env over file */
    cr_assert_str_eq(c.publish, "tcp://127.0.0.1:2222"); /* file over default */
    cr_assert_eq(c.workers, 7);                          /* argv over env */
    cr_assert_eq(c.log_level, KP_LOG_DEBUG);
}

Test(config, data_dir_from_environment_finds_the_file)
{
    write_conf("db = host=/x dbname=y\n");
    setenv("KOMPASS_DATA_DIR", dir, 1);
    char *argv[] = {"kompassd", NULL};
    kp_config c;
    char err[256];
    cr_assert_eq(kp_config_load(&c, 1, argv, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.db, "host=/x dbname=y");
}

Test(config, errors_name_the_problem)
{
    kp_config c;
    char err[512];
    char *a1[] = {"kompassd", "--bogus", "1", NULL};
    cr_assert_eq(kp_config_load(&c, 3, a1, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown option '--bogus'"), "%s", err);
    char *a2[] = {"kompassd", "--workers", "0", NULL};
    cr_assert_eq(kp_config_load(&c, 3, a2, err, sizeof err), -1);
    cr_assert(strstr(err, "workers must be a whole number"), "%s", err);
    char *a3[] = {"kompassd", "--listen", NULL};
    cr_assert_eq(kp_config_load(&c, 2, a3, err, sizeof err), -1);
    cr_assert(strstr(err, "needs a value"), "%s", err);
    write_conf("listen tcp://x\n");
    char *a4[] = {"kompassd", "--data-dir", dir, NULL};
    cr_assert_eq(kp_config_load(&c, 3, a4, err, sizeof err), -1);
    cr_assert(strstr(err, "kompassd.conf:1: expected 'name = value'"), "%s", err);
    write_conf("colour = blue\n");
    cr_assert_eq(kp_config_load(&c, 3, a4, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown setting 'colour'"), "%s", err);
    char *a5[] = {"kompassd", "--log-level", "loud", NULL};
    cr_assert_eq(kp_config_load(&c, 3, a5, err, sizeof err), -1);
    cr_assert(strstr(err, "log-level must be"), "%s", err);
}

Test(config, security_and_session_settings)
{
    kp_config c;
    char err[512];
    char *a0[] = {"kompassd", NULL};
    cr_assert_eq(kp_config_load(&c, 1, a0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.insecure, 0);
    cr_assert_eq(c.session_idle, 12 * 3600);
    cr_assert_eq(c.session_max, 7 * 86400);

    char *a1[] = {"kompassd", "--insecure", "--session-idle", "90m", "--session-max", "2d", NULL};
    cr_assert_eq(kp_config_load(&c, 6, a1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.insecure, 1);
    cr_assert_eq(c.session_idle, 90 * 60);
    cr_assert_eq(c.session_max, 2 * 86400);

    write_conf("insecure = true\nsession_idle = 30\n");
    char *a2[] = {"kompassd", "--data-dir", dir, NULL};
    cr_assert_eq(kp_config_load(&c, 3, a2, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.insecure, 1);
    cr_assert_eq(c.session_idle, 30);

    char *a3[] = {"kompassd", "--print-public-key", NULL};
    cr_assert_eq(kp_config_load(&c, 2, a3, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.print_public_key, 1);
}

Test(config, security_errors_name_the_problem)
{
    kp_config c;
    char err[512];
    char *a1[] = {"kompassd", "--insecure", "--listen", "tcp://0.0.0.0:5555", NULL};
    cr_assert_eq(kp_config_load(&c, 4, a1, err, sizeof err), -1);
    cr_assert(strstr(err, "--insecure is refused for tcp://0.0.0.0:5555"), "%s", err);
    char *a2[] = {"kompassd", "--listen", "tcp://0.0.0.0:5555", NULL};
    cr_assert_eq(kp_config_load(&c, 3, a2, err, sizeof err), 0, "CURVE on any address: %s", err);
    char *a3[] = {"kompassd", "--session-idle", "2d", "--session-max", "1d", NULL};
    cr_assert_eq(kp_config_load(&c, 5, a3, err, sizeof err), -1);
    cr_assert(strstr(err, "session-idle (172800 s) is longer than session-max"), "%s", err);
    char *a4[] = {"kompassd", "--session-idle", "soon", NULL};
    cr_assert_eq(kp_config_load(&c, 3, a4, err, sizeof err), -1);
    cr_assert(strstr(err, "session-idle must be a duration"), "%s", err);
    setenv("KOMPASS_INSECURE", "maybe", 1);
    cr_assert_eq(kp_config_load(&c, 1, a1, err, sizeof err), -1);
    cr_assert(strstr(err, "insecure must be true or false"), "%s", err);
    unsetenv("KOMPASS_INSECURE");
}

Test(config, a_hash_inside_a_value_is_not_a_comment)
{
    write_conf("# a comment line\ndb = host=/x password=a#b   # trailing comment\n");
    char *argv[] = {"kompassd", "--data-dir", dir, NULL};
    kp_config c;
    char err[256];
    cr_assert_eq(kp_config_load(&c, 3, argv, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.db, "host=/x password=a#b");
}
