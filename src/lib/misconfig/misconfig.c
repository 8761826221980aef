/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "misconfig.h"
#include "path-util.h"

enum {
        CHK_ROOT_USER,
        CHK_NO_HEALTHCHECK,
        CHK_SSHD,
        CHK_PORT_22,
        CHK_SECRET_IN_CONFIG,
        CHK_SENSITIVE_ENV,
        CHK_ADD_REMOTE,
        CHK_ADD,
        CHK_SETUID,
        CHK_WORLD_WRITABLE,
        CHK_PKG_CACHE,
        CHK_UPDATE_ALONE,
        _CHK_MAX,
};

static const struct misconfig_check_info checks[_CHK_MAX] = {
        [CHK_ROOT_USER] = { "STK-IMG-001", "4.1", SEV_HIGH, "image runs as root",
                            "create an unprivileged user in the Dockerfile and switch to it with USER" },
        [CHK_NO_HEALTHCHECK] = { "STK-IMG-002", "4.6", SEV_LOW, "no HEALTHCHECK instruction",
                                 "add a HEALTHCHECK instruction that probes the service" },
        [CHK_SSHD] = { "STK-IMG-003", "4.3", SEV_MEDIUM, "SSH server installed in the image",
                       "remove the SSH server; use `docker exec` for access (CIS 5.6: do not run sshd in containers)" },
        [CHK_PORT_22] = { "STK-IMG-004", NULL, SEV_MEDIUM, "SSH port 22 exposed",
                          "remove EXPOSE 22; containers should not offer SSH" },
        [CHK_SECRET_IN_CONFIG] = { "STK-IMG-005", "4.10", SEV_CRITICAL, "secret stored in the image configuration",
                                   "pass secrets at run time (secrets mounts, environment from a vault), never in "
                                   "ENV, ARG, LABEL or RUN lines; rotate the exposed secret" },
        [CHK_SENSITIVE_ENV] = { "STK-IMG-006", "4.10", SEV_HIGH, "credential-like variable set in ENV or ARG",
                                "do not bake credentials into the image: provide them at run time" },
        [CHK_ADD_REMOTE] = { "STK-IMG-007", "4.9", SEV_MEDIUM, "ADD fetches a remote URL",
                             "download with a verified checksum in a RUN step, or COPY a vetted file" },
        [CHK_ADD] = { "STK-IMG-008", "4.9", SEV_LOW, "ADD used instead of COPY",
                      "use COPY for local files; ADD silently unpacks archives" },
        [CHK_SETUID] = { "STK-IMG-009", "4.8", SEV_LOW, "setuid/setgid file",
                         "remove the setuid/setgid bits unless the program needs them: "
                         "RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +" },
        [CHK_WORLD_WRITABLE] = { "STK-IMG-010", NULL, SEV_MEDIUM, "world-writable file in a system path",
                                 "remove write permission for others (chmod o-w)" },
        [CHK_PKG_CACHE] = { "STK-IMG-011", NULL, SEV_LOW, "package manager cache left in the image",
                            "clean the cache in the same RUN step that installs (e.g. rm -rf /var/lib/apt/lists/*, "
                            "apk add --no-cache, pip install --no-cache-dir, npm cache clean --force)" },
        [CHK_UPDATE_ALONE] = { "STK-IMG-012", "4.7", SEV_LOW, "package index update in a step of its own",
                               "combine the update with the install in one RUN step so the cache does not go stale" },
};

const struct misconfig_check_info *misconfig_checks(size_t *ret_n) {
        *ret_n = _CHK_MAX;
        return checks;
}

struct ctx {
        const struct misconfig_input *in;
        struct arena *a;
        struct misconfig_vec *out;
        int error;
};

