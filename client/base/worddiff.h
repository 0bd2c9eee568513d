/*  worddiff: what changed between two texts, shown as a few words around it.
 *
 *  `kompass watch` prints a text save as the words that changed with a few
 *  words of context on each side, in GNU wdiff's notation: removed words as
 *  [-...-], added ones as {+...+}, unchanged stretches beyond the context as
 *  "…". Lists (strengths, improvements) are compared item by item.
 *
 *  Why hand-written: no C library in Debian diffs words (libgit2 and
 *  diffutils diff lines, GNU wdiff is a program, not a library), and a
 *  longest common subsequence over the words between the common prefix and
 *  suffix is about a hundred lines. The table is bounded (KP_WORDDIFF_CELLS):
 *  past it, the changed middle is shown as replaced whole, which is still
 *  true, only less precise.
 */
#ifndef KP_WORDDIFF_H
#define KP_WORDDIFF_H

#include <stddef.h>

#include "arena.h"

#define KP_WORDDIFF_CELLS (4u * 1000u * 1000u) /* LCS table cells at most */

/* The words of before and after compared: "… three words [-old-] {+new+}
 * and more …", at most about max_words words (never cut in a word), in
 * arena. Equal texts: "(no change)". */
const char *kp_worddiff(kp_arena *arena, const char *before, const char *after, int context,
                        int max_words);

/* Two lists compared item by item: "+ "added item"; - "removed item"", in
 * arena; equal lists: "(no change)". */
const char *kp_worddiff_items(kp_arena *arena, const char *const *before, size_t n_before,
                              const char *const *after, size_t n_after, int max_words);

#endif
