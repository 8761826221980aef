/* SPDX-License-Identifier: Apache-2.0 */
/* Which files are searched for secrets (stated in man/stockade-secret-rules.5, FILE POLICY). The policy
 * only skips what is package-managed reference data or a binary format: places where a real secret is
 * implausible and a false positive is likely (example keys in documentation, translations of
 * "password:"). Homes, /etc, /app, /srv, /opt, dotfiles and key files are always searched. */

#include <strings.h>

#include "path-util.h"
#include "secrets-internal.h"

/* Directories whose whole subtree is skipped (image paths, no leading '/'). */
static const char *const skip_dirs[] = {
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/locale",
        "usr/share/i18n",
        "usr/share/zoneinfo",
        "usr/share/zoneinfo-icu",
        "usr/share/terminfo",
        "usr/lib/terminfo",
        "lib/terminfo",
        "usr/share/mime",
        "usr/share/icons",
        "usr/share/pixmaps",
        "usr/share/fonts",
        "usr/share/X11/locale",
        "usr/share/common-licenses",
        "usr/share/licenses",
        "usr/share/help",
        "usr/share/gtk-doc",
        "usr/share/lintian",
        "usr/share/bug",
        "usr/share/ca-certificates", /* certificates only; /etc/ssl is still searched */
        "usr/share/publicsuffix",
        "usr/share/misc", /* magic, pci.ids, usb.ids */
        "usr/share/hwdata",
        "usr/share/perl",
        "usr/share/perl5",
        "usr/lib/locale",
        "usr/lib/x86_64-linux-gnu/perl",
        "usr/lib/x86_64-linux-gnu/perl-base",
        "usr/lib/aarch64-linux-gnu/perl",
        "usr/lib/aarch64-linux-gnu/perl-base",
        "usr/include",
        "var/lib/dpkg",
        "var/lib/apt/lists",
        "var/cache/apt",
        "var/cache/man",
        "var/cache/ldconfig",
        "var/lib/rpm",
        "var/lib/yum",
        "var/lib/dnf",
        "var/cache/yum",
        "var/cache/dnf",
        "lib/apk/db",
        "etc/apk/keys", /* public keys */
        "proc",
        "sys",
        "dev",
};

/* Python's own regression tests (libpythonX.Y-testsuite, or a source-built Python): full of sample
 * keys and passwords that are public by design. */
static bool is_python_testsuite(const char *p)
{
        static const char *const roots[] = {"usr/lib/python", "usr/local/lib/python"};
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                size_t n = strlen(roots[i]);
                if (!strneq(p, roots[i], n))
                        continue;
                const char *q = p + n;
                while ((*q >= '0' && *q <= '9') || *q == '.')
                        q++;
                if (strneq(q, "/test/", 6) || strneq(q, "/lib2to3/tests/", 15) ||
                    strneq(q, "/idlelib/idle_test/", 19))
                        return true;
        }
        return false;
}

/* File name suffixes of formats that are binary, compressed, or compiled: the scanner would skip most
 * of them as binary anyway, but only after reading them. */
static const char *const skip_suffixes[] = {
        /* images */
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".ico",
        ".icns",
        ".webp",
        ".tif",
        ".tiff",
        ".xcf",
        ".psd",
        ".svg",
        ".svgz",
        ".xpm",
        ".xbm",
        ".cur",
        /* fonts */
        ".ttf",
        ".otf",
        ".woff",
        ".woff2",
        ".eot",
        ".pfb",
        ".pfa",
        ".afm",
        ".pcf",
        ".pcf.gz",
        ".bdf",
        ".psf",
        ".psfu",
        /* compressed and archives */
        ".gz",
        ".tgz",
        ".bz2",
        ".tbz2",
        ".xz",
        ".txz",
        ".lz",
        ".lzma",
        ".lz4",
        ".zst",
        ".z",
        ".zip",
        ".7z",
        ".rar",
        ".jar",
        ".war",
        ".ear",
        ".whl",
        ".egg",
        ".deb",
        ".udeb",
        ".rpm",
        ".apk",
        ".cab",
        ".iso",
        ".br",
        /* audio and video */
        ".mp3",
        ".mp4",
        ".m4a",
        ".ogg",
        ".oga",
        ".ogv",
        ".wav",
        ".flac",
        ".avi",
        ".mkv",
        ".mov",
        ".webm",
        ".opus",
        /* compiled */
        ".pyc",
        ".pyo",
        ".class",
        ".o",
        ".a",
        ".so",
        ".ko",
        ".mo",
        ".gmo",
        ".dll",
        ".exe",
        ".wasm",
        ".node",
        ".beam",
        ".elc",
        ".dat.gz",
        /* documents and data */
        ".pdf",
        ".ps",
        ".eps",
        ".dvi",
        ".db",
        ".sqlite",
        ".sqlite3",
        ".mdb",
        /* text that is never configuration: translations, TypeScript declarations */
        ".po",
        ".pot",
        ".d.ts",
        ".d.mts",
        ".d.cts",
};

static bool has_suffix_ci(const char *s, size_t n, const char *suffix)
{
        size_t k = strlen(suffix);
        return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Shared objects carry their version after ".so" (libfoo.so.1.2.3). */
static bool is_versioned_so(const char *base)
{
        const char *p = strstr(base, ".so.");
        if (!p)
                return false;
        for (p += 4; *p; p++)
                if (!((*p >= '0' && *p <= '9') || *p == '.'))
                        return false;
        return true;
}

bool secrets_engine_wants(const struct secrets_engine *e, const char *path, uint64_t size)
{
        if (!path || size == 0 || size > SECRETS_MAX_FILE_SIZE)
                return false;
        /* Callers give image paths ("etc/passwd"); accept "/etc/passwd" and "./etc/passwd" too. */
        while (*path == '/' || (path[0] == '.' && path[1] == '/'))
                path += path[0] == '/' ? 1 : 2;

        for (size_t i = 0; i < ELEMENTSOF(skip_dirs); i++)
                if (path_is_under(path, skip_dirs[i]))
                        return false;
        if (is_python_testsuite(path))
                return false;
        /* Compiled Python and git's compressed object store. */
        if (path_has_component(path, "__pycache__") || strstr(path, ".git/objects/"))
                return false;

        const char *base = path_basename(path);
        size_t n = strlen(base);
        for (size_t i = 0; i < ELEMENTSOF(skip_suffixes); i++)
                if (has_suffix_ci(base, n, skip_suffixes[i]))
                        return false;
        if (is_versioned_so(base))
                return false;
        return true;
}
