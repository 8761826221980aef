/* SPDX-License-Identifier: Apache-2.0 */
/* The resolver's engine thread: one libcurl multi handle over the engine's unix socket carrying the
 * /events stream and up to MAX_INFLIGHT list/inspect requests, woken by curl_multi_wakeup() when a new
 * container needs describing or when it must stop. */

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include "hashmap.h"
#include "resolver.h"
#include "runtime-internal.h"

#define MAX_INFLIGHT     4
#define INSPECT_ATTEMPTS 3
#define IMAGE_CACHE_MAX  1024
#define BACKOFF_START_MS 100
#define LIST_MAX         100000
#define GRAVE_MS         10000 /* a dropped container's description stays this long for late lookups */
#define GRAVE_MAX        1024

enum centry_state {
        CE_RESOLVING, /* waiting for the engine */
        CE_READY,     /* described */
        CE_GONE,      /* the engine does not know it (or gave up): id only */
};

struct centry {
        char id[65];
        struct rt_container *snap; /* current snapshot (never NULL) */
        enum centry_state state;
        unsigned ncgroups;
        unsigned attempts;
        bool alive;  /* the engine says it exists (created, running) */
        bool queued; /* an inspect is queued or in flight */
        bool listed; /* seen in the last list */
};

/* A container dropped a moment ago: the monitor may still hold its events (held while the inspect was
 * in flight) or see late ones. */
struct grave {
        char id[65];
        struct rt_container *snap;
        uint64_t expiry_ms;
};

enum req_kind { REQ_EVENTS, REQ_LIST, REQ_INSPECT, REQ_IMAGE };

struct req {
        enum req_kind kind;
        CURL *h;
        struct resolver *r;
        char id[65];
        char *image_id;
        struct rt_container *partial; /* REQ_IMAGE: described, waiting for the digest */
        struct buf body;
        bool line_overflow;
        bool headers_done;
        struct req *next;
};

struct resolver {
        pthread_mutex_t lock;
        pthread_t thread;
        bool thread_started;
        bool stop;
        int notify_fd;
        char socket_path[256];
        unsigned backoff_max_ms, timeout_ms;

        /* under lock */
        struct hashmap *containers; /* id → struct centry */
        struct u64map cgroups;      /* cgroup id → struct centry */
        struct hashmap *images;     /* image id → digest ("" for none); keys owned (strdup) */
        struct hashmap *graves;     /* id → struct grave */
        char (*queue)[65];          /* container ids to inspect */
        size_t n_queue, queue_alloc;
        bool connected;
        struct resolver_stats stats;

        /* engine thread only */
        CURLM *multi;
        struct req *reqs; /* in flight */
        size_t inflight;
        struct req *events;
        bool list_pending;
        uint64_t next_connect_ms;
        unsigned backoff_ms;
};

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void notify(struct resolver *r) {
        uint64_t one = 1;
        (void) !write(r->notify_fd, &one, sizeof(one));
}

int resolver_socket_path(const char *host, char *ret, size_t retlen) {
        if (!host || !*host)
                host = getenv("DOCKER_HOST");
        if (!host || !*host)
                host = "unix:///var/run/docker.sock";
        if (strneq(host, "unix://", 7))
                host += 7;
        else if (strstr(host, "://"))
                return -EPROTONOSUPPORT;
        if (host[0] != '/' || strlen(host) >= retlen)
                return -EINVAL;
        snprintf(ret, retlen, "%s", host);
        return 0;
}

/* ---- tables (lock held) ---- */

static void centry_free(struct centry *e) {
        if (!e)
                return;
        rt_container_unref(e->snap);
        free(e);
}

static struct centry *centry_get_or_new(struct resolver *r, const char *id, bool *ret_new) {
        struct centry *e = hashmap_get(r->containers, id);
        *ret_new = false;
        if (e)
                return e;
        e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        memcpy(e->id, id, 65);
        e->snap = rt_container_new_bare(id);
        e->state = CE_RESOLVING;
        if (!e->snap || hashmap_put(r->containers, e->id, e, NULL) < 0) {
                centry_free(e);
                return NULL;
        }
        *ret_new = true;
        return e;
}

