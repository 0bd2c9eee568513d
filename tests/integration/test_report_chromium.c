/*  report in a browser: the Västerås 2017 HTML report, and its PM (the short
 *  memo, --template pm), rendered by a real headless Chromium, as a
 *  screenshot (PNG) and printed (PDF).
 *
 *  The PNG is decoded (tests/tools/png_stats.py) to show that something was
 *  drawn; the PDF's pages are read (tests/tools/pdf_text.py) to show that
 *  print gives A4 pages, a page per area, and "UTKAST – ej signerad" on every
 *  page of an unsigned report and on none of a signed one.
 *
 *  Skipped, saying why, only when no Chromium is installed (deploy/install-deps
 *  installs it). KOMPASS_CHROMIUM names another binary. To look at what was
 *  rendered, set KOMPASS_TEST_KEEP=DIR: the files stay there.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"
#include "report_fixture.h"
#include "report_render.h"
#include "status.h"

static kp_arena *a;
static char s_dir[512]; /* this test's files */
static bool s_keep;

/* The absolute path of the first of names found on $PATH, into out. */
static bool s_which(const char *const *names, char *out, size_t len)
{
    const char *path = getenv("PATH");
    for (; *names; names++) {
        for (const char *p = path; p && *p;) {
            const char *end = strchr(p, ':');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            snprintf(out, len, "%.*s/%s", (int)n, p, *names);
            if (n && access(out, X_OK) == 0) return true;
            p = end ? end + 1 : NULL;
        }
    }
    return false;
}

static const char *s_chromium(void)
{
    static char path[512];
    const char *env = getenv("KOMPASS_CHROMIUM");
    if (env && *env) return env;
    const char *names[] = {"chromium", "chromium-browser", "google-chrome", NULL};
    return s_which(names, path, sizeof path) ? path : NULL;
}

static void setup(void)
{
    a = kp_arena_new();
    const char *keep = getenv("KOMPASS_TEST_KEEP");
    s_keep = keep && *keep;
    if (s_keep) {
        snprintf(s_dir, sizeof s_dir, "%s", keep);
        cr_assert_eq(kp_mkdir_p(s_dir, 0755), 0);
    } else {
        snprintf(s_dir, sizeof s_dir, "/tmp/kompass-report-XXXXXX");
        cr_assert_not_null(mkdtemp(s_dir));
    }
}

/* Removes this test's files (unless kept) and its arena. Also before a
 * skip: cr_skip ends the test without running the suite's fini. */
static void teardown(void)
{
    /* as the harness does with its server dirs: only what this test made */
    const char *rm[] = {"/bin/rm", "-rf", s_dir, NULL};
    if (!s_keep && strncmp(s_dir, "/tmp/kompass-report-", 20) == 0)
        th_run(rm, NULL, NULL, NULL, 30000);
    kp_arena_destroy(&a);
}

TestSuite(chromium, .init = setup, .fini = teardown, .timeout = 300);

