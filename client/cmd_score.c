/*  cmd_score: `kompass score set|show|import`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "points.h"
#include "seen.h"
#include "session.h"

#include <sodium.h>
#include "util.h"

const kp_command kp_score_command = {
    "score", kp_cmd_score, "individual scores: set, show, import a sheet",
    "usage: kompass score set ID QUESTION POINTS [--why TEXT] [--for LOGIN] [--version N]\n"
    "       kompass score show ID [--area N]\n"
    "       kompass score import ID FILE.csv [--for LOGIN]\n"
    "\n"
    "Each evaluator (lead or peer) scores every question on their own: POINTS from 0\n"
    "to the question's max, at most two decimals (12.5 or 12,5). While scoring is\n"
    "blind, you see only your own scores.\n"
    "\n"
    "A write carries the version you last saw (recorded by `score show`, or --version):\n"
    "if the score changed since, nothing is written and you are shown what it is now\n"
    "(exit 3). --for LOGIN: an admin writes for that evaluator.\n"
    "\n"
    "import: a CSV file with the header question,points,rationale (rationale may be\n"
    "empty; quotes as in RFC 4180); all rows are written at once, or none.\n"};

static char *s_key(kp_cli *cli, int64_t id, const char *question, const char *evaluator)
{
    return kp_arena_printf(cli->arena, "%lld/score/%s/%s", (long long)id, question, evaluator);
}

/* ScoreList of evaluation id (area 0: all); records the versions seen. */
static int s_fetch(kp_cli *cli, int64_t id, int area, const Kompass__V1__ScoreListResponse **out)
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
    for (size_t i = 0; i < (*out)->n_questions; i++) {
        const Kompass__V1__QuestionScores *q = (*out)->questions[i];
        for (size_t k = 0; k < q->n_scores; k++)
            kp_seen_put(cli, s_key(cli, id, q->question, q->scores[k]->evaluator),
                        q->scores[k]->version);
    }
    return 0;
}

static json_t *s_score_json(const Kompass__V1__Score *s)
{
    char b[24];
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "question", s->question, "evaluator",
                     s->evaluator, "points", kp_points_format(s->points_centi, b), "rationale",
                     s->rationale, "version", (json_int_t)s->version, "written_by", s->written_by);
}

/* Sends writes; on CONFLICT shows what is there now. */
static int s_send(kp_cli *cli, int64_t id, const char *on_behalf, Kompass__V1__ScoreWrite **writes,
                  size_t n)
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
    kp_response *resp;
    int rc = kp_cli_send(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__ScoreSetResponse *out = resp->score_set;
    if (resp->status == KOMPASS__V1__STATUS__CONFLICT && out) {
        rc = kp_cli_fail(cli, resp);
        if (!cli->settings.json)
            for (size_t i = 0; i < out->n_scores; i++) {
                const Kompass__V1__Score *s = out->scores[i];
                char p[24];
                if (s->version)
                    fprintf(
                        stderr, "  now: %s of %s = %s (version %lld, written by %s at %s)%s%s\n",
                        s->question, s->evaluator, kp_points_format(s->points_centi, p),
                        (long long)s->version, s->written_by, kp_cli_time(cli, s->written_at_us),
                        *s->rationale ? ": " : "", s->rationale);
                fprintf(stderr, "  to overwrite it, run again with --version %lld\n",
                        (long long)s->version);
            }
        return rc;
    }
    if (resp->status != KOMPASS__V1__STATUS__OK) return kp_cli_fail(cli, resp);
    for (size_t i = 0; i < out->n_scores; i++)
        kp_seen_put(cli, s_key(cli, id, out->scores[i]->question, out->scores[i]->evaluator),
                    out->scores[i]->version);
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < out->n_scores; i++)
            json_array_append_new(arr, s_score_json(out->scores[i]));
        kp_cli_json(cli,
                    json_pack("{s:I,s:o}", "version", (json_int_t)out->version, "scores", arr));
    } else if (out->n_scores == 1) {
        char p[24];
        printf("score %s of %s set to %s (evaluation version %lld)\n", out->scores[0]->question,
               out->scores[0]->evaluator, kp_points_format(out->scores[0]->points_centi, p),
               (long long)out->version);
    } else {
        printf("%zu scores of %s written (evaluation version %lld)\n", out->n_scores,
               out->n_scores ? out->scores[0]->evaluator : "?", (long long)out->version);
    }
    return 0;
}

/* The version of evaluator's score of question as this client last saw it;
 * fetched (and so seen now) when never shown. */
