/*  The CLI parses every command's options one way (client/args.h): the
 *  same forms accepted (--name VALUE, --name=VALUE, -- before a positional
 *  that starts with dashes) and the same problems named, exit 2, before
 *  anything is sent (no server here: config home /nonexistent). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef struct {
    const char *argv[8];
    const char *says;
    int no_usage; /* a value's problem, said without the usage text */
} usage_case;

Test(cli_args, every_command_names_the_same_problems_the_same_way, .timeout = 60)
{
    const usage_case cases[] = {
        {{"login", "--password-stdin=yes", "ewa", NULL},
         "option --password-stdin takes no value",
         0},
        {{"login", "ewa", "christine", NULL}, "unexpected argument 'christine'", 0},
        {{"login", "--pasword-stdin", "ewa", NULL}, "unknown option '--pasword-stdin'", 0},
        {{"login", NULL}, "which user? (kompass login USER)", 0},
        {{"passwd", "ewa", NULL}, "unexpected argument 'ewa'", 0},
        {{"user", "add", "ewa", "--name", NULL}, "option --name needs a value", 0},
        {{"user", "add", "ewa", "--name=Ewa", "--org=SKL", "--role=boss", NULL},
         "--role must be admin, evaluator or observer, not 'boss'",
         0},
        {{"user", "disable", "--name", "Ewa", "ewa", NULL}, "unknown option '--name'", 0},
        {{"user", "enable", NULL}, "user enable: which user? (LOGIN)", 0},
        {{"admin", "backup", "--force=1", "f", NULL}, "option --force takes no value", 0},
        {{"admin", "backup", "a", "b", NULL}, "unexpected argument 'b'", 0},
        {{"admin", "backup", NULL}, "admin backup: into which FILE?", 0},
        {{"audit", "global", "--actor=", "--since=2026-02-30", NULL},
         "--since: '2026-02-30' is not a UTC time",
         1},
        {{"audit", "verify", "--all", NULL}, "unknown option '--all'", 0},
        {{"audit", "export", "--format=xml", "global", NULL}, "--format csv or --format json", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = th_cli_full(NULL, "/nonexistent", "", NULL, &err, cases[i].argv);
        cr_assert_eq(rc, 2, "case %zu (%s %s) exited %d: %s", i, cases[i].argv[0],
                     cases[i].argv[1] ? cases[i].argv[1] : "", rc, err);
        cr_assert(strstr(err, cases[i].says), "case %zu: wanted \"%s\", got: %s", i, cases[i].says,
                  err);
        if (!cases[i].no_usage)
            cr_assert(strstr(err, "usage: kompass"), "case %zu prints the command's usage: %s", i,
                      err);
        free(err);
    }
}
