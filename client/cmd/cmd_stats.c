/*  cmd_stats: `kompass stats agreement`, SKL-wide statistics over evaluations.
 *
 *  (`kompass admin stats` is something else: request counters of a kompassd.)
 *  The figures and their JSON keys are defined in docs/agreement.md.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "points.h"

const kp_command kp_stats_command = {
    "stats", kp_cmd_stats, "statistics across evaluations: agreement, calibration (administrators)",
    "usage: kompass stats agreement [--framework CODE] [--json]\n"
    "       kompass stats calibration [--for LOGIN] [--json]\n"
    "\n"
    "agreement: how much evaluators agree in their individual scores, over every\n"
    "signed evaluation of a framework (default: the newest): overall, per question\n"
    "and per evaluator pair, least agreement first, to show where the framework or\n"
    "the training is unclear. Figures (docs/agreement.md): exact agreement (share\n"
    "of evaluator pairs with equal scores), mean absolute difference (points),\n"
    "Krippendorff's alpha (interval), and quadratic weighted kappa where exactly\n"
    "two evaluators take part. \"-\" where a figure is not defined for the data.\n"
    "Least agreement first means the largest mean difference as a share of the\n"
    "question's max. Imported evaluations have no individual scores: they do not\n"
    "count, and neither do calibration exercises (övning).\n"
    "\n"
    "calibration: every trainee's calibration exercises (kompass calibrate), oldest\n"
    "first: against which signed evaluation, when submitted, their agreement with\n"
    "its consensus (exact, mean difference, alpha, kappa) and the questions\n"
    "furthest off.\n"};

/* A figure as JSON: the number, or null when not defined. */
static json_t *s_num(int defined, double v)
{
    return defined ? json_real(v) : json_null();
}

json_t *kp_cli_agreement_json(const Kompass__V1__AgreementFigures *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "pairable_units", json_integer(f->pairable_units));
    json_object_set_new(o, "pairs", json_integer(f->pairs));
    json_object_set_new(o, "exact_agreement", s_num(f->pairs_defined, f->exact_agreement));
    json_object_set_new(o, "mean_abs_difference", s_num(f->pairs_defined, f->mean_abs_difference));
    json_object_set_new(o, "krippendorff_alpha_interval",
                        s_num(f->alpha_defined, f->krippendorff_alpha_interval));
    json_object_set_new(o, "weighted_kappa_quadratic",
                        s_num(f->kappa_defined, f->weighted_kappa_quadratic));
    return o;
}

/* Adds the figures' keys to o (flat, as the docs list them). */
static void s_add_figures(json_t *o, const Kompass__V1__AgreementFigures *f)
{
    json_t *fig = kp_cli_agreement_json(f);
    json_object_update(o, fig);
    json_decref(fig);
}

/* Prints a figure in a column of width w: a share as a percent, else with
 * decimals; "-" when not defined. */
static void s_cell(int defined, double v, int percent, int w)
{
    char b[32];
    if (!defined)
        snprintf(b, sizeof b, "-");
    else if (percent)
        snprintf(b, sizeof b, "%.0f%%", v * 100.0);
    else
        snprintf(b, sizeof b, "%.2f", v);
    printf("%-*s", w, b);
}

