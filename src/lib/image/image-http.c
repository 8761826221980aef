/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP for the remote sources, over libcurl: one pull-driven transfer per http_stream.
 *
 * Each stream owns a curl multi handle with a single easy handle. Nothing runs in the background: a
 * read() drives curl_multi_perform() until the stream's buffer holds data. The write callback copies
 * into that buffer and, when it is full, returns CURL_WRITEFUNC_PAUSE, so curl stops reading the socket
 * and the peer is held back by TCP flow control. Memory per stream is therefore the buffer (256 KiB)
 * plus curl's own receive buffer, whatever the size of the body, and no thread or pipe is needed. Any
 * number of streams may be read from different threads at once.
 *
 * Redirects are followed here rather than by curl, so that the rules are ours and visible: at most
 * HTTP_MAX_REDIRECTS hops, only to http(s), never from https to http unless insecure, and the
 * Authorization header is dropped for good as soon as a hop leaves the origin of the first URL (blob
 * storage behind a registry must not see the registry token or password). */

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "core/json-util.h"
#include "image-remote.h"

#define STREAM_BUF_SIZE       (256 * KiB)
#define STREAM_BUF_MAX        (4 * MiB)  /* a single curl write larger than this is refused */
#define DISCARD_MAX           (64 * KiB) /* body of a redirect we skip */
#define METADATA_TOTAL_FACTOR 5          /* capped requests: whole transfer within 5 × the idle timeout */
#define USER_AGENT            "stockade/" STOCKADE_VERSION

struct http_stream {
        struct http_options opts;
        CURLM *multi;
        CURL *easy;
        bool attached; /* easy is in multi */
        struct curl_slist *hdrs;
        char **extra;    /* the caller's extra header lines, copied */
        char *auth_line; /* "Authorization: …", NULL once we left the origin */
        char *url;       /* current hop */
        char *origin;    /* scheme://host:port of the first URL */
        char *post_body;
        uint64_t max_body;
        unsigned redirects;

        /* the response in flight */
        long status;
        bool headers_done;     /* headers of the final response are complete */
        bool redirect_pending; /* this response is a redirect, to follow when it ends */
        bool done;
        CURLcode result;
        bool paused;
        bool too_large;
        uint64_t received;  /* body bytes of the final response */
        uint64_t discarded; /* body bytes of redirect responses */

        char *buf;
        size_t alloc, pos, len;
        int64_t last_progress; /* CLOCK_MONOTONIC ms of the last bytes received */

