/* SPDX-License-Identifier: Apache-2.0 */
/* Alerts (alerts.h): rendering, aggregation, the file / stdout / syslog writers. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hashmap.h"
#include "vec.h"
#include "runtime/alerts.h"

#define OPEN_MAX 65536 /* open incidents; beyond, the oldest windows are closed early */

struct open_incident {
        char *key; /* the map's key (the map borrows it) */
        uint64_t incident, count, written_count;
        uint64_t first_ns, last_ns;
        char *prefix; /* the line up to "action" */
        char *action;
        int priority;
};

struct alerts {
        FILE *out;
        bool own_out;
        bool syslog;
        uint64_t window_ns;
        char *host;
        struct hashmap *open; /* "rule\x1fcontainer\x1fsubject" → struct open_incident */
        struct alerts_stats stats;
};

void alerts_format_time(uint64_t ns, char out[static 40]) {
        time_t sec = (time_t) (ns / 1000000000u);
        struct tm tm;
        if (!gmtime_r(&sec, &tm))
                memset(&tm, 0, sizeof tm);
        unsigned y = (unsigned) (tm.tm_year + 1900) % 10000u, mo = (unsigned) (tm.tm_mon + 1) % 100u,
                 da = (unsigned) tm.tm_mday % 100u, h = (unsigned) tm.tm_hour % 100u,
                 mi = (unsigned) tm.tm_min % 100u, se = (unsigned) tm.tm_sec % 100u;
        snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%09uZ", y, mo, da, h, mi, se,
                 (unsigned) (ns % 1000000000u));
}

void alert_from_rule(struct alert *a, const struct rt_rule *r) {
        a->rule_id = r->id;
        a->rule_title = r->title;
        a->severity = rt_severity_name(r->severity);
        a->technique = r->technique;
        a->tactic = r->tactic;
}

static int kv_str(struct buf *b, bool *first, const char *k, const char *v) {
        if (!v)
                return 0;
        int r = buf_printf(b, "%s\"%s\":", *first ? "" : ",", k);
        *first = false;
        return r < 0 ? r : rt_json_string(b, v, strlen(v));
}

static int kv_u64(struct buf *b, bool *first, const char *k, uint64_t v) {
        int r = buf_printf(b, "%s\"%s\":%" PRIu64, *first ? "" : ",", k, v);
        *first = false;
        return r;
}

static int render_prefix(const struct alert *a, const char *host, struct buf *b) {
        char t[40];
        bool first = true, f2;
        int r;

        alerts_format_time(a->time_ns, t);
        r = buf_append_char(b, '{');
        if (r >= 0)
                r = kv_str(b, &first, "time", t);
        if (r >= 0)
                r = kv_str(b, &first, "host", host);
        if (r >= 0)
                r = kv_str(b, &first, "kind", a->kind ? a->kind : "detection");
        const struct rt_event *ev = a->ev;
        const struct rt_container *c = ev ? ev->container : NULL;
        if (r >= 0 && c) {
                f2 = true;
                r = buf_append_str(b, ",\"container\":{");
                if (r >= 0)
                        r = kv_str(b, &f2, "id", c->id);
                if (r >= 0)
                        r = kv_str(b, &f2, "name", c->name);
                if (r >= 0)
                        r = buf_append_str(b, "},\"image\":{");
                f2 = true;
                if (r >= 0)
                        r = kv_str(b, &f2, "name", c->image);
                if (r >= 0)
                        r = kv_str(b, &f2, "id", c->image_id);
                if (r >= 0)
                        r = kv_str(b, &f2, "digest", c->image_digest);
                if (r >= 0)
                        r = buf_append_char(b, '}');
        }
        if (r >= 0) {
                r = buf_append_str(b, ",\"rule\":{");
                f2 = true;
                if (r >= 0)
                        r = kv_str(b, &f2, "id", a->rule_id);
                if (r >= 0)
                        r = kv_str(b, &f2, "title", a->rule_title);
                if (r >= 0)
                        r = buf_append_char(b, '}');
        }
        if (r >= 0)
                r = kv_str(b, &first, "severity", a->severity);
        if (r >= 0 && (a->technique || a->tactic)) {
                r = buf_append_str(b, ",\"mitre\":{");
                f2 = true;
                if (r >= 0)
                        r = kv_str(b, &f2, "technique", a->technique);
                if (r >= 0)
                        r = kv_str(b, &f2, "tactic", a->tactic);
                if (r >= 0)
                        r = buf_append_char(b, '}');
        }
        if (r >= 0 && ev) {
                r = buf_append_str(b, ",\"process\":{");
                f2 = true;
                if (r >= 0)
                        r = kv_u64(b, &f2, "pid", ev->proc.pid);
                if (r >= 0)
                        r = kv_u64(b, &f2, "ppid", ev->proc.ppid);
                const char *exe = ev->type == RT_EV_EXEC && ev->u.exec.exe ? ev->u.exec.exe : ev->proc.exe;
                if (r >= 0)
                        r = kv_str(b, &f2, "exe", exe);
                const char *const *argv =
                        ev->type == RT_EV_EXEC && ev->u.exec.argv ? ev->u.exec.argv : ev->proc.argv;
                if (r >= 0 && argv) {
                        r = buf_append_str(b, ",\"cmdline\":[");
                        for (size_t i = 0; r >= 0 && argv[i] && i < RT_ARGV_MAX; i++) {
                                if (i)
                                        r = buf_append_char(b, ',');
                                if (r >= 0)
                                        r = rt_json_string(b, argv[i], strlen(argv[i]));
                        }
                        if (r >= 0)
                                r = buf_append_char(b, ']');
                }
                if (r >= 0)
                        r = kv_str(b, &f2, "user", a->user);
                if (r >= 0)
                        r = kv_u64(b, &f2, "uid", ev->proc.uid);
                if (r >= 0)
                        r = buf_append_char(b, '}');
        }
        if (r >= 0)
                r = kv_str(b, &first, "subject", a->subject);
        if (r >= 0)
                r = kv_str(b, &first, "expected", a->expected);
        if (r >= 0)
                r = kv_str(b, &first, "observed", a->observed);
        return r;
}

