/*  cmd_offline: `kompass checkout`, `kompass status`, `kompass sync`.
 *
 *  checkout keeps a copy of what the caller may see of an evaluation
 *  (client/offline.h); without the server, the write commands keep their
 *  changes in the evaluation's journal and the reads answer from the copy.
 *  sync sends the waiting changes in order, each with the request id it was
 *  made with (a change that reached the server before is answered from its
 *  request_log, not done again), then refreshes the copy. A change whose
 *  item moved on the server meanwhile is a conflict: nothing is overwritten
 *  until `--keep mine` (sent again over theirs, the trail saying so) or
 *  `--keep theirs` (given up, recorded by OfflineDiscard). Item lists whose
 *  changes on both sides do not overlap merge by themselves, against the
 *  copy's text as the common base.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "areatext.h"
#include "draft.h"
#include "offline.h"
#include "points.h"
#include "util.h"

const kp_command kp_checkout_command = {
    "checkout", kp_cmd_checkout, "keep a copy of an evaluation, to work without the server",
    "usage: kompass checkout ID\n"
    "       kompass checkout --drop ID\n"
    "\n"
    "Keeps a copy of what you may see of evaluation ID (its framework questions,\n"
    "your scores, texts, evidence, versions) in $XDG_DATA_HOME/kompass/offline/\n"
    "(else ~/.local/share/kompass/offline/; mode 0600). While the server cannot be\n"
    "reached, score set|edit|import, text set|edit and evidence add of ID keep\n"
    "their changes in a journal beside it (`kompass status` lists them, `kompass\n"
    "sync` sends them), and score show, text show, evidence list and eval show\n"
    "answer from the copy, marked \"offline copy of version V, from TIME\".\n"
    "Checking out again refreshes the copy (not while changes wait). --drop removes\n"
    "the copy (refused while changes wait).\n"};

const kp_command kp_status_command = {
    "status", kp_cmd_status, "the evaluations checked out, and their changes waiting",
    "usage: kompass status\n"
    "\n"
    "Per evaluation checked out (kompass checkout): the copy's version and time,\n"
    "and every change made offline that waits for `kompass sync`. A damaged\n"
    "journal line is named with its file and line (exit 1); it loses no other.\n"};

const kp_command kp_sync_command = {
    "sync", kp_cmd_sync, "send the changes made offline, and refresh the copies",
    "usage: kompass sync [ID]\n"
    "       kompass sync --keep mine|theirs [ID [ITEM]]\n"
    "\n"
    "Sends the changes made offline (of evaluation ID, else of every one checked\n"
    "out) in the order they were made, each once, checked by the server as live\n"
    "writes are (roles, state, blind scoring); then refreshes the copy. A text\n"
    "is written only while nobody else holds its section's lock (else it waits,\n"
    "saying who holds it).\n"
    "\n"
    "A change whose item changed on the server meanwhile is a conflict: nothing\n"
    "is overwritten; both values are shown (exit 3). --keep mine sends yours over\n"
    "theirs; --keep theirs gives yours up; ITEM (a question, 1.4, or AREA/SECTION,\n"
    "1/strengths) settles only that one. The audit trail records that the change\n"
    "was made offline and which side was kept. Strengths and improvements changed\n"
    "on both sides without overlap merge by themselves. --keep theirs also gives\n"
    "up a change the server refused.\n"};

/* ---------------------------------------------------------------- copies */

static int s_login(kp_cli *cli, const char **login)
{
    *login = kp_cli_login(cli);
    if (*login) return 0;
    return kp_cli_error(cli, KP_UNAUTHENTICATED,
                        "UNAUTHENTICATED: not logged in to %s (log in with `kompass login USER`)",
                        cli->settings.server);
}

/* One read for the copy: its answer, or the exit code after saying why not. */
static int s_read(kp_cli *cli, kp_request *req, json_t *copy, const char *key, kp_response **resp)
{
    int rc = kp_cli_call(cli, req, resp);
    if (rc == 0) kp_offline_copy_put(cli, copy, key, *resp);
    return rc;
}

