/*  cli: what every `kompass` command shares.
 *
 *  A command is a function `int cmd(kp_cli *cli, int argc, char **argv)`
 *  returning the process's exit code (README.md, "Exit codes"). It builds a
 *  request, calls kp_cli_call(), and prints the result either for a person
 *  or, with --json, as one JSON document on stdout. Errors go through
 *  kp_cli_error() so that both forms are consistent.
 */
#ifndef KP_CLI_H
#define KP_CLI_H

#include <jansson.h>

#include "arena.h"
#include "conn.h"
#include "settings.h"

#define KP_EXIT_OK          0
#define KP_EXIT_ERROR       1
#define KP_EXIT_USAGE       2
#define KP_EXIT_CONFLICT    3
#define KP_EXIT_DENIED      4
#define KP_EXIT_NOT_FOUND   5
#define KP_EXIT_UNAVAILABLE 6

/* Not a status of the protocol: the server did not answer and the write was
 * kept in the offline journal (client/offline.h), which said so. A command
 * returning it exits 0. */
#define KP_CLI_KEPT_OFFLINE 1000

typedef struct kp_cli {
    kp_settings settings;
    kp_arena *arena;               /* everything of this invocation */
    kp_conn *conn;                 /* created on first call */
    int session_sent;              /* the last call carried a session token */
    const char *session_elsewhere; /* the session file is for this other server */
    int offline;                   /* no server answered in this run: checked-out
                                      evaluations are answered from their copy */
    int offline_marked;            /* "offline copy of version V" was said */
    int64_t offline_version;       /* the copy's version, once one answered */
    int64_t offline_from_us;       /* when the copy was taken */
    int online_only;               /* never answer from a copy (checkout, sync) */
} kp_cli;

typedef struct {
    const char *name;
    int (*run)(kp_cli *cli, int argc, char **argv);
    const char *summary; /* one line for `kompass help` */
    const char *usage;   /* the full `kompass CMD --help` text */
} kp_command;

/* A new request in the arena, for the caller to set a body on. */
kp_request *kp_cli_request(kp_cli *cli);

/* Sends req, waits for the answer. Returns 0 with *resp when the server
 * said OK; otherwise prints the error (human or JSON) and returns the exit
 * code for it. Requests other than Ping and Login carry the token of the
 * session file, if it belongs to this server (client/session.h). */
int kp_cli_call(kp_cli *cli, kp_request *req, kp_response **resp);

/* Sends req and waits for the answer without judging it: 0 with *resp set
 * (whatever its status), or the exit code after printing why no answer came. */
int kp_cli_send(kp_cli *cli, kp_request *req, kp_response **resp);

/* The login of this server's session file (in the arena), or NULL when
 * nobody is logged in to it. */
const char *kp_cli_login(kp_cli *cli);

/* Prints resp's error (status and sentence) and returns its exit code. */
int kp_cli_fail(kp_cli *cli, const kp_response *resp);
/* Like kp_cli_call, but returns the status (KP_OK or the server's or the
 * transport's) without printing; *error is the sentence. */
int kp_cli_call_quiet(kp_cli *cli, kp_request *req, kp_response **resp, const char **error);

/* Prints an error for status (human to stderr, or JSON to stdout); returns
 * the exit code. */
