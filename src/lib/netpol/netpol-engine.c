/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's network side: events → graph, policy → perimeters, deviations → alerts. See engine.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/json-util.h"
#include "runtime/control.h"
#include "netpol/capture.h"
#include "netpol/engine.h"
#include "../../bpf/netcap.h"
#include "vec.h"

#define NP_ADDRS_MAX         8
#define NP_REASSERT_PER_TICK 64
#define NP_INCIDENTS_MAX     4096

struct np_ctr {
        struct rt_container *c; /* reference */
        uint32_t pid;           /* the process whose namespace we enter */
        uint64_t netns;         /* its inode, to notice pid reuse */
        const char *workload;   /* points into c */
        struct np_cidr addrs[NP_ADDRS_MAX];
        size_t n_addrs;
        bool addrs_known;
        bool enforced; /* our table is installed */
        enum np_mode mode;
        const struct np_wpolicy *pol; /* into e->policy */
        struct np_nft *nft;           /* kept open while the container lives */
        struct np_capture_att cap;    /* the capture's programs on its cgroup */
        unsigned cap_tries;
};

struct np_incident {
        char key[384];
        uint64_t count, first_ns, last_ns;
};

/* A connection to an address no known container has: decided a tick later, because the peer may be a
 * container the agent has not seen do anything yet (started before the agent, or just now). */
struct np_pending {
        char src[NP_NAME_MAX];
        struct np_cidr addr;
        uint8_t proto;
        uint16_t port;
        uint64_t time_ns;
        unsigned age;
};
#define NP_PENDING_MAX 1024

struct np_engine {
        struct np_pending pending[NP_PENDING_MAX];
        size_t n_pending;
        bool counts_dirty;
        unsigned ticks;
        size_t n_open;       /* kept-open nft contexts (at most NP_NFT_OPEN_MAX) */
        uint64_t host_netns; /* the agent's own network namespace: never given a perimeter */
        char *dir;
        char host[256];
        bool alerts_stdout;
        void (*on_alert)(void *userdata, const struct np_alert *a);
        void *userdata;
        struct np_graph graph;
        uint64_t saved_generation;
        struct np_policy *policy;
        struct stat policy_st;
        bool policy_present;
        struct np_ctr *ctrs;
        size_t n_ctrs, alloc_ctrs;
        size_t reassert_cursor;
        bool containers_dirty;
        struct np_incident *incidents;
        size_t n_incidents;
        FILE *alerts;
        struct np_engine_stats st;
        struct np_capture *cap; /* NULL: no protocol identification (said once) */
        char message[1024];
        bool have_message;
        struct buf script, err;
};

static void message(struct np_engine *e, const char *fmt, ...) _printf_(2, 3);
static void message(struct np_engine *e, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        e->have_message = true;
}

const char *np_engine_take_message(struct np_engine *e) {
        if (!e->have_message)
                return NULL;
        e->have_message = false;
        return e->message;
}

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t realtime_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int write_atomic(const char *dir, const char *name, const char *data, size_t len) {
        char path[4096], tmp[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        size_t off = 0;
        while (off < len) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        unlink(tmp);
                        return -EIO;
                }
                off += (size_t) n;
        }
        if (rename(tmp, path) < 0) {
                int r = negative_errno();
                unlink(tmp);
                return r;
        }
        return 0;
}

static uint64_t netns_inode(uint32_t pid) {
        char p[64];
        struct stat st;
        snprintf(p, sizeof(p), "/proc/%u/ns/net", pid);
        return stat(p, &st) < 0 ? 0 : (uint64_t) st.st_ino;
}

/* ---- addresses → containers ---- */

static struct np_ctr *ctr_by_addr(struct np_engine *e, int family, const uint8_t *addr) {
        for (size_t i = 0; i < e->n_ctrs; i++)
                for (size_t k = 0; k < e->ctrs[i].n_addrs; k++)
                        if (np_cidr_contains(&e->ctrs[i].addrs[k], family, addr))
                                return &e->ctrs[i];
        return NULL;
}

static struct np_ctr *ctr_by_id(struct np_engine *e, const char *id) {
        for (size_t i = 0; i < e->n_ctrs; i++)
                if (streq(e->ctrs[i].c->id, id))
                        return &e->ctrs[i];
        return NULL;
}

/* The lookup the ruleset builder calls: "w:NAME" → the addresses of every replica of NAME. */
static struct np_cidr lookup_scratch[NP_ADDRS_MAX * 4096];

static void addr_lookup(void *userdata, const char *key, struct np_addrs *ret) {
        struct np_engine *e = userdata;
        size_t n = 0;
        ret->workload = key;
        ret->addrs = lookup_scratch;
        ret->n = 0;
        if (strncmp(key, "w:", 2) != 0)
                return; /* domains: resolved from DNS answers, not yet (docs/network.md) */
        for (size_t i = 0; i < e->n_ctrs; i++) {
                struct np_ctr *c = &e->ctrs[i];
                if (!c->pol || !streq(c->pol->name, key + 2)) /* policy names, not graph keys */
                        continue;
                for (size_t k = 0; k < c->n_addrs && n < ELEMENTSOF(lookup_scratch); k++)
                        lookup_scratch[n++] = c->addrs[k];
        }
        ret->n = n;
}

