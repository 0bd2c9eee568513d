/*  report_render: what each format shows, escapes and refuses. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report_fixture.h"
#include "report_render.h"
#include "report_text.h"
#include "status.h"

static kp_arena *a;
static void setup(void)
{
    a = kp_arena_new();
}
static void teardown(void)
{
    kp_arena_destroy(&a);
}
TestSuite(report_html, .init = setup, .fini = teardown);
TestSuite(report_md, .init = setup, .fini = teardown);
TestSuite(report_csv, .init = setup, .fini = teardown);
TestSuite(report_json, .init = setup, .fini = teardown);
TestSuite(report_render, .init = setup, .fini = teardown);

typedef int (*render_fn)(const kp_report *, FILE *);

/* The rendered document, in the arena; asserts the renderer said KP_OK. */
static const char *s_render(render_fn fn, const kp_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    int rc = fn(r, f);
    fclose(f);
    cr_assert_eq(rc, KP_OK, "render: %d", rc);
    char *copy = kp_arena_strndup(a, buf, len);
    free(buf);
    return copy;
}

#define HOSTILE      "<script>alert('x')</script> & \"q\""
#define HOSTILE_HTML "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"

/* A report whose every kind of text is hostile. */
static kp_report *s_hostile(void)
{
    kp_report *r = rf_small(a);
    kp_report_area *areas = rf_areas(r);
    kp_report_question *qs = rf_questions(&areas[0]);
    r->municipality = "</style><script>alert(1)</script>\"{}";
    r->label = HOSTILE;
    r->framework_name = HOSTILE;
    r->source_note = HOSTILE;
    r->previous_label = HOSTILE;
    r->average_count = 3;
    static const char *const items[] = {HOSTILE, "1. ingen lista", "- inget heller"};
    areas[0].title = HOSTILE;
    areas[0].summary = HOSTILE "\n\n" HOSTILE;
    areas[0].general = HOSTILE;
    areas[0].strengths = (kp_report_list){items, 3};
    areas[0].improvements = (kp_report_list){items, 1};
    areas[0].headings = (kp_report_list){items, 1};
    qs[0].text = HOSTILE;
    qs[0].code = "<b>1.1</b>";
    kp_report_evaluator *ev = kp_arena_zalloc(a, sizeof *ev);
    *ev = (kp_report_evaluator){HOSTILE, HOSTILE, HOSTILE};
    r->evaluators = ev;
    kp_report_signature *sig = kp_arena_zalloc(a, sizeof *sig);
    *sig = (kp_report_signature){HOSTILE, HOSTILE, 0, KP_SIGNATURE_AUTHORED};
    r->signatures = sig;
    r->n_signatures = 1;
    return r;
}

/* ---------------------------------------------------------------- HTML */

Test(report_html, has_the_shape_of_the_published_analysis)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    const char *html = s_render(kp_report_render_html, r);
    const char *in_order[] = {"<html lang=\"sv\">",
                              "Analys av",
                              ">Västerås stad</h1>",
                              "Kommunkompassen (2015 års uppdatering) · KK2015",
                              "kommunens 5:e utvärdering",
                              "Christine Feuk</strong>, SKL",
                              "Ewa Luvö</strong>, Borås Stad",
                              "1 Vad är Kommunkompassen?",
                              "Sammanfattning av resultat",
                              "616 av 800 poäng",
                              "class=\"chart chart-bars\"",
                              "class=\"chart chart-radar\"",
                              "Genomsnitt av 12 andra kommuner, 2015–2017",
                              "3 Detaljerad genomgång",
                              "<h3>Offentlighet och demokrati</h3>",
                              "Rubriker",
                              "Allmänt",
                              "Sammanfattning",
                              "Styrkor",
                              "Förbättringsmöjligheter",
                              "<h3>Kommunen som samhällsbyggare</h3>",
                              "4 Översikt av poängfördelning",
                              "Uppnått",
                              "Max",
                              "Procent",
                              "5 Signaturer"};
    const char *p = html;
    for (size_t i = 0; i < sizeof in_order / sizeof in_order[0]; i++) {
        const char *q = strstr(p, in_order[i]);
        cr_assert_not_null(q, "\"%s\" missing or out of order", in_order[i]);
        p = q + strlen(in_order[i]);
    }
    /* one detail page and one overview table per area, a bar per area */
    cr_assert_eq(rf_count(html, "<section class=\"page area\""), 8);
    cr_assert_eq(rf_count(html, "<table class=\"scores\">"), 8);
    cr_assert_eq(rf_count(html, "<rect class=\"bar\""), 8);
    /* every question's row, e.g. 4.2: 8 of 10, 82%, exact 8,2 in its title */
    cr_assert(strstr(html, "title=\"Exakt: 8,2 poäng\">8</td><td class=\"n\">10</td>"
                           "<td class=\"n\">82%</td>"));
    cr_assert_eq(rf_count(html, "<tr><td><span class=\"code\">"), 45);
    cr_assert(strstr(html, "<th>Totalt</th><td class=\"n\">616</td><td class=\"n\">800</td>"
                           "<td class=\"n\">77%</td>"));
    /* the texts of the published report are there */
    cr_assert(strstr(html, "<li>Webbsändning av KF</li>"));
    cr_assert(strstr(html, "<li>Fortsätt utveckla LÖKIS</li>"));
}

