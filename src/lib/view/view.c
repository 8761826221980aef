/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "hashmap.h"
#include "path-util.h"
#include "vec.h"
#include "view.h"

#define MAX_SYMLINKS 40

/* Nodes live in the view's arena, children in an intrusive list (no allocation per directory). A removed
 * node is unlinked from the map and marked dead; it stays in its parent's list, which is cleared as a
 * whole when the parent's children go (removal stays O(subtree)). */
struct node {
        struct view_entry e;
        const char *path;
        struct node *parent;
        struct node *first_child, *next_sibling;
        bool dead;
};

struct view {
        struct arena *arena;
        struct hashmap *map; /* path -> struct node */
        struct node root;
        struct node *last_parent; /* members come in directory order: the previous member's parent */
};

void view_free(struct view *v) {
        if (!v)
                return;
        hashmap_free(v->map);
        arena_free(v->arena);
        free(v);
}

static struct node *node_new(struct view *v) {
        return arena_alloc(v->arena, sizeof(struct node));
}

static int add_child(struct node *parent, struct node *child) {
        child->parent = parent;
        child->next_sibling = parent->first_child;
        parent->first_child = child;
        return 0;
}

/* Removes everything below n (not n itself). */
static void remove_children(struct view *v, struct node *n) {
        VEC(struct node *) stack = { 0 };
        for (struct node *c = n->first_child; c; c = c->next_sibling)
                if (!c->dead)
                        (void) VEC_PUSH(&stack, c);
        while (stack.n > 0) {
                struct node *c = stack.items[--stack.n];
                if (c->dead)
                        continue;
                c->dead = true;
                hashmap_remove(v->map, c->path);
                for (struct node *g = c->first_child; g; g = g->next_sibling)
                        if (!g->dead)
                                (void) VEC_PUSH(&stack, g);
                c->first_child = NULL;
        }
        VEC_FREE(&stack);
        n->first_child = NULL;
}

static void remove_node(struct view *v, struct node *n) {
        if (n == &v->root)
                return;
        remove_children(v, n);
        n->dead = true;
        hashmap_remove(v->map, n->path);
}

static bool is_dir(const struct node *n) {
        return n == NULL ? false : (!n->e.file || n->e.file->kind == LF_DIR);
}

/* Returns the node for a directory path, creating implicit directories as needed. A non-directory in
 * the way is replaced (as extracting the layer over it would). */
static int ensure_dir(struct view *v, const char *path, size_t len, int layer, struct node **ret) {
        if (len == 0) {
                *ret = &v->root;
                return 0;
        }
        char buf[PATH_MAX_IMAGE + 1];
        memcpy(buf, path, len);
        buf[len] = 0;
        struct node *n = hashmap_get(v->map, buf);
        if (n && is_dir(n)) {
                *ret = n;
                return 0;
        }
        struct node *parent;
        int r = ensure_dir(v, path, path_dirname_len(buf), layer, &parent);
        if (r < 0)
                return r;
        if (n)
                remove_node(v, n);
        n = node_new(v);
        if (!n)
                return -ENOMEM;
        n->path = arena_strdup(v->arena, buf);
        if (!n->path)
                return -ENOMEM;
        n->e = (struct view_entry){ .file = NULL, .layer = layer };
        r = add_child(parent, n);
        if (r < 0)
                return r;
        if (hashmap_put(v->map, n->path, n, NULL) < 0)
                return -ENOMEM;
        *ret = n;
        return 0;
}

/* Where a member lands: its own path, unless a directory on the way is a symlink in the lower layers,
 * which unpacking follows (inside the root), as Docker and containerd do. */
static const char *landing_path(struct view *v, const char *path) {
        size_t dl = path_dirname_len(path);
        if (dl == 0)
                return path;
        char parent[PATH_MAX_IMAGE + 1], resolved[PATH_MAX_IMAGE + 1];
        memcpy(parent, path, dl);
        parent[dl] = 0;
        struct node *pn = hashmap_get(v->map, parent);
        if (pn && is_dir(pn))
                return path;
        if (view_resolve(v, parent, resolved) < 0 || streq(resolved, parent))
                return path;
        const char *p = arena_printf(v->arena, "%s%s%s", resolved, resolved[0] ? "/" : "", path + dl + 1);
        return p && strlen(p) <= PATH_MAX_IMAGE ? p : path;
}

/* The directory node a member's parent path names, when it exists as a directory (NULL otherwise). */
static struct node *parent_dir(struct view *v, const char *path, size_t dl) {
        struct node *p = v->last_parent;
        if (p && !p->dead && is_dir(p) && strlen(p->path) == dl && memcmp(p->path, path, dl) == 0)
                return p;
        char buf[PATH_MAX_IMAGE + 1];
        memcpy(buf, path, dl);
        buf[dl] = 0;
        p = hashmap_get(v->map, buf);
        if (!p || !is_dir(p))
                return NULL;
        v->last_parent = p;
        return p;
}

static int apply_file(struct view *v, const struct layer_file *f, int layer) {
        const char *path = f->path;
        size_t dl = path_dirname_len(path);
        struct node *parent = dl == 0 ? &v->root : parent_dir(v, path, dl);
        int r;

        if (!parent) {
                /* Rare: the directory is missing (implicit) or a symlink leads elsewhere. */
                path = landing_path(v, f->path);
                r = ensure_dir(v, path, path_dirname_len(path), layer, &parent);
                if (r < 0)
                        return r;
        }
        uint64_t h = hash_string(path);
        struct node *n = hashmap_get_hashed(v->map, path, h);
        if (n) {
                bool was_dir = is_dir(n);
                if (f->kind == LF_DIR && was_dir) {
                        /* A directory over a directory merges: keep the children. */
                        n->e = (struct view_entry){ f, layer };
                        return 0;
                }
                if (was_dir)
                        remove_children(v, n);
                n->e = (struct view_entry){ f, layer };
                return 0;
        }
        n = node_new(v);
        if (!n)
                return -ENOMEM;
        n->path = path;
        n->e = (struct view_entry){ f, layer };
        r = add_child(parent, n);
        if (r < 0)
                return r;
        return hashmap_put_hashed(v->map, n->path, h, n, NULL) < 0 ? -ENOMEM : 0;
}