/* Whether c's perimeter has a set for peer key. */
static bool ctr_references(const struct np_ctr *c, const char *key) {
        if (!c->enforced || !c->pol || strncmp(key, "w:", 2) != 0)
                return false;
        for (int eg = 0; eg < 2; eg++) {
                const struct np_rule *rules = eg ? c->pol->egress : c->pol->ingress;
                size_t n = eg ? c->pol->n_egress : c->pol->n_ingress;
                for (size_t i = 0; i < n; i++)
                        for (size_t k = 0; k < rules[i].n_peers; k++)
                                if (rules[i].peers[k].kind == NP_PEER_WORKLOAD &&
                                    streq(rules[i].peers[k].name, key + 2))
                                        return true;
        }
        return false;
}

/* ---- perimeters ---- */

static int ctr_exec(struct np_engine *e, struct np_ctr *c, const char *script) {
        if (!c->nft && e->n_open >= NP_NFT_OPEN_MAX)
                return np_nft_run(c->pid, script, &e->err); /* past the cap: open and close each time */
        if (!c->nft) {
                int r = np_nft_open(c->pid, &c->nft);
                if (r < 0) {
                        buf_reset(&e->err);
                        (void) buf_printf(&e->err, "cannot enter its network namespace: %s", strerror(-r));
                        return -EIO;
                }
                e->n_open++;
        }
        return np_nft_exec(c->nft, script, &e->err);
}

/* The policy entry that selects c (rules name entries, so sets are keyed by entry names). */
static void ctr_select(struct np_engine *e, struct np_ctr *c) {
        c->pol = e->policy ? np_policy_select(e->policy, c->c) : NULL;
        c->mode = c->pol ? np_wpolicy_mode(e->policy, c->pol) : NP_MODE_LEARN;
}

static const char *pname(const struct np_ctr *c) {
        return c && c->pol ? c->pol->name : NULL;
}

static int ctr_apply(struct np_engine *e, struct np_ctr *c) {
        const struct np_wpolicy *w = c->pol;
        enum np_mode mode = c->mode;
        if (c->netns == e->host_netns || !c->n_addrs)
                return 0; /* never in the host's namespace; nothing to fence without an address */
        if (mode == NP_MODE_LEARN && !c->enforced)
                return 0;
        buf_reset(&e->script);
        int r = np_nft_build(w, mode, addr_lookup, e, &e->script);
        if (r >= 0)
                r = ctr_exec(e, c, e->script.data);
        e->st.applies++;
        if (r < 0) {
                e->st.apply_errors++;
                message(e, "cannot apply the network perimeter of container '%s': %s",
                        c->c->name ? c->c->name : c->c->id, r == -EIO ? e->err.data : strerror(-r));
                return r;
        }
        c->enforced = mode != NP_MODE_LEARN;
        e->containers_dirty = true;
        return 0;
}

/* A replica of a workload started (add) or stopped: every perimeter that names the workload gets these
 * addresses added to or deleted from its sets, nothing else. */
static void workload_changed(struct np_engine *e, const char *workload, const struct np_cidr *addrs,
                             size_t n, bool add) {
        char key[NP_NAME_MAX + 4];
        snprintf(key, sizeof(key), "w:%s", workload);
        buf_reset(&e->script);
        if (np_nft_set_change(key, addrs, n, add, &e->script) < 0 || !e->script.len)
                return;
        for (size_t i = 0; i < e->n_ctrs; i++) {
                struct np_ctr *c = &e->ctrs[i];
                if (!ctr_references(c, key))
                        continue;
                int r = ctr_exec(e, c, e->script.data);
                e->st.set_updates++;
                if (r < 0) {
                        /* the table may have been flushed under us, or the element was not there:
                         * rebuild that perimeter whole from what is known now */
                        (void) ctr_apply(e, c);
                        buf_reset(&e->script);
                        (void) np_nft_set_change(key, addrs, n, add, &e->script);
                }
        }
}

static void ctr_release(struct np_ctr *c) {
        np_capture_detach(&c->cap);
        np_nft_close(c->nft);
        rt_container_unref(c->c);
        *c = (struct np_ctr){};
}

static void ctr_remove(struct np_engine *e, size_t i) {
        _cleanup_free_ char *workload = pname(&e->ctrs[i]) ? strdup(pname(&e->ctrs[i])) : NULL;
        struct np_cidr addrs[NP_ADDRS_MAX];
        size_t n = e->ctrs[i].n_addrs;
        memcpy(addrs, e->ctrs[i].addrs, sizeof(addrs));
        if (e->ctrs[i].nft)
                e->n_open--;
        ctr_release(&e->ctrs[i]);
        e->ctrs[i] = e->ctrs[--e->n_ctrs];
        e->containers_dirty = true;
        if (workload && n)
                workload_changed(e, workload, addrs, n, false);
}

/* The capture on c's cgroup, found through a live process of it: the container's first process once the
 * engine said which, the process of the event being handled (pid, 0 at a tick), the first one seen. They
 * may be gone already: tried again at the next events and ticks, for a few seconds. */