static void s_print(const Kompass__V1__StatsAgreementResponse *s)
{
    const Kompass__V1__AgreementFigures *o = s->overall;
    printf("Agreement on %s (%s): %u signed evaluation%s with individual scores, %u "
           "evaluator%s\n",
           s->framework, s->framework_name, s->evaluations, s->evaluations == 1 ? "" : "s",
           s->evaluators, s->evaluators == 1 ? "" : "s");
    if (!o->pairs_defined) {
        printf("no question of a signed evaluation was scored by two evaluators yet\n");
        return;
    }
    printf("overall: %u evaluation questions with two or more scores, %u pairs; exact ",
           o->pairable_units, o->pairs);
    s_cell(1, o->exact_agreement, 1, 0);
    printf(", mean difference %.2f, alpha ", o->mean_abs_difference);
    s_cell(o->alpha_defined, o->krippendorff_alpha_interval, 0, 0);
    printf(", kappa ");
    s_cell(o->kappa_defined, o->weighted_kappa_quadratic, 0, 0);
    printf("\n\nQuestions, least agreement first\n");
    printf("QUESTION  MAX   EVALS  EXACT  MEAN|DIFF|  SPREAD  ALPHA   KAPPA   TEXT\n");
    for (size_t i = 0; i < s->n_questions; i++) {
        const Kompass__V1__QuestionAgreement *q = s->questions[i];
        const Kompass__V1__AgreementFigures *f = q->figures;
        char mb[24];
        printf("%-10s%-6s%-7u", q->code, kp_points_format(q->max_centi, mb), q->evaluations);
        s_cell(f->pairs_defined, f->exact_agreement, 1, 7);
        s_cell(f->pairs_defined, f->mean_abs_difference, 0, 12);
        s_cell(f->pairs_defined, q->mean_spread, 0, 8);
        s_cell(f->alpha_defined, f->krippendorff_alpha_interval, 0, 8);
        s_cell(f->kappa_defined, f->weighted_kappa_quadratic, 0, 8);
        kp_cli_cell(q->text, 40);
        printf("\n");
    }
    printf("\nEvaluator pairs, least agreement first\n");
    printf("EVALUATORS                       SHARED  EXACT  MEAN|DIFF|  KAPPA\n");
    for (size_t i = 0; i < s->n_pairs; i++) {
        const Kompass__V1__PairAgreement *p = s->pairs[i];
        const Kompass__V1__AgreementFigures *f = p->figures;
        char who[80];
        snprintf(who, sizeof who, "%s / %s", p->login_a, p->login_b);
        kp_cli_cell(who, 33);
        printf("%-8u", p->shared_questions);
        s_cell(f->pairs_defined, f->exact_agreement, 1, 7);
        s_cell(f->pairs_defined, f->mean_abs_difference, 0, 12);
        s_cell(f->kappa_defined, f->weighted_kappa_quadratic, 0, 0);
        printf("\n");
    }
}

static int s_agreement(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"framework", 1, NULL}, {"json", 0, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_stats_command, argc, argv, 2, opts, pos, 0, 0, &n);
    if (rc) return rc;
    if (kp_args_get(opts, "json")) cli->settings.json = 1;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__StatsAgreementRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__stats_agreement_request__init(b);
    const char *framework = kp_args_get(opts, "framework");
    if (framework) {
        if (!*framework)
            return kp_cli_usage(cli, &kp_stats_command, "--framework needs a framework's code");
        b->framework = (char *)framework;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_STATS_AGREEMENT;
    req->stats_agreement = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__StatsAgreementResponse *s = resp->stats_agreement;
    if (!cli->settings.json) {
        s_print(s);
        return 0;
    }
    json_t *questions = json_array(), *pairs = json_array();
    for (size_t i = 0; i < s->n_questions; i++) {
        const Kompass__V1__QuestionAgreement *q = s->questions[i];
        char mb[24];
        json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "code", q->code, "text", q->text, "max",
                              kp_points_format(q->max_centi, mb), "evaluations", q->evaluations);
        s_add_figures(o, q->figures);
        json_object_set_new(o, "mean_spread", s_num(q->figures->pairs_defined, q->mean_spread));
        json_object_set_new(o, "relative_difference",
                            s_num(q->figures->pairs_defined, q->relative_difference));
        json_array_append_new(questions, o);
    }
    for (size_t i = 0; i < s->n_pairs; i++) {
        const Kompass__V1__PairAgreement *p = s->pairs[i];
        json_t *o = json_pack("{s:[s,s],s:i}", "evaluators", p->login_a, p->login_b,
                              "shared_questions", p->shared_questions);
        s_add_figures(o, p->figures);
        json_object_set_new(o, "relative_difference",
                            s_num(p->figures->pairs_defined, p->relative_difference));
        json_array_append_new(pairs, o);
    }
    kp_cli_json(cli,
                json_pack("{s:s,s:s,s:i,s:i,s:o,s:o,s:o}", "framework", s->framework,
                          "framework_name", s->framework_name, "evaluations", s->evaluations,
                          "evaluators", s->evaluators, "overall", kp_cli_agreement_json(s->overall),
                          "questions", questions, "pairs", pairs));
    return 0;
}

int kp_cmd_stats(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_stats_command, "stats needs a subcommand");
    if (strcmp(argv[1], "agreement") == 0) return s_agreement(cli, argc, argv);
    if (strcmp(argv[1], "calibration") == 0)
        return kp_cmd_stats_calibration(cli, &kp_stats_command, argc, argv);
    return kp_cli_usage(cli, &kp_stats_command, "unknown subcommand 'stats %s'", argv[1]);
}
