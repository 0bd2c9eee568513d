/*  cmd_watch: `kompass watch ID`, live changes of an evaluation.
 *
 *  ZeroMQ's Clone pattern, with the values fetched through the request
 *  socket so that the server applies the watcher's rights (blind scoring):
 *    1. subscribe to "eval/<id>" on the server's PUB socket;
 *    2. take a snapshot (EvalSnapshot): the state and its version V;
 *    3. on each Update past V, and every --poll seconds in any case, fetch
 *       the changes after V (EvalChanges), print them, apply them; if a
 *       version is skipped, take a fresh snapshot.
 *  An update lost on the way (a restart, a dropped link) costs at most one
 *  poll interval; the watcher's state always converges to the server's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "args.h"
#include "curve.h"
#include "points.h"
#include "util.h"

const kp_command kp_watch_command = {
    "watch", kp_cmd_watch, "print an evaluation's changes as they happen",
    "usage: kompass watch ID [--since VERSION] [--count N] [--poll SECONDS] [--state FILE]\n"
    "                        [--updates ENDPOINT]\n"
    "       kompass watch ID --snapshot\n"
    "\n"
    "Prints each change (time, who, what, old -> new) until interrupted (Ctrl-C),\n"
    "from now on, or from after VERSION with --since (what happened meanwhile),\n"
    "or until N changes with --count. Values you may not see (others' scores during\n"
    "blind scoring) are shown as hidden. With --json, one JSON object per line: first\n"
    "{\"watching\": ID, \"version\": V}, then one per change.\n"
    "--state FILE writes the watcher's copy of the evaluation (versions, scores,\n"
    "texts) when it stops; --snapshot prints the server's copy in the same form.\n"
    "--updates: the server's update endpoint (default: the one it announces).\n"};

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct {
    int64_t version;
    json_t *scores; /* "3.2/ewa" -> "12.5" */
    json_t *texts;  /* "3/summary" -> "..." or [...] */
} replica;

static void s_replica_reset(replica *r)
{
    json_decref(r->scores);
    json_decref(r->texts);
    r->scores = json_object();
    r->texts = json_object();
    r->version = 0;
}

static json_t *s_replica_json(const replica *r)
{
    return json_pack("{s:I,s:O,s:O}", "version", (json_int_t)r->version, "scores", r->scores,
                     "texts", r->texts);
}

static int s_snapshot(kp_cli *cli, int64_t id, replica *rep)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalSnapshotRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_snapshot_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SNAPSHOT;
    req->eval_snapshot = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalSnapshotResponse *s = resp->eval_snapshot;
    s_replica_reset(rep);
    rep->version = s->version;
    for (size_t i = 0; i < s->n_scores; i++) {
        char b1[24];
        const Kompass__V1__Score *sc = s->scores[i];
        json_object_set_new(rep->scores,
                            kp_arena_printf(cli->arena, "%s/%s", sc->question, sc->evaluator),
                            json_string(kp_points_format(sc->points_centi, b1)));
    }
    for (size_t i = 0; i < s->n_texts; i++) {
        const Kompass__V1__AreaText *t = s->texts[i];
        if (!t->version) continue;
        json_t *v;
        if (strcmp(t->section, "summary") == 0) {
            v = json_string(t->summary);
        } else {
            v = json_array();
            for (size_t k = 0; k < t->n_items; k++)
                json_array_append_new(v, json_string(t->items[k]));
        }
        json_object_set_new(rep->texts, kp_arena_printf(cli->arena, "%d/%s", t->area, t->section),
                            v);
    }
    return 0;
}

/* "old -> new" for a person, from a change's JSON values. */
static const char *s_values(kp_cli *cli, const Kompass__V1__Change *c)
{
    if (c->hidden) return "(values hidden: blind scoring)";
    if (strcmp(c->action, "score.set") == 0) {
        json_t *b = json_loads(c->before, 0, NULL), *a = json_loads(c->after, 0, NULL);
        json_t *as = json_object_get(a, "scores"), *bs = json_object_get(b, "scores");
        const char *out = "";
        const char *q;
        json_t *v;
        json_object_foreach(as, q, v)
        {
            const char *old = json_string_value(json_object_get(json_object_get(bs, q), "points"));
            out = kp_arena_printf(cli->arena, "%s%s%s: %s -> %s", out, *out ? ", " : "", q,
                                  old ? old : "-", json_string_value(json_object_get(v, "points")));
        }
        json_decref(a);
        json_decref(b);
        return out;
    }
    if (strncmp(c->action, "comment.", 8) == 0) { /* the consensus meeting's threads */
        json_t *a = json_loads(c->after, 0, NULL);
        const char *text = json_string_value(json_object_get(a, "text"));
        const char *thread = json_string_value(json_object_get(a, "thread"));
        const char *out =
            text ? kp_arena_printf(cli->arena, "\"%s\" (thread %s)", kp_cli_words(cli, text, 60),
                                   thread ? thread : "open")
                 : kp_arena_printf(cli->arena, "thread %s", thread ? thread : "?");
        json_decref(a);
        return out;
    }
    const char *before = *c->before ? c->before : "-";
    const char *after = *c->after ? c->after : "-";
    if (strlen(before) > 60) before = kp_arena_printf(cli->arena, "%.57s...", before);
    if (strlen(after) > 60) after = kp_arena_printf(cli->arena, "%.57s...", after);
    return kp_arena_printf(cli->arena, "%s -> %s", before, after);
}

