/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline's loop: epoll over the ring buffer, the resolver's notifications, a stop eventfd and a
 * 100 ms timer; holds events of not-yet-described containers; keeps the process table that gives every
 * event its process's executable and command line. */

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "hashmap.h"
#include "monitor.h"
#include "runtime-internal.h"
#include "sensor.h"
#include "../../bpf/sensor.h"

#define TIMER_MS      100
#define SWEEP_MS      10000
#define PROC_ARGS_MAX 4096

struct held_rec {
        struct held_rec *next;
        size_t len;
        uint8_t data[];
};

struct hold {
        char id[65];
        uint64_t since_ms;
        struct held_rec *head, *tail;
        size_t n, bytes;
};

struct proc_entry {
        char *exe;
        char *args; /* NUL-separated, argv points into it */
        const char **argv;
};

struct monitor {
        struct monitor_options o;
        struct rt_cgroup_layout layout;
        struct sensor *sensor;
        struct resolver *resolver;
        int epfd, stop_fd, timer_fd;
        size_t initial_cgroups;

        /* monitor thread */
        struct hashmap *holds; /* container id → struct hold */
        struct u64map procs;   /* tgid → struct proc_entry */
        struct u64map tried;   /* cgroup ids looked up in /proc (value: 1) */
        int64_t boot_to_real;  /* ns to add to CLOCK_BOOTTIME to get CLOCK_REALTIME */
        struct rt_decode_scratch scratch;
        monitor_event_fn cb;
        void *userdata;

        pthread_mutex_t stats_lock;
        uint64_t delivered, decode_errors, held, released_incomplete;
        size_t held_now, held_bytes, n_procs;
};

static uint64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void update_clock_offset(struct monitor *m) {
        struct timespec b, r;
        clock_gettime(CLOCK_BOOTTIME, &b);
        clock_gettime(CLOCK_REALTIME, &r);
        m->boot_to_real = ((int64_t) r.tv_sec - b.tv_sec) * 1000000000 + ((int64_t) r.tv_nsec - b.tv_nsec);
}

/* ---- process table ---- */

static void proc_entry_free(struct proc_entry *p) {
        if (!p)
                return;
        free(p->exe);
        free(p->args);
        free(p->argv);
        free(p);
}

/* args: n bytes of NUL-separated strings (a trailing NUL optional). */
static struct proc_entry *proc_entry_new(const char *exe, const char *args, size_t n) {
        struct proc_entry *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        if (exe && !(p->exe = strdup(exe)))
                goto fail;
        if (args && n > 0) {
                n = MIN(n, (size_t) PROC_ARGS_MAX);
                p->args = malloc(n + 1);
                if (!p->args)
                        goto fail;
                memcpy(p->args, args, n);
                p->args[n] = 0;
                size_t argc = 0;
                for (size_t i = 0; i < n; i += strlen(p->args + i) + 1)
                        argc++;
                p->argv = calloc(argc + 1, sizeof(char *));
                if (!p->argv)
                        goto fail;
                size_t k = 0;
                for (size_t i = 0; i < n && k < argc; i += strlen(p->args + i) + 1)
                        p->argv[k++] = p->args + i;
        }
        return p;
fail:
        proc_entry_free(p);
        return NULL;
}

static struct proc_entry *proc_entry_dup(const struct proc_entry *src) {
        size_t n = 0;
        if (src->argv)
                for (size_t i = 0; src->argv[i]; i++)
                        n = (size_t) (src->argv[i] - src->args) + strlen(src->argv[i]) + 1;
        return proc_entry_new(src->exe, src->args, n);
}

static void procs_set(struct monitor *m, uint32_t pid, struct proc_entry *p) {
        if (!p)
                return;
        struct proc_entry *old = u64map_get(&m->procs, pid);
        if (!old && m->procs.n >= m->o.process_max) {
                proc_entry_free(p); /* full: this process goes without (the sweep makes room) */
                return;
        }
        if (u64map_put(&m->procs, pid, p) < 0) {
                proc_entry_free(p);
                return;
        }
        proc_entry_free(old);
}

static void procs_remove(struct monitor *m, uint32_t pid) {
        proc_entry_free(u64map_remove(&m->procs, pid));
}