static void capture_attach(struct np_engine *e, struct np_ctr *c, uint32_t pid) {
        if (!e->cap || c->cap.egress || c->cap_tries >= 5)
                return;
        uint32_t pids[] = {c->c->pid, pid, c->pid};
        int r = -ESRCH;
        for (size_t i = 0; i < ELEMENTSOF(pids) && r == -ESRCH; i++)
                if (pids[i])
                        r = np_capture_attach(e->cap, pids[i], &c->cap);
        if (r >= 0 || (r == -ESRCH && (pid || ++c->cap_tries < 5))) /* counted per tick */
                return;
        c->cap_tries = 5;
        message(e, "no protocol identification for container '%s': cannot attach the capture to its cgroup: %s",
                c->c->name ? c->c->name : c->c->id, strerror(-r));
}

static struct np_ctr *ctr_add(struct np_engine *e, struct rt_container *cont, uint32_t pid) {
        if (vec_grow_((void **) &e->ctrs, &e->alloc_ctrs, e->n_ctrs + 1, sizeof(struct np_ctr)) < 0)
                return NULL;
        struct np_ctr *c = &e->ctrs[e->n_ctrs++];
        *c = (struct np_ctr){.c = rt_container_ref(cont), .pid = pid, .netns = netns_inode(pid)};
        c->workload = np_container_workload(cont);
        (void) np_graph_workload(&e->graph, cont);
        e->containers_dirty = true;
        return c;
}

/* Reads the container's addresses (once they exist) and brings its perimeter and its peers' sets up to
 * date. */
static void ctr_refresh(struct np_engine *e, struct np_ctr *c, uint32_t pid) {
        capture_attach(e, c, pid);
        if (c->addrs_known)
                return;
        if (c->netns && c->netns == e->host_netns) {
                /* --network host: its namespace is the host's; a perimeter there would fence the host */
                c->addrs_known = true;
                c->n_addrs = 0;
                return;
        }
        size_t n = 0;
        if (np_netns_addrs(c->pid, c->addrs, NP_ADDRS_MAX, &n) < 0 || n == 0)
                return; /* not up yet (or host networking): try again on the next event or tick */
        c->n_addrs = n;
        c->addrs_known = true;
        uint64_t t0 = now_us();
        ctr_select(e, c);
        (void) ctr_apply(e, c);
        if (pname(c))
                workload_changed(e, pname(c), c->addrs, c->n_addrs, true);
        e->st.last_apply_us = now_us() - t0;
}

/* ---- alerts ---- */

static int json_str(struct buf *b, const char *s) {
        return rt_json_string(b, s ? s : "", s ? strlen(s) : 0);
}

static void alert(struct np_engine *e, const struct rt_event *ev, struct np_ctr *c, bool lateral,
                  const char *expected, const char *observed) {
        char key[384];
        /* one incident per container, action and observation: a mode switch starts a new one */
        snprintf(key, sizeof(key), "%s|%s|%.300s", c->c->id, np_mode_name(c->mode), observed);
        uint64_t t = ev->time_ns ? ev->time_ns : realtime_ns();
        if (e->on_alert) {
                struct np_alert na = {
                        .ev = ev,
                        .rule_id = lateral ? "netpol-lateral-movement" : "netpol-unexpected-egress",
                        .rule_title = lateral ? "connection to a workload outside the network policy"
                                              : "connection to an address outside the network policy",
                        .technique = lateral ? "T1021" : "T1041",
                        .tactic = lateral ? "lateral-movement" : "exfiltration",
                        .expected = expected,
                        .observed = observed,
                        .action = c->mode == NP_MODE_PROTECT ? "denied" : "alert",
                };
                e->on_alert(e->userdata, &na);
        }
        for (size_t i = 0; i < e->n_incidents; i++)
                if (streq(e->incidents[i].key, key)) {
                        e->incidents[i].count++;
                        e->incidents[i].last_ns = t;
                        return; /* one alert per incident; the count is kept */
                }
        if (e->n_incidents < NP_INCIDENTS_MAX) {
                struct np_incident *inc = &e->incidents[e->n_incidents++];
                snprintf(inc->key, sizeof(inc->key), "%s", key);
                inc->count = 1;
                inc->first_ns = inc->last_ns = t;
        }
        e->st.alerts++;
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        char ts[64];
        time_t secs = (time_t) (t / 1000000000ULL);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        bool deny = c->mode == NP_MODE_PROTECT;
        int r = buf_printf(&b, "{\"time\":\"%s.%09" PRIu64 "Z\",\"host\":", ts,
                           (uint64_t) (t % 1000000000ULL));
        if (r >= 0)
                r = json_str(&b, e->host);
        if (r >= 0)
                r = buf_printf(&b, ",\"container\":{\"id\":\"%s\",\"name\":", c->c->id);
        if (r >= 0)
                r = json_str(&b, c->c->name);
        if (r >= 0)
                r = buf_append_str(&b, "},\"image\":{\"name\":");
        if (r >= 0)
                r = json_str(&b, c->c->image);
        if (r >= 0 && c->c->image_digest) {
                r = buf_append_str(&b, ",\"digest\":");
                if (r >= 0)
                        r = json_str(&b, c->c->image_digest);
        }
        if (r >= 0)
                r = buf_append_str(&b, "},\"workload\":");
        if (r >= 0)
                r = json_str(&b, c->workload);
        if (r >= 0)
                r = buf_printf(&b,
                               ",\"rule\":{\"id\":\"%s\",\"title\":\"%s\"},\"severity\":\"high\","
                               "\"mitre\":{\"technique\":\"%s\",\"tactic\":\"%s\"},\"process\":{\"pid\":%u,"
                               "\"ppid\":%u,\"uid\":%u,\"exe\":",
                               lateral ? "netpol-lateral-movement" : "netpol-unexpected-egress",
                               lateral ? "connection to a workload outside the network policy"
                                       : "connection to an address outside the network policy",
                               lateral ? "T1021" : "T1041", lateral ? "lateral-movement" : "exfiltration",
                               ev->proc.pid, ev->proc.ppid, ev->proc.uid);
        if (r >= 0)
                r = json_str(&b, ev->proc.exe ? ev->proc.exe : ev->proc.comm);
        if (r >= 0)
                r = buf_append_str(&b, ",\"cmdline\":[");
        for (size_t i = 0; r >= 0 && ev->proc.argv && ev->proc.argv[i] && i < 64; i++) {
                if (i)
                        r = buf_append_char(&b, ',');
                if (r >= 0)
                        r = json_str(&b, ev->proc.argv[i]);
        }
        if (r >= 0)
                r = buf_append_str(&b, "]},\"expected\":");
        if (r >= 0)
                r = json_str(&b, expected);
        if (r >= 0)
                r = buf_append_str(&b, ",\"observed\":");
        if (r >= 0)
                r = json_str(&b, observed);
        if (r >= 0)
                r = buf_printf(&b,
                               ",\"action\":\"%s\",\"mode\":\"%s\",\"count\":1,\"first\":\"%s.%09" PRIu64
                               "Z\"}\n",
                               deny ? "denied" : "alert", np_mode_name(c->mode), ts,
                               (uint64_t) (t % 1000000000ULL));
        if (r < 0)
                return;
        if (e->alerts) {
                fwrite(b.data, 1, b.len, e->alerts);
                fflush(e->alerts);
        }
        if (e->alerts_stdout)
                fwrite(b.data, 1, b.len, stdout);
}

