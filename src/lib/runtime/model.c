/* SPDX-License-Identifier: Apache-2.0 */
/* Behaviour models (model.h): learning from events, path collapsing, deviation scoring, modes. */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "model-internal.h"

const char *const macc_names[6] = {"read", "write", "create", "unlink", "rename", "chmod"};

static const char *const mode_names[_MODEL_MODE_MAX] = {
        [MODEL_LEARN] = "learn",
        [MODEL_MONITOR] = "monitor",
        [MODEL_PROTECT] = "protect",
};

const char *model_mode_name(enum model_mode m) {
        return (unsigned) m < _MODEL_MODE_MAX ? mode_names[m] : NULL;
}

int model_mode_from_string(const char *s, enum model_mode *ret) {
        for (int i = 0; i < _MODEL_MODE_MAX; i++)
                if (s && streq(s, mode_names[i])) {
                        *ret = (enum model_mode) i;
                        return 0;
                }
        return -EINVAL;
}

const char *model_kind_name(enum model_kind k) {
        switch (k) {
        case MODEL_KIND_PROCESS: return "process";
        case MODEL_KIND_FILE: return "file";
        case MODEL_KIND_NETWORK: return "network";
        default: return "none";
        }
}

static const size_t table_caps[_T_MAX] = {
        [T_PROC] = MODEL_MAX_PROCESSES, [T_EDGE] = MODEL_MAX_EDGES,     [T_SEQ] = MODEL_MAX_SEQUENCES,
        [T_FILE] = MODEL_MAX_FILES,     [T_LISTEN] = MODEL_MAX_NETWORK, [T_OUT] = MODEL_MAX_NETWORK,
        [T_IN] = MODEL_MAX_NETWORK,
};

/* ---- a model ---- */

struct model *model_new_(const char *key, const char *name, uint64_t now) {
        struct model *m = calloc(1, sizeof *m);
        if (!m)
                return NULL;
        m->key = strdup(key);
        m->name = strdup(name ? name : "");
        m->exes = hashmap_new();
        m->dirs = hashmap_new();
        bool ok = m->key && m->name && m->exes && m->dirs;
        for (int t = 0; t < _T_MAX; t++) {
                m->t[t] = hashmap_new();
                m->cap[t] = table_caps[t];
                ok = ok && m->t[t];
        }
        if (!ok) {
                model_free_(m);
                return NULL;
        }
        m->learn_start = m->last_growth = m->last_change = now;
        return m;
}

void model_free_(struct model *m) {
        if (!m)
                return;
        for (int t = 0; t < _T_MAX; t++) {
                const char *k;
                struct mentry *e;
                if (!m->t[t])
                        continue;
                HASHMAP_FOREACH (k, e, m->t[t], i) {
                        free(e->key);
                        free(e);
                }
                hashmap_free(m->t[t]);
        }
        if (m->exes) {
                const char *k;
                void *v;
                HASHMAP_FOREACH (k, v, m->exes, i)
                        free((char *) k);
                hashmap_free(m->exes);
        }
        if (m->dirs) {
                const char *k;
                struct dirinfo *di;
                HASHMAP_FOREACH (k, di, m->dirs, i) {
                        free(di->dir);
                        free(di);
                }
                hashmap_free(m->dirs);
        }
        free(m->key);
        free(m->name);
        free(m);
}

static int exes_add(struct model *m, const char *proc_key) {
        const char *sep = strchr(proc_key, KEY_SEP);
        size_t n = sep ? (size_t) (sep - proc_key) : strlen(proc_key);
        _cleanup_free_ char *exe = strndup(proc_key, n);
        if (!exe)
                return -ENOMEM;
        if (hashmap_get(m->exes, exe))
                return 0;
        int r = hashmap_put(m->exes, exe, (void *) (uintptr_t) 1, NULL);
        if (r < 0)
                return r;
        TAKE_PTR(exe);
        return 0;
}

static void dirname_of(const char *path, char *out, size_t outlen) {
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t) (slash - path) : 0;
        if (n >= outlen)
                n = outlen - 1;
        memcpy(out, path, n);
        out[n] = 0;
}

static struct dirinfo *dir_get(struct model *m, const char *dir, bool create) {
        struct dirinfo *di = hashmap_get(m->dirs, dir);
        if (di || !create || hashmap_size(m->dirs) >= MODEL_MAX_FILES)
                return di;
        di = calloc(1, sizeof *di);
        if (!di)
                return NULL;
        di->dir = strdup(dir);
        if (!di->dir || hashmap_put(m->dirs, di->dir, di, NULL) < 0) {
                free(di->dir);
                free(di);
                return NULL;
        }
        return di;
}

static void file_key_added(struct model *m, const char *pattern) {
        char dir[PATH_MAX];
        size_t n = strlen(pattern);
        if (strchr(pattern, '*'))
                m->wildcards++;
        dirname_of(pattern, dir, sizeof dir);
        struct dirinfo *di = dir_get(m, dir, true);
        if (!di)
                return;
        if (n >= 2 && streq(pattern + n - 2, "/*"))
                di->collapsed = true;
        else
                di->names++;
}

int model_put_(struct model *m, enum mtable t, const char *key, uint64_t count, uint64_t first,
               uint64_t last, uint32_t extra, bool force, struct mentry **ret) {
        uint64_t h = hash_string(key);
        struct mentry *e = hashmap_get_hashed(m->t[t], key, h);
        m->total[t] += count;
        if (e) {
                e->count += count;
                if (first && (!e->first || first < e->first))
                        e->first = first;
                if (last > e->last)
                        e->last = last;
                uint32_t old = e->extra;
                e->extra |= extra;
                e->dirty = true;
                m->dirty = true;
                if (ret)
                        *ret = e;
                return old != e->extra ? 2 : 0; /* 2: grew (new access bits) */
        }
        if (!force && hashmap_size(m->t[t]) >= m->cap[t]) {
                m->total[t] -= count;
                m->overflow++;
                return -ENOSPC;
        }
        e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;
        e->key = strdup(key);
        if (!e->key || hashmap_put_hashed(m->t[t], e->key, h, e, NULL) < 0) {
                m->total[t] -= count;
                free(e->key);
                free(e);
                return -ENOMEM;
        }
        e->count = count;
        e->first = first;
        e->last = last;
        e->extra = extra;
        e->dirty = true;
        m->dirty = true;
        if (t == T_PROC && exes_add(m, key) < 0)
                return -ENOMEM;
        if (t == T_FILE)
                file_key_added(m, key);
        if (ret)
                *ret = e;
        return 1;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp((*(struct mentry *const *) a)->key, (*(struct mentry *const *) b)->key);
}

