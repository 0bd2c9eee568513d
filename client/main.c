/*  kompass: the Kompass command-line client.
 *
 *  kompass [--server ENDPOINT] [--server-key KEY] [--insecure] [--json]
 *          [--timeout SECONDS] COMMAND [ARGS]
 *
 *  Global options come before the command; everything after it belongs to
 *  the command, but for --json, which may come anywhere. Exit codes:
 *  README.md, "Exit codes".
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "helpdoc.h"
#include "seen.h"

static int s_help(kp_cli *cli, int argc, char **argv);

static const kp_command s_help_cmd = {
    "help", s_help, "show help for kompass or for a command",
    "usage: kompass help [COMMAND]\n"
    "       kompass help --man     (the manual page, as `man kompass` shows it)\n"};
static const kp_command s_version_cmd = {
    "version", kp_cmd_version, "print the client's version",
    "usage: kompass version\n\nPrints the client's version and protocol version.\n"};
static const kp_command s_ping_cmd = {
    "ping", kp_cmd_ping, "check that the server and its database answer",
    "usage: kompass ping\n\n"
    "Asks the server for its version and time, and whether its database is\n"
    "reachable. Exit 0 when both answer, 6 when the server or its database does\n"
    "not (within --timeout).\n"};

static const kp_command s_login_cmd = {
    "login", kp_cmd_login, "log in (keeps the session in the config home)",
    "usage: kompass login USER [--password-stdin]\n\n"
    "Asks for USER's password (without echo; with --password-stdin, reads one\n"
    "line of standard input) and opens a session, kept in\n"
    "$XDG_CONFIG_HOME/kompass/session (mode 0600) for the commands that follow.\n"
    "After repeated failures the server makes you wait (exit 6, RATE_LIMITED).\n"};
static const kp_command s_logout_cmd = {
    "logout", kp_cmd_logout, "end the session",
    "usage: kompass logout\n\n"
    "Ends the session on the server and removes the session file.\n"};
static const kp_command s_whoami_cmd = {
    "whoami", kp_cmd_whoami, "show who is logged in, and until when",
    "usage: kompass whoami\n\n"
    "Login, name, organisation, role, and when the session ends: after a time\n"
    "without use (moved forward by each command), at the latest at a fixed time.\n"};
static const kp_command s_passwd_cmd = {
    "passwd", kp_cmd_passwd, "change your password",
    "usage: kompass passwd [--password-stdin]\n\n"
    "Asks for the current password and the new one (twice). With\n"
    "--password-stdin: the current password on the first line of standard\n"
    "input, the new one on the second. A password has at least 12 characters.\n"
    "Your other sessions end; this one goes on.\n"};
static const kp_command s_user_cmd = {
    "user", kp_cmd_user, "manage users (administrators)",
    "usage: kompass user add LOGIN --name NAME --org ORGANISATION --role ROLE\n"
    "                        [--password-stdin]\n"
    "       kompass user list\n"
    "       kompass user disable LOGIN\n"
    "       kompass user enable LOGIN\n"
    "       kompass user edit LOGIN [--name NAME] [--org ORGANISATION]\n"
    "       kompass user reset-password LOGIN [--password-stdin]\n\n"
    "ROLE is admin (SKL administration: users, frameworks, every evaluation),\n"
    "evaluator, or observer (read-only). LOGIN is 2-32 of a-z 0-9 . _ -,\n"
    "starting with a letter. add and reset-password ask for the password twice\n"
    "(or read one line of standard input with --password-stdin). Disabling a\n"
    "user or resetting their password ends all their sessions. edit corrects a\n"
    "name or an organisation (audited); signatures already given, and the\n"
    "reports of signed evaluations, keep the names they were signed with.\n"};
static const kp_command s_admin_cmd = {
    "admin", kp_cmd_admin, "operate the server: health, stats, backup (administrators)",
    "usage: kompass admin health\n"
    "       kompass admin stats\n"
    "       kompass admin backup FILE [--force]\n\n"
    "health: whether the kompassd that answers is fit to serve: its database\n"
    "(reachable, writable, which node, standbys), whether its schema is current,\n"
    "uptime, connections, workers, PostgreSQL locks held and awaited. Exit 0 when\n"
    "healthy, 6 when the database is unreachable or not writable, 1 when the\n"
    "schema is behind or ahead of this kompassd.\n\n"
    "stats: requests per RPC since kompassd started, their outcomes by status,\n"
    "latency quantiles (upper bounds of fixed buckets; --json gives the buckets),\n"
    "connections on the request and update sockets.\n\n"
    "backup FILE: kompassd makes a pg_dump of its database (custom format) and\n"
    "sends it here in pieces; FILE is written only once all of it arrived and its\n"
    "SHA-256 matched (FILE.part meanwhile). FILE must not exist, unless --force.\n"
    "The dump holds every password hash: keep it as safe as the database. The\n"
    "CLI waits up to 10 minutes (or --timeout, if longer) for the dump to be made.\n"
    "Restore with pg_restore (docs/deploy.md, \"Backups\").\n\n"
    "With several servers (--server a,b), each answer is about the one that\n"
    "answered: ask each with --server.\n"};
static const kp_command s_audit_cmd = {"audit", kp_cmd_audit,
                                       "the audit trail: history, verify, export", kp_audit_usage};

const kp_command *const kp_commands[] = {
    &s_help_cmd,           &s_version_cmd,
    &s_ping_cmd,           &s_login_cmd,
    &s_logout_cmd,         &s_whoami_cmd,
    &s_passwd_cmd,         &s_user_cmd,
    &kp_framework_command, &kp_municipality_command,
    &kp_eval_command,      &kp_evidence_command,
    &kp_score_command,     &kp_text_command,
    &kp_locks_command,     &kp_lock_command,
    &kp_watch_command,     &kp_submit_command,
    &kp_consensus_command, &kp_factcheck_command,
    &kp_sign_command,      &kp_report_command,
    &kp_history_command,   &kp_followup_command,
    &kp_import_command,
    &kp_search_command,    &s_audit_cmd,
    &s_admin_cmd,          &kp_stats_command,
    &kp_comment_command,   &kp_calibrate_command,
    &kp_checkout_command,  &kp_status_command,
    &kp_sync_command,      NULL,
};

static const char s_usage[] =
    "usage: kompass [--server ENDPOINT] [--server-key KEY] [--insecure] [--json]\n"
    "               [--timeout SECONDS] COMMAND [ARGS]\n"
    "\n"
    "The Kompass client: KommunKompassen evaluations, together.\n"
    "\n"
    "Global options (also KOMPASS_SERVER, KOMPASS_SERVER_KEY, KOMPASS_TIMEOUT, and\n"
    "$XDG_CONFIG_HOME/kompass/config with lines `server = ...`, `server_key = ...`,\n"
    "`timeout = ...`):\n"
    "  --server ENDPOINT   kompassd's request endpoint (default tcp://127.0.0.1:5555)\n"
    "  --server-key KEY    kompassd's CURVE public key (`kompassd --print-public-key`)\n"
    "  --insecure          plain text instead of CURVE (loopback and ipc:// only)\n"
    "  --timeout SECONDS   how long to wait for an answer (default 5)\n"
    "  --json              print one JSON document on stdout, for scripts (also\n"
    "                      after the command: kompass score show 1 --json)\n"
    "\n"
    "Commands:\n";

static const kp_command *s_find(const char *name)
{
    for (const kp_command *const *c = kp_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0) return *c;
    return NULL;
}

static void s_print_usage(FILE *out)
{
    fputs(s_usage, out);
    for (const kp_command *const *c = kp_commands; *c; c++)
        fprintf(out, "  %-14s %s\n", (*c)->name, (*c)->summary);
    fputs("\nRun `kompass COMMAND --help` for a command's options.\n"
          "Exit codes: 0 ok, 1 error, 2 usage, 3 conflict, 4 denied or unauthenticated,\n"
          "5 not found, 6 unavailable or timed out.\n",
          out);
}

static int s_help(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        s_print_usage(stdout);
        return KP_EXIT_OK;
    }
    if (strcmp(argv[1], "--man") == 0) {
        kp_helpdoc_man(stdout, s_usage);
        return KP_EXIT_OK;
    }
    const kp_command *c = s_find(argv[1]);
    if (!c) return kp_cli_usage(cli, NULL, "unknown command '%s' (see kompass help)", argv[1]);
    fputs(c->usage, stdout);
    return KP_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fputs("kompass: libsodium failed to initialise\n", stderr);
        return KP_EXIT_ERROR;
    }
    kp_cli cli = {0};
    cli.arena = kp_arena_new();
    char err[1200];
    int rc;
    /* --json first, so that even a settings error is printed as JSON */
    for (int i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++)
        if (strcmp(argv[i], "--json") == 0) cli.settings.json = 1;
    int json = cli.settings.json;
    if (kp_settings_load(&cli.settings, err, sizeof err) != 0) {
        cli.settings.json = json;
        rc = kp_cli_usage(&cli, NULL, "%s", err);
        goto out;
    }
    cli.settings.json = json;

    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            s_print_usage(stdout);
            rc = KP_EXIT_OK;
            goto out;
        }
        if (strcmp(argv[i], "--version") == 0) {
            rc = kp_cmd_version(&cli, 1, argv + i);
            goto out;
        }
        int used = kp_settings_option(&cli.settings, argv[i] + 2, i + 1 < argc ? argv[i + 1] : NULL,
                                      err, sizeof err);
        if (used < 0) {
            rc = kp_cli_usage(&cli, NULL, "%s", err);
            goto out;
        }
        i += used;
    }
    if (i >= argc) {
        s_print_usage(stderr);
        rc = KP_EXIT_USAGE;
        goto out;
    }
    if (strcmp(argv[i], "__complete") == 0) { /* for client/kompass.bash */
        int cword = i + 1 < argc ? atoi(argv[i + 1]) : 0;
        rc = i + 2 < argc ? kp_helpdoc_complete(&cli, cword, argc - i - 2, argv + i + 2) : 0;
        goto out;
    }
    const kp_command *cmd = s_find(argv[i]);
    if (!cmd) {
        rc = kp_cli_usage(&cli, NULL, "unknown command '%s' (see kompass help)", argv[i]);
        goto out;
    }
    /* --json is as welcome after the command as before it (`kompass score
     * show 1 --json`): taken out of the command's arguments here, for every
     * command alike. After `--`, or as OPTION=--json, it is a value. */
    int cargc = 0;
    for (int k = i, literal = 0; k < argc; k++) {
        if (!literal && strcmp(argv[k], "--json") == 0) {
            cli.settings.json = 1;
            continue;
        }
        if (strcmp(argv[k], "--") == 0) literal = 1;
        argv[i + cargc++] = argv[k];
    }
    argc = i + cargc;
    if (kp_cli_wants_help(argc - i, argv + i)) {
        fputs(cmd->usage, stdout);
        rc = KP_EXIT_OK;
        goto out;
    }
    rc = cmd->run(&cli, argc - i, argv + i);
    if (rc == KP_CLI_KEPT_OFFLINE) rc = KP_EXIT_OK;
out:
    kp_seen_save(&cli);
    kp_conn_destroy(&cli.conn);
    kp_arena_destroy(&cli.arena);
    return rc;
}
