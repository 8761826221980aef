/* SPDX-License-Identifier: Apache-2.0 */
/* The syscalls the sensor watches: numbers per ABI and the program that handles each. The numbers are
 * written out rather than taken from <asm/unistd.h> so that the ia32 table sits beside the native one
 * and syscalls newer than the build machine's headers (fchmodat2) are not lost. */

#include "runtime-internal.h"

#define SC(n, nat, cmp, p, t) \
        { .name = n, .native = nat, .compat = cmp, .prog = p, .type = RT_EV_##t }
#define ID(n, nat, cmp, k, g, i16)                                                                 \
        {                                                                                          \
                .name = n, .native = nat, .compat = cmp, .prog = "stk_setid", .type = RT_EV_SETID, \
                .n_ids = k, .gid = g, .id16 = i16                                                  \
        }

#if defined(__x86_64__)
const struct rt_syscall_def rt_syscalls[] = {
        SC("execve", 59, 11, "stk_execve", EXEC),
        SC("execveat", 322, 358, "stk_execveat", EXEC),
        ID("setuid", 105, 213, 1, false, false),
        ID("setuid", -1, 23, 1, false, true),
        ID("setgid", 106, 214, 1, true, false),
        ID("setgid", -1, 46, 1, true, true),
        ID("setreuid", 113, 203, 2, false, false),
        ID("setreuid", -1, 70, 2, false, true),
        ID("setregid", 114, 204, 2, true, false),
        ID("setregid", -1, 71, 2, true, true),
        ID("setresuid", 117, 208, 3, false, false),
        ID("setresuid", -1, 164, 3, false, true),
        ID("setresgid", 119, 210, 3, true, false),
        ID("setresgid", -1, 170, 3, true, true),
        ID("setfsuid", 122, 215, 1, false, false),
        ID("setfsuid", -1, 138, 1, false, true),
        ID("setfsgid", 123, 216, 1, true, false),
        ID("setfsgid", -1, 139, 1, true, true),
        SC("capset", 126, 185, "stk_capset", CAPSET),
        SC("open", 2, 5, "stk_open", OPEN),
        SC("openat", 257, 295, "stk_openat", OPEN),
        SC("openat2", 437, 437, "stk_openat2", OPEN),
        SC("creat", 85, 8, "stk_creat", OPEN),
        SC("unlink", 87, 10, "stk_unlink", UNLINK),
        SC("unlinkat", 263, 301, "stk_unlinkat", UNLINK),
        SC("rmdir", 84, 40, "stk_rmdir", UNLINK),
        SC("rename", 82, 38, "stk_rename", RENAME),
        SC("renameat", 264, 302, "stk_renameat", RENAME),
        SC("renameat2", 316, 353, "stk_renameat2", RENAME),
        SC("chmod", 90, 15, "stk_chmod", CHMOD),
        SC("fchmod", 91, 94, "stk_fchmod", CHMOD),
        SC("fchmodat", 268, 306, "stk_fchmodat", CHMOD),
        SC("fchmodat2", 452, 452, "stk_fchmodat2", CHMOD),
        SC("connect", 42, 362, "stk_connect", CONNECT),
        SC("accept", 43, -1, "stk_accept", ACCEPT),
        SC("accept4", 288, 364, "stk_accept4", ACCEPT),
        SC("bind", 49, 361, "stk_bind", BIND),
        SC("listen", 50, 363, "stk_listen", LISTEN),
        SC("ptrace", 101, 26, "stk_ptrace", PTRACE),
        SC("mount", 165, 21, "stk_mount", MOUNT),
        SC("umount2", 166, 52, "stk_umount2", UMOUNT),
        SC("umount", -1, 22, "stk_umount", UMOUNT),
        SC("unshare", 272, 310, "stk_unshare", UNSHARE),
        SC("setns", 308, 346, "stk_setns", SETNS),
        SC("init_module", 175, 128, "stk_init_module", MODULE),
        SC("finit_module", 313, 350, "stk_finit_module", MODULE),
        SC("memfd_create", 319, 356, "stk_memfd_create", MEMFD),
        SC("bpf", 321, 357, "stk_bpf", BPF),
};
#elif defined(__aarch64__)
/* The generic table (no open, creat, unlink, rmdir, rename, chmod); no compat support. */
const struct rt_syscall_def rt_syscalls[] = {
        SC("execve", 221, -1, "stk_execve", EXEC),
        SC("execveat", 281, -1, "stk_execveat", EXEC),
        ID("setuid", 146, -1, 1, false, false),
        ID("setgid", 144, -1, 1, true, false),
        ID("setreuid", 145, -1, 2, false, false),
        ID("setregid", 143, -1, 2, true, false),
        ID("setresuid", 147, -1, 3, false, false),
        ID("setresgid", 149, -1, 3, true, false),
        ID("setfsuid", 151, -1, 1, false, false),
        ID("setfsgid", 152, -1, 1, true, false),
        SC("capset", 91, -1, "stk_capset", CAPSET),
        SC("openat", 56, -1, "stk_openat", OPEN),
        SC("openat2", 437, -1, "stk_openat2", OPEN),
        SC("unlinkat", 35, -1, "stk_unlinkat", UNLINK),
        SC("renameat", 38, -1, "stk_renameat", RENAME),
        SC("renameat2", 276, -1, "stk_renameat2", RENAME),
        SC("fchmod", 52, -1, "stk_fchmod", CHMOD),
        SC("fchmodat", 53, -1, "stk_fchmodat", CHMOD),
        SC("fchmodat2", 452, -1, "stk_fchmodat2", CHMOD),
        SC("connect", 203, -1, "stk_connect", CONNECT),
        SC("accept", 202, -1, "stk_accept", ACCEPT),
        SC("accept4", 242, -1, "stk_accept4", ACCEPT),
        SC("bind", 200, -1, "stk_bind", BIND),
        SC("listen", 201, -1, "stk_listen", LISTEN),
        SC("ptrace", 117, -1, "stk_ptrace", PTRACE),
        SC("mount", 40, -1, "stk_mount", MOUNT),
        SC("umount2", 39, -1, "stk_umount2", UMOUNT),
        SC("unshare", 97, -1, "stk_unshare", UNSHARE),
        SC("setns", 268, -1, "stk_setns", SETNS),
        SC("init_module", 105, -1, "stk_init_module", MODULE),
        SC("finit_module", 273, -1, "stk_finit_module", MODULE),
        SC("memfd_create", 279, -1, "stk_memfd_create", MEMFD),
        SC("bpf", 280, -1, "stk_bpf", BPF),
};
#else
#error "runtime-syscalls.c: no syscall table for this architecture"
#endif

const size_t rt_n_syscalls = ELEMENTSOF(rt_syscalls);

const struct rt_syscall_def *rt_syscall_find(int nr, bool compat) {
        if (nr < 0)
                return NULL;
        for (size_t i = 0; i < rt_n_syscalls; i++)
                if ((compat ? rt_syscalls[i].compat : rt_syscalls[i].native) == nr)
                        return &rt_syscalls[i];
        return NULL;
}

const char *rt_syscall_name(int nr, bool compat) {
        const struct rt_syscall_def *d = rt_syscall_find(nr, compat);
        return d ? d->name : NULL;
}