int view_build(struct layer_result *const *layers, size_t n_layers, struct diag *d, struct view **ret) {
        struct view *v = calloc(1, sizeof *v);
        int r = 0;
        if (!v)
                return -ENOMEM;
        v->arena = arena_new(0);
        v->map = hashmap_new();
        if (!v->arena || !v->map) {
                view_free(v);
                return -ENOMEM;
        }
        v->root.path = "";

        for (size_t li = 0; li < n_layers; li++) {
                const struct layer_result *L = layers[li];
                /* Whiteouts first: they hide what lower layers made, never their own layer's files. */
                for (size_t i = 0; i < L->files.n; i++) {
                        const struct layer_file *f = &L->files.items[i];
                        if (f->kind == LF_WHITEOUT) {
                                struct node *n = hashmap_get(v->map, f->path);
                                if (n)
                                        remove_node(v, n);
                        } else if (f->kind == LF_OPAQUE) {
                                struct node *n = f->path[0] ? hashmap_get(v->map, f->path) : &v->root;
                                if (n)
                                        remove_children(v, n);
                        }
                }
                for (size_t i = 0; i < L->files.n; i++) {
                        const struct layer_file *f = &L->files.items[i];
                        if (f->kind == LF_WHITEOUT || f->kind == LF_OPAQUE)
                                continue;
                        r = apply_file(v, f, (int) li);
                        if (r < 0) {
                                view_free(v);
                                return diag_error(d, r, "cannot merge layer %zu: %s", li, strerror(-r));
                        }
                }
        }
        *ret = v;
        return 0;
}

const struct view_entry *view_lookup(const struct view *v, const char *path) {
        if (!path[0])
                return &v->root.e;
        struct node *n = hashmap_get(v->map, path);
        return n ? &n->e : NULL;
}

size_t view_size(const struct view *v) {
        return hashmap_size(v->map);
}

int view_resolve(const struct view *v, const char *path, char *out) {
        char cur[PATH_MAX_IMAGE + 1] = "";  /* resolved so far */
        char rest[2 * PATH_MAX_IMAGE + 2];  /* still to walk */
        int links = 0;

        if (strlen(path) > PATH_MAX_IMAGE)
                return -ENAMETOOLONG;
        snprintf(rest, sizeof rest, "%s", path);

        char *p = rest;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);
                char comp[PATH_MAX_IMAGE + 1];
                if (n > PATH_MAX_IMAGE)
                        return -ENAMETOOLONG;
                memcpy(comp, p, n);
                comp[n] = 0;
                p = e;

                char next[PATH_MAX_IMAGE + 1];
                int r = path_join_chroot(cur, comp, next);
                if (r < 0)
                        return r;
                if (streq(comp, "..") || streq(comp, ".")) {
                        memcpy(cur, next, strlen(next) + 1);
                        continue;
                }
                const struct view_entry *ve = view_lookup(v, next);
                if (!ve)
                        return -ENOENT;
                if (ve->file && ve->file->kind == LF_SYMLINK) {
                        if (++links > MAX_SYMLINKS)
                                return -ELOOP;
                        /* Splice the target in front of what remains, resolved against cur. */
                        const char *t = ve->file->link;
                        char joined[2 * PATH_MAX_IMAGE + 2];
                        int k = snprintf(joined, sizeof joined, "%s%s", t, p);
                        if (k < 0 || (size_t) k >= sizeof joined)
                                return -ENAMETOOLONG;
                        if (t[0] == '/')
                                cur[0] = 0;
                        memcpy(rest, joined, (size_t) k + 1);
                        p = rest;
                        continue;
                }
                if (*p && !is_dir(hashmap_get(v->map, next)))
                        return -ENOTDIR;
                memcpy(cur, next, strlen(next) + 1);
        }
        memcpy(out, cur, strlen(cur) + 1);
        return 0;
}

enum file_state view_file_state(const struct view *v, const char *path, int layer) {
        const struct view_entry *e = view_lookup(v, path);
        if (!e) {
                /* Maybe it landed through a symlinked directory (see landing_path()). */
                char resolved[PATH_MAX_IMAGE + 1], parent[PATH_MAX_IMAGE + 1];
                size_t dl = path_dirname_len(path);
                memcpy(parent, path, dl);
                parent[dl] = 0;
                if (dl > 0 && view_resolve(v, parent, resolved) == 0 && !streq(resolved, parent)) {
                        char full[2 * PATH_MAX_IMAGE + 2];
                        snprintf(full, sizeof full, "%s%s%s", resolved, resolved[0] ? "/" : "", path + dl + 1);
                        e = view_lookup(v, full);
                }
        }
        if (!e || !e->file || !streq(e->file->path, path))
                return e && e->layer > layer ? FILE_OVERWRITTEN : FILE_DELETED;
        if (e->layer == layer)
                return FILE_PRESENT;
        return e->layer > layer ? FILE_OVERWRITTEN : FILE_DELETED;
}

int view_foreach(const struct view *v, int (*fn)(void *userdata, const char *path, const struct view_entry *e),
                 void *userdata) {
        const char *k;
        struct node *n;
        HASHMAP_FOREACH(k, n, v->map, i) {
                int r = fn(userdata, k, &n->e);
                if (r < 0)
                        return r;
        }
        return 0;
}
