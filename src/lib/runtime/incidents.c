/* SPDX-License-Identifier: Apache-2.0 */
/* Incidents and forensics (incidents.h). */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "hashmap.h"
#include "runtime/alerts.h"
#include "runtime/incidents.h"
#include "vec.h"

/* ---- JSON helpers: jansson wants UTF-8; what the kernel or a process gives may not be ---- */

static json_t *jstr(const char *s) {
        if (!s)
                return json_null();
        json_t *j = json_string(s);
        if (j)
                return j;
        _cleanup_free_ char *c = strdup(s);
        if (!c)
                return json_null();
        for (char *p = c; *p; p++)
                if ((unsigned char) *p >= 0x80)
                        *p = '?';
        j = json_string(c);
        return j ? j : json_null();
}

static void jset(json_t *o, const char *k, json_t *v) {
        if (v)
                json_object_set_new(o, k, v);
}

/* ---- the per-container event rings ---- */

struct ring_entry {
        uint64_t time_ns;
        uint32_t pid;
        uint8_t type;
        int32_t result;
        char exe[64];
        char detail[160];
};

struct ring {
        char id[65]; /* the map's key */
        struct ring_entry e[INCIDENTS_RING];
        unsigned next, n;
};

#define RINGS_MAX 1024

struct forensics {
        struct hashmap *rings; /* container id → struct ring */
};

int forensics_new(struct forensics **ret) {
        struct forensics *f = calloc(1, sizeof *f);
        if (!f || !(f->rings = hashmap_new())) {
                free(f);
                return -ENOMEM;
        }
        *ret = f;
        return 0;
}

static void rings_clear(struct forensics *f) {
        size_t i = 0;
        const char *k;
        void *v;
        while (hashmap_next(f->rings, &i, &k, &v))
                free(v);
        hashmap_clear(f->rings);
}

void forensics_free(struct forensics *f) {
        if (!f)
                return;
        rings_clear(f);
        hashmap_free(f->rings);
        free(f);
}

void forensics_forget(struct forensics *f, const char *container_id) {
        free(hashmap_remove(f->rings, container_id));
}

static void addr_str(const struct rt_sockaddr *a, char *out, size_t len) {
        char ip[INET6_ADDRSTRLEN] = "";
        if (a->family == AF_INET)
                inet_ntop(AF_INET, a->addr, ip, sizeof ip);
        else if (a->family == AF_INET6)
                inet_ntop(AF_INET6, a->addr, ip, sizeof ip);
        snprintf(out, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, a->port);
}

void forensics_note(struct forensics *f, const struct rt_event *ev) {
        if (!ev->container)
                return;
        struct ring *r = hashmap_get(f->rings, ev->container->id);
        if (!r) {
                if (hashmap_size(f->rings) >= RINGS_MAX)
                        rings_clear(f); /* many containers at once: start over rather than grow */
                r = calloc(1, sizeof *r);
                if (r)
                        snprintf(r->id, sizeof r->id, "%s", ev->container->id);
                if (!r || hashmap_put(f->rings, r->id, r, NULL) < 0) {
                        free(r);
                        return;
                }
        }
        struct ring_entry *e = &r->e[r->next];
        r->next = (r->next + 1) % INCIDENTS_RING;
        if (r->n < INCIDENTS_RING)
                r->n++;
        e->time_ns = ev->time_ns;
        e->pid = ev->proc.pid;
        e->type = (uint8_t) ev->type;
        e->result = ev->result < INT32_MIN   ? INT32_MIN
                    : ev->result > INT32_MAX ? INT32_MAX
                                             : (int32_t) ev->result;
        snprintf(e->exe, sizeof e->exe, "%s",
                 ev->proc.exe    ? ev->proc.exe
                 : ev->proc.comm ? ev->proc.comm
                                 : "");
        char a[80];
        switch (ev->type) {
        case RT_EV_EXEC:
                snprintf(e->detail, sizeof e->detail, "%s", ev->u.exec.filename ? ev->u.exec.filename : "");
                break;
        case RT_EV_OPEN:
        case RT_EV_UNLINK:
        case RT_EV_RENAME:
        case RT_EV_CHMOD:
                snprintf(e->detail, sizeof e->detail, "%s",
                         ev->u.file.full_path ? ev->u.file.full_path
                         : ev->u.file.path    ? ev->u.file.path
                                              : "");
                break;
        case RT_EV_CONNECT:
        case RT_EV_ACCEPT:
                addr_str(&ev->u.net.remote, a, sizeof a);
                snprintf(e->detail, sizeof e->detail, "%s", a);
                break;
        case RT_EV_BIND:
        case RT_EV_LISTEN:
                addr_str(&ev->u.net.local, a, sizeof a);
                snprintf(e->detail, sizeof e->detail, "%s", a);
                break;
        case RT_EV_FORK: snprintf(e->detail, sizeof e->detail, "child %u", ev->u.fork.child_pid); break;
        default: e->detail[0] = 0; break;
        }
}