static void queue_inspect(struct resolver *r, struct centry *e) {
        if (e->queued)
                return;
        if (r->n_queue == r->queue_alloc) {
                size_t n = r->queue_alloc ? r->queue_alloc * 2 : 64;
                void *q = realloc(r->queue, n * sizeof(*r->queue));
                if (!q)
                        return; /* the container stays RESOLVING; the monitor stops waiting for it */
                r->queue = q;
                r->queue_alloc = n;
        }
        memcpy(r->queue[r->n_queue++], e->id, 65);
        e->queued = true;
}

static void grave_free(struct grave *g) {
        if (!g)
                return;
        rt_container_unref(g->snap);
        free(g);
}

static void graves_expire(struct resolver *r, bool make_room) {
        uint64_t t = now_ms();
        size_t n = 0;
        const char *k;
        struct grave *g;
        struct grave **old = calloc(hashmap_size(r->graves) + 1, sizeof(*old));
        if (!old)
                return;
        HASHMAP_FOREACH (k, g, r->graves, i)
                if (g->expiry_ms <= t || (make_room && n == 0))
                        old[n++] = g;
        for (size_t i = 0; i < n; i++) {
                hashmap_remove(r->graves, old[i]->id);
                grave_free(old[i]);
        }
        free(old);
}

/* Drops the entry when nothing keeps it: no cgroups, the engine does not say it exists, and no inspect
 * is on its way (whose answer the monitor may be holding events for). Its description stays in the
 * graves for GRAVE_MS. */
static void centry_maybe_drop(struct resolver *r, struct centry *e) {
        if (e->ncgroups > 0 || e->alive || e->queued)
                return;
        hashmap_remove(r->containers, e->id);
        graves_expire(r, hashmap_size(r->graves) >= GRAVE_MAX);
        struct grave *g = calloc(1, sizeof(*g));
        if (g) {
                memcpy(g->id, e->id, 65);
                g->snap = rt_container_ref(e->snap);
                g->expiry_ms = now_ms() + GRAVE_MS;
                struct grave *old = NULL;
                if (hashmap_put(r->graves, g->id, g, (void **) &old) < 0)
                        grave_free(g);
                else
                        grave_free(old);
        }
        centry_free(e);
}

static void publish(struct resolver *r, const char *id, struct rt_container *snap, enum centry_state st) {
        pthread_mutex_lock(&r->lock);
        struct centry *e = hashmap_get(r->containers, id);
        if (e) {
                rt_container_unref(e->snap);
                e->snap = rt_container_ref(snap);
                e->state = st;
                e->queued = false;
                centry_maybe_drop(r, e); /* it may have exited while we asked */
        }
        pthread_mutex_unlock(&r->lock);
        notify(r);
}

/* ---- public, any thread ---- */

int resolver_notify_fd(const struct resolver *r) {
        return r->notify_fd;
}

int resolver_cgroup_add(struct resolver *r, uint64_t cgroup_id, const char *container_id) {
        bool is_new, wake = false;
        int ret = 0;

        if (!rt_is_container_id(container_id))
                return -EINVAL;
        pthread_mutex_lock(&r->lock);
        struct centry *old = u64map_get(&r->cgroups, cgroup_id);
        if (old && streq(old->id, container_id)) {
                pthread_mutex_unlock(&r->lock);
                return 0;
        }
        struct centry *e = centry_get_or_new(r, container_id, &is_new);
        if (!e) {
                ret = -ENOMEM;
                goto out;
        }
        if (u64map_put(&r->cgroups, cgroup_id, e) < 0) {
                ret = -ENOMEM;
                if (is_new)
                        centry_maybe_drop(r, e);
                goto out;
        }
        e->ncgroups++;
        if (old) { /* a reused cgroup id (should not happen: kernfs ids are not reused) */
                old->ncgroups--;
                centry_maybe_drop(r, old);
        }
        if (e->state == CE_RESOLVING && !e->queued) {
                queue_inspect(r, e);
                wake = true;
        }
out:
        pthread_mutex_unlock(&r->lock);
        if (wake && r->multi)
                curl_multi_wakeup(r->multi);
        return ret;
}