/* Renders r as HTML into DIR/name; returns the path (arena). */
static const char *s_write_html(const kp_report *r, const char *name)
{
    const char *path = kp_arena_printf(a, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(kp_report_render_html(r, f), KP_OK);
    cr_assert_eq(fclose(f), 0);
    return path;
}

static const char *s_read(const char *path)
{
    size_t len;
    char *text = kp_read_file(path, 64 * 1024 * 1024, &len);
    cr_assert_not_null(text, "%s", path);
    const char *copy = kp_arena_strndup(a, text, len);
    free(text);
    return copy;
}

/* Runs Chromium headless on file://html with one output option
 * ("--screenshot=FILE" or "--print-to-pdf=FILE") and asserts the file was
 * written. Its own fresh profile; nothing may reach the network. */
static void s_chromium_run(const char *html, const char *output_option, const char *output)
{
    const char *chromium = s_chromium();
    if (!chromium) {
        teardown();
        cr_skip("chromium is not installed (deploy/install-deps installs it; or set "
                "KOMPASS_CHROMIUM)");
    }
    const char *profile = kp_arena_printf(a, "%s/profile-%s", s_dir, strrchr(output, '/') + 1);
    const char *argv[] = {chromium,
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-quic",
                          "--no-first-run",
                          "--disable-background-networking",
                          "--disable-component-update",
                          "--disable-sync",
                          "--hide-scrollbars",
                          "--force-device-scale-factor=1",
                          "--no-pdf-header-footer",
                          kp_arena_printf(a, "--user-data-dir=%s", profile),
                          "--window-size=1200,2000",
                          kp_arena_printf(a, "%s=%s", output_option, output),
                          kp_arena_printf(a, "file://%s", html),
                          NULL};
    char *err = NULL;
    int rc = th_run(argv, NULL, NULL, &err, 120000);
    struct stat st;
    bool written = stat(output, &st) == 0 && st.st_size > 0;
    cr_assert(rc == 0 && written, "chromium exited %d, %s: %s", rc,
              written ? "wrote its output" : "wrote nothing", err);
    free(err);
}

/* Runs tests/tools/TOOL on file and parses its JSON (caller's reference). */
static json_t *s_tool(const char *tool, const char *file)
{
    char python[512];
    const char *names[] = {"python3", NULL};
    cr_assert(s_which(names, python, sizeof python), "python3 is not installed");
    const char *script = kp_arena_printf(a, "%s/%s", KP_TEST_TOOLS_DIR, tool);
    const char *argv[] = {python, script, file, NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, NULL, &out, &err, 120000);
    cr_assert_eq(rc, 0, "%s: %s", tool, err);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert_not_null(doc, "%s printed no JSON: %s", tool, out);
    free(out);
    free(err);
    return doc;
}

/* The text of a PDF page without white space (the extractor cannot know
 * where a layout put spaces between runs of glyphs). */
static const char *s_page_text(json_t *pages, size_t i)
{
    const char *text = json_string_value(json_object_get(json_array_get(pages, i), "text"));
    cr_assert_not_null(text);
    char *squeezed = kp_arena_alloc(a, strlen(text) + 1), *w = squeezed;
    for (const char *p = text; *p; p++)
        if (*p != ' ' && *p != '\n' && *p != '\t') *w++ = *p;
    *w = '\0';
    return squeezed;
}

/* Renders r to DIR/name.html, has Chromium print it to DIR/name.pdf and
 * returns the PDF's pages as pdf_text.py reads them; *doc holds them (the
 * caller's reference). */
static json_t *s_print(const kp_report *r, const char *name, json_t **doc)
{
    const char *html = s_write_html(r, kp_arena_printf(a, "%s.html", name));
    const char *pdf = kp_arena_printf(a, "%s/%s.pdf", s_dir, name);
    s_chromium_run(html, "--print-to-pdf", pdf);
    *doc = s_tool("pdf_text.py", pdf);
    return json_object_get(*doc, "pages");
}

Test(chromium, screenshot_shows_the_report_with_its_radar_chart)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    const char *html_path = s_write_html(r, "vasteras-2017.html");
    const char *html = s_read(html_path);
    /* the radar: 8 axes and the three series, each with its legend entry */
    cr_assert_eq(rf_count(html, "class=\"radar-axis\""), 8);
    cr_assert_eq(rf_count(html, "class=\"series-current\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-average\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-previous\""), 1);
    cr_assert_eq(rf_count(html, "class=\"legend-"), 3);

    const char *png = kp_arena_printf(a, "%s/vasteras-2017.png", s_dir);
    s_chromium_run(html_path, "--screenshot", png);
    json_t *st = s_tool("png_stats.py", png);
    cr_assert_eq(json_integer_value(json_object_get(st, "width")), 1200);
    cr_assert_eq(json_integer_value(json_object_get(st, "height")), 2000);
    /* a blank page is one colour; the cover band, text and antialiasing
     * give hundreds */
    cr_assert_gt(json_integer_value(json_object_get(st, "colours")), 100, "colours: %lld",
                 (long long)json_integer_value(json_object_get(st, "colours")));
    double dominant = json_real_value(json_object_get(st, "dominant"));
    double dark = json_real_value(json_object_get(st, "dark"));
    cr_assert_lt(dominant, 0.9, "one colour covers %.1f%% of the screenshot", 100 * dominant);
    cr_assert_gt(dark, 0.02, "only %.2f%% of the pixels are dark (text, the cover band)",
                 100 * dark);
    json_decref(st);
}

