/*  cmd_consensus: `kompass submit`, `kompass consensus ...`, `kompass text
 *  approve` (from the text command) and `kompass eval status` (from eval). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "args.h"
#include "points.h"
#include "seen.h"

const kp_command kp_submit_command = {
    "submit", kp_cmd_submit, "declare your individual scores complete (ends blind scoring)",
    "usage: kompass submit ID [--for LOGIN]\n"
    "\n"
    "An evaluator declares their individual scoring of evaluation ID complete. Every\n"
    "question must be scored: the missing ones are listed and nothing is submitted.\n"
    "After submitting, your scores no longer change. When the last evaluator has\n"
    "submitted, the evaluation moves to consensus and the team sees every score.\n"
    "--for LOGIN: an admin submits for that evaluator.\n"};

const kp_command kp_consensus_command = {
    "consensus", kp_cmd_consensus, "compare the evaluators' scores and agree on consensus",
    "usage: kompass consensus ID [--unresolved] [--sort question|disagreement]\n"
    "       kompass consensus ID --question CODE\n"
    "       kompass consensus auto ID --strategy mean|median|lead [--max-spread PCT]\n"
    "       kompass consensus set ID QUESTION POINTS [--reason R] [--version N]\n"
    "       kompass consensus threshold ID PCT        (lead or admin)\n"
    "\n"
    "Per question: every evaluator's points, the spread (max - min, and as a share\n"
    "of the question's max), a flag (agree; minor; major when the spread exceeds the\n"
    "evaluation's threshold, 20 % of the max unless set), the proposed value (the\n"
    "median) and the consensus once set; under each question, what each evaluator\n"
    "wrote for it (cut at a word; whole with --json or --question), and its thread\n"
    "(kompass comment): open or resolved, and what is new to you. With --json, the\n"
    "agreement figures too (docs/agreement.md).\n"
    "\n"
    "--question CODE: the question's whole picture: every evaluator's points and\n"
    "rationale, the spread and flag, the proposal, the consensus and its reason, the\n"
    "evidence linked to it, its thread (which you have then read), and the\n"
    "municipality's previous consensus on it (when that round used the same\n"
    "framework).\n"
    "\n"
    "auto sets every question without a consensus score whose evaluators all scored\n"
    "it and whose spread is within --max-spread (default and at most: the threshold);\n"
    "a major disagreement is never merged automatically. set records one value; a\n"
    "value outside the evaluators' range needs --reason. Writes carry the version\n"
    "you last saw, as score writes do (exit 3 when someone else wrote in between).\n"};

/* ---------------------------------------------------------------- submit */

