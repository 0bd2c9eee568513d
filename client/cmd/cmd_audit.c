/*  cmd_audit: kompass audit — the history of a chain, its verification, and
 *  its export (docs/audit.md).
 *
 *    kompass audit [EVAL] [--since TIME] [--actor LOGIN] [--action NAME] [--json]
 *    kompass audit verify [EVAL]
 *    kompass audit export EVAL --format csv|json
 *
 *  EVAL is an evaluation's number or `global`. Everything shown comes from
 *  AuditList pages, fetched until the server says there are no more; an
 *  export holds every stored field, so it can be verified without Kompass
 *  (docs/audit_verify.py).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "util.h"

#define PAGE 1000

const char kp_audit_usage[] =
    "usage: kompass audit [EVAL] [--since TIME] [--actor LOGIN] [--action NAME] [--json]\n"
    "       kompass audit verify [EVAL]\n"
    "       kompass audit export EVAL --format csv|json\n"
    "\n"
    "The audit trail: who changed what, when, from which value to which, and why.\n"
    "EVAL is an evaluation's number, or `global` for administrative actions\n"
    "(the default when listing).\n"
    "\n"
    "  kompass audit EVAL       the chain's history, oldest first, old -> new values\n"
    "    --since TIME           only events at or after TIME (UTC: 2026-11-26 or\n"
    "                           2026-11-26T17:48:24Z)\n"
    "    --actor LOGIN          only events made by LOGIN (or by LOGIN for another)\n"
    "    --action NAME          only events of this action (user.add, ...)\n"
    "    --json                 every field of every event, as one JSON document\n"
    "  kompass audit verify     recomputes every chain's hashes (EVAL: just that\n"
    "                           chain); exit 0 when all match, 1 naming the first\n"
    "                           event of a chain that does not\n"
    "  kompass audit export     the whole chain with every stored field, for\n"
    "                           archiving or checking with docs/audit_verify.py\n"
    "\n"
    "Administrators read every chain; team members their evaluation's chain.\n";

/* Parses EVAL: "global" is 0, else a positive number. 0 or -1. */
static int s_parse_eval(const char *text, int64_t *out)
{
    if (strcmp(text, "global") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || v <= 0) return -1;
    *out = v;
    return 0;
}

static const char *s_chain_name(kp_cli *cli, int64_t chain)
{
    return chain == 0 ? "the global chain"
                      : kp_arena_printf(cli->arena, "evaluation %" PRId64, chain);
}

static const char *s_time(kp_cli *cli, int64_t us)
{
    char buf[32];
    kp_format_utc_us(us, buf);
    return kp_arena_strdup(cli->arena, buf);
}

/* Every event of the chain that matches the filters, fetching page after
 * page; 0 with *events and *n, or the exit code of a failure (printed). */
typedef struct {
    int64_t chain;
    int64_t since_us;
    const char *actor;
    const char *action;
} s_filter;

static int s_fetch(kp_cli *cli, const s_filter *f, Kompass__V1__AuditEvent ***events, size_t *n)
{
    size_t cap = 64;
    *n = 0;
    *events = kp_arena_alloc(cli->arena, cap * sizeof **events);
    int64_t after = 0;
    for (;;) {
        kp_request *req = kp_cli_request(cli);
        Kompass__V1__AuditListRequest *q = kp_arena_zalloc(cli->arena, sizeof *q);
        kompass__v1__audit_list_request__init(q);
        q->evaluation_id = f->chain;
        q->since_us = f->since_us;
        q->actor = (char *)(f->actor ? f->actor : "");
        q->action = (char *)(f->action ? f->action : "");
        q->after_seq = after;
        q->limit = PAGE;
        req->body_case = KOMPASS__V1__REQUEST__BODY_AUDIT_LIST;
        req->audit_list = q;
        kp_response *resp;
        int rc = kp_cli_call(cli, req, &resp);
        if (rc != KP_EXIT_OK) return rc;
        const Kompass__V1__AuditListResponse *page = resp->audit_list;
        if (!page) return kp_cli_error(cli, KP_INTERNAL, "server answered without a page");
        for (size_t i = 0; i < page->n_events; i++) {
            if (*n == cap) {
                Kompass__V1__AuditEvent **grown =
                    kp_arena_alloc(cli->arena, 2 * cap * sizeof **events);
                memcpy(grown, *events, cap * sizeof **events);
                *events = grown;
                cap *= 2;
            }
            (*events)[(*n)++] = page->events[i];
        }
        if (!page->more || page->n_events == 0) return KP_EXIT_OK;
        after = page->events[page->n_events - 1]->seq;
    }
}

