/*  report_pm: the short memo form, "PM Utvärdering enligt Kommunkompassen".
 *
 *  What SKL sends beside the full analysis: the evaluation (who, when, which
 *  round), the team, the total and the points per area with the radar and
 *  the comparisons, and per area its strengths and improvement
 *  opportunities. No framework texts (no "Vad är Kommunkompassen?", no
 *  headings or "Allmänt" of the areas, no question table), and no area
 *  summaries: the memo is the findings in short. The last part is the same
 *  as the full report's: when the municipality reviewed the draft, and the
 *  signatures.
 *
 *  The HTML shares the full report's style sheet, draft marking (watermark,
 *  banner and page box on every printed page of an unsigned memo), charts,
 *  comparison table and signature page (report_html.h); the Markdown its
 *  escaping, lists, table and signatures (report_md.h). Print: A4, the areas
 *  run on without a page each, none split across pages.
 */
#include <string.h>

#include "report_html.h"
#include "report_md.h"
#include "report_render.h"
#include "report_svg.h"
#include "report_text.h"
#include "status.h"

#define PM_TITLE "PM Utvärdering enligt Kommunkompassen"

static const char s_pm_css[] =
    ".pm-head{background:var(--navy);color:#fff;padding:12mm 18mm 10mm}\n"
    ".pm-head .kicker{color:#fff;opacity:.8}\n"
    ".pm-head h1{color:#fff;font-size:22pt;margin:.2em 0 .3em}\n"
    ".pm-head .pm-sub{font-size:14pt;margin:0;opacity:.95}\n"
    ".pm-meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0 0 6mm}\n"
    ".pm-meta dt{color:var(--muted)}\n"
    ".pm-meta dd{margin:0}\n"
    ".pm-team{margin:0 0 4mm;padding-left:1.1em}\n"
    ".pm-area{break-inside:avoid;margin:0 0 7mm}\n"
    ".pm-area h3{display:flex;justify-content:space-between;gap:8mm;font-size:13pt;"
    "border-bottom:2px solid var(--navy);padding-bottom:2mm;margin-bottom:0}\n"
    ".pm-area .pm-score{white-space:nowrap;color:var(--blue)}\n"
    ".pm-area .columns{margin-top:3mm}\n"
    "@media print{.pm-head{padding-top:8mm}.pm-results{break-before:page}}\n";

/* ---------------------------------------------------------------- HTML */

static void s_html_head(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("<header class=\"pm-head\" id=\"pm\"><p class=\"kicker\">KommunKompassen · PM</p>\n"
          "<h1>" PM_TITLE "</h1>\n",
          out);
    kp_report_html_el(out, "<p class=\"pm-sub\">", r->municipality, "");
    kp_report_html_el(out, " · ", r->period ? r->period : r->label, "</p>\n</header>\n");

    fputs("<section id=\"utvarderingen\">\n<h2>Utvärderingen</h2>\n<dl class=\"pm-meta\">\n", out);
    kp_report_html_el(out, "<dt>Kommun</dt><dd>", r->municipality, "</dd>\n");
    fputs("<dt>Utvärdering</dt><dd>", out);
    kp_report_html_el(out, "", r->label, "");
    if (r->ordinal > 0)
        kp_report_html_el(out, " · kommunens ", kp_report_sv_ordinal(a, r->ordinal),
                          " utvärdering");
    fputs("</dd>\n", out);
    if (r->framework_name || r->framework_code) {
        fputs("<dt>Ramverk</dt><dd>", out);
        kp_report_html_el(out, "", r->framework_name, "");
        if (r->framework_name && r->framework_code) fputs(" · ", out);
        kp_report_html_el(out, "", r->framework_code, "");
        fputs("</dd>\n", out);
    }
    if (r->date) kp_report_html_el(out, "<dt>Datum</dt><dd>", r->date, "</dd>\n");
    fputs("<dt>Status</dt><dd>", out);
    if (r->is_signed)
        fputs("<span class=\"status-signed\">Signerad</span>", out);
    else
        kp_report_html_el(out, "<span class=\"status-draft\">", KP_REPORT_SV_DRAFT, "</span>");
    fputs("</dd>\n</dl>\n", out);
    kp_report_html_el(out, "<p>", kp_report_sv_evaluation(a, r), "</p>\n");

    fputs("<h4>Utvärderare</h4>\n<ul class=\"pm-team\">\n", out);
    for (size_t i = 0; i < r->n_evaluators; i++) {
        const kp_report_evaluator *e = &r->evaluators[i];
        kp_report_html_el(out, "<li><strong>", e->name, "</strong>");
        if (e->role) kp_report_html_el(out, ", ", e->role, "");
        if (e->organisation) kp_report_html_el(out, ", ", e->organisation, "");
        fputs("</li>\n", out);
    }
    if (r->n_evaluators == 0) fputs("<li class=\"empty\">Inga angivna.</li>\n", out);
    fputs("</ul>\n", out);
    if (r->source_note)
        kp_report_html_el(out, "<p class=\"source-note\">Källa: ", r->source_note, "</p>\n");
    fputs("</section>\n", out);
}

