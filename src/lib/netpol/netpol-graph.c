/* SPDX-License-Identifier: Apache-2.0 */
/* The connection graph: workloads and the flows between them and the outside, with counts. Small (a
 * host has tens to thousands of workloads, each with a handful of peers), so flat arrays and linear
 * scans; the agent touches it once per new connection, not per packet. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json-util.h"
#include "netpol/netpol.h"
#include "vec.h"

/* ---- addresses ---- */

int np_cidr_parse(const char *s, struct np_cidr *ret) {
        char a[INET6_ADDRSTRLEN + 8];
        struct np_cidr c = {};
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t) (slash - s) : strlen(s);
        if (n == 0 || n >= INET6_ADDRSTRLEN)
                return -EINVAL;
        memcpy(a, s, n);
        a[n] = 0;
        if (inet_pton(AF_INET, a, c.addr) == 1)
                c.family = AF_INET;
        else if (inet_pton(AF_INET6, a, c.addr) == 1)
                c.family = AF_INET6;
        else
                return -EINVAL;
        unsigned max = c.family == AF_INET ? 32 : 128;
        c.prefix = (uint8_t) max;
        if (slash) {
                char *end;
                errno = 0;
                unsigned long p = strtoul(slash + 1, &end, 10);
                if (errno || end == slash + 1 || *end || p > max || slash[1] == '+' || slash[1] == '-')
                        return -EINVAL;
                c.prefix = (uint8_t) p;
        }
        /* host bits must be zero: "10.1.2.3/8" is a typo more often than an intent */
        for (unsigned bit = c.prefix; bit < max; bit++)
                if (c.addr[bit / 8] & (0x80 >> (bit % 8)))
                        return -EINVAL;
        *ret = c;
        return 0;
}

void np_cidr_format(const struct np_cidr *c, char *out, size_t outlen) {
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        if (c->prefix == (c->family == AF_INET ? 32 : 128))
                snprintf(out, outlen, "%s", a);
        else
                snprintf(out, outlen, "%s/%u", a, c->prefix);
}

bool np_cidr_contains(const struct np_cidr *c, int family, const uint8_t *addr) {
        if (c->family != family)
                return false;
        unsigned full = c->prefix / 8, rest = c->prefix % 8;
        if (memcmp(c->addr, addr, full) != 0)
                return false;
        if (rest) {
                uint8_t mask = (uint8_t) (0xff << (8 - rest));
                if ((c->addr[full] & mask) != (addr[full] & mask))
                        return false;
        }
        return true;
}

static bool cidr_eq(const struct np_cidr *a, const struct np_cidr *b) {
        return a->family == b->family && a->prefix == b->prefix && memcmp(a->addr, b->addr, 16) == 0;
}

/* ---- graph ---- */

void np_graph_init(struct np_graph *g) {
        *g = (struct np_graph){};
}

static void workload_done(struct np_workload *w) {
        free(w->name);
        free(w->service);
        free(w->image);
        for (size_t i = 0; i < w->n_containers; i++)
                free(w->containers[i]);
        free(w->containers);
}

void np_graph_done(struct np_graph *g) {
        for (size_t i = 0; i < g->n_workloads; i++)
                workload_done(&g->workloads[i]);
        for (size_t i = 0; i < g->n_edges; i++) {
                free(g->edges[i].src);
                free(g->edges[i].dst);
                free(g->edges[i].app_host);
        }
        free(g->workloads);
        free(g->edges);
        *g = (struct np_graph){};
}

const char *np_container_workload(const struct rt_container *c) {
        const char *s = rt_container_label(c, NP_COMPOSE_SERVICE_LABEL);
        if (s && *s)
                return s;
        if (c->image && *c->image)
                return c->image;
        return c->name;
}

struct np_workload *np_graph_find_workload(const struct np_graph *g, const char *name) {
        for (size_t i = 0; i < g->n_workloads; i++)
                if (streq(g->workloads[i].name, name))
                        return &g->workloads[i];
        return NULL;
}

static struct np_workload *workload_add(struct np_graph *g, const char *name) {
        struct np_workload *w = np_graph_find_workload(g, name);
        if (w)
                return w;
        if (g->n_workloads >= NP_MAX_WORKLOADS ||
            vec_grow_((void **) &g->workloads, &g->alloc_workloads, g->n_workloads + 1, sizeof(*w)) < 0)
                return NULL;
        w = &g->workloads[g->n_workloads];
        *w = (struct np_workload){.name = strdup(name)};
        if (!w->name)
                return NULL;
        g->n_workloads++;
        g->generation++;
        return w;
}