/* A process seen for the first time (it was running before the agent): ask /proc. */
static struct proc_entry *proc_from_procfs(uint32_t pid) {
        char path[64], exe[4096], args[PROC_ARGS_MAX];
        ssize_t n;
        size_t alen = 0;

        snprintf(path, sizeof(path), "/proc/%u/exe", pid);
        n = readlink(path, exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = 0;
        snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t k = read(fd, args, sizeof(args));
                alen = k > 0 ? (size_t) k : 0;
        }
        if (n <= 0 && alen == 0)
                return NULL;
        return proc_entry_new(n > 0 ? exe : NULL, args, alen);
}

/* Drops entries of processes that are gone without an exit record (dropped, or before the agent). */
static void procs_sweep(struct monitor *m) {
        uint64_t pid;
        struct proc_entry *p;
        uint32_t *dead = calloc(m->procs.n + 1, sizeof(uint32_t));
        size_t nd = 0;
        if (!dead)
                return;
        for (size_t i = 0; u64map_next(&m->procs, &i, &pid, (void **) &p);)
                if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
                        dead[nd++] = (uint32_t) pid;
        for (size_t i = 0; i < nd; i++)
                procs_remove(m, dead[i]);
        free(dead);
}

/* ---- delivery ---- */

static void deliver(struct monitor *m, const void *rec, size_t len, struct rt_container *c) {
        struct rt_event ev;
        if (rt_event_decode(rec, len, &ev, &m->scratch) < 0) {
                pthread_mutex_lock(&m->stats_lock);
                m->decode_errors++;
                pthread_mutex_unlock(&m->stats_lock);
                return;
        }
        ev.container = c;
        ev.time_ns = (uint64_t) ((int64_t) ev.boot_ns + m->boot_to_real);

        struct proc_entry *p = NULL;
        if (ev.type == RT_EV_EXEC && ev.result == 0) {
                size_t n = 0;
                if (ev.u.exec.argc > 0) {
                        const char *last = ev.u.exec.argv[ev.u.exec.argc - 1];
                        n = (size_t) (last - ev.u.exec.argv[0]) + strlen(last) + 1;
                }
                procs_set(m, ev.proc.pid,
                          proc_entry_new(ev.u.exec.exe ? ev.u.exec.exe : ev.u.exec.filename,
                                         ev.u.exec.argc ? ev.u.exec.argv[0] : NULL, n));
        } else if (ev.type == RT_EV_FORK) {
                struct proc_entry *parent = u64map_get(&m->procs, ev.proc.pid);
                if (!parent) {
                        procs_set(m, ev.proc.pid, proc_from_procfs(ev.proc.pid));
                        parent = u64map_get(&m->procs, ev.proc.pid);
                }
                if (parent)
                        procs_set(m, ev.u.fork.child_pid, proc_entry_dup(parent));
        }
        p = u64map_get(&m->procs, ev.proc.pid);
        if (!p && ev.type != RT_EV_EXIT) {
                procs_set(m, ev.proc.pid, proc_from_procfs(ev.proc.pid));
                p = u64map_get(&m->procs, ev.proc.pid);
        }
        if (p) {
                ev.proc.exe = p->exe;
                ev.proc.argv = p->argv;
        }
        m->cb(m->userdata, &ev);
        if (ev.type == RT_EV_EXIT)
                procs_remove(m, ev.proc.pid);

        pthread_mutex_lock(&m->stats_lock);
        m->delivered++;
        m->n_procs = m->procs.n;
        pthread_mutex_unlock(&m->stats_lock);
}

static void hold_flush(struct monitor *m, struct hold *h) {
        bool pending = false;
        struct rt_container *c = resolver_lookup_id(m->resolver, h->id, &pending);
        if (!c)
                c = rt_container_new_bare(h->id); /* dropped meanwhile (it exited): the id is known */
        if (c && c->incomplete) {
                pthread_mutex_lock(&m->stats_lock);
                m->released_incomplete += h->n;
                pthread_mutex_unlock(&m->stats_lock);
        }
        while (h->head) {
                struct held_rec *r = h->head;
                h->head = r->next;
                deliver(m, r->data, r->len, c);
                free(r);
        }
        rt_container_unref(c);
        pthread_mutex_lock(&m->stats_lock);
        m->held_now -= h->n;
        m->held_bytes -= h->bytes;
        pthread_mutex_unlock(&m->stats_lock);
        hashmap_remove(m->holds, h->id);
        free(h);
}