Test(report_html, radar_has_an_axis_per_area_and_three_series)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    const char *html = s_render(kp_report_render_html, r);
    cr_assert_eq(rf_count(html, "class=\"radar-axis\""), 8);
    cr_assert_eq(rf_count(html, "class=\"radar-ring\""), 5);
    cr_assert_eq(rf_count(html, "class=\"series-current\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-average\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-previous\""), 1);
    cr_assert_eq(rf_count(html, "class=\"legend-"), 3);
    cr_assert(strstr(html, "class=\"legend-previous\""));
    cr_assert(strstr(html, ">Västerås 2014</text>"));

    kp_report *plain = rf_vasteras(a, (rf_options){0});
    html = s_render(kp_report_render_html, plain);
    cr_assert_eq(rf_count(html, "class=\"radar-axis\""), 8);
    cr_assert_eq(rf_count(html, "class=\"series-current\""), 1);
    cr_assert_null(strstr(html, "series-average\""), "no average, no series");
    cr_assert_null(strstr(html, "series-previous\""));
}

Test(report_html, radar_points_sit_on_the_scale)
{
    /* area 1 has 82 of 100: its vertex is straight up from the centre
     * (400, 290), 0.82 of the radius (200) away: y = 290 - 164 */
    kp_report *r = rf_vasteras(a, (rf_options){0});
    const char *html = s_render(kp_report_render_html, r);
    cr_assert(strstr(html, "<polygon class=\"series-current\" points=\"400,126 "), "%s",
              strstr(html, "series-current"));
    /* the 100 ring's first vertex is at the top: y = 290 - 200 */
    cr_assert(strstr(html, "<polygon class=\"radar-ring\" points=\"400,90 "));
}

Test(report_html, is_self_contained)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    const char *html = s_render(kp_report_render_html, r);
    const char *fetching[] = {
        "<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "http:", "https:"};
    for (size_t i = 0; i < sizeof fetching / sizeof fetching[0]; i++)
        cr_assert_null(strstr(html, fetching[i]), "found %s", fetching[i]);
    cr_assert(strstr(html, "<style>"));
    cr_assert(strstr(html, "@page{size:A4"));
    cr_assert(strstr(html, "@media print"));
    cr_assert(strstr(html, "<meta charset=\"utf-8\">"));
}

Test(report_html, unsigned_says_draft_on_every_page)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    const char *html = s_render(kp_report_render_html, r);
    /* the fixed watermark repeats on each printed page; the margin box too */
    cr_assert(strstr(html, "<div class=\"draft-watermark\" aria-hidden=\"true\">UTKAST – ej "
                           "signerad</div>"));
    cr_assert(strstr(html, ".draft-watermark{position:fixed;"));
    cr_assert(strstr(html, "@top-center{content:\"UTKAST \xe2\x80\x93 ej signerad\""));
    cr_assert(strstr(html, "<span class=\"status-draft\">UTKAST – ej signerad</span>"));
}

