/*  namekey: names compared as people read them (namekey.h). */
#include "namekey.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

const char *kp_name_key(kp_arena *a, const char *name)
{
    size_t n = 0;
    /* NFKD + fold + NFKC in one call: u8_casefold normalises its result */
    uint8_t *folded =
        u8_casefold((const uint8_t *)name, strlen(name), NULL, UNINORM_NFKC, NULL, &n);
    if (!folded) return name;
    char *out = kp_arena_alloc(a, n + 1);
    size_t o = 0;
    int space = 0;
    for (const uint8_t *p = folded, *end = folded + n; p < end;) {
        ucs4_t c;
        int len = u8_mbtouc(&c, p, (size_t)(end - p));
        const uint8_t *here = p;
        p += len;
        if (uc_is_general_category(c, UC_CATEGORY_Cf) ||
            uc_is_property_default_ignorable_code_point(c))
            continue;
        if (uc_is_property_white_space(c) || uc_is_general_category(c, UC_CATEGORY_Z)) {
            space = o > 0;
            continue;
        }
        if (space) out[o++] = ' ';
        space = 0;
        memcpy(out + o, here, (size_t)len);
        o += (size_t)len;
    }
    out[o] = '\0';
    free(folded);
    /* removing a character can leave a combining mark next to a new base */
    size_t m = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)out, o, NULL, &m);
    if (!nfc) return out;
    char *key = kp_arena_alloc(a, m + 1);
    memcpy(key, nfc, m);
    key[m] = '\0';
    free(nfc);
    return key;
}
