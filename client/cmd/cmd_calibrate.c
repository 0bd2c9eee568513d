/*  cmd_calibrate: `kompass calibrate ID --for LOGIN`, `kompass calibrate
 *  result ID` and `kompass stats calibration`: calibration exercises
 *  ("övning") for new peer evaluators against a signed evaluation. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "points.h"

const kp_command kp_calibrate_command = {
    "calibrate", kp_cmd_calibrate, "calibration exercises (övning) for new peer evaluators",
    "usage: kompass calibrate ID --for LOGIN        (administrators)\n"
    "       kompass calibrate result PRACTICE_ID\n"
    "\n"
    "calibrate ID --for LOGIN makes a practice copy (\"övning\") of the signed\n"
    "evaluation ID for the evaluator LOGIN, who has not worked on it: the same\n"
    "municipality and framework, a copy of its evidence log, and nothing of the\n"
    "team's judgement (no scores, no texts). The trainee scores it blind with the\n"
    "ordinary commands (kompass score set|import PRACTICE_ID ..., kompass evidence\n"
    "list PRACTICE_ID) and submits it (kompass submit PRACTICE_ID). Then, and only\n"
    "then, their scores are shown beside the signed consensus: per question, the\n"
    "questions furthest off with the team's rationales, and the agreement with the\n"
    "consensus (exact agreement, mean difference, Krippendorff's alpha, weighted\n"
    "kappa: docs/agreement.md).\n"
    "\n"
    "result PRACTICE_ID shows that again (the trainee and administrators).\n"
    "Exercises never count in averages, agreement statistics, history, reports or\n"
    "search. kompass stats calibration lists every trainee's results over time.\n"};

static json_t *s_points(int has, int64_t centi)
{
    char b[24];
    return has ? json_string(kp_points_format(centi, b)) : json_null();
}

json_t *kp_cli_calibration_json(kp_cli *cli, const Kompass__V1__CalibrationResult *c)
{
    json_t *furthest = json_array(), *qs = json_array();
    for (size_t i = 0; i < c->n_furthest; i++)
        json_array_append_new(furthest, json_string(c->furthest[i]));
    for (size_t i = 0; i < c->n_questions; i++) {
        const Kompass__V1__CalibrationQuestion *q = c->questions[i];
        char mb[24];
        json_t *team = json_array();
        for (size_t k = 0; k < q->n_team; k++)
            json_array_append_new(team,
                                  json_pack("{s:s,s:o,s:s}", "evaluator", q->team[k]->evaluator,
                                            "points", s_points(1, q->team[k]->points_centi),
                                            "rationale", q->team[k]->rationale));
        json_array_append_new(
            qs, json_pack("{s:i,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s}", "area", q->area, "question",
                          q->question, "text", q->text, "max", kp_points_format(q->max_centi, mb),
                          "you", s_points(q->has_trainee, q->trainee_centi), "consensus",
                          s_points(q->has_consensus, q->consensus_centi), "difference",
                          s_points(q->has_trainee && q->has_consensus, q->difference_centi), "team",
                          team, "consensus_reason", q->consensus_reason));
    }
    json_t *o = json_pack("{s:I,s:s,s:I,s:s,s:s,s:{s:I,s:s,s:i},s:s,s:s,s:b}", "calibration",
                          (json_int_t)c->calibration_id, "practice", "övning", "evaluation",
                          (json_int_t)c->practice_id, "trainee", c->trainee, "trainee_name",
                          c->trainee_name, "source", "id", (json_int_t)c->source_id, "name",
                          c->source, "revision", c->source_revision, "framework", c->framework,
                          "created", kp_cli_time(cli, c->created_at_us), "submitted", c->submitted);
    json_object_set_new(o, "submitted_at",
                        c->submitted ? json_string(kp_cli_time(cli, c->submitted_at_us))
                                     : json_null());
    json_object_set_new(o, "agreement",
                        c->agreement ? kp_cli_agreement_json(c->agreement) : json_null());
    json_object_set_new(o, "furthest", furthest);
    if (c->n_questions)
        json_object_set_new(o, "questions", qs);
    else
        json_decref(qs);
    return o;
}

/* "exact 62 %, mean difference 1.40 points, Krippendorff's alpha 0.912, ..." */
static const char *s_figures(kp_cli *cli, const Kompass__V1__AgreementFigures *a)
{
    if (!a || !a->pairs_defined) return "no question to compare";
    const char *s =
        kp_arena_printf(cli->arena, "exact %.0f %% of %u questions, mean difference %.2f points",
                        a->exact_agreement * 100, a->pairable_units, a->mean_abs_difference);
    s = kp_arena_printf(
        cli->arena, "%s, Krippendorff's alpha %s, weighted kappa %s", s,
        a->alpha_defined ? kp_arena_printf(cli->arena, "%.3f", a->krippendorff_alpha_interval)
                         : "-",
        a->kappa_defined ? kp_arena_printf(cli->arena, "%.3f", a->weighted_kappa_quadratic) : "-");
    return s;
}

