/*  cmd_user: user administration (admins only; the server decides).
 *
 *  kompass user add LOGIN --name NAME --org ORG --role ROLE [--password-stdin]
 *  kompass user list
 *  kompass user disable LOGIN
 *  kompass user enable LOGIN
 *  kompass user edit LOGIN [--name NAME] [--org ORG]
 *  kompass user reset-password LOGIN [--password-stdin]
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "password.h"
#include "roles.h"

/* The sub-command's options. */
typedef struct {
    const char *login, *name, *org, *role;
    int from_stdin;
} user_args;

/* Parses argv[2..] of `user SUB ...`: a LOGIN and the options allowed
 * (a bit set: 1 --name/--org/--role, 2 --password-stdin). */
static int s_parse(kp_cli *cli, int argc, char **argv, int allowed, int want_login, user_args *a)
{
    memset(a, 0, sizeof *a);
    kp_opt opts[5] = {{NULL, 0, NULL}};
    int n = 0;
    if (allowed & 1) {
        opts[n++] = (kp_opt){"name", 1, NULL};
        opts[n++] = (kp_opt){"org", 1, NULL};
        opts[n++] = (kp_opt){"role", 1, NULL};
    }
    if (allowed & 2) opts[n++] = (kp_opt){"password-stdin", 0, NULL};
    const char *pos[1];
    int n_pos;
    int rc = kp_args_parse(cli, &kp_user_command, argc, argv, 2, opts, pos, 0, want_login ? 1 : 0,
                           &n_pos);
    if (rc != 0) return rc;
    a->name = kp_args_get(opts, "name");
    a->org = kp_args_get(opts, "org");
    a->role = kp_args_get(opts, "role");
    a->from_stdin = kp_args_get(opts, "password-stdin") != NULL;
    a->login = n_pos ? pos[0] : NULL;
    if (want_login && !a->login)
        return kp_cli_usage(cli, &kp_user_command, "user %s: which user? (LOGIN)", argv[1]);
    return KP_EXIT_OK;
}

/* Prints text padded to width characters (not bytes: "Borås" is 5). */
static void s_padded(const char *text, int width)
{
    int chars = 0;
    for (const char *p = text; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80) chars++;
    fputs(text, stdout);
    for (; chars < width; chars++)
        putchar(' ');
}

static int s_add(kp_cli *cli, int argc, char **argv)
{
    user_args a;
    int rc = s_parse(cli, argc, argv, 3, 1, &a);
    if (rc != KP_EXIT_OK) return rc;
    if (!a.name || !a.org || !a.role)
        return kp_cli_usage(cli, &kp_user_command, "user add: --name, --org and --role are needed");
    int role = kp_role_value(a.role);
    if (!role)
        return kp_cli_usage(cli, &kp_user_command,
                            "user add: --role must be admin, evaluator or observer, not '%s'",
                            a.role);
    char password[KP_CLI_PASSWORD_MAX], err[512];
    const char *prompt = kp_arena_printf(cli->arena, "Password for the new user %s: ", a.login);
    if (kp_cli_password_read_new(a.from_stdin, prompt, password, err, sizeof err) != 0)
        return kp_cli_usage(cli, NULL, "%s", err);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__UserAddRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = (char *)a.login;
    in->full_name = (char *)a.name;
    in->organisation = (char *)a.org;
    in->role = (Kompass__V1__Role)role;
    in->password = password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
    req->user_add = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    kp_cli_password_wipe(password);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__User *u = resp->user_add ? resp->user_add->user : NULL;
    if (!u) return kp_cli_error(cli, KP_INTERNAL, "server answered user add without the user");
    if (cli->settings.json)
        kp_cli_json(cli, kp_cli_user_json(cli, u));
    else
        printf("added %s (%s, %s, %s)\n", u->login, u->full_name, u->organisation,
               kp_cli_role_name(u->role));
    return KP_EXIT_OK;
}

static int s_list(kp_cli *cli, int argc, char **argv)
{
    user_args a;
    int rc = s_parse(cli, argc, argv, 0, 0, &a);
    if (rc != KP_EXIT_OK) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__UserListRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__user_list_request__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_LIST;
    req->user_list = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__UserListResponse *out = resp->user_list;
    if (!out) return kp_cli_error(cli, KP_INTERNAL, "server answered user list without users");
    if (cli->settings.json) {
        json_t *users = json_array();
        for (size_t i = 0; i < out->n_users; i++)
            json_array_append_new(users, kp_cli_user_json(cli, out->users[i]));
        kp_cli_json(cli, json_pack("{s:o}", "users", users));
        return KP_EXIT_OK;
    }
    printf("%-16s %-10s %-8s %-20s %-24s %s\n", "LOGIN", "ROLE", "ACTIVE", "LAST LOGIN",
           "ORGANISATION", "NAME");
    for (size_t i = 0; i < out->n_users; i++) {
        const Kompass__V1__User *u = out->users[i];
        printf("%-16s %-10s %-8s %-20s ", u->login, kp_cli_role_name(u->role),
               u->active ? "yes" : "no",
               u->last_login_us ? kp_cli_time(cli, u->last_login_us) : "never");
        s_padded(u->organisation, 24);
        printf(" %s\n", u->full_name);
    }
    return KP_EXIT_OK;
}

