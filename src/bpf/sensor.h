/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The ABI between the eBPF sensor (sensor.bpf.c) and user space (lib/runtime/sensor.c): the records the
 * kernel writes into the ring buffer, the maps user space fills, and the counters it reads.
 *
 * A record is a fixed header, a fixed per-type payload, then a string area: each string the payload
 * names with a struct stk_str is stored there NUL-terminated, its length bounded by the STK_*_MAX below.
 * Records are variable-sized (header.size) so a 20-byte path does not cost a 2 KiB slot in the ring.
 * Everything is fixed-width and naturally aligned; multi-byte fields are in host byte order except the
 * ports and addresses of struct stk_sockaddr, which are in network order as the kernel keeps them.
 *
 * Change a layout only together with STK_ABI_VERSION: user space refuses records of another version. */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define STK_ABI_VERSION 1

#define STK_COMM_LEN   16
#define STK_PATH_MAX   2048  /* paths, with the NUL; longer ones are cut and flagged */
#define STK_ARGS_MAX   4096  /* argv of an exec, NUL-separated, with the last NUL */
#define STK_NAME_MAX   256   /* memfd names, filesystem types, mount sources */
#define STK_UNIX_MAX   108   /* sun_path of a unix socket address */
#define STK_EVENT_MAX  16384 /* the largest record (an exec with every string at its bound fits) */
#define STK_PATH_DEPTH 32    /* path components walked in the kernel (cwd, exe, fd paths) */

#define STK_NO_SYSCALL 0xffff

enum stk_event_type {
        STK_EV_NONE = 0,
        STK_EV_EXEC,    /* sched_process_exec, or a failed execve/execveat (result < 0) */
        STK_EV_FORK,    /* a new process (not a thread) */
        STK_EV_EXIT,    /* the last thread of a process exited */
        STK_EV_SETID,   /* setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid, setfsgid */
        STK_EV_CAPSET,  /* capset */
        STK_EV_OPEN,    /* open, openat, openat2, creat */
        STK_EV_UNLINK,  /* unlink, unlinkat, rmdir */
        STK_EV_RENAME,  /* rename, renameat, renameat2 */
        STK_EV_CHMOD,   /* chmod, fchmod, fchmodat, fchmodat2 */
        STK_EV_CONNECT, /* connect */
        STK_EV_ACCEPT,  /* accept, accept4 */
        STK_EV_BIND,    /* bind */
        STK_EV_LISTEN,  /* listen */
        STK_EV_PTRACE,  /* ptrace */
        STK_EV_MOUNT,   /* mount */
        STK_EV_UMOUNT,  /* umount2 */
        STK_EV_UNSHARE, /* unshare */
        STK_EV_SETNS,   /* setns */
        STK_EV_MODULE,  /* init_module, finit_module */
        STK_EV_MEMFD,   /* memfd_create */
        STK_EV_BPF,     /* bpf */
        /* Not activity of a process: the sensor's view of cgroups, for the container resolver. */
        STK_EV_CGROUP_MKDIR,
        STK_EV_CGROUP_RMDIR,
        STK_EV_MAX,
};

/* header.flags */
#define STK_F_TRUNCATED 0x0001 /* a string was cut at its bound (or a path walk at STK_PATH_DEPTH) */
#define STK_F_COMPAT    0x0002 /* a 32-bit (ia32) syscall; header.syscall is an ia32 number */
#define STK_F_HOST      0x0004 /* recorded only because host activity is included */

struct stk_event_header {
        __u16 type;      /* enum stk_event_type */
        __u16 size;      /* bytes of the whole record, header included */
        __u16 syscall;   /* syscall number, STK_NO_SYSCALL for scheduler and cgroup events */
        __u16 flags;     /* STK_F_* */
        __u64 ts;        /* CLOCK_BOOTTIME, ns */
        __u64 cgroup_id; /* inode of the task's cgroup directory (v2, or the configured v1 hierarchy) */
        __u32 pid;       /* thread id, host pid namespace */
        __u32 tgid;      /* process id, host pid namespace */
        __u32 ppid;      /* real parent's process id */
        __u32 uid;       /* real uid and gid, as the kernel sees them (not mapped into a user namespace) */
        __u32 gid;
        __u32 mnt_ns; /* namespace inode numbers */
        __u32 pid_ns;
        __u32 net_ns;
        char comm[STK_COMM_LEN];
};

/* A string in the record's string area: offset from the start of the record, length without the NUL.
 * off == 0 means absent. */
struct stk_str {
        __u16 off;
        __u16 len;
};

#define STK_AF_UNSPEC 0
#define STK_AF_UNIX   1
#define STK_AF_INET   2
#define STK_AF_INET6  10

struct stk_sockaddr {
        __u16 family; /* STK_AF_*, or another AF_* number (then nothing else is filled) */
        __u16 port;   /* network byte order */
        __u32 scope_id;
        __u8 addr[16]; /* IPv4 in the first 4 bytes; network byte order */
};

struct stk_exec {
        __s32 result;     /* 0, or -errno of a failed execve (then only filename is filled) */
        __u32 ns_tgid;    /* process id inside its pid namespace */
        __u32 euid, egid; /* effective ids after the exec (setuid binaries) */
        __u32 args_size;  /* bytes of argv the process has (more than args.len + 1 when cut) */
        __u32 pad;
        __u64 cap_effective;
        struct stk_str filename; /* as passed to execve */
        struct stk_str exe;      /* the executable's path, walked from the kernel's file */
        struct stk_str interp;   /* the interpreter for scripts (binfmt), when not the filename */
        struct stk_str args;     /* NUL-separated argv */
        struct stk_str cwd;
        struct stk_str parent_exe; /* the real parent's executable path */
};

