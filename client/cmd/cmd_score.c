/*  cmd_score: `kompass score set|show|edit|export|import`.
 *
 *  `score edit` is a whole area (or evaluation) in one editor session: the
 *  sheet (client/sheet.h) of the caller's scores is kept as a draft
 *  (client/draft.h) from the start; on save only the changed questions go,
 *  as one ScoreSet with the versions the sheet showed (all or nothing).
 *  Every problem is listed at once with its line and the sheet reopened with
 *  them as comments; a score changed meanwhile (CONFLICT) is marked in the
 *  sheet with its current value, and saving again replaces it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "draft.h"
#include "editor.h"
#include "points.h"
#include "seen.h"
#include "sheet.h"
#include "table.h"
#include "util.h"

const kp_command kp_score_command = {
    "score", kp_cmd_score, "individual scores: set, show, edit a sheet, export, import",
    "usage: kompass score set ID QUESTION POINTS [--why TEXT] [--for LOGIN] [--version N]\n"
    "       kompass score show ID [--area N]\n"
    "       kompass score edit ID [--area N] [--for LOGIN] [--resume] [--discard]\n"
    "       kompass score export ID [--area N] [--for LOGIN]\n"
    "       kompass score import ID FILE.csv [--for LOGIN]\n"
    "\n"
    "Each evaluator (lead or peer) scores every question on their own: POINTS from 0\n"
    "to the question's max, at most two decimals (12.5 or 12,5). While scoring is\n"
    "blind, you see only your own scores.\n"
    "\n"
    "A write carries the version you last saw (recorded by `score show`, `score\n"
    "export`, or --version): if the score changed since, nothing is written and you\n"
    "are shown what it is now (exit 3). --for LOGIN: an admin writes for that\n"
    "evaluator.\n"
    "\n"
    "edit: opens $EDITOR on a sheet of your scores (of area N, else every area):\n"
    "per question its text and max, `points = ` and `why = `. On quitting, the\n"
    "questions you changed are written at once, or none: every problem is listed\n"
    "with its line and the sheet opens again with them marked; a score changed\n"
    "meanwhile is marked with its current value (saving again replaces it). The\n"
    "sheet is kept as a draft ($XDG_STATE_HOME/kompass/drafts/) until the server\n"
    "has it; --resume goes on with a kept sheet, --discard drops it.\n"
    "\n"
    "export: prints the CSV that import takes: question,points,rationale, and the\n"
    "question's text and max as more columns (import ignores them).\n"
    "\n"
    "import: a CSV file with the header question,points,rationale (rationale may be\n"
    "empty; quotes as in RFC 4180; more columns are ignored). Rows whose points and\n"
    "rationale are as they are already change nothing; the others are written at\n"
    "once, or none: every problem in the file is listed.\n"};

static char *s_key(kp_cli *cli, int64_t id, const char *question, const char *evaluator)
{
    return kp_arena_printf(cli->arena, "%lld/score/%s/%s", (long long)id, question, evaluator);
}

/* ScoreList of evaluation id (area 0: all); records the versions seen when
 * record is set. */
static int s_fetch_seen(kp_cli *cli, int64_t id, int area, int record,
                        const Kompass__V1__ScoreListResponse **out)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ScoreListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__score_list_request__init(b);
    b->evaluation_id = id;
    b->area = area;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_LIST;
    req->score_list = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    *out = resp->score_list;
    for (size_t i = 0; record && i < (*out)->n_questions; i++) {
        const Kompass__V1__QuestionScores *q = (*out)->questions[i];
        for (size_t k = 0; k < q->n_scores; k++)
            kp_seen_put(cli, s_key(cli, id, q->question, q->scores[k]->evaluator),
                        q->scores[k]->version);
    }
    return 0;
}

static int s_fetch(kp_cli *cli, int64_t id, int area, const Kompass__V1__ScoreListResponse **out)
{
    return s_fetch_seen(cli, id, area, 1, out);
}

static const Kompass__V1__QuestionScores *s_question(const Kompass__V1__ScoreListResponse *l,
                                                     const char *code)
{
    for (size_t i = 0; l && i < l->n_questions; i++)
        if (strcmp(l->questions[i]->question, code) == 0) return l->questions[i];
    return NULL;
}

static const Kompass__V1__Score *s_score_of(const Kompass__V1__QuestionScores *q, const char *who)
{
    for (size_t k = 0; q && k < q->n_scores; k++)
        if (strcmp(q->scores[k]->evaluator, who) == 0) return q->scores[k];
    return NULL;
}

static json_t *s_score_json(const Kompass__V1__Score *s)
{
    char b[24];
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "question", s->question, "evaluator",
                     s->evaluator, "points", kp_points_format(s->points_centi, b), "rationale",
                     s->rationale, "version", (json_int_t)s->version, "written_by", s->written_by);
}

/* Sends writes without a word: the status, and the response when one came. */
static int s_score_set(kp_cli *cli, int64_t id, const char *on_behalf,
                       Kompass__V1__ScoreWrite **writes, size_t n, kp_response **resp,
                       const char **error)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ScoreSetRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__score_set_request__init(b);
    b->evaluation_id = id;
    b->writes = writes;
    b->n_writes = n;
    if (on_behalf) b->on_behalf_of = (char *)on_behalf;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
    req->score_set = b;
    *resp = NULL;
    return kp_cli_call_quiet(cli, req, resp, error);
}