static int strv_add_unique(char ***v, size_t *n, const char *s, size_t max) {
        for (size_t i = 0; i < *n; i++)
                if (streq((*v)[i], s))
                        return 0;
        if (*n >= max)
                return 0;
        char **nv = realloc(*v, (*n + 1) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[*n] = strdup(s)))
                return -ENOMEM;
        (*n)++;
        return 1;
}

struct np_workload *np_graph_workload(struct np_graph *g, const struct rt_container *c) {
        const char *key = np_container_workload(c);
        if (!key)
                return NULL;
        struct np_workload *w = workload_add(g, key);
        if (!w)
                return NULL;
        const char *svc = rt_container_label(c, NP_COMPOSE_SERVICE_LABEL);
        if (!w->service && svc && *svc && !(w->service = strdup(svc)))
                return NULL;
        if (!w->image && c->image && !(w->image = strdup(c->image)))
                return NULL;
        if (c->name) {
                int r = strv_add_unique(&w->containers, &w->n_containers, c->name, 64);
                if (r < 0)
                        return NULL;
                if (r > 0)
                        g->generation++;
        }
        return w;
}

static bool opt_streq(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

/* np_graph_add (count) and np_graph_annotate (!count) */
static int edge_put(struct np_graph *g, const char *src, const struct np_cidr *src_addr, const char *dst,
                    const struct np_cidr *dst_addr, uint8_t proto, uint16_t port, enum np_app app,
                    const char *app_host, uint64_t time_ns, bool count) {
        static const struct np_cidr none = {};
        if (!src_addr || src)
                src_addr = &none;
        if (!dst_addr || dst)
                dst_addr = &none;
        if (src && !workload_add(g, src))
                return -ENOMEM;
        if (dst && !workload_add(g, dst))
                return -ENOMEM;
        for (size_t i = 0; i < g->n_edges; i++) {
                struct np_edge *e = &g->edges[i];
                if (opt_streq(e->src, src) && opt_streq(e->dst, dst) && cidr_eq(&e->src_addr, src_addr) &&
                    cidr_eq(&e->dst_addr, dst_addr) && e->proto == proto && e->port == port) {
                        if (count)
                                e->count++;
                        if (time_ns > e->last_ns)
                                e->last_ns = time_ns;
                        if (app != NP_APP_UNKNOWN && e->app != app) {
                                e->app = app;
                                g->generation++;
                        }
                        if (app_host && !e->app_host) {
                                e->app_host = strdup(app_host);
                                g->generation++;
                        }
                        return 0;
                }
        }
        if (vec_grow_((void **) &g->edges, &g->alloc_edges, g->n_edges + 1, sizeof(struct np_edge)) < 0)
                return -ENOMEM;
        struct np_edge e = {
                .src_addr = *src_addr,
                .dst_kind = dst ? NP_PEER_WORKLOAD : NP_PEER_OUTSIDE,
                .dst_addr = *dst_addr,
                .proto = proto,
                .port = port,
                .app = app,
                .count = count ? 1 : 0,
                .first_ns = time_ns,
                .last_ns = time_ns,
        };
        if ((src && !(e.src = strdup(src))) || (dst && !(e.dst = strdup(dst))) ||
            (app_host && !(e.app_host = strdup(app_host)))) {
                free(e.src);
                free(e.dst);
                free(e.app_host);
                return -ENOMEM;
        }
        g->edges[g->n_edges++] = e;
        g->generation++;
        return 1;
}

int np_graph_add(struct np_graph *g, const char *src, const struct np_cidr *src_addr, const char *dst,
                 const struct np_cidr *dst_addr, uint8_t proto, uint16_t port, enum np_app app,
                 const char *app_host, uint64_t time_ns) {
        return edge_put(g, src, src_addr, dst, dst_addr, proto, port, app, app_host, time_ns, true);
}

int np_graph_annotate(struct np_graph *g, const char *src, const struct np_cidr *src_addr, const char *dst,
                      const struct np_cidr *dst_addr, uint8_t proto, uint16_t port, enum np_app app,
                      const char *app_host, uint64_t time_ns) {
        return edge_put(g, src, src_addr, dst, dst_addr, proto, port, app, app_host, time_ns, false);
}

static const char *proto_name(uint8_t p) {
        return p == IPPROTO_UDP ? "udp" : p == IPPROTO_TCP ? "tcp" : "ip";
}

static int proto_from_name(const char *s) {
        if (streq(s, "tcp"))
                return IPPROTO_TCP;
        if (streq(s, "udp"))
                return IPPROTO_UDP;
        return -EINVAL;
}

static void edge_end(const char *name, const struct np_cidr *addr, char *out, size_t outlen) {
        if (name)
                snprintf(out, outlen, "%s", name);
        else {
                char a[64];
                np_cidr_format(addr, a, sizeof(a));
                snprintf(out, outlen, "outside:%s", a);
        }
}

int np_graph_to_text(const struct np_graph *g, struct buf *out) {
        int r = buf_printf(out, "%zu workloads, %zu flows\n", g->n_workloads, g->n_edges);
        for (size_t i = 0; r >= 0 && i < g->n_workloads; i++) {
                const struct np_workload *w = &g->workloads[i];
                r = buf_printf(out, "workload %s (image %s, %zu replicas seen)\n", w->name,
                               w->image ? w->image : "?", w->n_containers);
        }
        for (size_t i = 0; r >= 0 && i < g->n_edges; i++) {
                const struct np_edge *e = &g->edges[i];
                char s[160], d[160];
                edge_end(e->src, &e->src_addr, s, sizeof(s));
                edge_end(e->dst, &e->dst_addr, d, sizeof(d));
                r = buf_printf(out, "%s -> %s %s/%u%s%s%s%s (%llu)\n", s, d, proto_name(e->proto), e->port,
                               e->app ? " " : "", e->app ? np_app_name(e->app) : "", e->app_host ? " " : "",
                               e->app_host ? e->app_host : "", (unsigned long long) e->count);
        }
        return r;
}

static int dot_id(struct buf *out, const char *s) {
        int r = buf_append_char(out, '"');
        for (; r >= 0 && *s; s++)
                r = (*s == '"' || *s == '\\') ? buf_printf(out, "\\%c", *s) : buf_append_char(out, *s);
        return r < 0 ? r : buf_append_char(out, '"');
}

int np_graph_to_dot(const struct np_graph *g, struct buf *out) {
        int r = buf_append_str(out, "digraph stockade {\n  rankdir=LR;\n  node [shape=box];\n");
        for (size_t i = 0; r >= 0 && i < g->n_workloads; i++) {
                r = buf_append_str(out, "  ");
                if (r >= 0)
                        r = dot_id(out, g->workloads[i].name);
                if (r >= 0)
                        r = buf_append_str(out, ";\n");
        }
        for (size_t i = 0; r >= 0 && i < g->n_edges; i++) {
                const struct np_edge *e = &g->edges[i];
                char s[160], d[160], label[96];
                edge_end(e->src, &e->src_addr, s, sizeof(s));
                edge_end(e->dst, &e->dst_addr, d, sizeof(d));
                snprintf(label, sizeof(label), "%s/%u%s%s", proto_name(e->proto), e->port, e->app ? " " : "",
                         e->app ? np_app_name(e->app) : "");
                r = buf_append_str(out, "  ");
                if (r >= 0)
                        r = dot_id(out, s);
                if (r >= 0)
                        r = buf_append_str(out, " -> ");
                if (r >= 0)
                        r = dot_id(out, d);
                if (r >= 0)
                        r = buf_append_str(out, " [label=");
                if (r >= 0)
                        r = dot_id(out, label);
                if (r >= 0)
                        r = buf_append_str(out, "];\n");
        }
        return r < 0 ? r : buf_append_str(out, "}\n");
}

static json_t *cidr_json(const struct np_cidr *c) {
        char a[64];
        np_cidr_format(c, a, sizeof(a));
        return json_string(a);
}

int np_graph_to_json(const struct np_graph *g, struct buf *out) {
        _cleanup_(json_decrefp) json_t *root = json_object(), *ws = json_array(), *es = json_array();
        if (!root || !ws || !es)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_workloads; i++) {
                const struct np_workload *w = &g->workloads[i];
                json_t *o = json_object(), *cs = json_array();
                if (!o || !cs)
                        return -ENOMEM;
                json_object_set_new(o, "name", json_string(w->name));
                if (w->service)
                        json_object_set_new(o, "service", json_string(w->service));
                if (w->image)
                        json_object_set_new(o, "image", json_string(w->image));
                for (size_t k = 0; k < w->n_containers; k++)
                        json_array_append_new(cs, json_string(w->containers[k]));
                json_object_set_new(o, "containers", cs);
                json_array_append_new(ws, o);
        }
        for (size_t i = 0; i < g->n_edges; i++) {
                const struct np_edge *e = &g->edges[i];
                json_t *o = json_object();
                if (!o)
                        return -ENOMEM;
                if (e->src)
                        json_object_set_new(o, "src", json_string(e->src));
                else
                        json_object_set_new(o, "src_addr", cidr_json(&e->src_addr));
                if (e->dst)
                        json_object_set_new(o, "dst", json_string(e->dst));
                else
                        json_object_set_new(o, "dst_addr", cidr_json(&e->dst_addr));
                json_object_set_new(o, "protocol", json_string(proto_name(e->proto)));
                json_object_set_new(o, "port", json_integer(e->port));
                if (e->app)
                        json_object_set_new(o, "app", json_string(np_app_name(e->app)));
                if (e->app_host)
                        json_object_set_new(o, "app_host", json_string(e->app_host));
                json_object_set_new(o, "count", json_integer((json_int_t) e->count));
                json_object_set_new(o, "first_ns", json_integer((json_int_t) e->first_ns));
                json_object_set_new(o, "last_ns", json_integer((json_int_t) e->last_ns));
                json_array_append_new(es, o);
        }
        json_object_set(root, "workloads", ws);
        json_object_set(root, "edges", es);
        _cleanup_free_ char *s = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(1));
        if (!s)
                return -ENOMEM;
        int r = buf_append_str(out, s);
        return r < 0 ? r : buf_append_char(out, '\n');
}