struct mentry **model_sorted_(const struct model *m, enum mtable t, size_t *ret_n) {
        size_t n = hashmap_size(m->t[t]), k = 0;
        struct mentry **v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                return NULL;
        const char *key;
        struct mentry *e;
        HASHMAP_FOREACH (key, e, m->t[t], i)
                v[k++] = e;
        qsort_safe(v, k, sizeof *v, cmp_entry);
        *ret_n = k;
        return v;
}

/* Merges every pattern directly in dir into dir/ *: the directory's names vary. */
static int collapse_dir(struct model *m, struct dirinfo *di) {
        char star[PATH_MAX];
        if ((size_t) snprintf(star, sizeof star, "%s/*", di->dir) >= sizeof star)
                return 0;
        size_t n;
        _cleanup_free_ struct mentry **v = model_sorted_(m, T_FILE, &n);
        if (!v)
                return -ENOMEM;
        uint64_t count = 0, first = 0, last = 0;
        uint32_t acc = 0;
        for (size_t i = 0; i < n; i++) {
                char dir[PATH_MAX];
                dirname_of(v[i]->key, dir, sizeof dir);
                if (!streq(dir, di->dir) || streq(v[i]->key, star))
                        continue;
                count += v[i]->count;
                m->total[T_FILE] -= v[i]->count;
                acc |= v[i]->extra;
                if (!first || (v[i]->first && v[i]->first < first))
                        first = v[i]->first;
                last = MAX(last, v[i]->last);
                if (strchr(v[i]->key, '*'))
                        m->wildcards--;
                hashmap_remove(m->t[T_FILE], v[i]->key);
                free(v[i]->key);
                free(v[i]);
        }
        di->collapsed = true;
        di->names = 0;
        m->rewrite = m->dirty = true;
        int r = model_put_(m, T_FILE, star, count, first, last, acc, true, NULL);
        return r < 0 ? r : 0;
}

/* Counts one more observation of a known entry (monitor and protect). */
static void bump(struct model *m, enum mtable t, struct mentry *e, uint64_t now) {
        e->count++;
        e->last = now;
        e->dirty = m->dirty = true;
        m->total[t]++;
}

/* What a hostile container names (paths, executables) becomes model text: valid UTF-8 without control
 * characters, so that it exports as YAML and applies back; a byte that is not becomes '?'. */
static const char *sanitize(const char *in, char *out, size_t outlen) {
        const unsigned char *p = (const unsigned char *) in;
        size_t o = 0;
        while (*p && o + 1 < outlen) {
                size_t n = *p < 0x80             ? 1
                           : (*p & 0xe0) == 0xc0 ? 2
                           : (*p & 0xf0) == 0xe0 ? 3
                           : (*p & 0xf8) == 0xf0 ? 4
                                                 : 0;
                bool ok = n > 0 && o + n < outlen;
                for (size_t i = 1; ok && i < n; i++)
                        ok = (p[i] & 0xc0) == 0x80;
                if (ok && n == 1)
                        ok = *p >= 0x20 && *p != 0x7f;
                if (ok && n == 2)
                        ok = *p >= 0xc2; /* overlong */
                if (ok && n == 3)
                        ok = !(*p == 0xe0 && p[1] < 0xa0) &&
                             !(*p == 0xed && p[1] >= 0xa0); /* overlong, surrogates */
                if (ok && n == 4)
                        ok = !(*p == 0xf0 && p[1] < 0x90) && *p <= 0xf4 && !(*p == 0xf4 && p[1] >= 0x90);
                if (!ok) {
                        out[o++] = '?';
                        p++;
                        continue;
                }
                memcpy(out + o, p, n);
                o += n;
                p += n;
        }
        out[o] = 0;
        return out;
}

/* ---- path collapsing ---- */

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether an alphanumeric token looks generated rather than named. */
static bool token_random(const char *s, size_t n, bool after_tmp) {
        size_t digits = 0, lower = 0, upper = 0, hex = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                digits += c >= '0' && c <= '9';
                lower += c >= 'a' && c <= 'z';
                upper += c >= 'A' && c <= 'Z';
                hex += is_hex(c);
        }
        if (digits == n)
                return true; /* a run of digits */
        if (n >= 8 && hex == n && digits > 0)
                return true;
        if (n >= 12 && ((digits > 0 && lower + upper > 0) || (lower > 0 && upper > 0)))
                return true;
        if (after_tmp && n >= 6 && (digits > 0 || (lower > 0 && upper > 0)))
                return true; /* mktemp's tmp.XXXXXX */
        return false;
}

