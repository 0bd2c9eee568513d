/*  namekey: names compared as people read them.
 *
 *  An organisation or municipality written "Västerås<NBSP>stad", "VÄSTERÅS
 *  STAD", "Västerås  stad " or with fullwidth letters reads as "Västerås
 *  stad", so it must compare equal to it: for conflict of interest and for
 *  finding a municipality by name. The key is libunistring's, not tables of
 *  ours: Unicode NFKC (compatibility forms: NBSP to space, fullwidth to
 *  ASCII, ligatures apart), then full case folding (ß and ss meet), then
 *  invisible characters (category Cf, Default_Ignorable_Code_Point) removed,
 *  every run of white space made one space, none at either end, and NFC
 *  again. Look-alike letters of another script (a Cyrillic а in a Latin
 *  word) are refused at the door instead (common/strcheck.h).
 */
#ifndef KP_NAMEKEY_H
#define KP_NAMEKEY_H

#include "arena.h"

/* The comparison key of name (UTF-8), in a. Never NULL: if libunistring
 * fails (out of memory), the name itself. */
const char *kp_name_key(kp_arena *a, const char *name);

#endif
