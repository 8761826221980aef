/* SPDX-License-Identifier: Apache-2.0 */
/* The enforcer: the blocking half of the runtime agent, a BPF object apart from the sensor (which only
 * observes) so either can be loaded, replaced or refused without the other.
 *
 *   raw_tp/sched_process_exec   the new executable (bprm->file's inode) is looked up in kill_map by
 *                               (cgroup, dev, ino), then (any cgroup, dev, ino); a hit sends SIGKILL to
 *                               the process with bpf_send_signal(): it dies on its way back to user
 *                               space, before the program's first instruction.
 *   cgroup/connect4, connect6   attached per container cgroup; the peer (address, port) is looked up in
 *                               an LPM trie of rules for that cgroup (exact port first, then any port),
 *                               else the cgroup's default verdict; deny makes connect() fail with EPERM.
 *
 * Both report what they did to user space through a ring buffer and count it per CPU. */

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "enforce.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGKILL 9

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 256 << 10); /* user space may change it before loading */
} enf_events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, struct enf_counters);
} enf_counters SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, ENF_KILL_MAX);
        __type(key, struct enf_kill_key);
        __type(value, u32);
} kill_map SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, ENF_CGROUPS_MAX);
        __type(key, u64);
        __type(value, struct enf_cgroup_cfg);
} cgroup_cfg SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_LPM_TRIE);
        __uint(max_entries, ENF_RULES_MAX);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __type(key, struct enf_rule_key);
        __type(value, struct enf_rule_val);
} rules SEC(".maps");

static __always_inline void count(int i) {
        u32 zero = 0;
        struct enf_counters *c = bpf_map_lookup_elem(&enf_counters, &zero);
        if (c && i >= 0 && i < ENF_C_MAX)
                c->c[i]++;
}

static __always_inline struct enf_event *event_new(u32 kind, u64 cgid) {
        struct enf_event *ev = bpf_ringbuf_reserve(&enf_events, sizeof(*ev), 0);
        if (!ev) {
                count(ENF_C_DROPPED);
                return NULL;
        }
        __builtin_memset(ev, 0, sizeof(*ev));
        u64 pt = bpf_get_current_pid_tgid();
        ev->kind = kind;
        ev->pid = pt >> 32;
        ev->tid = (u32) pt;
        ev->cgid = cgid;
        ev->time_ns = bpf_ktime_get_ns();
        bpf_get_current_comm(ev->comm, sizeof(ev->comm));
        return ev;
}

/* ---- kill on exec ---- */

/* raw_tp/sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
int enf_exec(struct bpf_raw_tracepoint_args *ctx);
SEC("raw_tp/sched_process_exec")
int enf_exec(struct bpf_raw_tracepoint_args *ctx) {
        struct linux_binprm *bprm = (void *) ctx->args[2];
        struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
        struct enf_kill_key k = {
                .cgid = bpf_get_current_cgroup_id(),
                .dev = BPF_CORE_READ(inode, i_sb, s_dev),
                .ino = BPF_CORE_READ(inode, i_ino),
        };

        if (!bpf_map_lookup_elem(&kill_map, &k)) {
                k.cgid = 0;
                if (!bpf_map_lookup_elem(&kill_map, &k))
                        return 0;
        }
        if (bpf_send_signal(SIGKILL) < 0) {
                count(ENF_C_KILL_FAILURES);
                return 0;
        }
        count(ENF_C_EXEC_KILLS);
        struct enf_event *ev = event_new(ENF_EV_EXEC_KILLED, bpf_get_current_cgroup_id());
        if (ev) {
                ev->dev = k.dev;
                ev->ino = k.ino;
                bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
        }
        return 0;
}

/* ---- connect ---- */

/* The configuration that applies to the current process: its own cgroup's, else its nearest
 * configured ancestor's (a process in a child cgroup of a container). */
static __always_inline struct enf_cgroup_cfg *find_cfg(u64 *ret_cgid) {
        u64 cgid = bpf_get_current_cgroup_id();
        struct enf_cgroup_cfg *cfg = bpf_map_lookup_elem(&cgroup_cfg, &cgid);
        if (cfg) {
                *ret_cgid = cgid;
                return cfg;
        }
        for (int level = 15; level >= 1; level--) {
                cgid = bpf_get_current_ancestor_cgroup_id(level);
                if (!cgid)
                        continue;
                cfg = bpf_map_lookup_elem(&cgroup_cfg, &cgid);
                if (cfg) {
                        *ret_cgid = cgid;
                        return cfg;
                }
        }
        return NULL;
}

static __always_inline int check(struct enf_rule_key *k, u64 cgid, u32 def) {
        count(ENF_C_CONNECT_CHECKED);
        u32 verdict = def;
        u16 port = k->port;
        k->cgid_hi = cgid >> 32;
        k->cgid_lo = (u32) cgid;
        k->prefixlen = ENF_RULE_FIXED_BITS + (k->family == 4 ? 32 : 128);
        struct enf_rule_val *v = bpf_map_lookup_elem(&rules, k);
        if (!v) {
                k->port = 0;
                v = bpf_map_lookup_elem(&rules, k);
                k->port = port;
        }
        if (v)
                verdict = v->verdict;
        if (verdict != ENF_DENY)
                return 1;

        count(ENF_C_CONNECT_DENIED);
        struct enf_event *ev = event_new(ENF_EV_CONNECT_DENIED, cgid);
        if (ev) {
                ev->family = k->family;
                __builtin_memcpy(ev->addr, k->addr, sizeof(ev->addr));
                ev->port = bpf_ntohs(port);
                bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
        }
        return 0; /* connect() fails with EPERM */
}

int enf_connect4(struct bpf_sock_addr *ctx);
SEC("cgroup/connect4")
int enf_connect4(struct bpf_sock_addr *ctx) {
        u64 cgid = 0;
        struct enf_cgroup_cfg *cfg = find_cfg(&cgid);
        if (!cfg)
                return 1;
        u32 def = cfg->def;
        struct enf_rule_key k = {};
        u32 ip = ctx->user_ip4;
        k.family = 4;
        k.port = (u16) ctx->user_port;
        __builtin_memcpy(k.addr, &ip, 4);
        return check(&k, cgid, def);
}

int enf_connect6(struct bpf_sock_addr *ctx);
SEC("cgroup/connect6")
int enf_connect6(struct bpf_sock_addr *ctx) {
        u64 cgid = 0;
        struct enf_cgroup_cfg *cfg = find_cfg(&cgid);
        if (!cfg)
                return 1;
        u32 def = cfg->def;
        struct enf_rule_key k = {};
        u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];
        k.port = (u16) ctx->user_port;
        if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0xffff)) {
                /* ::ffff:a.b.c.d: an IPv4 peer through a v6 socket, judged by the v4 rules */
                k.family = 4;
                __builtin_memcpy(k.addr, &w3, 4);
        } else {
                k.family = 6;
                __builtin_memcpy(k.addr, &w0, 4);
                __builtin_memcpy(k.addr + 4, &w1, 4);
                __builtin_memcpy(k.addr + 8, &w2, 4);
                __builtin_memcpy(k.addr + 12, &w3, 4);
        }
        return check(&k, cgid, def);
}
