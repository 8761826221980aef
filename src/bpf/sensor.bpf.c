// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/* The runtime sensor: what processes in containers do, as records in one ring buffer (layout in
 * sensor.h). Only hooks that load on kernels without BTF-typed programs or kprobes: raw tracepoints.
 *
 *   raw_tp/sched_process_exec|fork|exit   process lifecycle
 *   tp/syscalls/sys_exit_<name>           one classic tracepoint per watched syscall (the default):
 *                                          the handler reads the arguments from the registers saved at
 *                                          entry (bpf_task_pt_regs) and the result from the tracepoint;
 *                                          unwatched syscalls run no program at all
 *   raw_tp/sys_exit                       or: every syscall exit; tail-calls the handler registered
 *                                          for the syscall number (native and ia32 tables, filled by
 *                                          user space). The default on x86-64, where the per-syscall
 *                                          tracepoints skip ia32 (int 0x80) syscalls
 *   raw_tp/cgroup_mkdir|cgroup_rmdir      the in-kernel filter's bookkeeping (below)
 *
 * The filter runs before anything is copied: an event is recorded only when the task's cgroup is in
 * watched_cgroups (or host activity is included). cgroup_mkdir adds a cgroup to that map when its path
 * names a container (a component with a run of exactly 64 hex digits: docker, containerd, CRI-O and
 * podman all name container cgroups by the 64-hex id), synchronously, before the runtime can move a
 * process into it, so a container's very first exec is seen; cgroup_rmdir removes it, so the map does
 * not grow with short-lived containers. User space adds cgroups that existed before the sensor.
 *
 * Per-CPU scratch: one slot per attached program (a program can be preempted, but not re-entered on the
 * same CPU: the kernel counts that as a recursion miss, which user space reports). */

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sensor.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- configuration, set by user space before loading ---- */

const volatile bool cfg_include_host = false;
const volatile bool cfg_cgroup_v2 = true;
const volatile __u32 cfg_v1_subsys = 0; /* enum cgroup_subsys_id of the v1 controller to follow */
const volatile __s32 cfg_hierarchy = 0; /* hierarchy id whose cgroup_mkdir/rmdir we follow */
const volatile __u32 cfg_self_tgid = 0; /* the agent: never recorded */
/* Direct loads through BTF pointers (bpf_get_current_task_btf, bpf_task_pt_regs) instead of one
 * bpf_probe_read_kernel per field: a probe read costs some 65 ns on a VM with the usual mitigations,
 * a direct load next to nothing. User space sets it when the kernel has those helpers for raw
 * tracepoints and falls back to the probe reads if the programs are refused. The branches on it are
 * resolved by the verifier (frozen rodata): the other path is never checked. */
const volatile bool cfg_btf = false;
const volatile __u64 cfg_wakeup_bytes = 1 << 20; /* wake the consumer once this much is waiting */
/* A successful open is not recorded when the same process image (thread group and exec generation)
 * opened the same file (dentry and mount) with the same flags less than this long before; it is
 * counted in open_repeats instead. 0: every open is recorded. */
const volatile __u64 cfg_repeat_ns = 0;

/* ---- maps ---- */

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 16 << 20); /* user space may change it before loading */
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, struct stk_counters);
} counters SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, STK_WATCHED_CGROUPS_MAX);
        __type(key, u64);
        __type(value, struct stk_cgroup_info);
} watched_cgroups SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, STK_SYSCALL_TABLE_MAX);
        __type(key, u32);
        __type(value, u32);
} sys_native SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, STK_SYSCALL_TABLE_MAX);
        __type(key, u32);
        __type(value, u32);
} sys_compat SEC(".maps");

/* The opens recorded lately, for cfg_repeat_ns: an LRU per CPU (no shared lock on the hot path; a
 * process that moves to another CPU is recorded once more there). Value: when it was last recorded. */
struct open_key {
        u64 dentry, mnt;
        u64 leader_start; /* with tgid: this process, not an earlier one that had its pid */
        u64 exec_id;      /* the exec generation: after an exec the same open is news again */
        u32 tgid, flags;
};

struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(map_flags, BPF_F_NO_COMMON_LRU);
        __uint(max_entries, STK_OPEN_REPEAT_MAX);
        __type(key, struct open_key);
        __type(value, u64);
} open_seen SEC(".maps");

/* The loop state of a path walk. It lives in the per-CPU map value and is read and written through
 * volatile accesses, so the verifier sees unknown scalars at every iteration and prunes: the same state
 * held in registers is precise, differs at each step, and multiplies the paths it explores. */
struct walk {
        u64 d, vm, m, root_d, root_m;
        u32 pos;
        u32 trunc;
};

#define PB_SIZE (STK_PATH_MAX + 256)
struct scratch {
        u8 ev[STK_EVENT_MAX];
        char pb[PB_SIZE]; /* a path is assembled here, right to left */
        struct walk w;
};

enum { SLOT_SYSCALL, SLOT_EXEC, SLOT_FORK, SLOT_EXIT, SLOT_CGROUP, N_SLOTS };

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, N_SLOTS);
        __type(key, u32);
        __type(value, struct scratch);
} scratch SEC(".maps");

/* ---- architecture ---- */

/* At sys_exit the registers saved at entry still hold the arguments (x86-64: rdi rsi rdx r10 r8 r9;
 * arm64: orig_x0 for the first, x0 having become the result). */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs)     BPF_CORE_READ(regs, orig_ax)
#define SYSCALL_NR_BTF(regs) ((regs)->orig_ax)
#define SYSCALL_ARG6(regs)   BPF_CORE_READ(regs, r9)
#define TS_COMPAT            0x0002
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs)     BPF_CORE_READ((struct user_pt_regs *) (regs), syscallno)
#define SYSCALL_NR_BTF(regs) ((regs)->syscallno)
#define SYSCALL_ARG6(regs)   BPF_CORE_READ((struct user_pt_regs *) (regs), regs[5])
#else
#error "sensor.bpf.c: unsupported architecture"
#endif

#define AT_FDCWD_          -100
#define AT_REMOVEDIR_      0x200
#define SIGNAL_GROUP_EXIT_ 0x00000004
#define S_IFMT_            00170000
#define S_IFSOCK_          0140000
#define BPF_PROG_LOAD_     5

/* A program: its prototype first (-Wmissing-prototypes), then the definition in its section. */
#define PROG(sec, name)                                \
        int name(struct bpf_raw_tracepoint_args *ctx); \
        SEC(sec) int name(struct bpf_raw_tracepoint_args *ctx)

/* ---- helpers ---- */

