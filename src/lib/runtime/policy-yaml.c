/* SPDX-License-Identifier: Apache-2.0 */
/* ImageProfile documents (stockade-policy(5)): parsing (strict, bounded, every error with
 * file:line:column) into a detached model, and writing a model as YAML (libyaml's emitter, which does
 * the quoting) or JSON. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <time.h>
#include <yaml.h>

#include "arena.h"
#include "model-internal.h"
#include "runtime/events.h"

#define POLICY_MAX_BYTES (4 * 1024 * 1024)
#define POLICY_MAX_DEPTH 8
#define POLICY_MAX_NODES 200000
#define POLICY_MAX_VALUE 4096

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
        enum ykind kind;
        const char *value;
        bool plain;
        unsigned line, col;
        struct ynode *first, *last, *next;
        size_t n;
};

struct yctx {
        struct arena *a;
        struct diag *d;
        const char *name;
        size_t nodes;
};

static int yerr(struct yctx *c, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);
static int yerr(struct yctx *c, unsigned line, unsigned col, const char *fmt, ...) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        return diag_error(c->d, -EBADMSG, "%s:%u:%u: %s", c->name, line, col, what);
}

#define NERR(c, n, ...) yerr((c), (n)->line, (n)->col, __VA_ARGS__)

static int build_tree(struct yctx *c, const char *data, size_t len, struct ynode **ret) {
        yaml_parser_t p;
        struct ynode *stack[POLICY_MAX_DEPTH], *root = NULL;
        size_t depth = 0, docs = 0;
        bool done = false;
        int r = 0;

        if (!yaml_parser_initialize(&p))
                return -ENOMEM;
        yaml_parser_set_input_string(&p, (const unsigned char *) data, len);
        while (!done && r >= 0) {
                yaml_event_t e;
                if (!yaml_parser_parse(&p, &e)) {
                        r = yerr(c, (unsigned) p.problem_mark.line + 1, (unsigned) p.problem_mark.column + 1,
                                 "%s", p.problem ? p.problem : "invalid YAML");
                        break;
                }
                unsigned line = (unsigned) e.start_mark.line + 1, col = (unsigned) e.start_mark.column + 1;
                switch (e.type) {
                case YAML_STREAM_END_EVENT: done = true; break;
                case YAML_DOCUMENT_START_EVENT:
                        if (++docs > 1)
                                r = yerr(c, line, col, "more than one YAML document");
                        break;
                case YAML_ALIAS_EVENT: r = yerr(c, line, col, "YAML aliases are not allowed"); break;
                case YAML_SCALAR_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT: {
                        const yaml_char_t *anchor = e.type == YAML_SCALAR_EVENT ? e.data.scalar.anchor
                                                    : e.type == YAML_SEQUENCE_START_EVENT
                                                            ? e.data.sequence_start.anchor
                                                            : e.data.mapping_start.anchor;
                        if (anchor) {
                                r = yerr(c, line, col, "YAML anchors are not allowed");
                                break;
                        }
                        if (++c->nodes > POLICY_MAX_NODES) {
                                r = yerr(c, line, col, "too many values (at most %d)", POLICY_MAX_NODES);
                                break;
                        }
                        struct ynode *n = arena_alloc(c->a, sizeof *n);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        n->kind = e.type == YAML_SCALAR_EVENT           ? Y_SCALAR
                                  : e.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ
                                                                        : Y_MAP;
                        n->line = line;
                        n->col = col;
                        if (n->kind == Y_SCALAR) {
                                size_t vl = e.data.scalar.length;
                                if (vl > POLICY_MAX_VALUE) {
                                        r = yerr(c, line, col, "value longer than %d bytes",
                                                 POLICY_MAX_VALUE);
                                        break;
                                }
                                if (memchr(e.data.scalar.value, 0, vl)) {
                                        r = yerr(c, line, col, "NUL byte in a value");
                                        break;
                                }
                                n->value = arena_strndup(c->a, (const char *) e.data.scalar.value, vl);
                                n->plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                                if (!n->value) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                        if (depth > 0) {
                                struct ynode *parent = stack[depth - 1];
                                if (parent->last)
                                        parent->last->next = n;
                                else
                                        parent->first = n;
                                parent->last = n;
                                parent->n++;
                        } else
                                root = n;
                        if (n->kind != Y_SCALAR) {
                                if (depth >= POLICY_MAX_DEPTH) {
                                        r = yerr(c, line, col, "nested deeper than %d levels",
                                                 POLICY_MAX_DEPTH);
                                        break;
                                }
                                stack[depth++] = n;
                        }
                        break;
                }
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        if (depth > 0)
                                depth--;
                        break;
                default: break;
                }
                yaml_event_delete(&e);
        }
        yaml_parser_delete(&p);
        if (r < 0)
                return r;
        *ret = root;
        return 0;
}

static const char *kind_text(enum ykind k) {
        return k == Y_SCALAR ? "a value" : k == Y_SEQ ? "a list" : "a mapping";
}

static int want(struct yctx *c, const struct ynode *n, enum ykind k, const char *what) {
        if (n->kind != k)
                return NERR(c, n, "%s must be %s, not %s", what, kind_text(k), kind_text(n->kind));
        return 0;
}

/* Checks a mapping's keys against allowed (NULL-terminated): unknown or duplicate keys are errors. */
static int check_keys(struct yctx *c, const struct ynode *map, const char *what,
                      const char *const *allowed) {
        for (const struct ynode *k = map->first; k; k = k->next ? k->next->next : NULL) {
                if (k->kind != Y_SCALAR)
                        return NERR(c, k, "%s: keys must be plain names", what);
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = streq(*a, k->value);
                if (!ok)
                        return NERR(c, k, "%s: unknown key '%s'", what, k->value);
                for (const struct ynode *j = map->first; j != k; j = j->next->next)
                        if (j->kind == Y_SCALAR && streq(j->value, k->value))
                                return NERR(c, k, "%s: duplicate key '%s'", what, k->value);
                if (!k->next)
                        break;
        }
        return 0;
}

