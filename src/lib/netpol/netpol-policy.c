/* SPDX-License-Identifier: Apache-2.0 */
/* The network policy: parsing and validating the YAML format (stockade-netpol(5)), writing it back,
 * Kubernetes NetworkPolicy export, generation from the learned graph, and the matching the agent does.
 *
 * The parser reads a hostile file: the size is capped before libyaml sees it, the node walk is bounded
 * (depth and a total node budget, which also defuses alias bombs: an alias is refused outright), every
 * list and string has a limit, and every error names FILE:LINE:COLUMN and the reason. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "netpol/netpol.h"
#include "vec.h"

static const char *const mode_names[] = {
        [NP_MODE_LEARN] = "learn",
        [NP_MODE_MONITOR] = "monitor",
        [NP_MODE_PROTECT] = "protect",
};

const char *np_mode_name(enum np_mode m) {
        return (unsigned) m < ELEMENTSOF(mode_names) ? mode_names[m] : NULL;
}

int np_mode_from_name(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(mode_names); i++)
                if (streq(s, mode_names[i]))
                        return (int) i;
        return -EINVAL;
}

static void rule_done(struct np_rule *r) {
        for (size_t i = 0; i < r->n_peers; i++)
                free(r->peers[i].name);
        free(r->peers);
        free(r->ports);
        free(r->apps);
}

static void wpolicy_done(struct np_wpolicy *w) {
        free(w->name);
        for (size_t i = 0; i < w->sel.n_labels * 2; i++)
                free(w->sel.labels[i]);
        free(w->sel.labels);
        free(w->sel.image);
        free(w->sel.name);
        for (size_t i = 0; i < w->n_ingress; i++)
                rule_done(&w->ingress[i]);
        for (size_t i = 0; i < w->n_egress; i++)
                rule_done(&w->egress[i]);
        free(w->ingress);
        free(w->egress);
}

void np_policy_free(struct np_policy *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_workloads; i++)
                wpolicy_done(&p->workloads[i]);
        free(p->workloads);
        free(p);
}

/* ---- parsing ---- */

struct pp {
        yaml_document_t doc;
        const char *path;
        struct diag *d;
        size_t budget; /* nodes we may still visit */
};

#define PP_MAX_NODES 200000
#define PP_MAX_DEPTH 16

static int pp_err(struct pp *p, const yaml_node_t *n, const char *fmt, ...) _printf_(3, 4);
static int pp_err(struct pp *p, const yaml_node_t *n, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n)
                return diag_error(p->d, -EBADMSG, "%s:%zu:%zu: %s", p->path, n->start_mark.line + 1,
                                  n->start_mark.column + 1, msg);
        return diag_error(p->d, -EBADMSG, "%s: %s", p->path, msg);
}

static yaml_node_t *pp_node(struct pp *p, int id) {
        if (p->budget == 0)
                return NULL;
        p->budget--;
        return yaml_document_get_node(&p->doc, id);
}

