/* SPDX-License-Identifier: Apache-2.0 */
/* registry:REF — pull from an OCI distribution (v2) registry, without writing anything to disk.
 *
 * open() fetches and verifies the small documents: the manifest (or index, then the manifest for the
 * wanted platform), then the config. Every one is fetched by digest where a digest is known and hashed
 * by us in any case; the Docker-Content-Digest header is only checked against our own hash, never
 * trusted. open_layer() then streams a layer blob straight from the registry (or the storage it
 * redirects to) into the caller's reader, hashing it on the way: the stream ends with an error, not EOF,
 * when the bytes do not match the digest or the size the manifest promised.
 *
 * Authentication follows the registry's challenge: anonymous first, then bearer tokens from the realm it
 * names (cached per scope until they expire, shared by all layer threads) or basic credentials. */

#include <pthread.h>
#include <time.h>

#include "core/json-util.h"
#include "image-internal.h"
#include "image-remote.h"
#include "path-util.h"

#define MAX_INDEX_DEPTH    4
#define TOKEN_RESPONSE_MAX (1 * MiB)
#define TOKEN_MAX          (64 * KiB)
#define TOKEN_MIN_LIFETIME 60 /* seconds; the distribution spec's default */
#define MAX_TOKENS         8

static const char *const manifest_accept[] = {
        "Accept: " MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST,
        NULL,
};

/* ---- references ---- */

static bool is_alnum_lower(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_ok(const char *p, size_t n) {
        size_t i = 0;
        if (n == 0 || !is_alnum_lower(p[0]) || !is_alnum_lower(p[n - 1]))
                return false;
        while (i < n) {
                if (is_alnum_lower(p[i])) {
                        i++;
                        continue;
                }
                size_t j = i;
                if (p[i] == '.') {
                        j = i + 1;
                } else if (p[i] == '_') {
                        j = i + 1 < n && p[i + 1] == '_' ? i + 2 : i + 1;
                } else if (p[i] == '-') {
                        while (j < n && p[j] == '-')
                                j++;
                } else
                        return false;
                if (j >= n || !is_alnum_lower(p[j]))
                        return false;
                i = j;
        }
        return true;
}

static bool label_ok(const char *p, size_t n) {
        if (n == 0 || n > 63)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                bool an = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!an && !(c == '-' && i > 0 && i + 1 < n))
                        return false;
        }
        return true;
}

/* host[:port], host a DNS name, an IPv4 address or a bracketed IPv6 address. */
static bool domain_ok(const char *p, size_t n) {
        size_t host_end = n;
        if (n == 0)
                return false;
        if (p[0] == '[') {
                const char *close = memchr(p, ']', n);
                if (!close || close == p + 1)
                        return false;
                for (const char *q = p + 1; q < close; q++)
                        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
                              (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
                                return false;
                host_end = (size_t) (close - p) + 1;
                if (host_end < n && p[host_end] != ':')
                        return false;
        } else {
                const char *colon = memchr(p, ':', n);
                if (colon)
                        host_end = (size_t) (colon - p);
                size_t start = 0;
                for (size_t i = 0; i <= host_end; i++)
                        if (i == host_end || p[i] == '.') {
                                if (!label_ok(p + start, i - start))
                                        return false;
                                start = i + 1;
                        }
        }
        if (host_end < n) {
                size_t digits = n - host_end - 1;
                if (digits == 0 || digits > 5)
                        return false;
                unsigned port = 0;
                for (size_t i = host_end + 1; i < n; i++) {
                        if (p[i] < '0' || p[i] > '9')
                                return false;
                        port = port * 10 + (unsigned) (p[i] - '0');
                }
                if (port == 0 || port > 65535)
                        return false;
        }
        return true;
}

static bool tag_ok(const char *t) {
        size_t n = strlen(t);
        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = t[i];
                bool w = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '_';
                if (!w && (i == 0 || (c != '.' && c != '-')))
                        return false;
        }
        return true;
}

void image_reference_done(struct image_reference *r) {
        if (!r)
                return;
        free(r->domain);
        free(r->repository);
        free(r->tag);
        free(r->digest);
        *r = (struct image_reference){0};
}