static int s_expected(kp_cli *cli, int64_t id, const char *question, const char *evaluator,
                      int64_t *version)
{
    const Kompass__V1__ScoreListResponse *l;
    char me[64] = "";
    if (!evaluator) {
        /* our own score: we are who the session file says */
        kp_cli_session sess;
        char err[256];
        if (kp_cli_session_load(&cli->settings, &sess, err, sizeof err) == 1)
            kp_strlcpy(me, sess.login, sizeof me);
        sodium_memzero(&sess, sizeof sess);
        if (*me) evaluator = me;
    }
    if (evaluator) {
        int64_t v = kp_seen_get(cli, s_key(cli, id, question, evaluator));
        if (v >= 0) {
            *version = v;
            return 0;
        }
    }
    int rc = s_fetch(cli, id, 0, &l);
    if (rc) return rc;
    const char *who = evaluator ? evaluator : l->you;
    int64_t v = kp_seen_get(cli, s_key(cli, id, question, who));
    *version = v >= 0 ? v : 0;
    return 0;
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
    if (!given && (rc = s_expected(cli, id, w->question, on_behalf, &w->expected_version)))
        return rc;
    Kompass__V1__ScoreWrite **writes = kp_arena_alloc(cli->arena, sizeof *writes);
    writes[0] = w;
    return s_send(cli, id, on_behalf, writes, 1);
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
    /* Columns: me first, then the other evaluators. */
    const char *cols[16];
    size_t ncols = 0;
    cols[ncols++] = l->you;
    for (size_t i = 0; i < l->n_evaluators && ncols < 16; i++)
        if (strcmp(l->evaluators[i], l->you) != 0) cols[ncols++] = l->evaluators[i];
    int32_t area_now = -1;
    for (size_t i = 0; i < l->n_questions; i++) {
        const Kompass__V1__QuestionScores *q = l->questions[i];
        if (q->area != area_now) {
            area_now = q->area;
            printf("\nArea %d\nQUESTION                                         MAX  ", q->area);
            for (size_t c = 0; c < ncols; c++) {
                kp_cli_cell(c == 0 ? kp_arena_printf(cli->arena, "%s (me)", cols[c]) : cols[c], 12);
            }
            printf("\n");
        }
        printf("%-5s ", q->question);
        kp_cli_cell(q->text, 42);
        printf(" %4s  ", kp_points_format(q->max_centi, b1));
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = l->blind && c > 0 ? "(blind)" : "-";
            for (size_t k = 0; k < q->n_scores; k++)
                if (strcmp(q->scores[k]->evaluator, cols[c]) == 0)
                    cell = kp_points_format(q->scores[k]->points_centi, b2);
            kp_cli_cell(cell, 12);
        }
        printf("\n");
    }
    return 0;
}

/* Splits one CSV record (RFC 4180) from *p into fields; returns the count. */
static int s_csv_record(kp_cli *cli, const char **p, char **fields, int max)
{
    int n = 0;
    const char *s = *p;
    for (;;) {
        char *buf = kp_arena_alloc(cli->arena, strlen(s) + 1);
        size_t len = 0;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s) break;
                if (*s == '"' && s[1] == '"') {
                    buf[len++] = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    buf[len++] = *s++;
                }
            }
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            buf[len++] = *s++;
        buf[len] = '\0';
        if (n < max) fields[n] = kp_trim(buf);
        n++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r') s++;
        if (*s == '\n') s++;
        break;
    }
    *p = s;
    return n;
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
    char *text = kp_read_file(pos[1], 4 * 1024 * 1024, NULL);
    if (!text) return kp_cli_error(cli, KP_BAD_REQUEST, "cannot read %s", pos[1]);
    const char *on_behalf = kp_args_get(opts, "for");
    const Kompass__V1__ScoreListResponse *l;
    rc = s_fetch(cli, id, 0, &l);
    if (rc) {
        free(text);
        return rc;
    }
    const char *who = on_behalf ? on_behalf : l->you;
    const char *p = text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* a spreadsheet's BOM */
    char *f[4];
    int line = 1;
    int nf = s_csv_record(cli, &p, f, 4);
    if (nf < 2 || strcmp(f[0], "question") || strcmp(f[1], "points")) {
        free(text);
        return kp_cli_error(cli, KP_BAD_REQUEST,
                            "%s:1: the first line must be the header question,points,rationale",
                            pos[1]);
    }
    size_t cap = 64, count = 0;
    Kompass__V1__ScoreWrite **writes = kp_arena_alloc(cli->arena, sizeof(void *) * cap);
    while (*p) {
        line++;
        nf = s_csv_record(cli, &p, f, 4);
        if (nf == 1 && !*f[0]) continue; /* blank line */
        int64_t centi;
        if (nf < 2 || nf > 3 || kp_points_parse(f[1], &centi) != 0) {
            free(text);
            return kp_cli_error(cli, KP_BAD_REQUEST,
                                "%s:%d: expected question,points[,rationale] with points like 12 "
                                "or 12.5",
                                pos[1], line);
        }
        if (count == cap) {
            Kompass__V1__ScoreWrite **nw = kp_arena_alloc(cli->arena, sizeof(void *) * cap * 2);
            memcpy(nw, writes, sizeof(void *) * cap);
            writes = nw;
            cap *= 2;
        }
        Kompass__V1__ScoreWrite *w = kp_arena_alloc(cli->arena, sizeof *w);
        kompass__v1__score_write__init(w);
        w->question = f[0];
        w->points_centi = centi;
        if (nf == 3) w->rationale = f[2];
        int64_t v = kp_seen_get(cli, s_key(cli, id, w->question, who));
        w->expected_version = v >= 0 ? v : 0;
        writes[count++] = w;
    }
    free(text);
    if (count == 0) return kp_cli_error(cli, KP_BAD_REQUEST, "%s has no scores", pos[1]);
    return s_send(cli, id, on_behalf, writes, count);
}

int kp_cmd_score(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_score_command, "score needs a subcommand");
    if (strcmp(argv[1], "set") == 0) return s_set(cli, argc, argv);
    if (strcmp(argv[1], "show") == 0) return s_show(cli, argc, argv);
    if (strcmp(argv[1], "import") == 0) return s_import(cli, argc, argv);
    return kp_cli_usage(cli, &kp_score_command, "unknown subcommand 'score %s'", argv[1]);
}
