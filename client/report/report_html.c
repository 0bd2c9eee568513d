/*  report_html: the report as one self-contained HTML page.
 *
 *  The shape of SKL's published analyses: a cover, "Vad är Kommunkompassen?",
 *  a summary with the total and a bar per area, a radar chart against the
 *  average and the previous evaluation, each area in detail, the score
 *  overview, and the signatures. Everything is inline (CSS, SVG); nothing is
 *  fetched and nothing runs. In print each part starts a new A4 page, and an
 *  unsigned report carries "UTKAST – ej signerad" on every page twice over:
 *  a fixed-position watermark (Chromium repeats fixed elements on each printed
 *  page) and the page's top margin box.
 *
 *  Every text of the model is escaped (kp_report_html_escape); the few that
 *  reach the style sheet (@page margin boxes) are escaped as CSS strings.
 */
#include <ctype.h>
#include <string.h>

#include "report_html.h"
#include "report_render.h"
#include "report_svg.h"
#include "report_text.h"
#include "status.h"

static const char s_css[] =
    ":root{--navy:#17365d;--blue:#2c5f9e;--sky:#dbe6f3;--orange:#e07b24;--grey:#7d8b99;"
    "--green:#2e7d4f;--ink:#1f2933;--muted:#5b6773;--rule:#d5dce4;--paper:#fff}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0;background:#e6eaf0;color:var(--ink);"
    "font:11pt/1.5 'Liberation Sans',Arial,Helvetica,sans-serif}\n"
    "main{max-width:210mm;margin:24px auto;background:var(--paper);"
    "box-shadow:0 2px 10px rgba(0,0,0,.18)}\n"
    "section{padding:14mm 18mm}\n"
    "section+section{border-top:1px solid var(--rule)}\n"
    "h1,h2,h3,h4{color:var(--navy);line-height:1.25;margin:0 0 .5em}\n"
    "h2{font-size:17pt;border-bottom:2px solid var(--navy);padding-bottom:4px;margin-bottom:.8em}\n"
    "h3{font-size:15pt}\n"
    "h4{font-size:11.5pt;margin-top:1.1em}\n"
    "p{margin:0 0 .7em}\n"
    ".kicker{text-transform:uppercase;letter-spacing:.12em;font-size:9pt;color:var(--muted);"
    "margin:0}\n"
    /* cover */
    ".cover{padding:0;min-height:250mm;display:flex;flex-direction:column}\n"
    ".cover-band{background:var(--navy);color:#fff;padding:16mm 18mm 12mm;display:flex;"
    "align-items:center;gap:14px}\n"
    ".cover-band svg{width:58px;height:58px;flex:none}\n"
    ".brand{font-size:30pt;font-weight:700;letter-spacing:.01em}\n"
    ".brand-sub{font-size:10pt;opacity:.85;letter-spacing:.14em;text-transform:uppercase}\n"
    ".cover-body{padding:18mm 18mm 14mm;flex:1;display:flex;flex-direction:column}\n"
    ".cover h1{font-size:34pt;text-transform:uppercase;letter-spacing:.02em;margin:.1em 0 0}\n"
    ".cover-period{font-size:16pt;color:var(--blue);text-transform:uppercase;"
    "letter-spacing:.06em;margin:0 0 12mm}\n"
    ".cover-meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0 0 10mm}\n"
    ".cover-meta dt{color:var(--muted)}\n"
    ".cover-meta dd{margin:0}\n"
    ".evaluators{margin-top:auto;border-top:3px solid var(--orange);padding-top:6mm}\n"
    ".evaluators h2{border:0;font-size:12pt;margin:0 0 .4em;padding:0}\n"
    ".evaluators ul{list-style:none;margin:0;padding:0}\n"
    ".evaluators li{margin:0 0 2px}\n"
    ".status-signed{color:var(--green);font-weight:700}\n"
    ".status-draft{color:#b3261e;font-weight:700}\n"
    ".source-note{background:#f4f6f9;border-left:4px solid var(--grey);padding:8px 12px;"
    "font-size:9.5pt;color:var(--muted);margin:6mm 0}\n"
    /* draft */
    ".draft-watermark{position:fixed;top:42%;left:0;right:0;text-align:center;"
    "transform:rotate(-28deg);font-size:54pt;font-weight:700;color:rgba(179,38,30,.14);"
    "pointer-events:none;z-index:10;white-space:nowrap}\n"
    ".draft-banner{background:#fbe9e7;color:#b3261e;border:1px solid #f1b5ad;padding:8px 18mm;"
    "font-weight:700}\n"
    /* contents and about */
    ".toc{list-style:none;padding:0;margin:0 0 8mm}\n"
    ".toc li{padding:3px 0;border-bottom:1px dotted var(--rule)}\n"
    ".toc a{color:var(--ink);text-decoration:none}\n"
    ".toc .toc-area{padding-left:1.4em}\n"
    ".areas-list{columns:2;column-gap:10mm;padding-left:1.2em}\n"
    /* summary */
    ".total{display:flex;align-items:baseline;gap:16px;background:var(--sky);"
    "border-radius:6px;padding:10px 16px;margin:4mm 0 6mm}\n"
    ".total .points{font-size:26pt;font-weight:700;color:var(--navy)}\n"
    ".total .percent{font-size:14pt;color:var(--blue)}\n"
    ".chart{width:100%;height:auto;display:block;margin:2mm 0 4mm}\n"
    ".chart text{font-family:'Liberation Sans',Arial,Helvetica,sans-serif;fill:var(--ink)}\n"
    ".chart .label{font-size:14px}\n"
    ".chart .tick{font-size:12px;fill:var(--muted)}\n"
    ".chart .value{font-size:14px;font-weight:700;fill:var(--navy)}\n"
    ".chart .grid{stroke:var(--rule);stroke-width:1}\n"
    ".chart .bar{fill:var(--blue)}\n"

    ".radar-ring{fill:none;stroke:var(--rule);stroke-width:1}\n"
    ".radar-axis{stroke:#b8c3cf;stroke-width:1}\n"
    ".series-current{fill:rgba(44,95,158,.22);stroke:var(--blue);stroke-width:2.5}\n"
    ".series-average{fill:none;stroke:var(--orange);stroke-width:2;stroke-dasharray:7 4}\n"
    ".series-previous{fill:none;stroke:#3f4a55;stroke-width:2.5;stroke-dasharray:2 4;"
    "stroke-linecap:round}\n"
    ".point-current{fill:var(--blue)}\n"
    ".legend-current line{stroke:var(--blue);stroke-width:5}\n"
    ".legend-average line{stroke:var(--orange);stroke-width:3;stroke-dasharray:7 4}\n"
    ".legend-previous line{stroke:#3f4a55;stroke-width:3;stroke-dasharray:2 4;"
    "stroke-linecap:round}\n"
    ".legend-current text,.legend-average text,.legend-previous text{font-size:14px}\n"
    /* tables */
    "table{border-collapse:collapse;width:100%;margin:0 0 6mm;font-size:10pt}\n"
    "caption{text-align:left;font-weight:700;color:var(--navy);font-size:11.5pt;padding:0 0 4px}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--rule);vertical-align:top}\n"
    "thead th{background:var(--navy);color:#fff;text-align:left;font-weight:600}\n"
    "td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "tbody tr:nth-child(even){background:#f6f8fb}\n"
    "tfoot td,tfoot th{font-weight:700;background:var(--sky);border-bottom:2px solid var(--navy)}\n"
    "tfoot th{text-align:left}\n"
    ".code{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.4em}\n"
    "table.scores,table.compare,table.signatures{break-inside:avoid}\n"
    "table.grand td,table.grand th{font-size:12pt;font-weight:700;background:var(--navy);"
    "color:#fff;border:0}\n"
    "table.grand th{text-align:left}\n"
    /* areas */
    ".area-head{display:flex;justify-content:space-between;align-items:flex-start;gap:10mm;"
    "border-bottom:2px solid var(--navy);padding-bottom:4mm;margin-bottom:5mm}\n"
    ".area-head h3{margin:.1em 0 0;font-size:18pt}\n"
    ".area-score{text-align:center;background:var(--navy);color:#fff;border-radius:6px;"
    "padding:6px 14px;min-width:28mm}\n"
    ".area-score .score{display:block;font-size:24pt;font-weight:700;line-height:1.1}\n"
    ".area-score .of{font-size:9pt;opacity:.85}\n"
    ".headings{display:flex;flex-wrap:wrap;gap:6px;list-style:none;padding:0;margin:0 0 5mm}\n"
    ".headings li{background:var(--sky);color:var(--navy);border-radius:12px;padding:2px 10px;"
    "font-size:9.5pt}\n"
    ".general{background:#f4f6f9;border-radius:6px;padding:4mm 5mm;color:#3b4650;"
    "font-size:10pt}\n"
    ".general h4{margin-top:0;color:var(--muted)}\n"
    ".general p:last-child{margin-bottom:0}\n"
    ".columns{display:grid;grid-template-columns:1fr 1fr;gap:6mm;margin-top:5mm;"
    "break-inside:avoid}\n"
    ".col{border-top:4px solid var(--green);background:#f3f8f5;padding:3mm 4mm;"
    "border-radius:0 0 6px 6px}\n"
    ".col.improvements{border-top-color:var(--orange);background:#fdf5ee}\n"
    ".col h4{margin-top:0;text-transform:uppercase;letter-spacing:.06em;font-size:10pt}\n"
    ".col.strengths h4{color:var(--green)}\n"
    ".col.improvements h4{color:#b35c12}\n"
    ".col ul{margin:0;padding-left:1.1em}\n"
    ".col li{margin:0 0 .35em}\n"
    ".empty{color:var(--muted);font-style:italic}\n"
    ".area-compare{font-size:9.5pt;color:var(--muted);margin-top:4mm}\n"
    ".unscored{color:#b3261e}\n"
    "table.followup{break-inside:auto}\n"
    ".followup-status{white-space:nowrap;font-weight:600}\n"
    ".followup-status.done{color:var(--green)}\n"
    ".followup-status.remains{color:#b35c12}\n"
    ".followup-status.not-assessed{color:#b3261e;font-style:italic}\n"
    "@page{size:A4;margin:16mm 0 16mm}\n"
    "@media print{body{background:#fff}main{box-shadow:none;margin:0;max-width:none}"
    "section{padding-top:2mm;padding-bottom:0}section+section{border-top:0}"
    ".page{break-before:page}.cover{min-height:262mm}.cover-band{padding-top:12mm}"
    ".draft-banner{display:none}a{color:inherit;text-decoration:none}}\n";

/* A CSS string literal holding s: anything but letters, digits, space and
 * UTF-8 is written as a hex escape, so no text can end the string, the rule
 * or the <style> element. */
static void s_css_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == ' ' || *p >= 0x80)
            fputc(*p, out);
        else
            fprintf(out, "\\%x ", *p);
    }
    fputc('"', out);
}

