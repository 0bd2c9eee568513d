/*  cmd_session: login, logout, whoami, passwd.
 *
 *  The session token lives in the session file (client/session.h), written
 *  by login and removed by logout; it is never printed, not even with
 *  --json. Passwords come from the terminal without echo or, with
 *  --password-stdin, one per line of standard input.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "password.h"
#include "session.h"
#include "util.h"

/* Parses [--password-stdin] and up to one positional argument. */
static int s_args(kp_cli *cli, int argc, char **argv, int want_positional, const char **positional,
                  int *from_stdin)
{
    const kp_command *cmd = kp_cli_find_command(argv[0]);
    kp_opt opts[] = {{"password-stdin", 0, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    int n_pos;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 0, want_positional ? 1 : 0, &n_pos);
    if (rc != 0) return rc;
    *from_stdin = kp_args_get(opts, "password-stdin") != NULL;
    if (positional) *positional = n_pos ? pos[0] : NULL;
    if (want_positional && !n_pos)
        return kp_cli_usage(cli, cmd, "%s: which user? (kompass %s USER)", argv[0], argv[0]);
    return KP_EXIT_OK;
}

int kp_cmd_login(kp_cli *cli, int argc, char **argv)
{
    const char *login;
    int from_stdin, rc = s_args(cli, argc, argv, 1, &login, &from_stdin);
    if (rc != KP_EXIT_OK) return rc;
    char password[KP_CLI_PASSWORD_MAX], err[512];
    const char *prompt =
        kp_arena_printf(cli->arena, "Password for %s at %s: ", login, cli->settings.server);
    if (kp_cli_password_read(from_stdin, prompt, password, err, sizeof err) != 0)
        return kp_cli_usage(cli, NULL, "%s", err);

    kp_request *req = kp_cli_request(cli);
    Kompass__V1__LoginRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__login_request__init(in);
    in->login = (char *)login;
    in->password = password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = in;
    /* The last session's token, live or ended, shows the server that this
     * client logged in as this user before: other people's failed guesses
     * then do not slow it down (server/throttle.h). */
    kp_cli_session last;
    if (kp_cli_session_load(&cli->settings, &last, err, sizeof err) == 1 &&
        kp_cli_session_matches(&cli->settings, &last) && strcmp(last.login, login) == 0)
        req->session_token = kp_arena_strdup(cli->arena, last.token);
    sodium_memzero(&last, sizeof last);
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    kp_cli_password_wipe(password);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__LoginResponse *out = resp->login;
    if (!out || !out->user)
        return kp_cli_error(cli, KP_INTERNAL, "server answered login without a session");

    /* A session this file held before is ended, as far as the server hears. */
    kp_cli_session old;
    if (kp_cli_session_load(&cli->settings, &old, err, sizeof err) == 1 &&
        kp_cli_session_matches(&cli->settings, &old)) {
        kp_request *bye = kp_cli_request(cli);
        Kompass__V1__LogoutRequest *lo = kp_arena_zalloc(cli->arena, sizeof *lo);
        kompass__v1__logout_request__init(lo);
        bye->body_case = KOMPASS__V1__REQUEST__BODY_LOGOUT;
        bye->logout = lo;
        bye->session_token = kp_arena_strdup(cli->arena, old.token);
        kp_response *ignored;
        const char *why;
        kp_cli_call_quiet(cli, bye, &ignored, &why);
    }
    sodium_memzero(&old, sizeof old);

    kp_cli_session sess = {0};
    kp_strlcpy(sess.server, cli->settings.server, sizeof sess.server);
    kp_strlcpy(sess.server_key, cli->settings.insecure ? "" : cli->settings.server_key,
               sizeof sess.server_key);
    kp_strlcpy(sess.login, out->user->login, sizeof sess.login);
    kp_strlcpy(sess.token, out->session_token, sizeof sess.token);
    sess.expires_us = out->expires_us;
    int saved = kp_cli_session_save(&cli->settings, &sess, err, sizeof err);
    sodium_memzero(&sess, sizeof sess);
    if (saved != 0) return kp_cli_error(cli, KP_INTERNAL, "logged in, but %s", err);

    char path[1100];
    kp_cli_session_path(&cli->settings, path, sizeof path);
    const Kompass__V1__User *u = out->user;
    if (cli->settings.json) {
        json_t *doc = kp_cli_user_json(cli, u);
        json_object_set_new(doc, "server", json_string(cli->settings.server));
        json_object_set_new(doc, "idle_expires",
                            json_string(kp_cli_time(cli, out->idle_expires_us)));
        json_object_set_new(doc, "expires", json_string(kp_cli_time(cli, out->expires_us)));
        json_object_set_new(doc, "session_file", json_string(path));
        kp_cli_json(cli, doc);
    } else {
        printf("logged in as %s (%s, %s, %s) at %s\n", u->login, u->full_name, u->organisation,
               kp_cli_role_name(u->role), cli->settings.server);
        printf("session ends %s unless used, at the latest %s\n",
               kp_cli_time(cli, out->idle_expires_us), kp_cli_time(cli, out->expires_us));
    }
    return KP_EXIT_OK;
}

int kp_cmd_logout(kp_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) return kp_cli_usage(cli, &kp_logout_command, "logout takes no arguments");
    kp_cli_session sess;
    char err[512];
    int have = kp_cli_session_load(&cli->settings, &sess, err, sizeof err);
    if (have < 0) return kp_cli_error(cli, KP_BAD_REQUEST, "%s", err);
    if (have == 0 || !kp_cli_session_matches(&cli->settings, &sess)) {
        if (cli->settings.json)
            kp_cli_json(cli, json_pack("{s:b}", "logged_out", 0));
        else
            printf("not logged in at %s\n", cli->settings.server);
        return KP_EXIT_OK;
    }
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__LogoutRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__logout_request__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGOUT;
    req->logout = in;
    kp_response *resp;
    const char *why;
    int rc = kp_cli_call_quiet(cli, req, &resp, &why);
    int64_t expires = sess.expires_us;
    sodium_memzero(&sess, sizeof sess);
    /* The local token goes whatever the server said: it opens nothing then. */
    if (kp_cli_session_remove(&cli->settings, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    if (rc != KP_OK && rc != KP_UNAUTHENTICATED)
        return kp_cli_error(cli, rc,
                            "the server could not be told (%s); the local session is removed, "
                            "and the server's ends by itself by %s",
                            why, kp_cli_time(cli, expires));
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:b}", "logged_out", 1));
    else
        printf("logged out of %s\n", cli->settings.server);
    return KP_EXIT_OK;
}

int kp_cmd_whoami(kp_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return kp_cli_usage(cli, kp_cli_find_command("whoami"), "whoami takes no arguments");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__WhoAmIRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__who_am_irequest__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_WHO_AM_I;
    req->who_am_i = in;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__WhoAmIResponse *out = resp->who_am_i;
    if (!out || !out->user)
        return kp_cli_error(cli, KP_INTERNAL, "server answered whoami without a user");
    const Kompass__V1__User *u = out->user;
    if (cli->settings.json) {
        json_t *doc = kp_cli_user_json(cli, u);
        json_object_set_new(doc, "server", json_string(cli->settings.server));
        json_object_set_new(doc, "session_created",
                            json_string(kp_cli_time(cli, out->session_created_us)));
        json_object_set_new(doc, "idle_expires",
                            json_string(kp_cli_time(cli, out->idle_expires_us)));
        json_object_set_new(doc, "expires", json_string(kp_cli_time(cli, out->expires_us)));
        json_object_set_new(doc, "client_key", json_string(out->client_key));
        kp_cli_json(cli, doc);
    } else {
        printf("login         %s\n", u->login);
        printf("name          %s\n", u->full_name);
        printf("organisation  %s\n", u->organisation);
        printf("role          %s\n", kp_cli_role_name(u->role));
        printf("server        %s\n", cli->settings.server);
        printf("session       since %s; ends %s unless used, at the latest %s\n",
               kp_cli_time(cli, out->session_created_us), kp_cli_time(cli, out->idle_expires_us),
               kp_cli_time(cli, out->expires_us));
    }
    return KP_EXIT_OK;
}

int kp_cmd_passwd(kp_cli *cli, int argc, char **argv)
{
    int from_stdin, rc = s_args(cli, argc, argv, 0, NULL, &from_stdin);
    if (rc != KP_EXIT_OK) return rc;
    char current[KP_CLI_PASSWORD_MAX], fresh[KP_CLI_PASSWORD_MAX], err[512];
    if (kp_cli_password_read(from_stdin, "Current password: ", current, err, sizeof err) != 0)
        return kp_cli_usage(cli, NULL, "%s", err);
    if (kp_cli_password_read_new(from_stdin, "New password: ", fresh, err, sizeof err) != 0) {
        kp_cli_password_wipe(current);
        return kp_cli_usage(cli, NULL, "%s", err);
    }
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ChangePasswordRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__change_password_request__init(in);
    in->current_password = current;
    in->new_password = fresh;
    req->body_case = KOMPASS__V1__REQUEST__BODY_CHANGE_PASSWORD;
    req->change_password = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    kp_cli_password_wipe(current);
    kp_cli_password_wipe(fresh);
    if (rc != KP_EXIT_OK) return rc;
    unsigned ended = resp->change_password ? resp->change_password->sessions_ended : 0;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:b,s:i}", "changed", 1, "other_sessions_ended", (int)ended));
    else
        printf("password changed; %u other session%s ended\n", ended, ended == 1 ? "" : "s");
    return KP_EXIT_OK;
}

