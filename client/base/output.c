/*  output: printing results and errors, for people and for scripts. */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "offline.h"
#include "roles.h"
#include "session.h"
#include "status.h"
#include "util.h"

kp_request *kp_cli_request(kp_cli *cli)
{
    kp_request *req = kp_arena_zalloc(cli->arena, sizeof *req);
    kompass__v1__request__init(req);
    return req;
}

int kp_cli_error(kp_cli *cli, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = kp_arena_vprintf(cli->arena, fmt, ap);
    va_end(ap);
    if (cli->settings.json) {
        json_t *doc =
            json_pack("{s:{s:s,s:s}}", "error", "status", kp_status_name(status), "message", msg);
        kp_cli_json(cli, doc);
    } else {
        fprintf(stderr, "kompass: %s\n", msg);
    }
    return kp_status_exit_code(status);
}

int kp_cli_usage(kp_cli *cli, const kp_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = kp_arena_vprintf(cli->arena, fmt, ap);
    va_end(ap);
    if (cli->settings.json) {
        json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "status", "USAGE", "message", msg);
        kp_cli_json(cli, doc);
    } else {
        fprintf(stderr, "kompass: %s\n", msg);
        if (cmd) fprintf(stderr, "\n%s", cmd->usage);
    }
    return KP_EXIT_USAGE;
}

void kp_cli_json(kp_cli *cli, json_t *doc)
{
    if (cli->offline_from_us && json_is_object(doc) && !json_object_get(doc, "offline_copy"))
        json_object_set_new(doc, "offline_copy",
                            json_pack("{s:I,s:s}", "version", (json_int_t)cli->offline_version,
                                      "from", kp_cli_time(cli, cli->offline_from_us)));
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        free(text);
    }
    json_decref(doc);
}

/* Attaches the session file's token when it belongs to this server. */
static void s_attach_session(kp_cli *cli, kp_request *req)
{
    cli->session_sent = 0;
    if (req->body_case == KOMPASS__V1__REQUEST__BODY_PING ||
        req->body_case == KOMPASS__V1__REQUEST__BODY_LOGIN)
        return;
    if (req->session_token && *req->session_token) {
        cli->session_sent = 1;
        return;
    }
    kp_cli_session sess;
    char err[512];
    if (kp_cli_session_load(&cli->settings, &sess, err, sizeof err) == 1) {
        if (kp_cli_session_matches(&cli->settings, &sess)) {
            req->session_token = kp_arena_strdup(cli->arena, sess.token);
            cli->session_sent = 1;
        } else {
            cli->session_elsewhere = kp_arena_strdup(cli->arena, sess.server);
        }
    }
    sodium_memzero(&sess, sizeof sess);
}

const char *kp_cli_login(kp_cli *cli)
{
    kp_cli_session sess;
    char err[512];
    const char *login = NULL;
    if (kp_cli_session_load(&cli->settings, &sess, err, sizeof err) == 1 &&
        kp_cli_session_matches(&cli->settings, &sess))
        login = kp_arena_strdup(cli->arena, sess.login);
    sodium_memzero(&sess, sizeof sess);
    return login;
}

int kp_cli_call_quiet(kp_cli *cli, kp_request *req, kp_response **resp, const char **error)
{
    char err[1024];
    *error = "";
    if (!cli->conn) {
        cli->conn = kp_conn_new(&cli->settings, err, sizeof err);
        if (!cli->conn) {
            *error = kp_arena_strdup(cli->arena, err);
            return KP_BAD_REQUEST;
        }
    }
    s_attach_session(cli, req);
    kp_response *r = NULL;
    int status;
    /* Once no server answered, a checked-out evaluation is worked on offline
     * for the rest of the run (without waiting for each request in vain). */
    if (cli->offline && kp_offline_answer(cli, req, resp, &status, error)) return status;
    /* A server that answers UNAVAILABLE (its database away, or busy) is
     * asked again, with the same request_id (a write is not done twice: the
     * server answers a retried write with its first answer), every half
     * second until --timeout has passed; with several endpoints, the next
     * one each time. */
    int64_t give_up = kp_mono_ms() + (int64_t)(cli->settings.timeout * 1000);
    for (;;) {
        int rc = kp_conn_call(cli->conn, cli->arena, req, &r, err, sizeof err);
        if (rc == KP_UNAVAILABLE) {
            cli->offline = 1;
            if (kp_offline_answer(cli, req, resp, &status, error)) return status;
        }
        if (rc != KP_OK) {
            *error = kp_arena_strdup(cli->arena, err);
            return rc;
        }
        if (r->status != KOMPASS__V1__STATUS__UNAVAILABLE || kp_mono_ms() + 500 > give_up) break;
        struct timespec pause = {0, 500 * 1000 * 1000};
        nanosleep(&pause, NULL);
        kp_conn_next(cli->conn);
    }
    if (r->status == KOMPASS__V1__STATUS__UNAVAILABLE) {
        /* answered, but unable to do anything (its database away) */
        cli->offline = 1;
        if (kp_offline_answer(cli, req, resp, &status, error)) return status;
    }
    *resp = r;
    if (r->status != KOMPASS__V1__STATUS__OK) {
        *error = r->error && *r->error ? r->error : "(no details)";
        return (int)r->status;
    }
    return KP_OK;
}