/* Asks the server for everything of evaluation id the copy keeps. */
static int s_fetch(kp_cli *cli, int64_t id, json_t **out)
{
    json_t *copy = json_object();
    kp_response *resp;
    int rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalShowRequest *es = kp_arena_alloc(cli->arena, sizeof *es);
    kompass__v1__eval_show_request__init(es);
    es->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SHOW;
    req->eval_show = es;
    json_object_set_new(copy, "format", json_integer(1));
    json_object_set_new(copy, "evaluation", json_integer(id));
    if ((rc = s_read(cli, req, copy, "eval_show", &resp))) goto fail;
    const Kompass__V1__EvaluationSummary *e = resp->eval_show->evaluation;
    json_object_set_new(copy, "server", json_string(cli->settings.server));
    json_object_set_new(copy, "login", json_string(kp_cli_login(cli)));
    json_object_set_new(
        copy, "title",
        json_string(kp_arena_printf(cli->arena, "%s %s", e->municipality, e->label)));
    json_object_set_new(copy, "status", json_string(e->status));
    json_object_set_new(copy, "version", json_integer(e->version));
    json_object_set_new(copy, "fetched_at_us", json_integer(kp_now_us()));

    req = kp_cli_request(cli);
    Kompass__V1__ScoreListRequest *sl = kp_arena_alloc(cli->arena, sizeof *sl);
    kompass__v1__score_list_request__init(sl);
    sl->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_LIST;
    req->score_list = sl;
    if ((rc = s_read(cli, req, copy, "score_list", &resp))) goto fail;
    size_t mine = 0;
    for (size_t i = 0; i < resp->score_list->n_questions; i++)
        for (size_t k = 0; k < resp->score_list->questions[i]->n_scores; k++)
            mine += strcmp(resp->score_list->questions[i]->scores[k]->evaluator,
                           resp->score_list->you) == 0;
    json_object_set_new(copy, "questions", json_integer((json_int_t)resp->score_list->n_questions));
    json_object_set_new(copy, "your_scores", json_integer((json_int_t)mine));

    req = kp_cli_request(cli);
    Kompass__V1__TextShowRequest *ts = kp_arena_alloc(cli->arena, sizeof *ts);
    kompass__v1__text_show_request__init(ts);
    ts->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SHOW;
    req->text_show = ts;
    if ((rc = s_read(cli, req, copy, "text_show", &resp))) goto fail;
    json_object_set_new(copy, "texts", json_integer((json_int_t)resp->text_show->n_texts));

    req = kp_cli_request(cli);
    Kompass__V1__EvidenceListRequest *el = kp_arena_alloc(cli->arena, sizeof *el);
    kompass__v1__evidence_list_request__init(el);
    el->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVIDENCE_LIST;
    req->evidence_list = el;
    if ((rc = s_read(cli, req, copy, "evidence_list", &resp))) goto fail;
    json_object_set_new(copy, "evidence",
                        json_integer((json_int_t)resp->evidence_list->n_evidence));
    *out = copy;
    return 0;
fail:
    json_decref(copy);
    return rc;
}