/* What the policy expects of w in one direction, for the alert's "expected". */
static void expected_text(const struct np_wpolicy *w, bool egress, char *out, size_t outlen) {
        const struct np_rule *rules = egress ? w->egress : w->ingress;
        size_t n = egress ? w->n_egress : w->n_ingress, k = 0;
        k += (size_t) snprintf(out, outlen, "%s of %s:", egress ? "egress" : "ingress", w->name);
        if (!n)
                snprintf(out + k, outlen - k, " nothing");
        for (size_t i = 0; i < n && k + 1 < outlen; i++)
                for (size_t j = 0; j < MAX(rules[i].n_peers, (size_t) 1) && k + 1 < outlen; j++) {
                        const struct np_peer *pe = rules[i].n_peers ? &rules[i].peers[j] : NULL;
                        char c[64] = "any";
                        if (pe && pe->kind == NP_PEER_CIDR)
                                np_cidr_format(&pe->cidr, c, sizeof(c));
                        else if (pe)
                                snprintf(c, sizeof(c), "%s", pe->name);
                        k += (size_t) snprintf(out + k, outlen - k, " %s", c);
                        for (size_t p = 0; p < rules[i].n_ports && k + 1 < outlen; p++)
                                k += (size_t) snprintf(out + k, outlen - k, "%s%s/%u", p ? "," : " ",
                                                       rules[i].ports[p].proto == IPPROTO_UDP ? "udp"
                                                                                              : "tcp",
                                                       rules[i].ports[p].port);
                        if (k + 2 < outlen)
                                out[k++] = ';', out[k] = 0;
                }
}

/* ---- events ---- */

static bool addr_interesting(const struct rt_sockaddr *a) {
        if (a->family == AF_INET)
                return a->addr[0] != 127 && a->addr[0] != 0;
        if (a->family == AF_INET6) {
                static const uint8_t lo[16] = {[15] = 1}, any[16] = {};
                return memcmp(a->addr, lo, 16) != 0 && memcmp(a->addr, any, 16) != 0;
        }
        return false;
}

/* ::ffff:a.b.c.d (a dual-stack socket's view of an IPv4 peer) → a.b.c.d */
static void unmap_v4(struct rt_sockaddr *a) {
        static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};
        if (a->family != AF_INET6 || memcmp(a->addr, prefix, 12) != 0)
                return;
        memmove(a->addr, a->addr + 12, 4);
        memset(a->addr + 4, 0, 12);
        a->family = AF_INET;
}