/* Releases holds whose container got described, or that waited long enough (force: all). */
static void holds_release(struct monitor *m, bool force) {
        if (hashmap_size(m->holds) == 0)
                return;
        uint64_t t = mono_ms();
        size_t n = 0;
        struct hold **ready = calloc(hashmap_size(m->holds), sizeof(*ready));
        const char *k;
        struct hold *h;
        if (!ready)
                return;
        HASHMAP_FOREACH (k, h, m->holds, i) {
                bool pending = false;
                struct rt_container *c = resolver_lookup_id(m->resolver, h->id, &pending);
                rt_container_unref(c);
                if (force || !c || !pending || t - h->since_ms >= m->o.hold_ms)
                        ready[n++] = h;
        }
        for (size_t i = 0; i < n; i++)
                hold_flush(m, ready[i]);
        free(ready);
}

static int hold_add(struct monitor *m, const char *id, const void *rec, size_t len) {
        struct hold *h = hashmap_get(m->holds, id);
        if (!h) {
                h = calloc(1, sizeof(*h));
                if (!h)
                        return -ENOMEM;
                memcpy(h->id, id, 65);
                h->since_ms = mono_ms();
                if (hashmap_put(m->holds, h->id, h, NULL) < 0) {
                        free(h);
                        return -ENOMEM;
                }
        }
        struct held_rec *r = malloc(sizeof(*r) + len);
        if (!r)
                return -ENOMEM;
        r->next = NULL;
        r->len = len;
        memcpy(r->data, rec, len);
        if (h->tail)
                h->tail->next = r;
        else
                h->head = r;
        h->tail = r;
        h->n++;
        h->bytes += len;
        pthread_mutex_lock(&m->stats_lock);
        m->held++;
        m->held_now++;
        m->held_bytes += len;
        pthread_mutex_unlock(&m->stats_lock);
        return 0;
}

/* The kernel filter passed a record from a cgroup the resolver does not know: its cgroup_mkdir record
 * was dropped (a full ring), or it was created while the sensor loaded. The process's
 * /proc/PID/cgroup names the path, hence the container; asked once per cgroup. */
static void learn_cgroup(struct monitor *m, uint64_t cgid, uint32_t pid) {
        char path[64], line[4096], id[65];
        if (u64map_get(&m->tried, cgid))
                return;
        if (m->tried.n >= 4096)
                u64map_free(&m->tried);
        (void) u64map_put(&m->tried, cgid, (void *) 1);
        snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f)) {
                /* "4:memory:/docker/<id>" (v1, controllers comma-separated) or "0::/…" (v2) */
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = 0;
                bool ours = false;
                if (m->layout.v2)
                        ours = c1[1] == 0 && line[0] == '0';
                else
                        for (char *tok = strtok(c1 + 1, ","); tok && !ours; tok = strtok(NULL, ","))
                                ours = streq(tok, m->layout.controller);
                if (ours && rt_cgroup_container_id(c2 + 1, id) == 0) {
                        (void) resolver_cgroup_add(m->resolver, cgid, id);
                        return;
                }
        }
}

static int on_record(void *userdata, const void *rec, size_t len) {
        struct monitor *m = userdata;
        struct stk_event_header h;

        if (len < sizeof(h)) {
                pthread_mutex_lock(&m->stats_lock);
                m->decode_errors++;
                pthread_mutex_unlock(&m->stats_lock);
                return 0;
        }
        memcpy(&h, rec, sizeof(h));
        if (h.type == STK_EV_CGROUP_MKDIR || h.type == STK_EV_CGROUP_RMDIR) {
                struct rt_event ev;
                char id[65];
                if (rt_event_decode(rec, len, &ev, &m->scratch) < 0) {
                        pthread_mutex_lock(&m->stats_lock);
                        m->decode_errors++;
                        pthread_mutex_unlock(&m->stats_lock);
                } else if (h.type == STK_EV_CGROUP_RMDIR)
                        resolver_cgroup_remove(m->resolver, ev.u.cgroup.id);
                else if (ev.u.cgroup.path && rt_cgroup_container_id(ev.u.cgroup.path, id) == 0)
                        (void) resolver_cgroup_add(m->resolver, ev.u.cgroup.id, id);
                return 0;
        }

        bool pending = false;
        _cleanup_(rt_container_unrefp) struct rt_container *c =
                resolver_lookup(m->resolver, h.cgroup_id, &pending);
        if (!c && !(h.flags & STK_F_HOST)) {
                learn_cgroup(m, h.cgroup_id, h.tgid);
                c = resolver_lookup(m->resolver, h.cgroup_id, &pending);
        }
        if (c) {
                struct hold *hd = hashmap_get(m->holds, c->id);
                if (hd && !pending)
                        hold_flush(m, hd); /* described now: what waited goes first */
                else if (hd || pending) {
                        if (m->held_bytes + len <= m->o.hold_max_bytes && hold_add(m, c->id, rec, len) == 0)
                                return 0;
                        if (hd)
                                hold_flush(m, hd); /* out of room: keep the order, give up waiting */
                }
        }
        deliver(m, rec, len, c);
        return 0;
}