void resolver_cgroup_remove(struct resolver *r, uint64_t cgroup_id) {
        pthread_mutex_lock(&r->lock);
        struct centry *e = u64map_remove(&r->cgroups, cgroup_id);
        if (e) {
                e->ncgroups--;
                centry_maybe_drop(r, e);
        }
        pthread_mutex_unlock(&r->lock);
}

static struct rt_container *lookup_locked(struct centry *e, bool *ret_pending) {
        if (ret_pending)
                *ret_pending = e && e->state == CE_RESOLVING;
        return e ? rt_container_ref(e->snap) : NULL;
}

struct rt_container *resolver_lookup(struct resolver *r, uint64_t cgroup_id, bool *ret_pending) {
        pthread_mutex_lock(&r->lock);
        struct rt_container *c = lookup_locked(u64map_get(&r->cgroups, cgroup_id), ret_pending);
        pthread_mutex_unlock(&r->lock);
        return c;
}

struct rt_container *resolver_lookup_id(struct resolver *r, const char *id, bool *ret_pending) {
        pthread_mutex_lock(&r->lock);
        struct rt_container *c = lookup_locked(id ? hashmap_get(r->containers, id) : NULL, ret_pending);
        if (!c && id) {
                struct grave *g = hashmap_get(r->graves, id);
                if (g && g->expiry_ms > now_ms())
                        c = rt_container_ref(g->snap);
        }
        pthread_mutex_unlock(&r->lock);
        return c;
}

void resolver_get_stats(struct resolver *r, struct resolver_stats *ret) {
        pthread_mutex_lock(&r->lock);
        *ret = r->stats;
        ret->containers = hashmap_size(r->containers);
        ret->cgroups = r->cgroups.n;
        ret->images = hashmap_size(r->images);
        graves_expire(r, false);
        ret->gone = hashmap_size(r->graves);
        ret->connected = r->connected;
        ret->resolving = 0;
        const char *k;
        struct centry *e;
        HASHMAP_FOREACH (k, e, r->containers, i)
                ret->resolving += e->state == CE_RESOLVING;
        pthread_mutex_unlock(&r->lock);
}

/* ---- engine events ---- */

static void on_engine_event(struct resolver *r, const struct engine_event *ev) {
        bool is_new, wake = false;

        if (!streq(ev->type, "container") || !ev->id[0])
                return;
        pthread_mutex_lock(&r->lock);
        r->stats.engine_events++;
        const char *a = ev->action;
        if (streq(a, "create") || streq(a, "start") || streq(a, "restart") || streq(a, "unpause")) {
                struct centry *e = centry_get_or_new(r, ev->id, &is_new);
                if (e) {
                        e->alive = true;
                        if (e->state != CE_READY && !e->queued) {
                                queue_inspect(r, e);
                                wake = true;
                        }
                }
        } else if (streq(a, "rename") || streq(a, "update")) {
                struct centry *e = hashmap_get(r->containers, ev->id);
                if (e && !e->queued) {
                        e->attempts = 0;
                        queue_inspect(r, e); /* a new snapshot; the old one stays with its holders */
                        wake = true;
                }
        } else if (streq(a, "die") || streq(a, "destroy")) {
                struct centry *e = hashmap_get(r->containers, ev->id);
                if (e) {
                        e->alive = false;
                        centry_maybe_drop(r, e);
                }
        }
        pthread_mutex_unlock(&r->lock);
        (void) wake; /* we are the engine thread: the loop starts queued requests next */
}

/* ---- requests ---- */

static void req_free(struct req *q) {
        if (!q)
                return;
        if (q->h) {
                curl_multi_remove_handle(q->r->multi, q->h);
                curl_easy_cleanup(q->h);
        }
        free(q->image_id);
        rt_container_unref(q->partial);
        buf_free(&q->body);
        free(q);
}

