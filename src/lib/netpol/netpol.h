/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Network micro-perimeters (docs/network.md): the learned connection graph, the declarative policy
 * (stockade-netpol(5)), protocol identification from a flow's first bytes, the nftables ruleset each
 * container's network namespace gets, and the engine that ties them to the runtime events.
 *
 *   workload   the unit a policy names: replicas merged by the compose service label
 *              (com.docker.compose.service), else the image, else the container name
 *   peer       a workload, a CIDR, a domain, or "outside" (an address no container has)
 *   graph      edges (source workload → peer, protocol, port, application protocol) with counts
 *
 * Ownership: every structure here owns its strings; free with the matching *_free(). Nothing here is
 * thread-safe unless said otherwise: one owner at a time. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "core/diag.h"
#include "runtime/events.h"

#define NP_COMPOSE_SERVICE_LABEL "com.docker.compose.service"
#define NP_POLICY_MAX_BYTES      (4u << 20) /* policy files larger than this are refused */
#define NP_GRAPH_MAX_BYTES       (64u << 20)
#define NP_NAME_MAX              128 /* workload names, label keys and values, domains */
#define NP_MAX_WORKLOADS         20000
#define NP_MAX_RULES             256  /* per workload and direction */
#define NP_MAX_ITEMS             1024 /* peers, ports, protocols, labels per list */

/* ---- protocol identification (netpol-proto.c): pure functions on a flow's first payload bytes ---- */

enum np_app {
        NP_APP_UNKNOWN = 0,
        NP_APP_HTTP,
        NP_APP_TLS,
        NP_APP_DNS,
        NP_APP_REDIS,
        NP_APP_POSTGRES,
        NP_APP_MYSQL,
        _NP_APP_MAX,
};

struct np_app_info {
        enum np_app app;
        char method[16]; /* HTTP */
        char host[256];  /* HTTP Host, TLS SNI, DNS query name (first question) */
        char path[256];  /* HTTP request path (cut at 255 bytes) */
        char detail[64]; /* Redis command, PostgreSQL user/database, MySQL server version */
};

/* "http", "tls", …; "unknown" for NP_APP_UNKNOWN; NULL when out of range. */
const char *np_app_name(enum np_app a);
/* The enum for a name, or -EINVAL. */
int np_app_from_name(const char *s);

/* Each looks at len bytes of a first payload (client → server for http/tls/redis/postgres and DNS
 * queries; server → client for the MySQL greeting) and returns true when they are that protocol, with
 * what could be read into ret (which is always zeroed first). Bounds-checked; never reads past len.
 * dns_* take a UDP payload (udp=true) or a TCP one (two-byte length prefix). */
bool np_identify_http(const uint8_t *p, size_t len, struct np_app_info *ret);
bool np_identify_tls(const uint8_t *p, size_t len, struct np_app_info *ret);
bool np_identify_dns(const uint8_t *p, size_t len, bool udp, struct np_app_info *ret);
bool np_identify_redis(const uint8_t *p, size_t len, struct np_app_info *ret);
bool np_identify_postgres(const uint8_t *p, size_t len, struct np_app_info *ret);
bool np_identify_mysql_greeting(const uint8_t *p, size_t len, struct np_app_info *ret);
/* Tries them all (dns only when udp or port 53). Returns the protocol (NP_APP_UNKNOWN when none). */
enum np_app np_identify(const uint8_t *p, size_t len, bool udp, uint16_t port, struct np_app_info *ret);

/* ---- addresses ---- */

struct np_cidr {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        uint8_t prefix;
};

/* "10.0.0.0/8", "fd00::/64", "1.2.3.4" (= /32). Host bits must be zero. 0 or -EINVAL. */
int np_cidr_parse(const char *s, struct np_cidr *ret);
/* Writes "a.b.c.d/n" (the prefix omitted for a single host). */
void np_cidr_format(const struct np_cidr *c, char *out, size_t outlen);
bool np_cidr_contains(const struct np_cidr *c, int family, const uint8_t *addr);

/* ---- the connection graph (netpol-graph.c) ---- */

struct np_workload {
        char *name;    /* the key: compose service, else image, else container name */
        char *service; /* the compose service label, NULL when absent */
        char *image;
        char **containers; /* names of the replicas seen (at most 64) */
        size_t n_containers;
};

enum np_peer_kind {
        NP_PEER_WORKLOAD = 1,
        NP_PEER_CIDR,
        NP_PEER_DOMAIN,
        NP_PEER_OUTSIDE, /* graph only: an address no container has (kept as a /32 or /128) */
};