        int error; /* sticky failure */
        char errbuf[CURL_ERROR_SIZE];
        char err[512];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init(void) {
        curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned http_timeout(const struct http_options *o) {
        if (o && o->timeout_sec)
                return o->timeout_sec;
        const char *e = getenv("STOCKADE_REGISTRY_TIMEOUT");
        if (e && *e) {
                char *end;
                unsigned long v = strtoul(e, &end, 10);
                if (!*end && v > 0 && v <= 3600)
                        return (unsigned) v;
        }
        return HTTP_DEFAULT_TIMEOUT;
}

char *http_escape(const char *s) {
        char *e = curl_easy_escape(NULL, s, 0);
        if (!e)
                return NULL;
        char *r = strdup(e);
        curl_free(e);
        return r;
}

void http_media_type(const char *value, char *out, size_t outlen) {
        size_t k = 0;
        if (outlen == 0)
                return;
        while (value && (*value == ' ' || *value == '\t'))
                value++;
        for (; value && *value && *value != ';' && *value != ' ' && *value != '\t' && k + 1 < outlen;
             value++)
                out[k++] = (char) (*value >= 'A' && *value <= 'Z' ? *value + 32 : *value);
        out[k] = 0;
}

static int set_error(struct http_stream *st, int err, const char *fmt, ...) _printf_(3, 4);
static int set_error(struct http_stream *st, int err, const char *fmt, ...) {
        va_list ap;
        if (st->error)
                return st->error;
        va_start(ap, fmt);
        vsnprintf(st->err, sizeof st->err, fmt, ap);
        va_end(ap);
        st->error = err;
        return err;
}

/* scheme://host:port of a URL, lowercased, malloc'd; NULL when it does not parse. */
static char *origin_of(const char *url, char **ret_scheme) {
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL, *r = NULL;
        if (!u)
                return NULL;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
                goto out;
        for (char *p = host; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p + 32);
        if (asprintf(&r, "%s://%s:%s", scheme, host, port) < 0)
                r = NULL;
        if (r && ret_scheme) {
                *ret_scheme = strdup(scheme);
                if (!*ret_scheme)
                        r = mfree(r);
        }
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return r;
}

static bool is_redirect(long code) {
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

static size_t header_cb(char *p, size_t size, size_t n, void *userdata) {
        struct http_stream *st = userdata;
        size_t len = size * n;

        st->last_progress = now_ms();
        if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
                /* A new response (after an interim one, or the next hop). */
                st->headers_done = false;
                st->redirect_pending = false;
                return len;
        }
        if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n')) {
                long code = 0;
                curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &code);
                if (code >= 100 && code < 200)
                        return len;
                st->status = code;
                struct curl_header *h;
                if (is_redirect(code) && !st->post_body && !st->opts.unix_socket &&
                    curl_easy_header(st->easy, "Location", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
                        st->redirect_pending = true;
                        return len;
                }
                st->headers_done = true;
        }
        return len;
}

static size_t write_cb(char *p, size_t size, size_t n, void *userdata) {
        struct http_stream *st = userdata;
        size_t len = size * n;

        st->last_progress = now_ms();
        if (!st->headers_done) {
                /* The body of a redirect: skip it, but not forever. */
                st->discarded += len;
                if (st->discarded > DISCARD_MAX) {
                        set_error(st, -E2BIG, "redirect response body is larger than %llu bytes",
                                  (unsigned long long) DISCARD_MAX);
                        return 0;
                }
                return len;
        }
        if (st->max_body && (st->received + len < st->received || st->received + len > st->max_body)) {
                st->too_large = true;
                return 0;
        }
        if (st->pos == st->len)
                st->pos = st->len = 0;
        if (st->alloc - st->len < len && st->pos > 0) {
                memmove(st->buf, st->buf + st->pos, st->len - st->pos);
                st->len -= st->pos;
                st->pos = 0;
        }
        if (st->alloc - st->len < len) {
                if (st->len > 0) {
                        /* Full: curl keeps this chunk and offers it again once we unpause. */
                        st->paused = true;
                        return CURL_WRITEFUNC_PAUSE;
                }
                /* Empty, yet the chunk is larger than the buffer (curl never does this by default). */
                if (len > STREAM_BUF_MAX) {
                        set_error(st, -E2BIG, "received a chunk of %zu bytes", len);
                        return 0;
                }
                char *nb = realloc(st->buf, len);
                if (!nb) {
                        set_error(st, -ENOMEM, "out of memory");
                        return 0;
                }
                st->buf = nb;
                st->alloc = len;
        }
        memcpy(st->buf + st->len, p, len);
        st->len += len;
        st->received += len;
        return len;
}

/* Maps a finished transfer's failure to an errno and a message. */
static int fail_curl(struct http_stream *st, CURLcode c) {
        const char *msg = st->errbuf[0] ? st->errbuf : curl_easy_strerror(c);
        long os_errno = 0;

        if (st->error)
                return st->error;
        switch (c) {
        case CURLE_OPERATION_TIMEDOUT: return set_error(st, -ETIMEDOUT, "timed out (%s)", msg);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return set_error(st, -EHOSTUNREACH, "%s", msg);
        case CURLE_COULDNT_CONNECT:
                curl_easy_getinfo(st->easy, CURLINFO_OS_ERRNO, &os_errno);
                if (os_errno > 0)
                        return set_error(st, (int) -os_errno, "%s", strerror((int) os_errno));
                return set_error(st, -ECONNREFUSED, "%s", msg);
        case CURLE_SSL_CONNECT_ERROR:
                if (strstr(msg, "wrong version number"))
                        return set_error(
                                st, -EPROTO, "TLS handshake failed: the server does not speak TLS%s",
                                st->opts.insecure ? "" : " (plain HTTP is allowed only in insecure mode)");
                return set_error(st, -EPROTO, "TLS handshake failed: %s", msg);
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM: return set_error(st, -EPROTO, "TLS handshake failed: %s", msg);
        case CURLE_FILESIZE_EXCEEDED:
                return set_error(st, -E2BIG, "response is larger than %llu bytes",
                                 (unsigned long long) st->max_body);
        case CURLE_WRITE_ERROR:
                if (st->too_large)
                        return set_error(st, -E2BIG, "response is larger than %llu bytes",
                                         (unsigned long long) st->max_body);
                return set_error(st, -EIO, "%s", msg);
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING: return set_error(st, -ECONNRESET, "connection broken: %s", msg);
        case CURLE_UNSUPPORTED_PROTOCOL: return set_error(st, -EPROTONOSUPPORT, "%s", msg);
        default: return set_error(st, -EIO, "%s", msg);
        }
}

static int build_headers(struct http_stream *st) {
        curl_slist_free_all(st->hdrs);
        st->hdrs = NULL;
        /* No "Expect: 100-continue" on POSTs: token servers answer at once. */
        const char *base[] = {"Expect:", NULL};
        for (size_t i = 0; base[i]; i++) {
                struct curl_slist *l = curl_slist_append(st->hdrs, base[i]);
                if (!l)
                        return -ENOMEM;
                st->hdrs = l;
        }
        for (size_t i = 0; st->extra && st->extra[i]; i++) {
                struct curl_slist *l = curl_slist_append(st->hdrs, st->extra[i]);
                if (!l)
                        return -ENOMEM;
                st->hdrs = l;
        }
        if (st->auth_line) {
                struct curl_slist *l = curl_slist_append(st->hdrs, st->auth_line);
                if (!l)
                        return -ENOMEM;
                st->hdrs = l;
        }
        return 0;
}

static int begin(struct http_stream *st) {
        CURL *e = st->easy;
        unsigned timeout = http_timeout(&st->opts);
        int r;

        if (st->attached) {
                curl_multi_remove_handle(st->multi, e);
                st->attached = false;
        }
        curl_easy_reset(e);
        st->status = 0;
        st->headers_done = st->redirect_pending = st->done = st->paused = st->too_large = false;
        st->result = CURLE_OK;
        st->received = 0;
        st->pos = st->len = 0;
        st->errbuf[0] = 0;
        st->last_progress = now_ms();

        r = build_headers(st);
        if (r < 0)
                return r;

        const char *protocols = st->opts.unix_socket || st->opts.insecure ? "http,https" : "https";
        bool ok = curl_easy_setopt(e, CURLOPT_URL, st->url) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_WRITEDATA, st) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_HEADERDATA, st) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, st->errbuf) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->hdrs) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long) timeout) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
                  /* One connection per stream, so HTTP/2 would multiplex nothing; and pausing a
                   * stream is simplest and best tested over HTTP/1.1 (TCP flow control). */
                  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1) == CURLE_OK &&
                  curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L) == CURLE_OK;
        if (ok && st->max_body) {
                /* Metadata: fail early on a large Content-Length, and bound the whole exchange. */
                ok = curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) st->max_body) == CURLE_OK &&
                     curl_easy_setopt(e, CURLOPT_TIMEOUT, (long) timeout * METADATA_TOTAL_FACTOR) ==
                             CURLE_OK;
        }
        if (ok && st->opts.insecure)
                ok = curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK &&
                     curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK;
        if (ok && st->opts.unix_socket)
                ok = curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, st->opts.unix_socket) == CURLE_OK &&
                     curl_easy_setopt(e, CURLOPT_PROXY, "") == CURLE_OK;
        if (ok && st->post_body)
                ok = curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, st->post_body) == CURLE_OK;
        if (!ok)
                return set_error(st, -EINVAL, "cannot set up a request for '%.200s'", st->url);
        if (curl_multi_add_handle(st->multi, e) != CURLM_OK)
                return set_error(st, -ENOMEM, "cannot start a request");
        st->attached = true;
        return 0;
}