static const char *scalar(const yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

/* A scalar of at most NP_NAME_MAX-1 bytes, no control characters. */
static int pp_name(struct pp *p, const yaml_node_t *n, const char *what, const char **ret) {
        const char *s = scalar(n);
        if (!s)
                return pp_err(p, n, "%s must be a string", what);
        size_t l = n->data.scalar.length;
        if (l == 0 || l >= NP_NAME_MAX || strlen(s) != l)
                return pp_err(p, n, "%s must be 1 to %d bytes", what, NP_NAME_MAX - 1);
        for (size_t i = 0; i < l; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return pp_err(p, n, "%s contains a control character", what);
        *ret = s;
        return 0;
}

static int pp_dup(struct pp *p, const yaml_node_t *n, const char *what, char **ret) {
        const char *s;
        int r = pp_name(p, n, what, &s);
        if (r < 0)
                return r;
        if (!(*ret = strdup(s)))
                return diag_error(p->d, -ENOMEM, "out of memory");
        return 0;
}

/* Iterates a mapping: calls fn for each (key, value). Unknown keys are the callee's to reject. */
typedef int (*pp_pair_fn)(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud);

static int pp_map(struct pp *p, yaml_node_t *n, const char *what, pp_pair_fn fn, void *ud) {
        if (!n || n->type != YAML_MAPPING_NODE)
                return pp_err(p, n, "%s must be a mapping", what);
        size_t count = 0;
        for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
                yaml_node_t *k = pp_node(p, pr->key), *v = pp_node(p, pr->value);
                if (!k || !v)
                        return pp_err(p, n, "document too large (more than %d nodes)", PP_MAX_NODES);
                const char *key = scalar(k);
                if (!key)
                        return pp_err(p, k, "keys of %s must be strings", what);
                if (++count > NP_MAX_ITEMS)
                        return pp_err(p, k, "%s has more than %d keys", what, NP_MAX_ITEMS);
                /* duplicate keys make one file mean two things */
                for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
                        const char *o = scalar(yaml_document_get_node(&p->doc, q->key));
                        if (o && streq(o, key))
                                return pp_err(p, k, "duplicate key '%s' in %s", key, what);
                }
                int r = fn(p, key, k, v, ud);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef int (*pp_item_fn)(struct pp *p, yaml_node_t *item, size_t index, void *ud);

static int pp_seq(struct pp *p, yaml_node_t *n, const char *what, size_t max, pp_item_fn fn, void *ud) {
        if (!n || n->type != YAML_SEQUENCE_NODE)
                return pp_err(p, n, "%s must be a list", what);
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++, i++) {
                if (i >= max)
                        return pp_err(p, n, "%s has more than %zu entries", what, max);
                yaml_node_t *v = pp_node(p, *it);
                if (!v)
                        return pp_err(p, n, "document too large (more than %d nodes)", PP_MAX_NODES);
                int r = fn(p, v, i, ud);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_u16(const char *s, uint16_t *ret) {
        char *end;
        errno = 0;
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* peers: {workload: NAME} | {cidr: CIDR} | {domain: NAME} */
static int peer_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct np_peer *peer = ud;
        if (peer->kind)
                return pp_err(p, k, "a peer has exactly one of workload, cidr, domain");
        if (streq(key, "workload")) {
                peer->kind = NP_PEER_WORKLOAD;
                return pp_dup(p, v, "workload", &peer->name);
        }
        if (streq(key, "domain")) {
                peer->kind = NP_PEER_DOMAIN;
                int r = pp_dup(p, v, "domain", &peer->name);
                if (r < 0)
                        return r;
                for (const char *c = peer->name; *c; c++)
                        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                              (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' ||
                              (*c == '*' && c == peer->name)))
                                return pp_err(p, v, "'%s' is not a domain name", peer->name);
                return 0;
        }
        if (streq(key, "cidr")) {
                const char *s;
                int r = pp_name(p, v, "cidr", &s);
                if (r < 0)
                        return r;
                peer->kind = NP_PEER_CIDR;
                if (np_cidr_parse(s, &peer->cidr) < 0)
                        return pp_err(p, v, "'%s' is not a CIDR (address/prefix with zero host bits)", s);
                return 0;
        }
        return pp_err(p, k, "unknown peer key '%s' (expected workload, cidr or domain)", key);
}

static int peer_item(struct pp *p, yaml_node_t *item, size_t index, void *ud) {
        struct np_rule *rule = ud;
        struct np_peer *peer = &rule->peers[rule->n_peers];
        *peer = (struct np_peer){};
        rule->n_peers++; /* counted now so a half-parsed peer is freed */
        int r = pp_map(p, item, "a peer", peer_pair, peer);
        if (r < 0)
                return r;
        if (!peer->kind)
                return pp_err(p, item, "a peer needs one of workload, cidr, domain");
        return 0;
}

struct port_ctx {
        struct np_portspec *ps;
        bool have_port;
};

static int port_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct port_ctx *c = ud;
        const char *s = scalar(v);
        if (streq(key, "port")) {
                char lo[16], *dash;
                if (!s || strlen(s) >= sizeof(lo))
                        return pp_err(p, v, "port must be a number or a range N-M");
                snprintf(lo, sizeof(lo), "%s", s);
                dash = strchr(lo, '-');
                if (dash)
                        *dash = 0;
                if (parse_u16(lo, &c->ps->port) < 0 || c->ps->port == 0 ||
                    parse_u16(dash ? dash + 1 : lo, &c->ps->port_end) < 0 || c->ps->port_end < c->ps->port)
                        return pp_err(p, v, "'%s' is not a port (1-65535) or a range N-M", s);
                c->have_port = true;
                return 0;
        }
        if (streq(key, "protocol")) {
                if (s && streq(s, "tcp"))
                        c->ps->proto = IPPROTO_TCP;
                else if (s && streq(s, "udp"))
                        c->ps->proto = IPPROTO_UDP;
                else if (s && streq(s, "any"))
                        c->ps->proto = 0;
                else
                        return pp_err(p, v, "protocol must be tcp, udp or any");
                return 0;
        }
        return pp_err(p, k, "unknown port key '%s' (expected port, protocol)", key);
}

static int port_item(struct pp *p, yaml_node_t *item, size_t index, void *ud) {
        struct np_rule *rule = ud;
        struct np_portspec *ps = &rule->ports[rule->n_ports];
        *ps = (struct np_portspec){.proto = IPPROTO_TCP};
        struct port_ctx c = {.ps = ps};
        if (item->type == YAML_SCALAR_NODE) { /* shorthand: "8080" or "53/udp" */
                char v[24], *slash;
                const char *s = scalar(item);
                if (strlen(s) >= sizeof(v))
                        return pp_err(p, item, "'%s' is not a port", s);
                snprintf(v, sizeof(v), "%s", s);
                slash = strchr(v, '/');
                if (slash) {
                        *slash++ = 0;
                        if (streq(slash, "udp"))
                                ps->proto = IPPROTO_UDP;
                        else if (!streq(slash, "tcp"))
                                return pp_err(p, item, "'%s': protocol must be tcp or udp", s);
                }
                if (parse_u16(v, &ps->port) < 0 || ps->port == 0)
                        return pp_err(p, item, "'%s' is not a port (1-65535)", s);
                ps->port_end = ps->port;
                rule->n_ports++;
                return 0;
        }
        int r = pp_map(p, item, "a port", port_pair, &c);
        if (r < 0)
                return r;
        if (!c.have_port)
                return pp_err(p, item, "a port entry needs 'port'");
        rule->n_ports++;
        return 0;
}

static int app_item(struct pp *p, yaml_node_t *item, size_t index, void *ud) {
        struct np_rule *rule = ud;
        const char *s = scalar(item);
        int a = s ? np_app_from_name(s) : -EINVAL;
        if (a <= 0)
                return pp_err(p, item,
                              "unknown protocol '%s' (expected http, tls, dns, redis, postgres, mysql)",
                              s ? s : "?");
        rule->apps[rule->n_apps++] = (enum np_app) a;
        return 0;
}

static size_t seq_len(const yaml_node_t *n) {
        return n && n->type == YAML_SEQUENCE_NODE
                       ? (size_t) (n->data.sequence.items.top - n->data.sequence.items.start)
                       : 0;
}

struct rule_ctx {
        struct np_rule *rule;
        bool egress;
};

static int rule_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct rule_ctx *c = ud;
        struct np_rule *rule = c->rule;
        size_t n = MIN(seq_len(v), (size_t) NP_MAX_ITEMS);
        if (streq(key, c->egress ? "to" : "from")) {
                if (!(rule->peers = calloc(n + 1, sizeof(*rule->peers))))
                        return -ENOMEM;
                return pp_seq(p, v, key, NP_MAX_ITEMS, peer_item, rule);
        }
        if (streq(key, "ports")) {
                if (!(rule->ports = calloc(n + 1, sizeof(*rule->ports))))
                        return -ENOMEM;
                return pp_seq(p, v, key, NP_MAX_ITEMS, port_item, rule);
        }
        if (streq(key, "protocols")) {
                if (!(rule->apps = calloc(n + 1, sizeof(*rule->apps))))
                        return -ENOMEM;
                return pp_seq(p, v, key, NP_MAX_ITEMS, app_item, rule);
        }
        return pp_err(p, k, "unknown rule key '%s' (expected %s, ports, protocols)", key,
                      c->egress ? "to" : "from");
}

