/*  rpc_agreement: StatsAgreement, how much evaluators agree across SKL.
 *
 *  Over every *signed* evaluation of one framework (the newest unless named),
 *  the evaluators' individual scores (table scores) give the figures of
 *  docs/agreement.md (common/agreement.c) three ways:
 *
 *    overall     units = (evaluation, question), raters = evaluators
 *    questions   one question: units = the evaluations, raters = evaluators
 *    pairs       two evaluators: units = the (evaluation, question) both scored
 *
 *  Questions and pairs come least agreement first: by the mean absolute
 *  difference as a share of the question's max (relative_difference), so
 *  that questions of 10 and of 30 points compare. Imported evaluations hold
 *  no individual scores and so do not count; nor does a question only one
 *  evaluator of an evaluation scored. Read only, for administrators.
 *
 *  Krippendorff's alpha ignores which rater gave which value, so the overall
 *  and per-question matrices put each unit's values in the first columns
 *  (width: the most evaluators of one unit) instead of one column per
 *  evaluator, which keeps them small; only when exactly two evaluators take
 *  part (and kappa is defined) is each one's column their own.
 */
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "rpc.h"

const kp_stmt kp_agreement_stmts[] = {
    {"agreement_framework", "SELECT id, code, name FROM frameworks"
                            " WHERE $1::text IS NULL OR code = $1"
                            " ORDER BY year DESC, created_at DESC, id DESC LIMIT 1"},
    /* one row per individual score; a unit's rows are consecutive */
    {"agreement_scores",
     "SELECT q.id, q.code, q.text, (q.max * 100)::bigint, s.evaluation_id, u.login,"
     " (s.points * 100)::bigint"
     " FROM scores s JOIN evaluations e ON e.id = s.evaluation_id"
     " JOIN framework_questions q ON q.id = s.question_id"
     " JOIN framework_areas a ON a.id = q.area_id JOIN users u ON u.id = s.evaluator_id"
     " WHERE e.framework_id = $1 AND e.status = 'signed' AND NOT e.practice"
     " ORDER BY a.number, q.position, s.evaluation_id, s.evaluator_id"},
    {NULL, NULL},
};

/* One individual score. */
typedef struct {
    int64_t question, evaluation, value, max;
    size_t rater; /* index into the sorted logins */
} s_score;

/* A unit: the consecutive scores of one (question, evaluation). */
typedef struct {
    size_t first, count;
} s_unit;

/* A row of the answer with its sort key. */
typedef struct {
    void *msg;
    int defined;
    double key;
    size_t order; /* framework order, or pair order: the tie-break */
} s_ranked;

