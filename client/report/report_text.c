/*  report_text: Swedish wording and text helpers of the report renderers. */
#include "report_text.h"

#include <string.h>
#include <time.h>

#include "kompass.pb-c.h"

/* Written for Kompass after section 1 of SKL's published analyses. */
const char *const kp_report_sv_about_before[] = {
    "KommunKompassen är ett verktyg för att utvärdera och analysera hur en kommun leds och "
    "arbetar. Det är inte verksamhetens resultat som bedöms, utan sättet att leda den: hur "
    "politik och förvaltning samspelar, hur organisationen styrs och följs upp, och hur "
    "kommunen möter sina invånare, brukare och medarbetare.",
    "Modellen togs fram i mitten av 1990-talet vid Oslo universitet tillsammans med Åbo "
    "Akademi och norska Kommunenes Sentralforbund, och används i alla de nordiska länderna. "
    "Sveriges Kommuner och Landsting har arbetat med den sedan 2002. Frågorna revideras med "
    "några års mellanrum så att modellen fångar nya utvecklingstrender i den offentliga "
    "sektorn.",
    "Utvärderarna hämtar sitt underlag från tre källor: intervjuer med politiker, chefer, "
    "medarbetare och fackliga företrädare, kommunens officiella dokument samt kommunens "
    "webbplats. Var och en bedömer först på egen hand; därefter enas utvärderingsgruppen om "
    "en gemensam poäng för varje delfråga. Resultatet är både en poängbedömning och en "
    "kvalitativ beskrivning av hur kommunen fungerar.",
    NULL,
};

const char *const kp_report_sv_about_after[] = {
    "Varje område består av delområden med ett antal frågor. Bedömningen utgår från teorier "
    "med tyngdpunkt på mål- och resultatstyrning, decentralisering samt medborgar- och "
    "brukarorientering.",
    "Rapporten pekar ut både styrkor och förbättringsmöjligheter, ett naturligt underlag för "
    "kommunens handlingsplaner. Många kommuner låter sig utvärderas på nytt efter några år för "
    "att se vad förbättringsarbetet har gett.",
    NULL,
};

static const char *s_number_word(size_t n)
{
    static const char *const words[] = {"noll", "ett",  "två", "tre", "fyra", "fem", "sex",
                                        "sju",  "åtta", "nio", "tio", "elva", "tolv"};
    return n < sizeof words / sizeof words[0] ? words[n] : NULL;
}

const char *kp_report_sv_areas_intro(kp_arena *a, const kp_report *r)
{
    char max[KP_REPORT_POINTS_BUF], total[KP_REPORT_POINTS_BUF];
    const char *word = s_number_word(r->n_areas);
    const char *count = word ? word : kp_arena_printf(a, "%zu", r->n_areas);
    const char *noun = r->n_areas == 1 ? "huvudområde" : "huvudområden";
    kp_report_points_format_sv(kp_report_total_max(r), total);
    bool equal = true;
    int64_t first = kp_report_area_max(&r->areas[0]);
    for (size_t i = 1; i < r->n_areas; i++)
        equal = equal && kp_report_area_max(&r->areas[i]) == first;
    if (equal && r->n_areas > 1)
        return kp_arena_printf(a,
                               "Bedömningen görs inom %s %s om vardera %s poäng, sammanlagt %s "
                               "poäng:",
                               count, noun, kp_report_points_format_sv(first, max), total);
    return kp_arena_printf(a, "Bedömningen görs inom %s %s om sammanlagt %s poäng:", count, noun,
                           total);
}

const char *kp_report_sv_framework(kp_arena *a, const kp_report *r)
{
    if (!r->framework_name || !*r->framework_name) return NULL;
    return kp_arena_printf(a, "Den här utvärderingen följer %s.", r->framework_name);
}

const char *kp_report_sv_evaluation(kp_arena *a, const kp_report *r)
{
    const char *s = kp_arena_printf(a, "Utvärderingen av %s", r->municipality);
    if (r->period && *r->period) s = kp_arena_printf(a, "%s genomfördes i %s", s, r->period);
    if (r->ordinal > 0)
        s = kp_arena_printf(a, "%s %s kommunens %s utvärdering enligt Kommunkompassen", s,
                            r->period && *r->period ? "och var" : "var",
                            kp_report_sv_ordinal(a, r->ordinal));
    else if (!(r->period && *r->period))
        s = kp_arena_printf(a, "%s gjordes enligt Kommunkompassen", s);
    return kp_arena_printf(a, "%s.", s);
}