static void events_feed(struct req *q, const char *p, size_t n) {
        for (size_t i = 0; i < n;) {
                const char *nl = memchr(p + i, '\n', n - i);
                size_t k = nl ? (size_t) (nl - (p + i)) : n - i;
                if (!q->line_overflow && buf_append(&q->body, p + i, k) == -E2BIG) {
                        q->line_overflow = true; /* skip to the end of this line */
                        buf_reset(&q->body);
                        pthread_mutex_lock(&q->r->lock);
                        q->r->stats.engine_errors++;
                        pthread_mutex_unlock(&q->r->lock);
                }
                i += k;
                if (!nl)
                        break;
                i++;
                if (!q->line_overflow && q->body.len > 0) {
                        struct engine_event ev;
                        struct diag d;
                        diag_init(&d);
                        if (engine_parse_event(q->body.data, q->body.len, &ev, &d) == 0)
                                on_engine_event(q->r, &ev);
                        else {
                                pthread_mutex_lock(&q->r->lock);
                                q->r->stats.engine_errors++;
                                pthread_mutex_unlock(&q->r->lock);
                        }
                        diag_done(&d);
                }
                buf_reset(&q->body);
                q->line_overflow = false;
        }
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *userdata) {
        struct req *q = userdata;
        size_t n = size * nmemb;
        if (q->kind == REQ_EVENTS) {
                events_feed(q, p, n);
                return n;
        }
        if (buf_append(&q->body, p, n) < 0)
                return 0; /* over the cap: curl fails the transfer */
        return n;
}

static size_t header_cb(char *p, size_t size, size_t nmemb, void *userdata) {
        struct req *q = userdata;
        size_t n = size * nmemb;
        if (q->kind == REQ_EVENTS && !q->headers_done && n <= 2 &&
            (n == 0 || p[0] == '\r' || p[0] == '\n')) {
                long status = 0;
                curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &status);
                q->headers_done = true;
                if (status == 200) {
                        pthread_mutex_lock(&q->r->lock);
                        q->r->connected = true;
                        pthread_mutex_unlock(&q->r->lock);
                        q->r->list_pending = true; /* take stock of what runs, now that no event is missed */
                }
        }
        return n;
}

static int req_start(struct resolver *r, enum req_kind kind, const char *id, const char *image_id,
                     struct rt_container *partial) {
        struct req *q = calloc(1, sizeof(*q));
        char url[512];
        if (!q)
                return -ENOMEM;
        q->kind = kind;
        q->r = r;
        q->body = BUF_INIT(kind == REQ_EVENTS ? ENGINE_EVENT_MAX : ENGINE_BODY_MAX);
        if (id)
                memcpy(q->id, id, 65);
        q->partial = rt_container_ref(partial);
        if (image_id && !(q->image_id = strdup(image_id))) {
                req_free(q);
                return -ENOMEM;
        }
        switch (kind) {
        case REQ_EVENTS:
                /* filters={"type":["container"]} */
                snprintf(url, sizeof(url),
                         "http://localhost/events?filters=%%7B%%22type%%22%%3A%%5B%%22container"
                         "%%22%%5D%%7D");
                break;
        case REQ_LIST: snprintf(url, sizeof(url), "http://localhost/containers/json"); break;
        case REQ_INSPECT: snprintf(url, sizeof(url), "http://localhost/containers/%s/json", id); break;
        case REQ_IMAGE: {
                /* image ids are "sha256:<hex>": only those are asked about */
                snprintf(url, sizeof(url), "http://localhost/images/%s/json", image_id);
                break;
        }
        }
        q->h = curl_easy_init();
        if (!q->h) {
                req_free(q);
                return -ENOMEM;
        }
        CURL *h = q->h;
        bool ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, r->socket_path) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_WRITEDATA, q) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_HEADERDATA, q) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_PRIVATE, q) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) r->timeout_ms) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_USERAGENT, "stockade-agent/" STOCKADE_VERSION) == CURLE_OK;
        if (ok && kind != REQ_EVENTS)
                ok = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) r->timeout_ms) == CURLE_OK &&
                     curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) ENGINE_BODY_MAX) ==
                             CURLE_OK;
        if (!ok || curl_multi_add_handle(r->multi, h) != CURLM_OK) {
                req_free(q);
                return -EIO;
        }
        q->next = r->reqs;
        r->reqs = q;
        if (kind == REQ_EVENTS)
                r->events = q;
        else
                r->inflight++;
        return 0;
}