/* Prints what a ScoreSet wrote; the list (may be NULL) gives each
 * question's text and max. */
static int s_written(kp_cli *cli, int64_t id, const Kompass__V1__ScoreSetResponse *out,
                     const Kompass__V1__ScoreListResponse *l, size_t unchanged)
{
    for (size_t i = 0; i < out->n_scores; i++)
        kp_seen_put(cli, s_key(cli, id, out->scores[i]->question, out->scores[i]->evaluator),
                    out->scores[i]->version);
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < out->n_scores; i++)
            json_array_append_new(arr, s_score_json(out->scores[i]));
        json_t *doc = json_pack("{s:I,s:o}", "version", (json_int_t)out->version, "scores", arr);
        if (unchanged) json_object_set_new(doc, "unchanged", json_integer((json_int_t)unchanged));
        kp_cli_json(cli, doc);
        return 0;
    }
    char p[24], m[24];
    if (out->n_scores == 1) {
        const Kompass__V1__Score *s = out->scores[0];
        const Kompass__V1__QuestionScores *q = s_question(l, s->question);
        if (q)
            printf("score %s (%s, max %s) of %s set to %s (evaluation version %lld)\n", s->question,
                   q->text, kp_points_format(q->max_centi, m), s->evaluator,
                   kp_points_format(s->points_centi, p), (long long)out->version);
        else
            printf("score %s of %s set to %s (evaluation version %lld)\n", s->question,
                   s->evaluator, kp_points_format(s->points_centi, p), (long long)out->version);
    } else {
        printf("%zu scores of %s written (evaluation version %lld)\n", out->n_scores,
               out->n_scores ? out->scores[0]->evaluator : "?", (long long)out->version);
        for (size_t i = 0; i < out->n_scores && l; i++) {
            const Kompass__V1__QuestionScores *q = s_question(l, out->scores[i]->question);
            printf("  %-6s %s of %s\n", out->scores[i]->question,
                   kp_points_format(out->scores[i]->points_centi, p),
                   q ? kp_points_format(q->max_centi, m) : "?");
        }
    }
    if (unchanged) printf("%zu more as they were already (not written again)\n", unchanged);
    return 0;
}

/* Prints a refused ScoreSet: the error, and on CONFLICT what is there now. */
static int s_refused(kp_cli *cli, int status, const char *error, const kp_response *resp,
                     const char *again)
{
    int rc = kp_cli_error(cli, status, "%s: %s", kp_status_name(status), error);
    const Kompass__V1__ScoreSetResponse *out = resp ? resp->score_set : NULL;
    if (status != KP_CONFLICT || !out || cli->settings.json) return rc;
    for (size_t i = 0; i < out->n_scores; i++) {
        const Kompass__V1__Score *s = out->scores[i];
        char p[24];
        if (s->version)
            fprintf(stderr, "  now: %s of %s = %s (version %lld, written by %s at %s)%s%s\n",
                    s->question, s->evaluator, kp_points_format(s->points_centi, p),
                    (long long)s->version, s->written_by, kp_cli_time(cli, s->written_at_us),
                    *s->rationale ? ": " : "", s->rationale);
        if (again)
            fprintf(stderr, "  %s\n", again);
        else
            fprintf(stderr, "  to overwrite it, run again with --version %lld\n",
                    (long long)s->version);
    }
    return rc;
}

/* Sends writes and prints the outcome. */
static int s_send(kp_cli *cli, int64_t id, const char *on_behalf, Kompass__V1__ScoreWrite **writes,
                  size_t n, const Kompass__V1__ScoreListResponse *l, size_t unchanged,
                  const char *again)
{
    kp_response *resp;
    const char *error;
    int status = s_score_set(cli, id, on_behalf, writes, n, &resp, &error);
    if (status == KP_CLI_KEPT_OFFLINE) return status; /* in the journal, said so */
    if (status != KP_OK) return s_refused(cli, status, error, resp, again);
    return s_written(cli, id, resp->score_set, l, unchanged);
}

static int s_set(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_score_command;
    kp_opt opts[] = {{"why", 1, NULL}, {"for", 1, NULL}, {"version", 1, NULL}, {0}};
    const char *pos[3];
    int n;
    int64_t id, centi;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 3, 3, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if ((rc = kp_args_points(cli, cmd, pos[2], &centi))) return rc;
    Kompass__V1__ScoreWrite *w = kp_arena_alloc(cli->arena, sizeof *w);
    kompass__v1__score_write__init(w);
    w->question = (char *)pos[1];
    w->points_centi = centi;
    if (kp_args_get(opts, "why")) w->rationale = (char *)kp_args_get(opts, "why");
    const char *on_behalf = kp_args_get(opts, "for");
    int given = kp_args_version(cli, cmd, opts, &w->expected_version);
    if (given < 0) return -given;
    /* The version this client last saw, read before the list below (which
     * is read for the question's text and max, not as seen). */
    const char *me = kp_cli_login(cli);
    const char *who = on_behalf ? on_behalf : me;
    int64_t seen = who ? kp_seen_get(cli, s_key(cli, id, w->question, who)) : -1;
    const Kompass__V1__ScoreListResponse *l;
    if ((rc = s_fetch_seen(cli, id, 0, 0, &l))) return rc;
    if (!who) who = l->you;
    if (!given) {
        if (seen < 0) {
            /* never shown: as it is now, which is shown now */
            const Kompass__V1__Score *s = s_score_of(s_question(l, w->question), who);
            seen = s ? s->version : 0;
            kp_seen_put(cli, s_key(cli, id, w->question, who), seen);
        }
        w->expected_version = seen;
    }
    Kompass__V1__ScoreWrite **writes = kp_arena_alloc(cli->arena, sizeof *writes);
    writes[0] = w;
    return s_send(cli, id, on_behalf, writes, 1, l, 0, NULL);
}