Test(report_html, signed_has_no_draft_and_shows_the_signatures)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true, .is_signed = true});
    const char *html = s_render(kp_report_render_html, r);
    cr_assert_null(strstr(html, "UTKAST"));
    cr_assert_null(strstr(html, "class=\"draft-"));
    cr_assert_null(strstr(html, "@top-center"));
    cr_assert(strstr(html, "<span class=\"status-signed\">Signerad</span>"));
    cr_assert(strstr(html, "<tr><td>Anna Eklund</td><td>SKL</td><td>Godkänd</td>"
                           "<td>2017-09-30 09:05 UTC</td></tr>"));
    cr_assert(strstr(html, "<td>Ewa Luvö</td><td>Borås Stad</td><td>Granskad</td>"));
    cr_assert(strstr(html, "<td>Christine Feuk</td><td>SKL</td><td>Författad</td>"));
}

Test(report_html, escapes_every_text)
{
    const char *html = s_render(kp_report_render_html, s_hostile());
    cr_assert_null(strstr(html, "<script"), "a text became markup");
    cr_assert_null(strstr(html, "<b>"));
    cr_assert_null(strstr(html, "</style><"), "the style sheet was ended early");
    cr_assert_eq(rf_count(html, "</style>"), 1);
    /* title, framework, note, label, area title, summary (2 paragraphs),
     * general, items, question, evaluator (3 fields), signature (2) ... */
    cr_assert_geq(rf_count(html, HOSTILE_HTML), 15);
    cr_assert(strstr(html, "<p>" HOSTILE_HTML "</p>\n<p>" HOSTILE_HTML "</p>"));
    cr_assert(strstr(html, "<span class=\"code\">&lt;b&gt;1.1&lt;/b&gt;</span>"));
    /* in the page's margin box, as a CSS string */
    cr_assert(strstr(html, "content:\"KommunKompassen · \\3c \\2f style\\3e \\3c script\\3e "));
}

/* ---------------------------------------------------------------- Markdown */

Test(report_md, has_the_content_and_tables)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true, .is_signed = true});
    const char *md = s_render(kp_report_render_markdown, r);
    cr_assert(strstr(md, "# KommunKompassen: analys av Västerås stad\n"));
    cr_assert(strstr(md, "## 1 Vad är Kommunkompassen?\n"));
    cr_assert(strstr(md, "**616 av 800 poäng (77%)**"));
    cr_assert(strstr(md,
                     "| Område | Västerås stad 2017 | Genomsnitt | Västerås 2014 |\n"
                     "|---|--:|--:|--:|\n| 1. Offentlighet och demokrati | 82 | 71,4 | 74 |\n"));
    cr_assert(strstr(md, "### Område 1 Offentlighet och demokrati: 82 av 100 poäng\n"));
    cr_assert(strstr(md, "#### Styrkor\n\n- Övergripande strategi och mål kring "
                         "demokratiutveckling\n"));
    cr_assert(strstr(md, "#### Förbättringsmöjligheter\n\n"));
    cr_assert(strstr(md, "| Nr | Delfråga | Uppnått | Max | Procent |\n|---|---|--:|--:|--:|\n"
                         "| 1.1 | Finns en plan/strategi för demokratiutveckling och "
                         "information? | 14 | 15 | 93% |\n"));
    cr_assert(strstr(md, "| 4.2 | Vilket ansvar har resultatenheterna för budget, personal och "
                         "organisation? | 8 | 10 | 82% |\n"));
    cr_assert(strstr(md, "| | **Summa** | **86** | **100** | **86%** |\n"));
    cr_assert(strstr(md, "**Totalt: 616 av 800 poäng (77%)**"));
    cr_assert(strstr(md, "| Anna Eklund | SKL | Godkänd | 2017-09-30 09:05 UTC |\n"));
    cr_assert_null(strstr(md, "UTKAST"));
}

Test(report_md, unsigned_says_draft)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    const char *md = s_render(kp_report_render_markdown, r);
    cr_assert(strstr(md, "> **UTKAST – ej signerad.**"));
    cr_assert(strstr(md, "- **Status:** UTKAST – ej signerad\n"));
    cr_assert(strstr(md, "*Inga signaturer.*"));
}

