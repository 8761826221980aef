/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime rules parser. The document is first read into a small tree of nodes (each with its
 * line and column) with hard limits on depth, node count and scalar length, then walked. The tree makes
 * the nested shapes of a rule (mitre: {…}, action: {…}, lists) simple to check, and the limits keep a
 * hostile file from costing more than a few megabytes. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "runtime/events.h"
#include "runtime/rules.h"
#include "vec.h"

extern const unsigned char runtime_default_rules[];
extern const size_t runtime_default_rules_len;

#define NODES_MAX 65536
#define DEPTH_MAX 16

enum node_kind { N_SCALAR, N_SEQ, N_MAP };

struct node {
        enum node_kind kind;
        unsigned line, col;
        char *value;         /* scalar */
        bool plain;          /* an unquoted scalar */
        struct node **items; /* seq: items; map: key, value, key, value… */
        size_t n, alloc;
};

struct parser {
        yaml_parser_t yp;
        const char *name;
        struct diag *d;
        size_t nodes;
};

static void node_free(struct node *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++)
                node_free(n->items[i]);
        free(n->items);
        free(n->value);
        free(n);
}

static int err_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);
static int err_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...) {
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return diag_error(p->d, -EINVAL, "%s:%u:%u: %s", p->name, line, col, msg);
}
#define err_node(p, nd, ...) err_at((p), (nd)->line, (nd)->col, __VA_ARGS__)

static int next_event(struct parser *p, yaml_event_t *ev) {
        if (!yaml_parser_parse(&p->yp, ev)) {
                if (p->yp.error == YAML_MEMORY_ERROR)
                        return -ENOMEM;
                return err_at(p, (unsigned) p->yp.problem_mark.line + 1,
                              (unsigned) p->yp.problem_mark.column + 1, "invalid YAML: %s%s%s",
                              p->yp.problem ? p->yp.problem : "malformed document", p->yp.context ? " " : "",
                              p->yp.context ? p->yp.context : "");
        }
        if (ev->type == YAML_ALIAS_EVENT) {
                int r = err_at(p, (unsigned) ev->start_mark.line + 1, (unsigned) ev->start_mark.column + 1,
                               "YAML aliases are not supported in rules files");
                yaml_event_delete(ev);
                return r;
        }
        return 0;
}

/* Builds the node the event ev starts (ev is consumed). */
static int build(struct parser *p, yaml_event_t *ev, unsigned depth, struct node **ret) {
        unsigned line = (unsigned) ev->start_mark.line + 1, col = (unsigned) ev->start_mark.column + 1;
        int r;

        if (depth > DEPTH_MAX) {
                yaml_event_delete(ev);
                return err_at(p, line, col, "nested deeper than %d levels", DEPTH_MAX);
        }
        if (++p->nodes > NODES_MAX) {
                yaml_event_delete(ev);
                return err_at(p, line, col, "more than %d YAML nodes", NODES_MAX);
        }
        struct node *n = calloc(1, sizeof *n);
        if (!n) {
                yaml_event_delete(ev);
                return -ENOMEM;
        }
        n->line = line;
        n->col = col;
        if (ev->type == YAML_SCALAR_EVENT) {
                size_t len = ev->data.scalar.length;
                const char *v = (const char *) ev->data.scalar.value;
                n->kind = N_SCALAR;
                n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                int e = 0;
                if (memchr(v, 0, len))
                        e = err_at(p, line, col, "a string contains a NUL byte");
                else if (len > RT_RULE_TEXT_MAX)
                        e = err_at(p, line, col, "a string is longer than %d bytes", RT_RULE_TEXT_MAX);
                else if (!(n->value = strndup(v, len)))
                        e = -ENOMEM;
                yaml_event_delete(ev);
                if (e < 0) {
                        node_free(n);
                        return e;
                }
                *ret = n;
                return 0;
        }
        if (ev->type != YAML_SEQUENCE_START_EVENT && ev->type != YAML_MAPPING_START_EVENT) {
                yaml_event_delete(ev);
                node_free(n);
                return err_at(p, line, col, "unexpected YAML event");
        }
        n->kind = ev->type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP;
        yaml_event_type_t end = n->kind == N_SEQ ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
        yaml_event_delete(ev);
        for (;;) {
                yaml_event_t e;
                r = next_event(p, &e);
                if (r < 0) {
                        node_free(n);
                        return r;
                }
                if (e.type == end) {
                        yaml_event_delete(&e);
                        break;
                }
                struct node *child;
                r = build(p, &e, depth + 1, &child);
                if (r < 0) {
                        node_free(n);
                        return r;
                }
                if (n->kind == N_MAP && n->n % 2 == 0 && child->kind != N_SCALAR) {
                        r = err_node(p, child, "mapping keys must be strings");
                        node_free(child);
                        node_free(n);
                        return r;
                }
                if (n->n >= n->alloc &&
                    vec_grow_((void **) &n->items, &n->alloc, n->n + 1, sizeof *n->items) < 0) {
                        node_free(child);
                        node_free(n);
                        return -ENOMEM;
                }
                n->items[n->n++] = child;
        }
        *ret = n;
        return 0;
}

