/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in detectors (detect.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashmap.h"
#include "runtime-internal.h"
#include "runtime/detect.h"

#define PROCS_MAX      65536
#define CONTAINERS_MAX 4096
#define MOUNTINFO_MAX  (1u << 20)

struct proc_state {
        bool server;    /* listened or accepted, or forked by such a process, since its last exec */
        bool connected; /* connected a socket to a peer, or forked by such a process */
};

struct upper_entry {
        char id[65]; /* the map's key */
        char dir[];  /* "" when the container has no writable layer we can see */
};

struct detector {
        const struct rt_rules *rules;
        struct detect_probe probe;
        struct u64map procs;
        struct hashmap *upper; /* container id → struct upper_entry */
        struct detect_stats stats;
};

bool detect_glob(const char *pattern, const char *s) {
        return fnmatch(pattern, s, 0) == 0;
}

static const char *base_name(const char *p) {
        const char *s = p ? strrchr(p, '/') : NULL;
        return s ? s + 1 : p;
}

/* ---- the /proc probes ---- */

int detect_proc_fd_is_socket(uint32_t pid, int fd) {
        char path[64], target[128];
        snprintf(path, sizeof path, "/proc/%u/fd/%d", pid, fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0) {
                snprintf(path, sizeof path, "/proc/%u", pid);
                return access(path, F_OK) == 0 ? 0 : -1; /* a closed fd, or a process that is gone */
        }
        target[n] = 0;
        return strneq(target, "socket:[", 8);
}

static int probe_fd_is_socket(void *userdata, uint32_t pid, int fd) {
        (void) userdata;
        return detect_proc_fd_is_socket(pid, fd);
}

/* Undoes mountinfo's octal escapes (\040 for a space, \054 for a comma…) in place. */
static void unescape(char *s) {
        char *o = s;
        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = 0;
}

int detect_mountinfo_upperdir(const char *mountinfo, char *out, size_t outlen) {
        const char *line = mountinfo;
        while (line && *line) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t) (nl - line) : strlen(line);
                char buf[8192];
                if (len < sizeof buf) {
                        memcpy(buf, line, len);
                        buf[len] = 0;
                        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER */
                        char *f[6], *save = NULL, *t = strtok_r(buf, " ", &save);
                        int i = 0;
                        for (; t && i < 6; t = strtok_r(NULL, " ", &save))
                                f[i++] = t;
                        char *sep = NULL;
                        if (i == 6 && streq(f[4], "/"))
                                for (; t; t = strtok_r(NULL, " ", &save))
                                        if (streq(t, "-")) {
                                                sep = t;
                                                break;
                                        }
                        char *fstype = sep ? strtok_r(NULL, " ", &save) : NULL;
                        char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
                        char *super = source ? strtok_r(NULL, " ", &save) : NULL;
                        if (super && streq(fstype, "overlay")) {
                                char *o, *s2 = NULL;
                                for (o = strtok_r(super, ",", &s2); o; o = strtok_r(NULL, ",", &s2))
                                        if (strneq(o, "upperdir=", 9)) {
                                                unescape(o + 9);
                                                if (o[9] != '/' || strlen(o + 9) >= outlen)
                                                        return -EINVAL;
                                                snprintf(out, outlen, "%s", o + 9);
                                                return 0;
                                        }
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

static int read_small(const char *path, size_t max, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct buf b = BUF_INIT(max);
        char chunk[8192];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (buf_append(&b, chunk, (size_t) n) < 0)
                        break; /* over the cap: what was read is enough to try */
        }
        if (!b.data && buf_append_str(&b, "") < 0)
                return -ENOMEM;
        *ret = buf_steal(&b);
        return 0;
}

static const char *container_upperdir(struct detector *d, const struct rt_event *ev) {
        const char *id = ev->container->id;
        const struct upper_entry *u = hashmap_get(d->upper, id);
        if (u)
                return u->dir;
        char path[64], dir[4096] = "";
        _cleanup_free_ char *mi = NULL;
        snprintf(path, sizeof path, "/proc/%u/mountinfo", ev->proc.pid);
        if (read_small(path, MOUNTINFO_MAX, &mi) < 0)
                return NULL; /* gone already: try again with its next process */
        (void) detect_mountinfo_upperdir(mi, dir, sizeof dir);
        if (hashmap_size(d->upper) >= CONTAINERS_MAX) {
                size_t i = 0;
                const char *k;
                void *v;
                while (hashmap_next(d->upper, &i, &k, &v))
                        free(v);
                hashmap_clear(d->upper);
        }
        size_t len = strlen(dir);
        struct upper_entry *e = malloc(sizeof *e + len + 1);
        if (!e)
                return NULL;
        snprintf(e->id, sizeof e->id, "%s", id);
        memcpy(e->dir, dir, len + 1);
        if (hashmap_put(d->upper, e->id, e, NULL) < 0) {
                free(e);
                return NULL;
        }
        return e->dir;
}

static bool probe_in_writable_layer(void *userdata, const struct rt_event *ev, const char *path) {
        struct detector *d = userdata;
        if (!ev->container || !path || path[0] != '/')
                return false;
        const char *upper = container_upperdir(d, ev);
        if (!upper || !*upper)
                return false;
        char full[8192];
        struct stat st;
        if ((size_t) snprintf(full, sizeof full, "%s%s", upper, path) >= sizeof full)
                return false;
        /* a whiteout (character device 0:0) is a deleted file, an opaque directory is not a program */
        return lstat(full, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- life cycle ---- */

int detect_new(const struct rt_rules *rules, const struct detect_probe *probe, struct detector **ret) {
        struct detector *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->rules = rules;
        d->upper = hashmap_new();
        if (!d->upper) {
                free(d);
                return -ENOMEM;
        }
        if (probe)
                d->probe = *probe;
        else
                d->probe = (struct detect_probe){.fd_is_socket = probe_fd_is_socket,
                                                 .in_writable_layer = probe_in_writable_layer,
                                                 .userdata = d};
        *ret = d;
        return 0;
}

void detect_free(struct detector *d) {
        if (!d)
                return;
        size_t i = 0;
        uint64_t k;
        void *v;
        while (u64map_next(&d->procs, &i, &k, &v))
                free(v);
        u64map_free(&d->procs);
        i = 0;
        const char *key;
        while (hashmap_next(d->upper, &i, &key, &v))
                free(v);
        hashmap_free(d->upper);
        free(d);
}

void detect_forget_container(struct detector *d, const char *container_id) {
        free(hashmap_remove(d->upper, container_id));
}

void detect_get_stats(const struct detector *d, struct detect_stats *ret) {
        *ret = d->stats;
        ret->processes = d->procs.n;
}

/* ---- the process table ---- */

static struct proc_state *proc_get(struct detector *d, uint32_t pid, bool create) {
        struct proc_state *p = u64map_get(&d->procs, pid);
        if (p || !create || d->procs.n >= PROCS_MAX)
                return p;
        p = calloc(1, sizeof *p);
        if (!p || u64map_put(&d->procs, pid, p) < 0) {
                free(p);
                return NULL;
        }
        return p;
}

static void proc_drop(struct detector *d, uint32_t pid) {
        free(u64map_remove(&d->procs, pid));
}

/* Keeps the table in step with the process's life; runs after the rules looked at the event. */
static void track(struct detector *d, const struct rt_event *ev) {
        struct proc_state *p;
        switch (ev->type) {
        case RT_EV_FORK:
                p = proc_get(d, ev->proc.pid, false);
                if (p && (p->server || p->connected)) {
                        struct proc_state *c = proc_get(d, ev->u.fork.child_pid, true);
                        if (c) {
                                c->server = p->server;
                                c->connected = p->connected;
                        }
                }
                break;
        case RT_EV_LISTEN:
        case RT_EV_ACCEPT:
                if (ev->result >= 0 && (p = proc_get(d, ev->proc.pid, true)))
                        p->server = true;
                break;
        case RT_EV_CONNECT:
                if ((ev->result == 0 || ev->result == -EINPROGRESS) &&
                    (ev->u.net.remote.family == AF_INET || ev->u.net.remote.family == AF_INET6) &&
                    (p = proc_get(d, ev->proc.pid, true)))
                        p->connected = true;
                break;
        case RT_EV_EXEC:
                if (ev->result == 0 && (p = proc_get(d, ev->proc.pid, false)))
                        p->server = false; /* a new program: it is a server when it serves */
                break;
        case RT_EV_EXIT:
                if (ev->proc.tid == ev->proc.pid || ev->proc.tid == 0)
                        proc_drop(d, ev->proc.pid);
                break;
        default: break;
        }
}

/* ---- helpers for the rules ---- */

_printf_(3, 4) static void fmt(char *out, size_t len, const char *f, ...) {
        va_list ap;
        va_start(ap, f);
        int n = vsnprintf(out, len, f, ap);
        va_end(ap);
        if (n >= (int) len && len > 4)
                memcpy(out + len - 4, "...", 4);
}

static const char *or_unknown(const char *s) {
        return s && *s ? s : "?";
}

/* The program an exec ran, as the rules name it: the file executed, else the resolved executable. */
static const char *exec_path(const struct rt_event *ev) {
        /* busybox runs its applets through /proc/self/exe: the resolved executable says more */
        if (ev->u.exec.filename && ev->u.exec.filename[0] == '/' &&
            !(strneq(ev->u.exec.filename, "/proc/", 6) && ev->u.exec.exe))
                return ev->u.exec.filename;
        if (ev->u.exec.exe)
                return ev->u.exec.exe;
        return ev->u.exec.filename;
}

static void cmdline_text(const char *const *argv, char *out, size_t len) {
        size_t k = 0;
        out[0] = 0;
        for (size_t i = 0; argv && argv[i] && k + 1 < len; i++)
                k += (size_t) snprintf(out + k, len - k, "%s%s", i ? " " : "", argv[i]);
        if (k >= len && len > 4)
                memcpy(out + len - 4, "...", 4);
}

static bool name_matches(const struct rt_rule_name *n, const struct rt_event *ev) {
        const char *argv0 = ev->u.exec.argv ? ev->u.exec.argv[0] : NULL;
        const char *fb = base_name(ev->u.exec.filename);
        bool hit = (fb && streq(fb, n->name)) || (argv0 && streq(base_name(argv0), n->name));
        if (!hit || !n->arg)
                return hit;
        for (size_t i = 1; ev->u.exec.argv && ev->u.exec.argv[i]; i++)
                if (streq(ev->u.exec.argv[i], n->arg))
                        return true;
        return false;
}

static const struct rt_rule_name *names_match(const struct rt_rule *r, const struct rt_event *ev) {
        for (size_t i = 0; i < r->n_names; i++)
                if (name_matches(&r->names[i], ev))
                        return &r->names[i];
        return NULL;
}

static const char *paths_match(const struct rt_rule *r, const char *path) {
        if (!path)
                return NULL;
        for (size_t i = 0; i < r->n_except; i++)
                if (detect_glob(r->except[i], path))
                        return NULL;
        for (size_t i = 0; i < r->n_paths; i++)
                if (detect_glob(r->paths[i], path))
                        return r->paths[i];
        return NULL;
}

static void addr_text(const struct rt_sockaddr *a, char *out, size_t len) {
        char ip[INET6_ADDRSTRLEN] = "?";
        if (a->family == AF_INET)
                inet_ntop(AF_INET, a->addr, ip, sizeof ip);
        else if (a->family == AF_INET6)
                inet_ntop(AF_INET6, a->addr, ip, sizeof ip);
        if (a->family == AF_INET6)
                snprintf(out, len, "[%s]:%u", ip, a->port);
        else
                snprintf(out, len, "%s:%u", ip, a->port);
}

static bool addr_listed(const struct rt_rule *r, const struct rt_sockaddr *a) {
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        for (size_t i = 0; i < r->n_addresses; i++) {
                const struct rt_rule_addr *x = &r->addresses[i];
                if (x->family == a->family && memcmp(x->addr, a->addr, x->family == AF_INET ? 4 : 16) == 0)
                        return true;
                if (x->family == AF_INET && a->family == AF_INET6 && memcmp(a->addr, v4mapped, 12) == 0 &&
                    memcmp(a->addr + 12, x->addr, 4) == 0)
                        return true;
        }
        return false;
}

static const char *who(const struct rt_event *ev, char *buf, size_t len) {
        snprintf(buf, len, "%s (pid %u)", or_unknown(ev->proc.exe ? ev->proc.exe : ev->proc.comm),
                 ev->proc.pid);
        return buf;
}

/* ---- the rules ---- */

static bool rule_exec(struct detector *d, const struct rt_rule *r, const struct rt_event *ev,
                      struct detect_finding *f) {
        char cmd[512], by[300];
        const char *prog = exec_path(ev);
        cmdline_text(ev->u.exec.argv, cmd, sizeof cmd);
        switch (r->detector) {
        case RT_DET_EXEC_NAME: {
                const struct rt_rule_name *nm;
                if (ev->result != 0 || !(nm = names_match(r, ev)))
                        return false;
                fmt(f->subject, sizeof f->subject, "%s%s%s", nm->name, nm->arg ? " " : "",
                    nm->arg ? nm->arg : "");
                fmt(f->observed, sizeof f->observed, "exec %s: %s", or_unknown(prog), cmd);
                f->expected = "no such program at run time";
                return true;
        }
        case RT_DET_SHELL_FROM_SERVER: {
                if (ev->result != 0 || !names_match(r, ev))
                        return false;
                struct proc_state *self = proc_get(d, ev->proc.pid, false);
                struct proc_state *parent = proc_get(d, ev->proc.ppid, false);
                if (!(self && self->server) && !(parent && parent->server))
                        return false;
                const char *pexe = ev->u.exec.parent_exe ? ev->u.exec.parent_exe : "?";
                fmt(f->subject, sizeof f->subject, "%s -> %s", pexe, or_unknown(prog));
                fmt(f->observed, sizeof f->observed, "server %s (pid %u) started shell %s: %s", pexe,
                    self && self->server ? ev->proc.pid : ev->proc.ppid, or_unknown(prog), cmd);
                f->expected = "servers do not start shells";
                return true;
        }
        case RT_DET_REVERSE_SHELL: {
                if (ev->result != 0 || !names_match(r, ev))
                        return false;
                int in = d->probe.fd_is_socket ? d->probe.fd_is_socket(d->probe.userdata, ev->proc.pid, 0)
                                               : -1;
                int out = d->probe.fd_is_socket ? d->probe.fd_is_socket(d->probe.userdata, ev->proc.pid, 1)
                                                : -1;
                const char *where;
                if (in > 0 && out > 0)
                        where = "a socket on stdin and stdout";
                else if (in > 0)
                        where = "a socket on stdin";
                else if (out > 0)
                        where = "a socket on stdout";
                else if (in < 0 && out < 0) {
                        /* gone before we looked: a process that connected to a peer and then became a
                         * shell (connect, dup2 onto 0/1, exec) is the same pattern */
                        struct proc_state *self = proc_get(d, ev->proc.pid, false);
                        if (!self || !self->connected)
                                return false;
                        where = "the socket it connected before the exec (gone before its fds were read)";
                } else
                        return false;
                fmt(f->subject, sizeof f->subject, "%s", or_unknown(prog));
                fmt(f->observed, sizeof f->observed, "shell %s with %s: %s", or_unknown(prog), where, cmd);
                f->expected = "shells read from a terminal, a pipe or a file";
                return true;
        }
        case RT_DET_EXEC_PATH: {
                const char *cands[] = {ev->u.exec.filename, ev->u.exec.exe, ev->u.exec.interp};
                for (size_t i = 0; i < ELEMENTSOF(cands); i++)
                        if (paths_match(r, cands[i])) {
                                fmt(f->subject, sizeof f->subject, "%s", cands[i]);
                                fmt(f->observed, sizeof f->observed, "exec of %s by %s: %s", cands[i],
                                    who(ev, by, sizeof by), cmd);
                                f->expected = "programs run from files of the image";
                                return true;
                        }
                return false;
        }
        case RT_DET_DRIFT: {
                if (!d->probe.in_writable_layer || !ev->container)
                        return false;
                const char *cands[] = {ev->u.exec.filename, ev->u.exec.exe};
                for (size_t i = 0; i < ELEMENTSOF(cands); i++) {
                        if (!cands[i] || cands[i][0] != '/' ||
                            (i == 1 && cands[0] && streq(cands[0], cands[1])))
                                continue;
                        if (d->probe.in_writable_layer(d->probe.userdata, ev, cands[i])) {
                                fmt(f->subject, sizeof f->subject, "%s", cands[i]);
                                fmt(f->observed, sizeof f->observed,
                                    "exec of %s, a file written after the container started%s: %s", cands[i],
                                    ev->result == 0 ? "" : " (the exec failed)", cmd);
                                f->expected = "a file of the image's layers";
                                return true;
                        }
                }
                return false;
        }
        default: return false;
        }
}

static bool rule_file(const struct rt_rule *r, const struct rt_event *ev, struct detect_finding *f) {
        if (r->detector != RT_DET_FILE_OPEN || ev->result == -ENOENT)
                return false;
        unsigned want = 0;
        char by[300];
        if (ev->type == RT_EV_OPEN) {
                unsigned a = ev->u.file.access;
                if (a & RT_ACCESS_PATH)
                        return false;
                if (a & RT_ACCESS_READ)
                        want |= RT_RULE_ACCESS_READ;
                if (a & (RT_ACCESS_WRITE | RT_ACCESS_CREATE | RT_ACCESS_TRUNC | RT_ACCESS_APPEND |
                         RT_ACCESS_TMPFILE))
                        want |= RT_RULE_ACCESS_WRITE;
        } else
                want = RT_RULE_ACCESS_WRITE; /* unlink, rename, chmod change the tree */
        if (!(want & r->access))
                return false;
        const char *path = ev->u.file.full_path ? ev->u.file.full_path : ev->u.file.path;
        const char *cands[] = {path, ev->type == RT_EV_RENAME ? ev->u.file.new_path : NULL};
        for (size_t i = 0; i < ELEMENTSOF(cands); i++) {
                if (!cands[i] || cands[i][0] != '/' || !paths_match(r, cands[i]))
                        continue;
                const char *verb = ev->type == RT_EV_OPEN
                                           ? ((want & r->access & RT_RULE_ACCESS_WRITE) ? "write" : "read")
                                           : rt_event_type_name(ev->type);
                fmt(f->subject, sizeof f->subject, "%s", cands[i]);
                if (ev->result < 0)
                        fmt(f->observed, sizeof f->observed, "%s %s by %s (failed: %s)", verb, cands[i],
                            who(ev, by, sizeof by), strerror((int) -ev->result));
                else
                        fmt(f->observed, sizeof f->observed, "%s %s by %s", verb, cands[i],
                            who(ev, by, sizeof by));
                f->expected = NULL;
                return true;
        }
        return false;
}

static bool rule_connect(const struct rt_rule *r, const struct rt_event *ev, struct detect_finding *f) {
        const struct rt_sockaddr *a = &ev->u.net.remote;
        char ad[80], by[300];
        if (r->detector != RT_DET_CONNECT || (a->family != AF_INET && a->family != AF_INET6))
                return false;
        bool hit = addr_listed(r, a);
        for (size_t i = 0; !hit && i < r->n_ports; i++)
                hit = a->port == r->ports[i];
        if (!hit)
                return false;
        addr_text(a, ad, sizeof ad);
        fmt(f->subject, sizeof f->subject, "%s", ad);
        fmt(f->observed, sizeof f->observed, "connect to %s by %s%s%s", ad, who(ev, by, sizeof by),
            ev->result < 0 ? ": failed, " : "", ev->result < 0 ? strerror((int) -ev->result) : "");
        f->expected = NULL;
        return true;
}

static bool rule_event(const struct rt_rule *r, const struct rt_event *ev, struct detect_finding *f) {
        char by[300], what[600] = "";
        if (r->detector != RT_DET_EVENT || !(r->events & (1u << ev->type)))
                return false;
        switch (ev->type) {
        case RT_EV_PTRACE:
                snprintf(what, sizeof what, " request %" PRId64 " on pid %u", ev->u.ptrace.request,
                         ev->u.ptrace.target_pid);
                break;
        case RT_EV_MOUNT:
                snprintf(what, sizeof what, " %s on %s (%s)", or_unknown(ev->u.mount.source),
                         or_unknown(ev->u.mount.target), or_unknown(ev->u.mount.fstype));
                break;
        case RT_EV_MODULE:
                snprintf(what, sizeof what, " %s", ev->u.module.path ? ev->u.module.path : "(from memory)");
                break;
        case RT_EV_UNSHARE:
        case RT_EV_SETNS: snprintf(what, sizeof what, " flags 0x%" PRIx64, ev->u.ns.flags); break;
        default: break;
        }
        const char *exe = ev->proc.exe ? ev->proc.exe : or_unknown(ev->proc.comm);
        fmt(f->subject, sizeof f->subject, "%s %s", rt_event_type_name(ev->type), exe);
        fmt(f->observed, sizeof f->observed, "%s%s by %s%s%s", rt_event_type_name(ev->type), what,
            who(ev, by, sizeof by), ev->result < 0 ? ": failed, " : "",
            ev->result < 0 ? strerror((int) -ev->result) : "");
        f->expected = NULL;
        return true;
}

/* The container runtime sets a container up from inside it (runc init mounts, pivots, unshares) before
 * the first program of the container runs: that is not the workload. */
static bool from_runtime(const struct rt_event *ev) {
        return ev->proc.comm && strneq(ev->proc.comm, "runc:[", 6);
}

size_t detect_event(struct detector *d, const struct rt_event *ev, struct detect_finding *out, size_t max) {
        size_t n = 0;
        d->stats.events++;
        if (!from_runtime(ev))
                for (size_t i = 0; i < d->rules->n && n < max; i++) {
                        const struct rt_rule *r = &d->rules->rules[i];
                        struct detect_finding *f = &out[n];
                        bool hit = false;
                        switch (ev->type) {
                        case RT_EV_EXEC: hit = rule_exec(d, r, ev, f); break;
                        case RT_EV_OPEN:
                        case RT_EV_UNLINK:
                        case RT_EV_RENAME:
                        case RT_EV_CHMOD: hit = rule_file(r, ev, f); break;
                        case RT_EV_CONNECT: hit = rule_connect(r, ev, f); break;
                        default: hit = rule_event(r, ev, f); break;
                        }
                        if (hit) {
                                f->rule = r;
                                n++;
                        }
                }
        track(d, ev);
        d->stats.findings += n;
        return n;
}