Test(report_md, escapes_markdown_and_html)
{
    const char *md = s_render(kp_report_render_markdown, s_hostile());
    /* the renderer writes no '<' of its own: every one is a text's, escaped */
    size_t lt = 0;
    for (const char *p = strchr(md, '<'); p; p = strchr(p + 1, '<'), lt++)
        cr_assert(p > md && p[-1] == '\\', "unescaped '<' at \"%.20s\"", p);
    cr_assert_geq(lt, 20);
    cr_assert(strstr(md, "\\<script\\>alert('x')\\</script\\> \\& \"q\""));
    cr_assert(strstr(md, "- 1\\. ingen lista\n"), "would have opened a numbered list");
    cr_assert(strstr(md, "- \\- inget heller\n"), "would have opened a nested list");
    cr_assert(strstr(md, "| \\<b\\>1.1\\</b\\> |"));
}

/* ---------------------------------------------------------------- CSV */

/* Parses RFC 4180 text into rows of fields (arena); returns the row count. */
static size_t s_csv_parse(const char *s, char ***rows_out[], size_t *widths)
{
    static char **rows[256];
    size_t nrows = 0;
    while (*s && nrows < 256) {
        char **fields = kp_arena_zalloc(a, sizeof(char *) * 16);
        size_t nf = 0;
        for (;;) {
            char *field = kp_arena_zalloc(a, strlen(s) + 1), *w = field;
            if (*s == '"') {
                for (s++;; s++) {
                    cr_assert(*s, "unterminated quoted field");
                    if (*s == '"' && s[1] == '"') {
                        *w++ = '"';
                        s++;
                    } else if (*s == '"') {
                        s++;
                        break;
                    } else {
                        *w++ = *s;
                    }
                }
            } else {
                while (*s && *s != ',' && *s != '\r' && *s != '\n')
                    *w++ = *s++;
            }
            cr_assert_lt(nf, 16);
            fields[nf++] = field;
            if (*s == ',') {
                s++;
                continue;
            }
            cr_assert(s[0] == '\r' && s[1] == '\n', "a record ends with CRLF");
            s += 2;
            break;
        }
        widths[nrows] = nf;
        rows[nrows++] = fields;
    }
    *rows_out = rows;
    return nrows;
}

/* The row of that kind whose code (question) or area number (area) is key. */
static char **s_csv_row(char ***rows, size_t n, const char *kind, const char *key)
{
    bool question = strcmp(kind, "question") == 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(rows[i][0], kind) == 0 && strcmp(rows[i][question ? 2 : 1], key) == 0)
            return rows[i];
    cr_assert_fail("no %s row %s", kind, key);
    return NULL;
}

Test(report_csv, one_row_per_question_area_and_total)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    const char *csv = s_render(kp_report_render_csv, r);
    char ***rows;
    size_t widths[256];
    size_t n = s_csv_parse(csv, &rows, widths);
    cr_assert_eq(n, 1 + 45 + 8 + 1);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(widths[i], 10, "row %zu has %zu fields", i, widths[i]);
    const char *header[] = {"row",   "area", "code",    "text",   "points",
                            "shown", "max",  "percent", "status", "note"};
    for (size_t k = 0; k < 10; k++)
        cr_assert_str_eq(rows[0][k], header[k]);
    /* 4.2: 8.2 exact, 8 shown, of 10, 82% */
    char **q = s_csv_row(rows, n, "question", "4.2");
    const char *q42[] = {
        "question", "4",
        "4.2",      "Vilket ansvar har resultatenheterna för budget, personal och organisation?",
        "8.2",      "8",
        "10",       "82"};
    for (size_t k = 0; k < 8; k++)
        cr_assert_str_eq(q[k], q42[k]);
    /* area 4's row: exact sum 77.3, achieved 77 */
    char **area4 = s_csv_row(rows, n, "area", "4");
    const char *a4[] = {"area", "4",  "",    "Ledarskap, ansvar och delegation",
                        "77.3", "77", "100", "77"};
    for (size_t k = 0; k < 8; k++)
        cr_assert_str_eq(area4[k], a4[k]);
    const char *total[] = {"total", "", "", "Totalt", "615.25", "616", "800", "77"};
    for (size_t k = 0; k < 8; k++)
        cr_assert_str_eq(rows[n - 1][k], total[k]);
    /* the question with a comma was quoted, and came back whole */
    cr_assert(strstr(csv, ",\"Vilket ansvar har resultatenheterna för budget, personal och "
                          "organisation?\","));
}