static int s_set_active(kp_cli *cli, int argc, char **argv, int active)
{
    user_args a;
    int rc = s_parse(cli, argc, argv, 0, 1, &a);
    if (rc != KP_EXIT_OK) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__UserSetActiveRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__user_set_active_request__init(in);
    in->login = (char *)a.login;
    in->active = active;
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_SET_ACTIVE;
    req->user_set_active = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__UserSetActiveResponse *out = resp->user_set_active;
    if (!out || !out->user) return kp_cli_error(cli, KP_INTERNAL, "server answered without a user");
    if (cli->settings.json) {
        json_t *doc = kp_cli_user_json(cli, out->user);
        json_object_set_new(doc, "sessions_ended", json_integer(out->sessions_ended));
        kp_cli_json(cli, doc);
    } else if (active) {
        printf("enabled %s\n", out->user->login);
    } else {
        printf("disabled %s; %u session%s ended\n", out->user->login, out->sessions_ended,
               out->sessions_ended == 1 ? "" : "s");
    }
    return KP_EXIT_OK;
}

static int s_reset_password(kp_cli *cli, int argc, char **argv)
{
    user_args a;
    int rc = s_parse(cli, argc, argv, 2, 1, &a);
    if (rc != KP_EXIT_OK) return rc;
    char password[KP_CLI_PASSWORD_MAX], err[512];
    const char *prompt = kp_arena_printf(cli->arena, "New password for %s: ", a.login);
    if (kp_cli_password_read_new(a.from_stdin, prompt, password, err, sizeof err) != 0)
        return kp_cli_usage(cli, NULL, "%s", err);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__UserResetPasswordRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__user_reset_password_request__init(in);
    in->login = (char *)a.login;
    in->new_password = password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_RESET_PASSWORD;
    req->user_reset_password = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    kp_cli_password_wipe(password);
    if (rc != KP_EXIT_OK) return rc;
    unsigned ended = resp->user_reset_password ? resp->user_reset_password->sessions_ended : 0;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:s,s:i}", "login", a.login, "sessions_ended", (int)ended));
    else
        printf("password of %s reset; %u session%s ended\n", a.login, ended, ended == 1 ? "" : "s");
    return KP_EXIT_OK;
}

static int s_edit(kp_cli *cli, int argc, char **argv)
{
    user_args a;
    int rc = s_parse(cli, argc, argv, 1, 1, &a);
    if (rc != KP_EXIT_OK) return rc;
    if (a.role)
        return kp_cli_usage(cli, &kp_user_command,
                            "user edit: a role is not changed by edit (--name, --org)");
    if (!a.name && !a.org)
        return kp_cli_usage(cli, &kp_user_command, "user edit: give --name, --org or both");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__UserEditRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__user_edit_request__init(in);
    in->login = (char *)a.login;
    in->full_name = (char *)(a.name ? a.name : "");
    in->organisation = (char *)(a.org ? a.org : "");
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_EDIT;
    req->user_edit = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__UserEditResponse *out = resp->user_edit;
    if (!out || !out->user) return kp_cli_error(cli, KP_INTERNAL, "server answered without a user");
    if (cli->settings.json) {
        json_t *doc = kp_cli_user_json(cli, out->user);
        json_object_set_new(doc, "changed", json_boolean(out->changed));
        kp_cli_json(cli, doc);
    } else if (!out->changed) {
        printf("%s is already %s, %s: no change\n", out->user->login, out->user->full_name,
               out->user->organisation);
    } else {
        printf("%s is now %s, %s\n", out->user->login, out->user->full_name,
               out->user->organisation);
    }
    return KP_EXIT_OK;
}

int kp_cmd_user(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_user_command, "user: which sub-command?");
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0) return s_add(cli, argc, argv);
    if (strcmp(sub, "list") == 0) return s_list(cli, argc, argv);
    if (strcmp(sub, "disable") == 0) return s_set_active(cli, argc, argv, 0);
    if (strcmp(sub, "enable") == 0) return s_set_active(cli, argc, argv, 1);
    if (strcmp(sub, "reset-password") == 0) return s_reset_password(cli, argc, argv);
    if (strcmp(sub, "edit") == 0) return s_edit(cli, argc, argv);
    return kp_cli_usage(cli, &kp_user_command, "user: unknown sub-command '%s'", sub);
}

/* ---------------------------------------------------------------- the command */

const kp_command kp_user_command = {
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
