/*  report_csv: the report's figures for other tools.
 *
 *  RFC 4180: a header line, CRLF line ends, a field quoted when it holds a
 *  comma, a quote, CR or LF, with quotes doubled; UTF-8 without a BOM.
 *  Columns:
 *    row      question | area | total
 *    area     the area's number (empty on the total row)
 *    code     the question's code (empty on area and total rows)
 *    text     the question, the area's title, or "Totalt"
 *    points   exact points, '.' as decimal mark (on area and total rows the
 *             sum of the exact points)
 *    shown    whole points as the report shows them (area: its achieved,
 *             the sum of the questions' shown points; total: the sum of
 *             the areas)
 *    max      maximum points
 *    percent  whole percent as the report shows it
 *    status   follow-up rows: done, started, remains or not_assessed
 *    note     follow-up rows: the team's note
 *  An unscored question has empty points, shown and percent; status and
 *  note are empty on every row but the follow-up's.
 *  When the report compares, after the total: one `previous` row per area
 *  and one for the total (text: the previous evaluation, "Västerås stad
 *  2014"), then the same `average` rows (text: what the average is of);
 *  their points are the comparison's (centipoints exact, an average has
 *  decimals), shown rounded half up.
 *  Then, when the evidence log has interviews, documents or web checks, one
 *  `interviews` row (text: the report's sentence; points and shown: the
 *  people interviewed), and one `followup` row per improvement opportunity
 *  of the previous round followed up (area; code: the item, "3.2"; text:
 *  the opportunity; status; note).
 *  When the municipality reviewed the draft, a last `factcheck` row: text
 *  the report's sentence ("Kommunen har faktagranskat rapporten
 *  2017-09-12–2017-09-22."), code the dates ("2017-09-12/2017-09-22"), the
 *  figures empty.
 */
#include <string.h>

#include "report_render.h"
#include "report_text.h"
#include "status.h"

static void s_field(FILE *out, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* One row; points, shown and percent are left empty when scored is false. */
static void s_row(FILE *out, const char *kind, int area, const char *code, const char *text,
                  bool scored, int64_t points, int64_t shown, int64_t max, int64_t percent)
{
    char p[KP_REPORT_POINTS_BUF], m[KP_REPORT_POINTS_BUF];
    fprintf(out, "%s,", kind);
    if (area >= 0) fprintf(out, "%d", area);
    fputc(',', out);
    s_field(out, code);
    fputc(',', out);
    s_field(out, text);
    if (scored)
        fprintf(out, ",%s,%lld,%s,%lld,,\r\n", kp_report_points_format(points, p), (long long)shown,
                kp_report_points_format(max, m), (long long)percent);
    else
        fprintf(out, ",,,%s,,,\r\n", kp_report_points_format(max, m));
}

/* A comparison series: per area and in total (average: areas[].average). */
static void s_series(FILE *out, const kp_report *r, const char *kind, const char *text, int average)
{
    int64_t sum = 0;
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *a = &r->areas[i];
        int64_t v = average ? a->average : a->previous, max = kp_report_area_max(a);
        sum += v;
        s_row(out, kind, a->number, NULL, text, true, v, kp_report_comparison_shown(v), max,
              kp_report_comparison_percent(v, max));
    }
    s_row(out, kind, -1, NULL, text, true, sum, kp_report_comparison_shown(sum),
          kp_report_total_max(r), kp_report_comparison_percent(sum, kp_report_total_max(r)));
}

/* The evidence log's row and the follow-up's rows. */
static void s_evidence_followup(FILE *out, kp_arena *arena, const kp_report *r)
{
    const char *evidence = kp_report_sv_evidence(arena, r);
    if (evidence) {
        fputs("interviews,,,", out);
        s_field(out, evidence);
        fprintf(out, ",%d,%d,,,,\r\n", r->interviewed, r->interviewed);
    }
    for (size_t i = 0; i < r->n_followup; i++) {
        const kp_report_followup *f = &r->followup[i];
        const char *name = kp_report_followup_status_name(f->status);
        fprintf(out, "followup,%d,", f->area);
        s_field(out, f->item);
        fputc(',', out);
        s_field(out, f->text);
        fprintf(out, ",,,,,%s,", name ? name : "not_assessed");
        s_field(out, f->note);
        fputs("\r\n", out);
    }
}

int kp_report_render_csv(const kp_report *r, FILE *out)
{
    char err[256];
    if (kp_report_check(r, err, sizeof err) != KP_OK) return KP_BAD_REQUEST;

    fputs("row,area,code,text,points,shown,max,percent,status,note\r\n", out);
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *a = &r->areas[i];
        for (size_t k = 0; k < a->n_questions; k++) {
            const kp_report_question *q = &a->questions[k];
            s_row(out, "question", a->number, q->code, q->text, kp_report_question_scored(q),
                  q->points, kp_report_question_shown(q), q->max, kp_report_question_percent(q));
        }
        s_row(out, "area", a->number, NULL, a->title, true, kp_report_area_exact(a),
              kp_report_area_achieved(a), kp_report_area_max(a), kp_report_area_percent(a));
    }
    s_row(out, "total", -1, NULL, "Totalt", true, kp_report_total_exact(r), kp_report_total(r),
          kp_report_total_max(r), kp_report_total_percent(r));
    if (r->previous_label) s_series(out, r, "previous", r->previous_label, 0);
    kp_arena *arena = kp_arena_new();
    if (!arena) return KP_INTERNAL;
    if (kp_report_has_average(r)) s_series(out, r, "average", kp_report_sv_average(arena, r), 1);
    s_evidence_followup(out, arena, r);
    if (r->factcheck_from) {
        fputs("factcheck,,", out);
        s_field(out, kp_arena_printf(arena, "%s/%s", r->factcheck_from,
                                     r->factcheck_to ? r->factcheck_to : r->factcheck_from));
        fputc(',', out);
        s_field(out, kp_report_sv_factcheck(arena, r));
        fputs(",,,,\r\n", out);
    }
    kp_arena_destroy(&arena);
    return fflush(out) == 0 && !ferror(out) ? KP_OK : KP_INTERNAL;
}