static void add(struct ctx *c, int check, const char *path, int layer, const char *fmt, ...) _printf_(5, 6);
static struct misconfig_finding *last_added(struct ctx *c) {
        return c->error || c->out->n == 0 ? NULL : &c->out->items[c->out->n - 1];
}
static void add(struct ctx *c, int check, const char *path, int layer, const char *fmt, ...) {
        if (c->error)
                return;
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        for (char *p = msg; *p; p++)
                if ((unsigned char) *p < 0x20)
                        *p = ' ';
        struct misconfig_finding *f = VEC_NEW(c->out);
        if (!f) {
                c->error = -ENOMEM;
                return;
        }
        const struct misconfig_check_info *k = &checks[check];
        *f = (struct misconfig_finding){
                .id = k->id,
                .cis = k->cis,
                .title = k->title,
                .severity = k->severity,
                .message = arena_strdup(c->a, msg),
                .remediation = k->remediation,
                .path = path ? arena_strdup(c->a, path) : NULL,
                .layer = layer,
        };
        if (!f->message || (path && !f->path))
                c->error = -ENOMEM;
}

/* ---- configuration ---- */

static bool user_is_root(const char *u) {
        if (!u || !u[0])
                return true;
        size_t n = strcspn(u, ":");
        return (n == 4 && strneq(u, "root", 4)) || (n == 1 && u[0] == '0');
}

static bool is_placeholder(const char *v) {
        if (!v[0])
                return true;
        if (v[0] == '$' || (v[0] == '<' && v[strlen(v) - 1] == '>'))
                return true;
        static const char *const words[] = { "changeme", "change-me", "example", "password", "secret", "none",
                                             "null", "xxx", "xxxx", "***", "dummy", "todo", "true", "false" };
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasecmp(v, words[i]) == 0)
                        return true;
        return false;
}

/* Names that say "this holds a credential"; not NAME_FILE, NAME_PATH … (those point at one). */
static bool sensitive_name(const char *name, size_t n) {
        static const char *const words[] = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "API_KEY",
                                             "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL", "AUTH_KEY" };
        char up[256];
        n = MIN(n, sizeof up - 1);
        for (size_t i = 0; i < n; i++)
                up[i] = (char) toupper((unsigned char) name[i]);
        up[n] = 0;
        if (str_has_suffix(up, "_FILE") || str_has_suffix(up, "_PATH") || str_has_suffix(up, "_DIR") ||
            (str_has_suffix(up, "_URL") && !strstr(up, "PASSWORD")))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strstr(up, words[i]))
                        return true;
        return false;
}

/* Whether the secret scanner already reported this configuration field. */
static bool secret_in_field(struct ctx *c, const char *field) {
        for (size_t i = 0; c->in->secrets && i < c->in->secrets->n; i++) {
                const struct secret_finding *s = &c->in->secrets->items[i];
                if (s->where == LOC_CONFIG && streq(s->path, field))
                        return true;
        }
        return false;
}

static void check_assignment(struct ctx *c, const char *where, const char *kv) {
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
                return;
        size_t nl = (size_t) (eq - kv);
        if (!sensitive_name(kv, nl))
                return;
        if (is_placeholder(eq + 1))
                return;
        add(c, CHK_SENSITIVE_ENV, NULL, -1, "%s sets %.*s (value hidden, %zu characters)", where, (int) MIN(nl, (size_t) 100),
            kv, strlen(eq + 1));
}

/* Classic-builder RUN lines record build args as "|N K=V K=V /bin/sh -c …". */
static void check_history_args(struct ctx *c, size_t i, const char *created_by) {
        const char *p = created_by;
        if (*p != '|')
                return;
        char *end;
        long n = strtol(p + 1, &end, 10);
        if (end == p + 1 || n <= 0 || n > 100)
                return;
        p = end;
        for (long k = 0; k < n; k++) {
                while (*p == ' ')
                        p++;
                size_t len = strcspn(p, " ");
                if (len == 0)
                        break;
                char kv[512];
                snprintf(kv, sizeof kv, "%.*s", (int) MIN(len, sizeof kv - 1), p);
                char where[64];
                snprintf(where, sizeof where, "ARG in history[%zu]", i);
                check_assignment(c, where, kv);
                p += len;
        }
}

static bool contains_word(const char *s, const char *w) {
        size_t n = strlen(w);
        for (const char *p = s; (p = strstr(p, w)); p++)
                if ((p == s || !isalnum((unsigned char) p[-1])) && !isalnum((unsigned char) p[n]))
                        return true;
        return false;
}