static bool is_alnum(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void model_collapse_path(const char *path, char *out, size_t outlen) {
        size_t o = 0, comp = 0;
        const char *p = path;
        bool prev_proc = false;

#define PUT(c)                          \
        do {                            \
                if (o + 1 < outlen)     \
                        out[o++] = (c); \
        } while (0)
        if (!outlen)
                return;
        while (*p) {
                if (*p == '/') {
                        if (o == 0 || out[o - 1] != '/')
                                PUT('/');
                        p++;
                        continue;
                }
                const char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                comp++;
                if (prev_proc && comp == 2 &&
                    ((n > 0 && strspn(p, "0123456789") == n) || (n == 4 && strneq(p, "self", 4)) ||
                     (n == 11 && strneq(p, "thread-self", 11)))) {
                        PUT('*');
                } else if ((n == 1 && *p == '.') || (n == 2 && strneq(p, "..", 2))) {
                        for (size_t i = 0; i < n; i++)
                                PUT(p[i]);
                } else {
                        const char *q = p;
                        bool after_tmp = false;
                        while (q < end) {
                                if (!is_alnum(*q)) {
                                        PUT(*q);
                                        q++;
                                        continue;
                                }
                                const char *t = q;
                                while (t < end && is_alnum(*t))
                                        t++;
                                size_t tn = (size_t) (t - q);
                                if (token_random(q, tn, after_tmp))
                                        PUT('*');
                                else
                                        for (size_t i = 0; i < tn; i++)
                                                PUT(q[i]);
                                after_tmp = tn == 3 && strneq(q, "tmp", 3) && t < end && *t == '.';
                                q = t;
                        }
                }
                prev_proc = comp == 1 && n == 4 && strneq(p, "proc", 4);
                p = end;
        }
#undef PUT
        out[o] = 0;
}

bool model_pattern_match(const char *pat, const char *s) {
        /* '*' matches within one component; backtracking bounded by the lengths (paths ≤ PATH_MAX) */
        const char *star_p = NULL, *star_s = NULL;
        while (*s) {
                if (*pat == '*') {
                        star_p = ++pat;
                        star_s = s;
                        continue;
                }
                if (*pat == *s) {
                        pat++;
                        s++;
                        continue;
                }
                if (star_p && *star_s != '/') {
                        pat = star_p;
                        s = ++star_s;
                        continue;
                }
                return false;
        }
        while (*pat == '*')
                pat++;
        return *pat == 0;
}

/* ---- the registry ---- */

const char *model_image_key(const struct rt_container *c) {
        if (!c || c->incomplete)
                return NULL;
        if (c->image_digest && c->image_digest[0])
                return c->image_digest;
        if (c->image_id && c->image_id[0])
                return c->image_id;
        return NULL;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int model_registry_open(const char *state_dir, const struct model_options *o, struct diag *d,
                        struct model_registry **ret) {
        struct model_registry *reg = calloc(1, sizeof *reg);
        if (!reg)
                return -ENOMEM;
        pthread_mutex_init(&reg->lock, NULL);
        if (o)
                reg->o = *o;
        if (!reg->o.learn_for_ms)
                reg->o.learn_for_ms = MODEL_LEARN_FOR_DEFAULT_MS;
        if (!reg->o.stability_ms)
                reg->o.stability_ms = MODEL_STABILITY_DEFAULT_MS;
        if (reg->o.threshold <= 0)
                reg->o.threshold = MODEL_THRESHOLD_DEFAULT;
        if (!reg->o.replica_window_ms)
                reg->o.replica_window_ms = 60000;
        reg->models = hashmap_new();
        if (!reg->models) {
                model_registry_free(reg);
                return -ENOMEM;
        }
        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
                int r = diag_error(d, negative_errno(), "cannot create state directory '%s': %s", state_dir,
                                   strerror(errno));
                model_registry_free(reg);
                return r;
        }
        if (asprintf(&reg->db_path, "%s/models.db", state_dir) < 0) {
                reg->db_path = NULL;
                model_registry_free(reg);
                return -ENOMEM;
        }
        int r = mstore_open(reg, reg->db_path, d);
        if (r >= 0)
                r = mstore_load(reg, d);
        if (r < 0) {
                model_registry_free(reg);
                return r;
        }
        reg->last_flush = now_ms();
        *ret = reg;
        return 0;
}

void model_registry_free(struct model_registry *reg) {
        if (!reg)
                return;
        if (reg->db) {
                pthread_mutex_lock(&reg->lock);
                (void) mstore_flush(reg, NULL);
                pthread_mutex_unlock(&reg->lock);
        }
        mstore_close(reg);
        if (reg->models) {
                const char *k;
                struct model *m;
                HASHMAP_FOREACH (k, m, reg->models, i)
                        model_free_(m);
                hashmap_free(reg->models);
        }
        for (size_t i = 0; i < CHAIN_SLOTS; i++) {
                free(reg->chains[i].exe);
                free(reg->chains[i].parent);
        }
        free(reg->db_path);
        pthread_mutex_destroy(&reg->lock);
        free(reg);
}

static struct model *model_for(struct model_registry *reg, const struct rt_container *c, uint64_t now) {
        const char *key = model_image_key(c);
        if (!key)
                return NULL;
        struct model *m = hashmap_get(reg->models, key);
        if (m) {
                if (c->image && !streq(m->name, c->image)) {
                        char *n = strdup(c->image);
                        if (n) {
                                free(m->name);
                                m->name = n;
                                m->dirty = true;
                        }
                }
                return m;
        }
        if (hashmap_size(reg->models) >= MODEL_MAX_MODELS)
                return NULL;
        m = model_new_(key, c->image, now);
        if (!m)
                return NULL;
        if (hashmap_put(reg->models, m->key, m, NULL) < 0) {
                model_free_(m);
                return NULL;
        }
        m->dirty = true;
        return m;
}

/* ---- scoring ---- */

/* −log of a Laplace-smoothed frequency, scaled so that 1 in 1000 is 1: the rarer, the closer to 1. */
static double rarity_of(uint64_t count, uint64_t total) {
        double p = ((double) count + 1.0) / ((double) total + 2.0);
        double r = -log(p) / log(1000.0);
        return r < 0 ? 0 : r > 1 ? 1 : r;
}

/* A replica doing what none of its siblings did in the window is more suspicious than one doing what
 * the others do too (a new version's behaviour, a configuration change). */
static double disagreement(struct model_registry *reg, struct model *m, const struct rt_event *ev,
                           uint64_t hash, uint64_t now, unsigned *ret_repeats) {
        struct recent_dev *same = NULL;
        const char *cid = ev->container ? ev->container->id : "";
        size_t siblings = 0;
        char seen[RECENT_MAX][16];
        size_t n_seen = 0;
        for (size_t i = 0; i < RECENT_MAX; i++) {
                struct recent_dev *r = &m->recent[i];
                if (r->hash != hash || !r->when || now - r->when > reg->o.replica_window_ms)
                        continue;
                if (strneq(r->container, cid, 12)) {
                        same = r; /* a repeat keeps one slot, so it cannot push the siblings out */
                        continue;
                }
                bool dup = false;
                for (size_t k = 0; k < n_seen && !dup; k++)
                        dup = streq(seen[k], r->container);
                if (!dup) {
                        memcpy(seen[n_seen++], r->container, 16);
                        siblings++;
                }
        }
        if (same) {
                same->when = now;
                *ret_repeats = ++same->repeats;
                return 1.0 / (1.0 + (double) siblings);
        }
        struct recent_dev *r = &m->recent[m->recent_pos++ % RECENT_MAX];
        r->hash = hash;
        r->when = now;
        r->repeats = 0;
        *ret_repeats = 0;
        snprintf(r->container, sizeof r->container, "%.12s", cid);
        return 1.0 / (1.0 + (double) siblings);
}

/* Scores the deviation whose out->observed is filled; true when it is reported (the caller then fills
 * out->expected, which costs a walk of the table: not done for what is not reported). */
static bool verdict_fill(struct model_registry *reg, struct model *m, const struct rt_event *ev,
                         struct model_verdict *out, enum model_kind kind, double novelty, double rarity,
                         bool block) {
        /* the mode is part of it: a deviation seen in monitor is news again in protect */
        uint64_t h = hash_bytes(out->observed, strlen(out->observed)) ^ (uint64_t) kind ^
                     ((uint64_t) m->mode << 8);
        unsigned repeats = 0;
        double dis = disagreement(reg, m, ev, h, ev->time_ns / 1000000, &repeats);
        double score = novelty * rarity * dis;
        if (score < reg->o.threshold && !block) {
                out->observed[0] = 0;
                return false;
        }
        out->deviation = true;
        out->kind = kind;
        out->mode = m->mode;
        out->block = block;
        out->novelty = novelty;
        out->rarity = rarity;
        out->disagreement = dis;
        out->score = score;
        out->repeats = repeats;
        out->rule_id = kind == MODEL_KIND_PROCESS ? "model.process"
                       : kind == MODEL_KIND_FILE  ? "model.file"
                                                  : "model.network";
        snprintf(out->image, sizeof out->image, "%s", m->key);
        return true;
}

/* "a, b, c (+N more)" of the second field of entries whose first field is `first` (edges), or of the
 * first fields of all process entries when first is NULL. */
static void list_known(struct model *m, enum mtable t, const char *prefix, char *out, size_t outlen) {
        size_t n, k = 0, shown = 0, more = 0;
        _cleanup_free_ struct mentry **v = model_sorted_(m, t, &n);
        out[0] = 0;
        if (!v)
                return;
        for (size_t i = 0; i < n; i++) {
                const char *key = v[i]->key;
                size_t pl = prefix ? strlen(prefix) : 0;
                if (prefix && !(strneq(key, prefix, pl) && (key[pl] == KEY_SEP || key[pl] == 0)))
                        continue;
                const char *s = prefix ? key + pl + (key[pl] == KEY_SEP) : key;
                size_t sl = strcspn(s, "\x1f");
                if (shown >= 8 || k + sl + 8 >= outlen) {
                        more++;
                        continue;
                }
                k += (size_t) snprintf(out + k, outlen - k, "%s%.*s", shown ? ", " : "", (int) sl, s);
                shown++;
        }
        if (more && k < outlen)
                snprintf(out + k, outlen - k, " (+%zu more)", more);
        if (!shown)
                snprintf(out, outlen, "nothing");
}

/* The container runtime's own processes run in the container's cgroup too: runc (or crun) setting up a
 * new container, the shim starting `docker exec`. What they do is the engine's, not the image's. (A
 * program inside the container that calls itself runc is caught at its exec, which is the image's.) */
static bool is_runtime_exe(const char *exe) {
        if (!exe)
                return false;
        const char *b = strrchr(exe, '/');
        b = b ? b + 1 : exe;
        return streq(b, "runc") || streq(b, "crun") || streq(b, "youki") || streq(b, "conmon") ||
               strneq(b, "containerd-shim", 15);
}

static int observe_exec(struct model_registry *reg, struct model *m, const struct rt_event *ev, uint64_t now,
                        struct model_verdict *out) {
        const char *raw = ev->u.exec.exe ? ev->u.exec.exe : ev->u.exec.filename;
        const char *grand = NULL;
        char pkey[PATH_MAX * 2 + 32], ekey[PATH_MAX * 2 + 2], skey[PATH_MAX * 3 + 3], eb[PATH_MAX],
                pb[PATH_MAX];
        if (!raw || raw[0] != '/' || !raw[1] || is_runtime_exe(raw))
                return 0;
        const char *exe = sanitize(raw, eb, sizeof eb);
        /* started from outside (the container's entry point, `docker exec`): no parent in the image */
        const char *pr = ev->u.exec.parent_exe;
        const char *parent = sanitize(pr && !is_runtime_exe(pr) ? pr : "", pb, sizeof pb);

        /* the exec chain: the parent's own parent exe, when the parent's exec was seen */
        struct chain *pc = &reg->chains[ev->proc.ppid % CHAIN_SLOTS];
        if (pc->pid == ev->proc.ppid && pc->exe && streq(pc->exe, parent))
                grand = pc->parent;
        struct chain *c = &reg->chains[ev->proc.pid % CHAIN_SLOTS];
        char *ne = strdup(exe), *np = strdup(parent);
        if (ne && np) {
                free(c->exe);
                free(c->parent);
                c->pid = ev->proc.pid;
                c->exe = ne;
                c->parent = np;
        } else {
                free(ne);
                free(np);
        }

        snprintf(pkey, sizeof pkey, "%s%c%s%c%" PRIu32, exe, KEY_SEP, parent, KEY_SEP, ev->u.exec.euid);
        snprintf(ekey, sizeof ekey, "%s%c%s", parent, KEY_SEP, exe);
        if (grand)
                snprintf(skey, sizeof skey, "%s%c%s%c%s", grand, KEY_SEP, parent, KEY_SEP, exe);
        m->exec_obs++;

        if (m->mode == MODEL_LEARN) {
                int a = model_put_(m, T_PROC, pkey, 1, now, now, 0, false, NULL);
                int b = model_put_(m, T_EDGE, ekey, 1, now, now, 0, false, NULL);
                int s = grand ? model_put_(m, T_SEQ, skey, 1, now, now, 0, false, NULL) : 0;
                if (a < 0 && a != -ENOSPC)
                        return a;
                if (a == 1 || b == 1 || s == 1)
                        m->last_growth = now;
                return 0;
        }

        struct mentry *pe = hashmap_get(m->t[T_PROC], pkey);
        struct mentry *ee = hashmap_get(m->t[T_EDGE], ekey);
        struct mentry *se = grand ? hashmap_get(m->t[T_SEQ], skey) : NULL;
        bool exe_known = hashmap_get(m->exes, exe) != NULL;
        if (pe)
                bump(m, T_PROC, pe, now);
        if (ee)
                bump(m, T_EDGE, ee, now);
        if (se)
                bump(m, T_SEQ, se, now);
        if (!out || (pe && ee && (se || !grand)))
                return 0;

        double novelty = !exe_known ? 1.0 : !ee ? 0.6 : !pe ? 0.5 : 0.3;
        double r_edge = rarity_of(ee ? ee->count : 0, m->total[T_EDGE]);
        double r_seq = grand ? rarity_of(se ? se->count : 0, m->total[T_SEQ]) : 0;
        double rarity = 0.5 + 0.5 * MAX(r_edge, r_seq);

        if (!exe_known)
                snprintf(out->observed, sizeof out->observed, "exec %s by %s (uid %" PRIu32 ")", exe,
                         parent[0] ? parent : "(outside)", ev->u.exec.euid);
        else if (!ee)
                snprintf(out->observed, sizeof out->observed, "%s → %s (uid %" PRIu32 ")",
                         parent[0] ? parent : "(outside)", exe, ev->u.exec.euid);
        else if (!pe)
                snprintf(out->observed, sizeof out->observed, "%s → %s as uid %" PRIu32, parent, exe,
                         ev->u.exec.euid);
        else
                snprintf(out->observed, sizeof out->observed, "%s → %s → %s", grand, parent, exe);
        if (!verdict_fill(reg, m, ev, out, MODEL_KIND_PROCESS, novelty, rarity,
                          m->mode == MODEL_PROTECT && !exe_known))
                return 0;
        char known[400];
        if (!exe_known) {
                list_known(m, T_EDGE, parent, known, sizeof known);
                snprintf(out->expected, sizeof out->expected, "children of %s: %s",
                         parent[0] ? parent : "(outside)", known);
        } else if (!ee) {
                list_known(m, T_EDGE, parent, known, sizeof known);
                snprintf(out->expected, sizeof out->expected, "children of %s: %s",
                         parent[0] ? parent : "(outside)", known);
        } else if (!pe) {
                list_known(m, T_PROC, exe, known, sizeof known);
                snprintf(out->expected, sizeof out->expected, "%s runs with parent/uid: %s", exe, known);
        } else
                snprintf(out->expected, sizeof out->expected, "the sequence %s → %s → %s was never seen",
                         grand, parent, exe);
        return 0;
}

static struct mentry *file_lookup(struct model *m, const char *pattern, const char *path) {
        struct mentry *e = hashmap_get(m->t[T_FILE], pattern);
        if (e)
                return e;
        char dir[PATH_MAX], star[PATH_MAX + 2];
        dirname_of(pattern, dir, sizeof dir);
        struct dirinfo *di = hashmap_get(m->dirs, dir);
        if (di && di->collapsed) {
                snprintf(star, sizeof star, "%s/*", dir);
                e = hashmap_get(m->t[T_FILE], star);
                if (e)
                        return e;
        }
        if (!m->wildcards)
                return NULL;
        const char *k;
        HASHMAP_FOREACH (k, e, m->t[T_FILE], i)
                if (strchr(k, '*') && (model_pattern_match(k, pattern) || model_pattern_match(k, path)))
                        return e;
        return NULL;
}

static void access_text(uint32_t acc, char *out, size_t outlen) {
        size_t k = 0;
        out[0] = 0;
        for (int i = 0; i < 6; i++)
                if (acc & (1u << i))
                        k += (size_t) snprintf(out + k, outlen > k ? outlen - k : 0, "%s%s", k ? "," : "",
                                               macc_names[i]);
        if (!k)
                snprintf(out, outlen, "none");
}

static int observe_path(struct model_registry *reg, struct model *m, const struct rt_event *ev,
                        const char *path, uint32_t acc, uint64_t now, struct model_verdict *out) {
        char pattern[PATH_MAX], dir[PATH_MAX], star[PATH_MAX + 2], clean[PATH_MAX];
        if (!path || path[0] != '/' || !acc)
                return 0;
        path = sanitize(path, clean, sizeof clean);
        model_collapse_path(path, pattern, sizeof pattern);
        m->file_obs++;
        if (m->mode == MODEL_LEARN) {
                dirname_of(pattern, dir, sizeof dir);
                struct dirinfo *di = hashmap_get(m->dirs, dir);
                if (di && di->collapsed && snprintf(star, sizeof star, "%s/*", dir) < (int) sizeof star &&
                    hashmap_get(m->t[T_FILE], star)) {
                        int r = model_put_(m, T_FILE, star, 1, now, now, acc, false, NULL);
                        if (r > 0)
                                m->last_growth = now;
                        return r == -ENOSPC ? 0 : MIN(r, 0);
                }
                int r = model_put_(m, T_FILE, pattern, 1, now, now, acc, false, NULL);
                if (r < 0)
                        return r == -ENOSPC ? 0 : r;
                if (r > 0)
                        m->last_growth = now;
                if (r == 1) {
                        di = hashmap_get(m->dirs, dir);
                        if (di && !di->collapsed && di->names > MODEL_DIR_FANOUT && dir[0])
                                return collapse_dir(m, di);
                }
                return 0;
        }
        struct mentry *e = file_lookup(m, pattern, path);
        if (e && (e->extra & acc) == acc) {
                bump(m, T_FILE, e, now);
                return 0;
        }
        if (!out)
                return 0;
        char a[64], known[400];
        access_text(acc, a, sizeof a);
        snprintf(out->observed, sizeof out->observed, "%s %s", a, path);
        if (!verdict_fill(reg, m, ev, out, MODEL_KIND_FILE, e ? 0.5 : 1.0,
                          0.5 + 0.5 * rarity_of(0, m->total[T_FILE]), false))
                return 0;
        if (e) {
                access_text(e->extra, known, sizeof known);
                snprintf(out->expected, sizeof out->expected, "%s: %s", e->key, known);
        } else {
                dirname_of(pattern, dir, sizeof dir);
                size_t n, k = 0, shown = 0;
                _cleanup_free_ struct mentry **v = model_sorted_(m, T_FILE, &n);
                known[0] = 0;
                for (size_t i = 0; v && i < n && shown < 6; i++) {
                        char d2[PATH_MAX];
                        dirname_of(v[i]->key, d2, sizeof d2);
                        if (!streq(d2, dir) || k + strlen(v[i]->key) + 4 >= sizeof known)
                                continue;
                        k += (size_t) snprintf(known + k, sizeof known - k, "%s%s", shown ? ", " : "",
                                               v[i]->key);
                        shown++;
                }
                snprintf(out->expected, sizeof out->expected, "files in %.200s/: %s", dir,
                         shown ? known : "nothing");
        }
        return 0;
}

static const char *proto_name(int protocol, int sock_type, char *buf, size_t len) {
        if (protocol == IPPROTO_TCP || (protocol == 0 && sock_type == SOCK_STREAM))
                return "tcp";
        if (protocol == IPPROTO_UDP || (protocol == 0 && sock_type == SOCK_DGRAM))
                return "udp";
        snprintf(buf, len, "proto%d", protocol);
        return buf;
}

/* "10.1.2.0/24" or "fd00:1::/64"; false for addresses that are not IP. */
static bool peer_cidr(int family, const uint8_t addr[16], char *out, size_t outlen) {
        uint8_t a[16];
        char text[INET6_ADDRSTRLEN];
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
                family = AF_INET;
                memcpy(a, addr + 12, 4);
        } else
                memcpy(a, addr, family == AF_INET ? 4 : 16);
        if (family == AF_INET) {
                a[3] = 0;
                if (!inet_ntop(AF_INET, a, text, sizeof text))
                        return false;
                snprintf(out, outlen, "%s/24", text);
                return true;
        }
        if (family == AF_INET6) {
                memset(a + 8, 0, 8);
                if (!inet_ntop(AF_INET6, a, text, sizeof text))
                        return false;
                snprintf(out, outlen, "%s/64", text);
                return true;
        }
        return false;
}