/* One event as a JSON object: every stored field, `at` in the hashed form. */
static json_t *s_event_json(kp_cli *cli, const Kompass__V1__AuditEvent *e)
{
    return json_pack(
        "{s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "id",
        (json_int_t)e->id, "evaluation_id", (json_int_t)e->evaluation_id, "seq", (json_int_t)e->seq,
        "at", s_time(cli, e->at_us), "actor_id", (json_int_t)e->actor_id, "actor", e->actor,
        "real_actor_id", (json_int_t)e->real_actor_id, "real_actor", e->real_actor, "client_addr",
        e->client_addr, "client_key", e->client_key, "action", e->action, "target", e->target,
        "before", e->before, "after", e->after, "reason", e->reason, "eval_version",
        (json_int_t)e->eval_version, "prev_hash", e->prev_hash, "hash", e->hash);
}

static json_t *s_events_json(kp_cli *cli, Kompass__V1__AuditEvent **events, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, s_event_json(cli, events[i]));
    return arr;
}

/* A JSON value for a person: compact, strings as they are. */
static const char *s_show(kp_cli *cli, json_t *v)
{
    if (!v) return "(none)";
    if (json_is_string(v)) return kp_arena_strdup(cli->arena, json_string_value(v));
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    const char *copy = kp_arena_strdup(cli->arena, t ? t : "?");
    free(t);
    return copy;
}

static int s_cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The keys of objects b and a (either may be NULL), sorted, each once, in
 * the arena; *n their number. */
static const char **s_keys(kp_cli *cli, json_t *b, json_t *a, size_t *n)
{
    size_t cap = (b ? json_object_size(b) : 0) + (a ? json_object_size(a) : 0) + 1;
    const char **keys = kp_arena_alloc(cli->arena, cap * sizeof *keys);
    size_t k = 0;
    const char *key;
    json_t *v;
    if (b) {
        json_object_foreach(b, key, v)
        {
            keys[k++] = key;
        }
    }
    if (a) {
        json_object_foreach(a, key, v)
        {
            if (!b || !json_object_get(b, key)) keys[k++] = key;
        }
    }
    qsort(keys, k, sizeof *keys, s_cmp_str);
    *n = k;
    return keys;
}

/* The change old -> new: one line per field that differs when both are
 * objects (or one is absent), else one line for the whole value. */
static void s_print_change(kp_cli *cli, const char *before, const char *after)
{
    json_t *b = *before ? json_loads(before, JSON_DECODE_ANY, NULL) : NULL;
    json_t *a = *after ? json_loads(after, JSON_DECODE_ANY, NULL) : NULL;
    if ((a || b) && (!b || json_is_object(b)) && (!a || json_is_object(a))) {
        size_t n, width = 0;
        const char **keys = s_keys(cli, b, a, &n);
        for (size_t i = 0; i < n; i++)
            if (strlen(keys[i]) > width) width = strlen(keys[i]);
        for (size_t i = 0; i < n; i++) {
            json_t *was = b ? json_object_get(b, keys[i]) : NULL;
            json_t *now = a ? json_object_get(a, keys[i]) : NULL;
            if (was && now && json_equal(was, now)) continue;
            printf("      %-*s  %s -> %s\n", (int)width, keys[i], s_show(cli, was),
                   s_show(cli, now));
        }
    } else if (a || b) {
        printf("      %s -> %s\n", s_show(cli, b), s_show(cli, a));
    }
    json_decref(a);
    json_decref(b);
}

