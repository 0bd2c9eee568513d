/*  problems: what is wrong with an uploaded document (see problems.h). */
#include "problems.h"

#include <stdarg.h>
#include <string.h>

void kp_problems_init(kp_problems *p, kp_arena *arena, int max)
{
    p->arena = arena;
    p->text = kp_arena_strdup(arena, "");
    p->count = 0;
    p->max = max;
}

void kp_problems_add(kp_problems *p, const char *fmt, ...)
{
    p->count++;
    if (p->count > p->max) return;
    va_list ap;
    va_start(ap, fmt);
    char *line = kp_arena_vprintf(p->arena, fmt, ap);
    va_end(ap);
    p->text = kp_arena_printf(p->arena, "%s%s%s", p->text, *p->text ? "\n" : "", line);
}

void kp_problems_unknown_keys(kp_problems *p, json_t *obj, const char *where,
                              const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) kp_problems_add(p, "%s: unknown key '%s'", where, key);
    }
}

const char *kp_problems_string(kp_problems *p, json_t *obj, const char *key, const char *where,
                               int required, size_t maxlen)
{
    const char *dot = *where ? "." : "";
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) kp_problems_add(p, "%s%s%s: missing", where, dot, key);
        return NULL;
    }
    if (!json_is_string(v)) {
        kp_problems_add(p, "%s%s%s: must be a string", where, dot, key);
        return NULL;
    }
    const char *s = json_string_value(v);
    if (required && !*s) {
        kp_problems_add(p, "%s%s%s: must not be empty", where, dot, key);
        return NULL;
    }
    if (strlen(s) > maxlen) {
        kp_problems_add(p, "%s%s%s: longer than %zu characters", where, dot, key, maxlen);
        return NULL;
    }
    return s;
}
