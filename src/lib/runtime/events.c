/* SPDX-License-Identifier: Apache-2.0 */
/* Sensor records → struct rt_event (checked, no trust in sizes or offsets), and rt_event → JSON. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "runtime-internal.h"
#include "../../bpf/sensor.h"

_Static_assert((int) RT_EV_EXEC == (int) STK_EV_EXEC && (int) RT_EV_BPF == (int) STK_EV_BPF &&
                       (int) RT_EV_CGROUP_RMDIR == (int) STK_EV_CGROUP_RMDIR &&
                       (int) _RT_EV_MAX == (int) STK_EV_MAX,
               "events.h and sensor.h number event types alike");
_Static_assert(sizeof(struct stk_event_header) == 72, "the header is 72 bytes");

static const char *const type_names[_RT_EV_MAX] = {
        [RT_EV_EXEC] = "exec",
        [RT_EV_FORK] = "fork",
        [RT_EV_EXIT] = "exit",
        [RT_EV_SETID] = "setid",
        [RT_EV_CAPSET] = "capset",
        [RT_EV_OPEN] = "open",
        [RT_EV_UNLINK] = "unlink",
        [RT_EV_RENAME] = "rename",
        [RT_EV_CHMOD] = "chmod",
        [RT_EV_CONNECT] = "connect",
        [RT_EV_ACCEPT] = "accept",
        [RT_EV_BIND] = "bind",
        [RT_EV_LISTEN] = "listen",
        [RT_EV_PTRACE] = "ptrace",
        [RT_EV_MOUNT] = "mount",
        [RT_EV_UMOUNT] = "umount",
        [RT_EV_UNSHARE] = "unshare",
        [RT_EV_SETNS] = "setns",
        [RT_EV_MODULE] = "module",
        [RT_EV_MEMFD] = "memfd",
        [RT_EV_BPF] = "bpf",
        [RT_EV_CGROUP_MKDIR] = "cgroup_mkdir",
        [RT_EV_CGROUP_RMDIR] = "cgroup_rmdir",
};

const char *rt_event_type_name(enum rt_event_type t) {
        return (unsigned) t < _RT_EV_MAX ? type_names[t] : NULL;
}

static const uint16_t payload_size[STK_EV_MAX] = {
        [STK_EV_EXEC] = sizeof(struct stk_exec),
        [STK_EV_FORK] = sizeof(struct stk_fork),
        [STK_EV_EXIT] = sizeof(struct stk_exit),
        [STK_EV_SETID] = sizeof(struct stk_setid),
        [STK_EV_CAPSET] = sizeof(struct stk_capset),
        [STK_EV_OPEN] = sizeof(struct stk_open),
        [STK_EV_UNLINK] = sizeof(struct stk_unlink),
        [STK_EV_RENAME] = sizeof(struct stk_rename),
        [STK_EV_CHMOD] = sizeof(struct stk_chmod),
        [STK_EV_CONNECT] = sizeof(struct stk_net),
        [STK_EV_ACCEPT] = sizeof(struct stk_net),
        [STK_EV_BIND] = sizeof(struct stk_net),
        [STK_EV_LISTEN] = sizeof(struct stk_net),
        [STK_EV_PTRACE] = sizeof(struct stk_ptrace),
        [STK_EV_MOUNT] = sizeof(struct stk_mount),
        [STK_EV_UMOUNT] = sizeof(struct stk_mount),
        [STK_EV_UNSHARE] = sizeof(struct stk_ns),
        [STK_EV_SETNS] = sizeof(struct stk_ns),
        [STK_EV_MODULE] = sizeof(struct stk_module),
        [STK_EV_MEMFD] = sizeof(struct stk_memfd),
        [STK_EV_BPF] = sizeof(struct stk_bpf),
        [STK_EV_CGROUP_MKDIR] = sizeof(struct stk_cgroup),
        [STK_EV_CGROUP_RMDIR] = sizeof(struct stk_cgroup),
};

/* A string of the record: inside it, after the header, and NUL-terminated where its length says. */
static int rec_str(const uint8_t *rec, size_t len, struct stk_str s, const char **ret) {
        if (s.off == 0) {
                *ret = NULL;
                return 0;
        }
        if (s.off < sizeof(struct stk_event_header) || (size_t) s.off + s.len >= len ||
            rec[s.off + s.len] != 0)
                return -EBADMSG;
        *ret = (const char *) rec + s.off;
        return 0;
}

#define STR(field, s)                                     \
        do {                                              \
                if (rec_str(rec, len, (s), &(field)) < 0) \
                        return -EBADMSG;                  \
        } while (0)