static void flow(struct np_engine *e, const struct rt_event *ev, struct np_ctr *c) {
        struct rt_sockaddr peer_v = ev->u.net.remote;
        const struct rt_sockaddr *peer = &peer_v;
        bool egress = ev->type == RT_EV_CONNECT;
        unmap_v4(&peer_v);
        if (!addr_interesting(peer) || peer->port == 0)
                return;
        /* refused or unreachable: no flow happened, and none was blocked by us (a drop shows as a connect
         * still in progress, timed out, or interrupted: -ERESTARTSYS and kin, 512-516, when a signal cut it)
         */
        if (egress && ev->result < 0 && ev->result != -EINPROGRESS && ev->result != -EINTR &&
            ev->result != -ETIMEDOUT && ev->result != -EAGAIN && !(ev->result <= -512 && ev->result >= -516))
                return;
        uint8_t proto = ev->u.net.sock_type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
        uint16_t port = egress ? peer->port : ev->u.net.local.port;
        struct np_ctr *other = ctr_by_addr(e, peer->family, peer->addr);
        if (!egress && other)
                return; /* container → container: recorded from the connect side */
        struct np_cidr pa = {.family = peer->family, .prefix = peer->family == AF_INET ? 32 : 128};
        memcpy(pa.addr, peer->addr, 16);
        const char *src = egress ? c->workload : NULL,
                   *dst = egress ? (other ? other->workload : NULL) : c->workload;

        /* the policy: the source's egress and (for container peers) the destination's ingress */
        bool denied = false, lateral = false;
        char expected[512] = "", observed[512], pa_s[64];
        np_cidr_format(&pa, pa_s, sizeof(pa_s));
        if (c->mode != NP_MODE_LEARN && c->pol &&
            !np_wpolicy_allows(c->pol, egress, pname(other), peer->family, peer->addr, NULL, proto, port)) {
                denied = true;
                lateral = other != NULL;
                expected_text(c->pol, egress, expected, sizeof(expected));
        } else if (egress && other && other->mode != NP_MODE_LEARN && other->pol) {
                const uint8_t *self = c->n_addrs ? c->addrs[0].addr : NULL;
                if (!np_wpolicy_allows(other->pol, false, pname(c), c->n_addrs ? c->addrs[0].family : 0,
                                       self, NULL, proto, port)) {
                        denied = lateral = true;
                        expected_text(other->pol, false, expected, sizeof(expected));
                }
        }
        if (denied) {
                if (egress)
                        snprintf(observed, sizeof(observed), "connect from %s to %s (%s) %s/%u", c->workload,
                                 other ? other->workload : "outside", pa_s,
                                 proto == IPPROTO_UDP ? "udp" : "tcp", port);
                else
                        snprintf(observed, sizeof(observed), "connection from outside (%s) to %s %s/%u",
                                 pa_s, c->workload, proto == IPPROTO_UDP ? "udp" : "tcp", port);
                alert(e, ev, c, lateral, expected, observed);
                return;
        }
        if (egress && !other) {
                for (size_t i = 0; i < e->n_pending; i++) {
                        struct np_pending *q = &e->pending[i];
                        if (q->proto == proto && q->port == port && streq(q->src, src) &&
                            memcmp(&q->addr, &pa, sizeof(pa)) == 0)
                                return;
                }
                if (e->n_pending < NP_PENDING_MAX) {
                        struct np_pending *q = &e->pending[e->n_pending++];
                        *q = (struct np_pending){
                                .addr = pa, .proto = proto, .port = port, .time_ns = ev->time_ns};
                        snprintf(q->src, sizeof(q->src), "%s", src);
                        return;
                }
        }
        if (np_graph_add(&e->graph, src, &pa, dst, &pa, proto, port, NP_APP_UNKNOWN, NULL, ev->time_ns) == 0)
                e->counts_dirty = true;
}

static void pending_resolve(struct np_engine *e) {
        size_t k = 0;
        for (size_t i = 0; i < e->n_pending; i++) {
                struct np_pending *q = &e->pending[i];
                struct np_ctr *other = ctr_by_addr(e, q->addr.family, q->addr.addr);
                if (!other && q->age++ < 2) {
                        e->pending[k++] = *q;
                        continue;
                }
                (void) np_graph_add(&e->graph, q->src, NULL, other ? other->workload : NULL, &q->addr,
                                    q->proto, q->port, NP_APP_UNKNOWN, NULL, q->time_ns);
        }
        e->n_pending = k;
}

/* ---- protocol identification (the capture) ---- */

static struct np_ctr *ctr_by_cgroup(struct np_engine *e, uint64_t id) {
        for (size_t i = 0; i < e->n_ctrs; i++)
                if (e->ctrs[i].cap.cgroup_id == id)
                        return &e->ctrs[i];
        return NULL;
}

/* Which end opened the connection, from the ports alone (the capture sees packets, not connect() and
 * accept()): an ephemeral port (32768 and up, Linux's default range) facing a lower one is the client's;
 * two of a kind: the higher is the client's. DNS: the end that is not port 53. */
static bool local_is_client(uint8_t proto, uint16_t local, uint16_t remote) {
        if (proto == IPPROTO_UDP && (local == 53) != (remote == 53))
                return remote == 53;
        bool le = local >= 32768, re = remote >= 32768;
        if (le != re)
                return le;
        return local > remote;
}