static int render_suffix(struct buf *b, const char *action, uint64_t incident, uint64_t count,
                         uint64_t first_ns, uint64_t last_ns) {
        char f[40], l[40];
        const char *act = action ? action : "alert";
        alerts_format_time(first_ns, f);
        alerts_format_time(last_ns, l);
        int r = buf_append_str(b, ",\"action\":");
        if (r >= 0)
                r = rt_json_string(b, act, strlen(act));
        if (r >= 0)
                r = buf_printf(b,
                               ",\"count\":%" PRIu64
                               ",\"first\":\"%s\",\"last\":\"%s\",\"incident\":%" PRIu64 "}\n",
                               count, f, l, incident);
        return r;
}

int alerts_render(const struct alert *a, const char *host, uint64_t incident, uint64_t count,
                  uint64_t first_ns, uint64_t last_ns, struct buf *out) {
        int r = render_prefix(a, host, out);
        return r < 0 ? r : render_suffix(out, a->action, incident, count, first_ns, last_ns);
}

static int severity_priority(const char *s) {
        if (!s)
                return LOG_WARNING;
        if (streq(s, "critical"))
                return LOG_CRIT;
        if (streq(s, "high"))
                return LOG_ERR;
        if (streq(s, "medium"))
                return LOG_WARNING;
        return LOG_NOTICE;
}

int alerts_new(const struct alerts_options *o, struct diag *d, struct alerts **ret) {
        struct alerts *al = calloc(1, sizeof *al);
        if (!al)
                return -ENOMEM;
        al->window_ns = (uint64_t) (o->window_s ? o->window_s : 60) * 1000000000u;
        al->syslog = o->syslog;
        al->host = strdup(o->host ? o->host : "localhost");
        al->open = hashmap_new();
        if (!al->host || !al->open) {
                alerts_close(al);
                return -ENOMEM;
        }
        if (o->out)
                al->out = o->out;
        else if (o->path && streq(o->path, "-"))
                al->out = stdout;
        else if (o->path) {
                int fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (fd < 0 || !(al->out = fdopen(fd, "a"))) {
                        int r = -errno;
                        if (fd >= 0)
                                close(fd);
                        alerts_close(al);
                        return diag_error(d, r, "cannot open alerts file '%s': %s", o->path, strerror(-r));
                }
                al->own_out = true;
                setvbuf(al->out, NULL, _IOLBF, 0);
        }
        if (al->syslog)
                openlog("stockade", LOG_PID | LOG_NDELAY, LOG_DAEMON);
        *ret = al;
        return 0;
}

static void write_line(struct alerts *al, const char *line, size_t len, int priority) {
        al->stats.lines++;
        if (al->out) {
                if (fwrite(line, 1, len, al->out) != len || fflush(al->out) != 0)
                        al->stats.write_errors++;
        }
        if (al->syslog)
                syslog(priority, "%.*s", (int) (len && line[len - 1] == '\n' ? len - 1 : len), line);
}

static void key_of(const char *rule, const char *container, const char *subject, struct buf *k) {
        buf_reset(k);
        (void) buf_printf(k, "%s\x1f%s\x1f%s", rule, container ? container : "", subject ? subject : "");
}

static void write_open(struct alerts *al, struct open_incident *o) {
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        if (buf_append_str(&b, o->prefix) >= 0 &&
            render_suffix(&b, o->action, o->incident, o->count, o->first_ns, o->last_ns) >= 0)
                write_line(al, b.data, b.len, o->priority);
        o->written_count = o->count;
}