int image_reference_parse(const char *s, struct image_reference *ret, const char **ret_why) {
        _cleanup_free_ char *copy = NULL;
        struct image_reference r = {0};
        const char *why = NULL;
        int err = -EINVAL;

        if (!s || !*s) {
                *ret_why = "it is empty";
                return -EINVAL;
        }
        if (strlen(s) > REF_MAX) {
                *ret_why = "it is too long";
                return -EINVAL;
        }
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;

        char *at = strchr(copy, '@');
        if (at) {
                *at++ = 0;
                if (digest_is_valid_sha256(at))
                        r.digest = strdup(at);
                else if (!str_has_prefix(at, "sha256:") && digest_looks_like_digest(at)) {
                        *ret_why = "only sha256 digests are supported";
                        return -EPROTONOSUPPORT;
                } else {
                        *ret_why = "the digest is malformed";
                        return -EINVAL;
                }
                if (!r.digest)
                        return -ENOMEM;
        }

        /* The tag is after the last ':' that follows the last '/' (a port's ':' comes before a '/'). */
        char *slash = strrchr(copy, '/');
        char *colon = strrchr(slash ? slash : copy, ':');
        if (colon) {
                *colon++ = 0;
                if (!tag_ok(colon)) {
                        why = "the tag is malformed";
                        goto fail;
                }
                r.tag = strdup(colon);
                if (!r.tag)
                        goto oom;
        }

        const char *path = copy;
        char *first = strchr(copy, '/');
        if (first) {
                size_t dl = (size_t) (first - copy);
                bool has_upper = false;
                for (size_t i = 0; i < dl; i++)
                        has_upper |= copy[i] >= 'A' && copy[i] <= 'Z';
                if (memchr(copy, '.', dl) || memchr(copy, ':', dl) || memchr(copy, '[', dl) ||
                    (dl == 9 && strneq(copy, "localhost", 9)) || has_upper) {
                        if (!domain_ok(copy, dl)) {
                                why = "the registry host is malformed";
                                goto fail;
                        }
                        r.domain = strndup(copy, dl);
                        path = first + 1;
                }
        }
        if (!r.domain)
                r.domain = strdup("docker.io");
        if (!r.domain)
                goto oom;
        /* Lowercase the host (DNS names are case-insensitive), unless an uppercase letter is all that
         * marks it as a host: "Myhost/app" lowercased would read as the repository "myhost/app". */
        if (strpbrk(r.domain, ".:[") || strcasecmp(r.domain, "localhost") == 0)
                for (char *p = r.domain; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p + 32);
        if (streq(r.domain, "index.docker.io")) {
                free(r.domain);
                r.domain = strdup("docker.io");
                if (!r.domain)
                        goto oom;
        }

        if (!*path) {
                why = "it names no repository";
                goto fail;
        }
        for (const char *p = path;;) {
                const char *e = strchr(p, '/');
                size_t n = e ? (size_t) (e - p) : strlen(p);
                if (!path_component_ok(p, n)) {
                        bool upper = false;
                        for (size_t i = 0; i < n; i++)
                                upper |= p[i] >= 'A' && p[i] <= 'Z';
                        why = upper ? "repository names must be lowercase"
                                    : "the repository name is malformed";
                        goto fail;
                }
                if (!e)
                        break;
                p = e + 1;
        }
        if (streq(r.domain, "docker.io") && !strchr(path, '/')) {
                if (asprintf(&r.repository, "library/%s", path) < 0)
                        r.repository = NULL;
        } else
                r.repository = strdup(path);
        if (!r.repository)
                goto oom;
        if (strlen(r.domain) + 1 + strlen(r.repository) > 255) {
                why = "the name is longer than 255 characters";
                goto fail;
        }
        if (!r.tag && !r.digest) {
                r.tag = strdup("latest");
                if (!r.tag)
                        goto oom;
        }
        *ret = r;
        return 0;

oom:
        image_reference_done(&r);
        return -ENOMEM;
fail:
        image_reference_done(&r);
        *ret_why = why;
        return err;
}

const char *image_reference_api_host(const struct image_reference *r) {
        return streq(r->domain, "docker.io") ? "registry-1.docker.io" : r->domain;
}

char *image_reference_familiar(const struct image_reference *r) {
        char *s = NULL;
        if (streq(r->domain, "docker.io")) {
                const char *p = r->repository;
                if (str_has_prefix(p, "library/") && !strchr(p + 8, '/'))
                        return strdup(p + 8);
                /* "docker.io/a.b/c" must keep its host: "a.b/c" would read as host a.b. */
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : 0;
                if (!slash ||
                    !(memchr(p, '.', n) || memchr(p, ':', n) || (n == 9 && strneq(p, "localhost", 9))))
                        return strdup(p);
        }
        return asprintf(&s, "%s/%s", r->domain, r->repository) < 0 ? NULL : s;
}

char *image_reference_subject(const struct image_reference *r) {
        _cleanup_free_ char *f = image_reference_familiar(r);
        char *s = NULL;
        if (!f)
                return NULL;
        if (r->tag)
                return asprintf(&s, "%s:%s", f, r->tag) < 0 ? NULL : s;
        return asprintf(&s, "%s@%s", f, r->digest) < 0 ? NULL : s;
}

/* ---- the registry client ---- */

enum auth_scheme {
        AUTH_ANONYMOUS,
        AUTH_BASIC,
        AUTH_BEARER,
};

struct token {
        char *scope;
        char *value;
        int64_t expires; /* CLOCK_MONOTONIC seconds */
};

struct registry {
        struct image_source *s;
        struct image_reference ref;
        const char *host; /* where the API is: registry-1.docker.io for docker.io */
        char *base;       /* "https://host" (or http:// when insecure and TLS is not spoken) */
        char *familiar;   /* "localhost:5000/app" */
        char *subject;    /* "localhost:5000/app:1.0" */
        char *scope;      /* "repository:app:pull" */
        struct http_options http;

        /* Shared by the layer threads once open() is done. */
        pthread_mutex_t lock;
        enum auth_scheme scheme;
        char *realm, *service;
        struct token tokens[MAX_TOKENS];
        size_t n_tokens;
        bool creds_looked_up;
        int creds_result;
        struct registry_credentials creds;
};

static int64_t now_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

static void registry_free(struct registry *reg) {
        if (!reg)
                return;
        image_reference_done(&reg->ref);
        free(reg->base);
        free(reg->familiar);
        free(reg->subject);
        free(reg->scope);
        free(reg->realm);
        free(reg->service);
        for (size_t i = 0; i < reg->n_tokens; i++) {
                free(reg->tokens[i].scope);
                if (reg->tokens[i].value)
                        explicit_bzero(reg->tokens[i].value, strlen(reg->tokens[i].value));
                free(reg->tokens[i].value);
        }
        registry_credentials_done(&reg->creds);
        pthread_mutex_destroy(&reg->lock);
        free(reg);
}

/* Called with reg->lock held. */
static int ensure_credentials(struct registry *reg) {
        if (!reg->creds_looked_up) {
                reg->creds_result =
                        registry_credentials_find(reg->s->opts, reg->ref.domain, reg->s->diag, &reg->creds);
                reg->creds_looked_up = true;
        }
        return reg->creds_result;
}