static __always_inline struct stk_counters *get_counters(void) {
        u32 zero = 0;
        return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline struct scratch *get_scratch(u32 slot) {
        return bpf_map_lookup_elem(&scratch, &slot);
}

static __always_inline struct task_struct *cur_task(void) {
        if (cfg_btf)
                return bpf_get_current_task_btf();
        return (struct task_struct *) bpf_get_current_task();
}

/* The cgroup id the filter and the resolver use, of the current task. */
static __always_inline u64 current_cgroup_id(struct task_struct *t) {
        if (cfg_cgroup_v2)
                return bpf_get_current_cgroup_id();
        if (cfg_btf)
                return t->cgroups->subsys[cfg_v1_subsys & 15]->cgroup->kn->id;
        struct css_set *cs = BPF_CORE_READ(t, cgroups);
        struct cgroup_subsys_state *css = NULL;
        u32 i = cfg_v1_subsys & 31;
        if (i * sizeof(void *) >= bpf_core_field_size(struct css_set, subsys))
                return 0;
        bpf_probe_read_kernel(&css, sizeof(css),
                              (void *) cs + bpf_core_field_offset(struct css_set, subsys) +
                                      i * sizeof(void *));
        return BPF_CORE_READ(css, cgroup, kn, id);
}

/* The same for another task (the child of a fork, which may have been cloned into another cgroup). */
static __always_inline u64 task_cgroup_id(struct task_struct *t) {
        if (cfg_cgroup_v2)
                return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
        struct css_set *cs = BPF_CORE_READ(t, cgroups);
        struct cgroup_subsys_state *css = NULL;
        u32 i = cfg_v1_subsys & 31;
        if (i * sizeof(void *) >= bpf_core_field_size(struct css_set, subsys))
                return 0;
        bpf_probe_read_kernel(&css, sizeof(css),
                              (void *) cs + bpf_core_field_offset(struct css_set, subsys) +
                                      i * sizeof(void *));
        return BPF_CORE_READ(css, cgroup, kn, id);
}

/* 0: drop; otherwise the header flags to record with (STK_F_HOST for included host activity). */
static __always_inline int filter(u64 cgid, u32 tgid, u16 *flags) {
        if (tgid == cfg_self_tgid)
                return 0;
        if (bpf_map_lookup_elem(&watched_cgroups, &cgid)) {
                *flags = 0;
                return 1;
        }
        if (cfg_include_host) {
                *flags = STK_F_HOST;
                return 1;
        }
        return 0;
}

/* The pid namespace a task lives in and its pid there. */
static __always_inline u32 task_ns_pid(struct task_struct *t, u32 *ret_ns) {
        struct pid *p = BPF_CORE_READ(t, thread_pid);
        u32 level = BPF_CORE_READ(p, level);
        struct upid up = {};
        bpf_probe_read_kernel(&up, sizeof(up),
                              (void *) p + bpf_core_field_offset(struct pid, numbers) +
                                      (level & 31) * bpf_core_type_size(struct upid));
        if (ret_ns)
                *ret_ns = BPF_CORE_READ(up.ns, ns.inum);
        return up.nr;
}

/* The pid namespace in the header is the one the task's children get: its own, except between an
 * unshare(CLONE_NEWPID) and the next fork (exec and fork records carry the exact pid there). */
static __always_inline void fill_header(struct stk_event_header *h, u16 type, u16 syscall, u16 flags,
                                        u64 cgid, struct task_struct *t) {
        u64 pt = bpf_get_current_pid_tgid();
        u64 ug = bpf_get_current_uid_gid();

        h->type = type;
        h->syscall = syscall;
        h->flags = flags;
        h->ts = bpf_ktime_get_boot_ns();
        h->cgroup_id = cgid;
        h->pid = (u32) pt;
        h->tgid = pt >> 32;
        h->uid = (u32) ug;
        h->gid = ug >> 32;
        if (cfg_btf) {
                struct nsproxy *nsp = t->nsproxy;
                h->ppid = t->real_parent->tgid;
                h->mnt_ns = nsp->mnt_ns->ns.inum;
                h->net_ns = nsp->net_ns->ns.inum;
                h->pid_ns = nsp->pid_ns_for_children->ns.inum;
        } else {
                struct nsproxy *nsp = BPF_CORE_READ(t, nsproxy);
                h->ppid = BPF_CORE_READ(t, real_parent, tgid);
                h->mnt_ns = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
                h->net_ns = BPF_CORE_READ(nsp, net_ns, ns.inum);
                h->pid_ns = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
        }
        bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void submit(struct stk_counters *c, u8 *ev, u32 size, u32 type) {
        struct stk_event_header *h = (void *) ev;
        if (size > STK_EVENT_MAX)
                size = STK_EVENT_MAX;
        h->size = size;
        if (type >= STK_EV_MAX)
                return;
        /* Waking the consumer for every record would cost a wakeup (irq_work, a context switch) per
         * event whenever it keeps up. It polls every few milliseconds instead, and is woken early only
         * when the ring fills past cfg_wakeup_bytes, or for the rare records that start a process
         * (so a detector hears of an exec at once). */
        u64 wake = BPF_RB_NO_WAKEUP;
        if (type == STK_EV_EXEC || type == STK_EV_CGROUP_MKDIR ||
            bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes)
                wake = BPF_RB_FORCE_WAKEUP;
        if (bpf_ringbuf_output(&events, ev, size, wake) == 0)
                c->events[type]++;
        else
                __sync_fetch_and_add(&c->drops[type], 1);
}

/* Strings go at *end in the record; each put checks there is room for its bound. */
static __always_inline void put_user_str(u8 *ev, u32 *end, struct stk_str *s, const void *src, u16 *flags) {
        u32 off = *end;
        if (!src || off > STK_EVENT_MAX - STK_PATH_MAX)
                return;
        long n = bpf_probe_read_user_str(ev + off, STK_PATH_MAX, src);
        if (n <= 0)
                return;
        if (n == STK_PATH_MAX)
                *flags |= STK_F_TRUNCATED;
        s->off = off;
        s->len = n - 1;
        *end = off + n;
}

static __always_inline void put_kernel_str(u8 *ev, u32 *end, struct stk_str *s, const void *src, u32 max,
                                           u16 *flags) {
        u32 off = *end;
        if (!src || off > STK_EVENT_MAX - STK_PATH_MAX)
                return;
        if (max > STK_PATH_MAX)
                max = STK_PATH_MAX;
        long n = bpf_probe_read_kernel_str(ev + off, max, src);
        if (n <= 0)
                return;
        if (n == max)
                *flags |= STK_F_TRUNCATED;
        s->off = off;
        s->len = n - 1;
        *end = off + n;
}

static __always_inline void put_user_bytes_name(u8 *ev, u32 *end, struct stk_str *s, const void *src,
                                                u32 max, u16 *flags) {
        u32 off = *end;
        if (!src || off > STK_EVENT_MAX - STK_NAME_MAX)
                return;
        if (max > STK_NAME_MAX)
                max = STK_NAME_MAX;
        long n = bpf_probe_read_user_str(ev + off, max, src);
        if (n <= 0)
                return;
        if (n == max)
                *flags |= STK_F_TRUNCATED;
        s->off = off;
        s->len = n - 1;
        *end = off + n;
}

#define VOL(x) (*(volatile typeof(x) *) &(x))

/* A kernel address as a typed, read-only pointer (bpf_rdonly_cast): its fields are then read with plain
 * loads the kernel guards against faults, not with one bpf_probe_read_kernel (~65 ns here) each. Used
 * only where cfg_btf holds (the verifier drops the other branch). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define KPTR(T, p) ((T *) bpf_rdonly_cast((const void *) (p), bpf_core_type_id_kernel(T)))

/* Walks a path (dentry and mount) up to the task's root, as d_path() would, assembling the names right
 * to left in pb, then copies the result into the record. Bounded by STK_PATH_DEPTH components and
 * STK_PATH_MAX bytes; beyond either, the leading part is lost and TRUNCATED set. */
static __always_inline void put_path(u8 *ev, u32 *end, struct stk_str *s, char *pb, struct walk *w,
                                     struct dentry *d, struct vfsmount *vm, struct task_struct *t,
                                     u16 *flags) {
        u32 off = *end;
        if (!d || !vm || off > STK_EVENT_MAX - STK_PATH_MAX)
                return;
        u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
        if (cfg_btf) {
                VOL(w->root_d) = (u64) t->fs->root.dentry;
                VOL(w->root_m) = (u64) t->fs->root.mnt;
        } else {
                VOL(w->root_d) = (u64) BPF_CORE_READ(t, fs, root.dentry);
                VOL(w->root_m) = (u64) BPF_CORE_READ(t, fs, root.mnt);
        }
        VOL(w->d) = (u64) d;
        VOL(w->vm) = (u64) vm;
        VOL(w->m) = (u64) vm - mnt_off;
        VOL(w->pos) = STK_PATH_MAX - 1;
        VOL(w->trunc) = 1;
        pb[STK_PATH_MAX - 1] = 0;

        for (int i = 0; i < STK_PATH_DEPTH; i++) {
                struct dentry *cd = (void *) VOL(w->d);
                struct vfsmount *cvm = (void *) VOL(w->vm);
                struct mount *cm = (void *) VOL(w->m);
                if ((u64) cd == VOL(w->root_d) && (u64) cvm == VOL(w->root_m)) {
                        VOL(w->trunc) = 0;
                        break;
                }
                u64 mnt_root, parent;
                if (cfg_btf) {
                        mnt_root = (u64) KPTR(struct vfsmount, cvm)->mnt_root;
                        parent = (u64) KPTR(struct dentry, cd)->d_parent;
                } else {
                        mnt_root = (u64) BPF_CORE_READ(cvm, mnt_root);
                        parent = (u64) BPF_CORE_READ(cd, d_parent);
                }
                if ((u64) cd == mnt_root || (u64) cd == parent) {
                        u64 mp, mountpoint;
                        if (cfg_btf) {
                                mp = (u64) KPTR(struct mount, cm)->mnt_parent;
                                mountpoint = (u64) KPTR(struct mount, cm)->mnt_mountpoint;
                        } else {
                                mp = (u64) BPF_CORE_READ(cm, mnt_parent);
                                mountpoint = (u64) BPF_CORE_READ(cm, mnt_mountpoint);
                        }
                        if ((u64) cd != mnt_root || (u64) cm == mp || !mp) {
                                VOL(w->trunc) = 0;
                                break;
                        }
                        VOL(w->d) = mountpoint;
                        VOL(w->m) = mp;
                        VOL(w->vm) = mp + mnt_off;
                        continue;
                }
                u32 len;
                const unsigned char *name;
                if (cfg_btf) {
                        struct dentry *bd = KPTR(struct dentry, cd);
                        len = bd->d_name.len;
                        name = bd->d_name.name;
                } else {
                        len = BPF_CORE_READ(cd, d_name.len);
                        name = BPF_CORE_READ(cd, d_name.name);
                }
                u32 pos = VOL(w->pos);
                if (len > 255)
                        len = 255;
                barrier_var(len); /* the bound must reach the copy below, not a copy of len */
                len &= 255;
                if (pos >= STK_PATH_MAX || len + 1 > pos)
                        break;
                pos -= len;
                bpf_probe_read_kernel(&pb[pos & (STK_PATH_MAX - 1)], len & 255, name);
                pos -= 1;
                pb[pos & (STK_PATH_MAX - 1)] = '/';
                VOL(w->pos) = pos;
                VOL(w->d) = (u64) parent;
        }
        if (VOL(w->trunc))
                *flags |= STK_F_TRUNCATED;
        u32 pos = VOL(w->pos);
        if (pos >= STK_PATH_MAX)
                return;
        if (pos == STK_PATH_MAX - 1) {
                pos -= 1;
                pb[pos & (STK_PATH_MAX - 1)] = '/';
        }
        u32 n = STK_PATH_MAX - pos; /* with the NUL */
        if (n > STK_PATH_MAX || n < 2)
                return;
        bpf_probe_read_kernel(ev + off, n, &pb[pos & (STK_PATH_MAX - 1)]);
        s->off = off;
        s->len = n - 1;
        *end = off + n;
}

static __always_inline void put_file_path(u8 *ev, u32 *end, struct stk_str *s, char *pb, struct walk *w,
                                          struct file *f, struct task_struct *t, u16 *flags) {
        if (!f)
                return;
        if (cfg_btf) {
                struct file *bf = KPTR(struct file, f);
                put_path(ev, end, s, pb, w, bf->f_path.dentry, bf->f_path.mnt, t, flags);
                return;
        }
        put_path(ev, end, s, pb, w, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), t, flags);
}

static __always_inline struct file *fd_file(struct task_struct *t, int fd) {
        struct fdtable *fdt;
        struct file **fds;
        u32 max;
        struct file *f = NULL;
        if (cfg_btf) {
                fdt = t->files->fdt;
                fds = fdt->fd;
                max = fdt->max_fds;
        } else {
                fdt = BPF_CORE_READ(t, files, fdt);
                fds = BPF_CORE_READ(fdt, fd);
                max = BPF_CORE_READ(fdt, max_fds);
        }
        if (fd < 0 || (u32) fd >= max)
                return NULL;
        bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
        return f;
}

static __always_inline struct sock *file_sock(struct file *f) {
        if (!f)
                return NULL;
        umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
        if ((mode & S_IFMT_) != S_IFSOCK_)
                return NULL;
        struct socket *so = BPF_CORE_READ(f, private_data);
        return BPF_CORE_READ(so, sk);
}

/* local: the socket's own address; otherwise its peer's. */
static __always_inline void sock_addr(struct sock *sk, struct stk_sockaddr *a, bool local) {
        if (!sk)
                return;
        u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
        a->family = family;
        if (family == STK_AF_INET) {
                if (local) {
                        a->port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
                        BPF_CORE_READ_INTO(&a->addr, sk, __sk_common.skc_rcv_saddr);
                } else {
                        a->port = BPF_CORE_READ(sk, __sk_common.skc_dport);
                        BPF_CORE_READ_INTO(&a->addr, sk, __sk_common.skc_daddr);
                }
        } else if (family == STK_AF_INET6) {
                if (local) {
                        a->port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
                        BPF_CORE_READ_INTO(&a->addr, sk, __sk_common.skc_v6_rcv_saddr);
                } else {
                        a->port = BPF_CORE_READ(sk, __sk_common.skc_dport);
                        BPF_CORE_READ_INTO(&a->addr, sk, __sk_common.skc_v6_daddr);
                }
        }
}

/* A sockaddr from user memory. A unix path goes to the string area. */
static __always_inline void user_sockaddr(u8 *ev, u32 *end, struct stk_sockaddr *a, struct stk_str *upath,
                                          const void *uaddr, u32 addrlen) {
        if (!uaddr || addrlen < 2)
                return;
        u16 family = 0;
        bpf_probe_read_user(&family, sizeof(family), uaddr);
        a->family = family;
        if (family == STK_AF_INET && addrlen >= 8) {
                bpf_probe_read_user(&a->port, 2, uaddr + 2);
                bpf_probe_read_user(&a->addr, 4, uaddr + 4);
        } else if (family == STK_AF_INET6 && addrlen >= 24) {
                bpf_probe_read_user(&a->port, 2, uaddr + 2);
                bpf_probe_read_user(&a->addr, 16, uaddr + 8);
                if (addrlen >= 28)
                        bpf_probe_read_user(&a->scope_id, 4, uaddr + 24);
        } else if (family == STK_AF_UNIX && addrlen > 2) {
                u32 n = addrlen - 2;
                u32 off = *end;
                if (n > STK_UNIX_MAX)
                        n = STK_UNIX_MAX;
                barrier_var(n);
                n &= 0x7f;
                if (off > STK_EVENT_MAX - STK_UNIX_MAX - 1)
                        return;
                if (bpf_probe_read_user(ev + off, n, uaddr + 2))
                        return;
                u8 *p = ev + off;
                if (p[0] == 0)
                        p[0] = '@'; /* abstract: Linux shows it so too */
                else {
                        /* a filesystem path ends at its NUL */
                        u32 k;
                        for (k = 0; k < STK_UNIX_MAX; k++) {
                                if (k >= n || p[k] == 0)
                                        break;
                        }
                        n = k;
                }
                if (n > STK_UNIX_MAX)
                        n = STK_UNIX_MAX;
                ev[(off + n) & (STK_EVENT_MAX - 1)] = 0;
                upath->off = off;
                upath->len = n;
                *end = off + n + 1;
        }
}

/* ---- syscall handlers ---- */

/* What a handler gets from its hook: the registers saved at syscall entry (raw sys_exit only; NULL
 * from a per-syscall tracepoint, which then reads them with bpf_task_pt_regs) and the result. */
struct sys_ctx {
        u64 regs;
        long ret;
};

/* A syscall handler, built twice: as a raw tracepoint program the sys_exit dispatcher tail-calls, and
 * as a classic tracepoint program for syscalls:sys_exit_<name>. User space loads one set or the other
 * (sensor.c). The per-syscall tracepoints run nothing for the syscalls nobody watches: the kernel tests
 * one bit of a bitmap and returns, where a raw sys_exit program runs (and is dispatched) on every
 * syscall of every task. They skip ia32 syscalls (int 0x80) on x86-64, which only the raw hook sees. */
#define SYSCALL_PROG(name)                                                              \
        static __always_inline int name##_body(struct sys_ctx *ctx);                    \
        int name(struct bpf_raw_tracepoint_args *ctx);                                  \
        SEC("raw_tp") int name(struct bpf_raw_tracepoint_args *ctx) {                   \
                struct sys_ctx in = {.regs = ctx->args[0], .ret = (long) ctx->args[1]}; \
                return name##_body(&in);                                                \
        }                                                                               \
        int name##_tp(struct syscall_trace_exit *ctx);                                  \
        SEC("tp") int name##_tp(struct syscall_trace_exit *ctx) {                       \
                struct sys_ctx in = {.regs = 0, .ret = ctx->ret};                       \
                return name##_body(&in);                                                \
        }                                                                               \
        static __always_inline int name##_body(struct sys_ctx *ctx)