/* Applies a change's values to the replica. */
static void s_apply(kp_cli *cli, replica *rep, const Kompass__V1__Change *c)
{
    rep->version = c->version;
    if (c->hidden) return;
    if (strcmp(c->action, "score.set") == 0) {
        json_t *a = json_loads(c->after, 0, NULL);
        const char *evaluator = json_string_value(json_object_get(a, "evaluator"));
        const char *q;
        json_t *v;
        json_object_foreach(json_object_get(a, "scores"), q, v)
        {
            json_object_set(rep->scores, kp_arena_printf(cli->arena, "%s/%s", q, evaluator),
                            json_object_get(v, "points"));
        }
        json_decref(a);
    } else if (strcmp(c->action, "text.save") == 0) {
        int area;
        char section[32];
        if (sscanf(c->target, "text of area %d %31s", &area, section) == 2)
            json_object_set_new(rep->texts, kp_arena_printf(cli->arena, "%d/%s", area, section),
                                json_loads(c->after, JSON_DECODE_ANY, NULL));
    }
}

static void s_print(kp_cli *cli, const Kompass__V1__Change *c)
{
    if (cli->settings.json) {
        json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b}", "version", (json_int_t)c->version, "at",
                              kp_cli_time(cli, c->at_us), "actor", c->actor, "action", c->action,
                              "target", c->target, "hidden", c->hidden);
        if (!c->hidden) {
            json_object_set_new(o, "before",
                                *c->before ? json_loads(c->before, JSON_DECODE_ANY, NULL)
                                           : json_null());
            json_object_set_new(
                o, "after", *c->after ? json_loads(c->after, JSON_DECODE_ANY, NULL) : json_null());
        }
        if (*c->reason) json_object_set_new(o, "reason", json_string(c->reason));
        char *line = json_dumps(o, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(o);
    } else {
        printf("%s  v%-5lld %-10s %-12s %s: %s%s%s\n", kp_cli_time(cli, c->at_us),
               (long long)c->version, c->actor, c->action, c->target, s_values(cli, c),
               *c->reason ? "  reason: " : "", c->reason);
    }
    fflush(stdout);
}

/* Fetches and prints the changes after rep->version. Returns the exit code
 * of a failure, else 0; *count is decreased per change printed. */
static int s_catch_up(kp_cli *cli, int64_t id, replica *rep, long *left)
{
    for (;;) {
        kp_arena_reset(cli->arena);
        kp_request *req = kp_cli_request(cli);
        Kompass__V1__EvalChangesRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
        kompass__v1__eval_changes_request__init(b);
        b->evaluation_id = id;
        b->since_version = rep->version;
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_CHANGES;
        req->eval_changes = b;
        kp_response *resp;
        int rc = kp_cli_call(cli, req, &resp);
        if (rc) return rc;
        const Kompass__V1__EvalChangesResponse *l = resp->eval_changes;
        for (size_t i = 0; i < l->n_changes; i++) {
            const Kompass__V1__Change *c = l->changes[i];
            if (c->version != rep->version + 1) {
                /* A version skipped: start again from a snapshot. */
                if (!cli->settings.json)
                    fprintf(stderr, "kompass: missed changes %lld..%lld; taking a snapshot\n",
                            (long long)rep->version + 1, (long long)c->version - 1);
                return s_snapshot(cli, id, rep);
            }
            s_print(cli, c);
            s_apply(cli, rep, c);
            if (*left > 0 && --*left == 0) return 0;
        }
        if (l->n_changes == 0 || rep->version >= l->version) return 0;
    }
}