/* The container is described; ask for its image's digest unless cached. */
static void inspect_done(struct resolver *r, struct rt_container *c) {
        bool cached = false;
        if (c->image_id) {
                pthread_mutex_lock(&r->lock);
                const char *digest = hashmap_get(r->images, c->image_id);
                if (digest) {
                        cached = true;
                        if (*digest)
                                c->image_digest = strdup(digest);
                }
                pthread_mutex_unlock(&r->lock);
        }
        if (cached || !c->image_id || !strneq(c->image_id, "sha256:", 7) ||
            strspn(c->image_id + 7, "0123456789abcdef") != strlen(c->image_id + 7) ||
            req_start(r, REQ_IMAGE, c->id, c->image_id, c) < 0)
                publish(r, c->id, c, CE_READY);
}

static void image_cache_put(struct resolver *r, const char *image_id, const char *digest) {
        pthread_mutex_lock(&r->lock);
        if (!hashmap_get(r->images, image_id)) {
                if (hashmap_size(r->images) >= IMAGE_CACHE_MAX) {
                        const char *k;
                        char *v;
                        size_t n = 0;
                        char **keys = calloc(hashmap_size(r->images), sizeof(char *));
                        HASHMAP_FOREACH (k, v, r->images, i) {
                                if (keys)
                                        keys[n++] = (char *) k;
                                free(v);
                        }
                        hashmap_clear(r->images);
                        for (size_t i = 0; i < n; i++)
                                free(keys[i]);
                        free(keys);
                }
                char *k = strdup(image_id), *v = strdup(digest ? digest : "");
                if (k && v && hashmap_put(r->images, k, v, NULL) >= 0)
                        k = v = NULL;
                free(k);
                free(v);
        }
        pthread_mutex_unlock(&r->lock);
}

static void list_done(struct resolver *r, const char *body, size_t len) {
        char(*ids)[65] = NULL;
        size_t n = 0;
        struct diag d;
        diag_init(&d);
        int ret = engine_parse_list(body, len, LIST_MAX, &ids, &n, &d);
        diag_done(&d);
        pthread_mutex_lock(&r->lock);
        r->stats.lists++;
        if (ret < 0) {
                r->stats.engine_errors++;
                pthread_mutex_unlock(&r->lock);
                return;
        }
        const char *k;
        struct centry *e;
        HASHMAP_FOREACH (k, e, r->containers, i)
                e->listed = false;
        for (size_t i = 0; i < n; i++) {
                bool is_new;
                e = centry_get_or_new(r, ids[i], &is_new);
                if (!e)
                        continue;
                e->alive = e->listed = true;
                if (e->state != CE_READY)
                        queue_inspect(r, e);
        }
        /* what the engine no longer runs was missed while disconnected (died, destroyed) */
        size_t nd = 0;
        struct centry **drop = calloc(hashmap_size(r->containers) + 1, sizeof(*drop));
        HASHMAP_FOREACH (k, e, r->containers, i)
                if (!e->listed && drop) {
                        e->alive = false;
                        drop[nd++] = e;
                }
        for (size_t i = 0; i < nd; i++)
                centry_maybe_drop(r, drop[i]);
        free(drop);
        pthread_mutex_unlock(&r->lock);
        free(ids);
        r->backoff_ms = BACKOFF_START_MS; /* a full round trip worked */
}

