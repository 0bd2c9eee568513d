/*  rpc_ping: Ping, the liveness and version check.
 *
 *  Needs no session. Reports the database as reachable only if a statement
 *  actually ran, so a client can tell "server up, database down" apart.
 */
#include "db.h"
#include "rpc.h"
#include "util.h"

const kp_stmt kp_ping_stmts[] = {
    {"ping_db", "SELECT 1"},
    {NULL, NULL},
};

int kp_rpc_ping(kp_req *r)
{
    Kompass__V1__PingResponse *p = kp_arena_alloc(r->arena, sizeof *p);
    kompass__v1__ping_response__init(p);
    p->server_version = KOMPASS_VERSION;
    p->protocol_version = KP_PROTOCOL_VERSION;
    p->server_time_us = kp_now_us();
    p->instance = (char *)r->server->instance;
    p->publish_endpoint = (char *)(r->server->publish ? r->server->publish : "");
    p->database_reachable = kp_req_call(r, "ping_db", 0, NULL, NULL) == KP_OK;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_PING;
    r->resp->ping = p;
    return KP_OK;
}
