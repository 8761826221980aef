/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to the remote image sources (registry:, docker:): image references, an HTTP client over libcurl
 * that streams bodies with bounded memory, WWW-Authenticate parsing and registry credentials. Everything
 * a peer sends is hostile: bodies, header values and redirects are capped and checked here. Not for other
 * modules.
 *
 * Thread-safety: the parsers are pure; an http_stream is used by one thread at a time, but any number of
 * streams may run at once in different threads (each has its own curl handles). */

#include "buf.h"
#include "image.h"

/* ---- image references (image-registry.c) ---- */

#define REF_MAX 512 /* longest reference we accept (Docker allows 255 for the name part) */

/* A parsed `[host[:port]/]repo[:tag][@sha256:…]`, normalized like Docker does: no host means docker.io,
 * a one-component repository on docker.io gets "library/", no tag and no digest means "latest". */
struct image_reference {
        char *domain;     /* "docker.io", "localhost:5000", "[::1]:5000" */
        char *repository; /* "library/alpine", "team/app" */
        char *tag;        /* NULL when pulled by digest only */
        char *digest;     /* "sha256:<hex>" or NULL */
};

/* Returns 0, -EINVAL (malformed; *ret_why says how) or -EPROTONOSUPPORT (a digest algorithm other than
 * sha256). ret is left untouched on failure. */
int image_reference_parse(const char *s, struct image_reference *ret, const char **ret_why);
void image_reference_done(struct image_reference *r);
/* The host:port the API lives at ("registry-1.docker.io" for docker.io). */
const char *image_reference_api_host(const struct image_reference *r);
/* The repository as people write it: "alpine", "user/app", "localhost:5000/app" (malloc'd). */
char *image_reference_familiar(const struct image_reference *r);
/* What a message names: familiar repository plus ":tag" or "@digest" (malloc'd). */
char *image_reference_subject(const struct image_reference *r);

/* ---- HTTP (image-http.c) ---- */

#define HTTP_ERROR_BODY_MAX  (64 * KiB) /* of an error response, kept for its message */
#define HTTP_MAX_REDIRECTS   5
#define HTTP_DEFAULT_TIMEOUT 60 /* seconds without progress before a transfer is abandoned */

struct http_options {
        bool insecure;           /* allow http:// and skip TLS certificate verification */
        const char *unix_socket; /* talk HTTP over this unix socket (the engine) */
        unsigned timeout_sec;    /* connect timeout and idle timeout; 0: HTTP_DEFAULT_TIMEOUT, or
                                  * $STOCKADE_REGISTRY_TIMEOUT when set */
};

struct http_request {
        const char *url;
        const char *const *headers; /* NULL-terminated extra header lines ("Accept: …"), or NULL */
        const char *authorization;  /* value of the Authorization header, or NULL; it is sent only to the
                                     * origin (scheme, host, port) of url, never across a redirect to
                                     * another origin */
        const char *post_body;      /* form-encoded POST body; NULL for GET. POSTs follow no redirects */
        uint64_t max_body;          /* reading more than this many body bytes fails with -E2BIG; 0: no cap
                                     * (layer blobs, whose size the caller checks) */
};

struct http_stream;

/* Starts a request and waits until the headers of the final response arrived (redirects followed, at
 * most HTTP_MAX_REDIRECTS, only to http(s), and https → http only when insecure). Returns 0 with any HTTP
 * status, or a negative errno for transport trouble, with a message (no subject) in err. The body is
 * then read with http_stream_read(). */
int http_stream_start(const struct http_options *o, const struct http_request *req, char *err, size_t errlen,
                      struct http_stream **ret);
long http_stream_status(const struct http_stream *st);
/* The value of a header of the final response, or NULL; index picks among repeated headers. */
const char *http_stream_header(struct http_stream *st, const char *name, size_t index);
/* Content-Length of the final response, or -1. */
int64_t http_stream_content_length(struct http_stream *st);
/* The URL the final response came from (after redirects). */
const char *http_stream_url(const struct http_stream *st);
/* Reads body bytes: returns the count, 0 at the end, or a negative errno (then http_stream_error() says
 * why: timeout, connection reset, -E2BIG past max_body). Blocks at most the idle timeout without
 * progress. */