/* ---- setup ---- */

struct scan_ctx {
        struct monitor *m;
        size_t n;
};

static int on_existing_cgroup(void *userdata, uint64_t id, const char *path) {
        struct scan_ctx *sc = userdata;
        char cid[65];
        if (rt_cgroup_container_id(path, cid) < 0)
                return 0;
        if (sensor_watch_cgroup(sc->m->sensor, id) < 0)
                return 0; /* the map is full: counted by the kernel side for new ones; skip */
        (void) resolver_cgroup_add(sc->m->resolver, id, cid);
        sc->n++;
        return 0;
}

int monitor_new(const struct monitor_options *o, struct diag *d, struct monitor **ret) {
        _cleanup_(monitor_freep) struct monitor *m = calloc(1, sizeof(*m));
        int r;
        if (!m)
                return -ENOMEM;
        m->epfd = m->stop_fd = m->timer_fd = -1;
        pthread_mutex_init(&m->stats_lock, NULL);
        m->o = *o;
        if (!m->o.hold_ms)
                m->o.hold_ms = 2000;
        if (!m->o.hold_max_bytes)
                m->o.hold_max_bytes = 16u << 20;
        if (!m->o.process_max)
                m->o.process_max = 65536;
        m->holds = hashmap_new();
        if (!m->holds)
                return -ENOMEM;

        if ((r = rt_cgroup_detect(NULL, &m->layout, d)) < 0)
                return r;
        struct resolver_options ro = {.docker_host = o->docker_host};
        if ((r = resolver_new(&ro, d, &m->resolver)) < 0)
                return r;
        struct sensor_options so = {
                .include_host = o->include_host,
                .ringbuf_bytes = o->ringbuf_bytes,
                .no_ia32 = o->no_ia32,
                .open_repeat_ns = o->open_repeat_ns,
                .layout = &m->layout,
        };
        if ((r = sensor_open(&so, d, &m->sensor)) < 0)
                return r;
        /* after the sensor: a container created in between is seen twice, never missed */
        struct scan_ctx sc = {.m = m};
        if ((r = rt_cgroup_scan(m->layout.mount, on_existing_cgroup, &sc)) < 0)
                return diag_error(d, r, "cannot scan the cgroups under '%s': %s", m->layout.mount,
                                  strerror(-r));
        m->initial_cgroups = sc.n;

        m->epfd = epoll_create1(EPOLL_CLOEXEC);
        m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (m->epfd < 0 || m->stop_fd < 0 || m->timer_fd < 0)
                return diag_error(d, negative_errno(), "cannot set up the event loop: %s", strerror(errno));
        int fds[] = {sensor_fd(m->sensor), resolver_notify_fd(m->resolver), m->stop_fd, m->timer_fd};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                struct epoll_event ee = {.events = EPOLLIN, .data.u32 = (uint32_t) i};
                if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fds[i], &ee) < 0)
                        return diag_error(d, negative_errno(), "cannot set up the event loop: %s",
                                          strerror(errno));
        }
        struct itimerspec its = {.it_interval = {0, TIMER_MS * 1000000L},
                                 .it_value = {0, TIMER_MS * 1000000L}};
        timerfd_settime(m->timer_fd, 0, &its, NULL);
        update_clock_offset(m);
        /* loading parsed the kernel's BTF (megabytes, freed by now): give the pages back */
        malloc_trim(0);
        *ret = TAKE_PTR(m);
        return 0;
}