static int s_cmp_login(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Least agreement first; rows without figures last; then in order. */
static int s_cmp_ranked(const void *a, const void *b)
{
    const s_ranked *x = a, *y = b;
    if (x->defined != y->defined) return y->defined - x->defined;
    if (x->defined && x->key != y->key) return x->key < y->key ? 1 : -1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The figures of a result, in points. */
Kompass__V1__AgreementFigures *kp_agreement_figures(kp_req *r, const kp_agreement_result *res)
{
    Kompass__V1__AgreementFigures *f = kp_arena_alloc(r->arena, sizeof *f);
    kompass__v1__agreement_figures__init(f);
    f->pairable_units = (uint32_t)res->pairable_units;
    f->pairs = (uint32_t)res->pairs;
    f->pairs_defined = res->pairs > 0;
    f->exact_agreement = res->exact_agreement;
    f->mean_abs_difference = res->mean_abs_difference / 100.0;
    f->alpha_defined = res->alpha_defined;
    f->krippendorff_alpha_interval = res->krippendorff_alpha_interval;
    f->kappa_defined = res->kappa_defined;
    f->weighted_kappa_quadratic = res->weighted_kappa_quadratic;
    return f;
}

/* The figures of units[0..n-1]. two: the two raters' indexes when exactly
 * two take part (each gets a column of their own), else NULL. */
static void s_compute(kp_req *r, const s_score *sc, const s_unit *units, size_t n,
                      const size_t *two, kp_agreement_result *out)
{
    size_t width = 2;
    for (size_t u = 0; u < n; u++)
        if (units[u].count > width) width = units[u].count;
    if (two) width = 2;
    int64_t *v = kp_arena_alloc(r->arena, sizeof *v * (n * width + 1));
    for (size_t u = 0; u < n; u++) {
        int64_t *row = v + u * width;
        for (size_t k = 0; k < width; k++)
            row[k] = KP_AGREEMENT_MISSING;
        for (size_t k = 0; k < units[u].count; k++) {
            const s_score *s = &sc[units[u].first + k];
            row[two ? (s->rater == two[0] ? 0 : 1) : k] = s->value;
        }
    }
    kp_agreement_input in = {.units = n, .raters = width, .values = v};
    kp_agreement_compute(&in, out);
    if (!two) { /* columns are slots, not raters: kappa would mean nothing */
        out->kappa_defined = 0;
        out->weighted_kappa_quadratic = 0;
    }
}

/* The two raters of units[0..n-1] if there are exactly two (into two). */
static int s_exactly_two(const s_score *sc, const s_unit *units, size_t n, size_t two[2])
{
    size_t found = 0;
    for (size_t u = 0; u < n; u++)
        for (size_t k = 0; k < units[u].count; k++) {
            size_t rater = sc[units[u].first + k].rater;
            if (found > 0 && two[0] == rater) continue;
            if (found > 1 && two[1] == rater) continue;
            if (found == 2) return 0;
            two[found++] = rater;
        }
    return found == 2;
}

/* Per question, into out (units are grouped by question). */
static void s_questions(kp_req *r, PGresult *res, const s_score *sc, const s_unit *units,
                        size_t n_units, Kompass__V1__StatsAgreementResponse *out)
{
    s_ranked *ranked = kp_arena_alloc(r->arena, sizeof *ranked * (n_units + 1));
    size_t n = 0;
    for (size_t first = 0; first < n_units;) {
        size_t last = first;
        int64_t q = sc[units[first].first].question;
        while (last < n_units && sc[units[last].first].question == q)
            last++;
        /* the evaluations where at least two scored it */
        s_unit *pairable = kp_arena_alloc(r->arena, sizeof *pairable * (last - first));
        size_t np = 0;
        double spread = 0;
        for (size_t u = first; u < last; u++) {
            if (units[u].count < 2) continue;
            pairable[np++] = units[u];
            int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (size_t k = 0; k < units[u].count; k++) {
                int64_t v = sc[units[u].first + k].value;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            spread += (double)(hi - lo);
        }
        size_t two[2];
        kp_agreement_result res_q;
        s_compute(r, sc, pairable, np, s_exactly_two(sc, pairable, np, two) ? two : NULL, &res_q);

        int row = (int)units[first].first;
        Kompass__V1__QuestionAgreement *qa = kp_arena_alloc(r->arena, sizeof *qa);
        kompass__v1__question_agreement__init(qa);
        qa->code = kp_db_str(r->arena, res, row, 1);
        qa->text = kp_db_str(r->arena, res, row, 2);
        qa->max_centi = sc[row].max;
        qa->evaluations = (uint32_t)np;
        qa->figures = kp_agreement_figures(r, &res_q);
        qa->mean_spread = np ? spread / (double)np / 100.0 : 0;
        qa->relative_difference =
            res_q.pairs ? res_q.mean_abs_difference / (double)qa->max_centi : 0;
        ranked[n] = (s_ranked){qa, res_q.pairs > 0, qa->relative_difference, n};
        n++;
        first = last;
    }
    qsort(ranked, n, sizeof *ranked, s_cmp_ranked);
    out->questions = kp_arena_alloc(r->arena, sizeof *out->questions * (n + 1));
    for (size_t i = 0; i < n; i++)
        out->questions[i] = ranked[i].msg;
    out->n_questions = n;
}

/* Per pair of evaluators who scored a question of an evaluation both. */
static void s_pairs(kp_req *r, const s_score *sc, const s_unit *units, size_t n_units,
                    char **logins, size_t n_raters, Kompass__V1__StatsAgreementResponse *out)
{
    size_t cells = n_raters * n_raters;
    size_t *count = kp_arena_zalloc(r->arena, sizeof *count * (cells + 1));
    for (size_t u = 0; u < n_units; u++)
        for (size_t i = 0; i < units[u].count; i++)
            for (size_t j = i + 1; j < units[u].count; j++) {
                size_t a = sc[units[u].first + i].rater, b = sc[units[u].first + j].rater;
                count[a < b ? a * n_raters + b : b * n_raters + a]++;
            }
    /* each pair's two columns (lower index first) and sum of |a - b| / max */
    int64_t **values = kp_arena_zalloc(r->arena, sizeof *values * (cells + 1));
    double *relative = kp_arena_zalloc(r->arena, sizeof *relative * (cells + 1));
    size_t *filled = kp_arena_zalloc(r->arena, sizeof *filled * (cells + 1));
    size_t n_pairs = 0;
    for (size_t c = 0; c < cells; c++)
        if (count[c]) {
            values[c] = kp_arena_alloc(r->arena, sizeof **values * 2 * count[c]);
            n_pairs++;
        }
    for (size_t u = 0; u < n_units; u++)
        for (size_t i = 0; i < units[u].count; i++)
            for (size_t j = i + 1; j < units[u].count; j++) {
                const s_score *x = &sc[units[u].first + i], *y = &sc[units[u].first + j];
                if (x->rater > y->rater) {
                    const s_score *t = x;
                    x = y;
                    y = t;
                }
                size_t c = x->rater * n_raters + y->rater;
                values[c][2 * filled[c]] = x->value;
                values[c][2 * filled[c] + 1] = y->value;
                filled[c]++;
                int64_t d = x->value > y->value ? x->value - y->value : y->value - x->value;
                relative[c] += (double)d / (double)x->max;
            }

    s_ranked *ranked = kp_arena_alloc(r->arena, sizeof *ranked * (n_pairs + 1));
    size_t n = 0;
    for (size_t c = 0; c < cells; c++) {
        if (!count[c]) continue;
        kp_agreement_input in = {.units = count[c], .raters = 2, .values = values[c]};
        kp_agreement_result res;
        kp_agreement_compute(&in, &res);
        Kompass__V1__PairAgreement *pa = kp_arena_alloc(r->arena, sizeof *pa);
        kompass__v1__pair_agreement__init(pa);
        pa->login_a = logins[c / n_raters];
        pa->login_b = logins[c % n_raters];
        pa->shared_questions = (uint32_t)count[c];
        pa->figures = kp_agreement_figures(r, &res);
        pa->relative_difference = relative[c] / (double)count[c];
        ranked[n] = (s_ranked){pa, 1, pa->relative_difference, n};
        n++;
    }
    qsort(ranked, n, sizeof *ranked, s_cmp_ranked);
    out->pairs = kp_arena_alloc(r->arena, sizeof *out->pairs * (n + 1));
    for (size_t i = 0; i < n; i++)
        out->pairs[i] = ranked[i].msg;
    out->n_pairs = n;
}

int kp_rpc_stats_agreement(kp_req *r)
{
    const char *code = r->msg->stats_agreement->framework;
    PGresult *fw;
    const char *p1[1] = {code && *code ? code : NULL};
    int rc = kp_req_call(r, "agreement_framework", 1, p1, &fw);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding the framework");
    if (PQntuples(fw) == 0) {
        if (p1[0])
            return kp_req_fail(r, KP_NOT_FOUND, "no framework '%s' (see kompass framework list)",
                               code);
        return kp_req_fail(r, KP_NOT_FOUND, "there is no framework yet");
    }
    Kompass__V1__StatsAgreementResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__stats_agreement_response__init(out);
    const char *p2[1] = {kp_db_str(r->arena, fw, 0, 0)};
    out->framework = kp_db_str(r->arena, fw, 0, 1);
    out->framework_name = kp_db_str(r->arena, fw, 0, 2);

    PGresult *res;
    rc = kp_req_call(r, "agreement_scores", 1, p2, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading individual scores");
    size_t n = (size_t)PQntuples(res);

    /* the evaluators, sorted by login, and each score's rater index */
    char **logins = kp_arena_alloc(r->arena, sizeof *logins * (n + 1));
    for (size_t i = 0; i < n; i++)
        logins[i] = PQgetvalue(res, (int)i, 5);
    qsort(logins, n, sizeof *logins, s_cmp_login);
    size_t n_raters = 0;
    for (size_t i = 0; i < n; i++)
        if (n_raters == 0 || strcmp(logins[n_raters - 1], logins[i]) != 0)
            logins[n_raters++] = logins[i];
    for (size_t i = 0; i < n_raters; i++)
        logins[i] = kp_arena_strdup(r->arena, logins[i]);

    s_score *sc = kp_arena_alloc(r->arena, sizeof *sc * (n + 1));
    s_unit *units = kp_arena_alloc(r->arena, sizeof *units * (n + 1));
    size_t n_units = 0, n_pairable = 0;
    for (size_t i = 0; i < n; i++) {
        int row = (int)i;
        const char *login = PQgetvalue(res, row, 5);
        char **at = bsearch(&login, logins, n_raters, sizeof *logins, s_cmp_login);
        sc[i] = (s_score){.question = kp_db_i64(res, row, 0),
                          .max = kp_db_i64(res, row, 3),
                          .evaluation = kp_db_i64(res, row, 4),
                          .value = kp_db_i64(res, row, 6),
                          .rater = (size_t)(at - logins)};
        if (n_units && sc[i].question == sc[units[n_units - 1].first].question &&
            sc[i].evaluation == sc[units[n_units - 1].first].evaluation)
            units[n_units - 1].count++;
        else
            units[n_units++] = (s_unit){i, 1};
    }

    /* overall: every pairable (evaluation, question) */
    s_unit *pairable = kp_arena_alloc(r->arena, sizeof *pairable * (n_units + 1));
    int64_t *evals = kp_arena_alloc(r->arena, sizeof *evals * (n_units + 1));
    for (size_t u = 0; u < n_units; u++)
        if (units[u].count >= 2) {
            evals[n_pairable] = sc[units[u].first].evaluation;
            pairable[n_pairable++] = units[u];
        }
    out->evaluators = (uint32_t)n_raters;
    qsort(evals, n_pairable, sizeof *evals, s_cmp_i64);
    for (size_t u = 0; u < n_pairable; u++)
        out->evaluations += u == 0 || evals[u] != evals[u - 1];
    size_t two[2];
    kp_agreement_result all;
    s_compute(r, sc, pairable, n_pairable,
              s_exactly_two(sc, pairable, n_pairable, two) ? two : NULL, &all);
    out->overall = kp_agreement_figures(r, &all);

    s_questions(r, res, sc, units, n_units, out);
    s_pairs(r, sc, units, n_units, logins, n_raters, out);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_STATS_AGREEMENT;
    r->resp->stats_agreement = out;
    return KP_OK;
}