bool alerts_is_open(struct alerts *al, const char *rule_id, const char *container_id, const char *subject,
                    uint64_t now_ns) {
        _cleanup_(buf_free) struct buf k = BUF_INIT(0);
        key_of(rule_id, container_id, subject, &k);
        struct open_incident *o = k.data ? hashmap_get(al->open, k.data) : NULL;
        return o && now_ns - o->last_ns < al->window_ns;
}

int alerts_repeat(struct alerts *al, const char *rule_id, const char *container_id, const char *subject,
                  uint64_t now_ns, const char *action, uint64_t *ret_incident, uint64_t *ret_count) {
        _cleanup_(buf_free) struct buf k = BUF_INIT(0);
        key_of(rule_id, container_id, subject, &k);
        if (!k.data)
                return 0;
        struct open_incident *o = hashmap_get(al->open, k.data);
        if (!o || now_ns - o->last_ns >= al->window_ns)
                return 0; /* a passed window is closed by the next tick; this starts a new incident */
        o->count++;
        if (now_ns > o->last_ns)
                o->last_ns = now_ns;
        al->stats.repeats++;
        if (action && !streq(action, "alert") && !streq(action, o->action ? o->action : "alert")) {
                /* what was done changed (the first time only alerted, this one was killed): say so now */
                char *c = strdup(action);
                if (c) {
                        free(o->action);
                        o->action = c;
                        write_open(al, o);
                }
        }
        if (ret_incident)
                *ret_incident = o->incident;
        if (ret_count)
                *ret_count = o->count;
        return 1;
}

static void close_one(struct alerts *al, struct open_incident *o) {
        if (o->count > o->written_count)
                write_open(al, o);
        free(o->prefix);
        free(o->action);
        free(o->key);
        free(o);
}

int alerts_emit(struct alerts *al, const struct alert *a, uint64_t incident) {
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        _cleanup_(buf_free) struct buf k = BUF_INIT(0);
        int r = render_prefix(a, al->host, &b);
        if (r < 0)
                return r;
        struct open_incident *o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        o->incident = incident;
        o->count = o->written_count = 1;
        o->first_ns = o->last_ns = a->time_ns;
        o->priority = severity_priority(a->severity);
        o->prefix = strdup(b.data);
        o->action = strdup(a->action ? a->action : "alert");
        if (!o->prefix || !o->action) {
                free(o->prefix);
                free(o->action);
                free(o);
                return -ENOMEM;
        }
        r = render_suffix(&b, o->action, incident, 1, a->time_ns, a->time_ns);
        if (r < 0) {
                free(o->prefix);
                free(o->action);
                free(o);
                return r;
        }
        write_line(al, b.data, b.len, o->priority);
        al->stats.incidents++;

        if (hashmap_size(al->open) >= OPEN_MAX)
                (void) alerts_tick(al, UINT64_MAX); /* out of room: close everything open */
        key_of(a->rule_id, a->ev && a->ev->container ? a->ev->container->id : NULL, a->subject, &k);
        void *old = NULL;
        o->key = k.data ? strdup(k.data) : NULL;
        if (!o->key || hashmap_put(al->open, o->key, o, &old) < 0) {
                free(o->key);
                free(o->prefix);
                free(o->action);
                free(o);
                return -ENOMEM;
        }
        if (old)
                close_one(al, old);
        return 0;
}

size_t alerts_tick(struct alerts *al, uint64_t now_ns) {
        size_t closed = 0, i = 0;
        const char *k;
        void *v;
        /* collect first: no changes while iterating */
        VEC(char *) gone = {};
        while (hashmap_next(al->open, &i, &k, &v)) {
                struct open_incident *o = v;
                if (now_ns == UINT64_MAX || now_ns - o->last_ns >= al->window_ns) {
                        char *c = strdup(k);
                        if (!c || VEC_PUSH(&gone, c) < 0) {
                                free(c);
                                break;
                        }
                }
        }
        for (size_t j = 0; j < gone.n; j++) {
                struct open_incident *o = hashmap_remove(al->open, gone.items[j]);
                if (o) {
                        close_one(al, o);
                        closed++;
                }
                free(gone.items[j]);
        }
        VEC_FREE(&gone);
        return closed;
}

void alerts_close(struct alerts *al) {
        if (!al)
                return;
        if (al->open) {
                (void) alerts_tick(al, UINT64_MAX);
                hashmap_free(al->open);
        }
        if (al->own_out && al->out)
                fclose(al->out);
        else if (al->out)
                fflush(al->out);
        if (al->syslog)
                closelog();
        free(al->host);
        free(al);
}

void alerts_get_stats(const struct alerts *al, struct alerts_stats *ret) {
        *ret = al->stats;
        ret->open = hashmap_size(al->open);
}
