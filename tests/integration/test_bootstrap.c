/*  The first administrator, and the way deploy/run hands a fresh server to
 *  the CLI: key, config, generated password, login over CURVE. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

static char *s_read(const th_server *s, const char *name)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    char *t = kp_read_file(path, 4096, NULL);
    return t ? kp_trim(t) : NULL;
}

static int s_occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(bootstrap, generated_password_is_shown_once_and_kept_0600_until_changed, .timeout = 180)
{
    th_opts o = {0};
    o.admin_password = ""; /* none given: kompassd makes one */
    th_server *s = th_server_start_opts(&o);
    char *pw = s_read(s, "admin-password");
    cr_assert(pw, "no DATA-DIR/admin-password");
    cr_assert_eq(strlen(pw), 24, "'%s'", pw);
    char path[400];
    struct stat st;
    snprintf(path, sizeof path, "%s/admin-password", s->dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
    char *log = th_server_log(s);
    /* printed once on stdout, never in a log line */
    cr_assert_eq(s_occurrences(log, pw), 1, "%s", log);
    char *line = strstr(log, "password: ");
    cr_assert(line && strncmp(line + 10, pw, 24) == 0, "%s", log);
    cr_assert(strstr(log, "its password is in"), "%s", log);
    free(log);

    char home[300], *out = NULL, *err = NULL;
    th_home(s, "admin", home, sizeof home);
    th_login(s, home, "admin", pw);

    /* a second start keeps the file while it is still the password */
    cr_assert_eq(th_server_stop(s), 0);
    cr_assert_eq(truncate(s->log, 0), 0);
    th_opts again_o = o;
    again_o.data_dir = s->dir;
    again_o.dbname = s->dbname;
    th_server *again = th_server_start_opts(&again_o);
    log = th_server_log(again);
    cr_assert(!strstr(log, "created the administrator") && !strstr(log, pw), "%s", log);
    free(log);
    char *still = s_read(again, "admin-password");
    cr_assert(still && strcmp(still, pw) == 0);
    free(still);

    /* the session was for the old port: the CLI says so */
    cr_assert_eq(th_cli_as(again, home, NULL, &out, &err, "whoami", NULL), 4);
    cr_assert(strstr(err, "your session is for tcp://127.0.0.1:"), "%s", err);
    free(out);
    free(err);
    th_login(again, home, "admin", pw);

    /* once the password is changed, the next start removes the stale file */
    char change[128];
    snprintf(change, sizeof change, "%s\nA-brand-new-admin-pw\n", pw);
    cr_assert_eq(th_cli_as(again, home, change, &out, &err, "passwd", "--password-stdin", NULL), 0,
                 "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_server_stop(again), 0);
    free(again);
    th_server *third = th_server_start_opts(&again_o);
    cr_assert_null(s_read(third, "admin-password"), "the stale password file is still there");
    log = th_server_log(third);
    cr_assert(strstr(log, "no longer is the password of 'admin'"), "%s", log);
    free(log);
    cr_assert_eq(th_server_stop(third), 0);
    free(third);
    free(pw);
    th_server_free(&s);
}

Test(bootstrap, password_from_the_environment_is_used_and_not_shown, .timeout = 120)
{
    th_server *s = th_server_start(NULL); /* the harness sets KOMPASS_ADMIN_PASSWORD */
    cr_assert_null(s_read(s, "admin-password"));
    char *log = th_server_log(s);
    cr_assert(strstr(log, "with the password from KOMPASS_ADMIN_PASSWORD"), "%s", log);
    cr_assert(!strstr(log, TH_ADMIN_PASSWORD), "%s", log);
    free(log);
    th_admin(s); /* logs in with it */
    char *n = th_sql(s, "SELECT count(*) FROM users WHERE role = 'admin' AND active");
    cr_assert_str_eq(n, "1");
    free(n);
    th_server_free(&s);
}

Test(bootstrap, a_too_short_admin_password_stops_startup, .timeout = 60)
{
    th_opts o = {0};
    o.admin_password = "tiny-pw";
    o.expect_fail = 1;
    th_server *s = th_server_start_opts(&o);
    cr_assert_eq(th_server_wait_exit(s, 30000), 1);
    char *log = th_server_log(s);
    cr_assert(strstr(log, "KOMPASS_ADMIN_PASSWORD cannot be used: the password is shorter than 12 "
                          "characters"),
              "%s", log);
    cr_assert(!strstr(log, "tiny-pw"), "%s", log);
    free(log);
    th_server_free(&s);
}

Test(bootstrap, no_active_admin_left_restores_admin_at_start, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    free(th_sql(s, "UPDATE users SET active = false WHERE login = 'admin'"));
    cr_assert_eq(th_server_stop(s), 0);
    cr_assert_eq(truncate(s->log, 0), 0);
    th_opts o = {0};
    o.data_dir = s->dir;
    o.dbname = s->dbname;
    th_server *again = th_server_start_opts(&o);
    char *log = th_server_log(again);
    cr_assert(strstr(log, "restored (no active administrator was left)"), "%s", log);
    free(log);
    th_admin(again);
    cr_assert_eq(th_server_stop(again), 0);
    free(again);
    th_server_free(&s);
}

Test(bootstrap, deploy_flow_key_config_generated_password_login, .timeout = 300)
{
    /* What deploy/run does, on a fresh data dir and an ephemeral port:
     * print the key (making it), start kompassd (embedded PostgreSQL, no
     * KOMPASS_ADMIN_PASSWORD), write the CLI config, log in as admin with
     * the generated password, with no key or server on the command line. */
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    chmod(dir, 0755);
    const char *pk[] = {th_bin("kompassd"), "--data-dir", dir, "--print-public-key", NULL};
    char *key = NULL;
    cr_assert_eq(th_run(pk, NULL, &key, NULL, 30000), 0);
    kp_trim(key);

    th_opts o = {0};
    o.data_dir = dir;
    o.embedded = 1;
    o.admin_password = "";
    th_server *s = th_server_start_opts(&o);
    cr_assert_str_eq(s->server_key, key);

    char home[300];
    th_home(s, "deploy", home, sizeof home);
    char script[600];
    snprintf(script, sizeof script, "%s/deploy/client-config", KP_SOURCE_DIR);
    const char *cc[] = {"/bin/bash", script, s->listen, key, NULL};
    setenv("XDG_CONFIG_HOME", home, 1);
    char *out = NULL, *err = NULL;
    int rc = th_run(cc, NULL, &out, &err, 30000);
    unsetenv("XDG_CONFIG_HOME");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "/kompass/config"), "%s", out);
    free(out);
    free(err);

    char *pw = s_read(s, "admin-password");
    cr_assert(pw);
    char input[64];
    snprintf(input, sizeof input, "%s\n", pw);
    const char *login[] = {"login", "admin", "--password-stdin", NULL};
    rc = th_cli_full(NULL, home, input, &out, &err, login);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "logged in as admin (Administrator, SKL, admin)"), "%s", out);
    free(out);
    free(err);
    const char *who[] = {"whoami", NULL};
    cr_assert_eq(th_cli_full(NULL, home, NULL, &out, &err, who), 0, "%s", err);
    cr_assert(strstr(out, "role          admin"), "%s", out);
    free(out);
    free(err);

    /* running it again replaces those two settings and keeps the others */
    char cfg[400];
    snprintf(cfg, sizeof cfg, "%s/kompass/config", home);
    char *text = kp_read_file(cfg, 4096, NULL);
    size_t more_len = strlen(text) + 32;
    char *more = malloc(more_len);
    snprintf(more, more_len, "timeout = 9\n%s", text);
    cr_assert_eq(kp_write_file(cfg, more, strlen(more), 0600), 0);
    setenv("XDG_CONFIG_HOME", home, 1);
    rc = th_run(cc, NULL, NULL, NULL, 30000);
    unsetenv("XDG_CONFIG_HOME");
    cr_assert_eq(rc, 0);
    free(text);
    text = kp_read_file(cfg, 4096, NULL);
    cr_assert(strstr(text, "timeout = 9\n"), "%s", text);
    cr_assert_eq(s_occurrences(text, "server_key = "), 1, "%s", text);
    free(text);
    free(more);
    free(pw);
    free(key);
    th_server_free(&s);
}