struct sys {
        struct pt_regs *regs;
        struct task_struct *task;
        struct stk_counters *cnt;
        u8 *ev;
        char *pb;
        struct walk *w;
        long ret;
        u32 end;
        u16 nr;
        u16 flags;
        bool compat;
};

static __always_inline bool in_compat(struct task_struct *t) {
#if defined(__TARGET_ARCH_x86)
        if (cfg_btf)
                return t->thread_info.status & TS_COMPAT;
        return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT;
#else
        return false;
#endif
}

static __always_inline u64 sys_arg(struct sys *s, int i) {
        /* a local: BPF_CORE_READ(regs, …) would ask for a relocation of struct sys */
        struct pt_regs *regs = s->regs;
#if defined(__TARGET_ARCH_x86)
        if (cfg_btf && s->compat) {
                switch (i) {
                case 0: return (u32) regs->bx;
                case 1: return (u32) regs->cx;
                case 2: return (u32) regs->dx;
                case 3: return (u32) regs->si;
                case 4: return (u32) regs->di;
                default: return (u32) regs->bp;
                }
        }
        if (cfg_btf) {
                switch (i) {
                case 0: return regs->di;
                case 1: return regs->si;
                case 2: return regs->dx;
                case 3: return regs->r10;
                case 4: return regs->r8;
                default: return regs->r9;
                }
        }
        if (s->compat) {
                switch (i) {
                case 0: return (u32) BPF_CORE_READ(regs, bx);
                case 1: return (u32) BPF_CORE_READ(regs, cx);
                case 2: return (u32) BPF_CORE_READ(regs, dx);
                case 3: return (u32) BPF_CORE_READ(regs, si);
                case 4: return (u32) BPF_CORE_READ(regs, di);
                default: return (u32) BPF_CORE_READ(regs, bp);
                }
        }
#endif
        switch (i) {
        case 0: return PT_REGS_PARM1_CORE_SYSCALL(regs);
        case 1: return PT_REGS_PARM2_CORE_SYSCALL(regs);
        case 2: return PT_REGS_PARM3_CORE_SYSCALL(regs);
        case 3: return PT_REGS_PARM4_CORE_SYSCALL(regs);
        case 4: return PT_REGS_PARM5_CORE_SYSCALL(regs);
        default: return SYSCALL_ARG6(regs);
        }
}