static void s_html_results(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("<section class=\"pm-results\" id=\"resultat\">\n<h2>Resultat</h2>\n", out);
    kp_report_html_el(out, "<div class=\"total\"><span class=\"points\">", kp_report_sv_total(a, r),
                      "</span>");
    fprintf(out, "<span class=\"percent\">%lld%% av maxpoängen</span></div>\n",
            (long long)kp_report_total_percent(r));
    size_t unscored = kp_report_unscored(r);
    if (unscored)
        fprintf(out,
                "<p class=\"unscored\">%zu delfrågor saknar ännu poäng och räknas inte in.</p>\n",
                unscored);
    if (!kp_report_svg_radar(out, a, r))
        fputs("<p class=\"empty\">Radardiagrammet kräver minst tre områden.</p>\n", out);
    fputc('\n', out);
    kp_report_html_compare_table(out, a, r);
    fputs("</section>\n", out);
}

static void s_html_areas(FILE *out, kp_arena *a, const kp_report *r)
{
    char max[KP_REPORT_POINTS_BUF];
    fputs("<section class=\"page\" id=\"omraden\">\n"
          "<h2>Styrkor och förbättringsmöjligheter per område</h2>\n",
          out);
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        fprintf(out, "<div class=\"pm-area\" id=\"omrade-%zu\">", i + 1);
        kp_report_html_el(out, "<h3><span>", kp_report_sv_area_name(a, area), "</span>");
        fprintf(out, "<span class=\"pm-score\">%lld av %s poäng</span></h3>\n",
                (long long)kp_report_area_achieved(area),
                kp_report_points_format_sv(kp_report_area_max(area), max));
        fputs("<div class=\"columns\"><div class=\"col strengths\"><h4>Styrkor</h4>\n", out);
        kp_report_html_list(out, NULL, &area->strengths);
        fputs("</div><div class=\"col improvements\"><h4>Förbättringsmöjligheter</h4>\n", out);
        kp_report_html_list(out, NULL, &area->improvements);
        fputs("</div></div></div>\n", out);
    }
    fputs("</section>\n", out);
}

int kp_report_render_pm_html(const kp_report *r, FILE *out)
{
    char err[256];
    if (kp_report_check(r, err, sizeof err) != KP_OK) return KP_BAD_REQUEST;
    kp_arena *a = kp_arena_new();
    if (!a) return KP_INTERNAL;
    kp_report_html_begin(
        out, a, r, kp_arena_printf(a, PM_TITLE " – %s", kp_report_sv_current(a, r)), s_pm_css);
    s_html_head(out, a, r);
    s_html_results(out, a, r);
    s_html_areas(out, a, r);
    kp_report_html_signatures(out, a, r, "Signaturer");
    kp_report_html_end(out);
    kp_arena_destroy(&a);
    return fflush(out) == 0 && !ferror(out) ? KP_OK : KP_INTERNAL;
}

