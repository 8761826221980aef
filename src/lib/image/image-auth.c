/* SPDX-License-Identifier: Apache-2.0 */
/* Registry authentication helpers: WWW-Authenticate challenges (RFC 7235) and where credentials come
 * from. Header values and config files are untrusted text: lengths and counts are capped, and anything
 * that does not follow the grammar is refused rather than guessed at. */

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

#include "core/json-util.h"
#include "image-internal.h"
#include "image-remote.h"
#include "path-util.h"

#define DOCKER_CONFIG_MAX (1 * MiB)
#define CRED_MAX          4096 /* longest username, password or token we take from a config */

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *p, size_t n) {
        const unsigned char *s = p;
        if (n > SIZE_MAX / 2)
                return NULL;
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) s[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t) s[i + 1] << 8;
                if (i + 2 < n)
                        v |= s[i + 2];
                *o++ = b64[(v >> 18) & 63];
                *o++ = b64[(v >> 12) & 63];
                *o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
                *o++ = i + 2 < n ? b64[v & 63] : '=';
        }
        *o = 0;
        return out;
}

static int b64_value(char c) {
        const char *p = c ? strchr(b64, c) : NULL;
        return p ? (int) (p - b64) : -1;
}

int base64_decode(const char *s, char **ret, size_t *ret_len) {
        size_t n = strlen(s);
        if (n % 4 != 0)
                return -EBADMSG;
        char *out = malloc(n / 4 * 3 + 1);
        size_t k = 0;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i += 4) {
                int v[4];
                bool last = i + 4 == n;
                for (int j = 0; j < 4; j++) {
                        v[j] = b64_value(s[i + j]);
                        /* '=' only as padding at the very end: "xx==" or "xxx=". */
                        if (v[j] < 0 &&
                            !(s[i + j] == '=' && last && j >= 2 && (j == 3 || s[i + 3] == '='))) {
                                free(out);
                                return -EBADMSG;
                        }
                }
                uint32_t x = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12;
                out[k++] = (char) (x >> 16);
                if (v[2] >= 0) {
                        x |= (uint32_t) v[2] << 6;
                        out[k - 1] = (char) (x >> 16);
                        out[k++] = (char) (x >> 8);
                        if (v[3] >= 0) {
                                x |= (uint32_t) v[3];
                                out[k++] = (char) x;
                        }
                } else if (v[3] >= 0) {
                        free(out);
                        return -EBADMSG;
                }
        }
        out[k] = 0;
        *ret = out;
        *ret_len = k;
        return 0;
}

/* ---- WWW-Authenticate ---- */

static bool is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_t68char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("-._~+/", c));
}

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static size_t token_len(const char *p) {
        size_t n = 0;
        while (is_tchar(p[n]))
                n++;
        return n;
}

static char *lower_ndup(const char *p, size_t n) {
        char *s = strndup(p, n);
        if (s)
                for (char *q = s; *q; q++)
                        if (*q >= 'A' && *q <= 'Z')
                                *q = (char) (*q + 32);
        return s;
}

void auth_challenges_free(struct auth_challenge *c, size_t n) {
        for (size_t i = 0; c && i < n; i++) {
                free(c[i].scheme);
                free(c[i].token68);
                for (size_t j = 0; j < c[i].n_params; j++) {
                        free(c[i].params[j].name);
                        free(c[i].params[j].value);
                }
        }
        free(c);
}

const char *auth_challenge_param(const struct auth_challenge *c, const char *name) {
        for (size_t i = 0; i < c->n_params; i++)
                if (strcasecmp(c->params[i].name, name) == 0)
                        return c->params[i].value;
        return NULL;
}

/* A quoted-string starting at p (on the '"'): unescapes into a malloc'd string, sets *end after it. */
static int parse_quoted(const char *p, char **ret, const char **end) {
        size_t n = 0;
        char *out = malloc(strlen(p) + 1);
        if (!out)
                return -ENOMEM;
        for (p++;; p++) {
                if (!*p) {
                        free(out);
                        return -EBADMSG;
                }
                if (*p == '"')
                        break;
                if (*p == '\\') {
                        p++;
                        if (!*p) {
                                free(out);
                                return -EBADMSG;
                        }
                }
                if ((unsigned char) *p < 0x20 && *p != '\t') {
                        free(out);
                        return -EBADMSG;
                }
                out[n++] = *p;
        }
        out[n] = 0;
        *ret = out;
        *end = p + 1;
        return 0;
}