/* An int argument (fds, dirfds), sign-extended whatever the ABI. */
static __always_inline int sys_arg_int(struct sys *s, int i) {
        return (int) sys_arg(s, i);
}

/* Filters and sets up s (registers, scratch, counters); false to drop. sys_start() then starts the
 * record; sys_begin() does both. */
static __always_inline bool sys_filter(struct sys_ctx *ctx, struct sys *s, u64 *cgid_out) {
        struct task_struct *t = cur_task();
        u64 cgid = current_cgroup_id(t);
        u16 flags = 0;

        if (!filter(cgid, bpf_get_current_pid_tgid() >> 32, &flags))
                return false;
        struct scratch *sc = get_scratch(SLOT_SYSCALL);
        struct stk_counters *c = get_counters();
        if (!sc || !c)
                return false;
        struct pt_regs *regs;
        if (cfg_btf)
                regs = (struct pt_regs *) bpf_task_pt_regs(t); /* the same frame the tracepoint gets */
        else
                regs = (struct pt_regs *) ctx->regs;
        s->regs = regs;
        s->ret = ctx->ret;
        s->task = t;
        s->cnt = c;
        s->ev = sc->ev;
        s->pb = sc->pb;
        s->w = &sc->w;
        s->compat = in_compat(t);
        s->nr = cfg_btf ? SYSCALL_NR_BTF(regs) : SYSCALL_NR(regs);
        s->flags = flags | (s->compat ? STK_F_COMPAT : 0);
        *cgid_out = cgid;
        return true;
}

/* Starts a record of `type` with a payload of `payload_size` bytes. */
static __always_inline void sys_start(struct sys *s, u16 type, u32 payload_size, u64 cgid) {
        s->end = sizeof(struct stk_event_header) + payload_size;
        __builtin_memset(s->ev, 0, sizeof(struct stk_event_header) + payload_size);
        fill_header((void *) s->ev, type, s->nr, 0, cgid, s->task);
}

static __always_inline bool sys_begin(struct sys_ctx *ctx, struct sys *s, u16 type, u32 payload_size) {
        u64 cgid;
        if (!sys_filter(ctx, s, &cgid))
                return false;
        sys_start(s, type, payload_size, cgid);
        return true;
}