static const struct ynode *get(const struct ynode *map, const char *key) {
        for (const struct ynode *k = map->first; k && k->next; k = k->next->next)
                if (k->kind == Y_SCALAR && streq(k->value, key))
                        return k->next;
        return NULL;
}

static int get_str(struct yctx *c, const struct ynode *map, const char *key, const char *what, bool required,
                   const char **ret) {
        const struct ynode *v = get(map, key);
        *ret = NULL;
        if (!v) {
                if (required)
                        return NERR(c, map, "%s: '%s' is required", what, key);
                return 0;
        }
        if (v->kind != Y_SCALAR)
                return NERR(c, v, "%s: '%s' must be a value, not %s", what, key, kind_text(v->kind));
        for (const unsigned char *p = (const unsigned char *) v->value; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == KEY_SEP)
                        return NERR(c, v, "%s: '%s' contains a control character", what, key);
        *ret = v->value;
        return 0;
}

static int get_uint(struct yctx *c, const struct ynode *map, const char *key, const char *what, uint64_t min,
                    uint64_t max, uint64_t def, uint64_t *ret) {
        const struct ynode *v = get(map, key);
        *ret = def;
        if (!v)
                return 0;
        if (v->kind != Y_SCALAR || !v->value[0] || strspn(v->value, "0123456789") != strlen(v->value) ||
            strlen(v->value) > 19)
                return NERR(c, v, "%s: '%s' must be a whole number from %" PRIu64 " to %" PRIu64, what, key,
                            min, max);
        uint64_t x = strtoull(v->value, NULL, 10);
        if (x < min || x > max)
                return NERR(c, v, "%s: '%s' must be a whole number from %" PRIu64 " to %" PRIu64, what, key,
                            min, max);
        *ret = x;
        return 0;
}

static int check_path(struct yctx *c, const struct ynode *map, const char *key, const char *s,
                      bool allow_empty, const char *what) {
        if (allow_empty && !s[0])
                return 0;
        if (s[0] != '/' || strlen(s) >= PATH_MAX)
                return NERR(c, get(map, key), "%s: '%s' must be an absolute path", what, key);
        return 0;
}

static int check_proto(struct yctx *c, const struct ynode *map, const char *s, const char *what) {
        if (streq(s, "tcp") || streq(s, "udp"))
                return 0;
        if (strneq(s, "proto", 5) && s[5] && strlen(s) <= 8 &&
            strspn(s + 5, "0123456789") == strlen(s + 5) && atoi(s + 5) < 256)
                return 0;
        return NERR(c, get(map, "protocol"), "%s: protocol must be tcp, udp or protoN", what);
}

/* "10.1.2.0/24" or "fd00:1:2:3::/64", host bits zero: the networks the model records. Normalized into out.
 */