static void check_config(struct ctx *c) {
        const struct image *img = c->in->image;
        const struct image_config *cfg = &img->config;

        if (user_is_root(cfg->user))
                add(c, CHK_ROOT_USER, NULL, -1, "the image's USER is %s", cfg->user && cfg->user[0] ? cfg->user : "not set (root)");
        if (!cfg->healthcheck || !cfg->healthcheck[0] || strcasecmp(cfg->healthcheck[0], "NONE") == 0)
                add(c, CHK_NO_HEALTHCHECK, NULL, -1, "the image defines no health check");
        for (const char **p = cfg->exposed_ports; p && *p; p++)
                if (streq(*p, "22/tcp") || streq(*p, "22"))
                        add(c, CHK_PORT_22, NULL, -1, "the image exposes %s", *p);
        for (size_t i = 0; cfg->env && cfg->env[i]; i++) {
                char field[64];
                snprintf(field, sizeof field, "config.Env[%zu]", i);
                if (!secret_in_field(c, field)) /* reported below, with the secret's own severity */
                        check_assignment(c, "ENV", cfg->env[i]);
        }

        /* Secrets the secret scanner found in the configuration. */
        for (size_t i = 0; c->in->secrets && i < c->in->secrets->n; i++) {
                const struct secret_finding *s = &c->in->secrets->items[i];
                if (s->where != LOC_CONFIG)
                        continue;
                add(c, CHK_SECRET_IN_CONFIG, NULL, -1, "%s in %s (rule %s)", s->title ? s->title : "secret", s->path,
                    s->rule_id);
                struct misconfig_finding *f = last_added(c);
                if (f) /* as severe as the secret itself */
                        f->severity = s->severity;
        }

        size_t layer = 0;
        for (size_t i = 0; i < cfg->n_history; i++) {
                const struct image_history *h = &cfg->history[i];
                int li = h->empty_layer ? -1 : (int) layer;
                if (!h->empty_layer)
                        layer++;
                const char *cb = h->created_by;
                if (!cb)
                        continue;
                check_history_args(c, i, cb);
                const char *add_at = strstr(cb, "ADD ");
                if (add_at && (contains_word(cb, "#(nop)") || strstr(cb, "# buildkit") || add_at == cb)) {
                        const char *src = add_at + 4;
                        while (*src == ' ')
                                src++;
                        if (strneq(src, "--", 2)) /* ADD --chown=… src */
                                src += strcspn(src, " "), src += strspn(src, " ");
                        if (strneq(src, "http://", 7) || strneq(src, "https://", 8))
                                add(c, CHK_ADD_REMOTE, NULL, li, "history[%zu]: %.200s", i, add_at);
                        else if (!strneq(src, "file:", 5) && !strneq(src, "dir:", 4) && !strneq(src, "multi:", 6))
                                add(c, CHK_ADD, NULL, li, "history[%zu]: %.200s", i, add_at);
                }
                bool update = strstr(cb, "apt-get update") || strstr(cb, "apt update") || strstr(cb, "apk update") ||
                              strstr(cb, "yum makecache") || strstr(cb, "dnf makecache");
                bool install = strstr(cb, " install") || strstr(cb, "apk add") || strstr(cb, "upgrade");
                if (update && !install)
                        add(c, CHK_UPDATE_ALONE, NULL, li, "history[%zu] updates the package index without installing: %.200s",
                            i, cb);
        }
}

/* ---- filesystem ---- */