static __always_inline void sys_submit(struct sys *s, u32 type) {
        struct stk_event_header *h = (void *) s->ev;
        h->flags = s->flags;
        submit(s->cnt, s->ev, s->end, type);
}

#define PAYLOAD(s, T) ((T *) ((s)->ev + sizeof(struct stk_event_header)))

/* exec that failed (a successful one is recorded at sched_process_exec) */
static __always_inline int do_exec_fail(struct sys_ctx *ctx, int path_arg) {
        struct sys s;
        if (ctx->ret >= 0)
                return 0;
        if (!sys_begin(ctx, &s, STK_EV_EXEC, sizeof(struct stk_exec)))
                return 0;
        struct stk_exec *p = PAYLOAD(&s, struct stk_exec);
        p->result = s.ret;
        put_user_str(s.ev, &s.end, &p->filename, (void *) sys_arg(&s, path_arg), &s.flags);
        sys_submit(&s, STK_EV_EXEC);
        return 0;
}

SYSCALL_PROG(stk_execve) {
        return do_exec_fail(ctx, 0);
}

SYSCALL_PROG(stk_execveat) {
        return do_exec_fail(ctx, 1);
}

/* setuid, setgid, setfsuid, setfsgid, setreuid, setregid, setresuid, setresgid: all three argument
 * registers are kept; user space knows from the syscall number how many count. */
SYSCALL_PROG(stk_setid) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_SETID, sizeof(struct stk_setid)))
                return 0;
        struct stk_setid *p = PAYLOAD(&s, struct stk_setid);
        p->result = s.ret;
        p->id[0] = sys_arg_int(&s, 0);
        p->id[1] = sys_arg_int(&s, 1);
        p->id[2] = sys_arg_int(&s, 2);
        sys_submit(&s, STK_EV_SETID);
        return 0;
}

SYSCALL_PROG(stk_capset) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_CAPSET, sizeof(struct stk_capset)))
                return 0;
        struct stk_capset *p = PAYLOAD(&s, struct stk_capset);
        struct {
                u32 version;
                int pid;
        } hdr = {};
        struct {
                u32 effective, permitted, inheritable;
        } data[2] = {};
        p->result = s.ret;
        bpf_probe_read_user(&hdr, sizeof(hdr), (void *) sys_arg(&s, 0));
        bpf_probe_read_user(&data, sizeof(data), (void *) sys_arg(&s, 1));
        p->version = hdr.version;
        p->pid = hdr.pid;
        p->effective = data[0].effective | ((u64) data[1].effective << 32);
        p->permitted = data[0].permitted | ((u64) data[1].permitted << 32);
        p->inheritable = data[0].inheritable | ((u64) data[1].inheritable << 32);
        sys_submit(&s, STK_EV_CAPSET);
        return 0;
}

/* Whether this successful open repeats one recorded less than cfg_repeat_ns ago (then it is counted,
 * not recorded); remembers it otherwise. */
static __always_inline bool open_repeated(struct sys *s, struct file *f, u32 flags) {
        struct open_key k = {};
        if (!f)
                return false;
        struct task_struct *t = s->task;
        if (cfg_btf) {
                struct file *bf = KPTR(struct file, f);
                k.dentry = (u64) bf->f_path.dentry;
                k.mnt = (u64) bf->f_path.mnt;
                k.leader_start = t->group_leader->start_time;
                k.exec_id = t->self_exec_id;
        } else {
                k.dentry = (u64) BPF_CORE_READ(f, f_path.dentry);
                k.mnt = (u64) BPF_CORE_READ(f, f_path.mnt);
                k.leader_start = BPF_CORE_READ(t, group_leader, start_time);
                k.exec_id = BPF_CORE_READ(t, self_exec_id);
        }
        k.tgid = bpf_get_current_pid_tgid() >> 32;
        k.flags = flags;
        u64 now = bpf_ktime_get_ns();
        u64 *last = bpf_map_lookup_elem(&open_seen, &k);
        if (last && now - *last < cfg_repeat_ns) {
                s->cnt->open_repeats++;
                return true;
        }
        if (last)
                *last = now;
        else
                bpf_map_update_elem(&open_seen, &k, &now, BPF_ANY);
        return false;
}

/* Argument positions (-1: absent): open(path, flags, mode), openat(dfd, path, flags, mode),
 * openat2(dfd, path, how, size), creat(path, mode) with fixed flags. */
static __always_inline int do_open(struct sys_ctx *ctx, bool at, int path_arg, int flags_arg, int mode_arg,
                                   int how_arg, u64 fixed_flags) {
        struct sys s;
        struct open_how how = {};
        u32 flags, mode;
        u64 cgid;
        if (!sys_filter(ctx, &s, &cgid))
                return 0;
        if (how_arg >= 0) {
                bpf_probe_read_user(&how, sizeof(how), (void *) sys_arg(&s, how_arg));
                flags = how.flags;
                mode = how.mode;
        } else {
                flags = flags_arg >= 0 ? (u32) sys_arg(&s, flags_arg) : fixed_flags;
                mode = mode_arg >= 0 ? (u32) sys_arg(&s, mode_arg) : 0;
        }
        struct file *f = s.ret >= 0 ? fd_file(s.task, (int) s.ret) : NULL;
        if (cfg_repeat_ns && open_repeated(&s, f, flags))
                return 0;
        sys_start(&s, STK_EV_OPEN, sizeof(struct stk_open), cgid);
        struct stk_open *p = PAYLOAD(&s, struct stk_open);
        p->result = s.ret;
        p->dirfd = at ? sys_arg_int(&s, 0) : AT_FDCWD_;
        p->flags = flags;
        p->mode = mode;
        p->resolve = how.resolve;
        put_user_str(s.ev, &s.end, &p->path, (void *) sys_arg(&s, path_arg), &s.flags);
        /* A relative path means little without its directory: name the file that was opened. */
        if (s.ret >= 0 && p->path.off) {
                char c = s.ev[p->path.off & (STK_EVENT_MAX - 1)];
                if (c != '/')
                        put_file_path(s.ev, &s.end, &p->full, s.pb, s.w, f, s.task, &s.flags);
        }
        sys_submit(&s, STK_EV_OPEN);
        return 0;
}

SYSCALL_PROG(stk_open) {
        return do_open(ctx, false, 0, 1, 2, -1, 0);
}

SYSCALL_PROG(stk_openat) {
        return do_open(ctx, true, 1, 2, 3, -1, 0);
}

SYSCALL_PROG(stk_openat2) {
        return do_open(ctx, true, 1, -1, -1, 2, 0);
}

SYSCALL_PROG(stk_creat) {
        /* creat(path, mode) is open(path, O_CREAT | O_WRONLY | O_TRUNC, mode) */
        return do_open(ctx, false, 0, -1, 1, -1, 01 | 0100 | 01000);
}

static __always_inline int do_unlink(struct sys_ctx *ctx, bool at, u32 flags) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_UNLINK, sizeof(struct stk_unlink)))
                return 0;
        struct stk_unlink *p = PAYLOAD(&s, struct stk_unlink);
        p->result = s.ret;
        p->dirfd = at ? sys_arg_int(&s, 0) : AT_FDCWD_;
        p->flags = at ? (u32) sys_arg(&s, 2) : flags;
        put_user_str(s.ev, &s.end, &p->path, (void *) sys_arg(&s, at ? 1 : 0), &s.flags);
        sys_submit(&s, STK_EV_UNLINK);
        return 0;
}

