/*  Tables for people (client/table.c): columns never run into each other,
 *  texts wrap between words, widths are what a terminal shows. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static kp_arena *a;

static void setup(void)
{
    a = kp_arena_new();
}

static void teardown(void)
{
    kp_arena_destroy(&a);
}

TestSuite(table, .init = setup, .fini = teardown);

static char *s_print(kp_table *t, int width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kp_table_print(t, f, width);
    fclose(f);
    char *out = kp_arena_strdup(a, buf);
    free(buf);
    return out;
}

Test(table, columns_are_as_wide_as_their_widest_cell_and_two_apart)
{
    kp_table *t = kp_table_new(a, 3);
    kp_table_col(t, 0, "Q", 0);
    kp_table_col(t, 1, "max", KP_TABLE_RIGHT);
    kp_table_col(t, 2, "a-very-long-login-name", KP_TABLE_RIGHT);
    kp_table_add(t, "1.1");
    kp_table_add(t, "15");
    kp_table_add(t, "12.5");
    kp_table_add(t, "Västerås");
    kp_table_add(t, "5");
    kp_table_add(t, "-");
    cr_assert_str_eq(s_print(t, 0), "Q         max  a-very-long-login-name\n"
                                    "1.1        15                    12.5\n"
                                    "Västerås    5                       -\n");
}

Test(table, a_text_wraps_between_words_to_fit_and_nothing_is_cut)
{
    kp_table *t = kp_table_new(a, 3);
    kp_table_col(t, 0, "Q", 0);
    kp_table_col(t, 1, "", KP_TABLE_WRAP);
    kp_table_col(t, 2, "MAX", KP_TABLE_RIGHT);
    kp_table_add(t, "2.5");
    kp_table_add(t, "Hur arbetar kommunen med att förtydliga tjänsternas innehåll samt synpunkts- "
                    "och klagomålshantering?");
    kp_table_add(t, "20");
    char *out = s_print(t, 40);
    cr_log_info("\n%s", out);
    /* every line fits, every word whole, in order */
    char *copy = kp_arena_strdup(a, out);
    char words[2000] = "";
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_leq(kp_table_text_width(line), 40, "'%s' is wider than 40", line);
        if (line[0] == 'Q') continue;
        char *text = line + 5;
        char *end = strstr(text, "  20");
        if (end) *end = '\0';
        while (*text == ' ')
            text++;
        size_t l = strlen(text);
        while (l && text[l - 1] == ' ')
            text[--l] = '\0';
        strcat(words, *words ? " " : "");
        strcat(words, text);
    }
    cr_assert_str_eq(words, "Hur arbetar kommunen med att förtydliga tjänsternas innehåll samt "
                            "synpunkts- och klagomålshantering?");
    cr_assert(strstr(out, "\n2.5  Hur arbetar kommunen med att"), "%s", out);
}

Test(table, a_word_wider_than_its_column_is_split_not_dropped)
{
    kp_table *t = kp_table_new(a, 2);
    kp_table_col(t, 0, "", KP_TABLE_WRAP);
    kp_table_col(t, 1, "x", 0);
    kp_table_add(t, "brukarundersökningarnaochkommunikationsplanerna");
    kp_table_add(t, "y");
    char *out = s_print(t, 15);
    cr_assert(strstr(out, "brukarunders  y\nökningarnaoc\nhkommunikati\nonsplanerna\n"), "%s", out);
}

Test(table, widths_count_what_the_terminal_shows)
{
    cr_assert_eq(kp_table_text_width("Västerås"), 8);
    cr_assert_eq(kp_table_text_width("Va\xcc\x88stera\xcc\x8as"), 8); /* combining marks */
    cr_assert_eq(kp_table_text_width("日本"), 4);
}

Test(table, a_text_too_narrow_for_its_words_goes_below_its_row_whole)
{
    /* consensus on an 80-column terminal: the figures leave the text fewer
     * columns than its longest word */
    kp_table *t = kp_table_new(a, 6);
    kp_table_col(t, 0, "", 0);
    kp_table_col(t, 1, "", KP_TABLE_WRAP);
    kp_table_col(t, 2, "max", KP_TABLE_RIGHT);
    kp_table_col(t, 3, "christine", KP_TABLE_RIGHT);
    kp_table_col(t, 4, "ewa", KP_TABLE_RIGHT);
    kp_table_col(t, 5, "consensus", KP_TABLE_WRAP);
    const char *text = "Finns en plan/strategi för demokratiutveckling och information?";
    const char *row[] = {"1.1", text, "15", "2", "13", "-"};
    for (size_t i = 0; i < 6; i++)
        kp_table_add(t, row[i]);
    kp_table_add(t, "1.3");
    kp_table_add(t, "Informeras invånare om resultat?");
    kp_table_add(t, "25");
    kp_table_add(t, "16");
    kp_table_add(t, "21");
    kp_table_add(t, "18.5 (manual, christine): enligt mötet den 14 mars");
    char *out = s_print(t, 40);
    cr_log_info("\n%s", out);
    cr_assert(strstr(out, "     max  christine  ewa  consensus\n"
                          "1.1   15          2   13  -\n"
                          "     Finns en plan/strategi för\n"
                          "     demokratiutveckling och\n"
                          "     information?\n"
                          "1.3   25         16   21  18.5 (manual,\n"
                          "                          christine):\n"),
              "%s", out);
    cr_assert(strstr(out, "     Informeras invånare om resultat?\n"), "%s", out);
    for (char *l = out; *l;) {
        char *nl = strchr(l, '\n');
        cr_assert_leq(kp_table_text_width(kp_arena_printf(a, "%.*s", (int)(nl - l), l)), 40, "%.*s",
                      (int)(nl - l), l);
        l = nl + 1;
    }
    /* room enough: the text stays on its row's line */
    cr_assert(strstr(s_print(t, 160), "1.1  Finns en plan/strategi för demokratiutveckling och "
                                      "information?   15"),
              "%s", s_print(t, 160));
}
