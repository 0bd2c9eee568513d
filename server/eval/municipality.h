/*  municipality: finding a municipality by its name as people read it.
 *
 *  Every RPC that names a municipality (EvalCreate, EvalList's filter,
 *  Search, History, EvalImport) and MunicipalityAdd's duplicate check go
 *  through kp_municipality_find, which compares name keys (common/namekey.h)
 *  rather than bytes: "VÄSTERÅS<NBSP>STAD" finds Västerås stad. The register
 *  is small (Sweden has 290 municipalities and 21 regions), so the keys are
 *  computed here, by libunistring, for every row, rather than stored: there
 *  is no second implementation of the key in SQL to drift from this one.
 *  Adding takes kp_municipality_lock first, in its transaction, so that two
 *  look-alike names cannot be added side by side.
 */
#ifndef KP_MUNICIPALITY_H
#define KP_MUNICIPALITY_H

#include <stdint.h>

#include "req.h"

/* The municipality whose name reads as name (or, with by_id, whose id is
 * name when name is all digits): *id (0 when none) and *stored, its name as
 * registered (in the arena). KP_OK or the database's status (r not failed). */
int kp_municipality_find(kp_req *r, const char *name, int by_id, int64_t *id, const char **stored);

/* Serialises additions to the register until the transaction ends (a
 * transaction-level advisory lock). KP_OK or the database's status. */
int kp_municipality_lock(kp_req *r);

/* SKR's kommungruppsindelning of 2017 (sql/015_followup.sql): the codes a
 * municipality's group may have, as a sentence lists them. */
#define KP_MUNICIPALITY_GROUPS "A1, A2, B3, B4, B5, C6, C7, C8 or C9"

/* Whether code is one of them (exactly, upper case). */
int kp_municipality_group_ok(const char *code);

extern const kp_stmt kp_municipality_stmts[];

#endif
