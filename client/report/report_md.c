/*  report_md: the report as Markdown (CommonMark with GFM tables).
 *
 *  The content of the HTML report, in the same order, readable as plain text
 *  too. Model texts are escaped so that they stay text: punctuation that
 *  Markdown gives a meaning (and '<', so that no renderer sees inline HTML)
 *  is backslash-escaped, a leading list or heading marker too, and newlines
 *  inside a paragraph, item or cell become spaces.
 */
#include <ctype.h>
#include <string.h>

#include "report_md.h"
#include "report_render.h"
#include "report_text.h"
#include "status.h"

/* Writes n bytes of s as Markdown text; block_start when it begins a
 * paragraph or a list item, where a leading "-", "+", "=" or "1." would open
 * a list or underline a heading. */
static void s_md(FILE *out, const char *s, size_t n, bool block_start)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (block_start && i < n) {
        size_t d = i;
        while (d < n && isdigit((unsigned char)s[d]))
            d++;
        if (s[i] == '-' || s[i] == '+' || s[i] == '=') {
            fputc('\\', out);
        } else if (d > i && d < n && (s[d] == '.' || s[d] == ')')) {
            fwrite(s + i, 1, d - i, out);
            fputc('\\', out);
            i = d;
        }
    }
    for (; i < n; i++) {
        char c = s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            fputc(' ', out);
            continue;
        }
        if (strchr("\\`*_[]<>|#&~", c)) fputc('\\', out);
        fputc(c, out);
    }
}

/* Inline text (a cell, a heading, after a label). */
static void s_puts(FILE *out, const char *s)
{
    if (s) s_md(out, s, strlen(s), false);
}

/* Text that starts a paragraph or a list item. */
static void s_block(FILE *out, const char *s)
{
    if (s) s_md(out, s, strlen(s), true);
}

static void s_paragraphs(FILE *out, const char *text, const char *empty)
{
    const char *cursor = text, *start;
    size_t len;
    bool any = false;
    while (kp_report_next_paragraph(&cursor, &start, &len)) {
        s_md(out, start, len, true);
        fputs("\n\n", out);
        any = true;
    }
    if (!any && empty) fprintf(out, "%s\n\n", empty);
}