int kp_cmd_submit(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_submit_command;
    kp_opt opts[] = {{"for", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__SubmitRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__submit_request__init(b);
    b->evaluation_id = id;
    if (kp_args_get(opts, "for")) b->on_behalf_of = (char *)kp_args_get(opts, "for");
    req->body_case = KOMPASS__V1__REQUEST__BODY_SUBMIT;
    req->submit = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__SubmitResponse *out = resp->submit;
    if (cli->settings.json) {
        json_t *w = json_array(), *major = json_array();
        for (size_t i = 0; i < out->n_waiting_for; i++)
            json_array_append_new(w, json_string(out->waiting_for[i]));
        for (size_t i = 0; i < out->n_major; i++)
            json_array_append_new(major, json_string(out->major[i]));
        json_t *o =
            json_pack("{s:I,s:s,s:I,s:o,s:o}", "id", (json_int_t)id, "status", out->status,
                      "version", (json_int_t)out->version, "waiting_for", w, "major", major);
        if (out->calibration)
            json_object_set_new(o, "calibration", kp_cli_calibration_json(cli, out->calibration));
        kp_cli_json(cli, o);
        return 0;
    }
    printf("scores submitted (evaluation %lld, version %lld)\n", (long long)id,
           (long long)out->version);
    if (out->calibration) {
        printf("\n");
        kp_cli_calibration_print(cli, out->calibration);
    } else if (strcmp(out->status, "consensus") == 0) {
        printf("every evaluator has submitted: evaluation %lld is in consensus\n", (long long)id);
        if (out->n_major)
            printf("major disagreements (%zu): %s\nthe meeting starts there: kompass consensus "
                   "%lld --sort disagreement\n",
                   out->n_major, kp_arena_join(cli->arena, out->major, out->n_major, ", ", 45),
                   (long long)id);
        else
            printf("no major disagreement: kompass consensus %lld\n", (long long)id);
    } else
        for (size_t i = 0; i < out->n_waiting_for; i++)
            printf("%s%s%s", i ? ", " : "waiting for: ", out->waiting_for[i],
                   i + 1 == out->n_waiting_for ? "\n" : "");
    return 0;
}

/* ---------------------------------------------------------------- show */

static char *s_key(kp_cli *cli, int64_t id, const char *question)
{
    return kp_arena_printf(cli->arena, "%lld/consensus/%s", (long long)id, question);
}

static json_t *s_row_json(const Kompass__V1__ConsensusRow *row)
{
    char b[24], m[24];
    json_t *pts = json_object(), *why = json_object();
    for (size_t j = 0; j < row->n_points; j++) {
        json_object_set_new(pts, row->points[j]->evaluator,
                            json_string(kp_points_format(row->points[j]->points_centi, b)));
        json_object_set_new(why, row->points[j]->evaluator, json_string(row->points[j]->rationale));
    }
    /* two formatted values, two buffers: json_pack reads them only at the end */
    json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:o,s:o,s:s,s:f,s:s}", "area", row->area, "question",
                          row->question, "text", row->text, "max",
                          kp_points_format(row->max_centi, m), "points", pts, "rationales", why,
                          "spread", kp_points_format(row->spread_centi, b), "spread_share",
                          round(row->spread_share * 10000) / 10000, "flag", row->flag);
    json_object_set_new(o, "proposed",
                        row->has_proposed ? json_string(kp_points_format(row->proposed_centi, b))
                                          : json_null());
    json_object_set_new(o, "consensus",
                        row->has_consensus ? json_string(kp_points_format(row->consensus_centi, b))
                                           : json_null());
    if (row->has_consensus) {
        json_object_set_new(o, "method", json_string(row->method));
        json_object_set_new(o, "reason", json_string(row->reason));
        json_object_set_new(o, "set_by", json_string(row->written_by));
    }
    json_object_set_new(o, "version", json_integer(row->version));
    json_object_set_new(o, "thread",
                        *row->thread ? json_pack("{s:s,s:i,s:i}", "status", row->thread, "comments",
                                                 row->comments, "new", row->new_comments)
                                     : json_null());
    return o;
}

/* "open, 3 new", "resolved", "-" */
static const char *s_thread_cell(kp_cli *cli, const Kompass__V1__ConsensusRow *row)
{
    if (!*row->thread) return "-";
    if (!row->new_comments) return row->thread;
    return kp_arena_printf(cli->arena, "%s, %d new", row->thread, row->new_comments);
}

static const Kompass__V1__ConsensusRow **s_sorted;

static int s_by_disagreement(const void *a, const void *b)
{
    const Kompass__V1__ConsensusRow *x = *(const Kompass__V1__ConsensusRow *const *)a,
                                    *y = *(const Kompass__V1__ConsensusRow *const *)b;
    if (x->spread_share != y->spread_share) return x->spread_share < y->spread_share ? 1 : -1;
    return (x->area > y->area) - (x->area < y->area);
}

/* One line for an evidence entry: kind, date, who or what. */
static void s_evidence_line(kp_cli *cli, const Kompass__V1__Evidence *e)
{
    const char *what =
        strcmp(e->kind, "interview") == 0
            ? kp_arena_printf(cli->arena, "%s, %d %s%s%s", e->category, e->people,
                              e->people == 1 ? "person" : "people", *e->note ? ": " : "", e->note)
            : kp_arena_printf(cli->arena, "%s%s%s%s%s%s", e->title, *e->reference ? " (" : "",
                              e->reference, *e->reference ? ")" : "", *e->note ? ": " : "",
                              e->note);
    printf("  %-5lld %-10s %-11s %s\n", (long long)e->id, e->kind, *e->date ? e->date : "-",
           kp_cli_words(cli, what, 60));
}