static void sockaddr_from(struct rt_sockaddr *out, const struct stk_sockaddr *in) {
        switch (in->family) {
        case STK_AF_INET: out->family = AF_INET; break;
        case STK_AF_INET6: out->family = AF_INET6; break;
        case STK_AF_UNIX: out->family = AF_UNIX; break;
        default: out->family = in->family; break;
        }
        out->port = ntohs(in->port);
        memcpy(out->addr, in->addr, sizeof(out->addr));
        out->scope_id = in->scope_id;
}

static unsigned open_access(uint64_t flags) {
        unsigned a = 0;
        if (flags & O_PATH)
                return RT_ACCESS_PATH;
        switch (flags & O_ACCMODE) {
        case O_RDONLY: a |= RT_ACCESS_READ; break;
        case O_WRONLY: a |= RT_ACCESS_WRITE; break;
        default: a |= RT_ACCESS_READ | RT_ACCESS_WRITE; break;
        }
        if ((flags & O_TMPFILE) == O_TMPFILE)
                a |= RT_ACCESS_TMPFILE;
        else if (flags & O_DIRECTORY)
                a |= RT_ACCESS_DIRECTORY;
        if (flags & O_CREAT)
                a |= RT_ACCESS_CREATE;
        if (flags & O_EXCL)
                a |= RT_ACCESS_EXCL;
        if (flags & O_TRUNC)
                a |= RT_ACCESS_TRUNC;
        if (flags & O_APPEND)
                a |= RT_ACCESS_APPEND;
        return a;
}

/* Splits NUL-separated arguments into sc->argv. */
static size_t split_args(const char *s, size_t n, struct rt_decode_scratch *sc, bool *truncated) {
        size_t argc = 0, i = 0;
        while (i < n) {
                if (argc == RT_ARGV_MAX) {
                        *truncated = true;
                        break;
                }
                sc->argv[argc++] = s + i;
                i += strnlen(s + i, n - i) + 1;
        }
        sc->argv[argc] = NULL;
        return argc;
}