static void s_list(FILE *out, const kp_report_list *l)
{
    if (l->count == 0) {
        fputs("*Inga angivna.*\n\n", out);
        return;
    }
    for (size_t i = 0; i < l->count; i++) {
        fputs("- ", out);
        s_block(out, l->items[i]);
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void s_front(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("# KommunKompassen: analys av ", out);
    s_puts(out, r->municipality);
    fputs("\n\n", out);
    if (!r->is_signed)
        fputs("> **" KP_REPORT_SV_DRAFT ".** Poäng och texter kan ändras tills rapporten har "
              "signerats.\n\n",
              out);
    if (r->framework_name || r->framework_code) {
        fputs("- **Ramverk:** ", out);
        s_puts(out, r->framework_name);
        if (r->framework_name && r->framework_code) fputs(" · ", out);
        s_puts(out, r->framework_code);
        fputc('\n', out);
    }
    fputs("- **Utvärdering:** ", out);
    s_puts(out, r->label);
    if (r->ordinal > 0)
        fprintf(out, " · kommunens %s utvärdering", kp_report_sv_ordinal(a, r->ordinal));
    fputc('\n', out);
    if (r->period) {
        fputs("- **Genomförd:** ", out);
        s_puts(out, r->period);
        fputc('\n', out);
    }
    if (r->date) {
        fputs("- **Rapportdatum:** ", out);
        s_puts(out, r->date);
        fputc('\n', out);
    }
    fprintf(out, "- **Resultat:** %s (%lld%%)\n", kp_report_sv_total(a, r),
            (long long)kp_report_total_percent(r));
    fprintf(out, "- **Status:** %s\n", r->is_signed ? "Signerad" : KP_REPORT_SV_DRAFT);
    fputs("- **Utvärderare:**", out);
    for (size_t i = 0; i < r->n_evaluators; i++) {
        const kp_report_evaluator *e = &r->evaluators[i];
        fputs(i ? "; " : " ", out);
        s_puts(out, e->name);
        if (e->role) {
            fputs(", ", out);
            s_puts(out, e->role);
        }
        if (e->organisation) {
            fputs(", ", out);
            s_puts(out, e->organisation);
        }
    }
    if (r->n_evaluators == 0) fputs(" *inga angivna*", out);
    fputs("\n\n", out);
    if (r->source_note) {
        fputs("> Källa: ", out);
        s_puts(out, r->source_note);
        fputs("\n\n", out);
    }
}

static void s_about(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("## 1 Vad är Kommunkompassen?\n\n", out);
    for (const char *const *p = kp_report_sv_about_before; *p; p++)
        fprintf(out, "%s\n\n", *p);
    s_block(out, kp_report_sv_areas_intro(a, r));
    fputs("\n\n", out);
    for (size_t i = 0; i < r->n_areas; i++) {
        fprintf(out, "%zu. ", i + 1);
        s_puts(out, r->areas[i].title);
        fputc('\n', out);
    }
    fputc('\n', out);
    for (const char *const *p = kp_report_sv_about_after; *p; p++)
        fprintf(out, "%s\n\n", *p);
    const char *fw = kp_report_sv_framework(a, r);
    if (fw) {
        s_block(out, fw);
        fputs("\n\n", out);
    }
}

static void s_compare_table(FILE *out, kp_arena *a, const kp_report *r);

static void s_summary(FILE *out, kp_arena *a, const kp_report *r)
{
    fputs("## 2 ", out);
    s_puts(out, r->municipality);
    fputs(" i förhållande till Kommunkompassen: en sammanfattning\n\n", out);
    s_block(out, kp_report_sv_evaluation(a, r));
    fputs("\n\n", out);
    const char *evidence = kp_report_sv_evidence(a, r);
    if (evidence) {
        s_block(out, evidence);
        fputs("\n\n", out);
    }
    fprintf(out, "**%s (%lld%%)**\n\n", kp_report_sv_total(a, r),
            (long long)kp_report_total_percent(r));
    size_t unscored = kp_report_unscored(r);
    if (unscored) fprintf(out, "%zu delfrågor saknar ännu poäng och räknas inte in.\n\n", unscored);
    s_compare_table(out, a, r);
}

/* The points per area beside the comparisons, and what the average is of
 * (or why there is none). */
static void s_compare_table(FILE *out, kp_arena *a, const kp_report *r)
{
    char v[KP_REPORT_POINTS_BUF];
    fputs("| Område | ", out);
    s_puts(out, kp_report_sv_current(a, r));
    fputs(" |", out);
    if (kp_report_has_average(r)) fputs(" Genomsnitt |", out);
    if (r->previous_label) {
        fputc(' ', out);
        s_puts(out, r->previous_label);
        fputs(" |", out);
    }
    fputs("\n|---|--:|", out);
    if (kp_report_has_average(r)) fputs("--:|", out);
    if (r->previous_label) fputs("--:|", out);
    fputc('\n', out);
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        fputs("| ", out);
        s_puts(out, kp_report_sv_area_name(a, area));
        fprintf(out, " | %lld |", (long long)kp_report_area_achieved(area));
        if (kp_report_has_average(r))
            fprintf(out, " %s |", kp_report_points_format_sv(area->average, v));
        if (r->previous_label) fprintf(out, " %s |", kp_report_points_format_sv(area->previous, v));
        fputc('\n', out);
    }
    fputc('\n', out);
    if (kp_report_has_average(r)) {
        fputs("Genomsnittet är beräknat på ", out);
        s_puts(out, kp_report_sv_average_set(a, r));
        fputs(" som utvärderats enligt samma version av Kommunkompassen.\n\n", out);
    } else {
        s_puts(out, kp_report_sv_no_average(a, r));
        fputs("\n\n", out);
    }
}

static void s_area(FILE *out, const kp_report *r, const kp_report_area *area)
{
    char v[KP_REPORT_POINTS_BUF];
    fprintf(out, "### Område %d ", area->number);
    s_puts(out, area->title);
    fprintf(out, ": %lld av %s poäng\n\n", (long long)kp_report_area_achieved(area),
            kp_report_points_format_sv(kp_report_area_max(area), v));
    if (area->headings.count) {
        fputs("*Rubriker:* ", out);
        for (size_t i = 0; i < area->headings.count; i++) {
            if (i) fputs(" · ", out);
            s_puts(out, area->headings.items[i]);
        }
        fputs("\n\n", out);
    }
    if (area->general) {
        fputs("#### Allmänt\n\n", out);
        s_paragraphs(out, area->general, NULL);
    }
    fputs("#### Sammanfattning\n\n", out);
    s_paragraphs(out, area->summary, "*Ingen sammanfattning ännu.*");
    fputs("#### Styrkor\n\n", out);
    s_list(out, &area->strengths);
    fputs("#### Förbättringsmöjligheter\n\n", out);
    s_list(out, &area->improvements);
    if (kp_report_has_average(r) || r->previous_label) {
        if (kp_report_has_average(r))
            fprintf(out, "Genomsnitt: %s poäng", kp_report_points_format_sv(area->average, v));
        if (kp_report_has_average(r) && r->previous_label) fputs(" · ", out);
        if (r->previous_label) {
            s_puts(out, r->previous_label);
            fprintf(out, ": %s poäng", kp_report_points_format_sv(area->previous, v));
        }
        fputs("\n\n", out);
    }
}

/* The follow-up of the previous round's improvement opportunities: a table,
 * area by area, every item with its status (or "ej bedömd") and note. */
static void s_followup(FILE *out, kp_arena *a, const kp_report *r)
{
    if (r->n_followup == 0) return;
    fputs("## " KP_REPORT_SV_FOLLOWUP "\n\n", out);
    s_block(out, kp_report_sv_followup_intro(a, r));
    fputs("\n\n| Område | Nr | Förbättringsmöjlighet | Status | Kommentar |\n"
          "|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < r->n_followup; i++) {
        const kp_report_followup *f = &r->followup[i];
        const char *title = NULL;
        for (size_t k = 0; k < r->n_areas; k++)
            if (r->areas[k].number == f->area) title = kp_report_sv_area_name(a, &r->areas[k]);
        fputs("| ", out);
        if (title)
            s_puts(out, title);
        else
            fprintf(out, "%d", f->area);
        fputs(" | ", out);
        s_puts(out, f->item);
        fputs(" | ", out);
        s_puts(out, f->text);
        fputs(" | ", out);
        if (f->status == KP_FOLLOWUP_NOT_ASSESSED)
            fprintf(out, "*%s*", kp_report_sv_followup_status(f->status));
        else
            fputs(kp_report_sv_followup_status(f->status), out);
        fputs(" | ", out);
        s_puts(out, f->note);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

static void s_overview(FILE *out, kp_arena *a, const kp_report *r)
{
    char v[KP_REPORT_POINTS_BUF];
    fputs("## 4 Översikt av poängfördelning\n\n"
          "Uppnått är poängen avrundad till hela poäng; procenten räknas på den exakta "
          "poängen.\n\n",
          out);
    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        fputs("### ", out);
        s_puts(out, kp_report_sv_area_name(a, area));
        fputs("\n\n| Nr | Delfråga | Uppnått | Max | Procent |\n|---|---|--:|--:|--:|\n", out);
        for (size_t k = 0; k < area->n_questions; k++) {
            const kp_report_question *q = &area->questions[k];
            fputs("| ", out);
            s_puts(out, q->code);
            fputs(" | ", out);
            s_puts(out, q->text);
            if (kp_report_question_scored(q))
                fprintf(out, " | %lld | %s | %lld%% |\n", (long long)kp_report_question_shown(q),
                        kp_report_points_format_sv(q->max, v),
                        (long long)kp_report_question_percent(q));
            else
                fprintf(out, " | – | %s | – |\n", kp_report_points_format_sv(q->max, v));
        }
        fprintf(out, "| | **Summa** | **%lld** | **%s** | **%lld%%** |\n\n",
                (long long)kp_report_area_achieved(area),
                kp_report_points_format_sv(kp_report_area_max(area), v),
                (long long)kp_report_area_percent(area));
    }
    fprintf(out, "**Totalt: %lld av %s poäng (%lld%%)**\n\n", (long long)kp_report_total(r),
            kp_report_points_format_sv(kp_report_total_max(r), v),
            (long long)kp_report_total_percent(r));
}

/* The last part: the signatures under heading ("## 5 Signaturer"), and when
 * the municipality reviewed the draft. */
static void s_signatures(FILE *out, kp_arena *a, const kp_report *r, const char *heading)
{
    fprintf(out, "%s\n\n", heading);
    if (!r->is_signed) fputs("**" KP_REPORT_SV_DRAFT ".** Rapporten är ett utkast.\n\n", out);
    const char *factcheck = kp_report_sv_factcheck(a, r);
    if (factcheck) {
        s_block(out, factcheck);
        fputs("\n\n", out);
    }
    if (r->n_signatures == 0) {
        fputs("*Inga signaturer.*\n", out);
        return;
    }
    fputs("| Namn | Organisation | Innebörd | Tidpunkt |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < r->n_signatures; i++) {
        const kp_report_signature *s = &r->signatures[i];
        fputs("| ", out);
        s_puts(out, s->name);
        fputs(" | ", out);
        s_puts(out, s->organisation);
        fprintf(out, " | %s | %s |\n", kp_report_sv_meaning(s->meaning),
                kp_report_sv_time(a, s->time_us));
    }
}

int kp_report_render_markdown(const kp_report *r, FILE *out)
{
    char err[256];
    if (kp_report_check(r, err, sizeof err) != KP_OK) return KP_BAD_REQUEST;
    kp_arena *a = kp_arena_new();
    if (!a) return KP_INTERNAL;

    s_front(out, a, r);
    s_about(out, a, r);
    s_summary(out, a, r);
    fputs("## 3 Detaljerad genomgång område för område\n\n", out);
    for (size_t i = 0; i < r->n_areas; i++)
        s_area(out, r, &r->areas[i]);
    s_followup(out, a, r);
    s_overview(out, a, r);
    s_signatures(out, a, r, "## 5 Signaturer");

    kp_arena_destroy(&a);
    return fflush(out) == 0 && !ferror(out) ? KP_OK : KP_INTERNAL;
}

/* ---------------------------------------------------------------- shared
 * with the other templates (report_md.h) */

void kp_report_md_puts(FILE *out, const char *s)
{
    s_puts(out, s);
}

void kp_report_md_block(FILE *out, const char *s)
{
    s_block(out, s);
}

void kp_report_md_list(FILE *out, const kp_report_list *l)
{
    s_list(out, l);
}

void kp_report_md_compare_table(FILE *out, kp_arena *a, const kp_report *r)
{
    s_compare_table(out, a, r);
}

void kp_report_md_signatures(FILE *out, kp_arena *a, const kp_report *r, const char *heading)
{
    s_signatures(out, a, r, heading);
}