struct rules_ctx {
        struct np_rule **rules;
        size_t *n;
        bool egress;
};

static int rule_item(struct pp *p, yaml_node_t *item, size_t index, void *ud) {
        struct rules_ctx *c = ud;
        struct np_rule *rule = &(*c->rules)[*c->n];
        *rule = (struct np_rule){.line = (unsigned) item->start_mark.line + 1};
        (*c->n)++;
        struct rule_ctx rc = {.rule = rule, .egress = c->egress};
        return pp_map(p, item, c->egress ? "an egress rule" : "an ingress rule", rule_pair, &rc);
}

static int label_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct np_selector *s = ud;
        const char *val;
        int r = pp_name(p, k, "a label key", &key);
        if (r >= 0)
                r = pp_name(p, v, "a label value", &val);
        if (r < 0)
                return r;
        char **nl = realloc(s->labels, (s->n_labels + 1) * 2 * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        s->labels = nl;
        nl[s->n_labels * 2] = strdup(key);
        nl[s->n_labels * 2 + 1] = strdup(val);
        s->n_labels++;
        if (!nl[s->n_labels * 2 - 2] || !nl[s->n_labels * 2 - 1])
                return -ENOMEM;
        return 0;
}

static int selector_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct np_selector *s = ud;
        if (streq(key, "labels"))
                return pp_map(p, v, "labels", label_pair, s);
        if (streq(key, "image"))
                return pp_dup(p, v, "image", &s->image);
        if (streq(key, "name"))
                return pp_dup(p, v, "name", &s->name);
        return pp_err(p, k, "unknown selector key '%s' (expected labels, image, name)", key);
}

static int workload_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct np_wpolicy *w = ud;
        if (streq(key, "name"))
                return pp_dup(p, v, "name", &w->name);
        if (streq(key, "selector"))
                return pp_map(p, v, "selector", selector_pair, &w->sel);
        if (streq(key, "mode")) {
                const char *s = scalar(v);
                int m = s ? np_mode_from_name(s) : -EINVAL;
                if (m < 0)
                        return pp_err(p, v, "mode must be learn, monitor or protect");
                w->has_mode = true;
                w->mode = (enum np_mode) m;
                return 0;
        }
        if (streq(key, "ingress") || streq(key, "egress")) {
                bool eg = key[0] == 'e';
                struct np_rule **rules = eg ? &w->egress : &w->ingress;
                size_t *n = eg ? &w->n_egress : &w->n_ingress;
                if (!(*rules = calloc(MIN(seq_len(v), (size_t) NP_MAX_RULES) + 1, sizeof(struct np_rule))))
                        return -ENOMEM;
                struct rules_ctx c = {.rules = rules, .n = n, .egress = eg};
                return pp_seq(p, v, key, NP_MAX_RULES, rule_item, &c);
        }
        return pp_err(p, k, "unknown workload key '%s' (expected name, selector, mode, ingress, egress)",
                      key);
}

static int workload_item(struct pp *p, yaml_node_t *item, size_t index, void *ud) {
        struct np_policy *pol = ud;
        struct np_wpolicy *w = &pol->workloads[pol->n_workloads];
        *w = (struct np_wpolicy){.line = (unsigned) item->start_mark.line + 1};
        pol->n_workloads++;
        int r = pp_map(p, item, "a workload", workload_pair, w);
        if (r < 0)
                return r;
        if (!w->name)
                return pp_err(p, item, "a workload needs a name");
        if (!w->sel.n_labels && !w->sel.image && !w->sel.name)
                return pp_err(p, item, "workload '%s' needs a selector (labels, image or name)", w->name);
        for (size_t i = 0; i + 1 < pol->n_workloads; i++)
                if (streq(pol->workloads[i].name, w->name))
                        return pp_err(p, item, "workload '%s' is defined twice (first on line %u)", w->name,
                                      pol->workloads[i].line);
        return 0;
}