static int parse_tree(struct parser *p, const void *data, size_t len, struct node **ret) {
        yaml_event_t ev;
        struct node *root = NULL;
        int r;

        if (!yaml_parser_initialize(&p->yp))
                return -ENOMEM;
        yaml_parser_set_input_string(&p->yp, data, len);
        for (;;) {
                r = next_event(p, &ev);
                if (r < 0)
                        goto out;
                if (ev.type == YAML_STREAM_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
                        yaml_event_delete(&ev);
                        continue;
                }
                if (ev.type == YAML_DOCUMENT_START_EVENT) {
                        if (root) {
                                r = err_at(p, (unsigned) ev.start_mark.line + 1,
                                           (unsigned) ev.start_mark.column + 1,
                                           "more than one YAML document");
                                yaml_event_delete(&ev);
                                goto out;
                        }
                        yaml_event_delete(&ev);
                        r = next_event(p, &ev);
                        if (r < 0)
                                goto out;
                        r = build(p, &ev, 0, &root);
                        if (r < 0)
                                goto out;
                        continue;
                }
                yaml_event_delete(&ev);
        }
        if (!root) {
                r = err_at(p, 1, 1, "empty rules file");
                goto out;
        }
        *ret = TAKE_PTR(root);
        r = 0;
out:
        node_free(root);
        yaml_parser_delete(&p->yp);
        return r;
}

/* ---- names ---- */

static const char *const severity_names[_RT_SEV_MAX] = {"low", "medium", "high", "critical"};
static const char *const action_names[_RT_ACTION_MAX] = {"alert", "kill", "deny", "quarantine"};
static const char *const mode_names[_RT_MODE_MAX] = {"learn", "monitor", "protect"};
static const char *const detector_names[_RT_DET_MAX] = {
        [RT_DET_EXEC_NAME] = "exec-name",
        [RT_DET_SHELL_FROM_SERVER] = "shell-from-server",
        [RT_DET_REVERSE_SHELL] = "reverse-shell",
        [RT_DET_EXEC_PATH] = "exec-path",
        [RT_DET_DRIFT] = "drift",
        [RT_DET_FILE_OPEN] = "file-open",
        [RT_DET_CONNECT] = "connect",
        [RT_DET_EVENT] = "event",
};

const char *rt_severity_name(enum rt_severity s) {
        return (unsigned) s < _RT_SEV_MAX ? severity_names[s] : NULL;
}
const char *rt_action_name(enum rt_action a) {
        return (unsigned) a < _RT_ACTION_MAX ? action_names[a] : NULL;
}
const char *rt_mode_name(enum rt_mode m) {
        return (unsigned) m < _RT_MODE_MAX ? mode_names[m] : NULL;
}
const char *rt_detector_name(enum rt_detector d) {
        return (unsigned) d < _RT_DET_MAX ? detector_names[d] : NULL;
}