static void on_capture(void *userdata, const struct nc_event *k) {
        struct np_engine *e = userdata;
        struct np_ctr *c = ctr_by_cgroup(e, k->cgroup_id);
        if (!c || (k->family != 4 && k->family != 6))
                return;
        uint16_t local = k->egress ? k->sport : k->dport, remote = k->egress ? k->dport : k->sport;
        bool client = local_is_client(k->proto, local, remote), udp = k->proto == IPPROTO_UDP;
        uint16_t server_port = client ? remote : local;
        size_t len = MIN((size_t) k->len, sizeof(k->data));
        struct np_app_info info;
        enum np_app app = NP_APP_UNKNOWN;
        if (client == (bool) k->egress) /* client → server */
                app = np_identify(k->data, len, udp, server_port, &info);
        else if (!udp && np_identify_mysql_greeting(k->data, len, &info))
                app = NP_APP_MYSQL;
        if (app == NP_APP_UNKNOWN)
                return;
        e->st.identified++;
        struct np_cidr peer = {.family = k->family == 4 ? AF_INET : AF_INET6,
                               .prefix = k->family == 4 ? 32 : 128};
        memcpy(peer.addr, k->egress ? k->daddr : k->saddr, k->family == 4 ? 4 : 16);
        struct rt_sockaddr pa = {.family = peer.family};
        memcpy(pa.addr, peer.addr, 16);
        if (!addr_interesting(&pa))
                return; /* loopback: Docker's embedded resolver, a sidecar on lo */
        struct np_ctr *other = ctr_by_addr(e, peer.family, peer.addr);
        const char *host = info.host[0] ? info.host : NULL;
        int r;
        if (client)
                r = np_graph_annotate(&e->graph, c->workload, NULL, other ? other->workload : NULL, &peer,
                                      k->proto, server_port, app, host, realtime_ns());
        else if (!other) /* a client outside; a container client is annotated from its own side */
                r = np_graph_annotate(&e->graph, NULL, &peer, c->workload, NULL, k->proto, server_port, app,
                                      host, realtime_ns());
        else
                return;
        if (r < 0)
                message(e, "cannot record the protocol of a flow: %s", strerror(-r));
}

static void capture_drain(struct np_engine *e) {
        if (e->cap)
                (void) np_capture_drain(e->cap, on_capture, e);
}

void np_engine_event(struct np_engine *e, const struct rt_event *ev) {
        if (!ev->container || ev->container->incomplete)
                return;
        struct np_ctr *c = ctr_by_id(e, ev->container->id);
        if (!c) {
                uint32_t pid = ev->container->pid ? ev->container->pid : ev->proc.pid;
                if (ev->type == RT_EV_EXIT && pid == ev->proc.pid)
                        return;
                c = ctr_add(e, ev->container, pid);
                if (!c)
                        return;
        }
        ctr_refresh(e, c, ev->proc.pid);
        if (ev->type == RT_EV_CONNECT || ev->type == RT_EV_ACCEPT)
                flow(e, ev, c);
        /* after the flow: its edge exists when its first payload is annotated */
        capture_drain(e);
}

/* ---- state ---- */

static int save_containers(struct np_engine *e) {
        _cleanup_(json_decrefp) json_t *arr = json_array();
        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < e->n_ctrs; i++) {
                const struct np_ctr *c = &e->ctrs[i];
                json_t *o = json_object(), *labels = json_object();
                if (!o || !labels)
                        return -ENOMEM;
                json_object_set_new(o, "id", json_string(c->c->id));
                if (c->c->name)
                        json_object_set_new(o, "name", json_string(c->c->name));
                if (c->c->image)
                        json_object_set_new(o, "image", json_string(c->c->image));
                for (size_t k = 0; k < c->c->n_labels; k++)
                        json_object_set_new(labels, c->c->labels[2 * k],
                                            json_string(c->c->labels[2 * k + 1]));
                json_object_set_new(o, "labels", labels);
                json_object_set_new(o, "pid", json_integer(c->pid));
                json_object_set_new(o, "netns", json_integer((json_int_t) c->netns));
                json_object_set_new(o, "enforced", json_boolean(c->enforced));
                json_t *as = json_array();
                for (size_t k = 0; k < c->n_addrs; k++) {
                        char s[64];
                        np_cidr_format(&c->addrs[k], s, sizeof(s));
                        json_array_append_new(as, json_string(s));
                }
                json_object_set_new(o, "addresses", as);
                json_array_append_new(arr, o);
        }
        _cleanup_free_ char *s = json_dumps(arr, JSON_INDENT(1) | JSON_SORT_KEYS);
        return s ? write_atomic(e->dir, "containers.json", s, strlen(s)) : -ENOMEM;
}

/* A restarted agent knows its containers at once (those still alive with the same namespace), rather
 * than when each next does something. */