static int top_pair(struct pp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud) {
        struct np_policy *pol = ud;
        const char *s = scalar(v);
        if (streq(key, "apiVersion")) {
                if (!s || !streq(s, "stockade/v1"))
                        return pp_err(p, v, "apiVersion must be stockade/v1");
                return 0;
        }
        if (streq(key, "kind")) {
                if (!s || !streq(s, "NetworkPolicy"))
                        return pp_err(p, v, "kind must be NetworkPolicy");
                return 0;
        }
        if (streq(key, "mode")) {
                int m = s ? np_mode_from_name(s) : -EINVAL;
                if (m < 0)
                        return pp_err(p, v, "mode must be learn, monitor or protect");
                pol->mode = (enum np_mode) m;
                return 0;
        }
        if (streq(key, "workloads")) {
                if (!(pol->workloads = calloc(MIN(seq_len(v), (size_t) NP_MAX_WORKLOADS) + 1,
                                              sizeof(struct np_wpolicy))))
                        return -ENOMEM;
                return pp_seq(p, v, "workloads", NP_MAX_WORKLOADS, workload_item, pol);
        }
        return pp_err(p, k, "unknown key '%s' (expected apiVersion, kind, mode, workloads)", key);
}

/* Checks that every workload a rule names is defined (a typo would otherwise deny silently). */
static int check_refs(struct pp *p, const struct np_policy *pol) {
        for (size_t i = 0; i < pol->n_workloads; i++) {
                const struct np_wpolicy *w = &pol->workloads[i];
                for (int eg = 0; eg < 2; eg++) {
                        const struct np_rule *rules = eg ? w->egress : w->ingress;
                        size_t n = eg ? w->n_egress : w->n_ingress;
                        for (size_t r = 0; r < n; r++)
                                for (size_t k = 0; k < rules[r].n_peers; k++) {
                                        const struct np_peer *pe = &rules[r].peers[k];
                                        if (pe->kind != NP_PEER_WORKLOAD)
                                                continue;
                                        bool found = false;
                                        for (size_t j = 0; j < pol->n_workloads && !found; j++)
                                                found = streq(pol->workloads[j].name, pe->name);
                                        if (!found)
                                                return diag_error(p->d, -EBADMSG,
                                                                  "%s:%u: workload '%s' names peer workload "
                                                                  "'%s', which the policy does not define",
                                                                  p->path, rules[r].line, w->name, pe->name);
                                }
                }
        }
        return 0;
}

/* Refuses aliases: the document API would share the node, and a walk could go exponential. */
static int check_no_alias(const char *data, size_t len, const char *path, struct diag *d) {
        yaml_parser_t parser;
        yaml_event_t ev;
        int r = 0;
        if (!yaml_parser_initialize(&parser))
                return diag_error(d, -ENOMEM, "out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
        for (size_t n = 0;; n++) {
                if (!yaml_parser_parse(&parser, &ev)) {
                        r = diag_error(d, -EBADMSG, "%s:%zu:%zu: invalid YAML: %s", path,
                                       parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                                       parser.problem ? parser.problem : "syntax error");
                        break;
                }
                yaml_event_type_t t = ev.type;
                if (t == YAML_ALIAS_EVENT)
                        r = diag_error(d, -EBADMSG, "%s:%zu:%zu: aliases are not allowed in a policy", path,
                                       ev.start_mark.line + 1, ev.start_mark.column + 1);
                else if (t == YAML_DOCUMENT_START_EVENT && n > 2)
                        r = diag_error(d, -EBADMSG, "%s:%zu:%zu: a policy file holds one document", path,
                                       ev.start_mark.line + 1, ev.start_mark.column + 1);
                else if (n > PP_MAX_NODES * 2)
                        r = diag_error(d, -EBADMSG, "%s: document too large", path);
                yaml_event_delete(&ev);
                if (r < 0 || t == YAML_STREAM_END_EVENT)
                        break;
        }
        yaml_parser_delete(&parser);
        return r;
}

int np_policy_parse(const char *data, size_t len, const char *path, struct np_policy **ret, struct diag *d) {
        if (len > NP_POLICY_MAX_BYTES)
                return diag_error(d, -EFBIG, "%s: policy larger than %u bytes", path, NP_POLICY_MAX_BYTES);
        int r = check_no_alias(data, len, path, d);
        if (r < 0)
                return r;
        struct pp p = {.path = path, .d = d, .budget = PP_MAX_NODES};
        yaml_parser_t parser;
        if (!yaml_parser_initialize(&parser))
                return diag_error(d, -ENOMEM, "out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
        if (!yaml_parser_load(&parser, &p.doc)) {
                r = diag_error(d, -EBADMSG, "%s:%zu:%zu: invalid YAML: %s", path,
                               parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                               parser.problem ? parser.problem : "syntax error");
                yaml_parser_delete(&parser);
                return r;
        }
        yaml_parser_delete(&parser);
        _cleanup_(np_policy_freep) struct np_policy *pol = calloc(1, sizeof(*pol));
        if (!pol) {
                yaml_document_delete(&p.doc);
                return -ENOMEM;
        }
        pol->mode = NP_MODE_MONITOR;
        yaml_node_t *root = yaml_document_get_root_node(&p.doc);
        if (!root)
                r = diag_error(d, -EBADMSG, "%s: empty policy", path);
        else
                r = pp_map(&p, root, "the policy", top_pair, pol);
        if (r >= 0)
                r = check_refs(&p, pol);
        if (r == -ENOMEM)
                diag_error(d, r, "%s: out of memory", path);
        yaml_document_delete(&p.doc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pol);
        return 0;
}

int np_policy_load(const char *path, struct np_policy **ret, struct diag *d) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot open '%s': %m", path);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return diag_error(d, -EINVAL, "'%s' is not a regular file", path);
        if (st.st_size > NP_POLICY_MAX_BYTES)
                return diag_error(d, -EFBIG, "%s: policy larger than %u bytes", path, NP_POLICY_MAX_BYTES);
        _cleanup_free_ char *data = malloc((size_t) st.st_size + 1);
        if (!data)
                return -ENOMEM;
        size_t got = 0;
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, data + got, (size_t) st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return diag_error(d, n < 0 ? negative_errno() : -EIO, "cannot read '%s'", path);
                got += (size_t) n;
        }
        return np_policy_parse(data, got, path, ret, d);
}

