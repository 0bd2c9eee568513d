/*  cmd_watch: `kompass watch ID`, live changes of an evaluation.
 *
 *  ZeroMQ's Clone pattern over the one request connection, with the values
 *  fetched through requests so that the server applies the watcher's
 *  rights (blind scoring):
 *    1. Subscribe to the evaluation on the connection: the server pushes an
 *       Update for each change it may see (and for its section locks);
 *    2. take a snapshot (EvalSnapshot): the state and its version V;
 *    3. on each Update past V, and every --poll seconds in any case (which
 *       also renews the subscription), fetch the changes after V
 *       (EvalChanges), print them, apply them; if a version is skipped,
 *       take a fresh snapshot.
 *  When the server goes away (the connection drops, or a request gets no
 *  answer) it says so on stderr and keeps trying, on each endpoint of
 *  --server in turn; once one answers it subscribes again and goes on after
 *  the last version it printed: no gap, no repeat. It stops on Ctrl-C, after
 *  --count changes, or on a permanent error (the session ended, no longer
 *  on the team, not found).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "args.h"
#include "conn.h"
#include "points.h"
#include "status.h"
#include "util.h"
#include "worddiff.h"

const kp_command kp_watch_command = {
    "watch", kp_cmd_watch, "print an evaluation's changes as they happen",
    "usage: kompass watch ID [--since VERSION] [--count N] [--poll SECONDS] [--state FILE]\n"
    "       kompass watch ID --snapshot\n"
    "\n"
    "Prints each change (time, who, what, old -> new; for a text, the words that\n"
    "changed: [-removed-] {+added+}) until interrupted (Ctrl-C), from now on, or\n"
    "from after VERSION with --since (what happened meanwhile), or until N\n"
    "changes with --count; and who takes and releases a section's lock. Values\n"
    "you may not see (others' scores during blind scoring) are shown as hidden.\n"
    "When the server goes away it says so and reconnects by itself, then goes\n"
    "on after the last change it printed. With --json, one JSON object per line:\n"
    "first {\"watching\": ID, \"version\": V}, then one per change (and per lock).\n"
    "--poll: how often to check in any case (default 5 s).\n"
    "--state FILE writes the watcher's copy of the evaluation (versions, scores,\n"
    "texts) when it stops; --snapshot prints the server's copy in the same form.\n"};

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

/* A call that may meet an outage: 0 with *resp; -1 when no server answered
 * or it answered UNAVAILABLE (*why says what happened: try again later);
 * else the exit code of a permanent failure, printed. */
static int s_call(kp_cli *cli, kp_request *req, kp_response **resp, const char **why)
{
    kp_response *r = NULL;
    const char *error = "";
    int rc = kp_cli_call_quiet(cli, req, &r, &error);
    *why = error;
    if (rc == KP_OK) {
        *resp = r;
        return 0;
    }
    if (rc == KP_UNAVAILABLE) return -1;
    return kp_cli_error(cli, rc, "%s: %s", kp_status_name(rc), error);
}

