/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vulndb-internal.h"

static const char *const status_names[_VS_MAX] = {
        [VS_AFFECTED] = "affected",         [VS_FIXED] = "fixed",           [VS_UNFIXED] = "unfixed",
        [VS_NOT_AFFECTED] = "not-affected", [VS_WONT_FIX] = "will-not-fix", [VS_END_OF_LIFE] = "end-of-life",
};

const char *vuln_status_to_string(enum vuln_status s) {
        return (unsigned) s < _VS_MAX ? status_names[s] : "unknown";
}

const char *vdb_kind_to_string(enum vdb_kind k) {
        switch (k) {
        case VK_OSV: return "osv";
        case VK_DEBIAN: return "debian-tracker";
        case VK_SECDB: return "secdb";
        case VK_NVD: return "nvd";
        case VK_KEV: return "kev";
        default: return "unknown";
        }
}

bool vdb_valid_id(const char *s) {
        size_t n = 0;
        if (!s || !isalnum((unsigned char) s[0]))
                return false;
        for (; s[n]; n++) {
                unsigned char c = (unsigned char) s[n];
                if (n >= VDB_MAX_ID)
                        return false;
                if (!isalnum(c) && !strchr("-_.:+/#", c))
                        return false;
        }
        return true;
}

bool vdb_valid_text(const char *s, size_t max) {
        const unsigned char *p = (const unsigned char *) s;
        size_t n = 0;
        if (!s)
                return false;
        while (p[n]) {
                unsigned char c = p[n];
                if (n >= max)
                        return false;
                if (c < 0x80) {
                        if ((c < 0x20 && c != '\t') || c == 0x7f)
                                return false;
                        n++;
                        continue;
                }
                size_t k = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
                if (k == 0)
                        return false;
                for (size_t i = 1; i < k; i++)
                        if ((p[n + i] & 0xc0) != 0x80)
                                return false;
                /* overlong 3/4-byte forms, surrogates and code points above U+10FFFF */
                if ((c == 0xe0 && p[n + 1] < 0xa0) || (c == 0xed && p[n + 1] >= 0xa0) ||
                    (c == 0xf0 && p[n + 1] < 0x90) || (c == 0xf4 && p[n + 1] >= 0x90))
                        return false;
                n += k;
        }
        return n <= max;
}

static bool digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