static char *basic_authorization(const struct registry_credentials *c) {
        _cleanup_free_ char *pair = NULL, *enc = NULL;
        char *r = NULL;
        if (asprintf(&pair, "%s:%s", c->username, c->password ? c->password : "") < 0)
                return NULL;
        enc = base64_encode(pair, strlen(pair));
        explicit_bzero(pair, strlen(pair));
        if (!enc)
                return NULL;
        return asprintf(&r, "Basic %s", enc) < 0 ? NULL : r;
}

/* Called with reg->lock held. */
static struct token *find_token(struct registry *reg, const char *scope) {
        for (size_t i = 0; i < reg->n_tokens; i++)
                if (streq(reg->tokens[i].scope, scope))
                        return &reg->tokens[i];
        return NULL;
}

/* The Authorization value to send for a request in scope, or NULL for none. */
static int current_authorization(struct registry *reg, const char *scope, char **ret) {
        char *a = NULL;
        pthread_mutex_lock(&reg->lock);
        if (reg->scheme == AUTH_BASIC && reg->creds.username) {
                a = basic_authorization(&reg->creds);
                if (!a) {
                        pthread_mutex_unlock(&reg->lock);
                        return -ENOMEM;
                }
        } else if (reg->scheme == AUTH_BEARER) {
                struct token *t = find_token(reg, scope);
                if (t && t->value && t->expires > now_sec() && asprintf(&a, "Bearer %s", t->value) < 0) {
                        pthread_mutex_unlock(&reg->lock);
                        return -ENOMEM;
                }
        }
        pthread_mutex_unlock(&reg->lock);
        *ret = a;
        return 0;
}

/* The error for a registry that will not let us in: "refused" when we had credentials, "requires"
 * when we had none (reg->lock held). */
static int credentials_refused(struct registry *reg, long status) {
        int r = ensure_credentials(reg);
        if (r >= 0)
                return diag_error(reg->s->diag, -EACCES, "registry '%s' refused credentials for '%s' (%ld)",
                                  reg->ref.domain, reg->subject, status);
        if (r == -ENOENT)
                return diag_error(
                        reg->s->diag, -EACCES,
                        "registry '%s' requires credentials for '%s' (%ld); none were given (options, "
                        "$STOCKADE_REGISTRY_USERNAME, docker config)",
                        reg->ref.domain, reg->subject, status);
        return r;
}

/* Fetches a bearer token for scope from the realm (reg->lock held). */
static int fetch_token(struct registry *reg, const char *scope) {
        struct image_source *s = reg->s;
        _cleanup_free_ char *url = NULL, *esc_service = NULL, *esc_scope = NULL, *auth = NULL, *post = NULL;
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        struct buf body = BUF_INIT(TOKEN_RESPONSE_MAX);
        char err[512];
        int r;

        r = ensure_credentials(reg);
        if (r < 0 && r != -ENOENT)
                return r;
        bool have_creds = r >= 0;

        esc_scope = http_escape(scope);
        esc_service = reg->service ? http_escape(reg->service) : strdup("");
        if (!esc_scope || !esc_service)
                return -ENOMEM;
        if (have_creds && reg->creds.identity_token) {
                /* OAuth2 refresh token from `docker login` (some registries): POST for an access token. */
                _cleanup_free_ char *esc_tok = http_escape(reg->creds.identity_token);
                if (!esc_tok || asprintf(&post,
                                         "grant_type=refresh_token&client_id=stockade&service=%s&scope=%s"
                                         "&refresh_token=%s",
                                         esc_service, esc_scope, esc_tok) < 0) {
                        post = NULL;
                        return -ENOMEM;
                }
                url = strdup(reg->realm);
        } else {
                if (asprintf(&url, "%s%s%s%s%sscope=%s", reg->realm, strchr(reg->realm, '?') ? "&" : "?",
                             reg->service ? "service=" : "", esc_service, reg->service ? "&" : "",
                             esc_scope) < 0)
                        url = NULL;
                if (have_creds && reg->creds.username) {
                        auth = basic_authorization(&reg->creds);
                        if (!auth)
                                return -ENOMEM;
                }
        }
        if (!url)
                return -ENOMEM;

        static const char *const accept_json[] = {"Accept: application/json", NULL};
        struct http_request req = {
                .url = url,
                .headers = accept_json,
                .authorization = auth,
                .post_body = post,
                .max_body = TOKEN_RESPONSE_MAX,
        };
        r = http_stream_start(&reg->http, &req, err, sizeof err, &st);
        if (post)
                explicit_bzero(post, strlen(post));
        if (r < 0)
                return diag_error(s->diag, r, "cannot get a token for '%s' from '%.200s': %s", reg->subject,
                                  reg->realm, err);
        long status = http_stream_status(st);
        if (status == 401 || status == 403)
                return credentials_refused(reg, status);
        if (status != 200) {
                http_stream_error_text(st, err, sizeof err);
                return diag_error(s->diag, -EIO,
                                  "token server '%.200s' of registry '%s' failed for '%s': %s", reg->realm,
                                  reg->ref.domain, reg->subject, err);
        }
        r = http_stream_read_all(st, &body);
        if (r < 0) {
                buf_free(&body);
                return diag_error(s->diag, r, "cannot read a token for '%s' from '%.200s': %s", reg->subject,
                                  reg->realm, http_stream_error(st));
        }
        r = json_parse_capped(body.data, body.len, TOKEN_RESPONSE_MAX, "token response", s->diag, &j);
        explicit_bzero(body.data, body.len);
        buf_free(&body);
        if (r < 0)
                return r;
        const char *tok = json_get_str(j, "token");
        if (!tok || !*tok)
                tok = json_get_str(j, "access_token");
        if (!tok || !*tok)
                return diag_error(s->diag, -EBADMSG, "token server '%.200s' of registry '%s' sent no token",
                                  reg->realm, reg->ref.domain);
        if (strlen(tok) > TOKEN_MAX)
                return diag_error(s->diag, -E2BIG,
                                  "token server '%.200s' of registry '%s' sent a token that is too long",
                                  reg->realm, reg->ref.domain);
        for (const char *p = tok; *p; p++)
                if ((unsigned char) *p <= 0x20 || *p == 0x7f)
                        return diag_error(s->diag, -EBADMSG,
                                          "token server '%.200s' of registry '%s' sent a token with invalid "
                                          "characters",
                                          reg->realm, reg->ref.domain);
        long long ttl = json_get_int(j, "expires_in", TOKEN_MIN_LIFETIME);
        if (ttl < TOKEN_MIN_LIFETIME)
                ttl = TOKEN_MIN_LIFETIME;
        if (ttl > 24 * 3600)
                ttl = 24 * 3600;

        struct token *t = find_token(reg, scope);
        if (!t) {
                if (reg->n_tokens >= MAX_TOKENS) {
                        /* Scopes are few (one per repository); drop the oldest rather than grow. */
                        free(reg->tokens[0].scope);
                        free(reg->tokens[0].value);
                        memmove(reg->tokens, reg->tokens + 1, (MAX_TOKENS - 1) * sizeof *reg->tokens);
                        reg->n_tokens--;
                }
                t = &reg->tokens[reg->n_tokens];
                *t = (struct token){.scope = strdup(scope)};
                if (!t->scope)
                        return -ENOMEM;
                reg->n_tokens++;
        }
        char *v = strdup(tok);
        if (!v)
                return -ENOMEM;
        if (t->value)
                explicit_bzero(t->value, strlen(t->value));
        free(t->value);
        t->value = v;
        /* Renew a little early, so a token does not expire between check and use. */
        t->expires = now_sec() + ttl - 10;
        return 0;
}