static int s_list(kp_cli *cli, int argc, char **argv)
{
    s_filter f = {0};
    kp_opt opts[] = {{"since", 1, NULL}, {"actor", 1, NULL}, {"action", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    int n_pos;
    int rc = kp_args_parse(cli, &kp_audit_command, argc, argv, 1, opts, pos, 0, 1, &n_pos);
    if (rc != 0) return rc;
    const char *since = kp_args_get(opts, "since");
    if (since && kp_parse_utc(since, &f.since_us) != 0)
        return kp_cli_usage(cli, NULL,
                            "--since: '%s' is not a UTC time (2026-11-26 or "
                            "2026-11-26T17:48:24Z)",
                            since);
    f.actor = kp_args_get(opts, "actor");
    f.action = kp_args_get(opts, "action");
    if (n_pos && s_parse_eval(pos[0], &f.chain) != 0)
        return kp_cli_usage(cli, NULL, "audit: '%s' is not an evaluation number or 'global'",
                            pos[0]);
    Kompass__V1__AuditEvent **events;
    size_t n;
    rc = s_fetch(cli, &f, &events, &n);
    if (rc != KP_EXIT_OK) return rc;

    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:I,s:o}", "evaluation_id", (json_int_t)f.chain, "events",
                                   s_events_json(cli, events, n)));
        return KP_EXIT_OK;
    }
    int filtered = f.since_us || f.actor || f.action;
    printf("%s: %zu %sevent%s\n", s_chain_name(cli, f.chain), n, filtered ? "matching " : "",
           n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        const Kompass__V1__AuditEvent *e = events[i];
        char at[32];
        kp_format_utc_us(e->at_us, at);
        at[19] = '\0'; /* to the second, for a person */
        at[10] = ' ';
        const char *who = *e->real_actor
                              ? kp_arena_printf(cli->arena, "%s (by %s)", e->actor, e->real_actor)
                              : (*e->actor ? e->actor : "kompassd");
        printf("\n#%-4" PRId64 " %sZ  %s  %s  %s", e->seq, at, who, e->action, e->target);
        if (e->eval_version) printf("  [version %" PRId64 "]", e->eval_version);
        printf("\n");
        s_print_change(cli, e->before, e->after);
        if (*e->reason) printf("      reason: %s\n", e->reason);
    }
    return KP_EXIT_OK;
}

static int s_verify(kp_cli *cli, int argc, char **argv)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__AuditVerifyRequest *q = kp_arena_zalloc(cli->arena, sizeof *q);
    kompass__v1__audit_verify_request__init(q);
    q->all = 1;
    const char *pos[1];
    int n_pos;
    int rc = kp_args_parse(cli, &kp_audit_command, argc, argv, 2, NULL, pos, 0, 1, &n_pos);
    if (rc != 0) return rc;
    if (n_pos) {
        if (s_parse_eval(pos[0], &q->evaluation_id) != 0)
            return kp_cli_usage(
                cli, NULL, "audit verify: '%s' is not an evaluation number or 'global'", pos[0]);
        q->all = 0;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_AUDIT_VERIFY;
    req->audit_verify = q;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__AuditVerifyResponse *v = resp->audit_verify;
    if (!v) return kp_cli_error(cli, KP_INTERNAL, "server answered without a verification");

    if (cli->settings.json) {
        json_t *chains = json_array();
        for (size_t i = 0; i < v->n_chains; i++) {
            const Kompass__V1__AuditChainReport *c = v->chains[i];
            json_t *o =
                json_pack("{s:I,s:b,s:I,s:I,s:s}", "evaluation_id", (json_int_t)c->evaluation_id,
                          "ok", c->ok, "events", (json_int_t)c->events, "head_seq",
                          (json_int_t)c->head_seq, "head_hash", c->head_hash);
            if (!c->ok)
                json_object_set_new(o, "first_mismatch",
                                    json_pack("{s:I,s:I,s:s,s:s}", "id", (json_int_t)c->bad_id,
                                              "seq", (json_int_t)c->bad_seq, "at",
                                              s_time(cli, c->bad_at_us), "problem", c->problem));
            json_array_append_new(chains, o);
        }
        kp_cli_json(cli, json_pack("{s:b,s:o}", "ok", v->ok, "chains", chains));
    } else {
        if (v->n_chains == 0) printf("no audit events recorded yet\n");
        for (size_t i = 0; i < v->n_chains; i++) {
            const Kompass__V1__AuditChainReport *c = v->chains[i];
            const char *name = s_chain_name(cli, c->evaluation_id);
            if (c->ok)
                printf("%s: OK, %" PRId64 " event%s, head #%" PRId64 " %s\n", name, c->events,
                       c->events == 1 ? "" : "s", c->head_seq, c->head_hash);
            else
                printf("%s: MISMATCH at event id %" PRId64 " (seq %" PRId64 ", %s): %s\n", name,
                       c->bad_id, c->bad_seq, s_time(cli, c->bad_at_us), c->problem);
        }
    }
    return v->ok ? KP_EXIT_OK : KP_EXIT_ERROR;
}