Test(chromium, print_is_a4_with_a_page_per_area_and_draft_on_every_page)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    json_t *doc;
    json_t *pages = s_print(r, "vasteras-2017-utkast", &doc);
    size_t n = json_array_size(pages);
    /* cover, contents, summary, comparison, 8 areas, overview, signatures */
    cr_assert_geq(n, 14, "%zu pages", n);
    size_t area_starts = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(pages, i);
        cr_assert_float_eq(json_real_value(json_object_get(p, "width")), 595.3, 1.0, "page %zu",
                           i + 1);
        cr_assert_float_eq(json_real_value(json_object_get(p, "height")), 841.9, 1.0, "page %zu",
                           i + 1);
        const char *text = s_page_text(pages, i);
        cr_assert(strstr(text, "UTKAST–ejsignerad"), "page %zu of %zu is not marked as a draft",
                  i + 1, n);
        /* each area's header box: "82 av 100 poäng" */
        area_starts += strstr(text, "av100poäng") != NULL;
    }
    cr_assert_eq(area_starts, 8, "the 8 areas start on %zu distinct pages", area_starts);
    cr_assert(strstr(s_page_text(pages, 0), "KommunKompassen"));
    cr_assert(strstr(s_page_text(pages, 0), "616av800poäng"));
    json_decref(doc);
}

Test(chromium, signed_print_has_no_draft_marking)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true, .is_signed = true});
    json_t *doc;
    json_t *pages = s_print(r, "vasteras-2017-signerad", &doc);
    size_t n = json_array_size(pages);
    cr_assert_geq(n, 14);
    for (size_t i = 0; i < n; i++)
        cr_assert_null(strstr(s_page_text(pages, i), "UTKAST"), "page %zu says UTKAST", i + 1);
    cr_assert(strstr(s_page_text(pages, n - 1), "AnnaEklundSKLGodkänd2017-09-3009:05UTC"));
    json_decref(doc);
}

/* The report as `kompass report` makes it from the server: Västerås 2017
 * imported with Västerås 2014 and Borås 2016 (so the radar has a previous
 * evaluation; one other municipality is too few for an average, and the
 * report says so), and a Kompass-made draft. */
Test(chromium, imported_report_from_the_server_renders_with_its_series)
{
    if (!s_chromium()) {
        teardown();
        cr_skip("chromium is not installed (deploy/install-deps installs it; or set "
                "KOMPASS_CHROMIUM)");
    }
    th_server *s = th_server_start(NULL);
    const char *admin = th_admin(s);
    char *out = NULL, *err = NULL;
    const char *data = KP_SOURCE_DIR "/tests/data/import";
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "import",
                           kp_arena_printf(a, "%s/vasteras-2014.json", data),
                           kp_arena_printf(a, "%s/boras-2016.json", data),
                           kp_arena_printf(a, "%s/vasteras-2017.json", data), NULL),
                 0, "%s%s", out, err);
    free(out);
    free(err);
    char *id = th_sql(s, "SELECT id FROM evaluations WHERE label = '2017'");
    const char *html_path = kp_arena_printf(a, "%s/imported.html", s_dir);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "report", id, "-o", html_path, NULL), 0,
                 "%s", err);
    free(err);
    free(id);
    const char *html = s_read(html_path);
    cr_assert_eq(rf_count(html, "class=\"radar-axis\""), 8);
    cr_assert_eq(rf_count(html, "class=\"series-current\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-average\""), 0, "an average of one municipality");
    cr_assert(strstr(html, "Inget genomsnitt visas: jämförelsen omfattar 1 annan kommun, "
                           "2015–2017 (minst 3 behövs)."));
    cr_assert_eq(rf_count(html, "class=\"series-previous\""), 1);
    cr_assert(strstr(html, "Västerås stad 2014"));
    cr_assert_null(strstr(html, "UTKAST"), "an imported evaluation is signed as published");
    const char *png = kp_arena_printf(a, "%s/imported.png", s_dir);
    s_chromium_run(html_path, "--screenshot", png);
    json_t *st = s_tool("png_stats.py", png);
    cr_assert_gt(json_integer_value(json_object_get(st, "colours")), 100);
    cr_assert_lt(json_real_value(json_object_get(st, "dominant")), 0.9);
    cr_assert_gt(json_real_value(json_object_get(st, "dark")), 0.02);
    json_decref(st);

    /* a draft made in Kompass: DRAFT on every printed page */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "create", "--municipality",
                           "Borås Stad", "--framework", "KK2015", "--label", "2026", NULL),
                 0);
    char *draft = th_sql(s, "SELECT id FROM evaluations WHERE label = '2026'");
    const char *draft_html = kp_arena_printf(a, "%s/draft.html", s_dir);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "report", draft, "--format", "html", "-o",
                           draft_html, NULL),
                 0);
    free(draft);
    th_server_free(&s);
    const char *pdf = kp_arena_printf(a, "%s/draft.pdf", s_dir);
    s_chromium_run(draft_html, "--print-to-pdf", pdf);
    json_t *doc = s_tool("pdf_text.py", pdf);
    json_t *pages = json_object_get(doc, "pages");
    cr_assert_geq(json_array_size(pages), 10);
    for (size_t i = 0; i < json_array_size(pages); i++)
        cr_assert(strstr(s_page_text(pages, i), "UTKAST–ejsignerad"), "page %zu", i + 1);
    json_decref(doc);
}

