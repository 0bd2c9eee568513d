/*  worddiff: what `kompass watch` shows of a text save. */
#include <criterion/criterion.h>
#include <string.h>

#include "worddiff.h"

static kp_arena *a;

static void setup(void)
{
    a = kp_arena_new();
}

static void teardown(void)
{
    kp_arena_destroy(&a);
}

TestSuite(worddiff, .init = setup, .fini = teardown);

Test(worddiff, an_appended_sentence_is_shown_with_a_little_before_it)
{
    const char *d =
        kp_worddiff(a, "Kommunen har en tydlig vision för dialogen.",
                    "Kommunen har en tydlig vision för dialogen. Uppföljning saknas.", 3, 40);
    cr_assert_str_eq(d, "… vision för dialogen. {+Uppföljning saknas.+}");
}

Test(worddiff, a_word_changed_in_the_middle_shows_both_sides_and_context)
{
    const char *d = kp_worddiff(a, "ett två tre fyra fem sex sju åtta nio tio",
                                "ett två tre fyra FEM sex sju åtta nio tio", 2, 40);
    cr_assert_str_eq(d, "… tre fyra [-fem-] {+FEM+} sex sju …");
}

Test(worddiff, two_changes_far_apart_are_two_stretches)
{
    const char *d =
        kp_worddiff(a, "a b c d e f g h i j k l m n", "X b c d e f g h i j k l m Y", 2, 40);
    cr_assert_str_eq(d, "[-a-] {+X+} b c … l m [-n-] {+Y+}");
}

Test(worddiff, equal_texts_and_white_space_only_changes_are_no_change)
{
    cr_assert_str_eq(kp_worddiff(a, "samma text", "samma text", 3, 40), "(no change)");
    cr_assert_str_eq(kp_worddiff(a, "samma  text\n", "samma text", 3, 40), "(no change)");
}

Test(worddiff, from_nothing_everything_is_added)
{
    cr_assert_str_eq(kp_worddiff(a, "", "Ny text", 3, 40), "{+Ny text+}");
    cr_assert_str_eq(kp_worddiff(a, "Gammal text", "", 3, 40), "[-Gammal text-]");
}

Test(worddiff, a_long_insertion_is_shortened_between_words)
{
    const char *d = kp_worddiff(a, "start", "start ett två tre fyra fem sex sju åtta nio", 3, 6);
    cr_assert_str_eq(d, "start {+ett två tre fyra …+}");
}

Test(worddiff, lists_are_compared_item_by_item)
{
    const char *before[] = {"Webbsändning av KF", "Tydliga mål"};
    const char *after[] = {"Webbsändning av KF", "Medborgarpanel", "Tydliga mål"};
    cr_assert_str_eq(kp_worddiff_items(a, before, 2, after, 3, 40), "+ \"Medborgarpanel\"");
    cr_assert_str_eq(kp_worddiff_items(a, after, 3, before, 1, 40),
                     "- \"Medborgarpanel\"; - \"Tydliga mål\"");
    cr_assert_str_eq(kp_worddiff_items(a, before, 2, before, 2, 40), "(no change)");
}
