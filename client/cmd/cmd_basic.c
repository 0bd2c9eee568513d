/*  cmd_basic: ping and version. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int kp_cmd_ping(kp_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) return kp_cli_usage(cli, NULL, "ping takes no arguments");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__PingRequest *p = kp_arena_zalloc(cli->arena, sizeof *p);
    kompass__v1__ping_request__init(p);
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = p;

    int64_t t0 = kp_now_us();
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    double rtt_ms = (double)(kp_now_us() - t0) / 1000.0;
    const Kompass__V1__PingResponse *pr = resp->ping;
    if (!pr) return kp_cli_error(cli, KP_INTERNAL, "server answered ping without a ping body");

    if (cli->settings.json) {
        kp_cli_json(cli,
                    json_pack("{s:s,s:s,s:i,s:s,s:b,s:s,s:f}", "server",
                              kp_conn_endpoint(cli->conn), "server_version", pr->server_version,
                              "protocol_version", (int)pr->protocol_version, "server_time",
                              kp_cli_time(cli, pr->server_time_us), "database_reachable",
                              pr->database_reachable, "instance", pr->instance, "round_trip_ms",
                              rtt_ms));
    } else {
        printf("kompassd %s at %s (protocol %u, instance %s)\n", pr->server_version,
               kp_conn_endpoint(cli->conn), pr->protocol_version, pr->instance);
        printf("server time  %s\n", kp_cli_time(cli, pr->server_time_us));
        printf("database     %s\n", pr->database_reachable ? "reachable" : "NOT reachable");
        printf("round trip   %.1f ms\n", rtt_ms);
    }
    return pr->database_reachable ? KP_EXIT_OK : KP_EXIT_UNAVAILABLE;
}

int kp_cmd_version(kp_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) return kp_cli_usage(cli, NULL, "version takes no arguments");
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:s,s:i}", "client_version", KOMPASS_VERSION,
                                   "protocol_version", KP_PROTOCOL_VERSION));
    else
        printf("kompass %s (protocol %d)\n", KOMPASS_VERSION, KP_PROTOCOL_VERSION);
    return KP_EXIT_OK;
}

/* ---------------------------------------------------------------- the commands */

const kp_command kp_version_command = {
    "version", kp_cmd_version, "print the client's version",
    "usage: kompass version\n\nPrints the client's version and protocol version.\n"};
const kp_command kp_ping_command = {
    "ping", kp_cmd_ping, "check that the server and its database answer",
    "usage: kompass ping\n\n"
    "Asks the server for its version and time, and whether its database is\n"
    "reachable. Exit 0 when both answer, 6 when the server or its database does\n"
    "not (within --timeout).\n"};