/* True when p starts a parameter ("name" BWS "="), not a new challenge ("scheme" SP …). */
static bool starts_param(const char *p) {
        size_t n = token_len(p);
        if (n == 0)
                return false;
        p = skip_ws(p + n);
        return *p == '=';
}

static int parse_challenges(const char *p, struct auth_challenge *v, size_t *n) {
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (!*p)
                        return 0;
                if (*n >= AUTH_MAX_CHALLENGES)
                        return -E2BIG;
                size_t tl = token_len(p);
                if (tl == 0)
                        return -EBADMSG;
                struct auth_challenge *c = &v[(*n)++];
                c->scheme = lower_ndup(p, tl);
                if (!c->scheme)
                        return -ENOMEM;
                p += tl;
                if (*p && *p != ' ' && *p != '\t' && *p != ',')
                        return -EBADMSG;
                p = skip_ws(p);
                if (!*p || *p == ',')
                        continue; /* a scheme without parameters */

                /* token68: chars, '=' padding, then the end of the challenge. */
                const char *q = p;
                while (is_t68char(*q))
                        q++;
                if (q > p) {
                        const char *e = q;
                        while (*e == '=')
                                e++;
                        const char *after = skip_ws(e);
                        if (!*after || *after == ',') {
                                c->token68 = strndup(p, (size_t) (e - p));
                                if (!c->token68)
                                        return -ENOMEM;
                                p = after;
                                continue;
                        }
                }

                /* auth-params */
                for (;;) {
                        size_t nl = token_len(p);
                        if (nl == 0)
                                return -EBADMSG;
                        if (c->n_params >= AUTH_MAX_PARAMS)
                                return -E2BIG;
                        struct auth_param *ap = &c->params[c->n_params];
                        ap->name = lower_ndup(p, nl);
                        if (!ap->name)
                                return -ENOMEM;
                        c->n_params++;
                        p = skip_ws(p + nl);
                        if (*p != '=')
                                return -EBADMSG;
                        p = skip_ws(p + 1);
                        if (*p == '"') {
                                int r = parse_quoted(p, &ap->value, &p);
                                if (r < 0)
                                        return r;
                        } else {
                                size_t vl = token_len(p);
                                if (vl == 0)
                                        return -EBADMSG;
                                ap->value = strndup(p, vl);
                                if (!ap->value)
                                        return -ENOMEM;
                                p += vl;
                        }
                        p = skip_ws(p);
                        if (!*p)
                                return 0;
                        if (*p != ',')
                                return -EBADMSG;
                        while (*p == ' ' || *p == '\t' || *p == ',')
                                p++;
                        if (!*p)
                                return 0;
                        if (!starts_param(p))
                                break; /* the next challenge */
                }
        }
}

int www_authenticate_parse(const char *value, struct auth_challenge **challenges, size_t *n) {
        if (strnlen(value, AUTH_HEADER_MAX + 1) > AUTH_HEADER_MAX)
                return -E2BIG;
        if (*n >= AUTH_MAX_CHALLENGES)
                return -E2BIG;
        struct auth_challenge *v = calloc(AUTH_MAX_CHALLENGES, sizeof *v);
        size_t k = *n;
        if (!v)
                return -ENOMEM;
        /* Parse into a scratch array after the existing entries, so a failure appends nothing. */
        int r = parse_challenges(value, v, &k);
        if (r < 0 || k > AUTH_MAX_CHALLENGES) {
                auth_challenges_free(v, MIN(k, (size_t) AUTH_MAX_CHALLENGES));
                return r < 0 ? r : -E2BIG;
        }
        size_t added = k - *n;
        /* parse_challenges() filled v[*n … k) (its count started at *n): move them to the caller's array. */
        struct auth_challenge *dst = realloc(*challenges, (*n + added + 1) * sizeof *dst);
        if (!dst) {
                auth_challenges_free(v, k);
                return -ENOMEM;
        }
        memcpy(dst + *n, v + *n, added * sizeof *dst);
        free(v);
        *challenges = dst;
        *n += added;
        return 0;
}

