/*  args: a command's options and positional arguments.
 *
 *  Each command declares its options (`--name VALUE` or a flag `--name`);
 *  kp_args_parse() fills them and the positionals, and reports a usage error
 *  (exit 2) for an unknown option, a missing value, or a wrong number of
 *  positionals, naming the problem and printing the command's usage.
 */
#ifndef KP_ARGS_H
#define KP_ARGS_H

#include "cli.h"

typedef struct {
    const char *name;  /* without the dashes: "municipality" */
    int takes_value;   /* 1: --name VALUE; 0: a flag */
    const char *value; /* filled: the value, or "1" for a set flag; NULL if absent */
} kp_opt;

/* Parses argv[first..argc-1]. opts ends with {NULL}. Positionals go to pos
 * (at most max_pos); *n_pos gets their number, which must be at least
 * min_pos. Returns 0, or the usage exit code after printing the error. */
int kp_args_parse(kp_cli *cli, const kp_command *cmd, int argc, char **argv, int first,
                  kp_opt *opts, const char **pos, int min_pos, int max_pos, int *n_pos);

/* The value of option name (NULL if not given). */
const char *kp_args_get(const kp_opt *opts, const char *name);

/* Parses a positive id ("12"); 0 on success, or the usage exit code after
 * printing what was wrong ("evaluation id must be a number, not 'x'"). */
int kp_args_id(kp_cli *cli, const kp_command *cmd, const char *what, const char *text, int64_t *id);

/* Parses POINTS ("12", "12.5", "12,5") into centipoints; 0, or the usage
 * exit code after saying what was wrong. */
int kp_args_points(kp_cli *cli, const kp_command *cmd, const char *text, int64_t *centi);

/* The value of --version (a version seen, 0 or more) when given: 1 with
 * *version set; 0 when absent; or the usage exit code (negated: < 0). */
int kp_args_version(kp_cli *cli, const kp_command *cmd, const kp_opt *opts, int64_t *version);

#endif