int rt_event_decode(const void *data, size_t len, struct rt_event *ev, struct rt_decode_scratch *sc) {
        const uint8_t *rec = data;
        struct stk_event_header h;

        memset(ev, 0, sizeof(*ev));
        if (len < sizeof(h))
                return -EBADMSG;
        memcpy(&h, rec, sizeof(h));
        if (h.size != len || h.type == STK_EV_NONE || h.type >= STK_EV_MAX ||
            len < sizeof(h) + payload_size[h.type] || memchr(h.comm, 0, sizeof(h.comm)) == NULL)
                return -EBADMSG;
        const uint8_t *pl = rec + sizeof(h);

        ev->type = (enum rt_event_type) h.type;
        ev->boot_ns = h.ts;
        ev->compat = h.flags & STK_F_COMPAT;
        ev->truncated = h.flags & STK_F_TRUNCATED;
        ev->host = h.flags & STK_F_HOST;
        ev->syscall = h.syscall == STK_NO_SYSCALL ? -1 : h.syscall;
        ev->syscall_name = rt_syscall_name(ev->syscall, ev->compat);
        ev->cgroup_id = h.cgroup_id;
        ev->mnt_ns = h.mnt_ns;
        ev->pid_ns = h.pid_ns;
        ev->net_ns = h.net_ns;
        ev->proc.pid = h.tgid;
        ev->proc.tid = h.pid;
        ev->proc.ppid = h.ppid;
        ev->proc.uid = h.uid;
        ev->proc.gid = h.gid;
        ev->proc.comm = (const char *) rec + offsetof(struct stk_event_header, comm);

        switch (h.type) {
        case STK_EV_EXEC: {
                struct stk_exec p;
                const char *args;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.exec.euid = p.euid;
                ev->u.exec.egid = p.egid;
                ev->u.exec.ns_pid = p.ns_tgid;
                ev->u.exec.cap_effective = p.cap_effective;
                STR(ev->u.exec.filename, p.filename);
                STR(ev->u.exec.exe, p.exe);
                STR(ev->u.exec.interp, p.interp);
                STR(ev->u.exec.cwd, p.cwd);
                STR(ev->u.exec.parent_exe, p.parent_exe);
                STR(args, p.args);
                if (args) {
                        ev->u.exec.argc = split_args(args, p.args.len, sc, &ev->truncated);
                        ev->u.exec.argv = sc->argv;
                }
                break;
        }
        case STK_EV_FORK: {
                struct stk_fork p;
                memcpy(&p, pl, sizeof(p));
                ev->u.fork.child_pid = p.child_pid;
                ev->u.fork.child_ns_pid = p.child_ns_pid;
                break;
        }
        case STK_EV_EXIT: {
                struct stk_exit p;
                memcpy(&p, pl, sizeof(p));
                ev->u.exit.status = p.code;
                if ((p.code & 0x7f) == 0) {
                        ev->u.exit.code = (p.code >> 8) & 0xff;
                } else {
                        ev->u.exit.code = -1;
                        ev->u.exit.signal = p.code & 0x7f;
                        ev->u.exit.core_dumped = p.code & 0x80;
                }
                break;
        }
        case STK_EV_SETID: {
                struct stk_setid p;
                memcpy(&p, pl, sizeof(p));
                const struct rt_syscall_def *d = rt_syscall_find(ev->syscall, ev->compat);
                ev->result = p.result;
                ev->u.setid.n = d ? d->n_ids : 3;
                ev->u.setid.gid = d && d->gid;
                for (int i = 0; i < 3; i++) {
                        int32_t id = p.id[i];
                        if (d && d->id16)
                                id = (uint16_t) id == 0xffff ? -1 : (int32_t) (uint16_t) id;
                        ev->u.setid.id[i] = i < ev->u.setid.n ? id : -1;
                }
                break;
        }
        case STK_EV_CAPSET: {
                struct stk_capset p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.capset.target_pid = p.pid;
                ev->u.capset.version = p.version;
                ev->u.capset.effective = p.effective;
                ev->u.capset.permitted = p.permitted;
                ev->u.capset.inheritable = p.inheritable;
                break;
        }
        case STK_EV_OPEN: {
                struct stk_open p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.file.dirfd = p.dirfd;
                ev->u.file.new_dirfd = -1;
                ev->u.file.flags = p.flags;
                ev->u.file.access = open_access(p.flags);
                ev->u.file.mode = (uint32_t) p.mode;
                ev->u.file.resolve = p.resolve;
                STR(ev->u.file.path, p.path);
                STR(ev->u.file.full_path, p.full);
                break;
        }
        case STK_EV_UNLINK: {
                struct stk_unlink p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.file.dirfd = p.dirfd;
                ev->u.file.new_dirfd = -1;
                ev->u.file.flags = p.flags;
                STR(ev->u.file.path, p.path);
                break;
        }
        case STK_EV_RENAME: {
                struct stk_rename p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.file.dirfd = p.olddirfd;
                ev->u.file.new_dirfd = p.newdirfd;
                ev->u.file.flags = p.flags;
                STR(ev->u.file.path, p.oldpath);
                STR(ev->u.file.new_path, p.newpath);
                break;
        }
        case STK_EV_CHMOD: {
                struct stk_chmod p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.file.dirfd = p.dirfd;
                ev->u.file.new_dirfd = -1;
                ev->u.file.mode = p.mode;
                ev->u.file.flags = p.flags;
                STR(ev->u.file.path, p.path);
                break;
        }
        case STK_EV_CONNECT:
        case STK_EV_ACCEPT:
        case STK_EV_BIND:
        case STK_EV_LISTEN: {
                struct stk_net p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.net.fd = p.fd;
                ev->u.net.backlog = p.backlog;
                ev->u.net.sock_type = p.sock_type;
                ev->u.net.protocol = p.protocol;
                ev->u.net.flags = p.flags;
                sockaddr_from(&ev->u.net.local, &p.local);
                sockaddr_from(&ev->u.net.remote, &p.remote);
                STR(ev->u.net.unix_path, p.unix_path);
                break;
        }
        case STK_EV_PTRACE: {
                struct stk_ptrace p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.ptrace.request = p.request;
                ev->u.ptrace.target_pid = p.target_pid;
                break;
        }
        case STK_EV_MOUNT:
        case STK_EV_UMOUNT: {
                struct stk_mount p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.mount.flags = p.flags;
                STR(ev->u.mount.source, p.source);
                STR(ev->u.mount.target, p.target);
                STR(ev->u.mount.fstype, p.fstype);
                break;
        }
        case STK_EV_UNSHARE:
        case STK_EV_SETNS: {
                struct stk_ns p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.ns.flags = p.flags;
                ev->u.ns.fd = p.fd;
                STR(ev->u.ns.path, p.path);
                break;
        }
        case STK_EV_MODULE: {
                struct stk_module p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.module.len = p.len;
                ev->u.module.fd = p.fd;
                ev->u.module.flags = p.flags;
                STR(ev->u.module.path, p.path);
                STR(ev->u.module.params, p.params);
                break;
        }
        case STK_EV_MEMFD: {
                struct stk_memfd p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.memfd.flags = p.flags;
                STR(ev->u.memfd.name, p.name);
                break;
        }
        case STK_EV_BPF: {
                struct stk_bpf p;
                memcpy(&p, pl, sizeof(p));
                ev->result = p.result;
                ev->u.bpf.cmd = p.cmd;
                ev->u.bpf.prog_type = p.prog_type;
                break;
        }
        case STK_EV_CGROUP_MKDIR:
        case STK_EV_CGROUP_RMDIR: {
                struct stk_cgroup p;
                memcpy(&p, pl, sizeof(p));
                ev->u.cgroup.id = p.id;
                ev->u.cgroup.hierarchy = p.hierarchy;
                ev->u.cgroup.level = p.level;
                STR(ev->u.cgroup.path, p.path);
                break;
        }
        default: return -EBADMSG;
        }
        return 0;
}