/* ---- credentials ---- */

void registry_credentials_done(struct registry_credentials *c) {
        if (!c)
                return;
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        if (c->identity_token)
                explicit_bzero(c->identity_token, strlen(c->identity_token));
        free(c->username);
        free(c->password);
        free(c->identity_token);
        free(c->origin);
        *c = (struct registry_credentials){0};
}

/* "https://Index.Docker.io/v1/" -> "index.docker.io"; "localhost:5000" stays. */
static void normalize_key(const char *key, char *out, size_t outlen) {
        if (strncasecmp(key, "https://", 8) == 0)
                key += 8;
        else if (strncasecmp(key, "http://", 7) == 0)
                key += 7;
        size_t k = 0;
        for (; *key && *key != '/' && k + 1 < outlen; key++)
                out[k++] = (char) (*key >= 'A' && *key <= 'Z' ? *key + 32 : *key);
        out[k] = 0;
}

static bool is_docker_hub(const char *host) {
        return streq(host, "docker.io") || streq(host, "index.docker.io") ||
               streq(host, "registry-1.docker.io");
}

static bool key_matches(const char *key, const char *registry) {
        char k[512], r[512];
        normalize_key(key, k, sizeof k);
        normalize_key(registry, r, sizeof r);
        if (streq(k, r))
                return true;
        return is_docker_hub(k) && is_docker_hub(r);
}

static int entry_credentials(json_t *e, struct registry_credentials *ret, const char **ret_why) {
        const char *auth = json_get_str(e, "auth");
        const char *user = json_get_str(e, "username");
        const char *pass = json_get_str(e, "password");
        const char *idt = json_get_str(e, "identitytoken");
        struct registry_credentials c = {0};

        if ((auth && strlen(auth) > CRED_MAX * 2) || (user && strlen(user) > CRED_MAX) ||
            (pass && strlen(pass) > CRED_MAX) || (idt && strlen(idt) > CRED_MAX * 4)) {
                *ret_why = "a credential is too long";
                return -EBADMSG;
        }
        if (auth && *auth) {
                _cleanup_free_ char *dec = NULL;
                size_t len;
                if (base64_decode(auth, &dec, &len) < 0) {
                        *ret_why = "its 'auth' is not base64";
                        return -EBADMSG;
                }
                char *colon = memchr(dec, ':', len);
                if (!colon || memchr(dec, 0, len)) {
                        explicit_bzero(dec, len);
                        *ret_why = "its 'auth' is not user:password";
                        return -EBADMSG;
                }
                c.username = strndup(dec, (size_t) (colon - dec));
                c.password = strdup(colon + 1);
                explicit_bzero(dec, len);
                if (!c.username || !c.password) {
                        registry_credentials_done(&c);
                        return -ENOMEM;
                }
        } else if (user && *user) {
                c.username = strdup(user);
                c.password = strdup(pass ? pass : "");
                if (!c.username || !c.password) {
                        registry_credentials_done(&c);
                        return -ENOMEM;
                }
        }
        if (idt && *idt) {
                c.identity_token = strdup(idt);
                if (!c.identity_token) {
                        registry_credentials_done(&c);
                        return -ENOMEM;
                }
        }
        if (!c.username && !c.identity_token)
                return -ENOENT; /* an empty entry: docker login with a credential store leaves these */
        *ret = c;
        return 0;
}

