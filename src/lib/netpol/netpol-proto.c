/* SPDX-License-Identifier: Apache-2.0 */
/* Protocol identification from a flow's first payload bytes. Every function is pure and bounds-checked:
 * the bytes come from the network (a container's peers), so nothing is trusted, nothing is read past
 * len, and what is copied out is cut to the output's size and made printable. */

#include <errno.h>
#include <string.h>

#include "netpol/netpol.h"

static const char *const app_names[_NP_APP_MAX] = {
        [NP_APP_UNKNOWN] = "unknown", [NP_APP_HTTP] = "http",   [NP_APP_TLS] = "tls",
        [NP_APP_DNS] = "dns",         [NP_APP_REDIS] = "redis", [NP_APP_POSTGRES] = "postgres",
        [NP_APP_MYSQL] = "mysql",
};

const char *np_app_name(enum np_app a) {
        return (unsigned) a < _NP_APP_MAX ? app_names[a] : NULL;
}

int np_app_from_name(const char *s) {
        for (int i = 0; i < _NP_APP_MAX; i++)
                if (streq(s, app_names[i]))
                        return i;
        return -EINVAL;
}

/* Copies at most n bytes into out (size outlen), printable ASCII only (others become '?'). */
static void copy_printable(char *out, size_t outlen, const uint8_t *p, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < outlen; i++)
                out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char) p[i] : '?';
        out[k] = 0;
}

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* ---- HTTP/1.x: "METHOD SP target SP HTTP/1.x CRLF headers…" ---- */

static const char *const http_methods[] = {"GET",     "POST",  "PUT",     "DELETE", "HEAD",
                                           "OPTIONS", "PATCH", "CONNECT", "TRACE"};

bool np_identify_http(const uint8_t *p, size_t len, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        size_t m = 0;
        for (size_t i = 0; i < ELEMENTSOF(http_methods); i++) {
                size_t n = strlen(http_methods[i]);
                if (len > n && memcmp(p, http_methods[i], n) == 0 && p[n] == ' ') {
                        m = n;
                        break;
                }
        }
        if (!m)
                return false;
        /* the request target runs to the next space; the version must follow */
        size_t t = m + 1, e = t;
        while (e < len && p[e] != ' ' && p[e] != '\r' && p[e] != '\n')
                e++;
        if (e == t)
                return false;
        if (e < len) {
                if (p[e] != ' ' || len - e - 1 < 5 || memcmp(p + e + 1, "HTTP/", 5) != 0)
                        return false;
        }
        /* a request cut before its version still counts: the method and a target are enough */
        ret->app = NP_APP_HTTP;
        copy_printable(ret->method, sizeof(ret->method), p, m);
        copy_printable(ret->path, sizeof(ret->path), p + t, e - t);
        /* Host header: at a line start, case-insensitive */
        for (size_t i = e; i + 6 <= len; i++) {
                if (p[i] != '\n')
                        continue;
                const uint8_t *h = p + i + 1;
                size_t rest = len - i - 1;
                if (rest >= 5 && strncasecmp((const char *) h, "host:", 5) == 0) {
                        size_t s = 5;
                        while (s < rest && (h[s] == ' ' || h[s] == '\t'))
                                s++;
                        size_t v = s;
                        while (v < rest && h[v] != '\r' && h[v] != '\n')
                                v++;
                        copy_printable(ret->host, sizeof(ret->host), h + s, v - s);
                        break;
                }
        }
        return true;
}

/* ---- TLS ClientHello: record(22) → handshake(1) → … → extensions → server_name(0) ---- */

