/*  points: scores as whole hundredths ("centipoints").
 *
 *  KommunKompassen scores are points with at most two decimals (12.5 of 15).
 *  Everywhere in Kompass (protocol, C, SQL numeric(6,2)) they are exact:
 *  1250 centipoints is 12.5 points. This module parses and prints them, and
 *  rounds them the way the report does (half up).
 */
#ifndef KP_POINTS_H
#define KP_POINTS_H

#include <stddef.h>
#include <stdint.h>

/* Parses "12", "12.5", "12.50", "0.05" (also with ',' as decimal mark, as
 * Swedish writes it). 0 on success; -1 for anything else (sign, exponent,
 * three decimals, garbage, more than 9 digits before the mark). */
int kp_points_parse(const char *text, int64_t *centi);

/* Formats centipoints with as few decimals as needed: 1250 -> "12.5",
 * 1500 -> "15", 5 -> "0.05". out must hold 24 bytes. Returns out. */
char *kp_points_format(int64_t centi, char *out);

/* Rounds to whole points, half up (for positive values): 1250 -> 13,
 * 1249 -> 12. */
int64_t kp_points_round(int64_t centi);

/* 100 * part / whole, rounded half up, as a whole percent (whole > 0). */
int64_t kp_points_percent(int64_t part_centi, int64_t whole_centi);

#endif