static int lookup(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (names[i] && streq(names[i], s))
                        return (int) i;
        return -1;
}

int rt_mode_from_name(const char *s, enum rt_mode *ret) {
        int i = lookup(mode_names, _RT_MODE_MAX, s);
        if (i < 0)
                return -EINVAL;
        *ret = (enum rt_mode) i;
        return 0;
}

/* ---- the walk ---- */

static struct node *map_get(const struct node *m, const char *key) {
        for (size_t i = 0; i + 1 < m->n; i += 2)
                if (streq(m->items[i]->value, key))
                        return m->items[i + 1];
        return NULL;
}

static int want_scalar(struct parser *p, const struct node *n, const char *label, const char *key,
                       size_t max, const char **ret) {
        if (n->kind != N_SCALAR)
                return err_node(p, n, "%s: '%s' must be a string", label, key);
        if (strlen(n->value) > max)
                return err_node(p, n, "%s: '%s' is longer than %zu bytes", label, key, max);
        for (const char *s = n->value; *s; s++)
                if ((unsigned char) *s < 0x20 && *s != '\n' && *s != '\t')
                        return err_node(p, n, "%s: '%s' contains a control character", label, key);
        *ret = n->value;
        return 0;
}

static int dup_to(const char *s, char **ret) {
        char *c = strdup(s);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

static bool id_valid(const char *s) {
        if (!*s || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
                      *s == '.'))
                        return false;
        return true;
}

/* A list of scalars (a single scalar counts as a list of one). */
static int want_list(struct parser *p, const struct node *n, const char *label, const char *key,
                     struct node *const **ret_items, size_t *ret_n) {
        if (n->kind == N_SCALAR) {
                *ret_n = 1;
                return 1; /* a single scalar: the caller uses n itself */
        }
        if (n->kind != N_SEQ)
                return err_node(p, n, "%s: '%s' must be a list", label, key);
        if (n->n > RT_RULE_ITEMS_MAX)
                return err_node(p, n, "%s: '%s' has more than %d items", label, key, RT_RULE_ITEMS_MAX);
        for (size_t i = 0; i < n->n; i++)
                if (n->items[i]->kind != N_SCALAR)
                        return err_node(p, n->items[i], "%s: '%s' items must be strings", label, key);
        *ret_items = n->items;
        *ret_n = n->n;
        return 0;
}