struct stk_fork {
        __u32 child_pid;    /* host pid namespace */
        __u32 child_ns_pid; /* inside the child's pid namespace */
        __u64 clone_flags;  /* unknown (0) from sched_process_fork */
};

struct stk_exit {
        __s32 code; /* the wait status: exit code << 8, or the terminating signal */
        __u32 pad;
};

/* header.syscall says which of setuid… it was; unused ids are -1. */
struct stk_setid {
        __s64 result;
        __s32 id[3]; /* setuid(id0); setreuid(id0, id1); setresuid(id0, id1, id2) — uids or gids */
        __u32 pad;
};

struct stk_capset {
        __s64 result;
        __u32 pid; /* target pid as passed (0: self) */
        __u32 version;
        __u64 effective, permitted, inheritable; /* the first two 32-bit words of each set */
};

/* open flags in the kernel's O_* encoding; user space decodes read/write/create/trunc. */
struct stk_open {
        __s64 result; /* fd or -errno */
        __s32 dirfd;  /* AT_FDCWD (-100) for paths relative to the working directory */
        __u32 pad;
        __u64 flags;
        __u64 mode;
        __u64 resolve;       /* openat2 RESOLVE_* */
        struct stk_str path; /* as passed */
        struct stk_str full; /* walked from the opened file when path was relative (result >= 0) */
};

struct stk_unlink {
        __s64 result;
        __s32 dirfd;
        __u32 flags; /* AT_REMOVEDIR for rmdir and unlinkat(…, AT_REMOVEDIR) */
        struct stk_str path;
        __u32 pad;
};

struct stk_rename {
        __s64 result;
        __s32 olddirfd, newdirfd;
        __u32 flags; /* renameat2 RENAME_* */
        struct stk_str oldpath, newpath;
        __u32 pad;
};

struct stk_chmod {
        __s64 result;
        __s32 dirfd; /* for fchmod: the fd; path then is the walked path of that fd */
        __u32 mode;
        __u32 flags;
        struct stk_str path;
};

/* connect, accept, bind, listen. For accept the remote address is the peer; for connect the local
 * address is the socket's after the call (an ephemeral port once connected). */
struct stk_net {
        __s64 result;
        __s32 fd;        /* the socket (for accept: the listening socket) */
        __s32 backlog;   /* listen */
        __u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM … (0 when unknown) */
        __u16 protocol;  /* IPPROTO_* (0 when unknown) */
        __u32 flags;     /* accept4 flags */
        struct stk_sockaddr local;
        struct stk_sockaddr remote;
        struct stk_str unix_path; /* sun_path (abstract names start with '@') */
        __u32 pad;
};

struct stk_ptrace {
        __s64 result;
        __s64 request;
        __u32 target_pid; /* as passed (the tracer's pid namespace) */
        __u32 pad;
};

struct stk_mount {
        __s64 result;
        __u64 flags;
        struct stk_str source, target, fstype;
        __u32 pad;
};

struct stk_ns {
        __s64 result;
        __u64 flags; /* unshare CLONE_* flags; setns nstype */
        __s32 fd;    /* setns */
        __u32 pad;
        struct stk_str path; /* setns: the walked path of fd (/proc/N/ns/net …) */
        __u32 pad2;
};

struct stk_module {
        __s64 result;
        __u64 len; /* init_module image length */
        __s32 fd;  /* finit_module */
        __u32 flags;
        struct stk_str path; /* finit_module: the module file */
        struct stk_str params;
};

struct stk_memfd {
        __s64 result;
        __u32 flags;
        struct stk_str name;
};

struct stk_bpf {
        __s64 result;
        __u32 cmd;
        __u32 prog_type; /* BPF_PROG_LOAD */
};

struct stk_cgroup {
        __u64 id;
        __s32 hierarchy; /* hierarchy id (0: the v2 unified hierarchy) */
        __s32 level;
        struct stk_str path; /* relative to the hierarchy's root: "/docker/<id>" */
        __u32 pad;
};

/* The watched_cgroups map's value. */
struct stk_cgroup_info {
        __u64 flags; /* STK_CG_* */
};
#define STK_CG_CONTAINER 0x1 /* matched the container rule (at mkdir or in user space's first scan) */
#define STK_CG_USER      0x2 /* added by user space */

/* The counters map: one per CPU; user space sums them. */
struct stk_counters {
        __u64 events[STK_EV_MAX]; /* records written */
        __u64 drops[STK_EV_MAX];  /* records lost because the ring buffer was full */
        __u64 errors;             /* records not built (a failed read of kernel memory) */
        __u64 cgroup_full;        /* watched_cgroups was full at a cgroup_mkdir */
        __u64 open_repeats;       /* opens not recorded: the same process image opened the same file
                                   * with the same flags less than cfg_repeat_ns before */
};

/* Sizes of the maps, shared so the loader can report them. */
#define STK_WATCHED_CGROUPS_MAX 16384
#define STK_SYSCALL_TABLE_MAX   512
#define STK_OPEN_REPEAT_MAX     16384 /* files remembered for open_repeats (split among the CPUs) */