static void req_done(struct resolver *r, struct req *q, CURLcode res) {
        long status = 0;
        curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &status);
        const char *body = q->body.data ? q->body.data : "";

        switch (q->kind) {
        case REQ_EVENTS:
                pthread_mutex_lock(&r->lock);
                r->connected = false;
                r->stats.reconnects++;
                pthread_mutex_unlock(&r->lock);
                r->events = NULL;
                r->next_connect_ms = now_ms() + r->backoff_ms;
                r->backoff_ms = MIN(r->backoff_ms * 2, r->backoff_max_ms);
                break;
        case REQ_LIST:
                if (res == CURLE_OK && status == 200)
                        list_done(r, body, q->body.len);
                break;
        case REQ_INSPECT: {
                pthread_mutex_lock(&r->lock);
                r->stats.inspects++;
                pthread_mutex_unlock(&r->lock);
                if (res == CURLE_OK && status == 200) {
                        struct rt_container *c = NULL;
                        struct diag d;
                        diag_init(&d);
                        int ret = engine_parse_inspect(body, q->body.len, &c, &d);
                        diag_done(&d);
                        if (ret == 0 && streq(c->id, q->id)) {
                                inspect_done(r, c);
                                rt_container_unref(c);
                                break;
                        }
                        rt_container_unref(c);
                }
                pthread_mutex_lock(&r->lock);
                r->stats.inspect_failures++;
                struct centry *e = hashmap_get(r->containers, q->id);
                bool give_up = res == CURLE_OK || !e || ++e->attempts >= INSPECT_ATTEMPTS;
                if (e && !give_up) {
                        e->queued = false;
                        queue_inspect(r, e); /* retried once connected again */
                }
                pthread_mutex_unlock(&r->lock);
                if (give_up) { /* 404: already gone; or the engine keeps failing: the id is all we get */
                        struct rt_container *bare = rt_container_new_bare(q->id);
                        if (bare)
                                publish(r, q->id, bare, CE_GONE);
                        rt_container_unref(bare);
                }
                break;
        }
        case REQ_IMAGE: {
                char *digest = NULL;
                if (res == CURLE_OK && status == 200) {
                        struct diag d;
                        diag_init(&d);
                        if (engine_parse_image(body, q->body.len, &digest, &d) == 0)
                                image_cache_put(r, q->image_id, digest);
                        diag_done(&d);
                }
                if (digest && !q->partial->image_digest)
                        q->partial->image_digest = TAKE_PTR(digest); /* not yet published: ours alone */
                free(digest);
                publish(r, q->partial->id, q->partial, CE_READY);
                break;
        }
        }
}

static void reap(struct resolver *r) {
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(r->multi, &left))) {
                if (m->msg != CURLMSG_DONE)
                        continue;
                struct req *q = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &q);
                CURLcode res = m->data.result;
                if (!q)
                        continue;
                for (struct req **pp = &r->reqs; *pp; pp = &(*pp)->next)
                        if (*pp == q) {
                                *pp = q->next;
                                break;
                        }
                if (q->kind != REQ_EVENTS)
                        r->inflight--;
                req_done(r, q, res);
                req_free(q);
        }
}

/* Starts what can start: the events stream when disconnected and due, the list after connecting,
 * queued inspects while connected. Returns how long the loop may sleep. */
static int schedule(struct resolver *r) {
        uint64_t t = now_ms();
        int timeout = 1000;

        if (!r->events) {
                if (t >= r->next_connect_ms) {
                        if (req_start(r, REQ_EVENTS, NULL, NULL, NULL) < 0)
                                r->next_connect_ms = t + r->backoff_ms;
                } else
                        timeout = (int) MIN(r->next_connect_ms - t, (uint64_t) timeout);
        }
        pthread_mutex_lock(&r->lock);
        bool connected = r->connected;
        pthread_mutex_unlock(&r->lock);
        if (!connected)
                return timeout;
        if (r->list_pending && r->inflight < MAX_INFLIGHT && req_start(r, REQ_LIST, NULL, NULL, NULL) == 0)
                r->list_pending = false;
        while (r->inflight < MAX_INFLIGHT) {
                char id[65];
                bool have = false;
                pthread_mutex_lock(&r->lock);
                while (r->n_queue > 0 && !have) {
                        memcpy(id, r->queue[0], 65);
                        memmove(r->queue, r->queue + 1, (r->n_queue - 1) * sizeof(*r->queue));
                        r->n_queue--;
                        have = hashmap_get(r->containers, id) != NULL; /* dropped meanwhile: skip */
                }
                pthread_mutex_unlock(&r->lock);
                if (!have)
                        break;
                if (req_start(r, REQ_INSPECT, id, NULL, NULL) < 0)
                        break;
        }
        return timeout;
}