static int s_show(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_score_command;
    kp_opt opts[] = {{"area", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id, area = 0;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (kp_args_get(opts, "area") &&
        (rc = kp_args_id(cli, cmd, "--area", kp_args_get(opts, "area"), &area)))
        return rc;
    const Kompass__V1__ScoreListResponse *l;
    rc = s_fetch(cli, id, (int)area, &l);
    if (rc) return rc;
    char b1[24], b2[24];
    if (cli->settings.json) {
        json_t *qs = json_array();
        for (size_t i = 0; i < l->n_questions; i++) {
            const Kompass__V1__QuestionScores *q = l->questions[i];
            json_t *ss = json_array();
            for (size_t k = 0; k < q->n_scores; k++)
                json_array_append_new(ss, s_score_json(q->scores[k]));
            json_array_append_new(qs, json_pack("{s:i,s:s,s:s,s:s,s:o}", "area", q->area,
                                                "question", q->question, "text", q->text, "max",
                                                kp_points_format(q->max_centi, b1), "scores", ss));
        }
        kp_cli_json(cli, json_pack("{s:I,s:s,s:b,s:o,s:o}", "version", (json_int_t)l->version,
                                   "status", l->status, "blind", l->blind, "questions", qs,
                                   "practice", l->practice ? json_string("övning") : json_null()));
        return 0;
    }
    printf("Evaluation %lld%s, version %lld, %s%s\n", (long long)id,
           l->practice ? " (övning: a calibration exercise)" : "", (long long)l->version, l->status,
           l->blind ? " (blind: you see only your own scores)" : "");
    /* Columns: me first (when I score), then the other evaluators. */
    const char *cols[16];
    size_t ncols = 0;
    int me = 0;
    for (size_t i = 0; i < l->n_evaluators; i++)
        me |= strcmp(l->evaluators[i], l->you) == 0;
    if (me) cols[ncols++] = l->you;
    for (size_t i = 0; i < l->n_evaluators && ncols < 16; i++)
        if (strcmp(l->evaluators[i], l->you) != 0) cols[ncols++] = l->evaluators[i];
    int width = kp_table_width();
    for (size_t i = 0; i < l->n_questions;) {
        int32_t area_now = l->questions[i]->area;
        printf("\nArea %d\n", area_now);
        kp_table *t = kp_table_new(cli->arena, 3 + ncols);
        kp_table_col(t, 0, "QUESTION", 0);
        kp_table_col(t, 1, "", KP_TABLE_WRAP);
        kp_table_col(t, 2, "MAX", KP_TABLE_RIGHT);
        for (size_t c = 0; c < ncols; c++)
            kp_table_col(t, 3 + c,
                         me && c == 0 ? kp_arena_printf(cli->arena, "%s (me)", cols[c]) : cols[c],
                         KP_TABLE_RIGHT);
        for (; i < l->n_questions && l->questions[i]->area == area_now; i++) {
            const Kompass__V1__QuestionScores *q = l->questions[i];
            kp_table_add(t, q->question);
            kp_table_add(t, q->text);
            kp_table_add(t, kp_points_format(q->max_centi, b1));
            for (size_t c = 0; c < ncols; c++) {
                const char *cell = l->blind && !(me && c == 0) ? "(blind)" : "-";
                for (size_t k = 0; k < q->n_scores; k++)
                    if (strcmp(q->scores[k]->evaluator, cols[c]) == 0)
                        cell = kp_points_format(q->scores[k]->points_centi, b2);
                kp_table_add(t, cell);
            }
        }
        kp_table_print(t, stdout, width);
    }
    return 0;
}

/* ---------------------------------------------------------------- sheets */

/* The sheet of evaluator's scores in l (area 0: every area); title and
 * names from the evaluation when it can be read. */
static int s_sheet(kp_cli *cli, int64_t id, int area, const char *evaluator,
                   const Kompass__V1__ScoreListResponse *l, kp_sheet *sh)
{
    memset(sh, 0, sizeof *sh);
    sh->evaluation_id = id;
    sh->area = area;
    sh->evaluator = evaluator;
    sh->version = l->version;
    sh->title = sh->area_title = sh->evaluator_name = "";
    int member = 0;
    for (size_t i = 0; i < l->n_evaluators; i++)
        member |= strcmp(l->evaluators[i], evaluator) == 0;
    if (!member)
        return kp_cli_error(cli, KP_DENIED,
                            "DENIED: %s is not an evaluator (lead or peer) of evaluation %lld%s",
                            evaluator, (long long)id,
                            strcmp(evaluator, l->you) == 0 ? " (an admin: use --for LOGIN)" : "");
    if (l->blind && strcmp(evaluator, l->you) != 0)
        return kp_cli_error(cli, KP_DENIED,
                            "DENIED: evaluation %lld is scored blind: you see only your own "
                            "scores, not %s's",
                            (long long)id, evaluator);
    /* the evaluation's name and the area's title, for the header */
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_show_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SHOW;
    req->eval_show = b;
    kp_response *resp;
    const char *error;
    if (kp_cli_call_quiet(cli, req, &resp, &error) == KP_OK && resp->eval_show) {
        const Kompass__V1__EvalShowResponse *e = resp->eval_show;
        if (e->evaluation)
            sh->title = kp_arena_printf(cli->arena, "%s %s on %s", e->evaluation->municipality,
                                        e->evaluation->label, e->evaluation->framework);
        for (size_t i = 0; i < e->n_team; i++)
            if (strcmp(e->team[i]->login, evaluator) == 0)
                sh->evaluator_name = e->team[i]->full_name;
        for (size_t i = 0; i < e->n_progress; i++)
            if (e->progress[i]->area == area) sh->area_title = e->progress[i]->title;
    }
    sh->q = kp_arena_zalloc(cli->arena, sizeof *sh->q * (l->n_questions + 1));
    for (size_t i = 0; i < l->n_questions; i++) {
        const Kompass__V1__QuestionScores *q = l->questions[i];
        kp_sheet_question *x = &sh->q[sh->n++];
        x->question = q->question;
        x->area = q->area;
        x->text = q->text;
        x->max_centi = q->max_centi;
        x->why = "";
        const Kompass__V1__Score *s = s_score_of(q, evaluator);
        if (s) {
            x->scored = 1;
            x->points_centi = s->points_centi;
            x->why = s->rationale;
            x->version = s->version;
        }
    }
    return 0;
}

/* --area N into *area (0 when absent); 0 or the usage exit code. */
static int s_area_opt(kp_cli *cli, const kp_opt *opts, int64_t *area)
{
    *area = 0;
    const char *v = kp_args_get(opts, "area");
    return v ? kp_args_id(cli, &kp_score_command, "--area", v, area) : 0;
}

/* The writes for changes, with the versions of the base. */
static Kompass__V1__ScoreWrite **s_writes(kp_cli *cli, const kp_sheet *base,
                                          const kp_sheet_change *c, size_t n)
{
    Kompass__V1__ScoreWrite **w = kp_arena_alloc(cli->arena, sizeof *w * (n + 1));
    for (size_t i = 0; i < n; i++) {
        w[i] = kp_arena_alloc(cli->arena, sizeof *w[i]);
        kompass__v1__score_write__init(w[i]);
        w[i]->question = (char *)base->q[c[i].q].question;
        w[i]->points_centi = c[i].points_centi;
        w[i]->rationale = (char *)c[i].why;
        w[i]->expected_version = base->q[c[i].q].version;
    }
    return w;
}

static int s_export(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_score_command;
    kp_opt opts[] = {{"area", 1, NULL}, {"for", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = s_area_opt(cli, opts, &area)))
        return rc;
    const Kompass__V1__ScoreListResponse *l;
    if ((rc = s_fetch(cli, id, (int)area, &l))) return rc;
    const char *who = kp_args_get(opts, "for") ? kp_args_get(opts, "for") : l->you;
    kp_sheet sh;
    if ((rc = s_sheet(cli, id, (int)area, who, l, &sh))) return rc;
    if (cli->settings.json) {
        kp_cli_json(cli, kp_sheet_json(&sh));
        return 0;
    }
    kp_sheet_csv_write(stdout, &sh);
    return 0;
}

/* Prints every problem, FILE first when given; returns the exit code. */
static int s_problems(kp_cli *cli, const char *file, const kp_sheet_problem *p, size_t n,
                      const char *tail)
{
    const char **lines = kp_arena_alloc(cli->arena, sizeof(char *) * (n + 1));
    for (size_t i = 0; i < n; i++)
        lines[i] = kp_arena_printf(cli->arena, "%s%s%s", file ? file : "", file ? " " : "",
                                   kp_sheet_problem_text(cli->arena, &p[i]));
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:i,s:s?,s:s}", "line", p[i].line, "question",
                                                 p[i].question, "message", p[i].message));
        kp_cli_json(cli, json_pack("{s:{s:s,s:s,s:o}}", "error", "status", "BAD_REQUEST", "message",
                                   kp_arena_printf(cli->arena, "%zu problem%s%s", n,
                                                   n == 1 ? "" : "s", tail),
                                   "problems", arr));
        return KP_EXIT_ERROR;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "kompass: %s\n", lines[i]);
    fprintf(stderr, "kompass: %zu problem%s%s\n", n, n == 1 ? "" : "s", tail);
    return KP_EXIT_ERROR;
}