/* ---- writing ---- */

/* A YAML double-quoted scalar. */
static int yq(struct buf *o, const char *s) {
        int r = buf_append_char(o, '"');
        for (; r >= 0 && *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '"' || c == '\\')
                        r = buf_printf(o, "\\%c", c);
                else if (c < 0x20 || c == 0x7f)
                        r = buf_printf(o, "\\x%02x", c);
                else
                        r = buf_append_char(o, (char) c);
        }
        return r < 0 ? r : buf_append_char(o, '"');
}

static const char *proto_str(uint8_t p) {
        return p == IPPROTO_UDP ? "udp" : p == IPPROTO_TCP ? "tcp" : "any";
}

static int rules_yaml(struct buf *o, const char *key, const struct np_rule *rules, size_t n, bool egress) {
        if (!n)
                return buf_printf(o, "    %s: []\n", key);
        int r = buf_printf(o, "    %s:\n", key);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct np_rule *ru = &rules[i];
                bool first = true;
                if (ru->n_peers) {
                        r = buf_printf(o, "      - %s:\n", egress ? "to" : "from");
                        first = false;
                        for (size_t k = 0; r >= 0 && k < ru->n_peers; k++) {
                                const struct np_peer *pe = &ru->peers[k];
                                if (pe->kind == NP_PEER_CIDR) {
                                        char c[64];
                                        np_cidr_format(&pe->cidr, c, sizeof(c));
                                        if (!strchr(c, '/'))
                                                snprintf(c + strlen(c), sizeof(c) - strlen(c), "/%u",
                                                         pe->cidr.prefix);
                                        r = buf_printf(o, "          - cidr: %s\n", c);
                                } else {
                                        r = buf_printf(o, "          - %s: ",
                                                       pe->kind == NP_PEER_DOMAIN ? "domain" : "workload");
                                        if (r >= 0)
                                                r = yq(o, pe->name);
                                        if (r >= 0)
                                                r = buf_append_char(o, '\n');
                                }
                        }
                }
                if (r >= 0 && ru->n_ports) {
                        r = buf_printf(o, "      %s ports:\n", first ? "-" : " ");
                        first = false;
                        for (size_t k = 0; r >= 0 && k < ru->n_ports; k++) {
                                const struct np_portspec *ps = &ru->ports[k];
                                if (ps->port_end != ps->port)
                                        r = buf_printf(o, "          - {port: \"%u-%u\", protocol: %s}\n",
                                                       ps->port, ps->port_end, proto_str(ps->proto));
                                else
                                        r = buf_printf(o, "          - {port: %u, protocol: %s}\n", ps->port,
                                                       proto_str(ps->proto));
                        }
                }
                if (r >= 0 && ru->n_apps) {
                        r = buf_printf(o, "      %s protocols: [", first ? "-" : " ");
                        first = false;
                        for (size_t k = 0; r >= 0 && k < ru->n_apps; k++)
                                r = buf_printf(o, "%s%s", k ? ", " : "", np_app_name(ru->apps[k]));
                        if (r >= 0)
                                r = buf_append_str(o, "]\n");
                }
                if (r >= 0 && first)
                        r = buf_append_str(o, "      - {}\n");
        }
        return r;
}