static const Kompass__V1__CalibrationQuestion *s_question(const Kompass__V1__CalibrationResult *c,
                                                          const char *code)
{
    for (size_t i = 0; i < c->n_questions; i++)
        if (strcmp(c->questions[i]->question, code) == 0) return c->questions[i];
    return NULL;
}

void kp_cli_calibration_print(kp_cli *cli, const Kompass__V1__CalibrationResult *c)
{
    printf("Calibration exercise %lld (övning, evaluation %lld): %s (%s) against %s\n"
           "  (evaluation %lld, signed revision %d, %s)\n",
           (long long)c->calibration_id, (long long)c->practice_id, c->trainee, c->trainee_name,
           c->source, (long long)c->source_id, c->source_revision, c->framework);
    if (!c->submitted) {
        printf("not submitted yet: %s's scores are compared with the signed consensus once they "
               "submit (kompass submit %lld)\n",
               c->trainee, (long long)c->practice_id);
        return;
    }
    printf("submitted %s\n", kp_cli_time(cli, c->submitted_at_us));
    printf("agreement with the signed consensus: %s\n", s_figures(cli, c->agreement));
    if (!c->n_questions) return;
    char b1[24], b2[24], b3[24], b4[24];
    printf("\nQUESTION  MAX   YOU     CONSENSUS  DIFF    TEXT\n");
    for (size_t i = 0; i < c->n_questions; i++) {
        const Kompass__V1__CalibrationQuestion *q = c->questions[i];
        printf("%-9s %-5s %-7s %-10s %-7s ", q->question, kp_points_format(q->max_centi, b1),
               q->has_trainee ? kp_points_format(q->trainee_centi, b2) : "-",
               q->has_consensus ? kp_points_format(q->consensus_centi, b3) : "-",
               q->has_trainee && q->has_consensus
                   ? (q->difference_centi > 0
                          ? kp_arena_printf(cli->arena, "+%s",
                                            kp_points_format(q->difference_centi, b4))
                          : kp_points_format(q->difference_centi, b4))
                   : "-");
        kp_cli_cell(q->text, 40);
        printf("\n");
    }
    if (!c->n_furthest) {
        printf("\nevery question as the signed consensus\n");
        return;
    }
    printf("\nFurthest off, with the team's rationales\n");
    for (size_t i = 0; i < c->n_furthest; i++) {
        const Kompass__V1__CalibrationQuestion *q = s_question(c, c->furthest[i]);
        if (!q) continue;
        printf("%-5s you %s, consensus %s (%s%s of %s)  ", q->question,
               kp_points_format(q->trainee_centi, b1), kp_points_format(q->consensus_centi, b2),
               q->difference_centi > 0 ? "+" : "", kp_points_format(q->difference_centi, b3),
               kp_points_format(q->max_centi, b4));
        kp_cli_cell(q->text, 40);
        printf("\n");
        for (size_t k = 0; k < q->n_team; k++)
            printf("      %s gave %s%s%s\n", q->team[k]->evaluator,
                   kp_points_format(q->team[k]->points_centi, b1),
                   *q->team[k]->rationale ? ": " : "", q->team[k]->rationale);
        if (*q->consensus_reason) printf("      the consensus: %s\n", q->consensus_reason);
    }
}