/* ---- JSON ---- */

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
        unsigned char c = s[0];
        size_t k;
        uint32_t cp;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                k = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                k = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                k = 4, cp = c & 0x07;
        else
                return 0;
        if (k > n)
                return 0;
        for (size_t i = 1; i < k; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return k;
}

int rt_json_string(struct buf *out, const char *str, size_t len) {
        const unsigned char *s = (const unsigned char *) str;
        int r = buf_reserve(out, len + 2);
        if (r < 0)
                return r;
        if ((r = buf_append_char(out, '"')) < 0)
                return r;
        size_t i = 0;
        while (i < len) {
                size_t run = i;
                /* the common case: printable ASCII without quotes or backslashes, eight bytes at a
                 * time (a byte below 0x20 or from 0x80 up, '"' or '\\' sets its high bit in m) */
                while (run + 8 <= len) {
                        uint64_t x;
                        memcpy(&x, s + run, 8);
                        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
                        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
                        uint64_t m = (x & high) | ((x - ones * 0x20) & ~x & high) |
                                     ((q - ones) & ~q & high) | ((b - ones) & ~b & high);
                        if (m)
                                break;
                        run += 8;
                }
                while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
                        run++;
                if (run > i) {
                        if ((r = buf_append(out, s + i, run - i)) < 0)
                                return r;
                        i = run;
                        continue;
                }
                unsigned char c = s[i];
                if (c == '"' || c == '\\') {
                        char esc[2] = {'\\', (char) c};
                        r = buf_append(out, esc, 2);
                        i++;
                } else if (c < 0x20) {
                        switch (c) {
                        case '\n': r = buf_append_str(out, "\\n"); break;
                        case '\t': r = buf_append_str(out, "\\t"); break;
                        case '\r': r = buf_append_str(out, "\\r"); break;
                        default: r = buf_printf(out, "\\u%04x", c); break;
                        }
                        i++;
                } else {
                        size_t k = utf8_seq(s + i, len - i);
                        if (k == 0) {
                                r = buf_append_str(out, "\\ufffd");
                                i++;
                        } else {
                                r = buf_append(out, s + i, k);
                                i += k;
                        }
                }
                if (r < 0)
                        return r;
        }
        return buf_append_char(out, '"');
}

/* A tiny writer: each call appends `,"key":` (or `{` handling) and a value; errors stick in w->r. */
struct jw {
        struct buf *b;
        int r;
        bool first; /* no comma before the next member */
};

static void jw_raw(struct jw *w, const char *s) {
        if (w->r >= 0)
                w->r = buf_append_str(w->b, s);
}

static void jw_key(struct jw *w, const char *k) {
        size_t n = strlen(k);
        if (w->r < 0 || (w->r = buf_reserve(w->b, n + 4)) < 0)
                return;
        char *p = w->b->data + w->b->len;
        if (!w->first)
                *p++ = ',';
        w->first = false;
        *p++ = '"';
        memcpy(p, k, n);
        p += n;
        *p++ = '"';
        *p++ = ':';
        w->b->len = (size_t) (p - w->b->data);
        *p = 0;
}