/* A CSV field, always quoted, quotes doubled (RFC 4180). */
static void s_csv_field(const char *s, int last)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
    fputs(last ? "\r\n" : ",", stdout);
}

static void s_csv_int(int64_t v)
{
    printf("%" PRId64 ",", v);
}

static int s_export(kp_cli *cli, int argc, char **argv)
{
    s_filter f = {0};
    kp_opt opts[] = {{"format", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    int n_pos;
    int rc = kp_args_parse(cli, &kp_audit_command, argc, argv, 2, opts, pos, 0, 1, &n_pos);
    if (rc != 0) return rc;
    const char *format = kp_args_get(opts, "format");
    int have_eval = n_pos == 1;
    if (have_eval && s_parse_eval(pos[0], &f.chain) != 0)
        return kp_cli_usage(cli, NULL, "audit export: '%s' is not an evaluation number or 'global'",
                            pos[0]);
    if (!have_eval)
        return kp_cli_usage(cli, NULL, "audit export: which chain? an evaluation or 'global'");
    if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0))
        return kp_cli_usage(cli, NULL, "audit export: --format csv or --format json");
    Kompass__V1__AuditEvent **events;
    size_t n;
    rc = s_fetch(cli, &f, &events, &n);
    if (rc != KP_EXIT_OK) return rc;

    if (strcmp(format, "json") == 0) {
        json_t *doc = json_pack("{s:s,s:i,s:I,s:s,s:o}", "format", "kompass-audit-export",
                                "version", 1, "evaluation_id", (json_int_t)f.chain, "exported_at",
                                s_time(cli, kp_now_us()), "events", s_events_json(cli, events, n));
        char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!text) return kp_cli_error(cli, KP_INTERNAL, "out of memory");
        fputs(text, stdout);
        fputc('\n', stdout);
        free(text);
        return KP_EXIT_OK;
    }
    fputs("id,evaluation_id,seq,at,actor_id,actor,real_actor_id,real_actor,client_addr,"
          "client_key,action,target,before,after,reason,eval_version,prev_hash,hash\r\n",
          stdout);
    for (size_t i = 0; i < n; i++) {
        const Kompass__V1__AuditEvent *e = events[i];
        s_csv_int(e->id);
        s_csv_int(e->evaluation_id);
        s_csv_int(e->seq);
        s_csv_field(s_time(cli, e->at_us), 0);
        s_csv_int(e->actor_id);
        s_csv_field(e->actor, 0);
        s_csv_int(e->real_actor_id);
        s_csv_field(e->real_actor, 0);
        s_csv_field(e->client_addr, 0);
        s_csv_field(e->client_key, 0);
        s_csv_field(e->action, 0);
        s_csv_field(e->target, 0);
        s_csv_field(e->before, 0);
        s_csv_field(e->after, 0);
        s_csv_field(e->reason, 0);
        s_csv_int(e->eval_version);
        s_csv_field(e->prev_hash, 0);
        s_csv_field(e->hash, 1);
    }
    return KP_EXIT_OK;
}

int kp_cmd_audit(kp_cli *cli, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "verify") == 0) return s_verify(cli, argc, argv);
    if (argc > 1 && strcmp(argv[1], "export") == 0) return s_export(cli, argc, argv);
    return s_list(cli, argc, argv);
}

/* ---------------------------------------------------------------- the command */

const kp_command kp_audit_command = {"audit", kp_cmd_audit,
                                     "the audit trail: history, verify, export", kp_audit_usage};