struct np_edge {
        char *src;                  /* workload name, or NULL when the source is outside (src_addr) */
        struct np_cidr src_addr;    /* when src == NULL */
        enum np_peer_kind dst_kind; /* NP_PEER_WORKLOAD or NP_PEER_OUTSIDE */
        char *dst;                  /* workload name (NP_PEER_WORKLOAD) */
        struct np_cidr dst_addr;    /* NP_PEER_OUTSIDE */
        uint8_t proto;              /* IPPROTO_TCP / IPPROTO_UDP */
        uint16_t port;              /* server port */
        enum np_app app;
        char *app_host; /* SNI / HTTP host / DNS name, when identified */
        uint64_t count, first_ns, last_ns;
};

struct np_graph {
        struct np_workload *workloads;
        size_t n_workloads, alloc_workloads;
        struct np_edge *edges;
        size_t n_edges, alloc_edges;
        uint64_t generation; /* bumped on every change */
};

void np_graph_init(struct np_graph *g);
void np_graph_done(struct np_graph *g);

/* The workload key of a container (see above). Never NULL for a complete container; NULL when the
 * container is incomplete and has no name. The result points into c. */
const char *np_container_workload(const struct rt_container *c);

/* Adds (or finds) the workload of c and records the replica. Returns the workload or NULL on ENOMEM. */
struct np_workload *np_graph_workload(struct np_graph *g, const struct rt_container *c);
struct np_workload *np_graph_find_workload(const struct np_graph *g, const char *name);

/* Records one flow: src workload (NULL: src_addr outside) → dst workload (NULL: dst_addr outside).
 * Returns 1 when the edge is new, 0 when it was counted, -ENOMEM. */
int np_graph_add(struct np_graph *g, const char *src, const struct np_cidr *src_addr, const char *dst,
                 const struct np_cidr *dst_addr, uint8_t proto, uint16_t port, enum np_app app,
                 const char *app_host, uint64_t time_ns);

/* The same flow's application protocol (from the capture): sets app and app_host on the edge without
 * counting a flow; creates the edge with a count of 0 when the flow itself was not recorded yet. */
int np_graph_annotate(struct np_graph *g, const char *src, const struct np_cidr *src_addr, const char *dst,
                      const struct np_cidr *dst_addr, uint8_t proto, uint16_t port, enum np_app app,
                      const char *app_host, uint64_t time_ns);

/* JSON (stable, sorted): {"workloads":[…],"edges":[…]}. */
int np_graph_to_json(const struct np_graph *g, struct buf *out);
/* Parses what np_graph_to_json wrote (hostile input: capped, checked). path names it in errors. */
int np_graph_from_json(const char *data, size_t len, const char *path, struct np_graph *ret, struct diag *d);
/* One line per edge: "client -> api tcp/8080 http (12)". */
int np_graph_to_text(const struct np_graph *g, struct buf *out);
/* Graphviz. */
int np_graph_to_dot(const struct np_graph *g, struct buf *out);

/* ---- the policy (netpol-policy.c; format in stockade-netpol(5)) ---- */

enum np_mode {
        NP_MODE_LEARN = 0,
        NP_MODE_MONITOR,
        NP_MODE_PROTECT,
};
const char *np_mode_name(enum np_mode m);
int np_mode_from_name(const char *s);

struct np_peer {
        enum np_peer_kind kind; /* WORKLOAD, CIDR or DOMAIN */
        char *name;             /* workload or domain */
        struct np_cidr cidr;
};

struct np_portspec {
        uint8_t proto;           /* IPPROTO_TCP, IPPROTO_UDP, or 0 for both */
        uint16_t port, port_end; /* port_end >= port; 0/0: every port */
};

struct np_rule {
        struct np_peer *peers; /* none: any peer */
        size_t n_peers;
        struct np_portspec *ports; /* none: any port */
        size_t n_ports;
        enum np_app *apps; /* application protocols seen (informational; alerts name them) */
        size_t n_apps;
        unsigned line;
};

struct np_selector {
        char **labels; /* key, value, …: all must match */
        size_t n_labels;
        char *image; /* glob (fnmatch) on the image as the container was created */
        char *name;  /* glob on the container name */
};

struct np_wpolicy {
        char *name;
        struct np_selector sel;
        bool has_mode;
        enum np_mode mode;
        struct np_rule *ingress, *egress;
        size_t n_ingress, n_egress;
        unsigned line;
};

struct np_policy {
        enum np_mode mode; /* for workloads without their own */
        struct np_wpolicy *workloads;
        size_t n_workloads;
};

void np_policy_free(struct np_policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct np_policy *, np_policy_free);

/* Parses and validates a policy document; path names it in errors ("FILE:LINE:COLUMN: reason"). On
 * error nothing is returned and d holds the first error. */
