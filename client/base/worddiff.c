/*  worddiff: what changed between two texts (see worddiff.h). */
#include "worddiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OP_SAME, OP_DEL, OP_INS } op_kind;

typedef struct {
    op_kind kind;
    const char *tok;
} op;

/* Splits s at white space into words, in arena. */
static const char **s_words(kp_arena *arena, const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r');
    const char **w = kp_arena_alloc(arena, sizeof *w * (cap + 1));
    *n = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
            p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
            p++;
        char *t = kp_arena_alloc(arena, (size_t)(p - start) + 1);
        memcpy(t, start, (size_t)(p - start));
        t[p - start] = '\0';
        w[(*n)++] = t;
    }
    return w;
}

/* The edit script from a to b (common prefix and suffix first, then an LCS
 * of the middle, or the middle replaced whole past KP_WORDDIFF_CELLS). */
static op *s_diff(kp_arena *arena, const char *const *a, size_t na, const char *const *b, size_t nb,
                  size_t *nops)
{
    op *ops = kp_arena_alloc(arena, sizeof *ops * (na + nb + 1));
    size_t n = 0, pre = 0, suf = 0;
    while (pre < na && pre < nb && strcmp(a[pre], b[pre]) == 0)
        pre++;
    while (suf < na - pre && suf < nb - pre && strcmp(a[na - 1 - suf], b[nb - 1 - suf]) == 0)
        suf++;
    for (size_t i = 0; i < pre; i++)
        ops[n++] = (op){OP_SAME, a[i]};
    const char *const *ma = a + pre, *const *mb = b + pre;
    size_t la = na - pre - suf, lb = nb - pre - suf;
    if (la && lb && (uint64_t)(la + 1) * (lb + 1) <= KP_WORDDIFF_CELLS) {
        /* len[i][j]: LCS length of ma[i..] and mb[j..] */
        uint32_t *len = kp_arena_zalloc(arena, sizeof *len * (la + 1) * (lb + 1));
#define L(i, j) len[(i) * (lb + 1) + (j)]
        for (size_t i = la; i-- > 0;)
            for (size_t j = lb; j-- > 0;)
                L(i, j) = strcmp(ma[i], mb[j]) == 0    ? L(i + 1, j + 1) + 1
                          : L(i + 1, j) >= L(i, j + 1) ? L(i + 1, j)
                                                       : L(i, j + 1);
        size_t i = 0, j = 0;
        while (i < la && j < lb) {
            if (strcmp(ma[i], mb[j]) == 0) {
                ops[n++] = (op){OP_SAME, ma[i++]};
                j++;
            } else if (L(i + 1, j) >= L(i, j + 1)) {
                ops[n++] = (op){OP_DEL, ma[i++]};
            } else {
                ops[n++] = (op){OP_INS, mb[j++]};
            }
        }
#undef L
        while (i < la)
            ops[n++] = (op){OP_DEL, ma[i++]};
        while (j < lb)
            ops[n++] = (op){OP_INS, mb[j++]};
    } else {
        for (size_t i = 0; i < la; i++)
            ops[n++] = (op){OP_DEL, ma[i]};
        for (size_t j = 0; j < lb; j++)
            ops[n++] = (op){OP_INS, mb[j]};
    }
    for (size_t i = na - suf; i < na; i++)
        ops[n++] = (op){OP_SAME, a[i]};
    *nops = n;
    return ops;
}

/* A growing string in arena. */
typedef struct {
    kp_arena *arena;
    char *s;
    size_t len, cap;
    int words;
} buf;

static void s_add(buf *b, const char *t)
{
    size_t tl = strlen(t);
    if (b->len + tl + 1 > b->cap) {
        size_t ncap = (b->cap + tl + 1) * 2;
        char *ns = kp_arena_alloc(b->arena, ncap);
        if (b->len) memcpy(ns, b->s, b->len);
        b->s = ns;
        b->cap = ncap;
    }
    memcpy(b->s + b->len, t, tl + 1);
    b->len += tl;
}

static void s_word(buf *b, const char *t)
{
    int opened = b->len >= 2 && (memcmp(b->s + b->len - 2, "[-", 2) == 0 ||
                                 memcmp(b->s + b->len - 2, "{+", 2) == 0);
    if (b->len && !opened) s_add(b, " ");
    s_add(b, t);
    b->words++;
}

const char *kp_worddiff(kp_arena *arena, const char *before, const char *after, int context,
                        int max_words)
{
    size_t na, nb, n;
    const char **a = s_words(arena, before ? before : "", &na);
    const char **b = s_words(arena, after ? after : "", &nb);
    op *ops = s_diff(arena, a, na, b, nb, &n);
    buf out = {arena, NULL, 0, 0, 0};
    size_t i = 0;
    int changed = 0;
    while (i < n) {
        if (out.words >= max_words) {
            s_word(&out, "…");
            break;
        }
        if (ops[i].kind == OP_SAME) {
            size_t j = i;
            while (j < n && ops[j].kind == OP_SAME)
                j++;
            /* context words after the last change, and before the next */
            size_t run = j - i, head = changed ? (size_t)context : 0,
                   tail = j < n ? (size_t)context : 0;
            if (run <= head + tail) {
                for (size_t k = i; k < j; k++)
                    s_word(&out, ops[k].tok);
            } else {
                for (size_t k = i; k < i + head; k++)
                    s_word(&out, ops[k].tok);
                if (j < n || head) s_word(&out, "…");
                for (size_t k = j - tail; k < j; k++)
                    s_word(&out, ops[k].tok);
            }
            i = j;
            continue;
        }
        changed = 1;
        op_kind kind = ops[i].kind;
        s_word(&out, kind == OP_DEL ? "[-" : "{+");
        out.words--;
        int shown = 0;
        size_t j = i;
        for (; j < n && ops[j].kind == kind; j++)
            if (shown < max_words / 2 + 1) {
                s_word(&out, ops[j].tok);
                shown++;
            } else if (shown == max_words / 2 + 1) {
                s_word(&out, "…");
                shown++;
            }
        s_add(&out, kind == OP_DEL ? "-]" : "+}");
        i = j;
    }
    return changed ? out.s : "(no change)";
}

const char *kp_worddiff_items(kp_arena *arena, const char *const *before, size_t n_before,
                              const char *const *after, size_t n_after, int max_words)
{
    size_t n;
    op *ops = s_diff(arena, before, n_before, after, n_after, &n);
    buf out = {arena, NULL, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (ops[i].kind == OP_SAME) continue;
        if (out.words >= max_words) {
            s_add(&out, "; …");
            break;
        }
        if (out.len) s_add(&out, "; ");
        s_add(&out, ops[i].kind == OP_INS ? "+ \"" : "- \"");
        size_t nw;
        const char **w = s_words(arena, ops[i].tok, &nw);
        for (size_t k = 0; k < nw; k++) {
            if (k) s_add(&out, " ");
            if (out.words >= max_words) {
                s_add(&out, "…");
                break;
            }
            s_add(&out, w[k]);
            out.words++;
        }
        s_add(&out, "\"");
    }
    return out.len ? out.s : "(no change)";
}