static int observe_net(struct model_registry *reg, struct model *m, const struct rt_event *ev, uint64_t now,
                       struct model_verdict *out) {
        char key[160], cidr[80], pb[16];
        enum mtable t;
        const char *proto = proto_name(ev->u.net.protocol, ev->u.net.sock_type, pb, sizeof pb);
        const char *what;

        switch (ev->type) {
        case RT_EV_CONNECT:
                if (ev->result < 0 && ev->result != -EINPROGRESS)
                        return 0;
                if (!peer_cidr(ev->u.net.remote.family, ev->u.net.remote.addr, cidr, sizeof cidr))
                        return 0;
                snprintf(key, sizeof key, "%s %s %u", proto, cidr, ev->u.net.remote.port);
                t = T_OUT;
                what = "connect";
                break;
        case RT_EV_ACCEPT:
                if (ev->result < 0 ||
                    !peer_cidr(ev->u.net.remote.family, ev->u.net.remote.addr, cidr, sizeof cidr))
                        return 0;
                snprintf(key, sizeof key, "%s %s %u", proto, cidr, ev->u.net.local.port);
                t = T_IN;
                what = "accept";
                break;
        case RT_EV_LISTEN:
        case RT_EV_BIND:
                if (ev->result < 0 ||
                    (ev->u.net.local.family != AF_INET && ev->u.net.local.family != AF_INET6))
                        return 0;
                /* a TCP port counts when it listens; UDP has no listen, its bind is the listening */
                if (ev->type == RT_EV_BIND && !streq(proto, "udp"))
                        return 0;
                if (ev->type == RT_EV_LISTEN && !ev->u.net.local.port)
                        return 0;
                if (ev->type == RT_EV_BIND && !ev->u.net.local.port)
                        return 0;
                snprintf(key, sizeof key, "%s %u", proto, ev->u.net.local.port);
                t = T_LISTEN;
                what = "listen";
                break;
        default: return 0;
        }
        m->net_obs++;
        if (m->mode == MODEL_LEARN) {
                int r = model_put_(m, t, key, 1, now, now, 0, false, NULL);
                if (r == 1)
                        m->last_growth = now;
                return r < 0 && r != -ENOSPC ? r : 0;
        }
        struct mentry *e = hashmap_get(m->t[t], key);
        if (e) {
                bump(m, t, e, now);
                return 0;
        }
        if (!out)
                return 0;
        /* same peer network on another port is less novel than a new network */
        bool known_peer = false;
        const char *k;
        struct mentry *x;
        size_t plen = strlen(proto) + 1 + strlen(cidr);
        HASHMAP_FOREACH (k, x, m->t[t], i) {
                if (t != T_LISTEN && strneq(k, key, plen) && k[plen] == ' ')
                        known_peer = true;
        }
        if (t == T_LISTEN)
                snprintf(out->observed, sizeof out->observed, "listen %s port %u", proto,
                         ev->u.net.local.port);
        else
                snprintf(out->observed, sizeof out->observed, "%s %s %s port %u (%s)", what, proto, cidr,
                         t == T_OUT ? ev->u.net.remote.port : ev->u.net.local.port,
                         t == T_OUT ? "outbound" : "inbound");
        if (!verdict_fill(reg, m, ev, out, MODEL_KIND_NETWORK, known_peer ? 0.6 : 1.0,
                          0.5 + 0.5 * rarity_of(0, m->total[t]), m->mode == MODEL_PROTECT && t != T_IN))
                return 0;
        char known[400];
        list_known(m, t, NULL, known, sizeof known);
        snprintf(out->expected, sizeof out->expected, "%s: %s",
                 t == T_LISTEN ? "listening"
                 : t == T_OUT  ? "outbound"
                               : "inbound",
                 known);
        return 0;
}