/* `consensus ID --question CODE`: one question's whole picture. */
static int s_question(kp_cli *cli, int64_t id, const char *code)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ConsensusQuestionRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__consensus_question_request__init(b);
    b->evaluation_id = id;
    b->question = (char *)code;
    req->body_case = KOMPASS__V1__REQUEST__BODY_CONSENSUS_QUESTION;
    req->consensus_question = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__ConsensusQuestionResponse *out = resp->consensus_question;
    const Kompass__V1__ConsensusRow *row = out->row;
    kp_seen_put(cli, s_key(cli, id, row->question), row->version);
    const Kompass__V1__PreviousConsensus *pv = out->previous;
    if (cli->settings.json) {
        json_t *o = s_row_json(row), *ev = json_array();
        for (size_t i = 0; i < out->n_evidence; i++)
            json_array_append_new(ev, kp_cli_evidence_json(cli, out->evidence[i]));
        json_object_set_new(o, "id", json_integer(id));
        json_object_set_new(o, "status", json_string(out->status));
        json_object_set_new(o, "evaluation_version", json_integer(out->version));
        json_object_set_new(o, "major_spread_pct", json_real(out->major_spread_pct));
        json_object_set_new(o, "evidence", ev);
        json_object_set_new(o, "thread",
                            out->thread ? kp_cli_thread_json(cli, out->thread) : json_null());
        json_t *prev = json_null();
        if (pv) {
            char pb[24];
            prev = json_pack("{s:I,s:s,s:s,s:b}", "evaluation", (json_int_t)pv->evaluation_id,
                             "label", pv->label, "framework", pv->framework, "same_framework",
                             pv->same_framework);
            json_object_set_new(prev, "consensus",
                                pv->has_points ? json_string(kp_points_format(pv->points_centi, pb))
                                               : json_null());
            if (pv->has_points) {
                json_object_set_new(prev, "method", json_string(pv->method));
                json_object_set_new(prev, "reason", json_string(pv->reason));
            }
        }
        json_object_set_new(o, "previous", prev);
        kp_cli_json(cli, o);
        return 0;
    }
    char b1[24], b2[24];
    printf("Evaluation %lld, %s (version %lld): question %s\n", (long long)id, out->status,
           (long long)out->version, row->question);
    printf("%s  (max %s)\n\n", row->text, kp_points_format(row->max_centi, b1));
    for (size_t k = 0; k < out->n_evaluators; k++) {
        const Kompass__V1__EvaluatorPoints *ep = NULL;
        for (size_t j = 0; j < row->n_points; j++)
            if (strcmp(row->points[j]->evaluator, out->evaluators[k]) == 0) ep = row->points[j];
        printf("  ");
        kp_cli_cell(out->evaluators[k], 12);
        printf(" %-6s %s\n", ep ? kp_points_format(ep->points_centi, b1) : "-",
               !ep              ? "(not scored)"
               : *ep->rationale ? ep->rationale
                                : "(no rationale)");
    }
    if (row->n_points >= 2)
        printf("  spread %s (%.0f %% of the max), %s; proposed %s (the median)\n",
               kp_points_format(row->spread_centi, b1), row->spread_share * 100, row->flag,
               kp_points_format(row->proposed_centi, b2));
    if (row->has_consensus)
        printf("  consensus %s (%s by %s at %s)%s%s\n", kp_points_format(row->consensus_centi, b1),
               row->method, *row->written_by ? row->written_by : "import",
               kp_cli_time(cli, row->written_at_us), *row->reason ? ": " : "", row->reason);
    else
        printf("  consensus not agreed yet (kompass consensus set %lld %s POINTS)\n", (long long)id,
               row->question);
    if (!pv)
        printf("  previous  no earlier signed round of this municipality\n");
    else if (!pv->same_framework)
        printf("  previous  %s (evaluation %lld) was on %s: not comparable\n", pv->label,
               (long long)pv->evaluation_id, pv->framework);
    else if (!pv->has_points)
        printf("  previous  %s (evaluation %lld): no consensus on %s\n", pv->label,
               (long long)pv->evaluation_id, row->question);
    else
        printf("  previous  %s (evaluation %lld): %s (%s)%s%s\n", pv->label,
               (long long)pv->evaluation_id, kp_points_format(pv->points_centi, b1), pv->method,
               *pv->reason ? ": " : "", pv->reason);
    printf("\nEvidence linked to %s: %zu entr%s\n", row->question, out->n_evidence,
           out->n_evidence == 1 ? "y" : "ies");
    for (size_t i = 0; i < out->n_evidence; i++)
        s_evidence_line(cli, out->evidence[i]);
    printf("\nThread: ");
    if (out->thread)
        kp_cli_thread_print(cli, out->thread);
    else
        printf("none yet (kompass comment add %lld %s --text ...)\n", (long long)id, row->question);
    return 0;
}