/* ---- the capture ---- */

struct captured_proc {
        uint32_t pid, ppid;
        char *exe;
        json_t *cmdline;
        int exe_fd; /* for the hash, -1 when not readable */
};

struct forensics_capture {
        VEC(struct captured_proc) procs;
        json_t *doc; /* everything but the hashes */
};

void forensics_capture_free(struct forensics_capture *c) {
        if (!c)
                return;
        VEC_FOREACH (p, &c->procs) {
                free(p->exe);
                json_decref(p->cmdline);
                if (p->exe_fd >= 0)
                        close(p->exe_fd);
        }
        VEC_FREE(&c->procs);
        json_decref(c->doc);
        free(c);
}

static int read_file_cap(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        char *b = malloc(max + 1);
        if (!b)
                return -ENOMEM;
        size_t got = 0;
        while (got < max) {
                ssize_t n = read(fd, b + got, max - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        b[got] = 0;
        *ret = b;
        if (ret_len)
                *ret_len = got;
        return 0;
}

static uint32_t stat_ppid(const char *proc_root, uint32_t pid) {
        char path[128];
        _cleanup_free_ char *s = NULL;
        snprintf(path, sizeof path, "%s/%u/stat", proc_root, pid);
        if (read_file_cap(path, 4096, &s, NULL) < 0)
                return 0;
        char *p = strrchr(s, ')'); /* comm may hold spaces and parentheses */
        unsigned ppid = 0;
        if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
                return 0;
        return ppid;
}

static json_t *cmdline_json(const char *proc_root, uint32_t pid) {
        char path[128];
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%u/cmdline", proc_root, pid);
        if (read_file_cap(path, 8192, &s, &len) < 0)
                return NULL;
        json_t *a = json_array();
        for (size_t i = 0; a && i < len; i += strlen(s + i) + 1)
                json_array_append_new(a, jstr(s + i));
        return a;
}

static void add_error(json_t *doc, const char *fmt, ...) _printf_(2, 3);
static void add_error(json_t *doc, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        json_t *errs = json_object_get(doc, "errors");
        if (!errs) {
                errs = json_array();
                json_object_set_new(doc, "errors", errs);
        }
        if (errs && json_array_size(errs) < 32)
                json_array_append_new(errs, jstr(msg));
}

/* /proc/net/tcp lines: "sl local rem st …" with hex addresses in the kernel's byte order */
static void parse_tcp(const char *text, bool v6, json_t *out) {
        static const char *const states[] = {"",           "established", "syn-sent",  "syn-recv",
                                             "fin-wait1",  "fin-wait2",   "time-wait", "close",
                                             "close-wait", "last-ack",    "listen",    "closing"};
        const char *line = strchr(text, '\n'); /* header */
        while (line && *++line && json_array_size(out) < INCIDENTS_CONNS_MAX) {
                char la[40], ra[40];
                unsigned lp, rp, st;
                if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x", la, &lp, ra, &rp, &st) ==
                    5) {
                        char l[64], r[64];
                        uint8_t a[16];
                        const char *ad[2] = {la, ra};
                        char *outs[2] = {l, r};
                        unsigned ports[2] = {lp, rp};
                        for (int k = 0; k < 2; k++) {
                                char ip[INET6_ADDRSTRLEN] = "?";
                                size_t n = v6 ? 16 : 4;
                                if (strlen(ad[k]) == n * 2) {
                                        for (size_t w = 0; w < n / 4; w++) {
                                                unsigned word;
                                                char h[9];
                                                memcpy(h, ad[k] + w * 8, 8);
                                                h[8] = 0;
                                                word = (unsigned) strtoul(h, NULL, 16);
                                                memcpy(a + w * 4, &word, 4); /* host order = kernel's */
                                        }
                                        inet_ntop(v6 ? AF_INET6 : AF_INET, a, ip, sizeof ip);
                                }
                                snprintf(outs[k], 64, v6 ? "[%s]:%u" : "%s:%u", ip, ports[k]);
                        }
                        json_t *c = json_object();
                        jset(c, "proto", jstr(v6 ? "tcp6" : "tcp"));
                        jset(c, "local", jstr(l));
                        jset(c, "remote", jstr(r));
                        jset(c, "state", jstr(st < ELEMENTSOF(states) ? states[st] : "?"));
                        json_array_append_new(out, c);
                }
                line = strchr(line, '\n');
        }
}

int forensics_capture_new(struct forensics *f, const struct rt_event *ev, const char *proc_root,
                          struct forensics_capture **ret) {
        _cleanup_(forensics_capture_freep) struct forensics_capture *c = calloc(1, sizeof *c);
        char path[256];
        if (!c || !(c->doc = json_object()))
                return -ENOMEM;
        if (!proc_root)
                proc_root = "/proc";

        /* the process and its ancestors, up to the container's init (or the host's) */
        uint32_t pid = ev->proc.pid;
        uint32_t stop = ev->container ? ev->container->pid : 1;
        for (unsigned depth = 0; pid > 0 && depth < INCIDENTS_TREE_MAX; depth++) {
                struct captured_proc *p = VEC_NEW(&c->procs);
                if (!p)
                        return -ENOMEM;
                p->pid = pid;
                p->exe_fd = -1;
                char target[4096];
                snprintf(path, sizeof path, "%s/%u/exe", proc_root, pid);
                ssize_t n = readlink(path, target, sizeof target - 1);
                if (n > 0) {
                        target[n] = 0;
                        p->exe = strdup(target);
                        p->exe_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                }
                p->cmdline = cmdline_json(proc_root, pid);
                p->ppid = stat_ppid(proc_root, pid);
                if (depth == 0 && !p->exe) {
                        /* gone already (killed, or short-lived): what the event said */
                        p->ppid = ev->proc.ppid;
                        const char *exe =
                                ev->type == RT_EV_EXEC && ev->u.exec.exe ? ev->u.exec.exe : ev->proc.exe;
                        p->exe = exe ? strdup(exe) : NULL;
                        const char *const *argv = ev->type == RT_EV_EXEC ? ev->u.exec.argv : ev->proc.argv;
                        if (argv) {
                                json_decref(p->cmdline); /* a zombie's: empty */
                                p->cmdline = json_array();
                                for (size_t i = 0; argv[i] && i < RT_ARGV_MAX; i++)
                                        json_array_append_new(p->cmdline, jstr(argv[i]));
                        }
                        add_error(c->doc, "process %u was gone: its tree is from the event only", pid);
                }
                if (pid == stop || pid == 1 || p->ppid == pid)
                        break;
                pid = p->ppid;
        }

        /* open files */
        json_t *files = json_array();
        snprintf(path, sizeof path, "%s/%u/fd", proc_root, ev->proc.pid);
        DIR *dir = opendir(path);
        if (dir) {
                struct dirent *de;
                while ((de = readdir(dir)) && json_array_size(files) < INCIDENTS_FDS_MAX) {
                        if (de->d_name[0] == '.')
                                continue;
                        char lp[512], target[4096];
                        snprintf(lp, sizeof lp, "%s/%s", path, de->d_name);
                        ssize_t n = readlink(lp, target, sizeof target - 1);
                        if (n <= 0)
                                continue;
                        target[n] = 0;
                        json_t *o = json_object();
                        jset(o, "fd", json_integer(atoi(de->d_name)));
                        jset(o, "target", jstr(target));
                        json_array_append_new(files, o);
                }
                closedir(dir);
        } else
                add_error(c->doc, "cannot list %s: %s", path, strerror(errno));
        jset(c->doc, "open_files", files);

        /* connections, in the process's network namespace */
        json_t *conns = json_array();
        for (int v6 = 0; v6 < 2; v6++) {
                _cleanup_free_ char *t = NULL;
                snprintf(path, sizeof path, "%s/%u/net/%s", proc_root, ev->proc.pid, v6 ? "tcp6" : "tcp");
                if (read_file_cap(path, 256 * 1024, &t, NULL) == 0)
                        parse_tcp(t, v6, conns);
        }
        jset(c->doc, "connections", conns);

        /* the container's recent events, oldest first */
        json_t *evs = json_array();
        struct ring *r = ev->container && f ? hashmap_get(f->rings, ev->container->id) : NULL;
        for (unsigned i = 0; r && i < r->n; i++) {
                const struct ring_entry *e = &r->e[(r->next + INCIDENTS_RING - r->n + i) % INCIDENTS_RING];
                char t[40];
                alerts_format_time(e->time_ns, t);
                json_t *o = json_object();
                jset(o, "time", jstr(t));
                jset(o, "type", jstr(rt_event_type_name((enum rt_event_type) e->type)));
                jset(o, "pid", json_integer(e->pid));
                jset(o, "exe", jstr(e->exe));
                if (e->detail[0])
                        jset(o, "detail", jstr(e->detail));
                if (e->result)
                        jset(o, "result", json_integer(e->result));
                json_array_append_new(evs, o);
        }
        jset(c->doc, "events", evs);
        *ret = TAKE_PTR(c);
        return 0;
}

static bool hash_fd(int fd, char out[static DIGEST_STR_MAX]) {
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size > INCIDENTS_HASH_LIMIT)
                return false;
        struct sha256 h;
        if (sha256_init(&h) < 0)
                return false;
        char b[65536];
        off_t off = 0;
        for (;;) {
                ssize_t n = pread(fd, b, sizeof b, off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        sha256_done(&h);
                        return false;
                }
                if (n == 0)
                        break;
                sha256_update(&h, b, (size_t) n);
                off += n;
        }
        sha256_final_str(&h, out);
        return true;
}