ssize_t http_stream_read(struct http_stream *st, void *buf, size_t n);
const char *http_stream_error(const struct http_stream *st);
/* Reads an error response's body (at most HTTP_ERROR_BODY_MAX) into a one-line message: "HTTP 404
 * MANIFEST_UNKNOWN: manifest unknown" from a registry's JSON errors, the engine's {"message": …}, or the
 * first line of text. */
void http_stream_error_text(struct http_stream *st, char *out, size_t outlen);
/* Reads the rest of the body into b (whose cap bounds it: -E2BIG when exceeded). */
int http_stream_read_all(struct http_stream *st, struct buf *b);
void http_stream_free(struct http_stream *st);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct http_stream *, http_stream_free);

/* The idle timeout in effect for o (see http_options.timeout_sec). */
unsigned http_timeout(const struct http_options *o);
/* Percent-encodes s for a query string or path segment (malloc'd). */
char *http_escape(const char *s);
/* The value of a "Content-Type"-like header without parameters, lowercased, into out. */
void http_media_type(const char *value, char *out, size_t outlen);

/* ---- WWW-Authenticate (image-auth.c) ---- */

#define AUTH_MAX_PARAMS     16
#define AUTH_MAX_CHALLENGES 8
#define AUTH_HEADER_MAX     (16 * KiB)

struct auth_param {
        char *name; /* lowercased */
        char *value;
};

struct auth_challenge {
        char *scheme;  /* lowercased: "bearer", "basic" */
        char *token68; /* the rare non-parameter form, or NULL */
        struct auth_param params[AUTH_MAX_PARAMS];
        size_t n_params;
};

/* Parses one WWW-Authenticate header value (RFC 7235: challenges separated by commas, parameters
 * token=token or token="quoted", names case-insensitive) and appends its challenges to *challenges /
 * *n (at most AUTH_MAX_CHALLENGES in all). Returns 0, -EBADMSG for a malformed value (nothing appended),
 * -E2BIG for too long or too many, -ENOMEM. */
int www_authenticate_parse(const char *value, struct auth_challenge **challenges, size_t *n);
void auth_challenges_free(struct auth_challenge *c, size_t n);
const char *auth_challenge_param(const struct auth_challenge *c, const char *name);

/* ---- registry credentials (image-auth.c) ---- */

struct registry_credentials {
        char *username;
        char *password;
        char *identity_token; /* an OAuth2 refresh token (docker login to some registries) */
        char *origin;         /* where they came from, for messages: "options", "environment", a path */
};
void registry_credentials_done(struct registry_credentials *c);

/* Looks a registry up in the text of a Docker client config.json: "auths" entries keyed by host, by
 * host:port or by URL ("https://index.docker.io/v1/" for docker.io), with a base64 "auth" of
 * user:password or "username"/"password", or an "identitytoken". Returns 0 when found, -ENOENT when
 * not, -EBADMSG when the file or the entry is malformed (*ret_why says how). When the entry is absent
 * but a credential helper would hold it (credsStore/credHelpers, which we do not run), *ret_helper
 * names it (malloc'd) so the caller can say so. */
int docker_config_lookup(const char *data, size_t len, const char *registry,
                         struct registry_credentials *ret, const char **ret_why, char **ret_helper);

/* Credentials for a registry (its domain as written in the reference): opts->username/password, else
 * $STOCKADE_REGISTRY_USERNAME/_PASSWORD, else $DOCKER_CONFIG/config.json or ~/.docker/config.json.
 * Returns 0 when found, -ENOENT when there are none (a note on credential helpers may go to d as a
 * warning), or an error recorded in d (an unreadable or malformed config). */
int registry_credentials_find(const struct image_source_options *opts, const char *registry, struct diag *d,
                              struct registry_credentials *ret);

/* Base64 (standard alphabet, padded). Decoding rejects anything else; *ret is NUL-terminated. */
char *base64_encode(const void *p, size_t n);
int base64_decode(const char *s, char **ret, size_t *ret_len);

/* ---- docker: inspect JSON (image-docker.c), exposed for tests and fuzzing ---- */

/* Fills s->image from the engine's image inspect JSON (and, when given, the history JSON): id, repo tags
 * and digests, platform, config fields and diff_ids, and layers with diff_id only. */
int docker_image_from_inspect(struct image_source *s, const char *name, const char *inspect,
                              size_t inspect_len, const char *history, size_t history_len);