SYSCALL_PROG(stk_unlink) {
        return do_unlink(ctx, false, 0);
}

SYSCALL_PROG(stk_rmdir) {
        return do_unlink(ctx, false, AT_REMOVEDIR_);
}

SYSCALL_PROG(stk_unlinkat) {
        return do_unlink(ctx, true, 0);
}

static __always_inline int do_rename(struct sys_ctx *ctx, bool at, bool with_flags) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_RENAME, sizeof(struct stk_rename)))
                return 0;
        struct stk_rename *p = PAYLOAD(&s, struct stk_rename);
        p->result = s.ret;
        p->olddirfd = at ? sys_arg_int(&s, 0) : AT_FDCWD_;
        p->newdirfd = at ? sys_arg_int(&s, 2) : AT_FDCWD_;
        p->flags = with_flags ? (u32) sys_arg(&s, 4) : 0;
        put_user_str(s.ev, &s.end, &p->oldpath, (void *) sys_arg(&s, at ? 1 : 0), &s.flags);
        put_user_str(s.ev, &s.end, &p->newpath, (void *) sys_arg(&s, at ? 3 : 1), &s.flags);
        sys_submit(&s, STK_EV_RENAME);
        return 0;
}

SYSCALL_PROG(stk_rename) {
        return do_rename(ctx, false, false);
}

SYSCALL_PROG(stk_renameat) {
        return do_rename(ctx, true, false);
}

SYSCALL_PROG(stk_renameat2) {
        return do_rename(ctx, true, true);
}

/* kind: 0 chmod(path, mode), 1 fchmod(fd, mode), 2 fchmodat(dfd, path, mode), 3 fchmodat2(…, flags) */
static __always_inline int do_chmod(struct sys_ctx *ctx, int kind) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_CHMOD, sizeof(struct stk_chmod)))
                return 0;
        struct stk_chmod *p = PAYLOAD(&s, struct stk_chmod);
        p->result = s.ret;
        if (kind == 0) {
                p->dirfd = AT_FDCWD_;
                p->mode = (u32) sys_arg(&s, 1);
                put_user_str(s.ev, &s.end, &p->path, (void *) sys_arg(&s, 0), &s.flags);
        } else if (kind == 1) {
                p->dirfd = sys_arg_int(&s, 0);
                p->mode = (u32) sys_arg(&s, 1);
                put_file_path(s.ev, &s.end, &p->path, s.pb, s.w, fd_file(s.task, p->dirfd), s.task,
                              &s.flags);
        } else {
                p->dirfd = sys_arg_int(&s, 0);
                p->mode = (u32) sys_arg(&s, 2);
                p->flags = kind == 3 ? (u32) sys_arg(&s, 3) : 0;
                put_user_str(s.ev, &s.end, &p->path, (void *) sys_arg(&s, 1), &s.flags);
        }
        sys_submit(&s, STK_EV_CHMOD);
        return 0;
}

SYSCALL_PROG(stk_chmod) {
        return do_chmod(ctx, 0);
}

SYSCALL_PROG(stk_fchmod) {
        return do_chmod(ctx, 1);
}

SYSCALL_PROG(stk_fchmodat) {
        return do_chmod(ctx, 2);
}

SYSCALL_PROG(stk_fchmodat2) {
        return do_chmod(ctx, 3);
}

static __always_inline void net_sock_info(struct stk_net *p, struct sock *sk) {
        if (!sk)
                return;
        p->sock_type = BPF_CORE_READ(sk, sk_type);
        p->protocol = BPF_CORE_READ(sk, sk_protocol);
}

/* connect(fd, addr, len) and bind(fd, addr, len) */
static __always_inline int do_addr(struct sys_ctx *ctx, u32 type) {
        struct sys s;
        if (!sys_begin(ctx, &s, type, sizeof(struct stk_net)))
                return 0;
        struct stk_net *p = PAYLOAD(&s, struct stk_net);
        p->result = s.ret;
        p->fd = sys_arg_int(&s, 0);
        struct sock *sk = file_sock(fd_file(s.task, p->fd));
        net_sock_info(p, sk);
        if (type == STK_EV_CONNECT) {
                user_sockaddr(s.ev, &s.end, &p->remote, &p->unix_path, (void *) sys_arg(&s, 1),
                              (u32) sys_arg(&s, 2));
                sock_addr(sk, &p->local, true);
        } else {
                user_sockaddr(s.ev, &s.end, &p->local, &p->unix_path, (void *) sys_arg(&s, 1),
                              (u32) sys_arg(&s, 2));
        }
        sys_submit(&s, type);
        return 0;
}

SYSCALL_PROG(stk_connect) {
        return do_addr(ctx, STK_EV_CONNECT);
}

SYSCALL_PROG(stk_bind) {
        return do_addr(ctx, STK_EV_BIND);
}

static __always_inline int do_accept(struct sys_ctx *ctx, bool four) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_ACCEPT, sizeof(struct stk_net)))
                return 0;
        struct stk_net *p = PAYLOAD(&s, struct stk_net);
        p->result = s.ret;
        p->fd = sys_arg_int(&s, 0);
        p->flags = four ? (u32) sys_arg(&s, 3) : 0;
        /* the accepted socket has both ends; without one, the listening socket has ours */
        struct sock *sk = file_sock(fd_file(s.task, s.ret >= 0 ? (int) s.ret : p->fd));
        net_sock_info(p, sk);
        sock_addr(sk, &p->local, true);
        if (s.ret >= 0)
                sock_addr(sk, &p->remote, false);
        sys_submit(&s, STK_EV_ACCEPT);
        return 0;
}

SYSCALL_PROG(stk_accept) {
        return do_accept(ctx, false);
}

SYSCALL_PROG(stk_accept4) {
        return do_accept(ctx, true);
}

SYSCALL_PROG(stk_listen) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_LISTEN, sizeof(struct stk_net)))
                return 0;
        struct stk_net *p = PAYLOAD(&s, struct stk_net);
        p->result = s.ret;
        p->fd = sys_arg_int(&s, 0);
        p->backlog = sys_arg_int(&s, 1);
        struct sock *sk = file_sock(fd_file(s.task, p->fd));
        net_sock_info(p, sk);
        sock_addr(sk, &p->local, true);
        sys_submit(&s, STK_EV_LISTEN);
        return 0;
}

SYSCALL_PROG(stk_ptrace) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_PTRACE, sizeof(struct stk_ptrace)))
                return 0;
        struct stk_ptrace *p = PAYLOAD(&s, struct stk_ptrace);
        p->result = s.ret;
        p->request = (long) sys_arg(&s, 0);
        if (s.compat)
                p->request = (int) p->request;
        p->target_pid = (u32) sys_arg(&s, 1);
        sys_submit(&s, STK_EV_PTRACE);
        return 0;
}

SYSCALL_PROG(stk_mount) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_MOUNT, sizeof(struct stk_mount)))
                return 0;
        struct stk_mount *p = PAYLOAD(&s, struct stk_mount);
        p->result = s.ret;
        p->flags = sys_arg(&s, 3);
        put_user_str(s.ev, &s.end, &p->source, (void *) sys_arg(&s, 0), &s.flags);
        put_user_str(s.ev, &s.end, &p->target, (void *) sys_arg(&s, 1), &s.flags);
        put_user_bytes_name(s.ev, &s.end, &p->fstype, (void *) sys_arg(&s, 2), STK_NAME_MAX, &s.flags);
        sys_submit(&s, STK_EV_MOUNT);
        return 0;
}