int kp_cmd_checkout(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_checkout_command;
    kp_opt opts[] = {{"drop", 0, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    const char *login;
    if ((rc = s_login(cli, &login))) return rc;
    cli->online_only = 1;
    char err[1200];
    kp_offline_journal j;
    if (kp_offline_journal_read(cli, login, id, 1, &j, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    size_t waiting = kp_offline_waiting(&j);
    size_t damaged = j.damaged;
    kp_offline_journal_free(&j);
    if (waiting || damaged)
        return kp_cli_error(
            cli, KP_CONFLICT,
            "CONFLICT: %zu change%s of evaluation %lld made offline %s%s%s: `kompass sync "
            "%lld` first (the copy is what %s made on)",
            waiting + damaged, waiting + damaged == 1 ? "" : "s", (long long)id,
            waiting + damaged == 1 ? "waits" : "wait", damaged ? " (some damaged, in " : "",
            damaged ? kp_arena_printf(cli->arena, "%s)", j.path) : "", (long long)id,
            waiting + damaged == 1 ? "it was" : "they were");
    if (kp_args_get(opts, "drop")) {
        json_t *copy = kp_offline_copy_load(cli, login, id);
        if (!copy)
            return kp_cli_error(cli, KP_NOT_FOUND, "NOT_FOUND: evaluation %lld is not checked out",
                                (long long)id);
        json_decref(copy);
        if (kp_offline_copy_drop(cli, login, id, err, sizeof err) != 0)
            return kp_cli_error(cli, KP_INTERNAL, "%s", err);
        if (cli->settings.json)
            kp_cli_json(cli, json_pack("{s:I,s:b}", "evaluation", (json_int_t)id, "dropped", 1));
        else
            printf("dropped the offline copy of evaluation %lld\n", (long long)id);
        return 0;
    }
    json_t *copy;
    if ((rc = s_fetch(cli, id, &copy))) return rc;
    if (kp_offline_copy_save(cli, login, id, copy, err, sizeof err) != 0) {
        json_decref(copy);
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    }
    char dir[PATH_MAX];
    kp_offline_dir(cli, login, dir, sizeof dir, err, sizeof err);
    if (cli->settings.json) {
        json_t *doc =
            json_pack("{s:I,s:O,s:O,s:s}", "evaluation", (json_int_t)id, "version",
                      json_object_get(copy, "version"), "title", json_object_get(copy, "title"),
                      "path", kp_arena_printf(cli->arena, "%s/%lld.json", dir, (long long)id));
        kp_cli_json(cli, doc);
    } else {
        printf("checked out evaluation %lld (%s, version %lld) into %s/%lld.json\n", (long long)id,
               json_string_value(json_object_get(copy, "title")),
               (long long)json_integer_value(json_object_get(copy, "version")), dir, (long long)id);
        printf("  %lld questions, %lld of your scores, %lld texts, %lld evidence entries\n",
               (long long)json_integer_value(json_object_get(copy, "questions")),
               (long long)json_integer_value(json_object_get(copy, "your_scores")),
               (long long)json_integer_value(json_object_get(copy, "texts")),
               (long long)json_integer_value(json_object_get(copy, "evidence")));
        printf("  without the server, your changes wait here for `kompass sync %lld`\n",
               (long long)id);
    }
    json_decref(copy);
    return 0;
}

/* The evaluations checked out by login at this server, ascending, into ids
 * (at most max); how many. */
static size_t s_checked_out(kp_cli *cli, const char *login, int64_t *ids, size_t max)
{
    char dir[PATH_MAX], err[256];
    size_t n = 0;
    if (kp_offline_dir(cli, login, dir, sizeof dir, err, sizeof err) != 0) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        char *end;
        long long id = strtoll(e->d_name, &end, 10);
        if (id > 0 && strcmp(end, ".json") == 0) ids[n++] = id;
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) /* a few: insertion sort */
        for (size_t k = i; k > 0 && ids[k - 1] > ids[k]; k--) {
            int64_t t = ids[k];
            ids[k] = ids[k - 1];
            ids[k - 1] = t;
        }
    return n;
}

int kp_cmd_status(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_status_command;
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, NULL, pos, 0, 0, &n);
    if (rc) return rc;
    const char *login;
    if ((rc = s_login(cli, &login))) return rc;
    int64_t ids[256];
    size_t nids = s_checked_out(cli, login, ids, 256);
    json_t *arr = json_array();
    int damaged = 0;
    if (!nids && !cli->settings.json)
        printf("no evaluation checked out (kompass checkout ID keeps a copy to work offline)\n");
    for (size_t i = 0; i < nids; i++) {
        json_t *copy = kp_offline_copy_load(cli, login, ids[i]);
        if (!copy) continue;
        kp_offline_journal j;
        char err[1200];
        if (kp_offline_journal_read(cli, login, ids[i], 1, &j, err, sizeof err) != 0) {
            fprintf(stderr, "kompass: %s\n", err);
            damaged = 1;
            json_decref(copy);
            continue;
        }
        damaged |= j.damaged > 0;
        size_t waiting = kp_offline_waiting(&j);
        json_t *changes = json_array();
        if (!cli->settings.json)
            printf("evaluation %lld  %s  copy of version %lld from %s  %zu change%s waiting\n",
                   (long long)ids[i], json_string_value(json_object_get(copy, "title")),
                   (long long)json_integer_value(json_object_get(copy, "version")),
                   kp_cli_time(cli, json_integer_value(json_object_get(copy, "fetched_at_us"))),
                   waiting, waiting == 1 ? "" : "s");
        for (size_t k = 0; k < j.n; k++) {
            const kp_offline_change *c = &j.changes[k];
            if (c->outcome) continue;
            if (cli->settings.json)
                json_array_append_new(changes,
                                      json_pack("{s:I,s:s,s:s,s:s,s:I,s:i}", "change",
                                                (json_int_t)c->seq, "request_id", c->id, "what",
                                                c->what, "at", kp_cli_time(cli, c->at_us), "base",
                                                (json_int_t)c->base, "line", c->line));
            else
                printf("  #%-3lld %s  %s  (made on version %lld)\n", (long long)c->seq,
                       kp_cli_time(cli, c->at_us), c->what, (long long)c->base);
        }
        json_array_append_new(
            arr,
            json_pack("{s:I,s:O,s:O,s:s,s:I,s:o,s:I}", "evaluation", (json_int_t)ids[i], "title",
                      json_object_get(copy, "title"), "version", json_object_get(copy, "version"),
                      "from",
                      kp_cli_time(cli, json_integer_value(json_object_get(copy, "fetched_at_us"))),
                      "waiting", (json_int_t)waiting, "changes", changes, "damaged_lines",
                      (json_int_t)j.damaged));
        kp_offline_journal_free(&j);
        json_decref(copy);
    }
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:o}", "checked_out", arr));
    else
        json_decref(arr);
    return damaged ? KP_EXIT_ERROR : 0;
}

/* ---------------------------------------------------------------- sync */

typedef struct {
    kp_cli *cli;
    const char *login;
    int64_t id;
    const char *keep; /* "mine", "theirs", or NULL */
    const char *item; /* what --keep is about, or NULL: every conflict */
    json_t *chain;    /* "score/1.4" or "text/1/summary" -> [expected, now] */
    int64_t version;  /* the evaluation's version after the last change sent */
    int rc;           /* the worst exit code so far */
    int stop;         /* the server cannot take any change now (away, session gone) */
} sync_run;

static void s_worse(sync_run *sr, int rc)
{
    /* unavailable beats conflict beats the rest */
    if (rc == KP_EXIT_UNAVAILABLE || sr->rc == 0 ||
        (rc == KP_EXIT_CONFLICT && sr->rc != KP_EXIT_UNAVAILABLE))
        sr->rc = rc;
}

static const char *s_score_key(sync_run *sr, const char *q)
{
    return kp_arena_printf(sr->cli->arena, "score/%s", q);
}

static const char *s_text_key(sync_run *sr, int area, const char *section)
{
    return kp_arena_printf(sr->cli->arena, "text/%d/%s", area, section);
}

/* Whether --keep is about item ("1.4", "1/strengths"). */
static int s_kept_item(const sync_run *sr, const char *item)
{
    return sr->keep && (!sr->item || strcmp(sr->item, item) == 0);
}

/* An expected version moved on by an earlier change of ours. */
static int64_t s_chained(sync_run *sr, const char *key, int64_t expected)
{
    json_t *c = json_object_get(sr->chain, key);
    if (c && json_integer_value(json_array_get(c, 0)) == expected)
        return json_integer_value(json_array_get(c, 1));
    return expected;
}

static void s_chain(sync_run *sr, json_t *versions, const char *key, int64_t expected, int64_t now)
{
    json_t *c = json_object_get(sr->chain, key);
    int64_t first = c ? json_integer_value(json_array_get(c, 0)) : expected;
    json_object_set_new(sr->chain, key, json_pack("[I,I]", (json_int_t)first, (json_int_t)now));
    if (versions)
        json_object_set_new(versions, key, json_pack("[I,I]", (json_int_t)first, (json_int_t)now));
}

static int s_done(sync_run *sr, const char *id, const char *outcome, json_t *versions)
{
    char err[1200];
    json_t *line = json_pack("{s:s,s:s,s:I}", "done", id, "outcome", outcome, "at_us",
                             (json_int_t)kp_now_us());
    if (versions) json_object_set_new(line, "versions", versions);
    if (kp_offline_journal_append(sr->cli, sr->login, sr->id, line, err, sizeof err) != 0) {
        fprintf(stderr, "kompass: %s\n", err);
        return -1;
    }
    return 0;
}

/* A new change in place of c (settled or merged), journaled before it goes. */
static int s_replace(sync_run *sr, const kp_offline_change *c, kp_request *req, const char *outcome)
{
    char rid[33], err[1200];
    kp_random_id(rid);
    req->request_id = kp_arena_strdup(sr->cli->arena, rid);
    req->session_token = "";
    json_t *line = kp_offline_change_line(sr->cli, req, c->seq, c->base, c->what);
    json_object_set_new(line, "replaces", json_string(c->id));
    json_object_set_new(line, "at_us", json_integer(c->at_us));
    if (kp_offline_journal_append(sr->cli, sr->login, sr->id, line, err, sizeof err) != 0) {
        fprintf(stderr, "kompass: %s\n", err);
        return -1;
    }
    return s_done(sr, c->id, outcome, NULL);
}

static Kompass__V1__OfflineOrigin *s_origin(sync_run *sr, const kp_offline_change *c,
                                            const char *kept)
{
    Kompass__V1__OfflineOrigin *o = kp_arena_zalloc(sr->cli->arena, sizeof *o);
    kompass__v1__offline_origin__init(o);
    o->recorded_at_us = c->at_us;
    o->base_version = c->base;
    o->kept = (char *)kept;
    return o;
}

/* Records that mine (a JSON object) was given up for theirs_version. */
static int s_discard(sync_run *sr, const kp_offline_change *c, const char *item, json_t *mine,
                     int64_t theirs_version)
{
    kp_cli *cli = sr->cli;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__OfflineDiscardRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__offline_discard_request__init(b);
    b->evaluation_id = sr->id;
    b->item = (char *)item;
    char *m = json_dumps(mine, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(mine);
    b->mine = kp_arena_strdup(cli->arena, m ? m : "{}");
    free(m);
    b->theirs_version = theirs_version;
    b->offline = s_origin(sr, c, "theirs");
    req->body_case = KOMPASS__V1__REQUEST__BODY_OFFLINE_DISCARD;
    req->offline_discard = b;
    kp_response *resp;
    return kp_cli_call(cli, req, &resp);
}

/* What a sent change came to; 0 when it is settled (sent or given up). */
static int s_send(sync_run *sr, const kp_offline_change *c, kp_request *req);

static int s_in(char **arr, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arr[i], s) == 0) return 1;
    return 0;
}