bool np_identify_tls(const uint8_t *p, size_t len, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (len < 5 + 4 || p[0] != 22 || p[1] != 3 || p[2] > 4)
                return false;
        size_t rec = be16(p + 3);
        if (rec < 4 || p[5] != 1) /* handshake type client_hello */
                return false;
        ret->app = NP_APP_TLS;
        /* the hello may span records; read what this one holds */
        const uint8_t *h = p + 9;
        size_t hl = MIN(len - 9, rec - 4);
        size_t o = 2 + 32; /* client_version, random */
        if (hl < o + 1)
                return true;
        o += 1 + h[o]; /* session id */
        if (hl < o + 2)
                return true;
        o += 2 + be16(h + o); /* cipher suites */
        if (hl < o + 1)
                return true;
        o += 1 + h[o]; /* compression methods */
        if (hl < o + 2)
                return true;
        size_t ext_end = o + 2 + be16(h + o);
        o += 2;
        if (ext_end > hl)
                ext_end = hl;
        while (o + 4 <= ext_end) {
                uint16_t type = be16(h + o), elen = be16(h + o + 2);
                o += 4;
                if (elen > ext_end - o)
                        break;
                if (type == 0 && elen >= 5) {
                        /* server_name_list: len(2) { type(1)=0 host_name len(2) bytes } */
                        const uint8_t *s = h + o;
                        size_t ll = MIN((size_t) be16(s), (size_t) elen - 2);
                        size_t q = 2;
                        while (q + 3 <= ll + 2) {
                                uint8_t nt = s[q];
                                size_t nl = be16(s + q + 1);
                                q += 3;
                                if (nl > ll + 2 - q)
                                        break;
                                if (nt == 0) {
                                        copy_printable(ret->host, sizeof(ret->host), s + q, nl);
                                        return true;
                                }
                                q += nl;
                        }
                }
                o += elen;
        }
        return true;
}

/* ---- DNS query: header, first question's name (no compression pointers in a question) ---- */

bool np_identify_dns(const uint8_t *p, size_t len, bool udp, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (!udp) {
                if (len < 2)
                        return false;
                size_t l = be16(p);
                p += 2;
                len -= 2;
                if (l < len)
                        len = l;
        }
        if (len < 12 + 5)
                return false;
        uint16_t flags = be16(p + 2);
        unsigned opcode = (flags >> 11) & 0xf;
        if (opcode > 5 || be16(p + 4) == 0 || be16(p + 4) > 16)
                return false;
        size_t o = 12, k = 0;
        char name[256];
        for (unsigned labels = 0;; labels++) {
                if (o >= len || labels > 127)
                        return false;
                uint8_t l = p[o++];
                if (l == 0)
                        break;
                if (l > 63 || l > len - o)
                        return false; /* compression pointers do not belong in a query's question */
                for (size_t i = 0; i < l; i++) {
                        uint8_t c = p[o + i];
                        if (c <= 0x20 || c >= 0x7f)
                                return false;
                        if (k + 2 < sizeof(name))
                                name[k++] = (char) c;
                }
                if (k + 2 < sizeof(name))
                        name[k++] = '.';
                o += l;
        }
        if (len - o < 4)
                return false;
        uint16_t qtype = be16(p + o), qclass = be16(p + o + 2);
        if (qtype == 0 || (qclass != 1 && qclass != 255 && qclass != 3))
                return false;
        if (k && name[k - 1] == '.')
                k--;
        name[k] = 0;
        ret->app = NP_APP_DNS;
        snprintf(ret->host, sizeof(ret->host), "%s", k ? name : ".");
        snprintf(ret->detail, sizeof(ret->detail), "%s", (flags & 0x8000) ? "response" : "query");
        return true;
}

/* ---- Redis: RESP array of bulk strings "*N\r\n$L\r\nCMD\r\n", or an inline command ---- */

static const char *const redis_inline[] = {"PING", "AUTH", "HELLO", "INFO", "SELECT", "QUIT", "CLIENT"};

bool np_identify_redis(const uint8_t *p, size_t len, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (len >= 4 && p[0] == '*') {
                size_t o = 1;
                unsigned n = 0;
                while (o < len && p[o] >= '0' && p[o] <= '9' && o < 8)
                        n = n * 10 + (unsigned) (p[o++] - '0');
                if (n == 0 || o + 2 > len || p[o] != '\r' || p[o + 1] != '\n')
                        return false;
                o += 2;
                if (o >= len || p[o] != '$')
                        return false;
                o++;
                size_t l = 0, d = o;
                while (o < len && p[o] >= '0' && p[o] <= '9' && o - d < 6)
                        l = l * 10 + (size_t) (p[o++] - '0');
                if (o == d || o + 2 > len || p[o] != '\r' || p[o + 1] != '\n')
                        return false;
                o += 2;
                if (l == 0 || l > 32)
                        return false;
                size_t avail = MIN(l, len - o);
                for (size_t i = 0; i < avail; i++)
                        if (!((p[o + i] >= 'A' && p[o + i] <= 'Z') || (p[o + i] >= 'a' && p[o + i] <= 'z') ||
                              p[o + i] == '_' || p[o + i] == '.' || p[o + i] == '|'))
                                return false;
                ret->app = NP_APP_REDIS;
                copy_printable(ret->detail, sizeof(ret->detail), p + o, avail);
                return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(redis_inline); i++) {
                size_t n = strlen(redis_inline[i]);
                if (len >= n + 2 && strncasecmp((const char *) p, redis_inline[i], n) == 0 &&
                    (p[n] == '\r' || p[n] == ' ')) {
                        ret->app = NP_APP_REDIS;
                        copy_printable(ret->detail, sizeof(ret->detail), p, n);
                        return true;
                }
        }
        return false;
}