const char *kp_report_sv_total(kp_arena *a, const kp_report *r)
{
    char max[KP_REPORT_POINTS_BUF];
    return kp_arena_printf(a, "%lld av %s poäng", (long long)kp_report_total(r),
                           kp_report_points_format_sv(kp_report_total_max(r), max));
}

const char *kp_report_sv_current(kp_arena *a, const kp_report *r)
{
    return kp_arena_printf(a, "%s %s", r->municipality, r->label);
}

const char *kp_report_sv_average_set(kp_arena *a, const kp_report *r)
{
    const char *who = r->average_count == 1 ? "annan kommun" : "andra kommuner";
    if (r->average_group) who = kp_arena_printf(a, "%s i kommungrupp %s", who, r->average_group);
    if (r->average_from && r->average_from == r->average_to)
        return kp_arena_printf(a, "%d %s, %d", r->average_count, who, r->average_to);
    if (r->average_from || r->average_to)
        return kp_arena_printf(a, "%d %s, %d–%d", r->average_count, who, r->average_from,
                               r->average_to);
    return kp_arena_printf(a, "%d %s, alla år", r->average_count, who);
}

const char *kp_report_sv_average(kp_arena *a, const kp_report *r)
{
    return kp_arena_printf(a, "Genomsnitt av %s", kp_report_sv_average_set(a, r));
}

const char *kp_report_sv_no_average(kp_arena *a, const kp_report *r)
{
    return kp_arena_printf(a, "Inget genomsnitt visas: jämförelsen omfattar %s (minst %d behövs).",
                           kp_report_sv_average_set(a, r),
                           KOMPASS__V1__REPORT_AVERAGE__REPORT_AVERAGE_MIN_COUNT);
}

const char *kp_report_sv_factcheck(kp_arena *a, const kp_report *r)
{
    if (!r->factcheck_from) return NULL;
    const char *to = r->factcheck_to ? r->factcheck_to : r->factcheck_from;
    const char *span = strcmp(to, r->factcheck_from) == 0
                           ? kp_arena_strdup(a, to)
                           : kp_arena_printf(a, "%s–%s", r->factcheck_from, to);
    if (r->factcheck_closed)
        return kp_arena_printf(a, "Kommunen har faktagranskat rapporten %s.", span);
    return kp_arena_printf(a, "Kommunen faktagranskar utkastet %s.", span);
}

const char *kp_report_sv_area_name(kp_arena *a, const kp_report_area *area)
{
    return kp_arena_printf(a, "%d. %s", area->number, area->title);
}

const char *kp_report_sv_ordinal(kp_arena *a, int n)
{
    /* 1:a, 2:a, 21:a, 22:a, but 11:e, 12:e and every other :e */
    int last = n % 10, tens = n % 100;
    bool a_form = (last == 1 || last == 2) && tens != 11 && tens != 12;
    return kp_arena_printf(a, "%d:%s", n, a_form ? "a" : "e");
}

const char *kp_report_sv_meaning(kp_signature_meaning m)
{
    switch (m) {
    case KP_SIGNATURE_AUTHORED:
        return "Författad";
    case KP_SIGNATURE_REVIEWED:
        return "Granskad";
    case KP_SIGNATURE_APPROVED:
        return "Godkänd";
    }
    return "Okänd";
}

static struct tm s_utc(int64_t us)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm;
}

const char *kp_report_sv_time(kp_arena *a, int64_t us)
{
    struct tm tm = s_utc(us);
    return kp_arena_printf(a, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                           tm.tm_mday, tm.tm_hour, tm.tm_min);
}