Test(report_csv, the_comparison_series_follow_the_total)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    const char *csv = s_render(kp_report_render_csv, r);
    char ***rows;
    size_t widths[256];
    size_t n = s_csv_parse(csv, &rows, widths);
    cr_assert_eq(n, 1 + 45 + 8 + 1 + 9 + 9, "the previous and the average: 8 areas and a total");
    cr_assert_str_eq(rows[1 + 45 + 8][0], "total");
    int64_t prev = 0, avg = 0;
    for (size_t i = 0; i < 8; i++) {
        char **p = rows[1 + 45 + 8 + 1 + i], **g = rows[1 + 45 + 8 + 1 + 9 + i];
        cr_assert_str_eq(p[0], "previous");
        cr_assert_str_eq(p[3], "Västerås 2014");
        cr_assert_eq(atoll(p[1]), r->areas[i].number);
        cr_assert_eq(atoll(p[5]), kp_report_comparison_shown(r->areas[i].previous));
        cr_assert_str_eq(g[0], "average");
        cr_assert_eq(atoll(g[5]), kp_report_comparison_shown(r->areas[i].average));
        prev += r->areas[i].previous;
        avg += r->areas[i].average;
    }
    char **pt = rows[1 + 45 + 8 + 8 + 1], **gt = rows[n - 1];
    cr_assert_str_eq(pt[0], "previous");
    cr_assert_str_eq(pt[1], "");
    cr_assert_eq(atoll(pt[5]), kp_report_comparison_shown(prev));
    cr_assert_str_eq(gt[0], "average");
    cr_assert_eq(atoll(gt[5]), kp_report_comparison_shown(avg));
}

Test(report_csv, quotes_commas_quotes_and_newlines)
{
    kp_report *r = rf_small(a);
    kp_report_question *qs = rf_questions(&rf_areas(r)[0]);
    qs[0].text = "Hur, \"om\" och\nnär?";
    qs[1].text = "Utan\r\nvagnretur";
    qs[1].points = KP_REPORT_UNSCORED;
    rf_areas(r)[1].title = "Titel, med komma";
    const char *csv = s_render(kp_report_render_csv, r);
    cr_assert(strstr(csv, "question,1,1.1,\"Hur, \"\"om\"\" och\nnär?\",5,5,10,50,,\r\n"));
    cr_assert(strstr(csv, "question,1,1.2,\"Utan\r\nvagnretur\",,,20,,,\r\n"), "unscored: empty");
    cr_assert(strstr(csv, "area,1,,Område nummer 1,5,5,30,17,,\r\n"));
    cr_assert(strstr(csv, "area,2,,\"Titel, med komma\",17.5,18,30,60,,\r\n"));
    char ***rows;
    size_t widths[256];
    size_t n = s_csv_parse(csv, &rows, widths);
    cr_assert_eq(n, 1 + 2 * 3 + 3 + 1);
    cr_assert_str_eq(rows[1][3], "Hur, \"om\" och\nnär?");
    cr_assert_str_eq(rows[2][3], "Utan\r\nvagnretur");
    cr_assert_str_eq(rows[6][3], "Titel, med komma");
}

/* ---------------------------------------------------------------- JSON */