static uint32_t open_access(unsigned a) {
        uint32_t acc = 0;
        if (a & RT_ACCESS_PATH)
                return 0;
        if (a & RT_ACCESS_READ)
                acc |= MACC_READ;
        if (a & (RT_ACCESS_WRITE | RT_ACCESS_TRUNC | RT_ACCESS_APPEND))
                acc |= MACC_WRITE;
        if (a & (RT_ACCESS_CREATE | RT_ACCESS_TMPFILE))
                acc |= MACC_CREATE;
        return acc;
}

int model_observe(struct model_registry *reg, const struct rt_event *ev, struct model_verdict *out) {
        if (out)
                memset(out, 0, sizeof *out);
        switch (ev->type) {
        case RT_EV_EXEC:
        case RT_EV_OPEN:
        case RT_EV_UNLINK:
        case RT_EV_RENAME:
        case RT_EV_CHMOD:
        case RT_EV_CONNECT:
        case RT_EV_ACCEPT:
        case RT_EV_BIND:
        case RT_EV_LISTEN: break;
        default: return 0;
        }
        if (!model_image_key(ev->container))
                return 0;
        if (ev->type != RT_EV_EXEC && is_runtime_exe(ev->proc.exe))
                return 0;
        uint64_t now = ev->time_ns ? ev->time_ns / 1000000 : now_ms();
        int r = 0;
        pthread_mutex_lock(&reg->lock);
        struct model *m = model_for(reg, ev->container, now);
        if (!m) {
                pthread_mutex_unlock(&reg->lock);
                return 0;
        }
        m->observations++;
        m->last_seen = now;
        m->dirty = true;
        /* the union's file member only for file events */
        const char *fp = ev->type == RT_EV_OPEN || ev->type == RT_EV_UNLINK || ev->type == RT_EV_RENAME ||
                                         ev->type == RT_EV_CHMOD
                                 ? (ev->u.file.full_path && ev->u.file.full_path[0] ? ev->u.file.full_path
                                                                                    : ev->u.file.path)
                                 : NULL;
        switch (ev->type) {
        case RT_EV_EXEC: r = observe_exec(reg, m, ev, now, out); break;
        case RT_EV_OPEN:
                if (ev->result >= 0)
                        r = observe_path(reg, m, ev, fp, open_access(ev->u.file.access), now, out);
                break;
        case RT_EV_UNLINK:
                if (ev->result >= 0)
                        r = observe_path(reg, m, ev, fp, MACC_UNLINK, now, out);
                break;
        case RT_EV_CHMOD:
                if (ev->result >= 0)
                        r = observe_path(reg, m, ev, fp, MACC_CHMOD, now, out);
                break;
        case RT_EV_RENAME:
                if (ev->result >= 0) {
                        r = observe_path(reg, m, ev, fp, MACC_RENAME, now, out);
                        if (r >= 0 && (!out || !out->deviation))
                                r = observe_path(reg, m, ev, ev->u.file.new_path, MACC_CREATE, now, out);
                }
                break;
        default: r = observe_net(reg, m, ev, now, out); break;
        }
        pthread_mutex_unlock(&reg->lock);
        return r;
}