/* ---------------------------------------------------------------- the commands */

const kp_command kp_login_command = {
    "login", kp_cmd_login, "log in (keeps the session in the config home)",
    "usage: kompass login USER [--password-stdin]\n\n"
    "Asks for USER's password (without echo; with --password-stdin, reads one\n"
    "line of standard input) and opens a session, kept in\n"
    "$XDG_CONFIG_HOME/kompass/session (mode 0600) for the commands that follow.\n"
    "After repeated failures the server makes you wait (exit 6, RATE_LIMITED).\n"};
const kp_command kp_logout_command = {
    "logout", kp_cmd_logout, "end the session",
    "usage: kompass logout\n\n"
    "Ends the session on the server and removes the session file.\n"};
const kp_command kp_whoami_command = {
    "whoami", kp_cmd_whoami, "show who is logged in, and until when",
    "usage: kompass whoami\n\n"
    "Login, name, organisation, role, and when the session ends: after a time\n"
    "without use (moved forward by each command), at the latest at a fixed time.\n"};
const kp_command kp_passwd_command = {
    "passwd", kp_cmd_passwd, "change your password",
    "usage: kompass passwd [--password-stdin]\n\n"
    "Asks for the current password and the new one (twice). With\n"
    "--password-stdin: the current password on the first line of standard\n"
    "input, the new one on the second. A password has at least 12 characters.\n"
    "Your other sessions end; this one goes on.\n"};
