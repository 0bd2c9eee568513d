/*  rpcs: the table of every RPC (see rpcs.h, rows in rpcs.def). */
#include "rpcs.h"

#include "wire.h"

#define RQ(c) KOMPASS__V1__REQUEST__BODY_##c

/* Each row's position. */
enum {
#define KP_RPC(c, ...) KP_ROW_##c,
#include "rpcs.def"
#undef KP_RPC
    KP_ROWS
};

/* Body case -> slot (the array is as long as the highest body case + 1; a
 * case twice would be an overwritten initializer, which -Werror refuses). */
static const unsigned short s_slot[] = {
#define KP_RPC(c, ...) [RQ(c)] = KP_ROW_##c + 1,
#include "rpcs.def"
#undef KP_RPC
};

#define KP_RPC_BATCH 1
#define KP_RPC_SOLO  0

static const struct {
    const char *name, *file;
    int batch;
} s_rows[KP_ROWS] = {
#define KP_RPC(c, name, handler, file, who, relations, evaluation, writes, batch)                  \
    {#name, #file, KP_RPC_##batch},
#include "rpcs.def"
#undef KP_RPC
};

size_t kp_rpc_count(void)
{
    return KP_ROWS;
}

int kp_rpc_slot(int body_case)
{
    if (body_case <= 0 || (size_t)body_case >= sizeof s_slot / sizeof s_slot[0]) return 0;
    return s_slot[body_case];
}

const char *kp_rpc_name(int slot)
{
    return slot >= 1 && slot <= KP_ROWS ? s_rows[slot - 1].name : NULL;
}

const char *kp_rpc_file(int slot)
{
    return slot >= 1 && slot <= KP_ROWS ? s_rows[slot - 1].file : NULL;
}

int kp_rpc_batchable(int body_case)
{
    int slot = kp_rpc_slot(body_case);
    return slot && s_rows[slot - 1].batch;
}