/* open, escaped text, close. */
static void s_el(FILE *out, const char *open, const char *text, const char *close)
{
    fputs(open, out);
    kp_report_html_puts(out, text);
    fputs(close, out);
}

/* Each paragraph of text as <p>; `empty` (a <p>) when there is none. */
static void s_paragraphs(FILE *out, const char *text, const char *empty)
{
    const char *cursor = text, *start;
    size_t len;
    bool any = false;
    while (kp_report_next_paragraph(&cursor, &start, &len)) {
        fputs("<p>", out);
        kp_report_html_escape(out, start, len);
        fputs("</p>\n", out);
        any = true;
    }
    if (!any && empty) fputs(empty, out);
}

static void s_list(FILE *out, const char *cls, const kp_report_list *l)
{
    if (l->count == 0) {
        fputs("<p class=\"empty\">Inga angivna.</p>\n", out);
        return;
    }
    fprintf(out, "<ul%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    for (size_t i = 0; i < l->count; i++)
        s_el(out, "<li>", l->items[i], "</li>");
    fputs("</ul>\n", out);
}

/* The document's head: title (the text after "<title>"), the style sheet
 * (and extra_css, NULL: none), the page's margin boxes. */
static void s_head(FILE *out, kp_arena *a, const kp_report *r, const char *title,
                   const char *extra_css)
{
    fputs("<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
          out);
    s_el(out, "<title>", title, "</title>\n");
    fputs("<style>\n", out);
    fputs(s_css, out);
    if (extra_css) fputs(extra_css, out);
    /* the page's margin boxes: what the report is, the page number, the draft */
    fputs("@page{@bottom-left{content:", out);
    s_css_string(out, kp_arena_printf(a, "KommunKompassen · %s", kp_report_sv_current(a, r)));
    fputs(";font:8pt 'Liberation Sans',Arial,sans-serif;color:#5b6773;padding-left:18mm}"
          "@bottom-right{content:counter(page) \" (\" counter(pages) \")\";"
          "font:8pt 'Liberation Sans',Arial,sans-serif;color:#5b6773;padding-right:18mm}",
          out);
    if (!r->is_signed) {
        fputs("@top-center{content:", out);
        s_css_string(out, KP_REPORT_SV_DRAFT);
        fputs(";font:700 9pt 'Liberation Sans',Arial,sans-serif;color:#b3261e}", out);
    }
    fputs("}\n</style>\n</head>\n<body>\n", out);
}

/* The compass of the cover. */
static const char s_compass_svg[] =
    "<svg viewBox=\"0 0 64 64\" aria-hidden=\"true\">"
    "<circle cx=\"32\" cy=\"32\" r=\"29\" fill=\"none\" stroke=\"#fff\" stroke-width=\"3\"/>"
    "<polygon points=\"32,7 38,32 32,57 26,32\" fill=\"#fff\"/>"
    "<polygon points=\"32,7 38,32 26,32\" fill=\"#e07b24\"/>"
    "<polygon points=\"7,32 32,27 57,32 32,37\" fill=\"#fff\" opacity=\".55\"/>"
    "<circle cx=\"32\" cy=\"32\" r=\"3\" fill=\"#17365d\"/></svg>";

static void s_cover(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("<section class=\"cover\" id=\"omslag\">\n<div class=\"cover-band\">", out);
    fputs(s_compass_svg, out);
    fputs("<div><div class=\"brand\">KommunKompassen</div>"
          "<div class=\"brand-sub\">Analys och utvärdering</div></div></div>\n",
          out);
    fputs("<div class=\"cover-body\">\n<p class=\"kicker\">Analys av</p>\n", out);
    s_el(out, "<h1>", r->municipality, "</h1>\n");
    s_el(out, "<p class=\"cover-period\">", r->period ? r->period : r->label, "</p>\n");

    fputs("<dl class=\"cover-meta\">\n", out);
    if (r->framework_name || r->framework_code) {
        fputs("<dt>Ramverk</dt><dd>", out);
        kp_report_html_puts(out, r->framework_name);
        if (r->framework_name && r->framework_code) fputs(" · ", out);
        kp_report_html_puts(out, r->framework_code);
        fputs("</dd>\n", out);
    }
    fputs("<dt>Utvärdering</dt><dd>", out);
    kp_report_html_puts(out, r->label);
    if (r->ordinal > 0)
        s_el(out, " · kommunens ", kp_report_sv_ordinal(a, r->ordinal), " utvärdering");
    fputs("</dd>\n", out);
    if (r->date) s_el(out, "<dt>Rapportdatum</dt><dd>", r->date, "</dd>\n");
    s_el(out, "<dt>Resultat</dt><dd>", kp_report_sv_total(a, r), "</dd>\n");
    fputs("<dt>Status</dt><dd>", out);
    if (r->is_signed)
        fputs("<span class=\"status-signed\">Signerad</span>", out);
    else
        s_el(out, "<span class=\"status-draft\">", KP_REPORT_SV_DRAFT, "</span>");
    fputs("</dd>\n</dl>\n", out);

    fputs("<div class=\"evaluators\"><h2>Utvärderare</h2><ul>\n", out);
    for (size_t i = 0; i < r->n_evaluators; i++) {
        const kp_report_evaluator *e = &r->evaluators[i];
        s_el(out, "<li><strong>", e->name, "</strong>");
        if (e->role) s_el(out, ", ", e->role, "");
        if (e->organisation) s_el(out, ", ", e->organisation, "");
        fputs("</li>\n", out);
    }
    if (r->n_evaluators == 0) fputs("<li class=\"empty\">Inga angivna.</li>\n", out);
    fputs("</ul></div>\n", out);
    if (r->source_note) s_el(out, "<p class=\"source-note\">Källa: ", r->source_note, "</p>\n");
    fputs("</div>\n</section>\n", out);
}

static void s_about(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("<section class=\"page\" id=\"innehall\">\n<h2>Innehåll</h2>\n<ol class=\"toc\">"
          "<li><a href=\"#om\">1 Vad är Kommunkompassen?</a></li>",
          out);
    s_el(out, "<li><a href=\"#sammanfattning\">2 ", r->municipality,
         " i förhållande till Kommunkompassen: en sammanfattning</a></li>");
    fputs("<li><a href=\"#genomgang\">3 Detaljerad genomgång område för område</a></li>", out);
    for (size_t i = 0; i < r->n_areas; i++) {
        fprintf(out, "<li class=\"toc-area\"><a href=\"#omrade-%zu\">Område %d ", i + 1,
                r->areas[i].number);
        s_el(out, "", r->areas[i].title, "</a></li>");
    }
    if (r->n_followup) /* its page sits between the areas and the overview */
        fputs("<li><a href=\"#uppfoljning\">" KP_REPORT_SV_FOLLOWUP "</a></li>", out);
    fputs("<li><a href=\"#poangfordelning\">4 Översikt av poängfördelning</a></li>"
          "<li><a href=\"#signaturer\">5 Signaturer</a></li></ol>\n",
          out);

    fputs("<h2 id=\"om\">1 Vad är Kommunkompassen?</h2>\n", out);
    for (const char *const *p = kp_report_sv_about_before; *p; p++)
        s_el(out, "<p>", *p, "</p>\n");
    s_el(out, "<p>", kp_report_sv_areas_intro(a, r), "</p>\n<ol class=\"areas-list\">");
    for (size_t i = 0; i < r->n_areas; i++)
        s_el(out, "<li>", r->areas[i].title, "</li>");
    fputs("</ol>\n", out);
    for (const char *const *p = kp_report_sv_about_after; *p; p++)
        s_el(out, "<p>", *p, "</p>\n");
    const char *fw = kp_report_sv_framework(a, r);
    if (fw) s_el(out, "<p>", fw, "</p>\n");
    fputs("</section>\n", out);
}

static void s_compare_table(FILE *out, kp_arena *a, const kp_report *r);

static void s_summary(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("<section class=\"page\" id=\"sammanfattning\">\n", out);
    s_el(out, "<h2>2 ", r->municipality,
         " i förhållande till Kommunkompassen: en sammanfattning</h2>\n");
    fputs("<h4>Utvärderingen</h4>\n", out);
    s_el(out, "<p>", kp_report_sv_evaluation(a, r), "</p>\n");
    const char *evidence = kp_report_sv_evidence(a, r);
    if (evidence) s_el(out, "<p class=\"evidence\">", evidence, "</p>\n");
    fputs("<h4>Sammanfattning av resultat</h4>\n", out);
    s_el(out, "<p>Nedan visas totalpoängen för ", r->municipality,
         " och poängfördelningen per område.</p>\n");
    s_el(out, "<div class=\"total\"><span class=\"points\">", kp_report_sv_total(a, r), "</span>");
    fprintf(out, "<span class=\"percent\">%lld%% av maxpoängen</span></div>\n",
            (long long)kp_report_total_percent(r));
    size_t unscored = kp_report_unscored(r);
    if (unscored)
        fprintf(out,
                "<p class=\"unscored\">%zu delfrågor saknar ännu poäng och räknas inte in.</p>\n",
                unscored);
    kp_report_svg_bars(out, a, r);
    fputs("\n</section>\n", out);

    fputs("<section class=\"page\" id=\"jamforelse\">\n<h2>Jämförelse</h2>\n", out);
    if (kp_report_has_average(r) || r->previous_label) {
        fputs("<p>Diagrammet visar poängen per område", out);
        if (kp_report_has_average(r))
            s_el(out, " jämfört med genomsnittet av ", kp_report_sv_average_set(a, r), "");
        if (r->previous_label)
            s_el(out, kp_report_has_average(r) ? " och med " : " jämfört med ", r->previous_label,
                 "");
        fputs(".</p>\n", out);
    } else {
        fputs("<p>Diagrammet visar poängen per område.</p>\n", out);
    }
    if (!kp_report_svg_radar(out, a, r))
        fputs("<p class=\"empty\">Radardiagrammet kräver minst tre områden.</p>\n", out);
    fputc('\n', out);
    s_compare_table(out, a, r);
    fputs("</section>\n", out);
}

/* The points per area beside the comparisons, and what the average is of
 * (or why there is none). */
static void s_compare_table(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("<table class=\"compare\"><thead><tr><th>Område</th>", out);
    s_el(out, "<th class=\"n\">", kp_report_sv_current(a, r), "</th>");
    if (kp_report_has_average(r)) fputs("<th class=\"n\">Genomsnitt</th>", out);
    if (r->previous_label) s_el(out, "<th class=\"n\">", r->previous_label, "</th>");
    fputs("</tr></thead><tbody>\n", out);
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        char v[KP_REPORT_POINTS_BUF];
        s_el(out, "<tr><td>", kp_report_sv_area_name(a, area), "</td>");
        fprintf(out, "<td class=\"n\">%lld</td>", (long long)kp_report_area_achieved(area));
        if (kp_report_has_average(r))
            s_el(out, "<td class=\"n\">", kp_report_points_format_sv(area->average, v), "</td>");
        if (r->previous_label)
            s_el(out, "<td class=\"n\">", kp_report_points_format_sv(area->previous, v), "</td>");
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (kp_report_has_average(r))
        s_el(out, "<p>Genomsnittet är beräknat på ", kp_report_sv_average_set(a, r),
             " som utvärderats enligt samma version av Kommunkompassen.</p>\n");
    else
        s_el(out, "<p class=\"no-average\">", kp_report_sv_no_average(a, r), "</p>\n");
}

static void s_area(FILE *out, const kp_report *r, size_t index)
{
    const kp_report_area *area = &r->areas[index];
    char max[KP_REPORT_POINTS_BUF];
    fprintf(out, "<section class=\"page area\" id=\"omrade-%zu\">\n", index + 1);
    if (index == 0)
        fputs("<h2 id=\"genomgang\">3 Detaljerad genomgång område för område</h2>\n", out);
    fprintf(out, "<header class=\"area-head\"><div><p class=\"kicker\">Område %d</p>",
            area->number);
    s_el(out, "<h3>", area->title, "</h3></div>");
    fprintf(out,
            "<div class=\"area-score\"><span class=\"score\">%lld</span>"
            "<span class=\"of\">av %s poäng</span></div></header>\n",
            (long long)kp_report_area_achieved(area),
            kp_report_points_format_sv(kp_report_area_max(area), max));

    if (area->headings.count) {
        fputs("<p class=\"kicker\">Rubriker</p>\n", out);
        s_list(out, "headings", &area->headings);
    }
    if (area->general) {
        fputs("<div class=\"general\"><h4>Allmänt</h4>\n", out);
        s_paragraphs(out, area->general, NULL);
        fputs("</div>\n", out);
    }
    fputs("<h4>Sammanfattning</h4>\n", out);
    s_paragraphs(out, area->summary, "<p class=\"empty\">Ingen sammanfattning ännu.</p>\n");

    fputs("<div class=\"columns\"><div class=\"col strengths\"><h4>Styrkor</h4>\n", out);
    s_list(out, NULL, &area->strengths);
    fputs("</div><div class=\"col improvements\"><h4>Förbättringsmöjligheter</h4>\n", out);
    s_list(out, NULL, &area->improvements);
    fputs("</div></div>\n", out);

    if (kp_report_has_average(r) || r->previous_label) {
        char v[KP_REPORT_POINTS_BUF];
        fputs("<p class=\"area-compare\">", out);
        if (kp_report_has_average(r))
            s_el(out, "Genomsnitt: ", kp_report_points_format_sv(area->average, v), " poäng");
        if (kp_report_has_average(r) && r->previous_label) fputs(" · ", out);
        if (r->previous_label) {
            s_el(out, "", r->previous_label, ": ");
            s_el(out, "", kp_report_points_format_sv(area->previous, v), " poäng");
        }
        fputs("</p>\n", out);
    }
    size_t unscored = kp_report_area_unscored(area);
    if (unscored)
        fprintf(out, "<p class=\"unscored\">%zu delfrågor saknar ännu poäng.</p>\n", unscored);
    fputs("</section>\n", out);
}

/* The follow-up of the previous round's improvement opportunities: a page
 * of its own after the areas, every item with its status (an item not
 * assessed says so, marked) and note. */
static void s_followup(FILE *out, kp_arena *a, const kp_report *r)
{
    if (r->n_followup == 0) return;
    fputs("<section class=\"page\" id=\"uppfoljning\">\n<h2>" KP_REPORT_SV_FOLLOWUP "</h2>\n", out);
    s_el(out, "<p>", kp_report_sv_followup_intro(a, r), "</p>\n");
    fputs("<table class=\"followup\"><thead><tr><th>Område</th><th>Nr</th>"
          "<th>Förbättringsmöjlighet</th><th>Status</th><th>Kommentar</th></tr></thead>"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < r->n_followup; i++) {
        const kp_report_followup *f = &r->followup[i];
        const char *title = kp_arena_printf(a, "%d", f->area);
        for (size_t k = 0; k < r->n_areas; k++)
            if (r->areas[k].number == f->area) title = kp_report_sv_area_name(a, &r->areas[k]);
        s_el(out, "<tr><td>", title, "</td>");
        s_el(out, "<td class=\"code\">", f->item, "</td>");
        s_el(out, "<td>", f->text, "</td>");
        const char *name = kp_report_followup_status_name(f->status);
        s_el(out,
             kp_arena_printf(a, "<td class=\"followup-status %s\">", name ? name : "not-assessed"),
             kp_report_sv_followup_status(f->status), "</td>");
        s_el(out, "<td>", f->note, "</td></tr>\n");
    }
    fputs("</tbody></table>\n</section>\n", out);
}

static void s_overview(FILE *out, kp_arena *a, const kp_report *r)
{
    char v[KP_REPORT_POINTS_BUF];
    fputs("<section class=\"page\" id=\"poangfordelning\">\n"
          "<h2>4 Översikt av poängfördelning</h2>\n",
          out);
    s_el(out, "<p>Tabellerna visar resultatet för ", r->municipality,
         " fördelat på delfrågor inom respektive område. Uppnått är poängen avrundad till "
         "hela poäng; procenten räknas på den exakta poängen.</p>\n");
    if (r->source_note) s_el(out, "<p class=\"source-note\">Källa: ", r->source_note, "</p>\n");
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        s_el(out, "<table class=\"scores\"><caption>", kp_report_sv_area_name(a, area),
             "</caption>\n");
        fputs("<thead><tr><th>Delfråga</th><th class=\"n\">Uppnått</th><th class=\"n\">Max</th>"
              "<th class=\"n\">Procent</th></tr></thead>\n<tbody>\n",
              out);
        for (size_t k = 0; k < area->n_questions; k++) {
            const kp_report_question *q = &area->questions[k];
            s_el(out, "<tr><td><span class=\"code\">", q->code, "</span>");
            s_el(out, "", q->text, "</td>");
            if (kp_report_question_scored(q)) {
                if (q->points % 100)
                    s_el(out, "<td class=\"n\" title=\"Exakt: ",
                         kp_report_points_format_sv(q->points, v), " poäng\">");
                else
                    fputs("<td class=\"n\">", out);
                fprintf(out, "%lld</td>", (long long)kp_report_question_shown(q));
            } else {
                fputs("<td class=\"n unscored\">–</td>", out);
            }
            s_el(out, "<td class=\"n\">", kp_report_points_format_sv(q->max, v), "</td>");
            if (kp_report_question_scored(q))
                fprintf(out, "<td class=\"n\">%lld%%</td></tr>\n",
                        (long long)kp_report_question_percent(q));
            else
                fputs("<td class=\"n unscored\">–</td></tr>\n", out);
        }
        fprintf(out, "</tbody>\n<tfoot><tr><th>Summa område %d</th><td class=\"n\">%lld</td>",
                area->number, (long long)kp_report_area_achieved(area));
        s_el(out, "<td class=\"n\">", kp_report_points_format_sv(kp_report_area_max(area), v),
             "</td>");
        fprintf(out, "<td class=\"n\">%lld%%</td></tr></tfoot>\n</table>\n",
                (long long)kp_report_area_percent(area));
    }
    fprintf(out, "<table class=\"grand\"><tbody><tr><th>Totalt</th><td class=\"n\">%lld</td>",
            (long long)kp_report_total(r));
    s_el(out, "<td class=\"n\">", kp_report_points_format_sv(kp_report_total_max(r), v), "</td>");
    fprintf(out, "<td class=\"n\">%lld%%</td></tr></tbody></table>\n</section>\n",
            (long long)kp_report_total_percent(r));
}