static void load_containers(struct np_engine *e) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/containers.json", e->dir);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        struct diag d;
        diag_init(&d);
        data = malloc(NP_GRAPH_MAX_BYTES);
        if (data)
                len = fread(data, 1, NP_GRAPH_MAX_BYTES, f);
        fclose(f);
        _cleanup_(json_decrefp) json_t *arr = NULL;
        if (!data || json_parse_capped(data, len, NP_GRAPH_MAX_BYTES, path, &d, &arr) < 0 ||
            !json_is_array(arr)) {
                diag_done(&d);
                return;
        }
        diag_done(&d);
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o) {
                const char *id = json_get_str(o, "id");
                long long pid = json_get_int(o, "pid", 0), ns = json_get_int(o, "netns", 0);
                if (!id || strlen(id) != 64 || pid <= 0 || pid > UINT32_MAX || !ns ||
                    netns_inode((uint32_t) pid) != (uint64_t) ns || ctr_by_id(e, id))
                        continue;
                struct rt_container *c = calloc(1, sizeof(*c));
                if (!c)
                        return;
                atomic_init(&c->refs, 1);
                snprintf(c->id, sizeof(c->id), "%s", id);
                const char *s;
                if ((s = json_get_str(o, "name")) && strlen(s) < 256)
                        c->name = strdup(s);
                if ((s = json_get_str(o, "image")) && strlen(s) < 1024)
                        c->image = strdup(s);
                c->pid = (uint32_t) pid;
                json_t *labels = json_get_obj(o, "labels"), *v;
                const char *k;
                size_t nl = labels ? json_object_size(labels) : 0;
                if (nl && nl < 256 && (c->labels = calloc(2 * nl + 1, sizeof(char *)))) {
                        json_object_foreach(labels, k, v) {
                                if (!json_is_string(v))
                                        continue;
                                c->labels[2 * c->n_labels] = strdup(k);
                                c->labels[2 * c->n_labels + 1] = strdup(json_string_value(v));
                                if (!c->labels[2 * c->n_labels] || !c->labels[2 * c->n_labels + 1])
                                        break;
                                c->n_labels++;
                        }
                }
                struct np_ctr *ctr = ctr_add(e, c, (uint32_t) pid);
                rt_container_unref(c);
                if (ctr)
                        ctr->enforced = json_get_bool(o, "enforced", false);
        }
        for (size_t k = 0; k < e->n_ctrs; k++)
                ctr_refresh(e, &e->ctrs[k], 0);
}

static void load_graph(struct np_engine *e) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/graph.json", e->dir);
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        _cleanup_free_ char *data = malloc(NP_GRAPH_MAX_BYTES);
        size_t len = data ? fread(data, 1, NP_GRAPH_MAX_BYTES, f) : 0;
        fclose(f);
        struct diag d;
        diag_init(&d);
        struct np_graph g;
        if (data && np_graph_from_json(data, len, path, &g, &d) >= 0) {
                np_graph_done(&e->graph);
                e->graph = g;
                e->saved_generation = g.generation;
        } else if (d.error[0])
                message(e, "%s (starting with an empty graph)", d.error);
        diag_done(&d);
}

static void policy_reload(struct np_engine *e, bool force) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/policy.yaml", e->dir);
        if (stat(path, &st) < 0) {
                if (!e->policy_present && !force)
                        return;
                e->policy_present = false;
                np_policy_free(e->policy);
                e->policy = NULL;
        } else {
                if (!force && e->policy_present && st.st_mtim.tv_sec == e->policy_st.st_mtim.tv_sec &&
                    st.st_mtim.tv_nsec == e->policy_st.st_mtim.tv_nsec && st.st_ino == e->policy_st.st_ino &&
                    st.st_size == e->policy_st.st_size)
                        return;
                e->policy_st = st;
                e->policy_present = true;
                struct diag d;
                diag_init(&d);
                struct np_policy *p = NULL;
                if (np_policy_load(path, &p, &d) < 0) {
                        e->st.policy_errors++;
                        message(e, "%s (the previous policy stays in force)",
                                d.error[0] ? d.error : "cannot load");
                        diag_done(&d);
                        return;
                }
                diag_done(&d);
                np_policy_free(e->policy);
                e->policy = p;
                e->st.policy_loads++;
        }
        uint64_t t0 = now_us();
        /* every container's entry first (a perimeter's sets list its peers' replicas), then the perimeters
         */
        for (size_t i = 0; i < e->n_ctrs; i++)
                ctr_select(e, &e->ctrs[i]);
        for (size_t i = 0; i < e->n_ctrs; i++)
                if (e->ctrs[i].addrs_known)
                        (void) ctr_apply(e, &e->ctrs[i]);
        e->st.last_apply_us = now_us() - t0;
}

int np_engine_new(const struct np_engine_options *o, struct diag *d, struct np_engine **ret) {
        _cleanup_(np_engine_freep) struct np_engine *e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->script = BUF_INIT(0);
        e->err = BUF_INIT(64 * 1024);
        e->alerts_stdout = o->alerts_stdout;
        e->on_alert = o->on_alert;
        e->userdata = o->userdata;
        snprintf(e->host, sizeof(e->host), "%s", o->host ? o->host : "localhost");
        np_graph_init(&e->graph);
        if (!(e->dir = strdup(o->dir)) || !(e->incidents = calloc(NP_INCIDENTS_MAX, sizeof(*e->incidents))))
                return -ENOMEM;
        if (mkdir(o->dir, 0700) < 0 && errno != EEXIST)
                return diag_error(d, negative_errno(), "cannot create '%s': %m", o->dir);
        char path[4096];
        snprintf(path, sizeof(path), "%s/alerts.jsonl", o->dir);
        if (!(e->alerts = fopen(path, "ae")))
                return diag_error(d, negative_errno(), "cannot open '%s': %m", path);
        struct stat ns;
        e->host_netns = stat("/proc/self/ns/net", &ns) == 0 ? (uint64_t) ns.st_ino : 0;
        if (np_capture_supported() && !streq_ptr(getenv("STOCKADE_NETPOL_CAPTURE"), "off")) {
                struct diag cd;
                diag_init(&cd);
                if (np_capture_open(&cd, &e->cap) < 0)
                        message(e, "no protocol identification: %s", cd.error);
                diag_done(&cd);
        }
        load_graph(e);
        policy_reload(e, true);
        load_containers(e);
        *ret = TAKE_PTR(e);
        return 0;
}

