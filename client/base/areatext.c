/*  areatext: an area's text section as a person writes it in a file. */
#include "areatext.h"

#include <string.h>

#include "util.h"

int kp_areatext_section_ok(const char *section)
{
    return strcmp(section, "summary") == 0 || strcmp(section, "strengths") == 0 ||
           strcmp(section, "improvements") == 0;
}

static int s_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void kp_areatext_parse(kp_arena *a, const char *section, const char *text, kp_areatext *out)
{
    memset(out, 0, sizeof *out);
    out->is_list = strcmp(section, "summary") != 0;
    size_t len = strlen(text);
    if (!out->is_list) {
        /* Whole lines, comment lines left out, everything else as written. */
        char *buf = kp_arena_alloc(a, len + 1);
        size_t n = 0;
        for (const char *p = text; *p;) {
            const char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
            if (*p != '#') {
                memcpy(buf + n, p, l);
                n += l;
            }
            p += l;
        }
        buf[n] = '\0';
        char *s = buf;
        while (s_blank(*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && s_blank(e[-1]))
            e--;
        *e = '\0';
        out->summary = s;
        return;
    }
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == '\n';
    out->items = kp_arena_alloc(a, sizeof(char *) * cap);
    char *copy = kp_arena_strdup(a, text);
    for (char *line = copy; line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (*line != '#') {
            kp_trim(line);
            if (line[0] == '-' && line[1] == ' ') line = kp_trim(line + 2);
            /* a bullet begun and left empty ("- ") is no item */
            if (*line && strcmp(line, "-") != 0) out->items[out->n_items++] = line;
        }
        line = nl ? nl + 1 : NULL;
    }
}

void kp_areatext_from(const Kompass__V1__AreaText *t, kp_areatext *out)
{
    memset(out, 0, sizeof *out);
    out->is_list = strcmp(t->section, "summary") != 0;
    out->summary = t->summary ? t->summary : "";
    out->items = t->items;
    out->n_items = t->n_items;
}

int kp_areatext_from_json(kp_arena *a, const char *section, const json_t *j, kp_areatext *out)
{
    memset(out, 0, sizeof *out);
    out->is_list = strcmp(section, "summary") != 0;
    out->summary = "";
    if (!out->is_list) {
        if (!json_is_string(j)) return -1;
        out->summary = kp_arena_strdup(a, json_string_value(j));
        return 0;
    }
    if (!json_is_array(j)) return -1;
    out->items = kp_arena_alloc(a, sizeof(char *) * (json_array_size(j) + 1));
    for (size_t i = 0; i < json_array_size(j); i++) {
        const json_t *v = json_array_get(j, i);
        if (!json_is_string(v)) return -1;
        out->items[out->n_items++] = kp_arena_strdup(a, json_string_value(v));
    }
    return 0;
}

json_t *kp_areatext_json(const kp_areatext *t)
{
    if (!t->is_list) return json_string(t->summary ? t->summary : "");
    json_t *arr = json_array();
    for (size_t i = 0; i < t->n_items; i++)
        json_array_append_new(arr, json_string(t->items[i]));
    return arr;
}

int kp_areatext_equal(const kp_areatext *x, const kp_areatext *y)
{
    if (x->is_list != y->is_list) return 0;
    if (!x->is_list) return strcmp(x->summary ? x->summary : "", y->summary ? y->summary : "") == 0;
    if (x->n_items != y->n_items) return 0;
    for (size_t i = 0; i < x->n_items; i++)
        if (strcmp(x->items[i], y->items[i]) != 0) return 0;
    return 1;
}

int kp_areatext_empty(const kp_areatext *t)
{
    return t->is_list ? t->n_items == 0 : !t->summary || !*t->summary;
}

void kp_areatext_write(FILE *f, const kp_areatext *t, const char *prefix)
{
    if (t->is_list) {
        for (size_t i = 0; i < t->n_items; i++)
            fprintf(f, "%s%s\n", prefix, t->items[i]);
        return;
    }
    if (!t->summary || !*t->summary) return;
    for (const char *p = t->summary; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "%s%.*s\n", prefix, (int)l, p);
        p += l + (nl ? 1 : 0);
    }
}
