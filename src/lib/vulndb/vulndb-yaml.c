/* SPDX-License-Identifier: Apache-2.0 */
/* YAML feeds (the PyPA advisory database's OSV records, Alpine's old secdb) are converted to the same
 * jansson trees the JSON feeds give, so one parser serves both. libyaml's event API is used (not its
 * document loader) so that aliases, depth and duplicate keys are refused while reading. */
#include <stdarg.h>
#include <string.h>
#include <yaml.h>

#include "vulndb-internal.h"

struct frame {
        json_t *node;
        char *key; /* pending key of a mapping (malloc'd) */
};

struct conv {
        struct frame stack[VDB_MAX_YAML_DEPTH];
        int depth;
        json_t *root;
        char *errbuf;
        size_t errsize;
};

static int conv_error(struct conv *c, const yaml_mark_t *m, const char *fmt, ...) _printf_(3, 4);
static int conv_error(struct conv *c, const yaml_mark_t *m, const char *fmt, ...) {
        char what[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(c->errbuf, c->errsize, "line %zu, column %zu: %s", m ? m->line + 1 : 0,
                 m ? m->column + 1 : 0, what);
        return -EBADMSG;
}

static bool word_in(const char *s, size_t n, const char *const *words) {
        for (; *words; words++)
                if (strlen(*words) == n && memcmp(*words, s, n) == 0)
                        return true;
        return false;
}

static json_t *scalar_value(const yaml_event_t *e) {
        static const char *const nulls[] = {"null", "Null", "NULL", "~", "", NULL};
        static const char *const trues[] = {"true", "True", "TRUE", NULL};
        static const char *const falses[] = {"false", "False", "FALSE", NULL};
        const char *s = (const char *) e->data.scalar.value;
        size_t n = e->data.scalar.length;
        if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                if (word_in(s, n, nulls))
                        return json_null();
                if (word_in(s, n, trues))
                        return json_true();
                if (word_in(s, n, falses))
                        return json_false();
        }
        return json_stringn(s, n);
}

/* Puts a finished node where it belongs: the root, an array, or a mapping (as key or value). Steals v. */
static int place(struct conv *c, json_t *v, const yaml_event_t *e) {
        if (c->depth == 0) {
                if (c->root) {
                        json_decref(v);
                        return conv_error(c, &e->start_mark, "more than one root node");
                }
                c->root = v;
                return 0;
        }
        struct frame *f = &c->stack[c->depth - 1];
        if (json_is_array(f->node))
                return json_array_append_new(f->node, v) < 0 ? -ENOMEM : 0;
        if (!f->key) {
                /* a key: only scalars, taken as text */
                json_decref(v);
                if (e->type != YAML_SCALAR_EVENT)
                        return conv_error(c, &e->start_mark, "mapping key is not a scalar");
                f->key = strndup((const char *) e->data.scalar.value, e->data.scalar.length);
                if (!f->key)
                        return -ENOMEM;
                if (strlen(f->key) != e->data.scalar.length)
                        return conv_error(c, &e->start_mark, "mapping key contains NUL");
                return 0;
        }
        if (json_object_get(f->node, f->key)) {
                json_decref(v);
                return conv_error(c, &e->start_mark, "duplicate key '%.64s'", f->key);
        }
        int r = json_object_set_new(f->node, f->key, v);
        free(f->key);
        f->key = NULL;
        return r < 0 ? -EBADMSG : 0;
}

int vdb_yaml_to_json(const char *data, size_t len, size_t cap, json_t **ret, char *errbuf, size_t errsize) {
        yaml_parser_t parser;
        struct conv c = {.errbuf = errbuf, .errsize = errsize};
        int r = 0, docs = 0;
        bool done = false;

        if (len > cap) {
                snprintf(errbuf, errsize, "too large (%zu bytes, limit %zu)", len, cap);
                return -E2BIG;
        }
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);

        while (!done && r == 0) {
                yaml_event_t e;
                if (!yaml_parser_parse(&parser, &e)) {
                        r = conv_error(&c, &parser.problem_mark, "%s",
                                       parser.problem ? parser.problem : "invalid YAML");
                        break;
                }
                switch (e.type) {
                case YAML_STREAM_END_EVENT: done = true; break;
                case YAML_DOCUMENT_START_EVENT:
                        if (++docs > 1)
                                r = conv_error(&c, &e.start_mark, "more than one YAML document");
                        break;
                case YAML_ALIAS_EVENT:
                        r = conv_error(&c, &e.start_mark, "YAML aliases are not supported");
                        break;
                case YAML_SCALAR_EVENT: {
                        json_t *v = scalar_value(&e);
                        r = v ? place(&c, v, &e)
                              : conv_error(&c, &e.start_mark, "scalar is not valid UTF-8");
                        break;
                }
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT: {
                        if (c.depth >= VDB_MAX_YAML_DEPTH) {
                                r = conv_error(&c, &e.start_mark, "nesting deeper than %d",
                                               VDB_MAX_YAML_DEPTH);
                                break;
                        }
                        if (c.depth > 0 && json_is_object(c.stack[c.depth - 1].node) &&
                            !c.stack[c.depth - 1].key) {
                                r = conv_error(&c, &e.start_mark, "mapping key is not a scalar");
                                break;
                        }
                        json_t *n = e.type == YAML_MAPPING_START_EVENT ? json_object() : json_array();
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        c.stack[c.depth++] = (struct frame){.node = n};
                        break;
                }
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT: {
                        struct frame f = c.stack[--c.depth];
                        free(f.key);
                        r = place(&c, f.node, &e);
                        break;
                }
                default: break;
                }
                yaml_event_delete(&e);
        }
        yaml_parser_delete(&parser);
        while (c.depth > 0) {
                struct frame *f = &c.stack[--c.depth];
                free(f->key);
                json_decref(f->node);
        }
        if (r == 0 && !c.root)
                r = conv_error(&c, NULL, "empty document");
        if (r < 0) {
                json_decref(c.root);
                return r;
        }
        *ret = c.root;
        return 0;
}