int np_policy_parse(const char *data, size_t len, const char *path, struct np_policy **ret, struct diag *d);
int np_policy_load(const char *path, struct np_policy **ret, struct diag *d);
/* YAML that np_policy_parse() reads back to the same policy. */
int np_policy_to_yaml(const struct np_policy *p, struct buf *out);
/* Kubernetes networking.k8s.io/v1 NetworkPolicy documents, one per workload ("---" separated); the
 * selector's labels become podSelector.matchLabels (image/name selectors have no Kubernetes
 * equivalent and are noted in a comment); domains become a comment too. */
int np_policy_to_k8s(const struct np_policy *p, const char *k8s_namespace, struct buf *out);
/* A policy allowing exactly the graph's edges: one entry per workload, selected by its compose
 * service label, else its image, else its name. only (n_only > 0): just these workloads; flows with
 * workloads outside the selection are left out (a rule may not name an undefined workload). */
int np_policy_from_graph(const struct np_graph *g, enum np_mode mode, const char *const *only, size_t n_only,
                         struct np_policy **ret);

/* The workload entry that selects the container (the first that matches), or NULL. */
const struct np_wpolicy *np_policy_select(const struct np_policy *p, const struct rt_container *c);
enum np_mode np_wpolicy_mode(const struct np_policy *p, const struct np_wpolicy *w);

/* Is a flow allowed by w's rules? dir_egress: w is the source and peer_* the destination; else w is
 * the destination. peer_workload is the peer's workload name (NULL when the peer is not a container);
 * peer_domain a name the peer address was resolved from (NULL when unknown). */
bool np_wpolicy_allows(const struct np_wpolicy *w, bool dir_egress, const char *peer_workload, int family,
                       const uint8_t *peer_addr, const char *peer_domain, uint8_t proto, uint16_t port);

/* ---- nftables (netpol-nft.c) ---- */

/* The addresses of one workload (all its replicas), which become the named sets every perimeter
 * referring to it holds. */
struct np_addrs {
        const char *workload;
        const struct np_cidr *addrs; /* host addresses (/32, /128) */
        size_t n;
};

/* Builds the nft script that replaces table `inet stockade` with w's perimeter (atomic: one
 * transaction). lookup(userdata, workload) gives a workload's current addresses for the sets; domains
 * resolved by the caller come the same way (the domain as the name). mode monitor counts would-be
 * drops (chain "would_drop") and accepts; protect drops. */
typedef void (*np_addr_lookup_fn)(void *userdata, const char *name, struct np_addrs *ret);
int np_nft_build(const struct np_wpolicy *w, enum np_mode mode, np_addr_lookup_fn lookup, void *userdata,
                 struct buf *out);
/* The set names a peer key ("w:api", "d:example.com") gets in a ruleset ("p_<hash>_4", "p_<hash>_6"):
 * stable, nft-safe. lookup() above is called with these keys. */
void np_nft_set_name(const char *peer, int family, char *out, size_t outlen);
/* Appends the commands that make a peer's sets hold exactly a's addresses (flush + add element: the
 * chains stay as they are). peer is the set key: "w:WORKLOAD" or "d:DOMAIN". */
int np_nft_set_update(const char *peer, const struct np_addrs *a, struct buf *out);
/* Appends "add element" (add) or "delete element" commands for these addresses only: a replica that
 * starts or stops changes nothing else (and an addition destroys nothing, so it is cheap to commit). */
int np_nft_set_change(const char *peer, const struct np_cidr *addrs, size_t n, bool add, struct buf *out);

/* Runs an nft script inside the network namespace of pid (0: the caller's own). Uses setns() on the
 * calling thread and returns to the caller's namespace before returning. err receives nft's message. */
int np_nft_run(uint32_t pid, const char *script, struct buf *err);
/* The IPv4/IPv6 addresses of the interfaces (lo excepted) in pid's network namespace. At most max. */
int np_netns_addrs(uint32_t pid, struct np_cidr *ret, size_t max, size_t *ret_n);
/* Whether table inet stockade exists in pid's namespace (1/0), or a negative errno. */
int np_nft_table_present(uint32_t pid);

/* A libnftables context bound to one network namespace, kept open: closing a netlink socket that
 * committed deletions waits for nf_tables' deferred destruction (an RCU grace period: milliseconds), so
 * the agent keeps one per container and closes it only when the container is gone. Every exec still
 * enters the namespace (cheap) so nothing can ever run in the agent's own. One file descriptor each,
 * and libnftables select()s on it: it must stay below FD_SETSIZE, so callers cap how many are open
 * (NP_NFT_OPEN_MAX) and use np_nft_run() beyond. */
#define NP_NFT_OPEN_MAX 256
struct np_nft;
int np_nft_open(uint32_t pid, struct np_nft **ret);
int np_nft_exec(struct np_nft *n, const char *script, struct buf *err);
/* 1 when table inet stockade exists, 0 when not, or a negative errno. */
int np_nft_present(struct np_nft *n);
void np_nft_close(struct np_nft *n);