/* ---------------------------------------------------------------- Markdown */

int kp_report_render_pm_markdown(const kp_report *r, FILE *out)
{
    char err[256], v[KP_REPORT_POINTS_BUF];
    if (kp_report_check(r, err, sizeof err) != KP_OK) return KP_BAD_REQUEST;
    kp_arena *a = kp_arena_new();
    if (!a) return KP_INTERNAL;

    fputs("# " PM_TITLE "\n\n", out);
    fputs("**", out);
    kp_report_md_puts(out, r->municipality);
    fputs(" · ", out);
    kp_report_md_puts(out, r->period ? r->period : r->label);
    fputs("**\n\n", out);
    if (!r->is_signed)
        fputs("> **" KP_REPORT_SV_DRAFT ".** Poäng och texter kan ändras tills rapporten har "
              "signerats.\n\n",
              out);

    fputs("## Utvärderingen\n\n- **Utvärdering:** ", out);
    kp_report_md_puts(out, r->label);
    if (r->ordinal > 0)
        fprintf(out, " · kommunens %s utvärdering", kp_report_sv_ordinal(a, r->ordinal));
    fputc('\n', out);
    if (r->framework_name || r->framework_code) {
        fputs("- **Ramverk:** ", out);
        kp_report_md_puts(out, r->framework_name);
        if (r->framework_name && r->framework_code) fputs(" · ", out);
        kp_report_md_puts(out, r->framework_code);
        fputc('\n', out);
    }
    if (r->date) {
        fputs("- **Datum:** ", out);
        kp_report_md_puts(out, r->date);
        fputc('\n', out);
    }
    fprintf(out, "- **Status:** %s\n\n", r->is_signed ? "Signerad" : KP_REPORT_SV_DRAFT);
    kp_report_md_block(out, kp_report_sv_evaluation(a, r));
    fputs("\n\n### Utvärderare\n\n", out);
    for (size_t i = 0; i < r->n_evaluators; i++) {
        const kp_report_evaluator *e = &r->evaluators[i];
        fputs("- ", out);
        kp_report_md_block(out, e->name);
        if (e->role) {
            fputs(", ", out);
            kp_report_md_puts(out, e->role);
        }
        if (e->organisation) {
            fputs(", ", out);
            kp_report_md_puts(out, e->organisation);
        }
        fputc('\n', out);
    }
    if (r->n_evaluators == 0) fputs("*Inga angivna.*\n", out);
    fputc('\n', out);
    if (r->source_note) {
        fputs("> Källa: ", out);
        kp_report_md_puts(out, r->source_note);
        fputs("\n\n", out);
    }

    fprintf(out, "## Resultat\n\n**%s (%lld%%)**\n\n", kp_report_sv_total(a, r),
            (long long)kp_report_total_percent(r));
    size_t unscored = kp_report_unscored(r);
    if (unscored) fprintf(out, "%zu delfrågor saknar ännu poäng och räknas inte in.\n\n", unscored);
    kp_report_md_compare_table(out, a, r);

    fputs("## Styrkor och förbättringsmöjligheter per område\n\n", out);
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        fputs("### ", out);
        kp_report_md_puts(out, kp_report_sv_area_name(a, area));
        fprintf(out, ": %lld av %s poäng\n\n", (long long)kp_report_area_achieved(area),
                kp_report_points_format_sv(kp_report_area_max(area), v));
        fputs("#### Styrkor\n\n", out);
        kp_report_md_list(out, &area->strengths);
        fputs("#### Förbättringsmöjligheter\n\n", out);
        kp_report_md_list(out, &area->improvements);
    }
    kp_report_md_signatures(out, a, r, "## Signaturer");

    kp_arena_destroy(&a);
    return fflush(out) == 0 && !ferror(out) ? KP_OK : KP_INTERNAL;
}