static bool name_ok(const char *s) {
        return s && *s && strlen(s) < NP_NAME_MAX;
}

int np_graph_from_json(const char *data, size_t len, const char *path, struct np_graph *ret,
                       struct diag *d) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        int r = json_parse_capped(data, len, NP_GRAPH_MAX_BYTES, path, d, &root);
        if (r < 0)
                return r;
        json_t *ws = json_get_arr(root, "workloads"), *es = json_get_arr(root, "edges");
        if (!ws || !es)
                return diag_error(d, -EBADMSG, "%s: not a connection graph (no workloads/edges arrays)",
                                  path);
        struct np_graph g;
        np_graph_init(&g);
        size_t i;
        json_t *v;
        json_array_foreach(ws, i, v) {
                const char *name = json_get_str(v, "name");
                if (!name_ok(name)) {
                        np_graph_done(&g);
                        return diag_error(d, -EBADMSG, "%s: workload %zu has no valid name", path, i);
                }
                struct np_workload *w = workload_add(&g, name);
                if (!w) {
                        np_graph_done(&g);
                        return diag_error(d, -ENOMEM, "%s: out of memory", path);
                }
                const char *svc = json_get_str(v, "service"), *img = json_get_str(v, "image");
                if (name_ok(svc) && !w->service)
                        w->service = strdup(svc);
                if (img && !w->image)
                        w->image = strndup(img, 1024);
                json_t *cs = json_get_arr(v, "containers"), *c;
                size_t k;
                json_array_foreach(cs, k, c) {
                        if (json_is_string(c) && name_ok(json_string_value(c)))
                                (void) strv_add_unique(&w->containers, &w->n_containers,
                                                       json_string_value(c), 64);
                }
        }
        json_array_foreach(es, i, v) {
                const char *src = json_get_str(v, "src"), *dst = json_get_str(v, "dst");
                const char *sa = json_get_str(v, "src_addr"), *da = json_get_str(v, "dst_addr");
                const char *proto = json_get_str(v, "protocol"), *app = json_get_str(v, "app");
                const char *host = json_get_str(v, "app_host");
                long long port = json_get_int(v, "port", -1);
                struct np_cidr scidr = {}, dcidr = {};
                int pr = proto ? proto_from_name(proto) : -EINVAL;
                int ap = app ? np_app_from_name(app) : NP_APP_UNKNOWN;
                if ((src ? !name_ok(src) : (!sa || np_cidr_parse(sa, &scidr) < 0)) ||
                    (dst ? !name_ok(dst) : (!da || np_cidr_parse(da, &dcidr) < 0)) || pr < 0 || ap < 0 ||
                    port < 0 || port > 65535 || (host && strlen(host) >= 256)) {
                        np_graph_done(&g);
                        return diag_error(d, -EBADMSG, "%s: edge %zu is not valid", path, i);
                }
                r = np_graph_add(&g, src, &scidr, dst, &dcidr, (uint8_t) pr, (uint16_t) port,
                                 (enum np_app) ap, host, (uint64_t) json_get_int(v, "first_ns", 0));
                if (r < 0) {
                        np_graph_done(&g);
                        return diag_error(d, r, "%s: out of memory", path);
                }
                struct np_edge *e = &g.edges[g.n_edges - 1];
                long long cnt = json_get_int(v, "count", 1), last = json_get_int(v, "last_ns", 0);
                if (r > 0) {
                        e->count = cnt >= 0 ? (uint64_t) cnt : 1;
                        e->last_ns =
                                last > 0 && (uint64_t) last > e->first_ns ? (uint64_t) last : e->first_ns;
                }
        }
        *ret = g;
        return 0;
}