void monitor_free(struct monitor *m) {
        if (!m)
                return;
        if (m->holds) {
                const char *k;
                struct hold *h;
                HASHMAP_FOREACH (k, h, m->holds, i) {
                        while (h->head) {
                                struct held_rec *r = h->head;
                                h->head = r->next;
                                free(r);
                        }
                        free(h);
                }
                hashmap_free(m->holds);
        }
        uint64_t pid;
        struct proc_entry *p;
        for (size_t i = 0; u64map_next(&m->procs, &i, &pid, (void **) &p);)
                proc_entry_free(p);
        u64map_free(&m->procs);
        u64map_free(&m->tried);
        sensor_free(m->sensor);
        resolver_free(m->resolver);
        if (m->epfd >= 0)
                close(m->epfd);
        if (m->stop_fd >= 0)
                close(m->stop_fd);
        if (m->timer_fd >= 0)
                close(m->timer_fd);
        pthread_mutex_destroy(&m->stats_lock);
        free(m);
}

const struct sensor *monitor_sensor(const struct monitor *m) {
        return m->sensor;
}

const struct rt_cgroup_layout *monitor_layout(const struct monitor *m) {
        return &m->layout;
}

size_t monitor_initial_cgroups(const struct monitor *m) {
        return m->initial_cgroups;
}

void monitor_stop(struct monitor *m) {
        uint64_t one = 1;
        (void) !write(m->stop_fd, &one, sizeof(one));
}

int monitor_run(struct monitor *m, uint64_t duration_ms, monitor_event_fn cb, monitor_tick_fn tick,
                unsigned tick_ms, void *userdata) {
        uint64_t start = mono_ms(), last_tick = start, last_sweep = start;
        int r = 0;

        m->cb = cb;
        m->userdata = userdata;
        for (;;) {
                struct epoll_event evs[4];
                int n = epoll_wait(m->epfd, evs, ELEMENTSOF(evs), SENSOR_POLL_MS);
                if (n < 0 && errno != EINTR)
                        return negative_errno();
                bool stop = false, consumed = false;
                for (int i = 0; i < n; i++) {
                        uint64_t v;
                        switch (evs[i].data.u32) {
                        case 0:
                                r = sensor_consume(m->sensor, on_record, m);
                                if (r < 0)
                                        return r;
                                consumed = true;
                                break;
                        case 1:
                                (void) !read(resolver_notify_fd(m->resolver), &v, sizeof(v));
                                holds_release(m, false);
                                break;
                        case 2: stop = true; break;
                        case 3: (void) !read(m->timer_fd, &v, sizeof(v)); break;
                        }
                }
                if (!consumed) { /* the kernel does not wake us for every record */
                        r = sensor_consume(m->sensor, on_record, m);
                        if (r < 0)
                                return r;
                }
                uint64_t t = mono_ms();
                holds_release(m, false);
                if (t - last_sweep >= SWEEP_MS) {
                        procs_sweep(m);
                        update_clock_offset(m);
                        last_sweep = t;
                }
                if (tick && tick_ms && t - last_tick >= tick_ms) {
                        tick(userdata);
                        last_tick = t;
                }
                if (stop || (duration_ms && t - start >= duration_ms))
                        break;
        }
        /* what is still in the ring and still held goes out before returning */
        r = sensor_consume(m->sensor, on_record, m);
        holds_release(m, true);
        return r < 0 ? r : 0;
}

void monitor_get_stats(struct monitor *m, bool kernel_map, struct monitor_stats *ret) {
        memset(ret, 0, sizeof(*ret));
        (void) sensor_read_counters(m->sensor, &ret->sensor);
        resolver_get_stats(m->resolver, &ret->resolver);
        pthread_mutex_lock(&m->stats_lock);
        ret->delivered = m->delivered;
        ret->decode_errors = m->decode_errors;
        ret->held = m->held;
        ret->released_incomplete = m->released_incomplete;
        ret->held_now = m->held_now;
        ret->held_bytes = m->held_bytes;
        ret->processes = m->n_procs;
        pthread_mutex_unlock(&m->stats_lock);
        if (kernel_map)
                ret->watched_cgroups = sensor_watched_cgroups(m->sensor);
}