char *forensics_capture_finish(struct forensics_capture *c) {
        json_t *tree = json_array();
        VEC_FOREACH (p, &c->procs) {
                json_t *o = json_object();
                jset(o, "pid", json_integer(p->pid));
                jset(o, "ppid", json_integer(p->ppid));
                if (p->exe)
                        jset(o, "exe", jstr(p->exe));
                if (p->cmdline)
                        jset(o, "cmdline", json_incref(p->cmdline));
                char d[DIGEST_STR_MAX];
                if (p->exe_fd >= 0 && hash_fd(p->exe_fd, d))
                        jset(o, "sha256", jstr(d + 7)); /* without the "sha256:" */
                json_array_append_new(tree, o);
        }
        jset(c->doc, "process_tree", tree);
        return json_dumps(c->doc, JSON_COMPACT | JSON_SORT_KEYS);
}

/* ---- the store ---- */

enum job_kind { JOB_INSERT, JOB_UPDATE };

struct job {
        enum job_kind kind;
        struct job *next;
        uint64_t id, count, first_ns, last_ns;
        char *rule_id, *rule_title, *severity, *container_id, *container_name, *image, *subject, *action,
                *alert;
        struct forensics_capture *cap;
};

struct incident_store {
        sqlite3 *db;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond, idle;
        struct job *head, *tail;
        size_t queued;
        bool busy, stop;
        uint64_t next_id;
        struct incidents_stats stats;
};

