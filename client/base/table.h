/*  table: columns of text for people, that never run into each other.
 *
 *  Every column is as wide as its widest cell (its header included), with two
 *  spaces between columns; widths are display columns as a terminal shows
 *  them (libunistring: "Västerås" is 8, a wide character 2). When the table
 *  is wider than the terminal, the columns marked WRAP give up the width:
 *  their cells wrap onto more lines at the places Unicode allows a line
 *  break (between words), never in the middle of a word unless a word alone
 *  is wider than its column. A WRAP column without a header that would have
 *  to cut its words even so (a narrow terminal, many evaluators) leaves the
 *  row's line instead and goes on the lines below it, indented, as wide as
 *  the terminal allows. Nothing is cut off.
 */
#ifndef KP_TABLE_H
#define KP_TABLE_H

#include <stdio.h>

#include "arena.h"

#define KP_TABLE_RIGHT 1 /* right-aligned (numbers) */
#define KP_TABLE_WRAP  2 /* may wrap onto more lines when space is short */

typedef struct kp_table kp_table;

/* A table of ncols columns (at most 64), in arena. */
kp_table *kp_table_new(kp_arena *a, size_t ncols);

/* Column i's header and flags. */
void kp_table_col(kp_table *t, size_t i, const char *header, int flags);

/* The next cell, row by row (a copy is kept). */
void kp_table_add(kp_table *t, const char *cell);

/* Prints the table in width columns (0: no limit). */
void kp_table_print(kp_table *t, FILE *out, int width);

/* The width to print in: the terminal's when stdout is one, else $COLUMNS,
 * else 0 (no limit: a pipe gets whole lines). */
int kp_table_width(void);

/* The display width of s. */
int kp_table_text_width(const char *s);

#endif
