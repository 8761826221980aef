/* SPDX-License-Identifier: Apache-2.0 */
/* The per-container perimeter: an nftables table of our own (inet stockade) inside the container's
 * network namespace, built from the workload's policy and applied with libnftables after setns(). Docker's
 * rules live in the host namespace and in the container's ip/ip6 nat tables; ours is a separate table in
 * the inet family, so neither side ever touches the other's rules.
 *
 * Peers are named sets (one per peer workload or domain and address family), so a replica starting or
 * stopping changes set elements only — the chains are never rebuilt for that. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stdlib.h>
#include "netpol/netpol.h"

/* FNV-1a: set names must be the same in every agent process (hash_string() is keyed per process). */
static uint64_t fnv1a(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return h;
}

void np_nft_set_name(const char *peer, int family, char *out, size_t outlen) {
        snprintf(out, outlen, "p_%016llx_%c", (unsigned long long) fnv1a(peer),
                 family == AF_INET ? '4' : '6');
}

static int set_elements(struct buf *o, const struct np_addrs *a, int family) {
        bool first = true;
        int r = 0;
        for (size_t i = 0; r >= 0 && a && i < a->n; i++) {
                if (a->addrs[i].family != family)
                        continue;
                char s[64];
                np_cidr_format(&a->addrs[i], s, sizeof(s));
                r = buf_printf(o, "%s%s", first ? "" : ", ", s);
                first = false;
        }
        return r < 0 ? r : (first ? 0 : 1);
}

/* "set NAME { type ipv4_addr; flags interval; elements = { … } }" for both families. */
static int set_decl(struct buf *o, const char *key, const struct np_addrs *a) {
        int r = 0;
        for (int f = 0; r >= 0 && f < 2; f++) {
                int family = f ? AF_INET6 : AF_INET;
                char name[64];
                np_nft_set_name(key, family, name, sizeof(name));
                r = buf_printf(o, "  set %s {\n    type %s; flags interval;\n    comment \"%s\"\n", name,
                               family == AF_INET ? "ipv4_addr" : "ipv6_addr", key);
                if (r < 0)
                        break;
                size_t mark = o->len;
                r = buf_append_str(o, "    elements = { ");
                if (r < 0)
                        break;
                int n = set_elements(o, a, family);
                if (n < 0)
                        return n;
                if (n == 0) { /* nft refuses an empty element list: drop the clause */
                        o->len = mark;
                        o->data[mark] = 0;
                } else if ((r = buf_append_str(o, " }\n")) < 0)
                        break;
                r = buf_append_str(o, "  }\n");
        }
        return r;
}

/* Peer keys in sets: "w:NAME" for workloads, "d:NAME" for domains. */
static void peer_key(const struct np_peer *pe, char *out, size_t outlen) {
        snprintf(out, outlen, "%c:%s", pe->kind == NP_PEER_DOMAIN ? 'd' : 'w', pe->name);
}

static int l4_match(struct buf *o, const struct np_portspec *ps) {
        if (!ps)
                return 0;
        char range[16];
        if (ps->port_end != ps->port)
                snprintf(range, sizeof(range), "%u-%u", ps->port, ps->port_end);
        else
                snprintf(range, sizeof(range), "%u", ps->port);
        if (ps->proto == IPPROTO_TCP)
                return buf_printf(o, " tcp dport %s", range);
        if (ps->proto == IPPROTO_UDP)
                return buf_printf(o, " udp dport %s", range);
        return buf_printf(o, " meta l4proto { tcp, udp } th dport %s", range);
}