static void job_free(struct job *j) {
        if (!j)
                return;
        free(j->rule_id);
        free(j->rule_title);
        free(j->severity);
        free(j->container_id);
        free(j->container_name);
        free(j->image);
        free(j->subject);
        free(j->action);
        free(j->alert);
        forensics_capture_free(j->cap);
        free(j);
}

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS incidents ("
        " id INTEGER PRIMARY KEY, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
        " count INTEGER NOT NULL, rule_id TEXT NOT NULL, rule_title TEXT, severity TEXT,"
        " container_id TEXT, container_name TEXT, image TEXT, subject TEXT, action TEXT,"
        " alert TEXT, forensics TEXT);";

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

static int run_job(struct incident_store *s, struct job *j) {
        sqlite3_stmt *st = NULL;
        int rc;
        if (j->kind == JOB_INSERT) {
                _cleanup_free_ char *doc = j->cap ? forensics_capture_finish(j->cap) : NULL;
                rc = sqlite3_prepare_v2(
                        s->db,
                        "INSERT OR REPLACE INTO incidents (id, first_ns, last_ns, count, rule_id,"
                        " rule_title, severity, container_id, container_name, image, subject, action,"
                        " alert, forensics) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        -1, &st, NULL);
                if (rc != SQLITE_OK)
                        return -EIO;
                sqlite3_bind_int64(st, 1, (sqlite3_int64) j->id);
                sqlite3_bind_int64(st, 2, (sqlite3_int64) j->first_ns);
                sqlite3_bind_int64(st, 3, (sqlite3_int64) j->last_ns);
                sqlite3_bind_int64(st, 4, (sqlite3_int64) j->count);
                bind_text(st, 5, j->rule_id);
                bind_text(st, 6, j->rule_title);
                bind_text(st, 7, j->severity);
                bind_text(st, 8, j->container_id);
                bind_text(st, 9, j->container_name);
                bind_text(st, 10, j->image);
                bind_text(st, 11, j->subject);
                bind_text(st, 12, j->action);
                bind_text(st, 13, j->alert);
                bind_text(st, 14, doc);
        } else {
                rc = sqlite3_prepare_v2(
                        s->db,
                        "UPDATE incidents SET count = MAX(count, ?), last_ns = MAX(last_ns, ?),"
                        " action = COALESCE(?, action) WHERE id = ?",
                        -1, &st, NULL);
                if (rc != SQLITE_OK)
                        return -EIO;
                sqlite3_bind_int64(st, 1, (sqlite3_int64) j->count);
                sqlite3_bind_int64(st, 2, (sqlite3_int64) j->last_ns);
                bind_text(st, 3, j->action);
                sqlite3_bind_int64(st, 4, (sqlite3_int64) j->id);
        }
        rc = sqlite3_step(st); /* one statement: its own transaction */
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

static void *writer(void *userdata) {
        struct incident_store *s = userdata;
        pthread_mutex_lock(&s->lock);
        for (;;) {
                while (!s->head && !s->stop)
                        pthread_cond_wait(&s->cond, &s->lock);
                if (!s->head && s->stop)
                        break;
                struct job *j = s->head;
                s->head = j->next;
                if (!s->head)
                        s->tail = NULL;
                s->queued--;
                s->busy = true;
                pthread_mutex_unlock(&s->lock);
                int r = run_job(s, j);
                pthread_mutex_lock(&s->lock);
                s->busy = false;
                if (r < 0)
                        s->stats.write_errors++;
                else if (j->kind == JOB_INSERT)
                        s->stats.stored++;
                else
                        s->stats.updates++;
                if (!s->head)
                        pthread_cond_broadcast(&s->idle);
                pthread_mutex_unlock(&s->lock);
                job_free(j);
                pthread_mutex_lock(&s->lock);
        }
        pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

int incidents_open(const char *state_dir, struct diag *d, struct incident_store **ret) {
        _cleanup_free_ char *path = NULL;
        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
                return diag_error(d, -errno, "cannot create state directory '%s': %s", state_dir,
                                  strerror(errno));
        if (asprintf(&path, "%s/incidents.db", state_dir) < 0)
                return -ENOMEM;
        struct incident_store *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            NULL) != SQLITE_OK) {
                int r = diag_error(d, -EIO, "cannot open '%s': %s", path,
                                   s->db ? sqlite3_errmsg(s->db) : "no memory");
                sqlite3_close(s->db);
                free(s);
                return r;
        }
        sqlite3_busy_timeout(s->db, 5000);
        char *err = NULL;
        if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, &err) !=
                    SQLITE_OK ||
            sqlite3_exec(s->db, schema, NULL, NULL, &err) != SQLITE_OK) {
                int r = diag_error(d, -EIO, "cannot initialize '%s': %s", path, err ? err : "?");
                sqlite3_free(err);
                sqlite3_close(s->db);
                free(s);
                return r;
        }
        sqlite3_stmt *st;
        s->next_id = 1;
        if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(id), 0) FROM incidents", -1, &st, NULL) ==
            SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        s->next_id = (uint64_t) sqlite3_column_int64(st, 0) + 1;
                sqlite3_finalize(st);
        }
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->cond, NULL);
        pthread_cond_init(&s->idle, NULL);
        int r = -pthread_create(&s->thread, NULL, writer, s);
        if (r < 0) {
                sqlite3_close(s->db);
                free(s);
                return diag_error(d, r, "cannot start the incident writer: %s", strerror(-r));
        }
        *ret = s;
        return 0;
}