static int check_cidr(struct yctx *c, const struct ynode *map, const char *s, char *out, size_t outlen,
                      const char *what) {
        char addr[INET6_ADDRSTRLEN + 1];
        uint8_t a[16];
        const char *slash = strchr(s, '/');
        if (!slash || (size_t) (slash - s) >= sizeof addr)
                goto bad;
        memcpy(addr, s, (size_t) (slash - s));
        addr[slash - s] = 0;
        if (streq(slash, "/24") && inet_pton(AF_INET, addr, a) == 1 && a[3] == 0) {
                inet_ntop(AF_INET, a, addr, sizeof addr);
                snprintf(out, outlen, "%s/24", addr);
                return 0;
        }
        if (streq(slash, "/64") && inet_pton(AF_INET6, addr, a) == 1) {
                for (int i = 8; i < 16; i++)
                        if (a[i])
                                goto bad;
                inet_ntop(AF_INET6, a, addr, sizeof addr);
                snprintf(out, outlen, "%s/64", addr);
                return 0;
        }
bad:
        return NERR(c, get(map, "peer"), "%s: peer must be an IPv4 /24 (a.b.c.0/24) or an IPv6 /64 network",
                    what);
}

static int each_item(struct yctx *c, const struct ynode *spec, const char *key, size_t max,
                     const struct ynode **ret) {
        const struct ynode *v = get(spec, key);
        *ret = NULL;
        if (!v)
                return 0;
        if (v->kind == Y_SCALAR && v->plain &&
            (!v->value[0] || streq(v->value, "null") || streq(v->value, "~")))
                return 0;
        int r = want(c, v, Y_SEQ, key);
        if (r < 0)
                return r;
        if (v->n > max)
                return NERR(c, v, "%s: more than %zu entries", key, max);
        *ret = v;
        return 0;
}

static int put(struct yctx *c, struct model *m, enum mtable t, const struct ynode *item, const char *key,
               uint64_t count, uint32_t extra, uint64_t now, const char *what) {
        struct mentry *e = hashmap_get(m->t[t], key);
        if (e)
                return NERR(c, item, "%s: duplicate entry", what);
        int r = model_put_(m, t, key, count, now, now, extra, true, NULL);
        return r < 0 ? r : 0;
}