/* The last page: the signatures, under heading ("5 Signaturer"), and when
 * the municipality reviewed the draft. */
static void s_signatures(FILE *out, kp_arena *a, const kp_report *r, const char *heading)
{
    s_el(out, "<section class=\"page\" id=\"signaturer\">\n<h2>", heading, "</h2>\n");
    if (r->is_signed)
        fputs("<p>Poängen och texterna i denna rapport är signerade. Varje signatur anger vem "
              "som signerade, när och med vilken innebörd.</p>\n",
              out);
    else
        s_el(out, "<p class=\"status-draft\">", KP_REPORT_SV_DRAFT,
             ". Rapporten är ett utkast: poäng och texter kan ändras tills den har "
             "signerats.</p>\n");
    const char *factcheck = kp_report_sv_factcheck(a, r);
    if (factcheck) s_el(out, "<p class=\"factcheck\">", factcheck, "</p>\n");
    if (r->n_signatures == 0) {
        fputs("<p class=\"empty\">Inga signaturer.</p>\n</section>\n", out);
        return;
    }
    fputs("<table class=\"signatures\"><thead><tr><th>Namn</th><th>Organisation</th>"
          "<th>Innebörd</th><th>Tidpunkt</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < r->n_signatures; i++) {
        const kp_report_signature *s = &r->signatures[i];
        s_el(out, "<tr><td>", s->name, "</td>");
        s_el(out, "<td>", s->organisation, "</td>");
        s_el(out, "<td>", kp_report_sv_meaning(s->meaning), "</td>");
        s_el(out, "<td>", kp_report_sv_time(a, s->time_us), "</td></tr>\n");
    }
    fputs("</tbody></table>\n</section>\n", out);
}