void incidents_sync(struct incident_store *s) {
        pthread_mutex_lock(&s->lock);
        while (s->head || s->busy)
                pthread_cond_wait(&s->idle, &s->lock);
        pthread_mutex_unlock(&s->lock);
}

void incidents_close(struct incident_store *s) {
        if (!s)
                return;
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        sqlite3_close(s->db);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        pthread_cond_destroy(&s->idle);
        free(s);
}

uint64_t incidents_next_id(struct incident_store *s) {
        return s->next_id++;
}

static int enqueue(struct incident_store *s, struct job *j, bool droppable) {
        pthread_mutex_lock(&s->lock);
        if (droppable && s->queued >= INCIDENTS_QUEUE_MAX) {
                s->stats.queue_full++;
                pthread_mutex_unlock(&s->lock);
                return -ENOBUFS;
        }
        if (s->tail)
                s->tail->next = j;
        else
                s->head = j;
        s->tail = j;
        s->queued++;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return 0;
}

static char *dupn(const char *s) {
        return s ? strdup(s) : NULL;
}

int incidents_submit(struct incident_store *s, const struct incident_record *rec,
                     struct forensics_capture *cap) {
        struct job *j = calloc(1, sizeof *j);
        if (!j) {
                forensics_capture_free(cap);
                return -ENOMEM;
        }
        j->kind = JOB_INSERT;
        j->id = rec->id;
        j->count = rec->count ? rec->count : 1;
        j->first_ns = rec->first_ns;
        j->last_ns = rec->last_ns;
        j->rule_id = dupn(rec->rule_id);
        j->rule_title = dupn(rec->rule_title);
        j->severity = dupn(rec->severity);
        j->container_id = dupn(rec->container_id);
        j->container_name = dupn(rec->container_name);
        j->image = dupn(rec->image);
        j->subject = dupn(rec->subject);
        j->action = dupn(rec->action);
        j->alert = dupn(rec->alert);
        pthread_mutex_lock(&s->lock);
        bool full = s->queued >= INCIDENTS_QUEUE_MAX;
        pthread_mutex_unlock(&s->lock);
        if (full) {
                /* the record is kept, its evidence is not: hashing is what takes time */
                forensics_capture_free(cap);
                cap = NULL;
                s->stats.queue_full++;
        }
        j->cap = cap;
        return enqueue(s, j, false);
}