static void *engine_thread(void *userdata) {
        struct resolver *r = userdata;
        for (;;) {
                pthread_mutex_lock(&r->lock);
                bool stop = r->stop;
                pthread_mutex_unlock(&r->lock);
                if (stop)
                        break;
                int timeout = schedule(r);
                int running = 0;
                curl_multi_perform(r->multi, &running);
                reap(r);
                curl_multi_poll(r->multi, NULL, 0, timeout, NULL);
        }
        while (r->reqs) {
                struct req *q = r->reqs;
                r->reqs = q->next;
                req_free(q);
        }
        return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

int resolver_new(const struct resolver_options *o, struct diag *d, struct resolver **ret) {
        _cleanup_(resolver_freep) struct resolver *r = calloc(1, sizeof(*r));
        int e;
        if (!r)
                return -ENOMEM;
        pthread_mutex_init(&r->lock, NULL);
        r->notify_fd = -1;
        e = resolver_socket_path(o ? o->docker_host : NULL, r->socket_path, sizeof(r->socket_path));
        if (e < 0)
                return diag_error(d, e, "cannot use Docker host '%s': only unix sockets are supported",
                                  o && o->docker_host ? o->docker_host : getenv("DOCKER_HOST"));
        r->backoff_max_ms = o && o->backoff_max_ms ? o->backoff_max_ms : 5000;
        r->timeout_ms = o && o->request_timeout_ms ? o->request_timeout_ms : 10000;
        r->backoff_ms = BACKOFF_START_MS;
        r->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->notify_fd < 0)
                return diag_error(d, negative_errno(), "cannot create an eventfd: %s", strerror(errno));
        r->containers = hashmap_new();
        r->images = hashmap_new();
        r->graves = hashmap_new();
        if (!r->containers || !r->images || !r->graves)
                return -ENOMEM;
        pthread_once(&curl_once, curl_init_once);
        r->multi = curl_multi_init();
        if (!r->multi)
                return -ENOMEM;
        if ((e = pthread_create(&r->thread, NULL, engine_thread, r)) != 0)
                return diag_error(d, -e, "cannot start the resolver thread: %s", strerror(e));
        r->thread_started = true;
        *ret = TAKE_PTR(r);
        return 0;
}

void resolver_free(struct resolver *r) {
        if (!r)
                return;
        if (r->thread_started) {
                pthread_mutex_lock(&r->lock);
                r->stop = true;
                pthread_mutex_unlock(&r->lock);
                curl_multi_wakeup(r->multi);
                pthread_join(r->thread, NULL);
        }
        if (r->multi)
                curl_multi_cleanup(r->multi);
        if (r->containers) {
                const char *k;
                struct centry *e;
                HASHMAP_FOREACH (k, e, r->containers, i)
                        centry_free(e);
                hashmap_free(r->containers);
        }
        if (r->images) {
                const char *k;
                char *v;
                size_t n = 0;
                char **keys = calloc(hashmap_size(r->images) + 1, sizeof(char *));
                HASHMAP_FOREACH (k, v, r->images, i) {
                        if (keys)
                                keys[n++] = (char *) k;
                        free(v);
                }
                hashmap_free(r->images);
                for (size_t i = 0; i < n; i++)
                        free(keys[i]);
                free(keys);
        }
        if (r->graves) {
                const char *k;
                struct grave *g;
                HASHMAP_FOREACH (k, g, r->graves, i)
                        grave_free(g);
                hashmap_free(r->graves);
        }
        u64map_free(&r->cgroups);
        free(r->queue);
        if (r->notify_fd >= 0)
                close(r->notify_fd);
        pthread_mutex_destroy(&r->lock);
        free(r);
}