Test(report_json, parses_and_holds_the_figures)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true, .is_signed = true});
    const char *text = s_render(kp_report_render_json, r);
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    cr_assert_not_null(doc, "%d: %s", e.line, e.text);
    json_t *total = json_object_get(doc, "total");
    cr_assert_eq(json_integer_value(json_object_get(total, "points")), 616);
    cr_assert_eq(json_integer_value(json_object_get(total, "max")), 800);
    cr_assert_eq(json_integer_value(json_object_get(total, "percent")), 77);
    cr_assert_float_eq(json_real_value(json_object_get(total, "exact")), 615.25, 1e-9);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "municipality")), "Västerås stad");
    cr_assert(json_is_true(json_object_get(doc, "signed")));
    cr_assert_eq(json_integer_value(json_object_get(doc, "ordinal")), 5);
    json_t *areas = json_object_get(doc, "areas");
    cr_assert_eq(json_array_size(areas), 8);
    int64_t sum = 0;
    for (size_t i = 0; i < 8; i++)
        sum += json_integer_value(json_object_get(json_array_get(areas, i), "achieved"));
    cr_assert_eq(sum, 616);
    json_t *area4 = json_array_get(areas, 3);
    cr_assert_eq(json_integer_value(json_object_get(area4, "achieved")), 77);
    cr_assert_float_eq(json_real_value(json_object_get(area4, "exact")), 77.3, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(area4, "average")), 66.8, 1e-9);
    json_t *q42 = json_array_get(json_object_get(area4, "questions"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(q42, "code")), "4.2");
    cr_assert_float_eq(json_real_value(json_object_get(q42, "points")), 8.2, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(q42, "shown")), 8);
    cr_assert_eq(json_integer_value(json_object_get(q42, "percent")), 82);
    cr_assert_eq(json_integer_value(json_object_get(q42, "max")), 10);
    cr_assert(strstr(text, "\"points\": 8.2,"), "exact decimals, not 8.1999...");
    json_t *a1 = json_array_get(areas, 0);
    cr_assert_eq(json_array_size(json_object_get(a1, "strengths")), 7);
    cr_assert_eq(json_array_size(json_object_get(a1, "improvements")), 4);
    json_t *sig = json_array_get(json_object_get(doc, "signatures"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(sig, "meaning")), "approved");
    cr_assert_str_eq(json_string_value(json_object_get(sig, "time")), "2017-09-30T09:05:00Z");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(doc, "comparison"), "previous_label")),
        "Västerås 2014");
    json_decref(doc);
}

Test(report_json, unscored_is_null_and_bad_utf8_is_refused)
{
    kp_report *r = rf_small(a);
    kp_report_question *qs = rf_questions(&rf_areas(r)[2]);
    qs[0].points = KP_REPORT_UNSCORED;
    json_t *doc = json_loads(s_render(kp_report_render_json, r), 0, NULL);
    cr_assert_not_null(doc);
    json_t *q = json_array_get(
        json_object_get(json_array_get(json_object_get(doc, "areas"), 2), "questions"), 0);
    cr_assert(json_is_null(json_object_get(q, "points")));
    cr_assert(json_is_null(json_object_get(q, "shown")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(doc, "total"), "unscored")), 1);
    json_decref(doc);

    rf_areas(r)[1].summary = "trasig \xff text";
    FILE *f = fopen("/dev/null", "w");
    cr_assert_eq(kp_report_render_json(r, f), KP_BAD_REQUEST);
    fclose(f);
}

/* ---------------------------------------------------------------- all */

Test(report_render, every_format_refuses_an_invalid_model_and_a_failed_write)
{
    render_fn fns[] = {kp_report_render_html, kp_report_render_markdown, kp_report_render_csv,
                       kp_report_render_json};
    kp_report *r = rf_small(a);
    kp_report *bad = rf_small(a);
    rf_questions(&rf_areas(bad)[0])[0].points = 99999;
    for (size_t i = 0; i < 4; i++) {
        FILE *f = fopen("/dev/null", "w");
        cr_assert_eq(fns[i](bad, f), KP_BAD_REQUEST, "format %zu", i);
        fclose(f);
        f = fopen("/dev/null", "r"); /* every write fails */
        cr_assert_eq(fns[i](r, f), KP_INTERNAL, "format %zu", i);
        fclose(f);
    }
}

/* ---------------------------------------------------------------- follow-up, evidence */