int incidents_update(struct incident_store *s, uint64_t id, uint64_t count, uint64_t last_ns,
                     const char *action) {
        struct job *j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->kind = JOB_UPDATE;
        j->id = id;
        j->count = count;
        j->last_ns = last_ns;
        j->action = dupn(action);
        int r = enqueue(s, j, true);
        if (r < 0)
                job_free(j);
        return r;
}

void incidents_get_stats(struct incident_store *s, struct incidents_stats *ret) {
        pthread_mutex_lock(&s->lock);
        *ret = s->stats;
        pthread_mutex_unlock(&s->lock);
}

/* ---- reading ---- */

struct incident_reader {
        sqlite3 *db;
};

int incidents_reader_open(const char *state_dir, struct diag *d, struct incident_reader **ret) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/incidents.db", state_dir) < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0)
                return diag_error(d, -ENOENT, "no incidents in '%s' (no incidents.db)", state_dir);
        struct incident_reader *r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
                int e = diag_error(d, -EIO, "cannot open '%s': %s", path,
                                   r->db ? sqlite3_errmsg(r->db) : "no memory");
                sqlite3_close(r->db);
                free(r);
                return e;
        }
        sqlite3_busy_timeout(r->db, 5000);
        *ret = r;
        return 0;
}

void incidents_reader_close(struct incident_reader *r) {
        if (!r)
                return;
        sqlite3_close(r->db);
        free(r);
}