static int parse_spec(struct yctx *c, const struct ynode *spec, struct model *m, uint64_t now) {
        static const char *const spec_keys[] = {"mode",  "processes", "edges", "sequences",
                                                "files", "network",   NULL};
        static const char *const proc_keys[] = {"exe", "parent", "uid", "count", NULL};
        static const char *const edge_keys[] = {"parent", "exe", "count", NULL};
        static const char *const seq_keys[] = {"exes", "count", NULL};
        static const char *const file_keys[] = {"path", "access", "count", NULL};
        static const char *const net_keys[] = {"listen", "outbound", "inbound", NULL};
        static const char *const port_keys[] = {"protocol", "port", "count", NULL};
        static const char *const peer_keys[] = {"protocol", "peer", "port", "count", NULL};
        const struct ynode *list, *v;
        char key[PATH_MAX * 3 + 32];
        const char *s;
        uint64_t count, x;
        int r;

        if ((r = want(c, spec, Y_MAP, "spec")) < 0 || (r = check_keys(c, spec, "spec", spec_keys)) < 0)
                return r;
        if ((r = get_str(c, spec, "mode", "spec", false, &s)) < 0)
                return r;
        m->mode = MODEL_MONITOR;
        if (s && model_mode_from_string(s, &m->mode) < 0)
                return NERR(c, get(spec, "mode"), "spec: mode must be learn, monitor or protect, not '%s'",
                            s);

        if ((r = each_item(c, spec, "processes", MODEL_MAX_PROCESSES, &list)) < 0)
                return r;
        for (v = list ? list->first : NULL; v; v = v->next) {
                const char *exe, *parent;
                if ((r = want(c, v, Y_MAP, "a process")) < 0 ||
                    (r = check_keys(c, v, "process", proc_keys)) < 0 ||
                    (r = get_str(c, v, "exe", "process", true, &exe)) < 0 ||
                    (r = check_path(c, v, "exe", exe, false, "process")) < 0 ||
                    (r = get_str(c, v, "parent", "process", false, &parent)) < 0 ||
                    (r = check_path(c, v, "parent", parent ? parent : "", true, "process")) < 0 ||
                    (r = get_uint(c, v, "uid", "process", 0, UINT32_MAX, 0, &x)) < 0 ||
                    (r = get_uint(c, v, "count", "process", 1, 1ULL << 53, 1, &count)) < 0)
                        return r;
                snprintf(key, sizeof key, "%s%c%s%c%" PRIu64, exe, KEY_SEP, parent ? parent : "", KEY_SEP,
                         x);
                if ((r = put(c, m, T_PROC, v, key, count, 0, now, "process")) < 0)
                        return r;
        }
        if ((r = each_item(c, spec, "edges", MODEL_MAX_EDGES, &list)) < 0)
                return r;
        for (v = list ? list->first : NULL; v; v = v->next) {
                const char *exe, *parent;
                if ((r = want(c, v, Y_MAP, "an edge")) < 0 ||
                    (r = check_keys(c, v, "edge", edge_keys)) < 0 ||
                    (r = get_str(c, v, "exe", "edge", true, &exe)) < 0 ||
                    (r = check_path(c, v, "exe", exe, false, "edge")) < 0 ||
                    (r = get_str(c, v, "parent", "edge", true, &parent)) < 0 ||
                    (r = check_path(c, v, "parent", parent, true, "edge")) < 0 ||
                    (r = get_uint(c, v, "count", "edge", 1, 1ULL << 53, 1, &count)) < 0)
                        return r;
                snprintf(key, sizeof key, "%s%c%s", parent, KEY_SEP, exe);
                if ((r = put(c, m, T_EDGE, v, key, count, 0, now, "edge")) < 0)
                        return r;
        }
        if ((r = each_item(c, spec, "sequences", MODEL_MAX_SEQUENCES, &list)) < 0)
                return r;
        for (v = list ? list->first : NULL; v; v = v->next) {
                if ((r = want(c, v, Y_MAP, "a sequence")) < 0 ||
                    (r = check_keys(c, v, "sequence", seq_keys)) < 0 ||
                    (r = get_uint(c, v, "count", "sequence", 1, 1ULL << 53, 1, &count)) < 0)
                        return r;
                const struct ynode *exes = get(v, "exes");
                if (!exes)
                        return NERR(c, v, "sequence: 'exes' is required");
                if ((r = want(c, exes, Y_SEQ, "sequence: exes")) < 0)
                        return r;
                if (exes->n != 3)
                        return NERR(c, exes,
                                    "sequence: exes must list 3 executables (grandparent, parent, exe)");
                size_t k = 0, j = 0;
                for (const struct ynode *e = exes->first; e; e = e->next, j++) {
                        if ((r = want(c, e, Y_SCALAR, "sequence: an executable")) < 0)
                                return r;
                        bool ctl = false;
                        for (const unsigned char *q = (const unsigned char *) e->value; *q; q++)
                                ctl = ctl || *q < 0x20 || *q == 0x7f;
                        if ((e->value[0] && e->value[0] != '/') || ctl || strlen(e->value) >= PATH_MAX)
                                return NERR(c, e, "sequence: an executable must be an absolute path");
                        k += (size_t) snprintf(key + k, sizeof key - k, "%s%s", j ? "\x1f" : "", e->value);
                }
                if ((r = put(c, m, T_SEQ, v, key, count, 0, now, "sequence")) < 0)
                        return r;
        }
        if ((r = each_item(c, spec, "files", MODEL_MAX_FILES, &list)) < 0)
                return r;
        for (v = list ? list->first : NULL; v; v = v->next) {
                const char *path;
                uint32_t acc = 0;
                if ((r = want(c, v, Y_MAP, "a file")) < 0 || (r = check_keys(c, v, "file", file_keys)) < 0 ||
                    (r = get_str(c, v, "path", "file", true, &path)) < 0 ||
                    (r = check_path(c, v, "path", path, false, "file")) < 0 ||
                    (r = get_uint(c, v, "count", "file", 1, 1ULL << 53, 1, &count)) < 0)
                        return r;
                const struct ynode *al = get(v, "access");
                if (!al)
                        return NERR(c, v, "file: 'access' is required");
                if ((r = want(c, al, Y_SEQ, "file: access")) < 0)
                        return r;
                for (const struct ynode *a = al->first; a; a = a->next) {
                        int bit = -1;
                        for (int i = 0; i < 6 && a->kind == Y_SCALAR; i++)
                                if (streq(a->value, macc_names[i]))
                                        bit = i;
                        if (bit < 0)
                                return NERR(
                                        c, a,
                                        "file: access must be read, write, create, unlink, rename or chmod");
                        acc |= 1u << bit;
                }
                if (!acc)
                        return NERR(c, al, "file: access lists nothing");
                if ((r = put(c, m, T_FILE, v, path, count, acc, now, "file")) < 0)
                        return r;
        }
        const struct ynode *net = get(spec, "network");
        if (net) {
                if ((r = want(c, net, Y_MAP, "spec: network")) < 0 ||
                    (r = check_keys(c, net, "network", net_keys)) < 0)
                        return r;
                static const char *const which[] = {"listen", "outbound", "inbound"};
                static const enum mtable tabs[] = {T_LISTEN, T_OUT, T_IN};
                for (int w = 0; w < 3; w++) {
                        if ((r = each_item(c, net, which[w], MODEL_MAX_NETWORK, &list)) < 0)
                                return r;
                        for (v = list ? list->first : NULL; v; v = v->next) {
                                const char *proto, *peer = NULL;
                                char cidr[80];
                                if ((r = want(c, v, Y_MAP, which[w])) < 0 ||
                                    (r = check_keys(c, v, which[w], w ? peer_keys : port_keys)) < 0 ||
                                    (r = get_str(c, v, "protocol", which[w], true, &proto)) < 0 ||
                                    (r = check_proto(c, v, proto, which[w])) < 0 ||
                                    (r = get_uint(c, v, "port", which[w], w == 0 ? 1 : 0, 65535, 0, &x)) <
                                            0 ||
                                    (r = get_uint(c, v, "count", which[w], 1, 1ULL << 53, 1, &count)) < 0)
                                        return r;
                                if (!get(v, "port"))
                                        return NERR(c, v, "%s: 'port' is required", which[w]);
                                if (w) {
                                        if ((r = get_str(c, v, "peer", which[w], true, &peer)) < 0 ||
                                            (r = check_cidr(c, v, peer, cidr, sizeof cidr, which[w])) < 0)
                                                return r;
                                        snprintf(key, sizeof key, "%s %s %" PRIu64, proto, cidr, x);
                                } else
                                        snprintf(key, sizeof key, "%s %" PRIu64, proto, x);
                                if ((r = put(c, m, tabs[w], v, key, count, 0, now, which[w])) < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int policy_yaml_parse(const char *data, size_t len, const char *name, struct diag *d, struct model **ret) {
        static const char *const top_keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
        static const char *const meta_keys[] = {"image", "name", NULL};
        _cleanup_(arena_freep) struct arena *a = arena_new(64 * MiB);
        struct yctx c = {.a = a, .d = d, .name = name ? name : "<policy>"};
        struct ynode *root = NULL;
        const char *s, *image, *iname;
        int r;

        if (!a)
                return -ENOMEM;
        if (len > POLICY_MAX_BYTES)
                return diag_error(d, -EFBIG, "%s: larger than %d bytes", c.name, POLICY_MAX_BYTES);
        if ((r = build_tree(&c, data, len, &root)) < 0)
                return r;
        if (!root)
                return yerr(&c, 1, 1, "empty document: expected an ImageProfile");
        if ((r = want(&c, root, Y_MAP, "the document")) < 0 ||
            (r = check_keys(&c, root, "the document", top_keys)) < 0)
                return r;
        if ((r = get_str(&c, root, "apiVersion", "the document", true, &s)) < 0)
                return r;
        if (!streq(s, "stockade/v1"))
                return NERR(&c, get(root, "apiVersion"), "apiVersion must be stockade/v1, not '%s'", s);
        if ((r = get_str(&c, root, "kind", "the document", true, &s)) < 0)
                return r;
        if (!streq(s, "ImageProfile"))
                return NERR(&c, get(root, "kind"), "kind must be ImageProfile, not '%s'", s);
        const struct ynode *meta = get(root, "metadata"), *spec = get(root, "spec");
        if (!meta)
                return NERR(&c, root, "'metadata' is required");
        if (!spec)
                return NERR(&c, root, "'spec' is required");
        if ((r = want(&c, meta, Y_MAP, "metadata")) < 0 ||
            (r = check_keys(&c, meta, "metadata", meta_keys)) < 0 ||
            (r = get_str(&c, meta, "image", "metadata", true, &image)) < 0 ||
            (r = get_str(&c, meta, "name", "metadata", false, &iname)) < 0)
                return r;
        if (!image[0] || strlen(image) >= 256 || strchr(image, ' '))
                return NERR(
                        &c, get(meta, "image"),
                        "metadata: image must be the image's digest or id (sha256:…), at most 255 bytes");
        if (iname && strlen(iname) >= 256)
                return NERR(&c, get(meta, "name"), "metadata: name longer than 255 bytes");
        const struct ynode *status = get(root, "status");
        if (status && (r = want(&c, status, Y_MAP, "status")) < 0)
                return r; /* informational: what export wrote, not applied */

        uint64_t now = now_ms();
        _cleanup_(model_free_p) struct model *m = model_new_(image, iname, now);
        if (!m)
                return -ENOMEM;
        if ((r = parse_spec(&c, spec, m, now)) < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* ---- writing ---- */

struct yemit {
        yaml_emitter_t e;
        struct buf *out;
        int err;
};

static int write_handler(void *data, unsigned char *buffer, size_t size) {
        struct yemit *y = data;
        if (buf_append(y->out, buffer, size) < 0) {
                y->err = -ENOMEM;
                return 0;
        }
        return 1;
}

static bool ev(struct yemit *y, yaml_event_t *e) {
        return yaml_emitter_emit(&y->e, e) != 0;
}

static bool y_str(struct yemit *y, const char *s) {
        yaml_event_t e;
        yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *) s, (int) strlen(s), 1, 1,
                                     YAML_ANY_SCALAR_STYLE);
        return ev(y, &e);
}

static bool y_quoted(struct yemit *y, const char *s) {
        yaml_event_t e;
        yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *) s, (int) strlen(s), 1, 1,
                                     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        return ev(y, &e);
}

static bool y_u64(struct yemit *y, uint64_t v) {
        char b[24];
        snprintf(b, sizeof b, "%" PRIu64, v);
        return y_str(y, b);
}

static bool y_map(struct yemit *y, bool flow) {
        yaml_event_t e;
        yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
                                            flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
        return ev(y, &e);
}

static bool y_seq(struct yemit *y, bool flow) {
        yaml_event_t e;
        yaml_sequence_start_event_initialize(&e, NULL, NULL, 1,
                                             flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
        return ev(y, &e);
}

static bool y_end_map(struct yemit *y) {
        yaml_event_t e;
        yaml_mapping_end_event_initialize(&e);
        return ev(y, &e);
}

static bool y_end_seq(struct yemit *y) {
        yaml_event_t e;
        yaml_sequence_end_event_initialize(&e);
        return ev(y, &e);
}

static void rfc3339(uint64_t ms, char *out, size_t outlen) {
        if (!ms) {
                snprintf(out, outlen, "never");
                return;
        }
        time_t t = (time_t) (ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Splits a key at KEY_SEP into at most n fields (copies into f, each PATH_MAX). */
static size_t split_key(const char *key, char f[][PATH_MAX], size_t n) {
        size_t k = 0;
        const char *p = key;
        while (k < n) {
                const char *sep = strchr(p, KEY_SEP);
                size_t l = sep ? (size_t) (sep - p) : strlen(p);
                if (l >= PATH_MAX)
                        l = PATH_MAX - 1;
                memcpy(f[k], p, l);
                f[k++][l] = 0;
                if (!sep)
                        break;
                p = sep + 1;
        }
        return k;
}

static bool emit_table(struct yemit *y, const struct model *m, enum mtable t, const char *name) {
        size_t n;
        _cleanup_free_ struct mentry **v = model_sorted_(m, t, &n);
        char f[3][PATH_MAX];
        if (!v)
                return false;
        if (!y_str(y, name) || !y_seq(y, false))
                return false;
        for (size_t i = 0; i < n; i++) {
                struct mentry *e = v[i];
                bool ok = y_map(y, false);
                switch (t) {
                case T_PROC:
                        split_key(e->key, f, 3);
                        ok = ok && y_str(y, "exe") && y_str(y, f[0]) && y_str(y, "parent") &&
                             y_quoted(y, f[1]) && y_str(y, "uid") && y_str(y, f[2]);
                        break;
                case T_EDGE:
                        split_key(e->key, f, 2);
                        ok = ok && y_str(y, "parent") && y_quoted(y, f[0]) && y_str(y, "exe") &&
                             y_str(y, f[1]);
                        break;
                case T_SEQ: {
                        size_t k = split_key(e->key, f, 3);
                        ok = ok && y_str(y, "exes") && y_seq(y, true);
                        for (size_t j = 0; j < k; j++)
                                ok = ok && y_quoted(y, f[j]);
                        ok = ok && y_end_seq(y);
                        break;
                }
                case T_FILE:
                        ok = ok && y_str(y, "path") && y_str(y, e->key) && y_str(y, "access") &&
                             y_seq(y, true);
                        for (int b = 0; b < 6; b++)
                                if (e->extra & (1u << b))
                                        ok = ok && y_str(y, macc_names[b]);
                        ok = ok && y_end_seq(y);
                        break;
                default: {
                        char proto[32], peer[80];
                        unsigned port = 0;
                        if (t == T_LISTEN) {
                                if (sscanf(e->key, "%31s %u", proto, &port) != 2)
                                        continue;
                                ok = ok && y_str(y, "protocol") && y_str(y, proto) && y_str(y, "port") &&
                                     y_u64(y, port);
                        } else {
                                if (sscanf(e->key, "%31s %79s %u", proto, peer, &port) != 3)
                                        continue;
                                ok = ok && y_str(y, "protocol") && y_str(y, proto) && y_str(y, "peer") &&
                                     y_str(y, peer) && y_str(y, "port") && y_u64(y, port);
                        }
                        break;
                }
                }
                ok = ok && y_str(y, "count") && y_u64(y, e->count) && y_end_map(y);
                if (!ok)
                        return false;
        }
        return y_end_seq(y);
}

int policy_yaml_emit(const struct model *m, struct buf *out) {
        struct yemit y = {.out = out};
        yaml_event_t e;
        char t1[32], t2[32], t3[32], t4[32];
        bool ok;

        if (!yaml_emitter_initialize(&y.e))
                return -ENOMEM;
        yaml_emitter_set_output(&y.e, write_handler, &y);
        yaml_emitter_set_unicode(&y.e, 1);
        yaml_emitter_set_width(&y.e, -1);
        yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
        ok = ev(&y, &e);
        yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
        ok = ok && ev(&y, &e) && y_map(&y, false);
        ok = ok && y_str(&y, "apiVersion") && y_str(&y, "stockade/v1") && y_str(&y, "kind") &&
             y_str(&y, "ImageProfile");
        ok = ok && y_str(&y, "metadata") && y_map(&y, false) && y_str(&y, "image") && y_str(&y, m->key);
        if (m->name[0])
                ok = ok && y_str(&y, "name") && y_str(&y, m->name);
        ok = ok && y_end_map(&y);
        ok = ok && y_str(&y, "spec") && y_map(&y, false) && y_str(&y, "mode") &&
             y_str(&y, model_mode_name(m->mode));
        ok = ok && emit_table(&y, m, T_PROC, "processes") && emit_table(&y, m, T_EDGE, "edges") &&
             emit_table(&y, m, T_SEQ, "sequences") && emit_table(&y, m, T_FILE, "files");
        ok = ok && y_str(&y, "network") && y_map(&y, false) && emit_table(&y, m, T_LISTEN, "listen") &&
             emit_table(&y, m, T_OUT, "outbound") && emit_table(&y, m, T_IN, "inbound") && y_end_map(&y);
        ok = ok && y_end_map(&y);
        rfc3339(m->learn_start, t1, sizeof t1);
        rfc3339(m->last_growth, t2, sizeof t2);
        rfc3339(m->last_change, t3, sizeof t3);
        rfc3339(m->last_seen, t4, sizeof t4);
        ok = ok && y_str(&y, "status") && y_map(&y, false) && y_str(&y, "learningStarted") &&
             y_str(&y, t1) && y_str(&y, "lastGrowth") && y_str(&y, t2) && y_str(&y, "lastModeChange") &&
             y_str(&y, t3) && y_str(&y, "lastSeen") && y_str(&y, t4) && y_str(&y, "observations") &&
             y_u64(&y, m->observations) && y_str(&y, "overflow") && y_u64(&y, m->overflow) && y_end_map(&y);
        ok = ok && y_end_map(&y);
        yaml_document_end_event_initialize(&e, 1);
        ok = ok && ev(&y, &e);
        yaml_stream_end_event_initialize(&e);
        ok = ok && ev(&y, &e) && yaml_emitter_flush(&y.e);
        yaml_emitter_delete(&y.e);
        if (y.err)
                return y.err;
        return ok ? 0 : -EIO;
}

/* JSON: the same content, for `policy show --json` and the console. */
static int json_table(struct buf *out, const struct model *m, enum mtable t, const char *name) {
        size_t n;
        _cleanup_free_ struct mentry **v = model_sorted_(m, t, &n);
        char f[3][PATH_MAX];
        int r = v ? buf_printf(out, "\"%s\":[", name) : -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct mentry *e = v[i];
                r = buf_append_str(out, i ? ",{" : "{");
                if (t == T_PROC || t == T_EDGE || t == T_SEQ) {
                        size_t k = split_key(e->key, f, 3);
                        static const char *const pn[] = {"exe", "parent", "uid"}, *const en[] = {"parent",
                                                                                                 "exe"};
                        if (t == T_SEQ) {
                                r = r < 0 ? r : buf_append_str(out, "\"exes\":[");
                                for (size_t j = 0; r >= 0 && j < k; j++) {
                                        r = j ? buf_append_char(out, ',') : 0;
                                        r = r < 0 ? r : rt_json_string(out, f[j], strlen(f[j]));
                                }
                                r = r < 0 ? r : buf_append_str(out, "],");
                        } else
                                for (size_t j = 0; r >= 0 && j < k; j++) {
                                        const char *fn = t == T_PROC ? pn[j] : en[j];
                                        if (t == T_PROC && j == 2)
                                                r = buf_printf(out, "\"uid\":%s,", f[j]);
                                        else {
                                                r = buf_printf(out, "\"%s\":", fn);
                                                r = r < 0 ? r : rt_json_string(out, f[j], strlen(f[j]));
                                                r = r < 0 ? r : buf_append_char(out, ',');
                                        }
                                }
                } else if (t == T_FILE) {
                        r = r < 0 ? r : buf_append_str(out, "\"path\":");
                        r = r < 0 ? r : rt_json_string(out, e->key, strlen(e->key));
                        r = r < 0 ? r : buf_append_str(out, ",\"access\":[");
                        bool first = true;
                        for (int b = 0; r >= 0 && b < 6; b++)
                                if (e->extra & (1u << b)) {
                                        r = buf_printf(out, "%s\"%s\"", first ? "" : ",", macc_names[b]);
                                        first = false;
                                }
                        r = r < 0 ? r : buf_append_str(out, "],");
                } else {
                        char proto[32], peer[80];
                        unsigned port = 0;
                        if (t == T_LISTEN && sscanf(e->key, "%31s %u", proto, &port) == 2)
                                r = r < 0 ? r
                                          : buf_printf(out, "\"protocol\":\"%s\",\"port\":%u,", proto, port);
                        else if (t != T_LISTEN && sscanf(e->key, "%31s %79s %u", proto, peer, &port) == 3)
                                r = r < 0 ? r
                                          : buf_printf(out,
                                                       "\"protocol\":\"%s\",\"peer\":\"%s\",\"port\":%u,",
                                                       proto, peer, port);
                }
                r = r < 0 ? r
                          : buf_printf(out,
                                       "\"count\":%" PRIu64 ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 "}",
                                       e->count, e->first, e->last);
        }
        return r < 0 ? r : buf_append_char(out, ']');
}

int policy_json_emit(const struct model *m, struct buf *out) {
        int r = buf_append_str(out, "{\"image\":");
        r = r < 0 ? r : rt_json_string(out, m->key, strlen(m->key));
        r = r < 0 ? r : buf_append_str(out, ",\"name\":");
        r = r < 0 ? r : rt_json_string(out, m->name, strlen(m->name));
        r = r < 0 ? r
                  : buf_printf(out,
                               ",\"mode\":\"%s\",\"learn_start\":%" PRIu64 ",\"last_growth\":%" PRIu64
                               ",\"last_change\":%" PRIu64 ",\"last_seen\":%" PRIu64
                               ",\"observations\":%" PRIu64 ",\"overflow\":%" PRIu64 ",",
                               model_mode_name(m->mode), m->learn_start, m->last_growth, m->last_change,
                               m->last_seen, m->observations, m->overflow);
        r = r < 0 ? r : json_table(out, m, T_PROC, "processes");
        r = r < 0 ? r : buf_append_char(out, ',');
        r = r < 0 ? r : json_table(out, m, T_EDGE, "edges");
        r = r < 0 ? r : buf_append_char(out, ',');
        r = r < 0 ? r : json_table(out, m, T_SEQ, "sequences");
        r = r < 0 ? r : buf_append_char(out, ',');
        r = r < 0 ? r : json_table(out, m, T_FILE, "files");
        r = r < 0 ? r : buf_append_str(out, ",\"network\":{");
        r = r < 0 ? r : json_table(out, m, T_LISTEN, "listen");
        r = r < 0 ? r : buf_append_char(out, ',');
        r = r < 0 ? r : json_table(out, m, T_OUT, "outbound");
        r = r < 0 ? r : buf_append_char(out, ',');
        r = r < 0 ? r : json_table(out, m, T_IN, "inbound");
        return r < 0 ? r : buf_append_str(out, "}}");
}