bool vdb_valid_date(const char *s) {
        if (!s || strlen(s) < 10 || strlen(s) > VDB_MAX_DATE || !digits(s, 4) || s[4] != '-' ||
            !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
                return false;
        int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
        if (y < 1995 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
                return false;
        return vdb_valid_text(s, VDB_MAX_DATE);
}

char *vdb_summary_dup(struct arena *a, const char *s, size_t max, bool first_paragraph) {
        if (!s)
                return NULL;
        while (isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        if (first_paragraph) {
                const char *para = strstr(s, "\n\n");
                if (para)
                        n = (size_t) (para - s);
        }
        bool cut = false;
        if (n > max) {
                n = max > 3 ? max - 3 : 0; /* room for the ellipsis */
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
                cut = true;
        }
        char *out = arena_alloc(a, n + 4);
        if (!out)
                return NULL;
        size_t k = 0;
        bool space = false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f) {
                        if (!space && k > 0)
                                out[k++] = ' ';
                        space = true;
                        continue;
                }
                space = c == ' ';
                out[k++] = (char) c;
        }
        while (k > 0 && out[k - 1] == ' ')
                k--;
        if (cut) {
                memcpy(out + k, "\xe2\x80\xa6", 3);
                k += 3;
        }
        out[k] = 0;
        /* Invalid UTF-8 in the feed: keep nothing rather than pass it on. */
        return vdb_valid_text(out, max + 4) ? out : NULL;
}

/* The ecosystems OSV defines (https://ossf.github.io/osv-schema/#affectedpackage-field and osv.dev's
 * list), spelled as OSV spells them. */
static const char *const known_ecosystems[] = {
        "AlmaLinux",      "Alpaquita",
        "Alpine",         "Android",
        "Azure Linux",    "BellSoft Hardened Containers",
        "Bioconductor",   "Bitnami",
        "Chainguard",     "CleanStart",
        "ConanCenter",    "CRAN",
        "crates.io",      "Debian",
        "Echo",           "GHC",
        "GitHub Actions", "Go",
        "Hackage",        "Hex",
        "Julia",          "Linux",
        "Mageia",         "Maven",
        "MinimOS",        "npm",
        "NuGet",          "opam",
        "openEuler",      "openSUSE",
        "OSS-Fuzz",       "Packagist",
        "Photon OS",      "Pub",
        "PyPI",           "Red Hat",
        "Rocky Linux",    "Root",
        "RubyGems",       "SUSE",
        "SwiftURL",       "TuxCare",
        "Ubuntu",         "VSCode",
        "Wolfi",
};

const char *vdb_ecosystem_base_canonical(const char *base, size_t len) {
        for (size_t i = 0; i < ELEMENTSOF(known_ecosystems); i++)
                if (strlen(known_ecosystems[i]) == len && strncasecmp(known_ecosystems[i], base, len) == 0)
                        return known_ecosystems[i];
        return NULL;
}

/* Appends n bytes of s at *k, keeping room for the NUL; false when it does not fit. */
static bool put(char *buf, size_t size, size_t *k, const char *s, size_t n) {
        if (*k + n >= size)
                return false;
        memcpy(buf + *k, s, n);
        *k += n;
        buf[*k] = 0;
        return true;
}

const char *vulndb_canonical_ecosystem(const char *eco, char *buf, size_t size) {
        size_t k = 0;
        if (!eco || size == 0)
                return NULL;
        buf[0] = 0;
        size_t blen = strcspn(eco, ":");
        const char *canon = vdb_ecosystem_base_canonical(eco, blen);
        const char *rest = eco + blen; /* ":…" or "" */
        if (!canon)
                return put(buf, size, &k, eco, strlen(eco)) ? buf : NULL;
        bool ok = put(buf, size, &k, canon, strlen(canon));
        if (streq(canon, "Alpine") && rest[0] == ':' && isdigit((unsigned char) rest[1])) {
                /* os-release says 3.18.4, OSV says v3.18 */
                size_t a = strspn(rest + 1, "0123456789");
                size_t l = rest[1 + a] == '.' ? a + 1 + strspn(rest + 2 + a, "0123456789") : a;
                ok = ok && put(buf, size, &k, ":v", 2) && put(buf, size, &k, rest + 1, l);
        } else if ((streq(canon, "Debian") || streq(canon, "Red Hat")) && rest[0] == ':' &&
                   isdigit((unsigned char) rest[1])) {
                /* the release's major version: Debian:12.5 -> Debian:12, Red Hat:9.4 -> Red Hat:9 */
                ok = ok && put(buf, size, &k, rest, 1 + strspn(rest + 1, "0123456789"));
        } else if (streq(canon, "Red Hat") && strneq(rest, ":enterprise_linux:", 18) &&
                   isdigit((unsigned char) rest[18])) {
                /* OSV's "Red Hat:enterprise_linux:9::appstream" (and ::baseos, ::crb …): one release of
                 * RHEL, whatever the repository; other products (rhel_eus:9.2 …) keep their names */
                ok = ok && put(buf, size, &k, ":", 1) &&
                     put(buf, size, &k, rest + 18, strspn(rest + 18, "0123456789"));
        } else
                ok = ok && put(buf, size, &k, rest, strlen(rest));
        return ok ? buf : NULL;
}

void vdb_pep503(const char *in, char *out, size_t size) {
        size_t k = 0;
        bool sep = false;
        if (size == 0)
                return;
        for (; *in && k + 1 < size; in++) {
                char c = *in;
                if (c == '-' || c == '_' || c == '.') {
                        sep = true;
                        continue;
                }
                if (sep && k > 0)
                        out[k++] = '-';
                sep = false;
                if (k + 1 < size)
                        out[k++] = (char) tolower((unsigned char) c);
        }
        out[k] = 0;
}

const char *vulndb_normalize_package(const char *ecosystem, const char *name, char *buf, size_t size) {
        char eco[VDB_MAX_ECOSYSTEM + 1];
        if (!name || size == 0)
                return NULL;
        if (strlen(name) >= size)
                return NULL;
        if (ecosystem && vulndb_canonical_ecosystem(ecosystem, eco, sizeof eco) && streq(eco, "PyPI")) {
                vdb_pep503(name, buf, size);
                return buf;
        }
        memcpy(buf, name, strlen(name) + 1);
        return buf;
}

enum severity vdb_severity_from_word(const char *s) {
        char w[32];
        size_t n = 0;
        if (!s)
                return SEV_UNKNOWN;
        while (isspace((unsigned char) *s))
                s++;
        for (; s[n] && s[n] != '*' && n + 1 < sizeof w; n++)
                w[n] = (char) tolower((unsigned char) s[n]);
        while (n > 0 && isspace((unsigned char) w[n - 1]))
                n--;
        w[n] = 0;
        if (streq(w, "critical"))
                return SEV_CRITICAL;
        if (streq(w, "high") || streq(w, "important"))
                return SEV_HIGH;
        if (streq(w, "medium") || streq(w, "moderate"))
                return SEV_MEDIUM;
        if (streq(w, "low") || streq(w, "negligible") || streq(w, "unimportant"))
                return SEV_LOW;
        return SEV_UNKNOWN;
}

enum severity vdb_severity_from_cvss(double score) {
        if (score >= 9.0)
                return SEV_CRITICAL;
        if (score >= 7.0)
                return SEV_HIGH;
        if (score >= 4.0)
                return SEV_MEDIUM;
        if (score > 0.0)
                return SEV_LOW;
        return SEV_UNKNOWN;
}

const char *vdb_database_of_id(const char *id) {
        static const struct {
                const char *prefix, *db;
        } map[] = {
                {"GHSA-", "ghsa"},       {"DSA-", "debian"},     {"DLA-", "debian"},
                {"DTSA-", "debian"},     {"DEBIAN-", "debian"},  {"USN-", "ubuntu"},
                {"UBUNTU-", "ubuntu"},   {"LSN-", "ubuntu"},     {"RHSA-", "redhat"},
                {"RHBA-", "redhat"},     {"RHEA-", "redhat"},    {"ALSA-", "almalinux"},
                {"ALBA-", "almalinux"},  {"ALEA-", "almalinux"}, {"RLSA-", "rocky"},
                {"RLBA-", "rocky"},      {"RXSA-", "rocky"},     {"SUSE-", "suse"},
                {"openSUSE-", "suse"},   {"GO-", "go"},          {"PYSEC-", "pypa"},
                {"RUSTSEC-", "rustsec"}, {"CGA-", "chainguard"}, {"BIT-", "bitnami"},
                {"MGASA-", "mageia"},    {"CVE-", "cve"},        {"ALPINE-", "alpine"},
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strneq(id, map[i].prefix, strlen(map[i].prefix)))
                        return map[i].db;
        return "osv";
}

/* The order of docs/vulnerability-matching.md for a finding's primary id: the CVE, then GHSA, then the
 * source's own. */
int vdb_id_rank(const char *id) {
        if (strneq(id, "CVE-", 4))
                return 0;
        if (strneq(id, "GHSA-", 5))
                return 1;
        return 2;
}

int64_t vdb_package_key(const char *ecosystem, const char *package) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (const unsigned char *p = (const unsigned char *) ecosystem; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL; /* separator: never a byte of UTF-8 text */
        for (const unsigned char *p = (const unsigned char *) package; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        /* splitmix64's finalizer spreads FNV's weak low bits */
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebULL;
        h ^= h >> 31;
        int64_t k = (int64_t) (h & (uint64_t) INT64_MAX);
        return k ? k : 1;
}

void vdb_format_time(time_t t, char out[static 32]) {
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(out, 32, "1970-01-01T00:00:00Z");
}

time_t vdb_parse_time(const char *s) {
        struct tm tm = {0};
        if (!s || strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
            !digits(s + 8, 2))
                return (time_t) -1;
        tm.tm_year = atoi(s) - 1900;
        tm.tm_mon = atoi(s + 5) - 1;
        tm.tm_mday = atoi(s + 8);
        const char *p = s + 10;
        long off = 0;
        if ((*p == 'T' || *p == ' ') && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2)) {
                tm.tm_hour = atoi(p + 1);
                tm.tm_min = atoi(p + 4);
                p += 6;
                if (*p == ':' && digits(p + 1, 2)) {
                        tm.tm_sec = atoi(p + 1);
                        p += 3;
                }
                while (*p == '.' || isdigit((unsigned char) *p))
                        p++;
                if ((*p == '+' || *p == '-') && digits(p + 1, 2)) {
                        off = atol(p + 1) * 3600;
                        if (p[3] == ':' && digits(p + 4, 2))
                                off += atol(p + 4) * 60;
                        if (*p == '+')
                                off = -off;
                }
        }
        if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
            tm.tm_min > 59 || tm.tm_sec > 60)
                return (time_t) -1;
        time_t t = timegm(&tm);
        return t == (time_t) -1 ? t : t + off;
}

size_t vdb_strv_len(const char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

bool vdb_strv_contains(const char *const *v, const char *s) {
        for (size_t i = 0; v && v[i]; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}