static __always_inline int do_umount(struct sys_ctx *ctx, bool with_flags) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_UMOUNT, sizeof(struct stk_mount)))
                return 0;
        struct stk_mount *p = PAYLOAD(&s, struct stk_mount);
        p->result = s.ret;
        p->flags = with_flags ? (u32) sys_arg(&s, 1) : 0;
        put_user_str(s.ev, &s.end, &p->target, (void *) sys_arg(&s, 0), &s.flags);
        sys_submit(&s, STK_EV_UMOUNT);
        return 0;
}

SYSCALL_PROG(stk_umount2) {
        return do_umount(ctx, true);
}

SYSCALL_PROG(stk_umount) {
        return do_umount(ctx, false);
}

SYSCALL_PROG(stk_unshare) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_UNSHARE, sizeof(struct stk_ns)))
                return 0;
        struct stk_ns *p = PAYLOAD(&s, struct stk_ns);
        p->result = s.ret;
        p->flags = s.compat ? (u32) sys_arg(&s, 0) : sys_arg(&s, 0);
        p->fd = -1;
        sys_submit(&s, STK_EV_UNSHARE);
        return 0;
}

SYSCALL_PROG(stk_setns) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_SETNS, sizeof(struct stk_ns)))
                return 0;
        struct stk_ns *p = PAYLOAD(&s, struct stk_ns);
        p->result = s.ret;
        p->fd = sys_arg_int(&s, 0);
        p->flags = (u32) sys_arg(&s, 1);
        put_file_path(s.ev, &s.end, &p->path, s.pb, s.w, fd_file(s.task, p->fd), s.task, &s.flags);
        sys_submit(&s, STK_EV_SETNS);
        return 0;
}

SYSCALL_PROG(stk_init_module) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_MODULE, sizeof(struct stk_module)))
                return 0;
        struct stk_module *p = PAYLOAD(&s, struct stk_module);
        p->result = s.ret;
        p->len = sys_arg(&s, 1);
        p->fd = -1;
        put_user_bytes_name(s.ev, &s.end, &p->params, (void *) sys_arg(&s, 2), STK_NAME_MAX, &s.flags);
        sys_submit(&s, STK_EV_MODULE);
        return 0;
}

SYSCALL_PROG(stk_finit_module) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_MODULE, sizeof(struct stk_module)))
                return 0;
        struct stk_module *p = PAYLOAD(&s, struct stk_module);
        p->result = s.ret;
        p->fd = sys_arg_int(&s, 0);
        p->flags = (u32) sys_arg(&s, 2);
        put_file_path(s.ev, &s.end, &p->path, s.pb, s.w, fd_file(s.task, p->fd), s.task, &s.flags);
        put_user_bytes_name(s.ev, &s.end, &p->params, (void *) sys_arg(&s, 1), STK_NAME_MAX, &s.flags);
        sys_submit(&s, STK_EV_MODULE);
        return 0;
}

SYSCALL_PROG(stk_memfd_create) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_MEMFD, sizeof(struct stk_memfd)))
                return 0;
        struct stk_memfd *p = PAYLOAD(&s, struct stk_memfd);
        p->result = s.ret;
        p->flags = (u32) sys_arg(&s, 1);
        put_user_bytes_name(s.ev, &s.end, &p->name, (void *) sys_arg(&s, 0), STK_NAME_MAX, &s.flags);
        sys_submit(&s, STK_EV_MEMFD);
        return 0;
}

SYSCALL_PROG(stk_bpf) {
        struct sys s;
        if (!sys_begin(ctx, &s, STK_EV_BPF, sizeof(struct stk_bpf)))
                return 0;
        struct stk_bpf *p = PAYLOAD(&s, struct stk_bpf);
        p->result = s.ret;
        p->cmd = (u32) sys_arg(&s, 0);
        if (p->cmd == BPF_PROG_LOAD_)
                bpf_probe_read_user(&p->prog_type, sizeof(p->prog_type), (void *) sys_arg(&s, 1));
        sys_submit(&s, STK_EV_BPF);
        return 0;
}

/* ---- the dispatcher ---- */

PROG("raw_tp/sys_exit", stk_sys_exit) {
        struct task_struct *t = cur_task();
        bool compat = in_compat(t);
        u64 nr;

        if (cfg_btf)
                nr = SYSCALL_NR_BTF((struct pt_regs *) bpf_task_pt_regs(t));
        else
                nr = SYSCALL_NR((struct pt_regs *) ctx->args[0]);
        if (nr >= STK_SYSCALL_TABLE_MAX)
                return 0;
        if (compat)
                bpf_tail_call(ctx, &sys_compat, (u32) nr);
        else
                bpf_tail_call(ctx, &sys_native, (u32) nr);
        return 0;
}

/* ---- process lifecycle ---- */

/* raw_tp/sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
PROG("raw_tp/sched_process_exec", stk_exec) {
        struct task_struct *t = cur_task();
        struct linux_binprm *bprm = (void *) ctx->args[2];
        u64 cgid = current_cgroup_id(t);
        u16 flags = 0;

        if (!filter(cgid, bpf_get_current_pid_tgid() >> 32, &flags))
                return 0;
        struct scratch *sc = get_scratch(SLOT_EXEC);
        struct stk_counters *c = get_counters();
        if (!sc || !c)
                return 0;
        u8 *ev = sc->ev;
        u32 end = sizeof(struct stk_event_header) + sizeof(struct stk_exec);
        __builtin_memset(ev, 0, sizeof(struct stk_event_header) + sizeof(struct stk_exec));
        fill_header((void *) ev, STK_EV_EXEC, STK_NO_SYSCALL, 0, cgid, t);
        struct stk_exec *p = (void *) (ev + sizeof(struct stk_event_header));

        const struct cred *cred = BPF_CORE_READ(t, cred);
        p->euid = BPF_CORE_READ(cred, euid.val);
        p->egid = BPF_CORE_READ(cred, egid.val);
        bpf_probe_read_kernel(&p->cap_effective, sizeof(p->cap_effective), &cred->cap_effective);
        p->ns_tgid = task_ns_pid(t, NULL);

        const char *filename = BPF_CORE_READ(bprm, filename);
        const char *interp = BPF_CORE_READ(bprm, interp);
        put_kernel_str(ev, &end, &p->filename, filename, STK_PATH_MAX, &flags);
        put_file_path(ev, &end, &p->exe, sc->pb, &sc->w, BPF_CORE_READ(bprm, file), t, &flags);
        if (interp != filename)
                put_kernel_str(ev, &end, &p->interp, interp, STK_PATH_MAX, &flags);
        put_path(ev, &end, &p->cwd, sc->pb, &sc->w, BPF_CORE_READ(t, fs, pwd.dentry),
                 BPF_CORE_READ(t, fs, pwd.mnt), t, &flags);
        put_file_path(ev, &end, &p->parent_exe, sc->pb, &sc->w, BPF_CORE_READ(t, real_parent, mm, exe_file),
                      t, &flags);

        struct mm_struct *mm = BPF_CORE_READ(t, mm);
        unsigned long a0 = BPF_CORE_READ(mm, arg_start), a1 = BPF_CORE_READ(mm, arg_end);
        if (a1 > a0 && end <= STK_EVENT_MAX - STK_ARGS_MAX) {
                u64 n = a1 - a0;
                p->args_size = n;
                if (n > STK_ARGS_MAX - 1) {
                        n = STK_ARGS_MAX - 1;
                        flags |= STK_F_TRUNCATED;
                }
                if (bpf_probe_read_user(ev + end, n, (void *) a0) == 0) {
                        ev[(end + n) & (STK_EVENT_MAX - 1)] = 0;
                        p->args.off = end;
                        p->args.len = n;
                        end += n + 1;
                }
        }
        ((struct stk_event_header *) ev)->flags = flags;
        submit(c, ev, end, STK_EV_EXEC);
        return 0;
}

/* raw_tp/sched_process_fork(struct task_struct *parent, struct task_struct *child), in the parent */
PROG("raw_tp/sched_process_fork", stk_fork) {
        struct task_struct *t = cur_task();
        struct task_struct *child = (void *) ctx->args[1];
        u32 child_pid = BPF_CORE_READ(child, pid);
        u16 flags = 0;

        if (child_pid != (u32) BPF_CORE_READ(child, tgid)) /* a thread */
                return 0;
        u64 cgid = task_cgroup_id(child);
        if (!filter(cgid, bpf_get_current_pid_tgid() >> 32, &flags))
                return 0;
        struct scratch *sc = get_scratch(SLOT_FORK);
        struct stk_counters *c = get_counters();
        if (!sc || !c)
                return 0;
        u8 *ev = sc->ev;
        __builtin_memset(ev, 0, sizeof(struct stk_event_header) + sizeof(struct stk_fork));
        fill_header((void *) ev, STK_EV_FORK, STK_NO_SYSCALL, flags, cgid, t);
        struct stk_fork *p = (void *) (ev + sizeof(struct stk_event_header));
        p->child_pid = child_pid;
        p->child_ns_pid = task_ns_pid(child, NULL);
        submit(c, ev, sizeof(struct stk_event_header) + sizeof(struct stk_fork), STK_EV_FORK);
        return 0;
}