int np_policy_to_yaml(const struct np_policy *p, struct buf *o) {
        int r = buf_printf(o, "apiVersion: stockade/v1\nkind: NetworkPolicy\nmode: %s\nworkloads:%s\n",
                           np_mode_name(p->mode), p->n_workloads ? "" : " []");
        for (size_t i = 0; r >= 0 && i < p->n_workloads; i++) {
                const struct np_wpolicy *w = &p->workloads[i];
                r = buf_append_str(o, "  - name: ");
                if (r >= 0)
                        r = yq(o, w->name);
                if (r >= 0)
                        r = buf_append_str(o, "\n    selector:\n");
                if (r >= 0 && w->sel.n_labels) {
                        r = buf_append_str(o, "      labels:\n");
                        for (size_t k = 0; r >= 0 && k < w->sel.n_labels; k++) {
                                r = buf_append_str(o, "        ");
                                if (r >= 0)
                                        r = yq(o, w->sel.labels[2 * k]);
                                if (r >= 0)
                                        r = buf_append_str(o, ": ");
                                if (r >= 0)
                                        r = yq(o, w->sel.labels[2 * k + 1]);
                                if (r >= 0)
                                        r = buf_append_char(o, '\n');
                        }
                }
                if (r >= 0 && w->sel.image) {
                        r = buf_append_str(o, "      image: ");
                        if (r >= 0)
                                r = yq(o, w->sel.image);
                        if (r >= 0)
                                r = buf_append_char(o, '\n');
                }
                if (r >= 0 && w->sel.name) {
                        r = buf_append_str(o, "      name: ");
                        if (r >= 0)
                                r = yq(o, w->sel.name);
                        if (r >= 0)
                                r = buf_append_char(o, '\n');
                }
                if (r >= 0 && w->has_mode)
                        r = buf_printf(o, "    mode: %s\n", np_mode_name(w->mode));
                if (r >= 0)
                        r = rules_yaml(o, "ingress", w->ingress, w->n_ingress, false);
                if (r >= 0)
                        r = rules_yaml(o, "egress", w->egress, w->n_egress, true);
        }
        return r;
}

static const struct np_wpolicy *find_wpolicy(const struct np_policy *p, const char *name) {
        for (size_t i = 0; i < p->n_workloads; i++)
                if (streq(p->workloads[i].name, name))
                        return &p->workloads[i];
        return NULL;
}

/* Kubernetes label values: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static bool k8s_label_value_ok(const char *s) {
        size_t l = strlen(s);
        if (l > 63)
                return false;
        for (size_t i = 0; i < l; i++) {
                char c = s[i];
                bool an = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!an && (i == 0 || i == l - 1 || (c != '.' && c != '_' && c != '-')))
                        return false;
        }
        return true;
}

static void k8s_name(const char *s, char *out, size_t outlen) {
        size_t k = 0;
        for (; *s && k + 1 < outlen && k < 50; s++) {
                char c = *s;
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                        c = '-';
                if (c == '-' && (k == 0 || out[k - 1] == '-'))
                        continue;
                out[k++] = c;
        }
        while (k && out[k - 1] == '-')
                k--;
        out[k] = 0;
        if (!k)
                snprintf(out, outlen, "workload");
}

static int k8s_selector(struct buf *o, const struct np_wpolicy *w, const char *indent) {
        int r = 0;
        size_t usable = 0;
        for (size_t k = 0; k < w->sel.n_labels; k++)
                usable += k8s_label_value_ok(w->sel.labels[2 * k + 1]);
        if (!usable) {
                char v[64];
                k8s_name(w->name, v, sizeof(v));
                return buf_printf(o,
                                  "%s# selected by image or name in stockade: label its pods so\n"
                                  "%smatchLabels:\n%s  stockade.io/workload: \"%s\"\n",
                                  indent, indent, indent, v);
        }
        r = buf_printf(o, "%smatchLabels:\n", indent);
        for (size_t k = 0; r >= 0 && k < w->sel.n_labels; k++) {
                if (!k8s_label_value_ok(w->sel.labels[2 * k + 1]))
                        continue;
                r = buf_printf(o, "%s  ", indent);
                if (r >= 0)
                        r = yq(o, w->sel.labels[2 * k]);
                if (r >= 0)
                        r = buf_append_str(o, ": ");
                if (r >= 0)
                        r = yq(o, w->sel.labels[2 * k + 1]);
                if (r >= 0)
                        r = buf_append_char(o, '\n');
        }
        return r;
}

static int k8s_rules(struct buf *o, const struct np_policy *p, const struct np_wpolicy *w, bool egress) {
        const struct np_rule *rules = egress ? w->egress : w->ingress;
        size_t n = egress ? w->n_egress : w->n_ingress;
        int r = buf_printf(o, "  %s:%s\n", egress ? "egress" : "ingress", n ? "" : " []");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct np_rule *ru = &rules[i];
                bool first = true;
                if (ru->n_peers) {
                        r = buf_printf(o, "    - %s:\n", egress ? "to" : "from");
                        first = false;
                        for (size_t k = 0; r >= 0 && k < ru->n_peers; k++) {
                                const struct np_peer *pe = &ru->peers[k];
                                if (pe->kind == NP_PEER_WORKLOAD) {
                                        const struct np_wpolicy *pw = find_wpolicy(p, pe->name);
                                        r = buf_append_str(o, "        - podSelector:\n");
                                        if (r >= 0 && pw)
                                                r = k8s_selector(o, pw, "            ");
                                } else if (pe->kind == NP_PEER_CIDR) {
                                        char c[64];
                                        np_cidr_format(&pe->cidr, c, sizeof(c));
                                        r = buf_printf(o, "        - ipBlock:\n            cidr: %s%s\n", c,
                                                       strchr(c, '/')               ? ""
                                                       : pe->cidr.family == AF_INET ? "/32"
                                                                                    : "/128");
                                } else
                                        r = buf_printf(
                                                o,
                                                "        # domain %s: NetworkPolicy has no domain peers\n",
                                                pe->name);
                        }
                }
                if (r >= 0 && ru->n_ports) {
                        r = buf_printf(o, "    %s ports:\n", first ? "-" : " ");
                        first = false;
                        for (size_t k = 0; r >= 0 && k < ru->n_ports; k++) {
                                const struct np_portspec *ps = &ru->ports[k];
                                for (int pr = 0; r >= 0 && pr < 2; pr++) {
                                        uint8_t proto = pr ? IPPROTO_UDP : IPPROTO_TCP;
                                        if (ps->proto && ps->proto != proto)
                                                continue;
                                        r = buf_printf(o, "        - protocol: %s\n          port: %u\n",
                                                       proto == IPPROTO_UDP ? "UDP" : "TCP", ps->port);
                                        if (r >= 0 && ps->port_end != ps->port)
                                                r = buf_printf(o, "          endPort: %u\n", ps->port_end);
                                }
                        }
                }
                if (r >= 0 && first)
                        r = buf_append_str(o, "    - {}\n");
        }
        return r;
}

int np_policy_to_k8s(const struct np_policy *p, const char *ns, struct buf *o) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < p->n_workloads; i++) {
                const struct np_wpolicy *w = &p->workloads[i];
                char name[64];
                k8s_name(w->name, name, sizeof(name));
                r = buf_printf(o,
                               "%sapiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
                               "  name: stockade-%s\n%s%s%s"
                               "spec:\n  podSelector:\n",
                               i ? "---\n" : "", name, ns ? "  namespace: " : "", ns ? ns : "",
                               ns ? "\n" : "");
                if (r >= 0 && (w->sel.image || w->sel.name))
                        r = buf_printf(
                                o, "    # stockade selector also had%s%s%s%s (no Kubernetes equivalent)\n",
                                w->sel.image ? " image " : "", w->sel.image ? w->sel.image : "",
                                w->sel.name ? " name " : "", w->sel.name ? w->sel.name : "");
                if (r >= 0)
                        r = k8s_selector(o, w, "    ");
                if (r >= 0)
                        r = buf_append_str(o, "  policyTypes:\n    - Ingress\n    - Egress\n");
                if (r >= 0)
                        r = k8s_rules(o, p, w, false);
                if (r >= 0)
                        r = k8s_rules(o, p, w, true);
        }
        return r;
}

/* ---- generation from the graph ---- */