/* A 401 came back: read the challenge and get what it asks for. sent_auth: what the request carried. */
static int handle_challenge(struct registry *reg, struct http_stream *st, const char *scope,
                            const char *sent_auth) {
        struct image_source *s = reg->s;
        struct auth_challenge *ch = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < 4; i++) {
                const char *v = http_stream_header(st, "WWW-Authenticate", i);
                if (!v)
                        break;
                r = www_authenticate_parse(v, &ch, &n);
                if (r == -ENOMEM) {
                        auth_challenges_free(ch, n);
                        return r;
                }
                /* A malformed challenge next to a good one is no reason to give up. */
        }
        const struct auth_challenge *bearer = NULL, *basic = NULL;
        for (size_t i = 0; i < n; i++) {
                if (streq(ch[i].scheme, "bearer") && !bearer)
                        bearer = &ch[i];
                else if (streq(ch[i].scheme, "basic") && !basic)
                        basic = &ch[i];
        }

        pthread_mutex_lock(&reg->lock);
        if (bearer) {
                const char *realm = auth_challenge_param(bearer, "realm");
                const char *service = auth_challenge_param(bearer, "service");
                if (!realm || !(str_has_prefix(realm, "https://") ||
                                (str_has_prefix(realm, "http://") && reg->http.insecure))) {
                        r = diag_error(
                                s->diag, -EPROTO,
                                "registry '%s' asks for a token from '%.200s', which is not an https URL%s",
                                reg->ref.domain, realm ? realm : "(no realm)",
                                realm && str_has_prefix(realm, "http://") ? " (allowed only when insecure)"
                                                                          : "");
                        goto out;
                }
                /* Credentials may go to the realm, so it must not change under us between requests. */
                if (reg->realm && (!streq(reg->realm, realm) || !streq_ptr(reg->service, service))) {
                        r = diag_error(s->diag, -EPROTO, "registry '%s' changed its token realm to '%.200s'",
                                       reg->ref.domain, realm);
                        goto out;
                }
                if (sent_auth && str_has_prefix(sent_auth, "Bearer ")) {
                        /* Another thread may have renewed the token meanwhile: just use that one. */
                        struct token *t = find_token(reg, scope);
                        if (t && t->value && !streq(sent_auth + 7, t->value) && t->expires > now_sec()) {
                                r = 0;
                                goto out;
                        }
                        /* A valid token without the access we need: a new one would say the same. An
                         * expired or revoked one ("invalid_token") is renewed below. */
                        const char *e = auth_challenge_param(bearer, "error");
                        if (e && streq(e, "insufficient_scope")) {
                                r = credentials_refused(reg, 401);
                                goto out;
                        }
                }
                if (!reg->realm) {
                        reg->realm = strdup(realm);
                        reg->service = service ? strdup(service) : NULL;
                        if (!reg->realm || (service && !reg->service)) {
                                r = -ENOMEM;
                                goto out;
                        }
                }
                reg->scheme = AUTH_BEARER;
                r = fetch_token(reg, scope);
                goto out;
        }
        if (basic) {
                r = ensure_credentials(reg);
                if (r == -ENOENT || (r >= 0 && sent_auth && str_has_prefix(sent_auth, "Basic "))) {
                        r = credentials_refused(reg, 401);
                        goto out;
                }
                if (r < 0)
                        goto out;
                if (!reg->creds.username) {
                        r = diag_error(
                                s->diag, -EACCES,
                                "registry '%s' wants a password for '%s', but the credentials from '%s' "
                                "hold only an identity token",
                                reg->ref.domain, reg->subject, reg->creds.origin ? reg->creds.origin : "?");
                        goto out;
                }
                reg->scheme = AUTH_BASIC;
                r = 0;
                goto out;
        }
        r = diag_error(s->diag, -EACCES,
                       "registry '%s' refused access to '%s' (401) without a usable challenge",
                       reg->ref.domain, reg->subject);
out:
        pthread_mutex_unlock(&reg->lock);
        auth_challenges_free(ch, n);
        return r;
}