/* Items of a list: base -> mine and base -> theirs merged, when the two
 * touch different items (0, *out): their list, less what I removed, plus what
 * I added. -1 when they overlap: an item both replaced (removed by both, each
 * adding something). */
static int s_merge(kp_cli *cli, char **base, size_t nb, char **mine, size_t nm, char **theirs,
                   size_t nt, char ***out, size_t *nout)
{
    int both_removed = 0, mine_added = 0, theirs_added = 0;
    for (size_t i = 0; i < nb; i++)
        both_removed |= !s_in(mine, nm, base[i]) && !s_in(theirs, nt, base[i]);
    for (size_t i = 0; i < nm; i++)
        mine_added |= !s_in(base, nb, mine[i]);
    for (size_t i = 0; i < nt; i++)
        theirs_added |= !s_in(base, nb, theirs[i]);
    if (both_removed && mine_added && theirs_added) return -1;
    char **res = kp_arena_alloc(cli->arena, sizeof *res * (nt + nm + 1));
    size_t k = 0;
    for (size_t i = 0; i < nt; i++)
        if (!(s_in(base, nb, theirs[i]) && !s_in(mine, nm, theirs[i]))) /* not removed by me */
            res[k++] = theirs[i];
    for (size_t i = 0; i < nm; i++)
        if (!s_in(base, nb, mine[i]) && !s_in(theirs, nt, mine[i])) /* added by me */
            res[k++] = mine[i];
    *out = res;
    *nout = k;
    return 0;
}

/* The copy's text of area/section (the base of an offline text change). */
static const Kompass__V1__AreaText *s_base_text(sync_run *sr, int area, const char *section)
{
    json_t *copy = kp_offline_copy_load(sr->cli, sr->login, sr->id);
    kp_response *r = copy ? kp_offline_copy_answer(sr->cli, copy, "text_show") : NULL;
    json_decref(copy);
    for (size_t i = 0; r && r->text_show && i < r->text_show->n_texts; i++)
        if (r->text_show->texts[i]->area == area &&
            strcmp(r->text_show->texts[i]->section, section) == 0)
            return r->text_show->texts[i];
    return NULL;
}