static int s_snapshot(kp_cli *cli, int64_t id, replica *rep, const char **why)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalSnapshotRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_snapshot_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SNAPSHOT;
    req->eval_snapshot = b;
    kp_response *resp = NULL;
    int rc = s_call(cli, req, &resp, why);
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
    if (strcmp(c->action, "text.save") == 0) { /* the words that changed */
        json_t *b = json_loads(*c->before ? c->before : "\"\"", JSON_DECODE_ANY, NULL);
        json_t *a = json_loads(*c->after ? c->after : "\"\"", JSON_DECODE_ANY, NULL);
        const char *out = NULL;
        if (json_is_string(a) && (json_is_string(b) || json_is_null(b) || !b)) {
            out =
                kp_worddiff(cli->arena, b ? json_string_value(b) : "", json_string_value(a), 3, 40);
        } else if (json_is_array(a) && (json_is_array(b) || json_is_string(b))) {
            size_t nb = json_is_array(b) ? json_array_size(b) : 0, na = json_array_size(a);
            const char **bi = kp_arena_alloc(cli->arena, sizeof *bi * (nb + 1));
            const char **ai = kp_arena_alloc(cli->arena, sizeof *ai * (na + 1));
            for (size_t i = 0; i < nb; i++)
                bi[i] = kp_arena_strdup(cli->arena, json_string_value(json_array_get(b, i))
                                                        ? json_string_value(json_array_get(b, i))
                                                        : "");
            for (size_t i = 0; i < na; i++)
                ai[i] = kp_arena_strdup(cli->arena, json_string_value(json_array_get(a, i))
                                                        ? json_string_value(json_array_get(a, i))
                                                        : "");
            out = kp_worddiff_items(cli->arena, bi, nb, ai, na, 40);
        }
        json_decref(a);
        json_decref(b);
        if (out) return out;
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

/* A lock taken or released, as it happened (renewals are not shown). */
static void s_print_lock(kp_cli *cli, const Kompass__V1__Update *u)
{
    const Kompass__V1__LockInfo *l = u->lock;
    if (!l || strcmp(u->action, "lock.renew") == 0) return;
    int take = strcmp(u->action, "lock.take") == 0;
    if (cli->settings.json) {
        json_t *o =
            json_pack("{s:s,s:s,s:{s:i,s:s,s:s,s:s}}", "at", kp_cli_time(cli, u->at_us), "action",
                      u->action, "lock", "area", (int)l->area, "section", l->section, "holder",
                      l->holder, "until", kp_cli_time(cli, l->expires_at_us));
        char *line = json_dumps(o, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(o);
    } else {
        printf("%s  %-6s %-10s %-12s area %d %s%s%s\n", kp_cli_time(cli, u->at_us), "lock",
               l->holder, u->action, (int)l->area, l->section, take ? " until " : " released",
               take ? kp_cli_time(cli, l->expires_at_us) : "");
    }
    fflush(stdout);
}

/* Fetches and prints the changes after rep->version: 0, -1 for an outage
 * (*why), or the exit code of a failure. *left is decreased per change. */
static int s_catch_up(kp_cli *cli, int64_t id, replica *rep, long *left, const char **why)
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
        kp_response *resp = NULL;
        int rc = s_call(cli, req, &resp, why);
        if (rc) return rc;
        const Kompass__V1__EvalChangesResponse *l = resp->eval_changes;
        for (size_t i = 0; i < l->n_changes; i++) {
            const Kompass__V1__Change *c = l->changes[i];
            if (c->version <= rep->version) continue; /* never twice */
            if (c->version != rep->version + 1) {
                /* A version skipped: start again from a snapshot. */
                if (!cli->settings.json)
                    fprintf(stderr, "kompass: missed changes %lld..%lld; taking a snapshot\n",
                            (long long)rep->version + 1, (long long)c->version - 1);
                return s_snapshot(cli, id, rep, why);
            }
            s_print(cli, c);
            s_apply(cli, rep, c);
            if (*left > 0 && --*left == 0) return 0;
        }
        if (l->n_changes == 0 || rep->version >= l->version) return 0;
    }
}

/* Subscribes this connection to evaluation id: 0 with *was_subscribed, -1
 * for an outage (*why), or the exit code of a failure. */
static int s_subscribe(kp_cli *cli, int64_t id, int *was_subscribed, const char **why)
{
    kp_arena_reset(cli->arena);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__SubscribeRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__subscribe_request__init(b);
    int64_t *ids = kp_arena_alloc(cli->arena, sizeof *ids);
    ids[0] = id;
    b->n_evaluation_ids = 1;
    b->evaluation_ids = ids;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SUBSCRIBE;
    req->subscribe = b;
    kp_response *resp = NULL;
    int rc = s_call(cli, req, &resp, why);
    if (rc == 0) *was_subscribed = resp->subscribe->was_subscribed;
    return rc;
}