/* raw_tp/sched_process_exit(struct task_struct *p …), for every thread; recorded for the last one */
PROG("raw_tp/sched_process_exit", stk_exit) {
        struct task_struct *t = cur_task();
        u16 flags = 0;

        if (BPF_CORE_READ(t, signal, live.counter) != 0)
                return 0;
        u64 cgid = current_cgroup_id(t);
        if (!filter(cgid, bpf_get_current_pid_tgid() >> 32, &flags))
                return 0;
        struct scratch *sc = get_scratch(SLOT_EXIT);
        struct stk_counters *c = get_counters();
        if (!sc || !c)
                return 0;
        u8 *ev = sc->ev;
        __builtin_memset(ev, 0, sizeof(struct stk_event_header) + sizeof(struct stk_exit));
        fill_header((void *) ev, STK_EV_EXIT, STK_NO_SYSCALL, flags, cgid, t);
        struct stk_exit *p = (void *) (ev + sizeof(struct stk_event_header));
        if (BPF_CORE_READ(t, signal, flags) & SIGNAL_GROUP_EXIT_)
                p->code = BPF_CORE_READ(t, signal, group_exit_code);
        else
                p->code = BPF_CORE_READ(t, exit_code);
        submit(c, ev, sizeof(struct stk_event_header) + sizeof(struct stk_exit), STK_EV_EXIT);
        return 0;
}

/* ---- cgroups: the filter's bookkeeping ---- */

/* A path names a container when one of its components holds a run of exactly 64 hex digits. The run
 * length lives in the map value (volatile), for the verifier's sake as in put_path(). */
static __always_inline bool container_path(const char *pb, u32 n, struct walk *w) {
        VOL(w->pos) = 0;
        for (u32 i = 0; i < 512; i++) {
                if (i >= n)
                        break;
                char ch = pb[i];
                if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) {
                        VOL(w->pos) = VOL(w->pos) + 1;
                        continue;
                }
                if (VOL(w->pos) == 64)
                        return true;
                VOL(w->pos) = 0;
                if (ch == 0)
                        break;
        }
        return VOL(w->pos) == 64;
}

/* raw_tp/cgroup_mkdir(struct cgroup *cgrp, const char *path) */
PROG("raw_tp/cgroup_mkdir", stk_cgroup_mkdir) {
        struct cgroup *cg = (void *) ctx->args[0];
        const char *path = (const char *) ctx->args[1];

        if (BPF_CORE_READ(cg, root, hierarchy_id) != cfg_hierarchy)
                return 0;
        struct scratch *sc = get_scratch(SLOT_CGROUP);
        struct stk_counters *c = get_counters();
        if (!sc || !c)
                return 0;
        long n = bpf_probe_read_kernel_str(sc->pb, 512, path);
        if (n <= 0 || !container_path(sc->pb, n, &sc->w))
                return 0;
        u64 id = BPF_CORE_READ(cg, kn, id);
        struct stk_cgroup_info info = {.flags = STK_CG_CONTAINER};
        if (bpf_map_update_elem(&watched_cgroups, &id, &info, BPF_ANY) != 0)
                __sync_fetch_and_add(&c->cgroup_full, 1);

        u8 *ev = sc->ev;
        u16 flags = 0;
        u32 end = sizeof(struct stk_event_header) + sizeof(struct stk_cgroup);
        __builtin_memset(ev, 0, end);
        fill_header((void *) ev, STK_EV_CGROUP_MKDIR, STK_NO_SYSCALL, 0, current_cgroup_id(cur_task()),
                    cur_task());
        struct stk_cgroup *p = (void *) (ev + sizeof(struct stk_event_header));
        p->id = id;
        p->hierarchy = cfg_hierarchy;
        p->level = BPF_CORE_READ(cg, level);
        put_kernel_str(ev, &end, &p->path, path, STK_PATH_MAX, &flags);
        ((struct stk_event_header *) ev)->flags = flags;
        submit(c, ev, end, STK_EV_CGROUP_MKDIR);
        return 0;
}

/* raw_tp/cgroup_rmdir(struct cgroup *cgrp, const char *path) */
PROG("raw_tp/cgroup_rmdir", stk_cgroup_rmdir) {
        struct cgroup *cg = (void *) ctx->args[0];

        if (BPF_CORE_READ(cg, root, hierarchy_id) != cfg_hierarchy)
                return 0;
        u64 id = BPF_CORE_READ(cg, kn, id);
        if (bpf_map_delete_elem(&watched_cgroups, &id) != 0)
                return 0;
        struct scratch *sc = get_scratch(SLOT_CGROUP);
        struct stk_counters *c = get_counters();
        if (!sc || !c)
                return 0;
        u8 *ev = sc->ev;
        u32 end = sizeof(struct stk_event_header) + sizeof(struct stk_cgroup);
        __builtin_memset(ev, 0, end);
        fill_header((void *) ev, STK_EV_CGROUP_RMDIR, STK_NO_SYSCALL, 0, current_cgroup_id(cur_task()),
                    cur_task());
        struct stk_cgroup *p = (void *) (ev + sizeof(struct stk_event_header));
        p->id = id;
        p->hierarchy = cfg_hierarchy;
        p->level = BPF_CORE_READ(cg, level);
        submit(c, ev, end, STK_EV_CGROUP_RMDIR);
        return 0;
}