static int rule_lines(struct buf *o, const struct np_rule *ru, bool egress) {
        const char *dir = egress ? "daddr" : "saddr";
        size_t np = ru->n_peers ? ru->n_peers : 1, nports = ru->n_ports ? ru->n_ports : 1;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < np; i++) {
                const struct np_peer *pe = ru->n_peers ? &ru->peers[i] : NULL;
                for (size_t k = 0; r >= 0 && k < nports; k++) {
                        const struct np_portspec *ps = ru->n_ports ? &ru->ports[k] : NULL;
                        if (!pe) {
                                r = buf_append_str(o, "    meta nfproto { ipv4, ipv6 }");
                                if (r >= 0)
                                        r = l4_match(o, ps);
                                if (r >= 0)
                                        r = buf_append_str(o, " accept\n");
                        } else if (pe->kind == NP_PEER_CIDR) {
                                char c[64];
                                np_cidr_format(&pe->cidr, c, sizeof(c));
                                r = buf_printf(o, "    %s %s %s", pe->cidr.family == AF_INET ? "ip" : "ip6",
                                               dir, c);
                                if (r >= 0)
                                        r = l4_match(o, ps);
                                if (r >= 0)
                                        r = buf_append_str(o, " accept\n");
                        } else {
                                char key[NP_NAME_MAX + 4];
                                peer_key(pe, key, sizeof(key));
                                for (int f = 0; r >= 0 && f < 2; f++) {
                                        char name[64];
                                        np_nft_set_name(key, f ? AF_INET6 : AF_INET, name, sizeof(name));
                                        r = buf_printf(o, "    %s %s @%s", f ? "ip6" : "ip", dir, name);
                                        if (r >= 0)
                                                r = l4_match(o, ps);
                                        if (r >= 0)
                                                r = buf_append_str(o, " accept\n");
                                }
                        }
                }
        }
        return r;
}

static int chain(struct buf *o, const struct np_wpolicy *w, enum np_mode mode, bool egress) {
        const struct np_rule *rules = egress ? w->egress : w->ingress;
        size_t n = egress ? w->n_egress : w->n_ingress;
        int r = buf_printf(o,
                           "  chain %s {\n"
                           "    type filter hook %s priority filter; policy accept;\n"
                           "    ct state established,related accept\n"
                           "    %s \"lo\" accept\n"
                           "    meta l4proto ipv6-icmp accept\n",
                           egress ? "output" : "input", egress ? "output" : "input", egress ? "oif" : "iif");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = rule_lines(o, &rules[i], egress);
        if (r < 0)
                return r;
        /* the end: count what the policy does not allow; protect drops it, monitor lets it through */
        if (mode == NP_MODE_PROTECT)
                r = buf_printf(o, "    counter drop comment \"stockade: denied %s\"\n",
                               egress ? "egress" : "ingress");
        else
                r = buf_printf(o, "    counter accept comment \"stockade: would deny %s\"\n",
                               egress ? "egress" : "ingress");
        return r < 0 ? r : buf_append_str(o, "  }\n");
}

/* Every peer key the rules reference, once (a policy has few: linear is fine). */
struct keys {
        char **v;
        size_t n;
};

static void keys_done(struct keys *k) {
        for (size_t i = 0; i < k->n; i++)
                free(k->v[i]);
        free(k->v);
}

static int collect_keys(const struct np_wpolicy *w, struct keys *keys) {
        for (int eg = 0; eg < 2; eg++) {
                const struct np_rule *rules = eg ? w->egress : w->ingress;
                size_t n = eg ? w->n_egress : w->n_ingress;
                for (size_t i = 0; i < n; i++)
                        for (size_t k = 0; k < rules[i].n_peers; k++) {
                                const struct np_peer *pe = &rules[i].peers[k];
                                if (pe->kind != NP_PEER_WORKLOAD && pe->kind != NP_PEER_DOMAIN)
                                        continue;
                                char key[NP_NAME_MAX + 4];
                                peer_key(pe, key, sizeof(key));
                                bool have = false;
                                for (size_t j = 0; j < keys->n && !have; j++)
                                        have = streq(keys->v[j], key);
                                if (have)
                                        continue;
                                char **nv = realloc(keys->v, (keys->n + 1) * sizeof(char *));
                                if (!nv)
                                        return -ENOMEM;
                                keys->v = nv;
                                if (!(nv[keys->n] = strdup(key)))
                                        return -ENOMEM;
                                keys->n++;
                        }
        }
        return 0;
}