int kp_cmd_watch(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_watch_command;
    kp_opt opts[] = {{"count", 1, NULL},
                     {"poll", 1, NULL},
                     {"state", 1, NULL},
                     {"updates", 1, NULL},
                     {"snapshot", 0, NULL},
                     {"since", 1, NULL},
                     {0}};
    const char *pos[1];
    int n;
    int64_t id, count = 0, poll_s = 5;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (kp_args_get(opts, "count") &&
        (rc = kp_args_id(cli, cmd, "--count", kp_args_get(opts, "count"), &count)))
        return rc;
    if (kp_args_get(opts, "poll") &&
        (rc = kp_args_id(cli, cmd, "--poll", kp_args_get(opts, "poll"), &poll_s)))
        return rc;
    replica rep = {0};
    s_replica_reset(&rep);
    int since = 0;
    long left = (long)count;
    if (kp_args_get(opts, "snapshot")) {
        rc = s_snapshot(cli, id, &rep);
        if (rc == 0) kp_cli_json(cli, s_replica_json(&rep));
        s_replica_reset(&rep);
        json_decref(rep.scores);
        json_decref(rep.texts);
        return rc;
    }

    /* Where updates come from: as given, or the server's announced port on
     * the host we already talk to. */
    const char *updates = kp_args_get(opts, "updates");
    char *updates_copy = NULL;
    void *zctx = NULL, *sub = NULL;
    if (kp_args_get(opts, "since")) {
        char *end;
        rep.version = strtoll(kp_args_get(opts, "since"), &end, 10);
        if (*end || rep.version < 0) {
            rc = kp_cli_usage(cli, cmd, "--since must be a version number, not '%s'",
                              kp_args_get(opts, "since"));
            goto out;
        }
        if (kp_args_get(opts, "state")) {
            rc = kp_cli_usage(cli, cmd, "--state needs the whole state: not with --since");
            goto out;
        }
        since = 1;
    }
    if (!updates) {
        kp_request *req = kp_cli_request(cli);
        Kompass__V1__PingRequest *p = kp_arena_alloc(cli->arena, sizeof *p);
        kompass__v1__ping_request__init(p);
        req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
        req->ping = p;
        kp_response *resp;
        if ((rc = kp_cli_call(cli, req, &resp))) goto out;
        const char *pub = resp->ping->publish_endpoint;
        const char *port = strrchr(pub, ':');
        const char *server = cli->settings.server;
        const char *colon = strrchr(server, ':');
        if (!port || !colon) {
            rc = kp_cli_error(cli, KP_BAD_REQUEST,
                              "cannot tell the update endpoint; give --updates ENDPOINT");
            goto out;
        }
        updates = kp_arena_printf(cli->arena, "%.*s%s", (int)(colon - server), server, port);
    }
    updates_copy = strdup(updates);
    zctx = zmq_ctx_new();
    sub = zmq_socket(zctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    char err[512];
    if (!cli->settings.insecure &&
        kp_curve_client_apply(sub, cli->settings.server_key, err, sizeof err) != 0) {
        rc = kp_cli_error(cli, KP_BAD_REQUEST, "%s", err);
        goto out;
    }
    char topic[40];
    int tlen = snprintf(topic, sizeof topic, "eval/%lld", (long long)id);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, (size_t)tlen);
    if (zmq_connect(sub, updates_copy) != 0) {
        rc = kp_cli_error(cli, KP_BAD_REQUEST, "invalid update endpoint %s", updates_copy);
        goto out;
    }
    if (!since && (rc = s_snapshot(cli, id, &rep))) goto out;
    if (since && (rc = s_catch_up(cli, id, &rep, &left))) goto out;
    if (!cli->settings.json)
        printf("watching evaluation %lld from version %lld (Ctrl-C to stop)\n", (long long)id,
               (long long)rep.version);
    else
        printf("{\"watching\":%lld,\"version\":%lld}\n", (long long)id, (long long)rep.version);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t next_poll = kp_mono_ms() + poll_s * 1000;
    while (!s_stop && !(count && left == 0)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        int64_t wait = next_poll - kp_mono_ms();
        int pr = zmq_poll(&it, 1, wait > 0 ? (long)wait : 0);
        if (pr < 0 && errno == EINTR) continue;
        int due = kp_mono_ms() >= next_poll;
        if (pr > 0) {
            char t[64];
            int tl = zmq_recv(sub, t, sizeof t - 1, 0);
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, sub, 0);
            Kompass__V1__Update *u = NULL;
            if (tl == tlen && memcmp(t, topic, (size_t)tlen) == 0)
                u = kompass__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            zmq_msg_close(&m);
            if (u && u->version > rep.version) due = 1;
            if (u) kompass__v1__update__free_unpacked(u, NULL);
        }
        if (due) {
            if ((rc = s_catch_up(cli, id, &rep, &left))) goto out;
            next_poll = kp_mono_ms() + poll_s * 1000;
        }
    }
    rc = 0;
out:
    if (kp_args_get(opts, "state")) {
        json_t *st = s_replica_json(&rep);
        if (json_dump_file(st, kp_args_get(opts, "state"), JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
            rc = kp_cli_error(cli, KP_BAD_REQUEST, "cannot write %s", kp_args_get(opts, "state"));
        json_decref(st);
    }
    json_decref(rep.scores);
    json_decref(rep.texts);
    if (sub) zmq_close(sub);
    if (zctx) zmq_ctx_term(zctx);
    free(updates_copy);
    return rc;
}