int kp_cli_call(kp_cli *cli, kp_request *req, kp_response **resp)
{
    const char *error;
    kp_response *r = NULL;
    int rc = kp_cli_call_quiet(cli, req, &r, &error);
    if (rc == KP_OK) {
        *resp = r;
        return KP_EXIT_OK;
    }
    if (rc == KP_CLI_KEPT_OFFLINE) return rc; /* said so; the command stops */
    if (!r) return kp_cli_error(cli, rc, "%s", error);
    if (rc == KP_UNAUTHENTICATED && !cli->session_sent &&
        req->body_case != KOMPASS__V1__REQUEST__BODY_LOGIN) {
        if (cli->session_elsewhere)
            return kp_cli_error(cli, rc,
                                "%s: %s (your session is for %s, or for another key of the "
                                "server; log in with `kompass login USER`)",
                                kp_status_name(rc), error, cli->session_elsewhere);
        return kp_cli_error(cli, rc, "%s: %s (log in with `kompass login USER`)",
                            kp_status_name(rc), error);
    }
    if (rc == KP_DENIED && strncmp(error, "wrong password", 14) == 0)
        /* A password asked again (sign, passwd): the session goes on. */
        return kp_cli_error(cli, rc, "%s: %s; nothing was changed: run the command again",
                            kp_status_name(rc), error);
    return kp_cli_error(cli, rc, "%s: %s", kp_status_name(rc), error);
}

int kp_cli_send(kp_cli *cli, kp_request *req, kp_response **resp)
{
    const char *error;
    kp_response *r = NULL;
    int rc = kp_cli_call_quiet(cli, req, &r, &error);
    if (rc == KP_CLI_KEPT_OFFLINE) return rc;
    if (!r) return kp_cli_error(cli, rc, "%s", error);
    *resp = r;
    return KP_EXIT_OK;
}

int kp_cli_fail(kp_cli *cli, const kp_response *r)
{
    return kp_cli_error(cli, (int)r->status, "%s: %s", kp_status_name((int)r->status),
                        r->error && *r->error ? r->error : "(no details)");
}

int kp_cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

const char *kp_cli_time(kp_cli *cli, int64_t us)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return kp_arena_printf(cli->arena, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void kp_cli_cell(const char *text, int width)
{
    int chars = 0;
    const char *p = text;
    const char *cut = NULL;
    for (; *p; p++) {
        if (((unsigned char)*p & 0xC0) == 0x80) continue;
        if (width > 0 && chars == width - 1) cut = p;
        chars++;
    }
    if (width > 0 && chars > width) {
        fwrite(text, 1, (size_t)(cut - text), stdout);
        fputs("…", stdout);
        return;
    }
    fputs(text, stdout);
    for (int i = chars; i < width; i++)
        fputc(' ', stdout);
}

const char *kp_cli_words(kp_cli *cli, const char *text, int width)
{
    size_t len = strlen(text);
    char *flat = kp_arena_alloc(cli->arena, len + 1);
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        int space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f';
        if (!space)
            flat[n++] = *p;
        else if (n && flat[n - 1] != ' ')
            flat[n++] = ' ';
    }
    while (n && flat[n - 1] == ' ')
        n--;
    flat[n] = '\0';
    /* where the width-th character would start; the last space before it */
    int chars = 0;
    size_t cut = n, last_space = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)flat[i] & 0xC0) == 0x80) continue;
        if (chars == width - 1) cut = i; /* room for the ellipsis */
        if (flat[i] == ' ' && chars < width) last_space = i;
        chars++;
    }
    if (width <= 0 || chars <= width) return flat;
    size_t at = last_space > 0 && last_space <= cut ? last_space : cut;
    return kp_arena_printf(cli->arena, "%.*s…", (int)at, flat);
}

const char *kp_cli_role_name(int role)
{
    const char *name = kp_role_name(role);
    return name ? name : "?";
}

json_t *kp_cli_user_json(kp_cli *cli, const Kompass__V1__User *u)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:o}", "login", u->login, "full_name", u->full_name,
                     "organisation", u->organisation, "role", kp_cli_role_name(u->role), "active",
                     u->active, "created", kp_cli_time(cli, u->created_us), "last_login",
                     u->last_login_us ? json_string(kp_cli_time(cli, u->last_login_us))
                                      : json_null());
}

const kp_command *kp_cli_find_command(const char *name)
{
    for (const kp_command *const *c = kp_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0) return *c;
    return NULL;
}