/* GET in the repository's scope, answering auth challenges. Returns the stream of the final response
 * (any status but 401). */
static int registry_request(struct registry *reg, const char *url, const char *const *headers,
                            uint64_t max_body, const char *what, struct http_stream **ret) {
        struct image_source *s = reg->s;
        char err[512];
        int r;

        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *auth = NULL;
                _cleanup_(http_stream_freep) struct http_stream *st = NULL;
                r = current_authorization(reg, reg->scope, &auth);
                if (r < 0)
                        return r;
                struct http_request req = {
                        .url = url, .headers = headers, .authorization = auth, .max_body = max_body};
                r = http_stream_start(&reg->http, &req, err, sizeof err, &st);
                if (r < 0) {
                        if (r == -E2BIG)
                                return diag_error(
                                        s->diag, r,
                                        "%s of '%s' from registry '%s' is too large (limit %llu bytes)",
                                        what, reg->subject, reg->ref.domain, (unsigned long long) max_body);
                        if (r == -ETIMEDOUT)
                                return diag_error(s->diag, r,
                                                  "registry '%s' timed out serving %s of '%s': %s",
                                                  reg->ref.domain, what, reg->subject, err);
                        return diag_error(s->diag, r, "cannot fetch %s of '%s' from registry '%s': %s", what,
                                          reg->subject, reg->ref.domain, err);
                }
                if (http_stream_status(st) != 401) {
                        *ret = TAKE_PTR(st);
                        return 0;
                }
                if (attempt >= 2) {
                        pthread_mutex_lock(&reg->lock);
                        r = credentials_refused(reg, 401);
                        pthread_mutex_unlock(&reg->lock);
                        return r;
                }
                r = handle_challenge(reg, st, reg->scope, auth);
                if (r < 0)
                        return r;
        }
}

/* True when the registry says it has no such repository (GET /v2/REPO/tags/list → 404 NAME_UNKNOWN). */
static bool repository_unknown(struct registry *reg) {
        _cleanup_free_ char *url = NULL;
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        struct diag quiet, *user = reg->s->diag;
        char msg[512];
        bool unknown = false;

        if (asprintf(&url, "%s/v2/%s/tags/list?n=1", reg->base, reg->ref.repository) < 0)
                return false;
        diag_init(&quiet);
        reg->s->diag = &quiet;
        if (registry_request(reg, url, NULL, 64 * KiB, "the tags", &st) >= 0 &&
            http_stream_status(st) == 404) {
                http_stream_error_text(st, msg, sizeof msg);
                unknown = strstr(msg, "NAME_UNKNOWN") != NULL;
        }
        reg->s->diag = user;
        diag_done(&quiet);
        return unknown;
}

/* Turns a non-2xx response into an error naming what was asked for. */
static int registry_status_error(struct registry *reg, struct http_stream *st, const char *what,
                                 const char *item) {
        struct image_source *s = reg->s;
        long status = http_stream_status(st);
        char msg[512];

        http_stream_error_text(st, msg, sizeof msg);
        switch (status) {
        case 404:
                if (strstr(msg, "NAME_UNKNOWN"))
                        return diag_error(s->diag, -ENOENT,
                                          "repository '%s' not found in registry '%s' (%s)", reg->familiar,
                                          reg->ref.domain, msg);
                if (streq(what, "manifest") &&
                    (streq_ptr(item, reg->ref.tag) || streq_ptr(item, reg->ref.digest))) {
                        /* Registries answer MANIFEST_UNKNOWN for a repository they do not have, too. */
                        if (repository_unknown(reg))
                                return diag_error(s->diag, -ENOENT,
                                                  "repository '%s' not found in registry '%s'",
                                                  reg->familiar, reg->ref.domain);
                        return diag_error(s->diag, -ENOENT, "registry '%s' has no manifest for '%s' (%s)",
                                          reg->ref.domain, reg->subject,
                                          strstr(msg, "MANIFEST_UNKNOWN") ? "404 manifest unknown" : msg);
                }
                return diag_error(s->diag, -ENOENT, "registry '%s' has no %s '%s' of '%s' (%s)",
                                  reg->ref.domain, what, item, reg->subject,
                                  strstr(msg, "MANIFEST_UNKNOWN") ? "404 manifest unknown"
                                  : strstr(msg, "BLOB_UNKNOWN")   ? "404 blob unknown"
                                                                  : msg);
        case 403:
                return diag_error(s->diag, -EACCES, "registry '%s' denied access to '%s' (403): %s",
                                  reg->ref.domain, reg->subject, msg);
        case 429:
                return diag_error(s->diag, -EBUSY, "registry '%s' is rate-limiting pulls of '%s' (429)",
                                  reg->ref.domain, reg->subject);
        default:
                return diag_error(s->diag, -EIO, "registry '%s' failed to serve %s '%s' of '%s': %s",
                                  reg->ref.domain, what, item, reg->subject, msg);
        }
}

static int read_body(struct registry *reg, struct http_stream *st, uint64_t cap, const char *what,
                     const char *item, struct buf *b) {
        int64_t cl = http_stream_content_length(st);
        if (cl >= 0 && (uint64_t) cl > cap)
                return diag_error(reg->s->diag, -E2BIG,
                                  "%s '%s' of '%s' is too large (%lld bytes, limit %llu)", what, item,
                                  reg->subject, (long long) cl, (unsigned long long) cap);
        int r = http_stream_read_all(st, b);
        if (r == -E2BIG)
                return diag_error(reg->s->diag, r, "%s '%s' of '%s' is too large (limit %llu bytes)", what,
                                  item, reg->subject, (unsigned long long) cap);
        if (r < 0)
                return diag_error(reg->s->diag, r, "cannot read %s '%s' of '%s' from registry '%s': %s",
                                  what, item, reg->subject, reg->ref.domain, http_stream_error(st));
        return 0;
}