void np_engine_free(struct np_engine *e) {
        if (!e)
                return;
        if (e->dir) {
                _cleanup_(buf_free) struct buf b = BUF_INIT(0);
                for (size_t i = 0; i < e->n_pending; i++)
                        e->pending[i].age = 99; /* decide now: the graph is saved below */
                pending_resolve(e);
                if (e->graph.generation != e->saved_generation && np_graph_to_json(&e->graph, &b) >= 0)
                        (void) write_atomic(e->dir, "graph.json", b.data, b.len);
                (void) save_containers(e);
        }
        for (size_t i = 0; i < e->n_ctrs; i++)
                ctr_release(&e->ctrs[i]);
        np_capture_free(e->cap);
        free(e->ctrs);
        np_graph_done(&e->graph);
        np_policy_free(e->policy);
        if (e->alerts)
                fclose(e->alerts);
        free(e->incidents);
        free(e->dir);
        buf_free(&e->script);
        buf_free(&e->err);
        free(e);
}

void np_engine_tick(struct np_engine *e) {
        capture_drain(e);
        policy_reload(e, false);
        /* containers that are gone (their process, or a reused pid in another namespace) */
        for (size_t i = 0; i < e->n_ctrs;) {
                struct np_ctr *c = &e->ctrs[i];
                if (c->netns && netns_inode(c->pid) != c->netns)
                        ctr_remove(e, i);
                else {
                        ctr_refresh(e, c, 0);
                        i++;
                }
        }
        /* re-assert perimeters flushed by someone else (a few namespaces per tick) */
        for (size_t k = 0; k < MIN(e->n_ctrs, (size_t) NP_REASSERT_PER_TICK); k++) {
                struct np_ctr *c = &e->ctrs[e->reassert_cursor++ % e->n_ctrs];
                if (!c->enforced)
                        continue;
                if (c->nft && np_nft_present(c->nft) == 0) {
                        e->st.reasserts++;
                        message(e, "the network perimeter of container '%s' was removed: re-asserted",
                                c->c->name ? c->c->name : c->c->id);
                        (void) ctr_apply(e, c);
                }
        }
        pending_resolve(e);
        e->ticks++;
        if (e->graph.generation != e->saved_generation || (e->counts_dirty && e->ticks % 5 == 0)) {
                e->counts_dirty = false;
                _cleanup_(buf_free) struct buf b = BUF_INIT(0);
                if (np_graph_to_json(&e->graph, &b) >= 0 &&
                    write_atomic(e->dir, "graph.json", b.data, b.len) >= 0)
                        e->saved_generation = e->graph.generation;
        }
        if (e->containers_dirty && save_containers(e) >= 0)
                e->containers_dirty = false;
}

void np_engine_get_stats(const struct np_engine *e, struct np_engine_stats *ret) {
        *ret = e->st;
        ret->containers = e->n_ctrs;
        ret->enforced = 0;
        for (size_t i = 0; i < e->n_ctrs; i++)
                ret->enforced += e->ctrs[i].enforced;
        ret->workloads = e->graph.n_workloads;
        ret->edges = e->graph.n_edges;
        ret->capture = e->cap != NULL;
        if (e->cap)
                np_capture_counters(e->cap, &ret->captured, &ret->capture_lost);
}

static int ctl_dir(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct np_engine *e = userdata;
        *ret = json_string(e->dir);
        return *ret ? 0 : -ENOMEM;
}

static int ctl_graph(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct np_engine *e = userdata; /* e->dir never changes; the file is replaced atomically */
        char path[4096];
        snprintf(path, sizeof(path), "%s/graph.json", e->dir);
        FILE *f = fopen(path, "re");
        if (!f) {
                *ret = json_pack("{s:[],s:[]}", "workloads", "edges");
                return *ret ? 0 : -ENOMEM;
        }
        _cleanup_free_ char *data = malloc(NP_GRAPH_MAX_BYTES);
        size_t len = data ? fread(data, 1, NP_GRAPH_MAX_BYTES, f) : 0;
        fclose(f);
        if (!data)
                return -ENOMEM;
        return json_parse_capped(data, len, NP_GRAPH_MAX_BYTES, path, d, ret);
}

int np_engine_control_register(struct np_engine *e, struct control *ctl) {
        int r = control_register(ctl, "network.dir", ctl_dir, e);
        return r < 0 ? r : control_register(ctl, "network.graph", ctl_graph, e);
}