static int s_import(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_score_command;
    kp_opt opts[] = {{"for", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    char *raw = kp_read_file(pos[1], 4 * 1024 * 1024, NULL);
    if (!raw)
        return kp_cli_error(cli, KP_BAD_REQUEST, "cannot read %s: %s", pos[1], strerror(errno));
    char *text = kp_arena_strdup(cli->arena, raw);
    free(raw);
    const char *on_behalf = kp_args_get(opts, "for");
    const char *me = kp_cli_login(cli);
    const char *who = on_behalf ? on_behalf : me;
    const Kompass__V1__ScoreListResponse *l;
    if ((rc = s_fetch_seen(cli, id, 0, 0, &l))) return rc;
    if (!who) who = l->you;
    kp_sheet base;
    if ((rc = s_sheet(cli, id, 0, who, l, &base))) return rc;
    /* a write carries the version last seen here (0: never seen) */
    for (size_t i = 0; i < base.n; i++) {
        int64_t v = kp_seen_get(cli, s_key(cli, id, base.q[i].question, who));
        base.q[i].version = v >= 0 ? v : 0;
    }
    kp_sheet_change *ch;
    kp_sheet_problem *pr;
    size_t nch, npr;
    kp_sheet_csv_parse(cli->arena, &base, text, &ch, &nch, &pr, &npr);
    if (npr)
        return s_problems(cli, pos[1], pr, npr,
                          kp_arena_printf(cli->arena, " in %s; nothing was imported", pos[1]));
    if (nch == 0) {
        if (cli->settings.json)
            kp_cli_json(cli, json_pack("{s:I,s:[]}", "version", (json_int_t)l->version, "scores"));
        else
            printf("nothing to write: every score in %s is as it is already\n", pos[1]);
        return 0;
    }
    /* rows that were as they are: counted from the file's questions */
    size_t unchanged = 0;
    {
        kp_sheet_change *c2;
        kp_sheet_problem *p2;
        size_t n2, np2;
        kp_sheet all = base;
        all.q = kp_arena_alloc(cli->arena, sizeof *all.q * (base.n + 1));
        memcpy(all.q, base.q, sizeof *all.q * base.n);
        for (size_t i = 0; i < all.n; i++)
            all.q[i].scored = 0; /* every row with points counts */
        kp_sheet_csv_parse(cli->arena, &all, text, &c2, &n2, &p2, &np2);
        unchanged = n2 > nch ? n2 - nch : 0;
    }
    /* import has no --version: the way on from a conflict is to look at the
     * scores as they are now (which records them as seen), then import again */
    const char *again = kp_arena_printf(
        cli->arena,
        "to write your value over it: `kompass score export %lld%s%s` shows the scores as they "
        "are now, then import %s again",
        (long long)id, on_behalf ? " --for " : "", on_behalf ? on_behalf : "", pos[1]);
    return s_send(cli, id, on_behalf, s_writes(cli, &base, ch, nch), nch, l, unchanged, again);
}

/* ---------------------------------------------------------------- score edit */

/* Offers a kept sheet: 1 resume, 0 discard, or an exit code < 0. */
static int s_offer(kp_cli *cli, kp_draft *d, const char *what, const char *resume,
                   const char *discard)
{
    json_t *rec = kp_draft_record(d);
    const char *reason = json_string_value(json_object_get(rec, "reason"));
    json_int_t when = json_integer_value(json_object_get(rec, "updated_at_us"));
    const char *about = kp_arena_printf(cli->arena, "you have a kept %s (%s%s%s%s): %s", what,
                                        when ? "from " : "", when ? kp_cli_time(cli, when) : "",
                                        reason ? "; " : "", reason ? reason : "", kp_draft_path(d));
    if (kp_editor_can_ask() && !cli->settings.json) {
        fprintf(stderr, "kompass: %s\n", about);
        if (kp_editor_ask_yes("Go on with it? [y/N]")) return 1;
        if (kp_editor_ask_yes("Discard it and start from the server's scores? [y/N]")) return 0;
        return -kp_cli_error(cli, KP_BAD_REQUEST,
                             "nothing done; the sheet stays (--resume or --discard)");
    }
    return -kp_cli_error(cli, KP_BAD_REQUEST,
                         "%s\n  to go on with it: %s\n  to drop it and start from the server's "
                         "scores: %s",
                         about, resume, discard);
}

/* Marks a stale score in the base (now as the server has it); the problem
 * that shows it in the sheet when the sheet's value differs, else NULL. */
static const char *s_conflict(kp_cli *cli, kp_sheet *base, const Kompass__V1__Score *now,
                              const kp_sheet_change *ch, size_t nch)
{
    long qi = kp_sheet_find(base, now->question);
    if (qi < 0) return NULL;
    kp_sheet_question *q = &base->q[qi];
    int64_t was = q->version;
    q->scored = now->version > 0;
    q->points_centi = now->points_centi;
    q->why = now->rationale;
    q->version = now->version;
    for (size_t i = 0; i < nch; i++) {
        if (ch[i].q != (size_t)qi) continue;
        if (q->scored && ch[i].points_centi == now->points_centi &&
            strcmp(ch[i].why, now->rationale) == 0)
            return NULL; /* the same as ours: nothing to settle */
        char p[24];
        if (!q->scored)
            return kp_arena_printf(cli->arena,
                                   "CONFLICT: [%s] has no score any more (you read version "
                                   "%lld). Your value is below: save to write it.",
                                   now->question, (long long)was);
        return kp_arena_printf(cli->arena,
                               "CONFLICT: [%s] changed since you opened the sheet: now %s "
                               "(version %lld, written by %s at %s)%s%s\n"
                               "Your value is below: save to replace theirs with it, or change it.",
                               now->question, kp_points_format(now->points_centi, p),
                               (long long)now->version, now->written_by,
                               kp_cli_time(cli, now->written_at_us), *now->rationale ? ": " : "",
                               now->rationale);
    }
    return NULL;
}

/* One `kompass score edit`: what its steps share. */
typedef struct {
    kp_cli *cli;
    int64_t id, area;
    const char *who, *what, *login, *resume_cmd, *discard_cmd;
    kp_draft *d;
    json_t *rec; /* the draft's record */
    kp_sheet base;
    const Kompass__V1__ScoreListResponse *l;
    char *text; /* the sheet as it goes into the editor */
} s_edit_state;

#define S_EDIT_AGAIN (-1) /* a step's answer: back into the editor */

/* The sheet to edit: the kept one (resumed, or dropped: asked on a
 * terminal), or a new one from the server's scores. 0 to go on, else the
 * exit code. */
static int s_edit_start(s_edit_state *e, int resume, int discard)
{
    kp_cli *cli = e->cli;
    kp_draft *d = e->d;
    json_t *rec = e->rec;
    char err[1200];
    int rc;
    int kept = kp_draft_exists(d);
    if (resume && !kept)
        return kp_cli_error(cli, KP_NOT_FOUND, "NOT_FOUND: there is no kept %s to resume", e->what);
    if (kept && !resume && !discard) {
        int offer = s_offer(cli, d, e->what, e->resume_cmd, e->discard_cmd);
        if (offer < 0) return -offer;
        resume = offer;
        discard = !offer;
    }
    if (kept && discard && !resume) {
        if (kp_draft_remove(d, err, sizeof err) != 0)
            return kp_cli_error(cli, KP_INTERNAL, "%s", err);
        fprintf(stderr, "kompass: dropped your kept %s\n", e->what);
    }
    if (resume) {
        char *t = kp_draft_read(d);
        if (!t || kp_sheet_from_json(cli->arena, json_object_get(rec, "base"), &e->base) != 0) {
            rc = kp_cli_error(cli, KP_INTERNAL,
                              "your kept sheet %s cannot be read back (%s); it stays as it is: "
                              "copy what you need from it, then %s",
                              kp_draft_path(d), t ? "its record is damaged" : strerror(errno),
                              e->discard_cmd);
            free(t);
            return rc;
        }
        e->text = kp_arena_strdup(cli->arena, t);
        free(t);
        return 0;
    }
    if ((rc = s_fetch_seen(cli, e->id, (int)e->area, 0, &e->l))) return rc;
    if ((rc = s_sheet(cli, e->id, (int)e->area, e->who, e->l, &e->base))) return rc;
    e->text = kp_sheet_format(cli->arena, &e->base);
    json_object_clear(rec);
    json_object_set_new(rec, "kind", json_string("scores"));
    json_object_set_new(rec, "server", json_string(cli->settings.server));
    json_object_set_new(rec, "login", json_string(e->login));
    json_object_set_new(rec, "evaluation", json_integer(e->id));
    json_object_set_new(rec, "area", json_integer(e->area));
    json_object_set_new(rec, "evaluator", json_string(e->who));
    json_object_set_new(rec, "created_at_us", json_integer(kp_now_us()));
    json_object_set_new(rec, "state", json_string("editing"));
    json_object_set_new(rec, "base", kp_sheet_json(&e->base));
    if (kp_draft_write(d, e->text, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    return 0;
}

/* The edited sheet (now) has problems: on a terminal they are marked in it
 * and the editor opens again (S_EDIT_AGAIN); a script, or a user who quit
 * without fixing them, gets the list and the kept sheet (the exit code). */
static int s_edit_problems(s_edit_state *e, const char *now, int unchanged, int *shown_problems,
                           const kp_sheet_problem *pr, size_t npr)
{
    kp_cli *cli = e->cli;
    kp_draft *d = e->d;
    json_t *rec = e->rec;
    char err[1200];
    /* Reopened on a terminal; a script (or a user who quits
     * without fixing anything) gets the list and the kept sheet. */
    int ask = kp_editor_can_ask() && !cli->settings.json;
    if ((unchanged && *shown_problems) || !ask) {
        if (!unchanged || !*shown_problems) {
            e->text = kp_sheet_annotate(cli->arena, now, pr, npr,
                                        "Problems, marked below with #!: nothing was saved. "
                                        "Fix them, then save and quit.");
            if (kp_draft_write(d, e->text, err, sizeof err) != 0)
                fprintf(stderr, "kompass: warning: %s\n", err);
        }
        json_object_set_new(rec, "state", json_string("kept"));
        json_object_set_new(rec, "reason", json_string("it has problems to fix"));
        kp_draft_save_record(d, err, sizeof err);
        return s_problems(cli, NULL, pr, npr,
                          kp_arena_printf(cli->arena,
                                          "; nothing was saved\n  your sheet is kept in "
                                          "%s\n  to go on: %s",
                                          kp_draft_path(d), e->resume_cmd));
    }
    const char *head = kp_arena_printf(
        cli->arena,
        "%zu problem%s, marked below with #!: nothing was saved. Fix them, then save "
        "and quit;\nquit without a change to stop (the sheet is kept: %s).",
        npr, npr == 1 ? "" : "s", e->resume_cmd);
    for (size_t i = 0; i < npr; i++)
        fprintf(stderr, "kompass: %s\n", kp_sheet_problem_text(cli->arena, &pr[i]));
    e->text = kp_sheet_annotate(cli->arena, now, pr, npr, head);
    if (kp_draft_write(d, e->text, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    *shown_problems = 1;
    return S_EDIT_AGAIN;
}

/* The save met scores changed meanwhile (o): each stale score is marked in
 * the sheet where it differs from ours and the editor opens again
 * (S_EDIT_AGAIN; at once, *skip_editor, when they all equal ours: a save
 * that went through unheard); without a terminal, the kept sheet and
 * CONFLICT (the exit code). */
static int s_edit_conflict(s_edit_state *e, const char *now, kp_sheet_change *ch, size_t nch,
                           const Kompass__V1__ScoreSetResponse *o, int *skip_editor,
                           int *saved_unheard)
{
    kp_cli *cli = e->cli;
    kp_draft *d = e->d;
    json_t *rec = e->rec;
    char err[1200];
    /* Each stale score as it is now; marked where it differs from ours. */
    kp_sheet_problem *marks = kp_arena_zalloc(cli->arena, sizeof *marks * (o->n_scores + 1));
    size_t nm = 0;
    for (size_t i = 0; i < o->n_scores; i++) {
        const char *m = s_conflict(cli, &e->base, o->scores[i], ch, nch);
        if (!m) continue;
        marks[nm].line = kp_sheet_line_of(now, o->scores[i]->question);
        marks[nm].question = o->scores[i]->question;
        marks[nm++].message = m;
        fprintf(stderr, "kompass: %s\n", m);
    }
    json_object_set_new(rec, "base", kp_sheet_json(&e->base));
    json_object_set_new(rec, "state", json_string("kept"));
    json_object_set_new(rec, "reason", json_string("scores changed meanwhile"));
    if (nm == 0) {
        /* the same values as ours (a save that went through unheard) */
        kp_draft_save_record(d, err, sizeof err);
        *skip_editor = *saved_unheard = 1;
        return S_EDIT_AGAIN;
    }
    e->text = kp_sheet_annotate(
        cli->arena, now, marks, nm,
        kp_arena_printf(cli->arena,
                        "%zu score%s changed since you opened the sheet, marked below "
                        "with #! CONFLICT: nothing was saved.\nSave and quit to write "
                        "your values over theirs, or change them first.",
                        nm, nm == 1 ? "" : "s"));
    if (kp_draft_write(d, e->text, err, sizeof err) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    if (!kp_editor_can_ask() || cli->settings.json) {
        kp_draft_save_record(d, err, sizeof err);
        return kp_cli_error(cli, KP_CONFLICT,
                            "CONFLICT: %zu score%s changed since the sheet was read; nothing "
                            "was saved\n  your sheet is kept in %s, with theirs marked\n"
                            "  to go on: %s (saving it then writes your values over theirs)",
                            nm, nm == 1 ? "" : "s", kp_draft_path(d), e->resume_cmd);
    }
    return S_EDIT_AGAIN;
}

/* The user's editor on the kept sheet; 0 when it ended well, else the
 * exit code (the sheet is kept, and the command to go on said). */
static int s_edit_run_editor(s_edit_state *e)
{
    char err[1200], serr[512];
    const char *editor;
    int ed = kp_editor_run(kp_draft_path(e->d), NULL, NULL, &editor, err, sizeof err);
    if (kp_draft_sync(e->d, serr, sizeof serr) != 0)
        fprintf(stderr, "kompass: warning: %s\n", serr);
    if (ed == 0) return 0;
    json_object_set_new(e->rec, "state", json_string("kept"));
    json_object_set_new(e->rec, "reason", json_string(err));
    kp_draft_save_record(e->d, serr, sizeof serr);
    return kp_cli_error(e->cli, KP_BAD_REQUEST,
                        "%s; nothing was saved\n  your sheet is kept in %s\n  to go on: %s", err,
                        kp_draft_path(e->d), e->resume_cmd);
}

static int s_edit(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_score_command;
    kp_opt opts[] = {
        {"area", 1, NULL}, {"for", 1, NULL}, {"resume", 0, NULL}, {"discard", 0, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = s_area_opt(cli, opts, &area)))
        return rc;
    int resume = kp_args_get(opts, "resume") != NULL;
    int discard = kp_args_get(opts, "discard") != NULL;
    if (resume && discard)
        return kp_cli_usage(cli, cmd, "--resume and --discard exclude each other");
    const char *on_behalf = kp_args_get(opts, "for");
    const char *login = kp_cli_login(cli);
    if (!login)
        return kp_cli_error(cli, KP_UNAUTHENTICATED,
                            "UNAUTHENTICATED: not logged in to %s (log in with `kompass login "
                            "USER`)",
                            cli->settings.server);
    const char *who = on_behalf ? on_behalf : login;
    const char *what =
        area ? kp_arena_printf(cli->arena, "score sheet of area %lld", (long long)area)
             : "score sheet";
    const char *again =
        kp_arena_printf(cli->arena, "kompass score edit %lld%s%s%s%s", (long long)id,
                        area ? kp_arena_printf(cli->arena, " --area %lld", (long long)area) : "",
                        on_behalf ? " --for " : "", on_behalf ? on_behalf : "", "");
    const char *resume_cmd = kp_arena_printf(cli->arena, "%s --resume", again);
    const char *discard_cmd = kp_arena_printf(cli->arena, "%s --discard", again);
    char err[1200];
    int busy;
    kp_draft *d = NULL;
    const char *name =
        kp_arena_printf(cli->arena, "scores-%lld-%s-%s", (long long)id,
                        area ? kp_arena_printf(cli->arena, "%lld", (long long)area) : "all", who);
    if (kp_draft_open(&cli->settings, login, name, &d, &busy, err, sizeof err) != 0)
        return kp_cli_error(cli, busy ? KP_LOCKED : KP_INTERNAL, "%s%s: %s",
                            busy ? "LOCKED: your " : "cannot keep a draft of the ", what, err);
    s_edit_state e = {.cli = cli,
                      .id = id,
                      .area = area,
                      .who = who,
                      .what = what,
                      .login = login,
                      .resume_cmd = resume_cmd,
                      .discard_cmd = discard_cmd,
                      .d = d,
                      .rec = kp_draft_record(d)};
    json_t *rec = e.rec;
    kp_sheet *base = &e.base;
    if ((rc = s_edit_start(&e, resume, discard))) goto out;

    /* Edit until it is saved, or the user gives up (quits without fixing
     * the problems shown). */
    int shown_problems = 0;
    int skip_editor = 0;
    int saved_unheard = 0; /* a conflict with our own values: saved before */
    for (;;) {
        if (!skip_editor && (rc = s_edit_run_editor(&e))) goto out;
        skip_editor = 0;
        char *t = kp_draft_read(d);
        if (!t) {
            rc = kp_cli_error(cli, KP_INTERNAL, "cannot read back %s: %s", kp_draft_path(d),
                              strerror(errno));
            goto out;
        }
        char *now = kp_arena_strdup(cli->arena, t);
        free(t);
        int unchanged = strcmp(now, e.text) == 0;
        kp_sheet_change *ch;
        kp_sheet_problem *pr;
        size_t nch, npr;
        kp_sheet_parse(cli->arena, base, now, &ch, &nch, &pr, &npr);
        if (npr) {
            rc = s_edit_problems(&e, now, unchanged, &shown_problems, pr, npr);
            if (rc == S_EDIT_AGAIN) continue;
            goto out;
        }
        if (nch == 0) {
            kp_draft_remove(d, err, sizeof err);
            if (cli->settings.json)
                kp_cli_json(cli, json_pack("{s:b,s:[]}", "saved", 0, "scores"));
            else if (saved_unheard)
                printf("the changes of your %s were saved already; sheet removed\n", what);
            else
                printf("no change to the %s of %s: nothing saved\n", what, who);
            rc = 0;
            goto out;
        }
        json_object_set_new(rec, "state", json_string("saving"));
        json_object_set_new(rec, "reason",
                            json_string("the save was sent, but its answer never came back"));
        json_object_set_new(rec, "base", kp_sheet_json(base));
        if (kp_draft_save_record(d, err, sizeof err) != 0)
            fprintf(stderr, "kompass: warning: %s\n", err);
        kp_response *resp;
        const char *error;
        int status =
            s_score_set(cli, id, on_behalf, s_writes(cli, base, ch, nch), nch, &resp, &error);
        if (status == KP_CLI_KEPT_OFFLINE) { /* the journal has it now (client/offline.h) */
            kp_draft_remove(d, err, sizeof err);
            rc = status;
            goto out;
        }
        if (status == KP_OK) {
            kp_draft_remove(d, err, sizeof err);
            if (!e.l) s_fetch_seen(cli, id, (int)area, 0, &e.l);
            rc = s_written(cli, id, resp->score_set, e.l, 0);
            goto out;
        }
        if (status == KP_CONFLICT && resp && resp->score_set) {
            rc = s_edit_conflict(&e, now, ch, nch, resp->score_set, &skip_editor, &saved_unheard);
            if (rc == S_EDIT_AGAIN) continue;
            goto out;
        }
        /* anything else: the sheet stays for later */
        json_object_set_new(rec, "state", json_string("kept"));
        json_object_set_new(
            rec, "reason",
            json_string(kp_arena_printf(cli->arena, "%s: %s", kp_status_name(status), error)));
        kp_draft_save_record(d, err, sizeof err);
        rc = kp_cli_error(cli, status, "%s: %s%s\n  your sheet is kept in %s\n  to go on: %s",
                          kp_status_name(status), error,
                          status == KP_UNAVAILABLE
                              ? "\n  the save may or may not have reached the server; --resume "
                                "finds out and never saves twice"
                              : "",
                          kp_draft_path(d), resume_cmd);
        goto out;
    }
out:
    kp_draft_close(&d);
    return rc;
}

int kp_cmd_score(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_score_command, "score needs a subcommand");
    if (strcmp(argv[1], "set") == 0) return s_set(cli, argc, argv);
    if (strcmp(argv[1], "show") == 0) return s_show(cli, argc, argv);
    if (strcmp(argv[1], "edit") == 0) return s_edit(cli, argc, argv);
    if (strcmp(argv[1], "export") == 0) return s_export(cli, argc, argv);
    if (strcmp(argv[1], "import") == 0) return s_import(cli, argc, argv);
    return kp_cli_usage(cli, &kp_score_command, "unknown subcommand 'score %s'", argv[1]);
}