static int follow(struct http_stream *st) {
        _cleanup_free_ char *scheme = NULL;
        char *loc = NULL;

        if (curl_easy_getinfo(st->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
                return set_error(st, -EBADMSG, "redirect (%ld) without a usable Location", st->status);
        if (++st->redirects > HTTP_MAX_REDIRECTS)
                return set_error(st, -ELOOP, "more than %d redirects", HTTP_MAX_REDIRECTS);
        _cleanup_free_ char *origin = origin_of(loc, &scheme);
        if (!origin)
                return set_error(st, -EBADMSG, "redirect to an invalid URL '%.200s'", loc);
        if (!streq(scheme, "https") && !(streq(scheme, "http") && st->opts.insecure))
                return set_error(st, -EPERM, "refusing to follow a redirect to '%.200s'", loc);
        if (!streq(origin, st->origin))
                st->auth_line = mfree(st->auth_line);
        char *u = strdup(loc);
        if (!u)
                return -ENOMEM;
        free(st->url);
        st->url = u;
        return begin(st);
}

/* Drives the transfer until it has what the caller waits for: the final response's headers, or body
 * bytes in the buffer (or the end). */
static int pump(struct http_stream *st, bool want_body) {
        int64_t wait_start = now_ms();
        int64_t timeout_ms = (int64_t) http_timeout(&st->opts) * 1000;

        for (;;) {
                if (st->error)
                        return st->error;
                if (st->done && st->redirect_pending && st->result == CURLE_OK) {
                        int r = follow(st);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* A failure after the headers (or after buffered body bytes) surfaces on the next read. */
                if (st->done && st->result != CURLE_OK &&
                    !(want_body ? st->pos < st->len : st->headers_done))
                        return fail_curl(st, st->result);
                if (want_body ? (st->pos < st->len || st->done) : (st->headers_done || st->done))
                        return 0;
                if (st->paused) {
                        /* We only get here with an empty buffer: take the chunk curl held back. */
                        st->paused = false;
                        st->pos = st->len = 0;
                        /* Unpausing hands curl's held chunk to write_cb at once; when that refuses it
                         * (over max_body, say), the failure comes back here. */
                        CURLcode pc = curl_easy_pause(st->easy, CURLPAUSE_CONT);
                        if (pc != CURLE_OK)
                                return fail_curl(st, pc);
                        continue;
                }

                int running = 0;
                if (curl_multi_perform(st->multi, &running) != CURLM_OK)
                        return set_error(st, -EIO, "transfer failed");
                CURLMsg *m;
                int q;
                while ((m = curl_multi_info_read(st->multi, &q)))
                        if (m->msg == CURLMSG_DONE) {
                                st->done = true;
                                st->result = m->data.result;
                        }
                if (st->done || st->error || st->paused ||
                    (want_body ? st->pos < st->len : st->headers_done))
                        continue;

                int64_t now = now_ms(), idle_from = MAX(wait_start, st->last_progress);
                if (now - idle_from > timeout_ms)
                        return set_error(st, -ETIMEDOUT, "no data for %u seconds", http_timeout(&st->opts));
                if (curl_multi_poll(st->multi, NULL, 0, 500, NULL) != CURLM_OK)
                        return set_error(st, -EIO, "transfer failed");
        }
}

void http_stream_free(struct http_stream *st) {
        if (!st)
                return;
        if (st->attached)
                curl_multi_remove_handle(st->multi, st->easy);
        if (st->easy)
                curl_easy_cleanup(st->easy);
        if (st->multi)
                curl_multi_cleanup(st->multi);
        curl_slist_free_all(st->hdrs);
        for (size_t i = 0; st->extra && st->extra[i]; i++)
                free(st->extra[i]);
        free(st->extra);
        free(st->auth_line);
        free(st->url);
        free(st->origin);
        free(st->post_body);
        free(st->buf);
        free(st);
}

static bool header_line_ok(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

int http_stream_start(const struct http_options *o, const struct http_request *req, char *err, size_t errlen,
                      struct http_stream **ret) {
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        _cleanup_free_ char *scheme = NULL;
        int r;

        pthread_once(&curl_once, curl_init);
        if (curl_init_result != CURLE_OK) {
                snprintf(err, errlen, "cannot initialize libcurl");
                return -EIO;
        }
        st = calloc(1, sizeof *st);
        if (!st)
                return -ENOMEM;
        st->opts = *o;
        st->max_body = req->max_body;
        st->url = strdup(req->url);
        st->buf = malloc(STREAM_BUF_SIZE);
        st->alloc = STREAM_BUF_SIZE;
        if (!st->url || !st->buf)
                return -ENOMEM;
        st->origin = origin_of(req->url, &scheme);
        if (!st->origin) {
                snprintf(err, errlen, "invalid URL '%.200s'", req->url);
                return -EINVAL;
        }
        if (!streq(scheme, "https") && !(streq(scheme, "http") && (o->insecure || o->unix_socket))) {
                snprintf(err, errlen, "refusing plain '%s' for '%.200s'", scheme, req->url);
                return -EPERM;
        }
        size_t n_extra = 0;
        while (req->headers && req->headers[n_extra])
                n_extra++;
        st->extra = calloc(n_extra + 1, sizeof *st->extra);
        if (!st->extra)
                return -ENOMEM;
        for (size_t i = 0; i < n_extra; i++) {
                st->extra[i] = strdup(req->headers[i]);
                if (!st->extra[i])
                        return -ENOMEM;
        }
        if (req->authorization) {
                /* The value comes from a token server or a config file: no header injection. */
                if (!header_line_ok(req->authorization)) {
                        snprintf(err, errlen, "invalid characters in the authorization");
                        return -EINVAL;
                }
                if (asprintf(&st->auth_line, "Authorization: %s", req->authorization) < 0) {
                        st->auth_line = NULL;
                        return -ENOMEM;
                }
        }
        if (req->post_body) {
                st->post_body = strdup(req->post_body);
                if (!st->post_body)
                        return -ENOMEM;
        }
        st->multi = curl_multi_init();
        st->easy = curl_easy_init();
        if (!st->multi || !st->easy)
                return -ENOMEM;

        r = begin(st);
        if (r >= 0)
                r = pump(st, false);
        if (r < 0) {
                snprintf(err, errlen, "%s", st->err[0] ? st->err : strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(st);
        return 0;
}

long http_stream_status(const struct http_stream *st) {
        return st->status;
}

const char *http_stream_url(const struct http_stream *st) {
        return st->url;
}

const char *http_stream_header(struct http_stream *st, const char *name, size_t index) {
        struct curl_header *h;
        if (curl_easy_header(st->easy, name, index, CURLH_HEADER, -1, &h) != CURLHE_OK)
                return NULL;
        return h->value;
}

int64_t http_stream_content_length(struct http_stream *st) {
        curl_off_t cl = -1;
        if (curl_easy_getinfo(st->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK)
                return -1;
        return cl;
}

ssize_t http_stream_read(struct http_stream *st, void *buf, size_t n) {
        if (st->error)
                return st->error;
        if (n == 0)
                return 0;
        if (st->pos == st->len) {
                int r = pump(st, true);
                if (r < 0)
                        return r;
        }
        if (st->pos < st->len) {
                size_t c = MIN(n, st->len - st->pos);
                memcpy(buf, st->buf + st->pos, c);
                st->pos += c;
                return (ssize_t) c;
        }
        if (st->result != CURLE_OK)
                return fail_curl(st, st->result);
        return 0;
}

const char *http_stream_error(const struct http_stream *st) {
        return st->err[0] ? st->err : "unknown error";
}

int http_stream_read_all(struct http_stream *st, struct buf *b) {
        char chunk[16384];
        for (;;) {
                ssize_t k = http_stream_read(st, chunk, sizeof chunk);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        return 0;
                int r = buf_append(b, chunk, (size_t) k);
                if (r == -E2BIG)
                        return set_error(st, -E2BIG, "response is larger than %zu bytes", b->cap);
                if (r < 0)
                        return r;
        }
}

/* Reads an error response's body for its message: the registry's JSON errors (code: message), or the
 * first line of text. */
void http_stream_error_text(struct http_stream *st, char *out, size_t outlen) {
        struct buf b = BUF_INIT(HTTP_ERROR_BODY_MAX);
        long status = http_stream_status(st);
        (void) http_stream_read_all(st, &b);
        _cleanup_(json_decrefp) json_t *j = b.len ? json_loadb(b.data, b.len, 0, NULL) : NULL;
        json_t *errs = json_get_arr(j, "errors");
        json_t *e0 = errs ? json_array_get(errs, 0) : NULL;
        const char *code = json_get_str(e0, "code"), *msg = json_get_str(e0, "message");
        if (!msg)
                msg = json_get_str(j, "message"); /* the engine's form */
        if (!msg)
                msg = json_get_str(j, "details");
        if (code || msg)
                snprintf(out, outlen, "HTTP %ld%s%.100s: %.200s", status, code ? " " : "", code ? code : "",
                         msg ? msg : "(no message)");
        else if (b.len && !j) {
                size_t n = strcspn(b.data, "\r\n");
                snprintf(out, outlen, "HTTP %ld: %.*s", status, (int) MIN(n, (size_t) 200), b.data);
        } else
                snprintf(out, outlen, "HTTP %ld", status);
        buf_free(&b);
}