int kp_report_render_html(const kp_report *r, FILE *out)
{
    char err[256];
    if (kp_report_check(r, err, sizeof err) != KP_OK) return KP_BAD_REQUEST;
    kp_arena *a = kp_arena_new();
    if (!a) return KP_INTERNAL;

    kp_report_html_begin(
        out, a, r, kp_arena_printf(a, "KommunKompassen – %s", kp_report_sv_current(a, r)), NULL);
    s_cover(out, a, r);
    s_about(out, a, r);
    s_summary(out, a, r);
    for (size_t i = 0; i < r->n_areas; i++)
        s_area(out, r, i);
    s_followup(out, a, r);
    s_overview(out, a, r);
    s_signatures(out, a, r, "5 Signaturer");
    kp_report_html_end(out);

    kp_arena_destroy(&a);
    return fflush(out) == 0 && !ferror(out) ? KP_OK : KP_INTERNAL;
}

/* ---------------------------------------------------------------- shared
 * with the other templates (report_html.h) */

void kp_report_html_begin(FILE *out, kp_arena *a, const kp_report *r, const char *title,
                          const char *extra_css)
{
    s_head(out, a, r, title, extra_css);
    if (!r->is_signed)
        s_el(out, "<div class=\"draft-watermark\" aria-hidden=\"true\">", KP_REPORT_SV_DRAFT,
             "</div>\n");
    fputs("<main>\n", out);
    if (!r->is_signed)
        s_el(out, "<div class=\"draft-banner\">", KP_REPORT_SV_DRAFT,
             ": poäng och texter kan ändras tills rapporten har signerats.</div>\n");
}

void kp_report_html_end(FILE *out)
{
    fputs("</main>\n</body>\n</html>\n", out);
}

void kp_report_html_el(FILE *out, const char *open, const char *text, const char *close)
{
    s_el(out, open, text, close);
}

void kp_report_html_list(FILE *out, const char *cls, const kp_report_list *l)
{
    s_list(out, cls, l);
}

void kp_report_html_compare_table(FILE *out, kp_arena *a, const kp_report *r)
{
    s_compare_table(out, a, r);
}

void kp_report_html_signatures(FILE *out, kp_arena *a, const kp_report *r, const char *heading)
{
    s_signatures(out, a, r, heading);
}