static void s_print_text(FILE *f, const char *lead, const char **items, size_t n,
                         const char *summary)
{
    fprintf(f, "%s\n", lead);
    if (summary) {
        /* every line indented, a paragraph's blank line kept blank */
        if (!*summary) fprintf(f, "      (empty)\n");
        for (const char *p = summary; *p;) {
            size_t len = strcspn(p, "\n");
            fprintf(f, len ? "      %.*s\n" : "%.*s\n", (int)len, p);
            p += len;
            if (*p) p++;
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "      - %s\n", items[i]);
    if (!n) fprintf(f, "      (no items)\n");
}

/* A summary changed on both sides: the offline text is also kept as the
 * section's `text edit` draft (client/draft.h), made on the copy's version,
 * so that --resume shows it with theirs beside it. Says where; nothing when
 * a draft of the section is kept already (it is not replaced). */
static void s_keep_draft(sync_run *sr, const kp_offline_change *c,
                         const Kompass__V1__TextSaveRequest *b, const Kompass__V1__AreaText *base)
{
    kp_cli *cli = sr->cli;
    char err[1200];
    int busy;
    kp_draft *d = NULL;
    const char *name =
        kp_arena_printf(cli->arena, "text-%lld-%d-%s", (long long)sr->id, b->area, b->section);
    if (kp_draft_open(&cli->settings, sr->login, name, &d, &busy, err, sizeof err) != 0) {
        fprintf(stderr, "  (your text stays in the journal only: %s)\n", err);
        return;
    }
    const char *resume = kp_arena_printf(cli->arena, "kompass text edit %lld %d %s --resume",
                                         (long long)sr->id, b->area, b->section);
    if (kp_draft_exists(d)) {
        fprintf(stderr, "  a draft of this section is kept already (%s): %s\n", kp_draft_path(d),
                resume);
        kp_draft_close(&d);
        return;
    }
    kp_areatext mine = {.summary = b->summary};
    json_t *rec = kp_draft_record(d);
    json_object_set_new(rec, "kind", json_string("text"));
    json_object_set_new(rec, "server", json_string(cli->settings.server));
    json_object_set_new(rec, "login", json_string(sr->login));
    json_object_set_new(rec, "evaluation", json_integer(sr->id));
    json_object_set_new(rec, "area", json_integer(b->area));
    json_object_set_new(rec, "section", json_string(b->section));
    json_object_set_new(rec, "title", json_string(base ? base->title : ""));
    json_object_set_new(rec, "base_version", json_integer(b->expected_version));
    if (base) {
        kp_areatext was;
        kp_areatext_from(base, &was);
        json_object_set_new(rec, "base", kp_areatext_json(&was));
    }
    json_object_set_new(rec, "created_at_us", json_integer(c->at_us));
    json_object_set_new(rec, "state", json_string("kept"));
    json_object_set_new(rec, "reason",
                        json_string("written offline; changed on the server "
                                    "meanwhile (kompass sync)"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        fprintf(f,
                "# Evaluation %lld, area %d: summary, written offline (change #%lld of your "
                "journal).\n# Lines starting with # are ignored.\n\n",
                (long long)sr->id, b->area, (long long)c->seq);
        kp_areatext_write(f, &mine, "");
        fclose(f);
    }
    if (!text || kp_draft_write(d, text, err, sizeof err) != 0)
        fprintf(stderr, "  (your text stays in the journal only: %s)\n", text ? err : "no memory");
    else
        fprintf(stderr,
                "  both are kept: yours also as the draft %s; %s opens it with theirs beside it\n"
                "  (once saved that way, kompass sync --keep theirs %lld %d/%s drops the "
                "offline change)\n",
                kp_draft_path(d), resume, (long long)sr->id, b->area, b->section);
    free(text);
    kp_draft_close(&d);
}

static int s_text_conflict(sync_run *sr, const kp_offline_change *c, kp_request *req,
                           const Kompass__V1__AreaText *now)
{
    kp_cli *cli = sr->cli;
    Kompass__V1__TextSaveRequest *b = req->text_save;
    const char *item = kp_arena_printf(cli->arena, "%d/%s", b->area, b->section);
    int is_list = strcmp(b->section, "summary") != 0;
    const Kompass__V1__AreaText *base = s_base_text(sr, b->area, b->section);
    if (is_list && base && now && !s_kept_item(sr, item)) {
        char **merged;
        size_t nmerged;
        if (s_merge(cli, base->items, base->n_items, b->items, b->n_items, now->items, now->n_items,
                    &merged, &nmerged) == 0) {
            b->items = merged;
            b->n_items = nmerged;
            b->expected_version = now->version;
            b->offline = s_origin(sr, c, "merged");
            if (!cli->settings.json)
                printf("merged #%lld %s: your items and %s's (version %lld) touch different "
                       "ones\n",
                       (long long)c->seq, c->what, now->written_by, (long long)now->version);
            if (s_replace(sr, c, req, "merged") != 0) return KP_EXIT_ERROR;
            kp_offline_change nc = *c;
            nc.id = req->request_id;
            return s_send(sr, &nc, req);
        }
    }
    if (s_kept_item(sr, item) && now) {
        if (strcmp(sr->keep, "mine") == 0) {
            b->expected_version = now->version;
            b->offline = s_origin(sr, c, "mine");
            if (s_replace(sr, c, req, "replaced") != 0) return KP_EXIT_ERROR;
            kp_offline_change nc = *c;
            nc.id = req->request_id;
            return s_send(sr, &nc, req);
        }
        json_t *mine = json_object();
        if (is_list) {
            json_t *arr = json_array();
            for (size_t i = 0; i < b->n_items; i++)
                json_array_append_new(arr, json_string(b->items[i]));
            json_object_set_new(mine, "items", arr);
        } else {
            json_object_set_new(mine, "summary", json_string(b->summary));
        }
        int rc =
            s_discard(sr, c, kp_arena_printf(cli->arena, "text of area %d %s", b->area, b->section),
                      mine, now->version);
        if (rc) return rc;
        s_done(sr, c->id, "kept_theirs", NULL);
        if (!cli->settings.json)
            printf("kept theirs for #%lld %s: version %lld by %s stays; yours was given up\n",
                   (long long)c->seq, c->what, (long long)now->version, now->written_by);
        return 0;
    }
    fprintf(stderr,
            "kompass: CONFLICT: #%lld %s changed on the server since you wrote it offline\n",
            (long long)c->seq, c->what);
    s_print_text(stderr,
                 kp_arena_printf(cli->arena, "  yours (offline, %s):", kp_cli_time(cli, c->at_us)),
                 (const char **)b->items, b->n_items, is_list ? NULL : b->summary);
    if (now)
        s_print_text(stderr,
                     kp_arena_printf(cli->arena, "  theirs (version %lld, written by %s at %s):",
                                     (long long)now->version, now->written_by,
                                     kp_cli_time(cli, now->written_at_us)),
                     (const char **)now->items, now->n_items, is_list ? NULL : now->summary);
    fprintf(stderr, "  keep one: kompass sync --keep mine|theirs %lld %s\n", (long long)sr->id,
            item);
    if (!is_list) s_keep_draft(sr, c, b, base);
    return KP_EXIT_CONFLICT;
}

static int s_score_conflict(sync_run *sr, const kp_offline_change *c, kp_request *req,
                            const Kompass__V1__ScoreSetResponse *now)
{
    kp_cli *cli = sr->cli;
    Kompass__V1__ScoreSetRequest *b = req->score_set;
    const char *who = *b->on_behalf_of ? b->on_behalf_of : sr->login;
    char p[24];
    int settle = 0, unsettled = 0;
    for (size_t i = 0; now && i < now->n_scores; i++)
        if (s_kept_item(sr, now->scores[i]->question))
            settle++;
        else
            unsettled++;
    if (settle && !unsettled && strcmp(sr->keep, "mine") == 0) {
        for (size_t i = 0; i < now->n_scores; i++)
            for (size_t w = 0; w < b->n_writes; w++)
                if (strcmp(b->writes[w]->question, now->scores[i]->question) == 0)
                    b->writes[w]->expected_version = now->scores[i]->version;
        b->offline = s_origin(sr, c, "mine");
        if (s_replace(sr, c, req, "replaced") != 0) return KP_EXIT_ERROR;
        kp_offline_change nc = *c;
        nc.id = req->request_id;
        return s_send(sr, &nc, req);
    }
    if (settle && !unsettled) { /* theirs */
        size_t keep = 0;
        for (size_t w = 0; w < b->n_writes; w++) {
            const Kompass__V1__Score *s = NULL;
            for (size_t i = 0; i < now->n_scores; i++)
                if (strcmp(b->writes[w]->question, now->scores[i]->question) == 0)
                    s = now->scores[i];
            if (!s) {
                b->writes[keep++] = b->writes[w];
                continue;
            }
            json_t *mine = json_pack("{s:s,s:s,s:s}", "evaluator", who, "points",
                                     kp_points_format(b->writes[w]->points_centi, p), "rationale",
                                     b->writes[w]->rationale);
            int rc =
                s_discard(sr, c, kp_arena_printf(cli->arena, "score %s of %s", s->question, who),
                          mine, s->version);
            if (rc) return rc;
            if (!cli->settings.json)
                printf("kept theirs for score %s of %s: %s (version %lld by %s) stays; your %s "
                       "was given up\n",
                       s->question, who, kp_points_format(s->points_centi, p),
                       (long long)s->version, s->written_by,
                       kp_points_format(b->writes[w]->points_centi, p));
        }
        if (keep == 0) return s_done(sr, c->id, "kept_theirs", NULL) ? KP_EXIT_ERROR : 0;
        b->n_writes = keep; /* the others go as they were */
        if (s_replace(sr, c, req, "kept_theirs") != 0) return KP_EXIT_ERROR;
        kp_offline_change nc = *c;
        nc.id = req->request_id;
        return s_send(sr, &nc, req);
    }
    for (size_t i = 0; now && i < now->n_scores; i++) {
        const Kompass__V1__Score *s = now->scores[i];
        const Kompass__V1__ScoreWrite *w = NULL;
        for (size_t k = 0; k < b->n_writes; k++)
            if (strcmp(b->writes[k]->question, s->question) == 0) w = b->writes[k];
        fprintf(stderr,
                "kompass: CONFLICT: score %s of %s changed on the server since your offline "
                "change #%lld\n",
                s->question, who, (long long)c->seq);
        if (w)
            fprintf(stderr, "  yours (offline, %s): %s%s%s\n", kp_cli_time(cli, c->at_us),
                    kp_points_format(w->points_centi, p), *w->rationale ? ": " : "", w->rationale);
        if (s->version)
            fprintf(stderr, "  theirs (version %lld, written by %s at %s): %s%s%s\n",
                    (long long)s->version, s->written_by, kp_cli_time(cli, s->written_at_us),
                    kp_points_format(s->points_centi, p), *s->rationale ? ": " : "", s->rationale);
        else
            fprintf(stderr, "  theirs: no score any more\n");
        fprintf(stderr, "  keep one: kompass sync --keep mine|theirs %lld %s\n", (long long)sr->id,
                s->question);
    }
    if (sr->keep && sr->item && now && now->n_scores > 1)
        fprintf(stderr,
                "  (this change wrote %zu conflicting scores: settle them together, "
                "without ITEM)\n",
                now->n_scores);
    return KP_EXIT_CONFLICT;
}

static int s_send(sync_run *sr, const kp_offline_change *c, kp_request *req)
{
    kp_cli *cli = sr->cli;
    const char *token = NULL;
    req->session_token = "";
    if (req->body_case == KOMPASS__V1__REQUEST__BODY_SCORE_SET) {
        Kompass__V1__ScoreSetRequest *b = req->score_set;
        for (size_t w = 0; w < b->n_writes; w++)
            b->writes[w]->expected_version = s_chained(sr, s_score_key(sr, b->writes[w]->question),
                                                       b->writes[w]->expected_version);
    }
    if (req->body_case == KOMPASS__V1__REQUEST__BODY_TEXT_SAVE) {
        Kompass__V1__TextSaveRequest *b = req->text_save;
        b->expected_version =
            s_chained(sr, s_text_key(sr, b->area, b->section), b->expected_version);
        /* written only while nobody else holds the section's lock */
        kp_request *lr = kp_cli_request(cli);
        Kompass__V1__TextLockRequest *l = kp_arena_alloc(cli->arena, sizeof *l);
        kompass__v1__text_lock_request__init(l);
        l->evaluation_id = sr->id;
        l->area = b->area;
        l->section = b->section;
        lr->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
        lr->text_lock = l;
        kp_response *resp = NULL;
        const char *error;
        int st = kp_cli_call_quiet(cli, lr, &resp, &error);
        if (st == KP_LOCKED && resp && resp->text_lock && resp->text_lock->lock) {
            const Kompass__V1__LockInfo *li = resp->text_lock->lock;
            fprintf(stderr,
                    "kompass: #%lld %s waits: %s (%s) holds the section's lock until %s; "
                    "`kompass sync` again once it is free\n",
                    (long long)c->seq, c->what, li->holder_name, li->holder,
                    kp_cli_time(cli, li->expires_at_us));
            return KP_EXIT_CONFLICT;
        }
        if (st == KP_UNAVAILABLE || st == KP_UNAUTHENTICATED || st == KP_RATE_LIMITED || !resp)
            sr->stop = 1;
        if (st != KP_OK)
            return kp_cli_error(cli, st, "%s: #%lld %s waits: %s", kp_status_name(st),
                                (long long)c->seq, c->what, error);
        token = kp_arena_strdup(cli->arena, resp->text_lock->token);
        b->lock_token = (char *)token;
        b->release = 1;
    }
    kp_response *resp = NULL;
    const char *error;
    int st = kp_cli_call_quiet(cli, req, &resp, &error);
    if (st == KP_OK) {
        json_t *versions = json_object();
        int64_t version = 0;
        if (resp->body_case == KOMPASS__V1__RESPONSE__BODY_SCORE_SET) {
            const Kompass__V1__ScoreSetRequest *b = req->score_set;
            for (size_t i = 0; i < resp->score_set->n_scores && i < b->n_writes; i++)
                s_chain(sr, versions, s_score_key(sr, resp->score_set->scores[i]->question),
                        b->writes[i]->expected_version, resp->score_set->scores[i]->version);
            version = resp->score_set->version;
        } else if (resp->body_case == KOMPASS__V1__RESPONSE__BODY_TEXT_SAVE) {
            const Kompass__V1__TextSaveRequest *b = req->text_save;
            if (resp->text_save->text)
                s_chain(sr, versions, s_text_key(sr, b->area, b->section), b->expected_version,
                        resp->text_save->text->version);
            version = resp->text_save->version;
            /* a change answered from request_log released nothing */
            kp_request *lr = kp_cli_request(cli);
            Kompass__V1__TextLockRequest *l = kp_arena_alloc(cli->arena, sizeof *l);
            kompass__v1__text_lock_request__init(l);
            l->evaluation_id = sr->id;
            l->area = b->area;
            l->section = b->section;
            l->op = KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE;
            l->token = (char *)token;
            lr->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
            lr->text_lock = l;
            kp_response *ignored;
            const char *e2;
            kp_cli_call_quiet(cli, lr, &ignored, &e2);
        } else if (resp->body_case == KOMPASS__V1__RESPONSE__BODY_EVIDENCE_ADD) {
            version = resp->evidence_add->version;
        }
        if (version) sr->version = version;
        if (s_done(sr, c->id, "sent", versions) != 0) return KP_EXIT_ERROR;
        if (!cli->settings.json)
            printf("sent #%lld %s (evaluation version %lld)\n", (long long)c->seq, c->what,
                   (long long)version);
        return 0;
    }
    if (token) {
        kp_request *lr = kp_cli_request(cli);
        Kompass__V1__TextLockRequest *l = kp_arena_alloc(cli->arena, sizeof *l);
        kompass__v1__text_lock_request__init(l);
        l->evaluation_id = sr->id;
        l->area = req->text_save->area;
        l->section = req->text_save->section;
        l->op = KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE;
        l->token = (char *)token;
        lr->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
        lr->text_lock = l;
        kp_response *ignored;
        const char *e2;
        kp_cli_call_quiet(cli, lr, &ignored, &e2);
    }
    if (st == KP_CONFLICT && resp && resp->body_case == KOMPASS__V1__RESPONSE__BODY_SCORE_SET)
        return s_score_conflict(sr, c, req, resp->score_set);
    if (st == KP_CONFLICT && resp && resp->body_case == KOMPASS__V1__RESPONSE__BODY_TEXT_SAVE)
        return s_text_conflict(sr, c, req, resp->text_save->text);
    if (st == KP_UNAVAILABLE || st == KP_RATE_LIMITED || !resp) {
        sr->stop = 1;
        return kp_cli_error(cli, st, "%s: %s; #%lld %s and the changes after it still wait",
                            kp_status_name(st), error, (long long)c->seq, c->what);
    }
    if (st == KP_UNAUTHENTICATED) { /* not the change's fault: nothing is given up */
        sr->stop = 1;
        return kp_cli_error(cli, st,
                            "%s: %s; #%lld %s and the changes after it still wait (log in with "
                            "`kompass login %s`, then sync again)",
                            kp_status_name(st), error, (long long)c->seq, c->what, sr->login);
    }
    /* refused as a live write would be: it waits until given up */
    const char *item = c->what;
    if (sr->keep && strcmp(sr->keep, "theirs") == 0 && !sr->item) {
        int rc = s_discard(
            sr, c, item, json_pack("{s:s,s:s}", "refused", kp_status_name(st), "what", c->what), 0);
        if (rc) return rc;
        s_done(sr, c->id, "kept_theirs", NULL);
        if (!cli->settings.json)
            printf("gave up #%lld %s (the server refused it: %s)\n", (long long)c->seq, c->what,
                   error);
        return 0;
    }
    int rc = kp_cli_error(cli, st, "%s: the server refused #%lld %s: %s", kp_status_name(st),
                          (long long)c->seq, c->what, error);
    if (!cli->settings.json)
        fprintf(stderr, "  it stays waiting; to give it up: kompass sync --keep theirs %lld\n",
                (long long)sr->id);
    return rc;
}

/* Syncs one evaluation; its exit code. */
static int s_sync_one(kp_cli *cli, const char *login, int64_t id, const char *keep,
                      const char *item)
{
    char err[1200];
    kp_offline_journal j;
    if (kp_offline_journal_read(cli, login, id, 1, &j, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    sync_run sr = {.cli = cli, .login = login, .id = id, .keep = keep, .item = item};
    sr.chain = json_object();
    size_t sent = 0;
    for (size_t i = 0; i < j.n; i++) {
        kp_offline_change *c = &j.changes[i];
        if (c->outcome) {
            const char *k;
            json_t *v;
            json_object_foreach(c->versions, k, v) json_object_set(sr.chain, k, v);
            continue;
        }
        int rc = s_send(&sr, c, c->req);
        if (rc == 0) sent++;
        if (rc) s_worse(&sr, rc);
        if (sr.stop) break;
    }
    size_t damaged = j.damaged;
    kp_offline_journal_free(&j);
    json_decref(sr.chain);
    /* what waits now, as the journal says */
    if (kp_offline_journal_read(cli, login, id, 0, &j, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    size_t waiting = kp_offline_waiting(&j);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", j.path);
    kp_offline_journal_free(&j);
    if (damaged) s_worse(&sr, KP_EXIT_ERROR);
    if (waiting || damaged) {
        if (!cli->settings.json)
            printf("evaluation %lld: %zu sent, %zu still waiting%s\n", (long long)id, sent, waiting,
                   damaged ? kp_arena_printf(cli->arena, ", %zu damaged line%s in %s", damaged,
                                             damaged == 1 ? "" : "s", path)
                           : "");
        return sr.rc ? sr.rc : KP_EXIT_ERROR;
    }
    /* all through: a fresh copy, and the journal starts again */
    json_t *copy;
    int rc = s_fetch(cli, id, &copy);
    if (rc) return rc;
    if (kp_offline_copy_save(cli, login, id, copy, err, sizeof err) != 0) {
        json_decref(copy);
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    }
    if (unlink(path) != 0 && errno != ENOENT)
        fprintf(stderr, "kompass: warning: cannot remove %s: %s\n", path, strerror(errno));
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:I,s:I,s:I,s:I}", "evaluation", (json_int_t)id, "sent",
                                   (json_int_t)sent, "waiting", (json_int_t)0, "version",
                                   json_integer_value(json_object_get(copy, "version"))));
    else
        printf("evaluation %lld in sync: %zu change%s sent, copy refreshed (version %lld)\n",
               (long long)id, sent, sent == 1 ? "" : "s",
               (long long)json_integer_value(json_object_get(copy, "version")));
    json_decref(copy);
    return sr.rc;
}

int kp_cmd_sync(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_sync_command;
    kp_opt opts[] = {{"keep", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id = 0;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 0, 2, &n);
    if (rc) return rc;
    const char *keep = kp_args_get(opts, "keep");
    if (keep && strcmp(keep, "mine") != 0 && strcmp(keep, "theirs") != 0)
        return kp_cli_usage(cli, cmd, "--keep is mine or theirs, not '%s'", keep);
    if (n == 2 && !keep) return kp_cli_usage(cli, cmd, "ITEM goes with --keep mine|theirs");
    if (n >= 1 && (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    const char *login;
    if ((rc = s_login(cli, &login))) return rc;
    cli->online_only = 1;
    int64_t ids[256];
    size_t nids = 0;
    if (id) {
        json_t *copy = kp_offline_copy_load(cli, login, id);
        if (!copy)
            return kp_cli_error(cli, KP_NOT_FOUND,
                                "NOT_FOUND: evaluation %lld is not checked out (kompass checkout "
                                "%lld)",
                                (long long)id, (long long)id);
        json_decref(copy);
        ids[nids++] = id;
    } else {
        nids = s_checked_out(cli, login, ids, 256);
        if (!nids) {
            if (!cli->settings.json) printf("no evaluation checked out: nothing to sync\n");
            return 0;
        }
    }
    int worst = 0;
    for (size_t i = 0; i < nids; i++) {
        int r = s_sync_one(cli, login, ids[i], keep, n == 2 ? pos[1] : NULL);
        if (r == KP_EXIT_UNAVAILABLE) return r;
        if (r && (!worst || r == KP_EXIT_CONFLICT)) worst = r;
    }
    return worst;
}
