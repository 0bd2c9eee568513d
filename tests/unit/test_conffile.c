/*  conffile: the "name = value" files kompassd and the CLI read
 *  (common/conffile.h), without either of them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"

typedef struct {
    char got[4096];     /* "name=value@where;" for each setting */
    const char *refuse; /* a name whose setting fails */
} seen;

static int s_set(void *arg, const char *name, const char *value, const char *where, char *err,
                 size_t errlen)
{
    seen *s = arg;
    if (s->refuse && strcmp(name, s->refuse) == 0) {
        snprintf(err, errlen, "%s: unknown setting '%s'", where, name);
        return -1;
    }
    size_t n = strlen(s->got);
    if (strlen(value) > 100)
        snprintf(s->got + n, sizeof s->got - n, "%s=<%zu characters>@%s;", name, strlen(value),
                 strrchr(where, ':') + 1);
    else
        snprintf(s->got + n, sizeof s->got - n, "%s=%s@%s;", name, value, strrchr(where, ':') + 1);
    return 0;
}

static char path[64];

static void s_write(const char *text)
{
    snprintf(path, sizeof path, "/tmp/kp-conffile-%d", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void teardown(void)
{
    if (*path) unlink(path);
}

TestSuite(conffile, .fini = teardown);

Test(conffile, settings_comments_and_blank_lines)
{
    s_write("# kompassd.conf\n\n  workers = 8  \nlisten=tcp://127.0.0.1:5555 # where\n"
            "server_key = a#b=c\n\t\n");
    seen s = {{0}, NULL};
    char err[256] = "";
    cr_assert_eq(kp_conffile_read(path, s_set, &s, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(s.got, "workers=8@3;listen=tcp://127.0.0.1:5555@4;server_key=a#b=c@5;");
}

Test(conffile, no_file_is_no_settings)
{
    seen s = {{0}, NULL};
    char err[256] = "";
    cr_assert_eq(kp_conffile_read("/nonexistent/kompassd.conf", s_set, &s, err, sizeof err), 0);
    cr_assert_str_eq(s.got, "");
}

Test(conffile, a_line_without_equals_names_file_and_line)
{
    s_write("workers = 2\nworkers 4\nlisten = x\n");
    seen s = {{0}, NULL};
    char err[256] = "";
    cr_assert_eq(kp_conffile_read(path, s_set, &s, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:2: expected 'name = value'", path);
    cr_assert_str_eq(err, want);
    cr_assert_str_eq(s.got, "workers=2@1;", "stops at the first problem");
}

Test(conffile, a_refused_setting_stops_the_file)
{
    s_write("a = 1\nb = 2\nc = 3\n");
    seen s = {{0}, "b"};
    char err[256] = "";
    cr_assert_eq(kp_conffile_read(path, s_set, &s, err, sizeof err), -1);
    cr_assert(strstr(err, ":2: unknown setting 'b'"), "%s", err);
    cr_assert_str_eq(s.got, "a=1@1;");
}

Test(conffile, a_long_line_is_read_whole)
{
    /* 10,000 characters: longer than any fixed line buffer, and not split
     * into a second "line" */
    char *text = malloc(10100);
    strcpy(text, "db = ");
    memset(text + 5, 'x', 10000);
    strcpy(text + 10005, "\nworkers = 3\n");
    s_write(text);
    free(text);
    seen s = {{0}, NULL};
    char err[256] = "";
    cr_assert_eq(kp_conffile_read(path, s_set, &s, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(s.got, "db=<10000 characters>@1;workers=3@2;");
}

Test(conffile, an_unreadable_file_is_an_error)
{
    if (geteuid() == 0) cr_skip_test("root reads every file");
    s_write("a = 1\n");
    chmod(path, 0);
    seen s = {{0}, NULL};
    char err[256] = "";
    cr_assert_eq(kp_conffile_read(path, s_set, &s, err, sizeof err), -1);
    cr_assert(strstr(err, "Permission denied"), "%s", err);
}
