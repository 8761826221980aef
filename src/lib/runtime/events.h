/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The runtime event model: what a process in a container did, decoded from the sensor's records, with
 * the process and the container it belongs to attached. This is what behaviour models, detectors and
 * responders consume (through monitor.h), and what `stockade agent --events` prints as JSON lines.
 *
 * Ownership: an rt_event and every string and vector it points to belong to the code that delivers it
 * (the monitor) and are valid only during the callback; copy what must outlive it. The container is a
 * reference-counted, immutable snapshot: take rt_container_ref() to keep it.
 *
 * JSON vocabulary (one object per line; absent values are omitted, never null):
 *   time         RFC 3339 UTC with nanoseconds        host       the agent's host name
 *   type         exec fork exit setid capset open unlink rename chmod connect accept bind listen
 *                ptrace mount umount unshare setns module memfd bpf
 *   syscall      the syscall's name ("openat"), absent for exec/fork/exit from the scheduler
 *   result       the syscall's return value: >= 0, or a negative errno; error: "EACCES" beside it
 *   container    {id, name, incomplete: true when the engine did not describe it (only the id)}
 *   image        {name (as the container was created: "nginx:1.25"), id ("sha256:…"), digest (first
 *                repo digest "repo@sha256:…")}   (container and image are absent for host activity)
 *   process      {pid, tid, ppid, comm, exe, cmdline: [argv…], uid, gid}  (the alerts' vocabulary:
 *                docs/runtime.md; uid/gid are the kernel's, user names are not resolved here)
 *   namespaces   {mnt, pid, net}  (inode numbers)           cgroup_id
 *   exec         {filename, exe, interp, cwd, args: [..], parent_exe, euid, egid, cap_effective, ns_pid}
 *   fork         {child_pid, child_ns_pid}                  exit {code, signal, core_dumped}
 *   setid        {uid|gid|ruid/euid/suid|…}  (by syscall)   capset {target_pid, effective, permitted,
 *                                                                   inheritable} (hex strings)
 *   file         {path, full_path, dirfd, access: [read, write, create, trunc, append, …], flags, mode,
 *                 new_path (rename), rename_flags}
 *   network      {family: ipv4|ipv6|unix|<n>, socket: stream|dgram|…, protocol: tcp|udp|<n>,
 *                 local: {address, port}, remote: {address, port}, unix_path, backlog, fd}
 *   ptrace       {request: "PTRACE_ATTACH"|<n>, target_pid}
 *   mount        {source, target, fstype, flags}            namespace {flags: [mnt, pid, …], fd, path}
 *   module       {path, fd, size, params}                   memfd {name, flags}   bpf {cmd, prog_type}
 *   truncated    true when a string or path was cut at its bound
 *   on_host      true for host activity recorded because of --host (no container)
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* The same numbers as the sensor's ABI (src/bpf/sensor.h), checked at build time. */
enum rt_event_type {
        RT_EV_NONE = 0,
        RT_EV_EXEC,
        RT_EV_FORK,
        RT_EV_EXIT,
        RT_EV_SETID,
        RT_EV_CAPSET,
        RT_EV_OPEN,
        RT_EV_UNLINK,
        RT_EV_RENAME,
        RT_EV_CHMOD,
        RT_EV_CONNECT,
        RT_EV_ACCEPT,
        RT_EV_BIND,
        RT_EV_LISTEN,
        RT_EV_PTRACE,
        RT_EV_MOUNT,
        RT_EV_UMOUNT,
        RT_EV_UNSHARE,
        RT_EV_SETNS,
        RT_EV_MODULE,
        RT_EV_MEMFD,
        RT_EV_BPF,
        RT_EV_CGROUP_MKDIR, /* internal: consumed by the monitor, never delivered */
        RT_EV_CGROUP_RMDIR,
        _RT_EV_MAX,
};

/* "exec", "open", …; NULL when out of range. */
const char *rt_event_type_name(enum rt_event_type t);

/* A container as the engine described it. Immutable once published; freed with its last reference. */
struct rt_container {
        char id[65];        /* 64 hex digits */
        char *name;         /* without Docker's leading '/'; NULL when the engine did not say */
        char *image;        /* as the container was created: "busybox:1.36" */
        char *image_id;     /* "sha256:…" (the image config's digest) */
        char *image_digest; /* first repo digest, "repo@sha256:…"; NULL for images never pushed/pulled */
        char **labels;      /* key, value, key, value, …, NULL */
        size_t n_labels;    /* pairs */
        uint32_t pid;       /* the container's init process (host pid namespace), 0 when unknown */
        bool incomplete;    /* only the id is known (the engine did not answer, or the container was
                             * already gone when asked) */
        atomic_uint refs;
};

struct rt_container *rt_container_ref(struct rt_container *c);
void rt_container_unref(struct rt_container *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rt_container *, rt_container_unref);
/* The label's value or NULL. */
const char *rt_container_label(const struct rt_container *c, const char *key);

struct rt_process {
        uint32_t pid; /* process id (tgid), host pid namespace */
        uint32_t tid; /* thread id */
        uint32_t ppid;
        uint32_t uid, gid; /* real ids, kernel view */
        const char *comm;
        const char *exe;         /* from the last exec the agent saw, else /proc; NULL when unknown */
        const char *const *argv; /* NULL-terminated; NULL when unknown */
};

/* File access decoded from open flags. */
enum {
        RT_ACCESS_READ = 1 << 0,
        RT_ACCESS_WRITE = 1 << 1,
        RT_ACCESS_CREATE = 1 << 2,
        RT_ACCESS_TRUNC = 1 << 3,
        RT_ACCESS_APPEND = 1 << 4,
        RT_ACCESS_EXCL = 1 << 5,
        RT_ACCESS_DIRECTORY = 1 << 6,
        RT_ACCESS_TMPFILE = 1 << 7,
        RT_ACCESS_PATH = 1 << 8, /* O_PATH: no access to the contents */
};

struct rt_sockaddr {
        int family;    /* AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC (unknown), or another AF_* */
        uint16_t port; /* host byte order */
        uint8_t addr[16];
        uint32_t scope_id;
};

struct rt_event {
        enum rt_event_type type;
        uint64_t boot_ns; /* CLOCK_BOOTTIME of the kernel's record */
        uint64_t time_ns; /* the same instant on CLOCK_REALTIME (ns since the epoch) */
        int syscall;      /* number (see compat), -1 for scheduler events */
        const char *syscall_name;
        bool compat; /* a 32-bit syscall */
        bool truncated;
        bool host;      /* recorded only because host activity is included */
        int64_t result; /* syscall result: >= 0, or -errno; 0 for scheduler events */
        uint64_t cgroup_id;
        uint32_t mnt_ns, pid_ns, net_ns;
        struct rt_process proc;
        struct rt_container *container; /* NULL: not in a container */

        union {
                struct {
                        const char *filename, *exe, *interp, *cwd, *parent_exe;
                        const char *const *argv; /* NULL-terminated */
                        size_t argc;
                        uint32_t euid, egid, ns_pid;
                        uint64_t cap_effective;
                } exec;
                struct {
                        uint32_t child_pid, child_ns_pid;
                } fork;
                struct {
                        int status; /* wait status */
                        int code;   /* exit code, or -1 when killed */
                        int signal; /* 0 unless killed */
                        bool core_dumped;
                } exit;
                struct {
                        int32_t id[3];
                        int n;    /* how many of id[] the syscall takes */
                        bool gid; /* the ids are group ids */
                } setid;
                struct {
                        uint32_t target_pid, version;
                        uint64_t effective, permitted, inheritable;
                } capset;
                struct {
                        const char *path;      /* as passed (fchmod: the fd's walked path) */
                        const char *full_path; /* open of a relative path: the file's walked path */
                        const char *new_path;  /* rename */
                        int dirfd, new_dirfd;  /* AT_FDCWD = -100; fchmod: the fd */
                        uint64_t flags;        /* open: O_*; unlink: AT_*; rename: RENAME_*; chmod: AT_* */
                        unsigned access;       /* RT_ACCESS_* (open) */
                        uint32_t mode;
                        uint64_t resolve; /* openat2 RESOLVE_* */
                } file;
                struct {
                        int fd, backlog;
                        int sock_type, protocol;
                        uint32_t flags;
                        struct rt_sockaddr local, remote;
                        const char *unix_path; /* abstract names start with '@' */
                } net;
                struct {
                        int64_t request;
                        uint32_t target_pid;
                } ptrace;
                struct {
                        const char *source, *target, *fstype;
                        uint64_t flags;
                } mount;
                struct {
                        uint64_t flags; /* CLONE_NEW* */
                        int fd;
                        const char *path;
                } ns;
                struct {
                        uint64_t len;
                        int fd;
                        uint32_t flags;
                        const char *path, *params;
                } module;
                struct {
                        const char *name;
                        uint32_t flags;
                } memfd;
                struct {
                        uint32_t cmd, prog_type;
                } bpf;
                struct {
                        uint64_t id;
                        int hierarchy, level;
                        const char *path;
                } cgroup;
        } u;
};

/* Room the decoder needs besides the record: argv vectors. */
#define RT_ARGV_MAX 256
struct rt_decode_scratch {
        const char *argv[RT_ARGV_MAX + 1];
};

/* Decodes one sensor record (len bytes, as the ring buffer delivered it) into ev, whose strings then
 * point into rec and sc. Checks everything: sizes, type, every string's bounds and terminator. Fills
 * the fields the record has; proc.exe/argv, container and time_ns are the monitor's to fill.
 * Returns 0 or -EBADMSG. Pure; thread-safe. */
int rt_event_decode(const void *rec, size_t len, struct rt_event *ev, struct rt_decode_scratch *sc);

/* The syscall's name ("openat"); compat selects the ia32 table. NULL for syscalls the sensor does
 * not watch. */
const char *rt_syscall_name(int nr, bool compat);

/* Appends e as one JSON line (with its newline) to out. host may be NULL. Returns 0 or -ENOMEM/-E2BIG. */
int rt_event_to_json(const struct rt_event *e, const char *host, struct buf *out);

/* Appends s as a JSON string (quoted): invalid UTF-8 becomes U+FFFD. Exposed for other writers. */
int rt_json_string(struct buf *out, const char *s, size_t len);