int kp_cli_error(kp_cli *cli, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints a usage error and the command's usage line; returns 2. */
int kp_cli_usage(kp_cli *cli, const kp_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints doc (steals the reference) as the command's JSON document. */
void kp_cli_json(kp_cli *cli, json_t *doc);

/* Whether argv holds -h or --help. */
int kp_cli_wants_help(int argc, char **argv);

/* Formats microseconds since the epoch as ISO 8601 UTC into the arena. */
const char *kp_cli_time(kp_cli *cli, int64_t us);

/* Prints text padded with spaces to width characters (UTF-8 aware: "Västerås"
 * is 8 wide); longer text is cut with an ellipsis. width 0: no padding. */
void kp_cli_cell(const char *text, int width);
/* text on one line (every run of white space one space), cut at a word
 * boundary to at most width characters with an ellipsis when longer (a
 * single word longer than width is cut inside), in the arena. */
const char *kp_cli_words(kp_cli *cli, const char *text, int width);

/* "admin", "evaluator", "observer" for a protocol role ("?" otherwise). */
const char *kp_cli_role_name(int role);

/* A user as a JSON object. */
json_t *kp_cli_user_json(kp_cli *cli, const Kompass__V1__User *u);

/* The command named name, or NULL. */
const kp_command *kp_cli_find_command(const char *name);

/* Every command, NULL-terminated (main.c). */
extern const kp_command *const kp_commands[];

/* The commands, each defined once as a kp_command in its module (but for
 * help, main.c's own) and listed once in kp_commands; options are parsed
 * by kp_args_parse (args.h). */
extern const kp_command kp_version_command;
extern const kp_command kp_ping_command;
extern const kp_command kp_login_command;
extern const kp_command kp_logout_command;
extern const kp_command kp_whoami_command;
extern const kp_command kp_passwd_command;
extern const kp_command kp_user_command;
extern const kp_command kp_admin_command;
extern const kp_command kp_audit_command;
extern const kp_command kp_framework_command;
extern const kp_command kp_municipality_command;
extern const kp_command kp_eval_command;
extern const kp_command kp_evidence_command;
extern const kp_command kp_score_command;
extern const kp_command kp_text_command;
extern const kp_command kp_locks_command;
extern const kp_command kp_lock_command;
extern const kp_command kp_watch_command;
extern const kp_command kp_submit_command;
extern const kp_command kp_consensus_command;
extern const kp_command kp_sign_command;
extern const kp_command kp_stats_command;
extern const kp_command kp_report_command;
extern const kp_command kp_history_command;
extern const kp_command kp_followup_command;
extern const kp_command kp_import_command;
extern const kp_command kp_search_command;
extern const kp_command kp_comment_command;
extern const kp_command kp_calibrate_command;
extern const kp_command kp_checkout_command;
extern const kp_command kp_status_command;
extern const kp_command kp_sync_command;
extern const kp_command kp_factcheck_command;

/* Commands, by module. */
int kp_cmd_ping(kp_cli *cli, int argc, char **argv);
int kp_cmd_version(kp_cli *cli, int argc, char **argv);
int kp_cmd_framework(kp_cli *cli, int argc, char **argv);
int kp_cmd_municipality(kp_cli *cli, int argc, char **argv);
int kp_cmd_eval(kp_cli *cli, int argc, char **argv);
int kp_cmd_evidence(kp_cli *cli, int argc, char **argv);
int kp_cmd_score(kp_cli *cli, int argc, char **argv);
int kp_cmd_text(kp_cli *cli, int argc, char **argv);
int kp_cmd_locks(kp_cli *cli, int argc, char **argv);
int kp_cmd_lock(kp_cli *cli, int argc, char **argv);
int kp_cmd_watch(kp_cli *cli, int argc, char **argv);
int kp_cmd_submit(kp_cli *cli, int argc, char **argv);
int kp_cmd_consensus(kp_cli *cli, int argc, char **argv);
int kp_cmd_sign(kp_cli *cli, int argc, char **argv);
/* Subcommands of eval and text that live with consensus and sign-off. */
int kp_cmd_text_approve(kp_cli *cli, const kp_command *cmd, int argc, char **argv);
int kp_cmd_eval_status(kp_cli *cli, int64_t id);
int kp_cmd_eval_reopen(kp_cli *cli, const kp_command *cmd, int argc, char **argv);
int kp_cmd_eval_verify(kp_cli *cli, int64_t id);
int kp_cmd_eval_revision(kp_cli *cli, int64_t id, int64_t revision);
/* Agreement figures as JSON, with the keys of docs/agreement.md (cmd_stats.c). */
json_t *kp_cli_agreement_json(const Kompass__V1__AgreementFigures *f);
/* A signature as JSON, and printed on a line after lead. */
json_t *kp_cli_signature_json(kp_cli *cli, const Kompass__V1__Signature *s);
void kp_cli_signature_print(kp_cli *cli, const Kompass__V1__Signature *s, const char *lead);
int kp_cmd_report(kp_cli *cli, int argc, char **argv);
int kp_cmd_history(kp_cli *cli, int argc, char **argv);
int kp_cmd_followup(kp_cli *cli, int argc, char **argv);
int kp_cmd_import(kp_cli *cli, int argc, char **argv);
int kp_cmd_search(kp_cli *cli, int argc, char **argv);
int kp_cmd_login(kp_cli *cli, int argc, char **argv);
int kp_cmd_logout(kp_cli *cli, int argc, char **argv);
int kp_cmd_whoami(kp_cli *cli, int argc, char **argv);
int kp_cmd_passwd(kp_cli *cli, int argc, char **argv);
int kp_cmd_user(kp_cli *cli, int argc, char **argv);
int kp_cmd_audit(kp_cli *cli, int argc, char **argv);
extern const char kp_audit_usage[];
int kp_cmd_admin(kp_cli *cli, int argc, char **argv);
int kp_cmd_stats(kp_cli *cli, int argc, char **argv);
/* offline work: cmd_offline.c */
int kp_cmd_checkout(kp_cli *cli, int argc, char **argv);
int kp_cmd_status(kp_cli *cli, int argc, char **argv);
int kp_cmd_sync(kp_cli *cli, int argc, char **argv);

/* the consensus meeting: threads (cmd_comment.c), calibration exercises
 * (cmd_calibrate.c) */
int kp_cmd_comment(kp_cli *cli, int argc, char **argv);
int kp_cmd_calibrate(kp_cli *cli, int argc, char **argv);
/* the municipality's factual review (cmd_factcheck.c) */
int kp_cmd_factcheck(kp_cli *cli, int argc, char **argv);
/* `kompass stats calibration` (argv[1] is "calibration"). */
int kp_cmd_stats_calibration(kp_cli *cli, const kp_command *cmd, int argc, char **argv);
/* An evidence entry as JSON, as `evidence list --json` gives it (cmd_eval.c). */
json_t *kp_cli_evidence_json(kp_cli *cli, const Kompass__V1__Evidence *e);
/* A thread as JSON, and printed for a person (every entry, the new ones marked). */
json_t *kp_cli_thread_json(kp_cli *cli, const Kompass__V1__CommentThread *t);
void kp_cli_thread_print(kp_cli *cli, const Kompass__V1__CommentThread *t);
/* An exercise's results as JSON, and printed for a person. */
json_t *kp_cli_calibration_json(kp_cli *cli, const Kompass__V1__CalibrationResult *c);
void kp_cli_calibration_print(kp_cli *cli, const Kompass__V1__CalibrationResult *c);

#endif