static int parse_strings(struct parser *p, const struct node *n, const char *label, const char *key,
                         char ***ret, size_t *ret_n) {
        struct node *const *items;
        const struct node *one = n;
        size_t cnt;
        int r = want_list(p, n, label, key, &items, &cnt);
        if (r < 0)
                return r;
        if (r == 1)
                items = (struct node *const *) &one;
        char **v = calloc(cnt ? cnt : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        *ret = v; /* owned by the rule from here: freed with it */
        for (size_t i = 0; i < cnt; i++) {
                const char *s;
                r = want_scalar(p, items[i], label, key, RT_RULE_STRING_MAX, &s);
                if (r < 0)
                        return r;
                if (!*s)
                        return err_node(p, items[i], "%s: '%s' has an empty item", label, key);
                r = dup_to(s, &v[i]);
                if (r < 0)
                        return r;
                (*ret_n)++;
        }
        return 0;
}

static int parse_port(const char *s, uint16_t *ret) {
        char *end;
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

static void rule_free_fields(struct rt_rule *r) {
        free(r->id);
        free(r->title);
        free(r->description);
        free(r->technique);
        free(r->tactic);
        for (size_t i = 0; i < r->n_names; i++) {
                free(r->names[i].name);
                free(r->names[i].arg);
        }
        free(r->names);
        for (size_t i = 0; i < r->n_paths; i++)
                free(r->paths[i]);
        free(r->paths);
        for (size_t i = 0; i < r->n_except; i++)
                free(r->except[i]);
        free(r->except);
        free(r->ports);
        free(r->addresses);
}

static const char *const rule_keys[] = {"id",       "title",  "severity", "mitre",    "description",
                                        "detector", "action", "names",    "paths",    "except",
                                        "access",   "events", "ports",    "addresses"};

static int parse_rule(struct parser *p, const struct node *n, size_t index, struct rt_rule *rule) {
        char label[96];
        const char *s;
        const struct node *v;
        int r;

        snprintf(label, sizeof label, "rule #%zu", index + 1);
        rule->line = n->line;
        if (n->kind != N_MAP)
                return err_node(p, n, "%s: must be a mapping", label);
        for (size_t i = 0; i + 1 < n->n; i += 2) {
                const struct node *k = n->items[i];
                if (k->kind != N_SCALAR)
                        return err_node(p, k, "%s: keys must be strings", label);
                if (lookup(rule_keys, ELEMENTSOF(rule_keys), k->value) < 0)
                        return err_node(p, k, "%s: unknown key '%.64s'", label, k->value);
                for (size_t j = 0; j < i; j += 2)
                        if (streq(n->items[j]->value, k->value))
                                return err_node(p, k, "%s: duplicate key '%.64s'", label, k->value);
        }

        if (!(v = map_get(n, "id")))
                return err_node(p, n, "%s: no 'id'", label);
        if ((r = want_scalar(p, v, label, "id", 64, &s)) < 0)
                return r;
        if (!id_valid(s))
                return err_node(p, v, "%s: invalid id '%.64s' (lowercase letters, digits, '-', '_', '.')",
                                label, s);
        if ((r = dup_to(s, &rule->id)) < 0)
                return r;
        snprintf(label, sizeof label, "rule '%s'", rule->id);

        if (!(v = map_get(n, "title")))
                return err_node(p, n, "%s: no 'title'", label);
        if ((r = want_scalar(p, v, label, "title", RT_RULE_STRING_MAX, &s)) < 0 ||
            (r = dup_to(s, &rule->title)) < 0)
                return r;
        if (strchr(rule->title, '\n'))
                return err_node(p, v, "%s: 'title' must be one line", label);

        if ((v = map_get(n, "description")) &&
            ((r = want_scalar(p, v, label, "description", RT_RULE_TEXT_MAX, &s)) < 0 ||
             (r = dup_to(s, &rule->description)) < 0))
                return r;

        if (!(v = map_get(n, "severity")))
                return err_node(p, n, "%s: no 'severity'", label);
        if ((r = want_scalar(p, v, label, "severity", 32, &s)) < 0)
                return r;
        int sev = lookup(severity_names, _RT_SEV_MAX, s);
        if (sev < 0)
                return err_node(p, v, "%s: unknown severity '%.32s' (low, medium, high, critical)", label,
                                s);
        rule->severity = (enum rt_severity) sev;

        if (!(v = map_get(n, "mitre")))
                return err_node(p, n, "%s: no 'mitre' (technique and tactic)", label);
        if (v->kind != N_MAP)
                return err_node(p, v, "%s: 'mitre' must be a mapping {technique, tactic}", label);
        for (size_t i = 0; i + 1 < v->n; i += 2)
                if (!streq(v->items[i]->value, "technique") && !streq(v->items[i]->value, "tactic"))
                        return err_node(p, v->items[i], "%s: unknown key 'mitre.%.64s'", label,
                                        v->items[i]->value);
        const struct node *t = map_get(v, "technique"), *ta = map_get(v, "tactic");
        if (!t || !ta)
                return err_node(p, v, "%s: 'mitre' needs a technique and a tactic", label);
        if ((r = want_scalar(p, t, label, "mitre.technique", 16, &s)) < 0)
                return r;
        if (s[0] != 'T' || strspn(s + 1, "0123456789.") != strlen(s + 1) || strlen(s) < 5)
                return err_node(p, t, "%s: invalid ATT&CK technique '%.16s' (like T1059.004)", label, s);
        if ((r = dup_to(s, &rule->technique)) < 0)
                return r;
        if ((r = want_scalar(p, ta, label, "mitre.tactic", 64, &s)) < 0)
                return r;
        if (!id_valid(s))
                return err_node(p, ta, "%s: invalid tactic '%.64s' (like privilege-escalation)", label, s);
        if ((r = dup_to(s, &rule->tactic)) < 0)
                return r;

        if (!(v = map_get(n, "detector")))
                return err_node(p, n, "%s: no 'detector'", label);
        if ((r = want_scalar(p, v, label, "detector", 32, &s)) < 0)
                return r;
        int det = lookup(detector_names, _RT_DET_MAX, s);
        if (det <= 0)
                return err_node(p, v, "%s: unknown detector '%.32s'", label, s);
        rule->detector = (enum rt_detector) det;

        /* action: one word for every mode, or {learn, monitor, protect} (missing modes: alert) */
        if ((v = map_get(n, "action"))) {
                if (v->kind == N_SCALAR) {
                        int a = lookup(action_names, _RT_ACTION_MAX, v->value);
                        if (a < 0)
                                return err_node(p, v,
                                                "%s: unknown action '%.32s' (alert, kill, deny, quarantine)",
                                                label, v->value);
                        for (int m = 0; m < _RT_MODE_MAX; m++)
                                rule->action[m] = (enum rt_action) a;
                } else if (v->kind == N_MAP) {
                        for (size_t i = 0; i + 1 < v->n; i += 2) {
                                const struct node *k = v->items[i], *val = v->items[i + 1];
                                int m = k->kind == N_SCALAR ? lookup(mode_names, _RT_MODE_MAX, k->value)
                                                            : -1;
                                if (m < 0)
                                        return err_node(
                                                p, k,
                                                "%s: unknown mode in 'action' (learn, monitor, protect)",
                                                label);
                                int a = val->kind == N_SCALAR
                                                ? lookup(action_names, _RT_ACTION_MAX, val->value)
                                                : -1;
                                if (a < 0)
                                        return err_node(p, val,
                                                        "%s: unknown action (alert, kill, deny, quarantine)",
                                                        label);
                                rule->action[m] = (enum rt_action) a;
                        }
                } else
                        return err_node(p, v, "%s: 'action' must be an action or a mapping of modes", label);
        }

        if ((v = map_get(n, "names"))) {
                char **names = NULL;
                size_t cnt = 0;
                r = parse_strings(p, v, label, "names", &names, &cnt);
                if (r >= 0) {
                        rule->names = calloc(cnt ? cnt : 1, sizeof *rule->names);
                        if (!rule->names)
                                r = -ENOMEM;
                }
                for (size_t i = 0; r >= 0 && i < cnt; i++) {
                        char *sp = strchr(names[i], ' ');
                        rule->names[i].name = names[i];
                        names[i] = NULL;
                        rule->n_names++;
                        if (sp) {
                                *sp = 0;
                                r = dup_to(sp + 1 + strspn(sp + 1, " "), &rule->names[i].arg);
                        }
                }
                for (size_t i = 0; i < cnt; i++)
                        free(names[i]);
                free(names);
                if (r < 0)
                        return r;
        }
        if ((v = map_get(n, "paths")) &&
            (r = parse_strings(p, v, label, "paths", &rule->paths, &rule->n_paths)) < 0)
                return r;
        if ((v = map_get(n, "except")) &&
            (r = parse_strings(p, v, label, "except", &rule->except, &rule->n_except)) < 0)
                return r;
        if ((v = map_get(n, "access"))) {
                _cleanup_free_ char **acc = NULL;
                size_t cnt = 0;
                r = parse_strings(p, v, label, "access", &acc, &cnt);
                for (size_t i = 0; i < cnt; i++) {
                        if (r >= 0 && streq(acc[i], "read"))
                                rule->access |= RT_RULE_ACCESS_READ;
                        else if (r >= 0 && streq(acc[i], "write"))
                                rule->access |= RT_RULE_ACCESS_WRITE;
                        else if (r >= 0)
                                r = err_node(p, v, "%s: unknown access '%.32s' (read, write)", label,
                                             acc[i]);
                        free(acc[i]);
                }
                if (r < 0)
                        return r;
        }
        if ((v = map_get(n, "events"))) {
                _cleanup_free_ char **evs = NULL;
                size_t cnt = 0;
                r = parse_strings(p, v, label, "events", &evs, &cnt);
                for (size_t i = 0; i < cnt; i++) {
                        int found = -1;
                        for (int ty = 1; ty < RT_EV_CGROUP_MKDIR; ty++)
                                if (streq(rt_event_type_name((enum rt_event_type) ty), evs[i]))
                                        found = ty;
                        if (r >= 0 && found < 0)
                                r = err_node(p, v, "%s: unknown event type '%.32s'", label, evs[i]);
                        else if (found > 0)
                                rule->events |= 1u << found;
                        free(evs[i]);
                }
                if (r < 0)
                        return r;
        }
        if ((v = map_get(n, "ports"))) {
                struct node *const *items;
                const struct node *one = v;
                size_t cnt;
                r = want_list(p, v, label, "ports", &items, &cnt);
                if (r < 0)
                        return r;
                if (r == 1)
                        items = (struct node *const *) &one;
                rule->ports = calloc(cnt ? cnt : 1, sizeof *rule->ports);
                if (!rule->ports)
                        return -ENOMEM;
                for (size_t i = 0; i < cnt; i++, rule->n_ports++)
                        if (parse_port(items[i]->value, &rule->ports[i]) < 0)
                                return err_node(p, items[i], "%s: invalid port '%.32s' (1 to 65535)", label,
                                                items[i]->value);
        }
        if ((v = map_get(n, "addresses"))) {
                struct node *const *items;
                const struct node *one = v;
                size_t cnt;
                r = want_list(p, v, label, "addresses", &items, &cnt);
                if (r < 0)
                        return r;
                if (r == 1)
                        items = (struct node *const *) &one;
                rule->addresses = calloc(cnt ? cnt : 1, sizeof *rule->addresses);
                if (!rule->addresses)
                        return -ENOMEM;
                for (size_t i = 0; i < cnt; i++, rule->n_addresses++) {
                        struct rt_rule_addr *a = &rule->addresses[i];
                        if (inet_pton(AF_INET, items[i]->value, a->addr) == 1)
                                a->family = AF_INET;
                        else if (inet_pton(AF_INET6, items[i]->value, a->addr) == 1)
                                a->family = AF_INET6;
                        else
                                return err_node(p, items[i], "%s: invalid address '%.64s'", label,
                                                items[i]->value);
                }
        }

        /* each detector's required data */
        switch (rule->detector) {
        case RT_DET_EXEC_NAME:
        case RT_DET_SHELL_FROM_SERVER:
        case RT_DET_REVERSE_SHELL:
                if (!rule->n_names)
                        return err_node(p, n, "%s: detector '%s' needs 'names'", label, detector_names[det]);
                break;
        case RT_DET_EXEC_PATH:
                if (!rule->n_paths)
                        return err_node(p, n, "%s: detector '%s' needs 'paths'", label, detector_names[det]);
                break;
        case RT_DET_FILE_OPEN:
                if (!rule->n_paths || !rule->access)
                        return err_node(p, n, "%s: detector 'file-open' needs 'paths' and 'access'", label);
                break;
        case RT_DET_CONNECT:
                if (!rule->n_ports && !rule->n_addresses)
                        return err_node(p, n, "%s: detector 'connect' needs 'ports' or 'addresses'", label);
                break;
        case RT_DET_EVENT:
                if (!rule->events)
                        return err_node(p, n, "%s: detector 'event' needs 'events'", label);
                break;
        default: break;
        }
        return 0;
}

void rt_rules_free(struct rt_rules *rs) {
        if (!rs)
                return;
        for (size_t i = 0; i < rs->n; i++)
                rule_free_fields(&rs->rules[i]);
        free(rs->rules);
        free(rs->source);
        free(rs);
}

int rt_rules_load_data(const char *name, const void *data, size_t len, struct diag *d,
                       struct rt_rules **ret) {
        struct parser p = {.name = name, .d = d};
        struct node *root = NULL;
        _cleanup_(rt_rules_freep) struct rt_rules *rs = NULL;
        int r;

        if (len > RT_RULES_FILE_MAX)
                return diag_error(d, -EFBIG, "%s: larger than %u bytes", name, RT_RULES_FILE_MAX);
        r = parse_tree(&p, data, len, &root);
        if (r < 0)
                return r;
        rs = calloc(1, sizeof *rs);
        if (!rs || !(rs->source = strdup(name))) {
                r = -ENOMEM;
                goto out;
        }
        if (root->kind != N_MAP) {
                r = err_node(&p, root, "the document must be a mapping with 'version' and 'rules'");
                goto out;
        }
        for (size_t i = 0; i + 1 < root->n; i += 2) {
                const char *k = root->items[i]->value;
                if (!k || (!streq(k, "version") && !streq(k, "rules"))) {
                        r = err_node(&p, root->items[i], "unknown key '%.64s' (version, rules)", k ? k : "");
                        goto out;
                }
        }
        const struct node *v = map_get(root, "version");
        if (!v || v->kind != N_SCALAR || !streq(v->value, "1")) {
                r = err_node(&p, v ? v : root, "'version: 1' is required");
                goto out;
        }
        const struct node *rl = map_get(root, "rules");
        if (!rl || rl->kind != N_SEQ) {
                r = err_node(&p, rl ? rl : root, "'rules' must be a list");
                goto out;
        }
        if (rl->n > RT_RULES_MAX) {
                r = err_node(&p, rl, "more than %d rules", RT_RULES_MAX);
                goto out;
        }
        rs->rules = calloc(rl->n ? rl->n : 1, sizeof *rs->rules);
        if (!rs->rules) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < rl->n; i++) {
                r = parse_rule(&p, rl->items[i], i, &rs->rules[i]);
                rs->n++; /* freed with the set even when half parsed */
                if (r < 0)
                        goto out;
                for (size_t j = 0; j < i; j++)
                        if (streq(rs->rules[j].id, rs->rules[i].id)) {
                                r = err_node(&p, rl->items[i], "rule '%s': duplicate id (first at line %u)",
                                             rs->rules[i].id, rs->rules[j].line);
                                goto out;
                        }
        }
        *ret = TAKE_PTR(rs);
        r = 0;
out:
        node_free(root);
        return r;
}

int rt_rules_load_file(const char *path, struct diag *d, struct rt_rules **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return diag_error(d, -errno, "cannot open rules '%s': %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_error(d, -EINVAL, "rules '%s': not a regular file", path);
        if (st.st_size > (off_t) RT_RULES_FILE_MAX)
                return diag_error(d, -EFBIG, "rules '%s': larger than %u bytes", path, RT_RULES_FILE_MAX);
        _cleanup_free_ char *data = malloc((size_t) st.st_size + 1);
        if (!data)
                return -ENOMEM;
        size_t got = 0;
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, data + got, (size_t) st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return diag_error(d, -errno, "cannot read rules '%s': %s", path, strerror(errno));
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return rt_rules_load_data(path, data, got, d, ret);
}

int rt_rules_load_default(struct diag *d, struct rt_rules **ret) {
        return rt_rules_load_data("(built-in runtime.yaml)", runtime_default_rules,
                                  runtime_default_rules_len, d, ret);
}

const struct rt_rule *rt_rules_find(const struct rt_rules *rs, const char *id) {
        for (size_t i = 0; i < rs->n; i++)
                if (streq(rs->rules[i].id, id))
                        return &rs->rules[i];
        return NULL;
}