int np_nft_build(const struct np_wpolicy *w, enum np_mode mode, np_addr_lookup_fn lookup, void *userdata,
                 struct buf *o) {
        /* "table; delete table; table {…}" in one transaction: replaces ours atomically, whether it
         * existed or not, and never leaves the namespace without a perimeter in between */
        int r = buf_append_str(o, "table inet stockade\ndelete table inet stockade\n");
        if (r < 0 || mode == NP_MODE_LEARN || !w)
                return r;
        r = buf_printf(o,
                       "table inet stockade {\n  comment \"stockade perimeter of workload %s, mode %s\"\n",
                       w->name, np_mode_name(mode));
        struct keys keys = {};
        if (r >= 0)
                r = collect_keys(w, &keys);
        for (size_t i = 0; r >= 0 && i < keys.n; i++) {
                struct np_addrs a = {};
                if (lookup)
                        lookup(userdata, keys.v[i], &a);
                r = set_decl(o, keys.v[i], &a);
        }
        keys_done(&keys);
        if (r >= 0)
                r = chain(o, w, mode, false);
        if (r >= 0)
                r = chain(o, w, mode, true);
        return r < 0 ? r : buf_append_str(o, "}\n");
}

int np_nft_set_update(const char *peer, const struct np_addrs *a, struct buf *o) {
        int r = 0;
        for (int f = 0; r >= 0 && f < 2; f++) {
                int family = f ? AF_INET6 : AF_INET;
                char name[64];
                np_nft_set_name(peer, family, name, sizeof(name));
                r = buf_printf(o, "flush set inet stockade %s\n", name);
                if (r < 0)
                        break;
                size_t mark = o->len;
                r = buf_printf(o, "add element inet stockade %s { ", name);
                if (r < 0)
                        break;
                int n = set_elements(o, a, family);
                if (n < 0)
                        return n;
                if (n == 0) {
                        o->len = mark;
                        o->data[mark] = 0;
                } else
                        r = buf_append_str(o, " }\n");
        }
        return r;
}

int np_nft_set_change(const char *peer, const struct np_cidr *addrs, size_t n, bool add, struct buf *o) {
        int r = 0;
        for (int f = 0; r >= 0 && f < 2; f++) {
                int family = f ? AF_INET6 : AF_INET;
                struct np_addrs a = {.workload = peer, .addrs = addrs, .n = n};
                char name[64];
                np_nft_set_name(peer, family, name, sizeof(name));
                size_t mark = o->len;
                r = buf_printf(o, "%s element inet stockade %s { ", add ? "add" : "delete", name);
                if (r < 0)
                        break;
                int k = set_elements(o, &a, family);
                if (k < 0)
                        return k;
                if (k == 0) {
                        o->len = mark;
                        if (o->data)
                                o->data[mark] = 0;
                } else
                        r = buf_append_str(o, " }\n");
        }
        return r;
}

/* Enters pid's network namespace on this thread; *ret_self is the fd to come back with. */
static int netns_enter(uint32_t pid, int *ret_self) {
        char p[64];
        *ret_self = -1;
        if (pid == 0)
                return 0;
        int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return negative_errno();
        snprintf(p, sizeof(p), "/proc/%u/ns/net", pid);
        _cleanup_close_ int target = open(p, O_RDONLY | O_CLOEXEC);
        if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
                int r = negative_errno();
                close(self);
                return r;
        }
        *ret_self = self;
        return 0;
}

static int netns_leave(int self) {
        if (self < 0)
                return 0;
        int r = setns(self, CLONE_NEWNET) < 0 ? negative_errno() : 0;
        close(self);
        /* failing to come back would leave the agent's thread in a container: never continue so */
        if (r < 0)
                abort();
        return r;
}