static int rule_add_peer_port(struct np_rule **rules, size_t *n, const struct np_peer *peer, uint8_t proto,
                              uint16_t port, enum np_app app) {
        /* one rule per (peer): ports accumulate */
        struct np_rule *ru = NULL;
        for (size_t i = 0; i < *n && !ru; i++) {
                const struct np_peer *q = &(*rules)[i].peers[0];
                if (q->kind == peer->kind &&
                    (peer->kind == NP_PEER_CIDR ? memcmp(&q->cidr, &peer->cidr, sizeof(q->cidr)) == 0
                                                : streq(q->name, peer->name)))
                        ru = &(*rules)[i];
        }
        if (!ru) {
                if (*n >= NP_MAX_RULES)
                        return 0;
                struct np_rule *nr = realloc(*rules, (*n + 1) * sizeof(**rules));
                if (!nr)
                        return -ENOMEM;
                *rules = nr;
                ru = &nr[(*n)++];
                *ru = (struct np_rule){};
                if (!(ru->peers = calloc(1, sizeof(*ru->peers))))
                        return -ENOMEM;
                ru->peers[0] = *peer;
                if (peer->name && !(ru->peers[0].name = strdup(peer->name)))
                        return -ENOMEM;
                ru->n_peers = 1;
        }
        bool have = false;
        for (size_t i = 0; i < ru->n_ports && !have; i++)
                have = ru->ports[i].proto == proto && ru->ports[i].port == port;
        if (!have && ru->n_ports < NP_MAX_ITEMS) {
                struct np_portspec *np = realloc(ru->ports, (ru->n_ports + 1) * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                ru->ports = np;
                np[ru->n_ports++] = (struct np_portspec){.proto = proto, .port = port, .port_end = port};
        }
        if (app != NP_APP_UNKNOWN) {
                for (size_t i = 0; i < ru->n_apps; i++)
                        if (ru->apps[i] == app)
                                return 0;
                enum np_app *na = realloc(ru->apps, (ru->n_apps + 1) * sizeof(*na));
                if (!na)
                        return -ENOMEM;
                ru->apps = na;
                na[ru->n_apps++] = app;
        }
        return 0;
}

static int label_set(struct np_selector *s, const char *k, const char *v) {
        if (!(s->labels = calloc(2, sizeof(char *))))
                return -ENOMEM;
        s->n_labels = 1;
        s->labels[0] = strdup(k);
        s->labels[1] = strdup(v);
        return s->labels[0] && s->labels[1] ? 0 : -ENOMEM;
}

static bool selected(const char *name, const char *const *only, size_t n_only) {
        if (!n_only)
                return true;
        for (size_t i = 0; i < n_only; i++)
                if (streq(only[i], name))
                        return true;
        return false;
}

int np_policy_from_graph(const struct np_graph *g, enum np_mode mode, const char *const *only, size_t n_only,
                         struct np_policy **ret) {
        _cleanup_(np_policy_freep) struct np_policy *p = calloc(1, sizeof(*p));
        if (!p || !(p->workloads = calloc(g->n_workloads + 1, sizeof(*p->workloads))))
                return -ENOMEM;
        p->mode = mode;
        for (size_t i = 0; i < g->n_workloads; i++) {
                const struct np_workload *gw = &g->workloads[i];
                if (!selected(gw->name, only, n_only))
                        continue;
                struct np_wpolicy *w = &p->workloads[p->n_workloads++];
                if (!(w->name = strdup(gw->name)))
                        return -ENOMEM;
                int r = 0;
                if (gw->service)
                        r = label_set(&w->sel, NP_COMPOSE_SERVICE_LABEL, gw->service);
                else if (gw->image && streq(gw->image, gw->name))
                        r = (w->sel.image = strdup(gw->image)) ? 0 : -ENOMEM;
                else
                        r = (w->sel.name = strdup(gw->name)) ? 0 : -ENOMEM;
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < g->n_edges; i++) {
                const struct np_edge *e = &g->edges[i];
                struct np_wpolicy *src = e->src ? (struct np_wpolicy *) find_wpolicy(p, e->src) : NULL;
                struct np_wpolicy *dst = e->dst ? (struct np_wpolicy *) find_wpolicy(p, e->dst) : NULL;
                struct np_peer peer;
                int r = 0;
                if ((e->src && !selected(e->src, only, n_only)) ||
                    (e->dst && !selected(e->dst, only, n_only)))
                        continue;
                if (src) { /* egress of src */
                        peer = e->dst ? (struct np_peer){.kind = NP_PEER_WORKLOAD, .name = e->dst}
                                      : (struct np_peer){.kind = NP_PEER_CIDR, .cidr = e->dst_addr};
                        r = rule_add_peer_port(&src->egress, &src->n_egress, &peer, e->proto, e->port,
                                               e->app);
                }
                if (r >= 0 && dst) { /* ingress of dst */
                        peer = e->src ? (struct np_peer){.kind = NP_PEER_WORKLOAD, .name = e->src}
                                      : (struct np_peer){.kind = NP_PEER_CIDR, .cidr = e->src_addr};
                        r = rule_add_peer_port(&dst->ingress, &dst->n_ingress, &peer, e->proto, e->port,
                                               e->app);
                }
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- matching ---- */

/* The most specific entry wins (labels, then name, then image), so a broad image selector never takes
 * a replica that a service's labels name; ties go to the first in the file. */
static unsigned specificity(const struct np_selector *s) {
        return (unsigned) s->n_labels * 4 + (s->name ? 2 : 0) + (s->image ? 1 : 0);
}

const struct np_wpolicy *np_policy_select(const struct np_policy *p, const struct rt_container *c) {
        const struct np_wpolicy *best = NULL;
        if (!p || !c)
                return NULL;
        for (size_t i = 0; i < p->n_workloads; i++) {
                const struct np_wpolicy *w = &p->workloads[i];
                bool ok = true;
                for (size_t k = 0; ok && k < w->sel.n_labels; k++) {
                        const char *v = rt_container_label(c, w->sel.labels[2 * k]);
                        ok = v && streq(v, w->sel.labels[2 * k + 1]);
                }
                if (ok && w->sel.image)
                        ok = c->image && fnmatch(w->sel.image, c->image, 0) == 0;
                if (ok && w->sel.name)
                        ok = c->name && fnmatch(w->sel.name, c->name, 0) == 0;
                if (ok && (!best || specificity(&w->sel) > specificity(&best->sel)))
                        best = w;
        }
        return best;
}

enum np_mode np_wpolicy_mode(const struct np_policy *p, const struct np_wpolicy *w) {
        return w && w->has_mode ? w->mode : p->mode;
}

static bool domain_match(const char *pattern, const char *name) {
        if (pattern[0] == '*' && pattern[1] == '.') {
                size_t pl = strlen(pattern + 1), nl = strlen(name);
                return nl > pl && strcasecmp(name + nl - pl, pattern + 1) == 0;
        }
        return strcasecmp(pattern, name) == 0;
}

bool np_wpolicy_allows(const struct np_wpolicy *w, bool egress, const char *peer_workload, int family,
                       const uint8_t *peer_addr, const char *peer_domain, uint8_t proto, uint16_t port) {
        const struct np_rule *rules = egress ? w->egress : w->ingress;
        size_t n = egress ? w->n_egress : w->n_ingress;
        for (size_t i = 0; i < n; i++) {
                const struct np_rule *ru = &rules[i];
                bool peer_ok = ru->n_peers == 0;
                for (size_t k = 0; !peer_ok && k < ru->n_peers; k++) {
                        const struct np_peer *pe = &ru->peers[k];
                        if (pe->kind == NP_PEER_WORKLOAD)
                                peer_ok = peer_workload && streq(pe->name, peer_workload);
                        else if (pe->kind == NP_PEER_CIDR)
                                peer_ok = peer_addr && np_cidr_contains(&pe->cidr, family, peer_addr);
                        else if (pe->kind == NP_PEER_DOMAIN)
                                peer_ok = peer_domain && domain_match(pe->name, peer_domain);
                }
                if (!peer_ok)
                        continue;
                if (ru->n_ports == 0)
                        return true;
                for (size_t k = 0; k < ru->n_ports; k++) {
                        const struct np_portspec *ps = &ru->ports[k];
                        if ((!ps->proto || ps->proto == proto) && port >= ps->port && port <= ps->port_end)
                                return true;
                }
        }
        return false;
}