/* Sleeps ms, or less on a signal. */
static void s_pause(int64_t ms)
{
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

int kp_cmd_watch(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_watch_command;
    kp_opt opts[] = {{"count", 1, NULL},    {"poll", 1, NULL},  {"state", 1, NULL},
                     {"snapshot", 0, NULL}, {"since", 1, NULL}, {0}};
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
    const char *why = "";
    if (kp_args_get(opts, "snapshot")) {
        rc = s_snapshot(cli, id, &rep, &why);
        if (rc < 0) rc = kp_cli_error(cli, KP_UNAVAILABLE, "%s", why);
        if (rc == 0) kp_cli_json(cli, s_replica_json(&rep));
        json_decref(rep.scores);
        json_decref(rep.texts);
        return rc;
    }
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

    /* First contact: subscribe, then the state. A server that does not
     * answer now is an error like for any other command. */
    int was = 0;
    rc = s_subscribe(cli, id, &was, &why);
    if (rc == 0)
        rc = since ? s_catch_up(cli, id, &rep, &left, &why) : s_snapshot(cli, id, &rep, &why);
    if (rc < 0) rc = kp_cli_error(cli, KP_UNAVAILABLE, "%s", why);
    if (rc) goto out;
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
    int resync = 0; /* subscribe again, then catch up */
    int lost = 0;   /* in an outage: said so, not yet back */
    while (!s_stop && !(count && left == 0)) {
        if (resync) {
            rc = s_subscribe(cli, id, &was, &why);
            if (rc == 0) rc = s_catch_up(cli, id, &rep, &left, &why);
            if (rc > 0) goto out;
            if (rc < 0) {
                if (!lost)
                    fprintf(stderr,
                            "kompass: lost the server: %s; reconnecting by itself (Ctrl-C to "
                            "stop)\n",
                            why);
                lost = 1;
                s_pause(1000);
                continue;
            }
            if (lost)
                fprintf(stderr, "kompass: reconnected to %s; going on after version %lld\n",
                        kp_conn_endpoint(cli->conn), (long long)rep.version);
            else if (!was)
                fprintf(stderr,
                        "kompass: %s had lost this watch (restarted?); subscribed again, going "
                        "on after version %lld\n",
                        kp_conn_endpoint(cli->conn), (long long)rep.version);
            fflush(stderr);
            lost = resync = 0;
            next_poll = kp_mono_ms() + poll_s * 1000;
            continue;
        }
        int64_t wait = next_poll - kp_mono_ms();
        kp_arena_reset(cli->arena);
        Kompass__V1__Update *u = NULL;
        int got = kp_conn_wait_update(cli->conn, cli->arena, wait > 0 ? (int)wait : 0, &u);
        if (got < 0) { /* the connection dropped: its subscription with it */
            if (!lost)
                fprintf(stderr,
                        "kompass: the connection to %s dropped; reconnecting by itself (Ctrl-C "
                        "to stop)\n",
                        kp_conn_endpoint(cli->conn));
            lost = resync = 1;
            continue;
        }
        if (got == 0) {
            if (kp_mono_ms() >= next_poll) resync = 1; /* renews, and catches up */
            continue;
        }
        if (u->evaluation_id != id && u->evaluation_id != 0) continue;
        if (u->ended) {
            rc = kp_cli_error(cli, u->evaluation_id ? KP_NOT_FOUND : KP_UNAUTHENTICATED,
                              "no more updates of evaluation %lld: %s", (long long)id, u->reason);
            goto out;
        }
        if (u->lock) {
            s_print_lock(cli, u);
            continue;
        }
        if (u->version > rep.version) {
            rc = s_catch_up(cli, id, &rep, &left, &why);
            if (rc > 0) goto out;
            if (rc < 0) resync = 1;
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
    return rc;
}
