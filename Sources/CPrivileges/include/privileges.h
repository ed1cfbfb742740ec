#ifndef ICQSCOPE_PRIVILEGES_H
#define ICQSCOPE_PRIVILEGES_H
#include <stdint.h>

// The Linux calls that give up capabilities. prctl(2) is variadic and capset(2) has no glibc
// declaration, so Swift cannot call either directly; each wrapper returns 0, or -1 with errno set.

/// Empties the ambient set (PR_CAP_AMBIENT_CLEAR_ALL).
int icq_clear_ambient_capabilities(void);

/// Removes one capability from the bounding set (PR_CAPBSET_DROP; needs CAP_SETPCAP).
int icq_drop_bounding_capability(int capability);

/// Whether `capability` is in the bounding set: 1, 0, or -1 (EINVAL past the last one the
/// kernel knows).
int icq_bounding_has_capability(int capability);

/// Empties the permitted, effective and inheritable sets (capset, version 3: all 64 bits).
int icq_clear_capabilities(void);

/// Reads the permitted, effective and inheritable sets (capget, version 3).
int icq_read_capabilities(uint64_t *permitted, uint64_t *effective, uint64_t *inheritable);

/// setresgid(2) and setresuid(2) with one id for real, effective and saved (glibc declares
/// them only under _GNU_SOURCE, which Swift's Glibc module does not define).
int icq_set_all_gids(uint32_t gid);
int icq_set_all_uids(uint32_t uid);

/// Whether the real, effective and saved ids all equal `uid` (and `gid`): 1, 0, or -1.
int icq_ids_are(uint32_t uid, uint32_t gid);

/// Sets no_new_privs: no exec can give capabilities or set-user-ID back.
int icq_set_no_new_privileges(void);

#endif