int np_nft_run(uint32_t pid, const char *script, struct buf *err) {
        int self;
        int r = netns_enter(pid, &self);
        if (r < 0)
                return r;
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx) {
                netns_leave(self);
                return -ENOMEM;
        }
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        r = nft_run_cmd_from_buffer(ctx, script) == 0 ? 0 : -EIO;
        if (r < 0 && err) {
                const char *e = nft_ctx_get_error_buffer(ctx);
                buf_reset(err);
                (void) buf_append_str(err, e && *e ? e : "nft failed");
                char *nl = strchr(err->data, '\n'); /* the first line: the message, not the echo */
                if (nl) {
                        *nl = 0;
                        err->len = (size_t) (nl - err->data);
                }
        }
        nft_ctx_free(ctx);
        netns_leave(self);
        return r;
}

int np_nft_table_present(uint32_t pid) {
        int self;
        int r = netns_enter(pid, &self);
        if (r < 0)
                return r;
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx) {
                netns_leave(self);
                return -ENOMEM;
        }
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        r = nft_run_cmd_from_buffer(ctx, "list table inet stockade") == 0 ? 1 : 0;
        nft_ctx_free(ctx);
        netns_leave(self);
        return r;
}

int np_netns_addrs(uint32_t pid, struct np_cidr *ret, size_t max, size_t *ret_n) {
        int self;
        int r = netns_enter(pid, &self);
        if (r < 0)
                return r;
        struct ifaddrs *ifa = NULL;
        r = getifaddrs(&ifa) < 0 ? negative_errno() : 0;
        netns_leave(self);
        if (r < 0)
                return r;
        size_t n = 0;
        for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
                if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
                        continue;
                struct np_cidr c = {};
                if (i->ifa_addr->sa_family == AF_INET) {
                        c.family = AF_INET;
                        c.prefix = 32;
                        memcpy(c.addr, &((struct sockaddr_in *) i->ifa_addr)->sin_addr, 4);
                } else if (i->ifa_addr->sa_family == AF_INET6) {
                        const struct in6_addr *a = &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
                        if (IN6_IS_ADDR_LINKLOCAL(a))
                                continue;
                        c.family = AF_INET6;
                        c.prefix = 128;
                        memcpy(c.addr, a, 16);
                } else
                        continue;
                ret[n++] = c;
        }
        freeifaddrs(ifa);
        *ret_n = n;
        return 0;
}

struct np_nft {
        uint32_t pid;
        struct nft_ctx *ctx; /* its netlink socket belongs to pid's namespace for good */
};

int np_nft_open(uint32_t pid, struct np_nft **ret) {
        struct np_nft *n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        int self;
        int r = netns_enter(pid, &self);
        if (r < 0) {
                free(n);
                return r;
        }
        n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (n->ctx) {
                nft_ctx_buffer_output(n->ctx);
                nft_ctx_buffer_error(n->ctx);
                /* opens the context's netlink socket here, in the container's namespace */
                (void) nft_run_cmd_from_buffer(n->ctx, "list tables");
        }
        netns_leave(self);
        if (!n->ctx) {
                free(n);
                return -ENOMEM;
        }
        n->pid = pid;
        *ret = n;
        return 0;
}

int np_nft_exec(struct np_nft *n, const char *script, struct buf *err) {
        int self;
        /* the socket already talks to the container's namespace; entering it too means nothing the
         * library might open on the side could ever land in ours */
        int r = netns_enter(n->pid, &self);
        if (r < 0)
                return r;
        r = nft_run_cmd_from_buffer(n->ctx, script) == 0 ? 0 : -EIO;
        if (r < 0 && err) {
                const char *e = nft_ctx_get_error_buffer(n->ctx);
                buf_reset(err);
                (void) buf_append_str(err, e && *e ? e : "nft failed");
                char *nl = strchr(err->data, '\n');
                if (nl) {
                        *nl = 0;
                        err->len = (size_t) (nl - err->data);
                }
        } else
                (void) nft_ctx_get_error_buffer(n->ctx); /* drains the buffers */
        (void) nft_ctx_get_output_buffer(n->ctx);
        netns_leave(self);
        return r;
}

int np_nft_present(struct np_nft *n) {
        return np_nft_exec(n, "list table inet stockade", NULL) == 0 ? 1 : 0;
}

void np_nft_close(struct np_nft *n) {
        if (!n)
                return;
        nft_ctx_free(n->ctx);
        free(n);
}