/* ---- PostgreSQL: StartupMessage (length, protocol 3.0, key\0value\0 pairs) or SSLRequest ---- */

bool np_identify_postgres(const uint8_t *p, size_t len, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (len < 8)
                return false;
        uint32_t l = be32(p), code = be32(p + 4);
        if (l == 8 && (code == 80877103 || code == 80877104)) { /* SSLRequest, GSSENCRequest */
                ret->app = NP_APP_POSTGRES;
                snprintf(ret->detail, sizeof(ret->detail), "%s", code == 80877103 ? "sslrequest" : "gssenc");
                return true;
        }
        if (code == 80877102 && l == 16) { /* CancelRequest */
                ret->app = NP_APP_POSTGRES;
                snprintf(ret->detail, sizeof(ret->detail), "cancel");
                return true;
        }
        if (code != 0x00030000 || l < 9 || l > 10000)
                return false;
        /* parameters: the first must be a known key */
        size_t end = MIN((size_t) l, len), o = 8;
        bool any = false;
        while (o < end && p[o]) {
                const uint8_t *k = p + o;
                const uint8_t *kz = memchr(k, 0, end - o);
                if (!kz)
                        break;
                size_t kl = (size_t) (kz - k);
                o += kl + 1;
                const uint8_t *vz = o < end ? memchr(p + o, 0, end - o) : NULL;
                if (!vz)
                        break;
                size_t vl = (size_t) (vz - (p + o));
                if (kl == 4 && memcmp(k, "user", 4) == 0) {
                        char v[48];
                        copy_printable(v, sizeof(v), p + o, vl);
                        snprintf(ret->detail, sizeof(ret->detail), "user=%s", v);
                }
                any = true;
                o += vl + 1;
        }
        if (!any && len >= l)
                return false;
        ret->app = NP_APP_POSTGRES;
        return true;
}

/* ---- MySQL: the server speaks first: packet header (len 3, seq 0), protocol 10, version\0 ---- */

bool np_identify_mysql_greeting(const uint8_t *p, size_t len, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (len < 4 + 1 + 2)
                return false;
        size_t l = p[0] | (size_t) p[1] << 8 | (size_t) p[2] << 16;
        if (p[3] != 0 || l < 2 || l > 1024 || p[4] != 10)
                return false;
        size_t end = MIN(len, 4 + l);
        const uint8_t *v = p + 5;
        const uint8_t *z = memchr(v, 0, end - 5);
        if (!z || z == v)
                return false;
        for (const uint8_t *c = v; c < z; c++)
                if (*c < 0x20 || *c >= 0x7f)
                        return false;
        ret->app = NP_APP_MYSQL;
        copy_printable(ret->detail, sizeof(ret->detail), v, (size_t) (z - v));
        return true;
}

enum np_app np_identify(const uint8_t *p, size_t len, bool udp, uint16_t port, struct np_app_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (!p || !len)
                return NP_APP_UNKNOWN;
        if (udp || port == 53) {
                if (np_identify_dns(p, len, udp, ret))
                        return NP_APP_DNS;
                if (udp)
                        return NP_APP_UNKNOWN;
        }
        if (np_identify_tls(p, len, ret) || np_identify_http(p, len, ret) ||
            np_identify_postgres(p, len, ret) || np_identify_mysql_greeting(p, len, ret) ||
            np_identify_redis(p, len, ret))
                return ret->app;
        memset(ret, 0, sizeof(*ret));
        return NP_APP_UNKNOWN;
}