struct manifest_doc {
        char *data;
        size_t len;
        char digest[DIGEST_STR_MAX];
        char media_type[128]; /* from the body, else the Content-Type */
        bool is_index;
};

static void manifest_doc_done(struct manifest_doc *m) {
        free(m->data);
        m->data = NULL;
}

/* Decides what a manifest document is: its own mediaType (covered by the digest) wins over the
 * Content-Type header (which is not); without either, its shape decides. */
static int classify_manifest(struct registry *reg, struct manifest_doc *m, const char *content_type,
                             const char *item) {
        struct image_source *s = reg->s;
        _cleanup_(json_decrefp) json_t *j = json_loadb(m->data, m->len, 0, NULL);
        char ct[128];

        if (!json_is_object(j))
                return diag_error(s->diag, -EBADMSG, "manifest '%s' of '%s' is not a JSON object", item,
                                  reg->subject);
        http_media_type(content_type, ct, sizeof ct);
        const char *mt = json_get_str(j, "mediaType");
        if (json_get_int(j, "schemaVersion", 0) == 1 ||
            str_has_prefix(ct, "application/vnd.docker.distribution.manifest.v1"))
                return diag_error(s->diag, -EPROTONOSUPPORT,
                                  "manifest '%s' of '%s' uses Docker schema 1, which is not supported", item,
                                  reg->subject);
        snprintf(m->media_type, sizeof m->media_type, "%s", mt ? mt : ct);
        if (streq(m->media_type, MT_OCI_INDEX) || streq(m->media_type, MT_DOCKER_LIST))
                m->is_index = true;
        else if (streq(m->media_type, MT_OCI_MANIFEST) || streq(m->media_type, MT_DOCKER_MANIFEST))
                m->is_index = false;
        else if (json_get_arr(j, "manifests") && !json_get_arr(j, "layers"))
                m->is_index = true;
        else if (json_get_obj(j, "config") && json_get_arr(j, "layers"))
                m->is_index = false;
        else
                return diag_error(s->diag, -EPROTONOSUPPORT,
                                  "manifest '%s' of '%s' has unsupported media type '%.100s'", item,
                                  reg->subject, m->media_type[0] ? m->media_type : "(none)");
        return 0;
}