/* ---------------------------------------------------------------- the PM */

static const char *s_write_pm(const kp_report *r, const char *name)
{
    const char *path = kp_arena_printf(a, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(kp_report_render_pm_html(r, f), KP_OK);
    cr_assert_eq(fclose(f), 0);
    return path;
}

Test(chromium, pm_is_a_short_a4_memo_with_the_radar_and_no_framework_texts)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    r->factcheck_from = "2017-09-12";
    r->factcheck_to = "2017-09-22";
    r->factcheck_closed = true;
    const char *html_path = s_write_pm(r, "vasteras-2017-pm.html");
    const char *html = s_read(html_path);
    cr_assert_eq(rf_count(html, "class=\"radar-axis\""), 8);
    cr_assert_eq(rf_count(html, "class=\"series-current\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-average\""), 1);
    cr_assert_eq(rf_count(html, "class=\"series-previous\""), 1);
    cr_assert_eq(rf_count(html, "class=\"pm-area\""), 8);
    cr_assert_null(strstr(html, "Vad är Kommunkompassen"));
    cr_assert_null(strstr(html, "Allmänt"));

    const char *png = kp_arena_printf(a, "%s/vasteras-2017-pm.png", s_dir);
    s_chromium_run(html_path, "--screenshot", png);
    json_t *st = s_tool("png_stats.py", png);
    cr_assert_gt(json_integer_value(json_object_get(st, "colours")), 100);
    cr_assert_lt(json_real_value(json_object_get(st, "dominant")), 0.9);
    cr_assert_gt(json_real_value(json_object_get(st, "dark")), 0.02);
    json_decref(st);

    const char *pdf = kp_arena_printf(a, "%s/vasteras-2017-pm.pdf", s_dir);
    s_chromium_run(html_path, "--print-to-pdf", pdf);
    json_t *doc = s_tool("pdf_text.py", pdf);
    json_t *pages = json_object_get(doc, "pages");
    size_t n = json_array_size(pages);
    /* the seed's PM is 8 pages; the full report of the same is 14 or more */
    cr_assert(n >= 3 && n <= 8, "%zu pages", n);
    size_t areas = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(pages, i);
        cr_assert_float_eq(json_real_value(json_object_get(p, "width")), 595.3, 1.0);
        cr_assert_float_eq(json_real_value(json_object_get(p, "height")), 841.9, 1.0);
        const char *text = s_page_text(pages, i);
        cr_assert(strstr(text, "UTKAST–ejsignerad"), "page %zu of %zu is not marked as a draft",
                  i + 1, n);
        cr_assert_null(strstr(text, "VadärKommunkompassen"), "page %zu", i + 1);
        areas += rf_count(text, "av100poäng");
    }
    cr_assert(strstr(s_page_text(pages, 0), "PMUtvärderingenligtKommunkompassen"));
    cr_assert(strstr(s_page_text(pages, 0), "VästeråsStad") ||
                  strstr(s_page_text(pages, 0), "Västeråsstad"),
              "%s", s_page_text(pages, 0));
    cr_assert_geq(areas, 8, "the 8 areas with their points: %zu", areas);
    cr_assert(strstr(s_page_text(pages, n - 1), "Kommunenharfaktagranskatrapporten2017-09-12–2017-"
                                                "09-22."),
              "%s", s_page_text(pages, n - 1));
    json_decref(doc);

    /* signed: no draft marking anywhere */
    r->is_signed = true;
    const char *signed_path = s_write_pm(r, "vasteras-2017-pm-signerad.html");
    const char *signed_pdf = kp_arena_printf(a, "%s/vasteras-2017-pm-signerad.pdf", s_dir);
    s_chromium_run(signed_path, "--print-to-pdf", signed_pdf);
    doc = s_tool("pdf_text.py", signed_pdf);
    pages = json_object_get(doc, "pages");
    for (size_t i = 0; i < json_array_size(pages); i++)
        cr_assert_null(strstr(s_page_text(pages, i), "UTKAST"), "page %zu says UTKAST", i + 1);
    json_decref(doc);
}