static const char cols[] =
        "SELECT id, first_ns, last_ns, count, rule_id, rule_title, severity, container_id,"
        " container_name, image, subject, action, alert, forensics FROM incidents";

static int each_row(sqlite3_stmt *st, incident_fn cb, void *userdata, size_t *n) {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct incident_record rec = {
                        .id = (uint64_t) sqlite3_column_int64(st, 0),
                        .first_ns = (uint64_t) sqlite3_column_int64(st, 1),
                        .last_ns = (uint64_t) sqlite3_column_int64(st, 2),
                        .count = (uint64_t) sqlite3_column_int64(st, 3),
                        .rule_id = (const char *) sqlite3_column_text(st, 4),
                        .rule_title = (const char *) sqlite3_column_text(st, 5),
                        .severity = (const char *) sqlite3_column_text(st, 6),
                        .container_id = (const char *) sqlite3_column_text(st, 7),
                        .container_name = (const char *) sqlite3_column_text(st, 8),
                        .image = (const char *) sqlite3_column_text(st, 9),
                        .subject = (const char *) sqlite3_column_text(st, 10),
                        .action = (const char *) sqlite3_column_text(st, 11),
                        .alert = (const char *) sqlite3_column_text(st, 12),
                        .forensics = (const char *) sqlite3_column_text(st, 13),
                };
                (*n)++;
                int r = cb(userdata, &rec);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int incidents_list(struct incident_reader *r, size_t limit, incident_fn cb, void *userdata) {
        char sql[512];
        sqlite3_stmt *st;
        size_t n = 0;
        snprintf(sql, sizeof sql, "%s ORDER BY id DESC LIMIT %lld", cols, limit ? (long long) limit : -1LL);
        if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        int e = each_row(st, cb, userdata, &n);
        sqlite3_finalize(st);
        return e;
}

int incidents_get(struct incident_reader *r, uint64_t id, incident_fn cb, void *userdata) {
        char sql[512];
        sqlite3_stmt *st;
        size_t n = 0;
        snprintf(sql, sizeof sql, "%s WHERE id = ?", cols);
        if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        int e = each_row(st, cb, userdata, &n);
        sqlite3_finalize(st);
        return e < 0 ? e : n ? 0 : -ENOENT;
}