static int s_show(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_consensus_command;
    kp_opt opts[] = {{"unresolved", 0, NULL}, {"sort", 1, NULL}, {"question", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (kp_args_get(opts, "question")) {
        if (kp_args_get(opts, "unresolved") || kp_args_get(opts, "sort"))
            return kp_cli_usage(cli, cmd, "--question shows one question: no --unresolved, --sort");
        return s_question(cli, id, kp_args_get(opts, "question"));
    }
    const char *sort = kp_args_get(opts, "sort") ? kp_args_get(opts, "sort") : "question";
    if (strcmp(sort, "question") != 0 && strcmp(sort, "disagreement") != 0)
        return kp_cli_usage(cli, cmd, "--sort is question or disagreement, not '%s'", sort);
    int unresolved = kp_args_get(opts, "unresolved") != NULL;

    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ConsensusShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__consensus_show_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_CONSENSUS_SHOW;
    req->consensus_show = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__ConsensusShowResponse *out = resp->consensus_show;

    size_t nrows = 0;
    s_sorted = kp_arena_alloc(cli->arena, sizeof(void *) * (out->n_rows + 1));
    for (size_t i = 0; i < out->n_rows; i++) {
        kp_seen_put(cli, s_key(cli, id, out->rows[i]->question), out->rows[i]->version);
        if (!unresolved || !out->rows[i]->has_consensus) s_sorted[nrows++] = out->rows[i];
    }
    if (strcmp(sort, "disagreement") == 0)
        qsort(s_sorted, nrows, sizeof *s_sorted, s_by_disagreement);

    if (cli->settings.json) {
        json_t *rows = json_array(), *ev = json_array();
        for (size_t i = 0; i < nrows; i++)
            json_array_append_new(rows, s_row_json(s_sorted[i]));
        for (size_t i = 0; i < out->n_evaluators; i++)
            json_array_append_new(ev, json_string(out->evaluators[i]));
        kp_cli_json(
            cli, json_pack("{s:I,s:s,s:I,s:o,s:f,s:i,s:I,s:o,s:o}", "id", (json_int_t)id, "status",
                           out->status, "version", (json_int_t)out->version, "evaluators", ev,
                           "major_spread_pct", out->major_spread_pct, "resolved", out->resolved,
                           "questions", (json_int_t)out->n_rows, "agreement",
                           out->agreement ? kp_cli_agreement_json(out->agreement) : json_null(),
                           "rows", rows));
        return 0;
    }
    printf("Evaluation %lld, %s (version %lld): %d of %zu questions have a consensus score\n",
           (long long)id, out->status, (long long)out->version, out->resolved, out->n_rows);
    size_t ne = out->n_evaluators;
    /* a thread column only once the team has opened a thread */
    int threads = 0;
    for (size_t i = 0; i < out->n_rows; i++)
        if (*out->rows[i]->thread) threads = 1;
    size_t ncols = 7 + (size_t)threads + ne;
    kp_table *t = kp_table_new(cli->arena, ncols);
    kp_table_col(t, 0, "", 0);
    kp_table_col(t, 1, "", KP_TABLE_WRAP);
    kp_table_col(t, 2, "max", KP_TABLE_RIGHT);
    for (size_t i = 0; i < ne; i++)
        kp_table_col(t, 3 + i, out->evaluators[i], KP_TABLE_RIGHT);
    kp_table_col(t, 3 + ne, "spread", KP_TABLE_RIGHT);
    kp_table_col(t, 4 + ne, "flag", 0);
    kp_table_col(t, 5 + ne, "proposed", KP_TABLE_RIGHT);
    if (threads) kp_table_col(t, 6 + ne, "thread", 0);
    kp_table_col(t, ncols - 1, "consensus", KP_TABLE_WRAP);
    for (size_t i = 0; i < nrows; i++) {
        const Kompass__V1__ConsensusRow *row = s_sorted[i];
        char b1[24];
        kp_table_add(t, row->question);
        kp_table_add(t, row->text);
        kp_table_add(t, kp_points_format(row->max_centi, b1));
        for (size_t k = 0; k < ne; k++) {
            const char *v = "-";
            for (size_t j = 0; j < row->n_points; j++)
                if (strcmp(row->points[j]->evaluator, out->evaluators[k]) == 0)
                    v = kp_points_format(row->points[j]->points_centi, b1);
            kp_table_add(t, v);
        }
        kp_table_add(t, kp_arena_printf(cli->arena, "%.0f%%", row->spread_share * 100));
        kp_table_add(t, *row->flag ? row->flag : "-");
        kp_table_add(t, row->has_proposed ? kp_points_format(row->proposed_centi, b1) : "-");
        if (threads) kp_table_add(t, s_thread_cell(cli, row));
        if (row->has_consensus)
            kp_table_add(t,
                         kp_arena_printf(cli->arena, "%s (%s, %s)%s%s",
                                         kp_points_format(row->consensus_centi, b1), row->method,
                                         row->written_by, *row->reason ? ": " : "", row->reason));
        else
            kp_table_add(t, "-");
        /* what each evaluator wrote for it, a row each below it, in the text
         * column (whole: --question or --json) */
        for (size_t j = 0; j < row->n_points; j++)
            if (*row->points[j]->rationale) {
                kp_table_add(t, "");
                kp_table_add(
                    t, kp_arena_printf(cli->arena, "%s: %s", row->points[j]->evaluator,
                                       kp_cli_words(cli, row->points[j]->rationale,
                                                    66 - (int)strlen(row->points[j]->evaluator))));
                for (size_t c = 2; c < ncols; c++)
                    kp_table_add(t, "");
            }
    }
    kp_table_print(t, stdout, kp_table_width());
    /* the meeting's agenda: what is open, what is new since you looked */
    const char *open = "", *news = "";
    for (size_t i = 0; i < out->n_rows; i++) {
        const Kompass__V1__ConsensusRow *row = out->rows[i];
        if (!strcmp(row->thread, "open"))
            open = kp_arena_printf(cli->arena, "%s%s%s", open, *open ? ", " : "", row->question);
        if (row->new_comments)
            news = kp_arena_printf(cli->arena, "%s%s%d new on %s", news, *news ? ", " : "",
                                   row->new_comments, row->question);
    }
    if (*open || *news)
        printf("\nthreads: %s%s%s%s (kompass comment list %lld)\n", *open ? "open " : "", open,
               *open && *news ? "; " : "", news, (long long)id);
    const Kompass__V1__AgreementFigures *a = out->agreement;
    if (a && a->pairs_defined) {
        printf("\nagreement over %u questions: %.0f %% exact, mean difference %.2f points",
               a->pairable_units, a->exact_agreement * 100, a->mean_abs_difference);
        if (a->alpha_defined) printf(", Krippendorff's alpha %.3f", a->krippendorff_alpha_interval);
        if (a->kappa_defined) printf(", weighted kappa %.3f", a->weighted_kappa_quadratic);
        printf("\n");
    }
    return 0;
}

/* ---------------------------------------------------------------- writes */

/* On stderr: the consensus value a write would overwrite, and how to. */
static void s_conflict_print(kp_cli *cli, const Kompass__V1__ConsensusRow *row)
{
    char p[24];
    if (row->has_consensus)
        fprintf(stderr, "  now: %s = %s (version %lld, %s by %s at %s)%s%s\n", row->question,
                kp_points_format(row->consensus_centi, p), (long long)row->version, row->method,
                *row->written_by ? row->written_by : "import", kp_cli_time(cli, row->written_at_us),
                *row->reason ? ": " : "", row->reason);
    else
        fprintf(stderr, "  now: %s has no consensus score\n", row->question);
    fprintf(stderr, "  to overwrite it, run again with --version %lld\n", (long long)row->version);
}

static int s_set(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_consensus_command;
    kp_opt opts[] = {{"reason", 1, NULL}, {"version", 1, NULL}, {0}};
    const char *pos[3];
    int n;
    int64_t id, centi;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 3, 3, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if ((rc = kp_args_points(cli, cmd, pos[2], &centi))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ConsensusSetRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__consensus_set_request__init(b);
    b->evaluation_id = id;
    b->question = (char *)pos[1];
    b->points_centi = centi;
    if (kp_args_get(opts, "reason")) b->reason = (char *)kp_args_get(opts, "reason");
    int given = kp_args_version(cli, cmd, opts, &b->expected_version);
    if (given < 0) return -given;
    if (!given) {
        int64_t v = kp_seen_get(cli, s_key(cli, id, b->question));
        if (v < 0) { /* never shown: read it now */
            kp_request *r2 = kp_cli_request(cli);
            Kompass__V1__ConsensusShowRequest *s = kp_arena_alloc(cli->arena, sizeof *s);
            kompass__v1__consensus_show_request__init(s);
            s->evaluation_id = id;
            r2->body_case = KOMPASS__V1__REQUEST__BODY_CONSENSUS_SHOW;
            r2->consensus_show = s;
            kp_response *resp;
            const char *why;
            /* refused (blind scoring, say): the write will say why itself */
            if (kp_cli_call_quiet(cli, r2, &resp, &why) == KP_OK)
                for (size_t i = 0; i < resp->consensus_show->n_rows; i++) {
                    const Kompass__V1__ConsensusRow *row = resp->consensus_show->rows[i];
                    if (strcmp(row->question, b->question) != 0) continue;
                    /* a value this user was never shown is not overwritten unasked */
                    if (row->has_consensus) {
                        rc = kp_cli_error(cli, KP_CONFLICT,
                                          "CONFLICT: %s already has a consensus score, which you "
                                          "have not seen; nothing was written",
                                          b->question);
                        if (!cli->settings.json) s_conflict_print(cli, row);
                        return rc;
                    }
                    v = row->version;
                }
        }
        b->expected_version = v < 0 ? 0 : v;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_CONSENSUS_SET;
    req->consensus_set = b;
    kp_response *resp;
    if ((rc = kp_cli_send(cli, req, &resp))) return rc;
    const Kompass__V1__ConsensusSetResponse *out = resp->consensus_set;
    if (resp->status == KOMPASS__V1__STATUS__CONFLICT && out && out->row) {
        /* What would be overwritten; the version is not recorded as seen, so
         * that running the same command again is refused again: only an
         * explicit --version (or reading it with `consensus ID`) overwrites. */
        rc = kp_cli_fail(cli, resp);
        if (!cli->settings.json) s_conflict_print(cli, out->row);
        return rc;
    }
    if (resp->status != KOMPASS__V1__STATUS__OK) return kp_cli_fail(cli, resp);
    kp_seen_put(cli, s_key(cli, id, out->row->question), out->row->version);
    if (cli->settings.json) {
        json_t *o = s_row_json(out->row);
        json_object_set_new(o, "status", json_string(out->status));
        json_object_set_new(o, "evaluation_version", json_integer(out->version));
        kp_cli_json(cli, o);
        return 0;
    }
    char p[24];
    printf("consensus score %s set to %s (evaluation %lld, version %lld, %s)\n", b->question,
           kp_points_format(centi, p), (long long)id, (long long)out->version, out->status);
    return 0;
}

static int s_auto(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_consensus_command;
    kp_opt opts[] = {{"strategy", 1, NULL}, {"max-spread", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (!kp_args_get(opts, "strategy"))
        return kp_cli_usage(cli, cmd, "consensus auto needs --strategy mean|median|lead");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ConsensusAutoRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__consensus_auto_request__init(b);
    b->evaluation_id = id;
    b->strategy = (char *)kp_args_get(opts, "strategy");
    if (kp_args_get(opts, "max-spread")) {
        char *end;
        const char *t = kp_args_get(opts, "max-spread");
        b->max_spread_pct = strtod(t, &end);
        if (end == t || (*end && strcmp(end, "%") != 0) || !(b->max_spread_pct > 0) ||
            b->max_spread_pct > 100)
            return kp_cli_usage(
                cli, cmd, "--max-spread is a percentage above 0 and at most 100, not '%s'", t);
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_CONSENSUS_AUTO;
    req->consensus_auto = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__ConsensusAutoResponse *out = resp->consensus_auto;
    for (size_t i = 0; i < out->n_set; i++)
        kp_seen_put(cli, s_key(cli, id, out->set[i]->question), out->set[i]->version);
    if (cli->settings.json) {
        json_t *set = json_array(), *skipped = json_array();
        for (size_t i = 0; i < out->n_set; i++)
            json_array_append_new(set, s_row_json(out->set[i]));
        for (size_t i = 0; i < out->n_skipped; i++)
            json_array_append_new(skipped,
                                  json_pack("{s:s,s:s}", "question", out->skipped[i]->question,
                                            "why", out->skipped[i]->why));
        kp_cli_json(cli,
                    json_pack("{s:I,s:s,s:I,s:o,s:o}", "id", (json_int_t)id, "status", out->status,
                              "version", (json_int_t)out->version, "set", set, "skipped", skipped));
        return 0;
    }
    printf("%zu consensus score%s set by %s (evaluation %lld, version %lld, %s)\n", out->n_set,
           out->n_set == 1 ? "" : "s", b->strategy, (long long)id, (long long)out->version,
           out->status);
    for (size_t i = 0; i < out->n_skipped; i++)
        printf("  left for the team: %-6s %s\n", out->skipped[i]->question, out->skipped[i]->why);
    return 0;
}

static int s_threshold(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_consensus_command;
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    char *end;
    double pct = strtod(pos[1], &end);
    if (end == pos[1] || (*end && strcmp(end, "%") != 0))
        return kp_cli_usage(cli, cmd, "the threshold is a percentage, not '%s'", pos[1]);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ConsensusThresholdRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__consensus_threshold_request__init(b);
    b->evaluation_id = id;
    b->major_spread_pct = pct;
    req->body_case = KOMPASS__V1__REQUEST__BODY_CONSENSUS_THRESHOLD;
    req->consensus_threshold = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:I,s:f,s:I}", "id", (json_int_t)id, "major_spread_pct",
                                   resp->consensus_threshold->major_spread_pct, "version",
                                   (json_int_t)resp->consensus_threshold->version));
    else
        printf("a disagreement in evaluation %lld is now major above %.2f %% of the max\n",
               (long long)id, resp->consensus_threshold->major_spread_pct);
    return 0;
}

int kp_cmd_consensus(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return kp_cli_usage(cli, &kp_consensus_command, "consensus needs an evaluation id");
    if (strcmp(argv[1], "auto") == 0) return s_auto(cli, argc, argv);
    if (strcmp(argv[1], "set") == 0) return s_set(cli, argc, argv);
    if (strcmp(argv[1], "threshold") == 0) return s_threshold(cli, argc, argv);
    return s_show(cli, argc, argv);
}

/* ---------------------------------------------------------------- text approve */

int kp_cmd_text_approve(kp_cli *cli, const kp_command *cmd, int argc, char **argv)
{
    const char *pos[2];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = kp_args_id(cli, cmd, "area", pos[1], &area)))
        return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__TextApproveRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__text_approve_request__init(b);
    b->evaluation_id = id;
    b->area = (int32_t)area;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_APPROVE;
    req->text_approve = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__TextApproveResponse *out = resp->text_approve;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:I,s:I,s:s,s:I,s:i,s:i}", "id", (json_int_t)id, "area",
                                   (json_int_t)area, "status", out->status, "version",
                                   (json_int_t)out->version, "approved_areas", out->approved_areas,
                                   "areas", out->areas));
    else
        printf("area %lld's texts approved (%d of %d areas; evaluation %lld is in %s)\n",
               (long long)area, out->approved_areas, out->areas, (long long)id, out->status);
    return 0;
}