/* Decimal digits of v, without printf (this runs for every field of every event). */
static void jw_u64(struct jw *w, uint64_t v, bool neg) {
        char t[24];
        size_t i = sizeof(t);
        do {
                t[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        if (neg)
                t[--i] = '-';
        if (w->r >= 0)
                w->r = buf_append(w->b, t + i, sizeof(t) - i);
}

static void jw_open(struct jw *w, const char *k) {
        if (k)
                jw_key(w, k);
        jw_raw(w, "{");
        w->first = true;
}

static void jw_close(struct jw *w) {
        jw_raw(w, "}");
        w->first = false;
}

static void jw_open_arr(struct jw *w, const char *k) {
        jw_key(w, k);
        jw_raw(w, "[");
        w->first = true;
}

static void jw_close_arr(struct jw *w) {
        jw_raw(w, "]");
        w->first = false;
}

/* An array element (string). */
static void jw_elem(struct jw *w, const char *s) {
        if (w->r < 0)
                return;
        if (!w->first)
                w->r = buf_append_char(w->b, ',');
        w->first = false;
        if (w->r >= 0)
                w->r = rt_json_string(w->b, s, strlen(s));
}

static void jw_str(struct jw *w, const char *k, const char *s) {
        if (!s)
                return;
        jw_key(w, k);
        if (w->r >= 0)
                w->r = rt_json_string(w->b, s, strlen(s));
}

static void jw_int(struct jw *w, const char *k, long long v) {
        jw_key(w, k);
        jw_u64(w, v < 0 ? -(uint64_t) v : (uint64_t) v, v < 0);
}

static void jw_uint(struct jw *w, const char *k, unsigned long long v) {
        jw_key(w, k);
        jw_u64(w, v, false);
}

static void jw_bool(struct jw *w, const char *k, bool v) {
        jw_key(w, k);
        jw_raw(w, v ? "true" : "false");
}

static void jw_hex(struct jw *w, const char *k, uint64_t v) {
        jw_key(w, k);
        if (w->r >= 0)
                w->r = buf_printf(w->b, "\"0x%" PRIx64 "\"", v);
}

static void jw_oct(struct jw *w, const char *k, uint32_t v) {
        jw_key(w, k);
        if (w->r >= 0)
                w->r = buf_printf(w->b, "\"0%o\"", v);
}

static void jw_argv(struct jw *w, const char *k, const char *const *argv) {
        if (!argv)
                return;
        jw_open_arr(w, k);
        for (size_t i = 0; argv[i]; i++)
                jw_elem(w, argv[i]);
        jw_close_arr(w);
}

/* RFC 3339 in UTC with nanoseconds; the part up to the seconds is formatted once per second. */
static void jw_time(struct jw *w, const char *k, uint64_t ns) {
        static _Thread_local time_t cached_sec = -1;
        static _Thread_local char prefix[80];
        time_t sec = (time_t) (ns / 1000000000u);
        char t[96];
        if (sec != cached_sec) {
                struct tm tm;
                if (!gmtime_r(&sec, &tm))
                        memset(&tm, 0, sizeof(tm));
                snprintf(prefix, sizeof(prefix), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
                cached_sec = sec;
        }
        uint32_t frac = (uint32_t) (ns % 1000000000u);
        size_t n = strlen(prefix);
        memcpy(t, prefix, n);
        t[n++] = '.';
        for (int i = 8; i >= 0; i--) {
                t[n + (size_t) i] = (char) ('0' + frac % 10);
                frac /= 10;
        }
        n += 9;
        t[n++] = 'Z';
        t[n] = 0;
        jw_str(w, k, t);
}

static const char *errno_name(int64_t result) {
        if (result >= 0 || result < -4095)
                return NULL;
        return strerrorname_np((int) -result);
}

static void jw_sockaddr(struct jw *w, const char *k, const struct rt_sockaddr *a) {
        char text[INET6_ADDRSTRLEN];
        if (a->family != AF_INET && a->family != AF_INET6)
                return;
        if (!inet_ntop(a->family, a->addr, text, sizeof(text)))
                return;
        jw_open(w, k);
        jw_str(w, "address", text);
        jw_uint(w, "port", a->port);
        if (a->scope_id)
                jw_uint(w, "scope_id", a->scope_id);
        jw_close(w);
}

static const char *family_name(int f) {
        switch (f) {
        case AF_INET: return "ipv4";
        case AF_INET6: return "ipv6";
        case AF_UNIX: return "unix";
        case AF_NETLINK: return "netlink";
        case AF_PACKET: return "packet";
        default: return NULL;
        }
}

static const char *socktype_name(int t) {
        switch (t) {
        case SOCK_STREAM: return "stream";
        case SOCK_DGRAM: return "dgram";
        case SOCK_RAW: return "raw";
        case SOCK_SEQPACKET: return "seqpacket";
        case SOCK_PACKET: return "packet";
        default: return NULL;
        }
}

static const char *proto_name(int p) {
        switch (p) {
        case IPPROTO_TCP: return "tcp";
        case IPPROTO_UDP: return "udp";
        case IPPROTO_ICMP: return "icmp";
        case IPPROTO_ICMPV6: return "icmpv6";
        case IPPROTO_SCTP: return "sctp";
        default: return NULL;
        }
}

static const char *ptrace_name(int64_t r) {
        static const struct {
                int64_t v;
                const char *n;
        } t[] = {
                {0, "PTRACE_TRACEME"},
                {1, "PTRACE_PEEKTEXT"},
                {2, "PTRACE_PEEKDATA"},
                {3, "PTRACE_PEEKUSER"},
                {4, "PTRACE_POKETEXT"},
                {5, "PTRACE_POKEDATA"},
                {6, "PTRACE_POKEUSER"},
                {7, "PTRACE_CONT"},
                {8, "PTRACE_KILL"},
                {9, "PTRACE_SINGLESTEP"},
                {12, "PTRACE_GETREGS"},
                {13, "PTRACE_SETREGS"},
                {16, "PTRACE_ATTACH"},
                {17, "PTRACE_DETACH"},
                {24, "PTRACE_SYSCALL"},
                {0x4200, "PTRACE_SETOPTIONS"},
                {0x4201, "PTRACE_GETEVENTMSG"},
                {0x4202, "PTRACE_GETSIGINFO"},
                {0x4204, "PTRACE_GETREGSET"},
                {0x4205, "PTRACE_SETREGSET"},
                {0x4206, "PTRACE_SEIZE"},
                {0x4207, "PTRACE_INTERRUPT"},
                {0x4208, "PTRACE_LISTEN"},
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (t[i].v == r)
                        return t[i].n;
        return NULL;
}

static const char *bpf_cmd_name(uint32_t c) {
        static const char *const t[] = {
                "map_create",        "map_lookup_elem",
                "map_update_elem",   "map_delete_elem",
                "map_get_next_key",  "prog_load",
                "obj_pin",           "obj_get",
                "prog_attach",       "prog_detach",
                "prog_test_run",     "prog_get_next_id",
                "map_get_next_id",   "prog_get_fd_by_id",
                "map_get_fd_by_id",  "obj_get_info_by_fd",
                "prog_query",        "raw_tracepoint_open",
                "btf_load",          "btf_get_fd_by_id",
                "task_fd_query",     "map_lookup_and_delete_elem",
                "map_freeze",        "btf_get_next_id",
                "map_lookup_batch",  "map_lookup_and_delete_batch",
                "map_update_batch",  "map_delete_batch",
                "link_create",       "link_update",
                "link_get_fd_by_id", "link_get_next_id",
                "enable_stats",      "iter_create",
                "link_detach",       "prog_bind_map",
                "token_create",
        };
        return c < ELEMENTSOF(t) ? t[c] : NULL;
}

static void jw_ns_flags(struct jw *w, const char *k, uint64_t f) {
        static const struct {
                uint64_t bit;
                const char *n;
        } t[] = {
                {CLONE_NEWNS, "mnt"},        {CLONE_NEWUTS, "uts"},
                {CLONE_NEWIPC, "ipc"},       {CLONE_NEWUSER, "user"},
                {CLONE_NEWPID, "pid"},       {CLONE_NEWNET, "net"},
                {CLONE_NEWCGROUP, "cgroup"}, {0x00000080 /* CLONE_NEWTIME */, "time"},
                {CLONE_FILES, "files"},      {CLONE_FS, "fs"},
                {CLONE_SYSVSEM, "sysvsem"},
        };
        jw_open_arr(w, k);
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (f & t[i].bit)
                        jw_elem(w, t[i].n);
        jw_close_arr(w);
}

static void jw_access(struct jw *w, unsigned a) {
        static const char *const n[] = {"read", "write",     "create",  "trunc", "append",
                                        "excl", "directory", "tmpfile", "path"};
        jw_open_arr(w, "access");
        for (size_t i = 0; i < ELEMENTSOF(n); i++)
                if (a & (1u << i))
                        jw_elem(w, n[i]);
        jw_close_arr(w);
}

static void jw_setid(struct jw *w, const struct rt_event *e) {
        static const char *const uid3[] = {"ruid", "euid", "suid"}, *const gid3[] = {"rgid", "egid", "sgid"};
        const char *const *names = e->u.setid.gid ? gid3 : uid3;
        jw_open(w, "setid");
        if (e->u.setid.n == 1)
                jw_int(w, e->u.setid.gid ? "gid" : "uid", e->u.setid.id[0]);
        else
                for (int i = 0; i < e->u.setid.n && i < 3; i++)
                        jw_int(w, names[i], e->u.setid.id[i]);
        jw_close(w);
}

int rt_event_to_json(const struct rt_event *e, const char *host, struct buf *out) {
        struct jw w = {.b = out, .first = true};
        const char *type = rt_event_type_name(e->type);

        jw_raw(&w, "{");
        jw_time(&w, "time", e->time_ns);
        jw_str(&w, "host", host);
        jw_str(&w, "type", type ? type : "unknown");
        if (e->syscall >= 0) {
                if (e->syscall_name)
                        jw_str(&w, "syscall", e->syscall_name);
                else
                        jw_int(&w, "syscall", e->syscall);
                if (e->compat)
                        jw_bool(&w, "compat", true);
        }
        if (e->syscall >= 0 || e->type == RT_EV_EXEC) {
                jw_int(&w, "result", e->result);
                jw_str(&w, "error", errno_name(e->result));
        }
        if (e->container) {
                const struct rt_container *c = e->container;
                jw_open(&w, "container");
                jw_str(&w, "id", c->id);
                jw_str(&w, "name", c->name);
                if (c->incomplete)
                        jw_bool(&w, "incomplete", true);
                jw_close(&w);
                if (c->image || c->image_id) {
                        jw_open(&w, "image");
                        jw_str(&w, "name", c->image);
                        jw_str(&w, "id", c->image_id);
                        jw_str(&w, "digest", c->image_digest);
                        jw_close(&w);
                }
        }
        jw_open(&w, "process");
        jw_uint(&w, "pid", e->proc.pid);
        jw_uint(&w, "tid", e->proc.tid);
        jw_uint(&w, "ppid", e->proc.ppid);
        jw_str(&w, "comm", e->proc.comm);
        jw_str(&w, "exe", e->proc.exe);
        jw_argv(&w, "cmdline", e->proc.argv);
        jw_uint(&w, "uid", e->proc.uid);
        jw_uint(&w, "gid", e->proc.gid);
        jw_close(&w);
        jw_open(&w, "namespaces");
        jw_uint(&w, "mnt", e->mnt_ns);
        jw_uint(&w, "pid", e->pid_ns);
        jw_uint(&w, "net", e->net_ns);
        jw_close(&w);
        jw_uint(&w, "cgroup_id", e->cgroup_id);

        switch (e->type) {
        case RT_EV_EXEC:
                jw_open(&w, "exec");
                jw_str(&w, "filename", e->u.exec.filename);
                jw_str(&w, "exe", e->u.exec.exe);
                jw_str(&w, "interp", e->u.exec.interp);
                jw_str(&w, "cwd", e->u.exec.cwd);
                jw_argv(&w, "args", e->u.exec.argv);
                jw_str(&w, "parent_exe", e->u.exec.parent_exe);
                if (e->result == 0) {
                        jw_uint(&w, "euid", e->u.exec.euid);
                        jw_uint(&w, "egid", e->u.exec.egid);
                        jw_hex(&w, "cap_effective", e->u.exec.cap_effective);
                        jw_uint(&w, "ns_pid", e->u.exec.ns_pid);
                }
                jw_close(&w);
                break;
        case RT_EV_FORK:
                jw_open(&w, "fork");
                jw_uint(&w, "child_pid", e->u.fork.child_pid);
                jw_uint(&w, "child_ns_pid", e->u.fork.child_ns_pid);
                jw_close(&w);
                break;
        case RT_EV_EXIT:
                jw_open(&w, "exit");
                if (e->u.exit.signal == 0)
                        jw_int(&w, "code", e->u.exit.code);
                else {
                        jw_int(&w, "signal", e->u.exit.signal);
                        if (e->u.exit.core_dumped)
                                jw_bool(&w, "core_dumped", true);
                }
                jw_close(&w);
                break;
        case RT_EV_SETID: jw_setid(&w, e); break;
        case RT_EV_CAPSET:
                jw_open(&w, "capset");
                jw_uint(&w, "target_pid", e->u.capset.target_pid);
                jw_hex(&w, "effective", e->u.capset.effective);
                jw_hex(&w, "permitted", e->u.capset.permitted);
                jw_hex(&w, "inheritable", e->u.capset.inheritable);
                jw_close(&w);
                break;
        case RT_EV_OPEN:
        case RT_EV_UNLINK:
        case RT_EV_RENAME:
        case RT_EV_CHMOD:
                jw_open(&w, "file");
                jw_str(&w, "path", e->u.file.path);
                jw_str(&w, "full_path", e->u.file.full_path);
                jw_str(&w, "new_path", e->u.file.new_path);
                if (e->u.file.dirfd != -100 &&
                    !(e->type == RT_EV_CHMOD && e->syscall_name && streq(e->syscall_name, "chmod")))
                        jw_int(&w, e->syscall_name && streq(e->syscall_name, "fchmod") ? "fd" : "dirfd",
                               e->u.file.dirfd);
                if (e->type == RT_EV_RENAME && e->u.file.new_dirfd != -100)
                        jw_int(&w, "new_dirfd", e->u.file.new_dirfd);
                if (e->type == RT_EV_OPEN) {
                        jw_access(&w, e->u.file.access);
                        jw_uint(&w, "flags", e->u.file.flags);
                        if (e->u.file.flags & O_CREAT)
                                jw_oct(&w, "mode", e->u.file.mode);
                        if (e->u.file.resolve)
                                jw_uint(&w, "resolve", e->u.file.resolve);
                } else if (e->type == RT_EV_CHMOD) {
                        jw_oct(&w, "mode", e->u.file.mode);
                        if (e->u.file.flags)
                                jw_uint(&w, "flags", e->u.file.flags);
                } else if (e->u.file.flags) {
                        jw_uint(&w, e->type == RT_EV_RENAME ? "rename_flags" : "flags", e->u.file.flags);
                }
                jw_close(&w);
                break;
        case RT_EV_CONNECT:
        case RT_EV_ACCEPT:
        case RT_EV_BIND:
        case RT_EV_LISTEN: {
                int fam = e->u.net.local.family ? e->u.net.local.family : e->u.net.remote.family;
                jw_open(&w, "network");
                if (family_name(fam))
                        jw_str(&w, "family", family_name(fam));
                else if (fam)
                        jw_int(&w, "family", fam);
                jw_str(&w, "socket", socktype_name(e->u.net.sock_type));
                jw_str(&w, "protocol", proto_name(e->u.net.protocol));
                jw_int(&w, "fd", e->u.net.fd);
                jw_sockaddr(&w, "local", &e->u.net.local);
                jw_sockaddr(&w, "remote", &e->u.net.remote);
                jw_str(&w, "unix_path", e->u.net.unix_path);
                if (e->type == RT_EV_LISTEN)
                        jw_int(&w, "backlog", e->u.net.backlog);
                if (e->u.net.flags)
                        jw_uint(&w, "flags", e->u.net.flags);
                jw_close(&w);
                break;
        }
        case RT_EV_PTRACE:
                jw_open(&w, "ptrace");
                if (ptrace_name(e->u.ptrace.request))
                        jw_str(&w, "request", ptrace_name(e->u.ptrace.request));
                else
                        jw_int(&w, "request", e->u.ptrace.request);
                jw_uint(&w, "target_pid", e->u.ptrace.target_pid);
                jw_close(&w);
                break;
        case RT_EV_MOUNT:
        case RT_EV_UMOUNT:
                jw_open(&w, "mount");
                jw_str(&w, "source", e->u.mount.source);
                jw_str(&w, "target", e->u.mount.target);
                jw_str(&w, "fstype", e->u.mount.fstype);
                jw_uint(&w, "flags", e->u.mount.flags);
                jw_close(&w);
                break;
        case RT_EV_UNSHARE:
        case RT_EV_SETNS:
                jw_open(&w, "namespace");
                jw_ns_flags(&w, "flags", e->u.ns.flags);
                if (e->type == RT_EV_SETNS)
                        jw_int(&w, "fd", e->u.ns.fd);
                jw_str(&w, "path", e->u.ns.path);
                jw_close(&w);
                break;
        case RT_EV_MODULE:
                jw_open(&w, "module");
                jw_str(&w, "path", e->u.module.path);
                if (e->u.module.fd >= 0)
                        jw_int(&w, "fd", e->u.module.fd);
                else
                        jw_uint(&w, "size", e->u.module.len);
                jw_str(&w, "params", e->u.module.params);
                jw_close(&w);
                break;
        case RT_EV_MEMFD:
                jw_open(&w, "memfd");
                jw_str(&w, "name", e->u.memfd.name);
                jw_uint(&w, "flags", e->u.memfd.flags);
                jw_close(&w);
                break;
        case RT_EV_BPF:
                jw_open(&w, "bpf");
                if (bpf_cmd_name(e->u.bpf.cmd))
                        jw_str(&w, "cmd", bpf_cmd_name(e->u.bpf.cmd));
                else
                        jw_uint(&w, "cmd", e->u.bpf.cmd);
                if (e->u.bpf.cmd == 5)
                        jw_uint(&w, "prog_type", e->u.bpf.prog_type);
                jw_close(&w);
                break;
        case RT_EV_CGROUP_MKDIR:
        case RT_EV_CGROUP_RMDIR:
                jw_open(&w, "cgroup");
                jw_uint(&w, "id", e->u.cgroup.id);
                jw_str(&w, "path", e->u.cgroup.path);
                jw_close(&w);
                break;
        default: break;
        }
        if (e->truncated)
                jw_bool(&w, "truncated", true);
        if (e->host)
                jw_bool(&w, "on_host", true);
        jw_raw(&w, "}\n");
        return w.r;
}
