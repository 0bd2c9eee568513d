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

const kp_command *const kp_commands[] = {
    &s_help_cmd,
    &kp_version_command,
    &kp_ping_command,
    &kp_login_command,
    &kp_logout_command,
    &kp_whoami_command,
    &kp_passwd_command,
    &kp_user_command,
    &kp_framework_command,
    &kp_municipality_command,
    &kp_eval_command,
    &kp_evidence_command,
    &kp_score_command,
    &kp_text_command,
    &kp_locks_command,
    &kp_lock_command,
    &kp_watch_command,
    &kp_submit_command,
    &kp_consensus_command,
    &kp_factcheck_command,
    &kp_sign_command,
    &kp_report_command,
    &kp_history_command,
    &kp_followup_command,
    &kp_import_command,
    &kp_search_command,
    &kp_audit_command,
    &kp_admin_command,
    &kp_stats_command,
    &kp_comment_command,
    &kp_calibrate_command,
    &kp_checkout_command,
    &kp_status_command,
    &kp_sync_command,
    NULL,
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