int docker_config_lookup(const char *data, size_t len, const char *registry,
                         struct registry_credentials *ret, const char **ret_why, char **ret_helper) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        json_error_t err;

        *ret_helper = NULL;
        if (len > DOCKER_CONFIG_MAX) {
                *ret_why = "it is too large";
                return -EBADMSG;
        }
        j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
        if (!j || !json_is_object(j)) {
                *ret_why = "it is not a JSON object";
                return -EBADMSG;
        }

        json_t *auths = json_get_obj(j, "auths");
        if (auths) {
                /* An exact key first, then any key that names the same host. */
                for (int pass = 0; pass < 2; pass++) {
                        const char *key;
                        json_t *e;
                        json_object_foreach(auths, key, e) {
                                if (pass == 0 ? !streq(key, registry) : !key_matches(key, registry))
                                        continue;
                                if (!json_is_object(e)) {
                                        *ret_why = "its auths entry is not an object";
                                        return -EBADMSG;
                                }
                                int r = entry_credentials(e, ret, ret_why);
                                if (r != -ENOENT)
                                        return r;
                        }
                }
        }

        json_t *helpers = json_get_obj(j, "credHelpers");
        const char *helper = NULL;
        if (helpers) {
                const char *key;
                json_t *e;
                json_object_foreach(helpers, key, e) {
                        if (key_matches(key, registry) && json_is_string(e)) {
                                helper = json_string_value(e);
                                break;
                        }
                }
        }
        if (!helper)
                helper = json_get_str(j, "credsStore");
        if (helper && *helper) {
                *ret_helper = strndup(helper, 64);
                if (!*ret_helper)
                        return -ENOMEM;
        }
        return -ENOENT;
}

static int read_small_file(const char *path, size_t cap, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t) st.st_size > cap)
                return -E2BIG;
        char *buf = malloc((size_t) st.st_size + 1);
        size_t got = 0;
        if (!buf)
                return -ENOMEM;
        while (got < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + got, (size_t) st.st_size - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                got += (size_t) k;
        }
        buf[got] = 0;
        *ret = buf;
        *ret_len = got;
        return 0;
}

static char *docker_config_path(void) {
        const char *dir = getenv("DOCKER_CONFIG");
        char *p = NULL;
        if (dir && *dir)
                return asprintf(&p, "%s/config.json", dir) < 0 ? NULL : p;
        const char *home = getenv("HOME");
        if (!home || !*home) {
                struct passwd pw, *res = NULL;
                char buf[4096];
                if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) != 0 || !res)
                        return NULL;
                return asprintf(&p, "%s/.docker/config.json", res->pw_dir) < 0 ? NULL : p;
        }
        return asprintf(&p, "%s/.docker/config.json", home) < 0 ? NULL : p;
}

static int set_creds(struct registry_credentials *ret, const char *user, const char *pass,
                     const char *origin) {
        struct registry_credentials c = {
                .username = strdup(user),
                .password = strdup(pass ? pass : ""),
                .origin = strdup(origin),
        };
        if (!c.username || !c.password || !c.origin) {
                registry_credentials_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

int registry_credentials_find(const struct image_source_options *opts, const char *registry, struct diag *d,
                              struct registry_credentials *ret) {
        if (opts && opts->username && *opts->username)
                return set_creds(ret, opts->username, opts->password, "options");
        const char *eu = getenv("STOCKADE_REGISTRY_USERNAME");
        if (eu && *eu)
                return set_creds(ret, eu, getenv("STOCKADE_REGISTRY_PASSWORD"), "environment");

        _cleanup_free_ char *path = docker_config_path(), *data = NULL, *helper = NULL;
        size_t len;
        const char *why = NULL;
        if (!path)
                return -ENOENT;
        int r = read_small_file(path, DOCKER_CONFIG_MAX, &data, &len);
        if (r == -ENOENT || r == -ENOTDIR)
                return -ENOENT;
        if (r < 0)
                return diag_error(d, r, "cannot read docker config '%s': %s", path, strerror(-r));
        struct registry_credentials c = {0};
        r = docker_config_lookup(data, len, registry, &c, &why, &helper);
        explicit_bzero(data, len);
        if (r == -EBADMSG)
                return diag_error(d, r, "docker config '%s' is malformed for '%s': %s", path, registry, why);
        if (r == -ENOENT && helper)
                diag_warn(d,
                          "credentials for '%s' may be held by docker-credential-%s, which stockade does "
                          "not run; "
                          "set STOCKADE_REGISTRY_USERNAME and STOCKADE_REGISTRY_PASSWORD instead",
                          registry, helper);
        if (r < 0)
                return r;
        c.origin = strdup(path);
        if (!c.origin) {
                registry_credentials_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}