bool model_exec_allowed(struct model_registry *reg, const char *image_key, const char *exe) {
        bool ok = true;
        char clean[PATH_MAX];
        if (!reg || !image_key || !exe)
                return true;
        exe = sanitize(exe, clean, sizeof clean);
        pthread_mutex_lock(&reg->lock);
        struct model *m = hashmap_get(reg->models, image_key);
        if (m && m->mode == MODEL_PROTECT)
                ok = hashmap_get(m->exes, exe) != NULL;
        pthread_mutex_unlock(&reg->lock);
        return ok;
}

bool model_connect_allowed(struct model_registry *reg, const char *image_key, int family,
                           const uint8_t addr[16], uint16_t port, int protocol) {
        char cidr[80], key[160], pb[16];
        bool ok = true;
        if (!reg || !image_key)
                return true;
        if (!peer_cidr(family, addr, cidr, sizeof cidr))
                return true;
        snprintf(key, sizeof key, "%s %s %u", proto_name(protocol, 0, pb, sizeof pb), cidr, port);
        pthread_mutex_lock(&reg->lock);
        struct model *m = hashmap_get(reg->models, image_key);
        if (m && m->mode == MODEL_PROTECT)
                ok = hashmap_get(m->t[T_OUT], key) != NULL;
        pthread_mutex_unlock(&reg->lock);
        return ok;
}