Test(report_render, the_evidence_sentence_says_what_the_log_holds)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    cr_assert_null(kp_report_sv_evidence(a, r), "an empty log: no sentence");
    r->interviewed = 1;
    cr_assert_str_eq(kp_report_sv_evidence(a, r),
                     "Utvärderingsgruppen har genomfört en intervju med en person i "
                     "organisationen.");
    static const char *const cats[] = {"politician", "union", "other"};
    r->interview_categories = cats;
    r->n_interview_categories = 3;
    r->interviewed = 31;
    r->documents = 4;
    r->web_checks = 2;
    cr_assert_str_eq(kp_report_sv_evidence(a, r),
                     "Utvärderingsgruppen har studerat dokument, granskat kommunens webbplats och "
                     "genomfört intervjuer med 31 personer i organisationen. Bland de "
                     "intervjuade fanns politiker, fackliga representanter och andra.");
    r->interviewed = 0;
    cr_assert_str_eq(kp_report_sv_evidence(a, r), "Utvärderingsgruppen har studerat dokument och "
                                                  "granskat kommunens webbplats.");
}

Test(report_render, the_followup_is_in_every_format_with_the_unassessed_marked)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    static const kp_report_followup fu[] = {
        {"1.1", 1, "Dialog med invånarna | om resultat", KP_FOLLOWUP_REMAINS, "Kvarstår, <se> 2.3"},
        {"3.1", 3, "Tydligare mål", KP_FOLLOWUP_NOT_ASSESSED, NULL},
    };
    r->followup = fu;
    r->n_followup = 2;
    r->followup_of = "Västerås stad 2014";
    cr_assert_str_eq(kp_report_sv_followup_intro(a, r),
                     "Vid förra utvärderingen, Västerås stad 2014, lyftes 2 "
                     "förbättringsmöjligheter fram. Här redovisar utvärderingsgruppen hur de har "
                     "följts upp. 1 av dem är ännu inte bedömd.");
    const char *md = s_render(kp_report_render_markdown, r);
    cr_assert(strstr(md, "## " KP_REPORT_SV_FOLLOWUP "\n"), "%s", md);
    cr_assert(strstr(md, "| 1. Offentlighet och demokrati | 1.1 | Dialog med invånarna \\| om "
                         "resultat | kvarstår | Kvarstår, \\<se\\> 2.3 |\n"),
              "%s", md);
    cr_assert(strstr(md, "| Tydligare mål | *ej bedömd* |  |\n"), "%s", md);
    const char *html = s_render(kp_report_render_html, r);
    cr_assert(strstr(html, "<section class=\"page\" id=\"uppfoljning\">"));
    cr_assert(strstr(html, "<td class=\"followup-status remains\">kvarstår</td><td>Kvarstår, "
                           "&lt;se&gt; 2.3</td>"),
              "%s", html);
    cr_assert(strstr(html, "<td class=\"followup-status not-assessed\">ej bedömd</td>"));
    const char *csv = s_render(kp_report_render_csv, r);
    cr_assert(strstr(csv, "followup,3,3.1,Tydligare mål,,,,,not_assessed,\r\n"), "%s", csv);
    json_t *j = json_loads(s_render(kp_report_render_json, r), 0, NULL);
    json_t *f = json_object_get(j, "followup");
    cr_assert_eq(json_integer_value(json_object_get(f, "not_assessed")), 1);
    json_t *it = json_array_get(json_object_get(f, "items"), 1);
    cr_assert(json_is_null(json_object_get(it, "status")));
    cr_assert_str_eq(json_string_value(json_object_get(it, "status_sv")), "ej bedömd");
    json_decref(j);
    /* without items: no section, JSON null */
    r->n_followup = 0;
    cr_assert_null(strstr(s_render(kp_report_render_markdown, r), KP_REPORT_SV_FOLLOWUP));
    j = json_loads(s_render(kp_report_render_json, r), 0, NULL);
    cr_assert(json_is_null(json_object_get(j, "followup")));
    json_decref(j);
    /* an item without text is refused */
    static const kp_report_followup bad[] = {{"1.1", 1, "", KP_FOLLOWUP_DONE, NULL}};
    r->followup = bad;
    r->n_followup = 1;
    char err[256];
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_BAD_REQUEST);
    cr_assert(strstr(err, "follow-up item 1 has no id, no text"), "%s", err);
}
