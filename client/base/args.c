/*  args: a command's options and positional arguments. */
#include "args.h"

#include "points.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kp_args_parse(kp_cli *cli, const kp_command *cmd, int argc, char **argv, int first,
                  kp_opt *opts, const char **pos, int min_pos, int max_pos, int *n_pos)
{
    *n_pos = 0;
    int only_positional = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && strncmp(a, "--", 2) == 0) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            kp_opt *o = NULL;
            for (kp_opt *k = opts; k && k->name; k++)
                if (strlen(k->name) == nlen && strncmp(k->name, name, nlen) == 0) o = k;
            if (!o) return kp_cli_usage(cli, cmd, "unknown option '%.*s'", (int)nlen + 2, a);
            if (!o->takes_value) {
                if (eq) return kp_cli_usage(cli, cmd, "option --%s takes no value", o->name);
                o->value = "1";
            } else if (eq) {
                o->value = eq + 1;
            } else if (i + 1 < argc) {
                o->value = argv[++i];
            } else {
                return kp_cli_usage(cli, cmd, "option --%s needs a value", o->name);
            }
            continue;
        }
        if (*n_pos >= max_pos) return kp_cli_usage(cli, cmd, "unexpected argument '%s'", a);
        pos[(*n_pos)++] = a;
    }
    if (*n_pos < min_pos) return kp_cli_usage(cli, cmd, "missing arguments");
    return 0;
}

const char *kp_args_get(const kp_opt *opts, const char *name)
{
    for (const kp_opt *k = opts; k && k->name; k++)
        if (strcmp(k->name, name) == 0) return k->value;
    return NULL;
}

int kp_args_id(kp_cli *cli, const kp_command *cmd, const char *what, const char *text, int64_t *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || end == text || v <= 0)
        return kp_cli_usage(cli, cmd, "%s must be a positive number, not '%s'", what, text);
    *id = v;
    return 0;
}

int kp_args_points(kp_cli *cli, const kp_command *cmd, const char *text, int64_t *centi)
{
    if (kp_points_parse(text, centi) == 0) return 0;
    return kp_cli_usage(cli, cmd,
                        "points must be a number with at most two decimals, like 12 or 12.5, "
                        "not '%s'",
                        text);
}

int kp_args_version(kp_cli *cli, const kp_command *cmd, const kp_opt *opts, int64_t *version)
{
    const char *text = kp_args_get(opts, "version");
    if (!text) return 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end || v < 0) return -kp_cli_usage(cli, cmd, "--version must be a number, not '%s'", text);
    *version = v;
    return 1;
}