int model_tick(struct model_registry *reg, uint64_t now, bool force) {
        int changed = 0, r = 0;
        const char *k;
        struct model *m;
        pthread_mutex_lock(&reg->lock);
        HASHMAP_FOREACH (k, m, reg->models, i) {
                if (m->mode != MODEL_LEARN)
                        continue;
                if (now < m->learn_start + reg->o.learn_for_ms || now < m->last_growth + reg->o.stability_ms)
                        continue;
                m->mode = reg->o.auto_protect ? MODEL_PROTECT : MODEL_MONITOR;
                m->last_change = now;
                m->dirty = true;
                changed++;
        }
        if (changed || force || now >= reg->last_flush + MODEL_FLUSH_MS) {
                r = mstore_flush(reg, NULL);
                if (r >= 0)
                        reg->last_flush = now;
        }
        pthread_mutex_unlock(&reg->lock);
        return r < 0 ? r : changed;
}

static bool key_matches(const char *key, const char *q) {
        size_t ql = strlen(q);
        if (ql < 12)
                return false;
        const char *h = strstr(key, "sha256:");
        const char *hex = h ? h + 7 : key;
        return strneq(key, q, ql) || strneq(hex, q, ql) ||
               (strneq(q, "sha256:", 7) && h && strneq(h, q, ql));
}

int model_find(struct model_registry *reg, const char *query, char *ret_key, size_t keylen) {
        const char *k;
        struct model *m, *found = NULL;
        int r = -ENOENT;
        pthread_mutex_lock(&reg->lock);
        m = hashmap_get(reg->models, query);
        if (m)
                found = m;
        else {
                size_t n = 0;
                HASHMAP_FOREACH (k, m, reg->models, i)
                        if (streq(m->name, query) || key_matches(k, query)) {
                                found = m;
                                n++;
                        }
                if (n > 1)
                        r = -EEXIST, found = NULL;
        }
        if (found) {
                snprintf(ret_key, keylen, "%s", found->key);
                r = 0;
        }
        pthread_mutex_unlock(&reg->lock);
        return r;
}