const char *kp_report_iso_time(kp_arena *a, int64_t us)
{
    struct tm tm = s_utc(us);
    return kp_arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool kp_report_next_paragraph(const char **cursor, const char **start, size_t *len)
{
    const char *p = *cursor;
    if (!p) return false;
    while (s_space(*p))
        p++;
    if (!*p) {
        *cursor = p;
        return false;
    }
    const char *s = p, *end = p;
    for (;;) {
        if (!*p) break;
        if (*p == '\n') {
            /* a blank line (only white space up to the next newline) ends it */
            const char *q = p + 1;
            while (*q == ' ' || *q == '\t' || *q == '\r')
                q++;
            if (*q == '\n' || !*q) break;
        }
        if (!s_space(*p)) end = p + 1;
        p++;
    }
    *start = s;
    *len = (size_t)(end - s);
    *cursor = p;
    return true;
}

/* Code points in n bytes of UTF-8 (continuation bytes are not counted). */
static size_t s_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

size_t kp_report_wrap(const char *s, size_t width, const char **starts, size_t *lens, size_t max)
{
    size_t lines = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    while (*p && lines < max) {
        if (lines == max - 1) { /* the last line takes the rest */
            starts[lines] = p;
            lens[lines++] = strlen(p);
            break;
        }
        const char *line = p, *end = p, *q = p;
        while (*q) {
            const char *w = q;
            while (*q && *q != ' ')
                q++;
            if (end != line && s_width(line, (size_t)(q - line)) > width) {
                q = w;
                break;
            }
            end = q;
            while (*q == ' ')
                q++;
        }
        starts[lines] = line;
        lens[lines++] = (size_t)(end - line);
        p = q;
        while (*p == ' ')
            p++;
    }
    return lines;
}

void kp_report_html_escape(FILE *out, const char *s, size_t n)
{
    const char *run = s;
    for (size_t i = 0; i < n; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        fwrite(run, 1, (size_t)(s + i - run), out);
        fputs(ent, out);
        run = s + i + 1;
    }
    fwrite(run, 1, (size_t)(s + n - run), out);
}

void kp_report_html_puts(FILE *out, const char *s)
{
    if (s) kp_report_html_escape(out, s, strlen(s));
}

/* "a", "a och b", "a, b och c". */
static const char *s_join(kp_arena *a, const char *const *parts, size_t n)
{
    const char *s = n ? parts[0] : "";
    for (size_t i = 1; i < n; i++)
        s = kp_arena_printf(a, "%s%s%s", s, i + 1 == n ? " och " : ", ", parts[i]);
    return s;
}

const char *kp_report_sv_evidence(kp_arena *a, const kp_report *r)
{
    const char *did[3];
    size_t n = 0;
    if (r->documents > 0) did[n++] = "studerat dokument";
    if (r->web_checks > 0) did[n++] = "granskat kommunens webbplats";
    if (r->interviewed == 1)
        did[n++] = "genomfört en intervju med en person i organisationen";
    else if (r->interviewed > 1)
        did[n++] = kp_arena_printf(a, "genomfört intervjuer med %d personer i organisationen",
                                   r->interviewed);
    if (n == 0) return NULL;
    const char *s = kp_arena_printf(a, "Utvärderingsgruppen har %s.", s_join(a, did, n));
    if (r->interviewed <= 0) return s;
    const char *who[4];
    size_t k = 0;
    bool others = false;
    for (size_t i = 0; i < r->n_interview_categories && k < 4; i++) {
        const char *c = r->interview_categories[i];
        if (strcmp(c, "politician") == 0)
            who[k++] = "politiker";
        else if (strcmp(c, "official") == 0)
            who[k++] = "tjänstemän";
        else if (strcmp(c, "union") == 0)
            who[k++] = "fackliga representanter";
        else
            others = true;
    }
    if (k == 0) return s;
    if (others) who[k++] = "andra";
    return kp_arena_printf(a, "%s Bland de intervjuade fanns %s.", s, s_join(a, who, k));
}

const char *kp_report_sv_followup_intro(kp_arena *a, const kp_report *r)
{
    size_t n = r->n_followup, open = kp_report_followup_open(r);
    const char *s = kp_arena_printf(
        a,
        "Vid förra utvärderingen, %s, lyftes %zu %s fram. Här redovisar utvärderingsgruppen hur "
        "%s har följts upp.",
        r->followup_of, n, n == 1 ? "förbättringsmöjlighet" : "förbättringsmöjligheter",
        n == 1 ? "den" : "de");
    if (open == n && n > 1) return kp_arena_printf(a, "%s Ingen av dem är bedömd ännu.", s);
    if (open == n) return kp_arena_printf(a, "%s Den är inte bedömd ännu.", s);
    if (open)
        return kp_arena_printf(a, "%s %zu av dem är ännu inte %s.", s, open,
                               open == 1 ? "bedömd" : "bedömda");
    return s;
}

const char *kp_report_sv_followup_status(kp_followup_status s)
{
    switch (s) {
    case KP_FOLLOWUP_DONE:
        return "genomfört";
    case KP_FOLLOWUP_STARTED:
        return "påbörjat";
    case KP_FOLLOWUP_REMAINS:
        return "kvarstår";
    case KP_FOLLOWUP_NOT_ASSESSED:
        break;
    }
    return "ej bedömd";
}
