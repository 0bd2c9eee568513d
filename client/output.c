/*  output: printing results and errors, for people and for scripts. */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "status.h"

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
    (void)cli;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        free(text);
    }
    json_decref(doc);
}

int kp_cli_send(kp_cli *cli, kp_request *req, kp_response **resp)
{
    char err[512];
    if (!cli->conn) {
        cli->conn = kp_conn_new(&cli->settings, err, sizeof err);
        if (!cli->conn) return kp_cli_error(cli, KP_BAD_REQUEST, "%s", err);
    }
    int rc = kp_conn_call(cli->conn, cli->arena, req, resp, err, sizeof err);
    if (rc != KP_OK) return kp_cli_error(cli, rc, "%s", err);
    return KP_EXIT_OK;
}

int kp_cli_fail(kp_cli *cli, const kp_response *r)
{
    return kp_cli_error(cli, (int)r->status, "%s: %s", kp_status_name((int)r->status),
                        r->error && *r->error ? r->error : "(no details)");
}

int kp_cli_call(kp_cli *cli, kp_request *req, kp_response **resp)
{
    char err[512];
    if (!cli->conn) {
        cli->conn = kp_conn_new(&cli->settings, err, sizeof err);
        if (!cli->conn) return kp_cli_error(cli, KP_BAD_REQUEST, "%s", err);
    }
    kp_response *r = NULL;
    int rc = kp_conn_call(cli->conn, cli->arena, req, &r, err, sizeof err);
    if (rc != KP_OK) return kp_cli_error(cli, rc, "%s", err);
    if (r->status != KOMPASS__V1__STATUS__OK)
        return kp_cli_error(cli, (int)r->status, "%s: %s", kp_status_name((int)r->status),
                            r->error && *r->error ? r->error : "(no details)");
    *resp = r;
    return KP_EXIT_OK;
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