/* GET /v2/REPO/manifests/REF; expected_digest when the reference or a parent index names it. */
static int fetch_manifest(struct registry *reg, const char *ref, const char *expected_digest,
                          uint64_t expected_size, struct manifest_doc *ret) {
        struct image_source *s = reg->s;
        _cleanup_free_ char *url = NULL;
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        struct buf body = BUF_INIT(META_CAP(s));
        struct manifest_doc m = {0};
        int r;

        if (asprintf(&url, "%s/v2/%s/manifests/%s", reg->base, reg->ref.repository, ref) < 0)
                return -ENOMEM;
        r = registry_request(reg, url, manifest_accept, META_CAP(s), "the manifest", &st);
        if (r < 0)
                return r;
        if (http_stream_status(st) != 200)
                return registry_status_error(reg, st, "manifest", ref);
        r = read_body(reg, st, META_CAP(s), "manifest", ref, &body);
        if (r < 0) {
                buf_free(&body);
                return r;
        }
        m.len = body.len;
        m.data = buf_steal(&body);
        r = sha256_str(m.data, m.len, m.digest);
        if (r < 0)
                goto fail;
        if (expected_digest && !streq(expected_digest, m.digest)) {
                r = diag_error(s->diag, -EBADMSG,
                               "manifest '%s' of '%s' from registry '%s' is corrupt: its digest is %s", ref,
                               reg->subject, reg->ref.domain, m.digest);
                goto fail;
        }
        if (expected_size && expected_size != m.len) {
                r = diag_error(s->diag, -EBADMSG,
                               "manifest '%s' of '%s' from registry '%s' has %zu bytes, its index says %llu",
                               ref, reg->subject, reg->ref.domain, m.len,
                               (unsigned long long) expected_size);
                goto fail;
        }
        const char *dcd = http_stream_header(st, "Docker-Content-Digest", 0);
        if (dcd && str_has_prefix(dcd, "sha256:") && !streq(dcd, m.digest)) {
                r = diag_error(s->diag, -EBADMSG,
                               "manifest '%s' of '%s' from registry '%s' is corrupt: its digest is %s, the "
                               "registry says %.80s",
                               ref, reg->subject, reg->ref.domain, m.digest, dcd);
                goto fail;
        }
        r = classify_manifest(reg, &m, http_stream_header(st, "Content-Type", 0), ref);
        if (r < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        manifest_doc_done(&m);
        return r;
}

static int fetch_config(struct registry *reg, const struct image_descriptor *d) {
        struct image_source *s = reg->s;
        _cleanup_free_ char *url = NULL;
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        struct buf body = BUF_INIT(META_CAP(s));
        int r;

        if (d->size > META_CAP(s))
                return diag_error(s->diag, -E2BIG,
                                  "config '%s' of '%s' is too large (%llu bytes, limit %llu)", d->digest,
                                  reg->subject, (unsigned long long) d->size,
                                  (unsigned long long) META_CAP(s));
        if (asprintf(&url, "%s/v2/%s/blobs/%s", reg->base, reg->ref.repository, d->digest) < 0)
                return -ENOMEM;
        char what[DIGEST_STR_MAX + 16];
        snprintf(what, sizeof what, "config '%s'", d->digest);
        r = registry_request(reg, url, NULL, META_CAP(s), what, &st);
        if (r < 0)
                return r;
        if (http_stream_status(st) != 200)
                return registry_status_error(reg, st, "config", d->digest);
        r = read_body(reg, st, META_CAP(s), "config", d->digest, &body);
        if (r >= 0 && d->size && body.len != d->size)
                r = diag_error(
                        s->diag, -EBADMSG,
                        "config '%s' of '%s' from registry '%s' has %zu bytes, the manifest says %llu",
                        d->digest, reg->subject, reg->ref.domain, body.len, (unsigned long long) d->size);
        if (r >= 0)
                r = image_parse_config(s, body.data ? body.data : "", body.len, d->digest);
        buf_free(&body);
        return r;
}

static bool is_tls_trouble(int r) {
        return r == -EPROTO || r == -ECONNRESET;
}

static int registry_open(struct image_source *s, const char *refstr) {
        struct registry *reg = calloc(1, sizeof *reg);
        struct manifest_doc top = {0}, cur = {0};
        const char *why = "";
        int r;

        if (!reg)
                return -ENOMEM;
        pthread_mutex_init(&reg->lock, NULL);
        reg->s = s;
        s->priv = reg;

        r = image_reference_parse(refstr, &reg->ref, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_error(s->diag, r, "invalid image reference '%.300s': %s", refstr, why);
        reg->host = image_reference_api_host(&reg->ref);
        reg->familiar = image_reference_familiar(&reg->ref);
        reg->subject = image_reference_subject(&reg->ref);
        if (asprintf(&reg->scope, "repository:%s:pull", reg->ref.repository) < 0)
                reg->scope = NULL;
        if (asprintf(&reg->base, "https://%s", reg->host) < 0)
                reg->base = NULL;
        if (!reg->familiar || !reg->subject || !reg->scope || !reg->base)
                return -ENOMEM;
        reg->http.insecure = s->opts && s->opts->insecure;

        /* Probe https first; an insecure registry that answers only plain HTTP is then tried over http. */
        struct diag *user_diag = s->diag;
        if (reg->http.insecure) {
                struct diag quiet;
                diag_init(&quiet);
                s->diag = &quiet;
                r = fetch_manifest(reg, reg->ref.digest ? reg->ref.digest : reg->ref.tag, reg->ref.digest, 0,
                                   &top);
                s->diag = user_diag;
                if (r < 0 && is_tls_trouble(r)) {
                        diag_done(&quiet);
                        free(reg->base);
                        if (asprintf(&reg->base, "http://%s", reg->host) < 0) {
                                reg->base = NULL;
                                return -ENOMEM;
                        }
                        r = fetch_manifest(reg, reg->ref.digest ? reg->ref.digest : reg->ref.tag,
                                           reg->ref.digest, 0, &top);
                } else {
                        if (r < 0)
                                diag_error(user_diag, r, "%s", quiet.error[0] ? quiet.error : strerror(-r));
                        for (size_t i = 0; i < quiet.n_warnings; i++)
                                diag_warn(user_diag, "%s", quiet.warnings[i]);
                        diag_done(&quiet);
                }
        } else {
                r = fetch_manifest(reg, reg->ref.digest ? reg->ref.digest : reg->ref.tag, reg->ref.digest, 0,
                                   &top);
                if (r == -EPROTO && !diag_has_error(s->diag))
                        r = diag_error(s->diag, r, "cannot reach registry '%s' over https", reg->ref.domain);
        }
        if (r < 0)
                return r;

        /* Index → the manifest for our platform (indexes may nest). */
        struct image_descriptor pick = {0};
        bool picked = false;
        cur = top;
        top.data = NULL; /* cur owns it now; top keeps its digest */
        for (int depth = 0; cur.is_index; depth++) {
                char what[160];
                if (depth >= MAX_INDEX_DEPTH) {
                        r = diag_error(s->diag, -ELOOP, "manifest of '%s': indexes nested too deeply",
                                       reg->subject);
                        goto out;
                }
                snprintf(what, sizeof what, "index '%.19s' of '%.100s'", cur.digest, reg->subject);
                r = image_pick_from_index(s, cur.data, cur.len, what, &pick);
                if (r < 0)
                        goto out;
                picked = true;
                manifest_doc_done(&cur);
                r = fetch_manifest(reg, pick.digest, pick.digest, pick.size, &cur);
                if (r < 0)
                        goto out;
        }

        struct image_descriptor config, *layers;
        size_t n_layers;
        char what[160];
        snprintf(what, sizeof what, "manifest '%.19s' of '%.100s'", cur.digest, reg->subject);
        r = image_parse_manifest(s, cur.data, cur.len, what, &config, &layers, &n_layers);
        if (r < 0)
                goto out;
        r = fetch_config(reg, &config);
        if (r < 0)
                goto out;
        r = image_set_layers(s, layers, n_layers);
        if (r < 0)
                goto out;

        struct image *img = &s->image;
        img->manifest_digest = arena_strdup(s->arena, cur.digest);
        if (picked && pick.platform_os && pick.platform_arch)
                img->platform = arena_printf(s->arena, "%s/%s%s%s", pick.platform_os, pick.platform_arch,
                                             pick.platform_variant ? "/" : "",
                                             pick.platform_variant ? pick.platform_variant : "");
        else if (img->config.os && img->config.architecture) {
                img->platform = arena_printf(s->arena, "%s/%s%s%s", img->config.os, img->config.architecture,
                                             img->config.variant ? "/" : "",
                                             img->config.variant ? img->config.variant : "");
                /* A single-platform image: say so when it is not what was asked for. */
                const char *want = s->opts ? s->opts->platform : NULL;
                size_t wl = want ? strlen(want) : 0;
                bool match = img->platform && want && strneq(img->platform, want, wl) &&
                             (img->platform[wl] == 0 || img->platform[wl] == '/');
                if (img->platform && want && !match)
                        diag_warn(s->diag, "image '%s' is for %s, not the requested %s", reg->subject,
                                  img->platform, want);
        }
        img->name = arena_strdup(s->arena, reg->subject);
        /* Like Docker's RepoDigests: the digest one pulls by, i.e. the top-level (index) document's. */
        const char **rd = arena_alloc(s->arena, 2 * sizeof *rd);
        if (rd)
                rd[0] = arena_printf(s->arena, "%s@%s", reg->familiar, top.digest);
        img->repo_digests = rd;
        const char **rt = arena_alloc(s->arena, 2 * sizeof *rt);
        if (rt && reg->ref.tag)
                rt[0] = arena_printf(s->arena, "%s:%s", reg->familiar, reg->ref.tag);
        img->repo_tags = rt;
        if (!img->manifest_digest || !img->name || !rd || !rd[0] || !rt || (reg->ref.tag && !rt[0]) ||
            (picked && pick.platform_os && pick.platform_arch && !img->platform))
                r = -ENOMEM;
out:
        manifest_doc_done(&cur);
        manifest_doc_done(&top);
        return r;
}

/* ---- layers ---- */

struct blob_reader {
        struct registry *reg;
        struct http_stream *st;
        const struct image_layer *layer;
        struct sha256 hash;
        uint64_t received;
        int failed;
        bool finished;
};

static ssize_t blob_read(void *userdata, void *buf, size_t n) {
        struct blob_reader *b = userdata;
        struct registry *reg = b->reg;
        struct diag *d = reg->s->diag;
        const char *dg = b->layer->digest;

        if (b->failed)
                return b->failed;
        if (b->finished)
                return 0;
        ssize_t k = http_stream_read(b->st, buf, n);
        if (k < 0) {
                if (k == -ETIMEDOUT)
                        b->failed = diag_error(d, (int) k,
                                               "registry '%s' timed out sending layer '%s' of '%s': %s",
                                               reg->ref.domain, dg, reg->subject, http_stream_error(b->st));
                else
                        b->failed = diag_error(d, (int) k,
                                               "cannot read layer '%s' of '%s' from registry '%s': %s", dg,
                                               reg->subject, reg->ref.domain, http_stream_error(b->st));
                return b->failed;
        }
        if (k > 0) {
                b->received += (uint64_t) k;
                if (b->layer->size && b->received > b->layer->size) {
                        b->failed = diag_error(
                                d, -EBADMSG,
                                "layer '%s' of '%s' from registry '%s' is corrupt: larger than the "
                                "%llu bytes its manifest says",
                                dg, reg->subject, reg->ref.domain, (unsigned long long) b->layer->size);
                        return b->failed;
                }
                sha256_update(&b->hash, buf, (size_t) k);
                return k;
        }
        /* The end: the bytes must be exactly what the manifest described. */
        char got[DIGEST_STR_MAX];
        sha256_final_str(&b->hash, got);
        if (b->layer->size && b->received != b->layer->size) {
                b->failed =
                        diag_error(d, -EBADMSG,
                                   "layer '%s' of '%s' from registry '%s' is truncated: %llu of %llu bytes",
                                   dg, reg->subject, reg->ref.domain, (unsigned long long) b->received,
                                   (unsigned long long) b->layer->size);
                return b->failed;
        }
        if (!streq(got, dg)) {
                b->failed = diag_error(d, -EBADMSG,
                                       "layer '%s' of '%s' from registry '%s' is corrupt: its digest is %s",
                                       dg, reg->subject, reg->ref.domain, got);
                return b->failed;
        }
        b->finished = true;
        return 0;
}

static void blob_reader_free(struct blob_reader *b) {
        if (!b)
                return;
        http_stream_free(b->st);
        sha256_done(&b->hash);
        free(b);
}

static int registry_open_layer(struct image_source *s, size_t index, struct byte_source *ret_src,
                               void **ret_handle) {
        struct registry *reg = s->priv;
        _cleanup_free_ char *url = NULL;
        struct blob_reader *b;
        int r;

        if (!reg || index >= s->image.n_layers)
                return -EINVAL;
        const struct image_layer *l = &s->image.layers[index];
        if (!digest_is_valid_sha256(l->digest))
                return diag_error(s->diag, -EBADMSG, "layer %zu of '%s' has no digest", index, reg->subject);
        if (asprintf(&url, "%s/v2/%s/blobs/%s", reg->base, reg->ref.repository, l->digest) < 0)
                return -ENOMEM;
        b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        b->reg = reg;
        b->layer = l;
        r = sha256_init(&b->hash);
        if (r < 0)
                goto fail;
        char what[DIGEST_STR_MAX + 16];
        snprintf(what, sizeof what, "layer '%s'", l->digest);
        r = registry_request(reg, url, NULL, 0, what, &b->st);
        if (r < 0)
                goto fail;
        if (http_stream_status(b->st) != 200) {
                r = registry_status_error(reg, b->st, "layer", l->digest);
                goto fail;
        }
        int64_t cl = http_stream_content_length(b->st);
        if (cl >= 0 && l->size && (uint64_t) cl != l->size) {
                r = diag_error(
                        s->diag, -EBADMSG,
                        "registry '%s' announces %lld bytes for layer '%s' of '%s', its manifest says %llu",
                        reg->ref.domain, (long long) cl, l->digest, reg->subject,
                        (unsigned long long) l->size);
                goto fail;
        }
        *ret_src = (struct byte_source){blob_read, b};
        *ret_handle = b;
        return 0;
fail:
        blob_reader_free(b);
        return r;
}

static void registry_close_layer(struct image_source *s, void *handle) {
        blob_reader_free(handle);
}

static void registry_source_free(struct image_source *s) {
        registry_free(s->priv);
        s->priv = NULL;
}

const struct image_source_ops image_source_registry = {
        .kind = "registry",
        .open = registry_open,
        .open_layer = registry_open_layer,
        .close_layer = registry_close_layer,
        .free = registry_source_free,
};
