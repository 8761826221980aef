/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The layout shared by enforce.bpf.c and its loader (src/lib/runtime/respond-enforcer.c). Plain
 * fixed-size types only: the same struct is compiled for BPF and for the host. */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ENF_KILL_MAX    16384 /* (cgroup, file) kill entries */
#define ENF_CGROUPS_MAX 4096  /* cgroups with connect rules */
#define ENF_RULES_MAX   65536 /* connect rules, all cgroups together */

/* kill map key: a file in a cgroup (cgid 0: any cgroup). dev is the kernel's encoding (MAJOR << 20 |
 * MINOR), as in super_block.s_dev. */
struct enf_kill_key {
        __u64 cgid;
        __u64 dev;
        __u64 ino;
};

/* per-cgroup connect configuration */
struct enf_cgroup_cfg {
        __u32 def; /* ENF_ALLOW or ENF_DENY: the verdict when no rule matches */
        __u32 pad;
};

#define ENF_ALLOW 1
#define ENF_DENY  2

/* connect rule key (LPM trie): the first ENF_RULE_FIXED_BITS of data (cgroup, port, family) always
 * match in full, then prefixlen - ENF_RULE_FIXED_BITS bits of the address. */
struct enf_rule_key {
        __u32 prefixlen;
        __u32 cgid_hi, cgid_lo;
        __u16 port;  /* network order; 0: any port */
        __u8 family; /* 4 or 6 */
        __u8 pad;
        __u8 addr[16];
};
#define ENF_RULE_FIXED_BITS 96

struct enf_rule_val {
        __u32 verdict; /* ENF_ALLOW or ENF_DENY */
};

enum {
        ENF_EV_EXEC_KILLED = 1,
        ENF_EV_CONNECT_DENIED = 2,
};

struct enf_event {
        __u32 kind;
        __u32 pid, tid;
        __u32 family; /* 4 or 6 */
        __u64 cgid;
        __u64 time_ns;
        __u64 dev, ino; /* kernel dev encoding */
        __u8 addr[16];
        __u16 port; /* host order */
        __u16 pad[3];
        char comm[16];
};

enum {
        ENF_C_EXEC_KILLS,
        ENF_C_KILL_FAILURES,
        ENF_C_CONNECT_DENIED,
        ENF_C_CONNECT_CHECKED,
        ENF_C_DROPPED,
        ENF_C_MAX,
};

struct enf_counters {
        __u64 c[ENF_C_MAX];
};