static void set_mode_locked(struct model *m, enum model_mode mode, uint64_t now) {
        if (m->mode == mode)
                return;
        if (mode == MODEL_LEARN)
                m->learn_start = m->last_growth = now;
        m->mode = mode;
        m->last_change = now;
        m->dirty = true;
}

int model_set_mode(struct model_registry *reg, const char *key, enum model_mode mode) {
        if ((unsigned) mode >= _MODEL_MODE_MAX)
                return -EINVAL;
        pthread_mutex_lock(&reg->lock);
        struct model *m = hashmap_get(reg->models, key);
        int r = -ENOENT;
        if (m) {
                set_mode_locked(m, mode, now_ms());
                r = mstore_flush(reg, m);
        }
        pthread_mutex_unlock(&reg->lock);
        return r < 0 ? r : 0;
}

int model_get_mode(struct model_registry *reg, const char *key, enum model_mode *ret) {
        pthread_mutex_lock(&reg->lock);
        struct model *m = hashmap_get(reg->models, key);
        if (m)
                *ret = m->mode;
        pthread_mutex_unlock(&reg->lock);
        return m ? 0 : -ENOENT;
}

int model_set_mode_all(struct model_registry *reg, enum model_mode mode) {
        const char *k;
        struct model *m;
        int n = 0;
        if ((unsigned) mode >= _MODEL_MODE_MAX)
                return -EINVAL;
        pthread_mutex_lock(&reg->lock);
        uint64_t now = now_ms();
        HASHMAP_FOREACH (k, m, reg->models, i) {
                set_mode_locked(m, mode, now);
                n++;
        }
        int r = mstore_flush(reg, NULL);
        pthread_mutex_unlock(&reg->lock);
        return r < 0 ? r : n;
}

static int cmp_summary(const void *a, const void *b) {
        return strcmp(((const struct model_summary *) a)->key, ((const struct model_summary *) b)->key);
}

int model_list(struct model_registry *reg, struct model_summary **ret) {
        const char *k;
        struct model *m;
        pthread_mutex_lock(&reg->lock);
        size_t n = hashmap_size(reg->models), i = 0;
        struct model_summary *v = calloc(n ? n : 1, sizeof *v);
        if (!v) {
                pthread_mutex_unlock(&reg->lock);
                return -ENOMEM;
        }
        HASHMAP_FOREACH (k, m, reg->models, it) {
                struct model_summary *s = &v[i++];
                snprintf(s->key, sizeof s->key, "%s", m->key);
                snprintf(s->name, sizeof s->name, "%s", m->name);
                s->mode = m->mode;
                s->learn_start_ms = m->learn_start;
                s->last_growth_ms = m->last_growth;
                s->last_seen_ms = m->last_seen;
                s->observations = m->observations;
                s->overflow = m->overflow;
                s->processes = hashmap_size(m->t[T_PROC]);
                s->edges = hashmap_size(m->t[T_EDGE]);
                s->sequences = hashmap_size(m->t[T_SEQ]);
                s->files = hashmap_size(m->t[T_FILE]);
                s->listen = hashmap_size(m->t[T_LISTEN]);
                s->outbound = hashmap_size(m->t[T_OUT]);
                s->inbound = hashmap_size(m->t[T_IN]);
        }
        pthread_mutex_unlock(&reg->lock);
        qsort_safe(v, i, sizeof *v, cmp_summary);
        *ret = v;
        return (int) i;
}

int model_export_yaml(struct model_registry *reg, const char *key, struct buf *out) {
        pthread_mutex_lock(&reg->lock);
        struct model *m = hashmap_get(reg->models, key);
        int r = m ? policy_yaml_emit(m, out) : -ENOENT;
        pthread_mutex_unlock(&reg->lock);
        return r;
}

int model_export_json(struct model_registry *reg, const char *key, struct buf *out) {
        pthread_mutex_lock(&reg->lock);
        struct model *m = hashmap_get(reg->models, key);
        int r = m ? policy_json_emit(m, out) : -ENOENT;
        pthread_mutex_unlock(&reg->lock);
        return r;
}

int model_apply_yaml(struct model_registry *reg, const char *data, size_t len, const char *name,
                     struct diag *d, char *ret_key, size_t keylen) {
        _cleanup_(model_free_p) struct model *nm = NULL;
        int r = policy_yaml_parse(data, len, name, d, &nm);
        if (r < 0)
                return r;
        pthread_mutex_lock(&reg->lock);
        struct model *old = hashmap_get(reg->models, nm->key);
        if (!old && hashmap_size(reg->models) >= MODEL_MAX_MODELS) {
                pthread_mutex_unlock(&reg->lock);
                return diag_error(d, -ENOSPC, "%s: too many models (at most %d)", name, MODEL_MAX_MODELS);
        }
        nm->rewrite = nm->dirty = true;
        if (old) {
                nm->last_seen = old->last_seen;
                nm->observations = old->observations;
                if (!nm->name[0]) {
                        char *n = strdup(old->name);
                        if (n) {
                                free(nm->name);
                                nm->name = n;
                        }
                }
        }
        nm->last_change = now_ms();
        /* written first: if the database refuses, the model in memory stays as it was */
        r = mstore_flush(reg, nm);
        if (r < 0) {
                pthread_mutex_unlock(&reg->lock);
                return diag_error(d, r, "%s: cannot write the model to '%s': %s", name, reg->db_path,
                                  strerror(-r));
        }
        if (old) {
                hashmap_remove(reg->models, old->key);
                model_free_(old);
        }
        r = hashmap_put(reg->models, nm->key, nm, NULL);
        if (r >= 0 && ret_key)
                snprintf(ret_key, keylen, "%s", nm->key);
        if (r >= 0)
                TAKE_PTR(nm);
        pthread_mutex_unlock(&reg->lock);
        return r < 0 ? r : 0;
}