static int s_create(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_calibrate_command;
    kp_opt opts[] = {{"for", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (!kp_args_get(opts, "for"))
        return kp_cli_usage(cli, cmd, "calibrate needs --for LOGIN: the trainee");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CalibrationCreateRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__calibration_create_request__init(b);
    b->evaluation_id = id;
    b->trainee = (char *)kp_args_get(opts, "for");
    req->body_case = KOMPASS__V1__REQUEST__BODY_CALIBRATION_CREATE;
    req->calibration_create = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CalibrationCreateResponse *out = resp->calibration_create;
    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:i,s:i}", "source", (json_int_t)id,
                                   "evaluation", (json_int_t)out->practice_id, "calibration",
                                   (json_int_t)out->calibration_id, "practice", "övning", "label",
                                   out->label, "trainee", b->trainee, "evidence", out->evidence,
                                   "questions", out->questions));
        return 0;
    }
    printf("calibration exercise %lld: evaluation %lld (%s, övning) for %s, copied from "
           "evaluation %lld\n",
           (long long)out->calibration_id, (long long)out->practice_id, out->label, b->trainee,
           (long long)id);
    printf("  %d evidence entr%s copied; %s scores %d questions blind, then: kompass submit %lld\n",
           out->evidence, out->evidence == 1 ? "y" : "ies", b->trainee, out->questions,
           (long long)out->practice_id);
    return 0;
}

static int s_result(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_calibrate_command;
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CalibrationShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__calibration_show_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_CALIBRATION_SHOW;
    req->calibration_show = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CalibrationResult *c = resp->calibration_show->result;
    if (cli->settings.json)
        kp_cli_json(cli, kp_cli_calibration_json(cli, c));
    else
        kp_cli_calibration_print(cli, c);
    return 0;
}

int kp_cmd_calibrate(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return kp_cli_usage(cli, &kp_calibrate_command, "calibrate needs an evaluation id");
    if (strcmp(argv[1], "result") == 0) return s_result(cli, argc, argv);
    return s_create(cli, argc, argv);
}

int kp_cmd_stats_calibration(kp_cli *cli, const kp_command *cmd, int argc, char **argv)
{
    kp_opt opts[] = {{"for", 1, NULL}, {"json", 0, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 0, 0, &n);
    if (rc) return rc;
    if (kp_args_get(opts, "json")) cli->settings.json = 1;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CalibrationStatsRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__calibration_stats_request__init(b);
    if (kp_args_get(opts, "for")) b->trainee = (char *)kp_args_get(opts, "for");
    req->body_case = KOMPASS__V1__REQUEST__BODY_CALIBRATION_STATS;
    req->calibration_stats = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CalibrationStatsResponse *s = resp->calibration_stats;
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_results; i++)
            json_array_append_new(arr, kp_cli_calibration_json(cli, s->results[i]));
        kp_cli_json(cli, json_pack("{s:o}", "calibrations", arr));
        return 0;
    }
    if (!s->n_results) {
        printf("no calibration exercises yet (kompass calibrate ID --for LOGIN)\n");
        return 0;
    }
    printf("Calibration exercises (övning), by trainee, oldest first\n");
    printf("TRAINEE       EVAL   AGAINST                       SUBMITTED             EXACT  "
           "MEAN|DIFF|  ALPHA   KAPPA   FURTHEST OFF\n");
    for (size_t i = 0; i < s->n_results; i++) {
        const Kompass__V1__CalibrationResult *c = s->results[i];
        const Kompass__V1__AgreementFigures *a = c->agreement;
        kp_cli_cell(c->trainee, 13);
        printf(" %-6lld ", (long long)c->practice_id);
        kp_cli_cell(c->source, 29);
        printf(" %-21s ", c->submitted ? kp_cli_time(cli, c->submitted_at_us) : "not yet");
        int d = a && a->pairs_defined;
        printf(
            "%-6s %-11s %-7s %-7s %s\n",
            d ? kp_arena_printf(cli->arena, "%.0f%%", a->exact_agreement * 100) : "-",
            d ? kp_arena_printf(cli->arena, "%.2f", a->mean_abs_difference) : "-",
            d && a->alpha_defined
                ? kp_arena_printf(cli->arena, "%.3f", a->krippendorff_alpha_interval)
                : "-",
            d && a->kappa_defined ? kp_arena_printf(cli->arena, "%.3f", a->weighted_kappa_quadratic)
                                  : "-",
            c->n_furthest ? kp_arena_join(cli->arena, c->furthest, c->n_furthest, ", ", 5) : "-");
    }
    return 0;
}
