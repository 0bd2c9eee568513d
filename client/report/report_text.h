/*  report_text: what the report renderers share besides the arithmetic.
 *
 *  The Swedish wording of the report (fixed texts, and sentences built from
 *  the model), splitting text fields into paragraphs, wrapping labels for
 *  the charts, and escaping for HTML/SVG. Sentences are plain text in the
 *  caller's arena: each renderer escapes them for its own format.
 */
#ifndef KP_REPORT_TEXT_H
#define KP_REPORT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arena.h"
#include "report.h"

/* The draft marking, on every page of an unsigned report. */
#define KP_REPORT_SV_DRAFT "UTKAST – ej signerad"

/* "Vad är Kommunkompassen?": paragraphs before the list of areas, and after
 * it; NULL-terminated. */
extern const char *const kp_report_sv_about_before[];
extern const char *const kp_report_sv_about_after[];

/* The sentence introducing the list of areas: "Bedömningen görs inom åtta
 * huvudområden om vardera 100 poäng, sammanlagt 800 poäng:". */
const char *kp_report_sv_areas_intro(kp_arena *a, const kp_report *r);

/* "Den här utvärderingen följer Kommunkompassen (2015 års uppdatering)." or
 * NULL when the report names no framework. */
const char *kp_report_sv_framework(kp_arena *a, const kp_report *r);

/* "Utvärderingen av Västerås stad genomfördes i mars 2017 och var kommunens
 * 5:e utvärdering enligt Kommunkompassen." (parts the model lacks left out). */
const char *kp_report_sv_evaluation(kp_arena *a, const kp_report *r);

/* "616 av 800 poäng". */
const char *kp_report_sv_total(kp_arena *a, const kp_report *r);

/* The series names: "Västerås stad 2017", "Genomsnitt av 19 andra kommuner,
 * 2015–2017". */
const char *kp_report_sv_current(kp_arena *a, const kp_report *r);
const char *kp_report_sv_average(kp_arena *a, const kp_report *r);

/* What the average is of: "19 andra kommuner, 2015–2017" ("1 annan
 * kommun, 2017", "... alla år"). */
const char *kp_report_sv_average_set(kp_arena *a, const kp_report *r);

/* When too few to average: "Inget genomsnitt visas: jämförelsen omfattar
 * 2 andra kommuner, 2015–2017 (minst 3 behövs)." */
const char *kp_report_sv_no_average(kp_arena *a, const kp_report *r);

/* The municipality's factual review, for the report's last page: "Kommunen
 * har faktagranskat rapporten 2017-09-12–2017-09-22." once closed, "Kommunen
 * faktagranskar utkastet 2017-09-12–2017-09-22." while open; NULL when the
 * report has no factual review. */
const char *kp_report_sv_factcheck(kp_arena *a, const kp_report *r);
/* What the evidence log says the team did, or NULL when it has nothing:
 * "Utvärderingsgruppen har studerat dokument, granskat kommunens webbplats
 * och genomfört intervjuer med 31 personer i organisationen. Bland de
 * intervjuade fanns politiker, tjänstemän och fackliga representanter." */
const char *kp_report_sv_evidence(kp_arena *a, const kp_report *r);

/* The follow-up section's title. */
#define KP_REPORT_SV_FOLLOWUP "Uppföljning av förbättringsmöjligheter från förra utvärderingen"

/* "Vid förra utvärderingen, Västerås stad 2014, lyftes 4
 * förbättringsmöjligheter fram. ..." and, when some are not assessed, how
 * many. */
const char *kp_report_sv_followup_intro(kp_arena *a, const kp_report *r);

/* "genomfört", "påbörjat", "kvarstår", "ej bedömd". */
const char *kp_report_sv_followup_status(kp_followup_status s);

/* "1. Offentlighet och demokrati". */
const char *kp_report_sv_area_name(kp_arena *a, const kp_report_area *area);

/* A Swedish ordinal: 1:a, 2:a, 3:e, 21:a, 11:e. */
const char *kp_report_sv_ordinal(kp_arena *a, int n);

/* What a signature declares: "Författad", "Granskad", "Godkänd". */
const char *kp_report_sv_meaning(kp_signature_meaning m);

/* "2017-09-30 14:05 UTC". */
const char *kp_report_sv_time(kp_arena *a, int64_t us);

/* ISO 8601 UTC with seconds, for the data formats: "2017-09-30T14:05:00Z". */
const char *kp_report_iso_time(kp_arena *a, int64_t us);

/* Iterates over the paragraphs of a text (separated by blank lines). Start
 * with *cursor = text; each call gives one paragraph (start, length, without
 * surrounding white space) and returns false when there are no more. */
bool kp_report_next_paragraph(const char **cursor, const char **start, size_t *len);

/* Splits s at spaces into lines of at most width characters (UTF-8 code
 * points; a longer word gets a line of its own). Up to max lines into
 * starts/lens; the last line takes what is left. Returns the line count. */
size_t kp_report_wrap(const char *s, size_t width, const char **starts, size_t *lens, size_t max);

/* Writes n bytes of s to out escaped for HTML text and attribute values
 * (& < > " '), which is also right for SVG inline in HTML. */
void kp_report_html_escape(FILE *out, const char *s, size_t n);

/* The same for a whole string; NULL writes nothing. */
void kp_report_html_puts(FILE *out, const char *s);

#endif