/* ---------------------------------------------------------------- eval status */

int kp_cmd_eval_status(kp_cli *cli, int64_t id)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalStatusRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_status_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_STATUS;
    req->eval_status = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalStatusResponse *s = resp->eval_status;
    if (cli->settings.json) {
        json_t *blocking = json_array(), *waiting = json_array(), *sigs = json_array();
        for (size_t i = 0; i < s->n_blocking; i++)
            json_array_append_new(blocking, json_string(s->blocking[i]));
        for (size_t i = 0; i < s->n_waiting_for; i++)
            json_array_append_new(waiting, json_string(s->waiting_for[i]));
        for (size_t i = 0; i < s->n_signatures; i++)
            json_array_append_new(sigs, kp_cli_signature_json(cli, s->signatures[i]));
        json_t *open = json_array();
        for (size_t i = 0; i < s->n_open_threads; i++)
            json_array_append_new(open, json_string(s->open_threads[i]));
        kp_cli_json(cli,
                    json_pack("{s:I,s:s,s:I,s:i,s:s,s:o,s:{s:i,s:i},s:{s:i,s:i},s:{s:i,s:"
                              "i},s:o,s:o,s:o,s:o}",
                              "id", (json_int_t)id, "status", s->status, "version",
                              (json_int_t)s->version, "revision", s->revision, "next", s->next,
                              "blocking", blocking, "submitted", "done", s->submitted, "of",
                              s->evaluators, "consensus", "done", s->resolved, "of", s->questions,
                              "approved", "done", s->approved_areas, "of", s->areas, "signatures",
                              sigs, "waiting_for", waiting, "open_threads", open, "practice",
                              s->practice ? json_string("övning") : json_null()));
        return 0;
    }
    printf("Evaluation %lld%s: %s (version %lld, revision %d)\n", (long long)id,
           s->practice ? " (övning: a calibration exercise)" : "", s->status, (long long)s->version,
           s->revision);
    printf("  submitted   %d of %d evaluators\n", s->submitted, s->evaluators);
    printf("  consensus   %d of %d questions\n", s->resolved, s->questions);
    printf("  approved    %d of %d areas' texts\n", s->approved_areas, s->areas);
    if (s->n_open_threads)
        printf("  threads     %zu open: %s\n", s->n_open_threads,
               kp_arena_join(cli->arena, s->open_threads, s->n_open_threads, ", ", 45));
    for (size_t i = 0; i < s->n_signatures; i++)
        kp_cli_signature_print(cli, s->signatures[i], i == 0 ? "  signed by   " : "              ");
    if (*s->next) {
        printf("  next        %s\n", s->next);
        for (size_t i = 0; i < s->n_blocking; i++)
            printf("  blocked by  %s\n", s->blocking[i]);
    } else if (s->practice) {
        for (size_t i = 0; i < s->n_blocking; i++)
            printf("  övning      %s\n", s->blocking[i]);
    }
    return 0;
}