static bool system_path(const char *p) {
        static const char *const dirs[] = { "bin", "sbin", "usr", "lib", "lib32", "lib64", "libx32", "etc", "opt", "boot" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (path_is_under(p, dirs[i]))
                        return true;
        return false;
}

struct cache_kind {
        const char *name;
        const char *prefix; /* a path under which files are cache */
        const char *skip;   /* basename to ignore (lock files) */
        size_t files;
        uint64_t bytes;
        int layer;
};

struct fs_state {
        struct ctx *c;
        struct cache_kind caches[8];
        size_t n_caches;
        VEC(const char *) setuid;
};

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int fs_visit(void *userdata, const char *path, const struct view_entry *e) {
        struct fs_state *s = userdata;
        const struct layer_file *f = e->file;
        if (!f)
                return 0;
        if (f->kind == LF_REG && (f->mode & 06000))
                if (VEC_PUSH(&s->setuid, path) < 0)
                        return -ENOMEM;
        if ((f->kind == LF_REG || f->kind == LF_DIR) && (f->mode & 0002) && system_path(path) &&
            !(f->kind == LF_DIR && (f->mode & 01000)))
                add(s->c, CHK_WORLD_WRITABLE, path, e->layer, "'/%s' is %s writable by everyone (mode %04o)", path,
                    f->kind == LF_DIR ? "a directory" : "a file", f->mode & 07777);
        if (f->kind == LF_REG)
                for (size_t i = 0; i < s->n_caches; i++) {
                        struct cache_kind *k = &s->caches[i];
                        if (!path_is_under(path, k->prefix) || streq(path, k->prefix))
                                continue;
                        if (k->skip && streq(path_basename(path), k->skip))
                                continue;
                        k->files++;
                        k->bytes += f->size;
                        k->layer = MAX(k->layer, e->layer);
                }
        return 0;
}

static void check_filesystem(struct ctx *c) {
        const struct view *v = c->in->view;
        struct fs_state s = { .c = c };
        static const struct { const char *name, *prefix, *skip; } caches[] = {
                { "apt package lists", "var/lib/apt/lists", "lock" },
                { "apt package archives", "var/cache/apt/archives", "lock" },
                { "apk cache", "var/cache/apk", NULL },
                { "pip cache", "root/.cache/pip", NULL },
                { "npm cache", "root/.npm/_cacache", NULL },
                { "yum cache", "var/cache/yum", NULL },
                { "dnf cache", "var/cache/dnf", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(caches); i++)
                s.caches[s.n_caches++] = (struct cache_kind){ caches[i].name, caches[i].prefix, caches[i].skip, 0, 0, -1 };

        int r = view_foreach(v, fs_visit, &s);
        if (r < 0) {
                c->error = r;
                VEC_FREE(&s.setuid);
                return;
        }
        qsort_safe(s.setuid.items, s.setuid.n, sizeof *s.setuid.items, cmp_str);
        VEC_FOREACH(p, &s.setuid) {
                const struct view_entry *e = view_lookup(v, *p);
                add(c, CHK_SETUID, *p, e ? e->layer : -1, "'/%s' is %s%s%s (mode %04o)", *p,
                    (e->file->mode & 04000) ? "setuid" : "", (e->file->mode & 06000) == 06000 ? " and " : "",
                    (e->file->mode & 02000) ? "setgid" : "", e->file->mode & 07777);
        }
        VEC_FREE(&s.setuid);
        for (size_t i = 0; i < s.n_caches; i++) {
                const struct cache_kind *k = &s.caches[i];
                if (k->files > 0)
                        add(c, CHK_PKG_CACHE, k->prefix, k->layer, "%s: %zu files, %llu bytes under '/%s'", k->name,
                            k->files, (unsigned long long) k->bytes, k->prefix);
        }

        /* An SSH server: the binary, or a package that ships it. */
        char res[PATH_MAX_IMAGE + 1];
        const char *sshd = NULL;
        int sshd_layer = -1;
        if (view_resolve(v, "usr/sbin/sshd", res) == 0 && view_lookup(v, res)) {
                sshd = "/usr/sbin/sshd";
                sshd_layer = view_lookup(v, res)->layer;
        }
        for (size_t i = 0; !sshd && c->in->pkgs && i < c->in->pkgs->n; i++) {
                const struct pkg *p = &c->in->pkgs->items[i];
                if (pkg_type_is_os(p->type) && (streq(p->name, "openssh-server") || streq(p->name, "dropbear"))) {
                        sshd = p->name;
                        sshd_layer = p->layer;
                }
        }
        if (sshd)
                add(c, CHK_SSHD, NULL, sshd_layer, "%s is present", sshd);
}

static int cmp_finding(const void *a, const void *b) {
        return misconfig_compare(a, b);
}

int misconfig_check(const struct misconfig_input *in, struct arena *a, struct misconfig_vec *out) {
        struct ctx c = { .in = in, .a = a, .out = out };
        if (in->image && in->image->config_raw)
                check_config(&c);
        if (in->view)
                check_filesystem(&c);
        if (c.error)
                return c.error;
        qsort_safe(out->items, out->n, sizeof *out->items, cmp_finding);
        return 0;
}
