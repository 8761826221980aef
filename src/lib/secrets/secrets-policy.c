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
        /* Language runtimes and toolchains installed by the OS package manager or an official image:
         * their standard libraries and tests are full of sample keys and passwords that are public by
         * design. Application dependencies (site-packages, node_modules) are still searched. */
        "usr/lib/python3/dist-packages",
        "usr/lib/node_modules/npm",
        "usr/lib/node_modules/corepack",
        "usr/local/lib/node_modules/npm",
        "usr/local/lib/node_modules/corepack",
        "usr/share/nodejs",
        "usr/lib/nodejs",
        "usr/share/javascript",
        "usr/local/go",
        "usr/lib/go",
        "usr/lib/jvm",
        "etc/apk/keys", /* public keys */
        "proc",
        "sys",
        "dev",
};

/* "<prefix><digits and dots>/" at the start of p: versioned runtime directories (usr/lib/python3.11/,
 * usr/share/go-1.19/). Returns the rest of the path after that '/', or NULL. */
static const char *versioned_dir(const char *p, const char *prefix) {
        size_t n = strlen(prefix);
        if (!strneq(p, prefix, n))
                return NULL;
        const char *q = p + n;
        if (*q < '0' || *q > '9')
                return NULL;
        while ((*q >= '0' && *q <= '9') || *q == '.')
                q++;
        return *q == '/' ? q + 1 : NULL;
}

/* The standard library of a runtime (package-managed, never where an image keeps its secrets). Pip and
 * npm installs below it (site-packages, dist-packages) are application dependencies: searched. */
static bool is_runtime_stdlib(const char *p) {
        static const char *const roots[] = {
                "usr/lib/python",      "usr/local/lib/python", "usr/lib/ruby/",
                "usr/local/lib/ruby/", "usr/lib/go-",          "usr/share/go-",
        };
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                const char *rest = versioned_dir(p, roots[i]);
                if (!rest)
                        continue;
                if (str_has_prefix(rest, "site-packages/") || str_has_prefix(rest, "dist-packages/") ||
                    str_has_prefix(rest, "gems/"))
                        return false;
                return true;
        }
        /* yarn as installed by the official node images: opt/yarn-v1.22.19/ */
        return str_has_prefix(p, "opt/yarn-v");
}

/* Directories that hold third-party packages. Inside them, tests, examples and documentation are
 * skipped: that is where sample keys and "password: hunter2" live, not where an image's secrets do. */
static const char *const package_trees[] = {
        "node_modules", "site-packages", "dist-packages",    "vendor",
        "third_party",  "gems",          "bower_components",
};
static const char *const package_noise_dirs[] = {
        "test",      "tests",      "testdata", "__tests__", "__mocks__", "fixtures", "__fixtures__",
        "spec",      "specs",      "example",  "examples",  "doc",       "docs",     "man",
        "benchmark", "benchmarks", "testing",  "samples",   "e2e",
};
static const char *const package_noise_suffixes[] = {
        ".md", ".markdown", ".rst", ".adoc", ".txt", ".html", ".htm", ".1", ".3", ".5", ".7",
};

static bool is_package_noise(const char *p) {
        const char *tree = NULL;
        for (size_t i = 0; i < ELEMENTSOF(package_trees) && !tree; i++) {
                size_t n = strlen(package_trees[i]);
                for (const char *s = p; (s = strstr(s, package_trees[i])); s++)
                        if ((s == p || s[-1] == '/') && s[n] == '/') {
                                tree = s + n + 1;
                                break;
                        }
        }
        if (!tree)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(package_noise_dirs); i++) {
                size_t n = strlen(package_noise_dirs[i]);
                for (const char *s = tree; (s = strstr(s, package_noise_dirs[i])); s++)
                        if ((s == tree || s[-1] == '/') && s[n] == '/')
                                return true;
        }
        const char *base = path_basename(p);
        size_t n = strlen(base);
        for (size_t i = 0; i < ELEMENTSOF(package_noise_suffixes); i++) {
                size_t k = strlen(package_noise_suffixes[i]);
                if (n >= k && strcasecmp(base + n - k, package_noise_suffixes[i]) == 0)
                        return true;
        }
        /* package metadata (a copy of the README), and test files next to the code */
        if (streq(base, "PKG-INFO") || streq(base, "METADATA") || strncasecmp(base, "readme", 6) == 0 ||
            strncasecmp(base, "example", 7) == 0 || strncasecmp(base, "changelog", 9) == 0 ||
            strstr(base, ".test.") || strstr(base, ".spec.") || str_has_prefix(base, "test_") ||
            str_has_suffix(base, "_test.py") || str_has_suffix(base, "_test.go"))
                return true;
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

static bool has_suffix_ci(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);
        return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Shared objects carry their version after ".so" (libfoo.so.1.2.3). */
static bool is_versioned_so(const char *base) {
        const char *p = strstr(base, ".so.");
        if (!p)
                return false;
        for (p += 4; *p; p++)
                if (!((*p >= '0' && *p <= '9') || *p == '.'))
                        return false;
        return true;
}

bool secrets_engine_wants(const struct secrets_engine *e, const char *path, uint64_t size) {
        if (!path || size == 0 || size > SECRETS_MAX_FILE_SIZE)
                return false;
        /* Callers give image paths ("etc/passwd"); accept "/etc/passwd" and "./etc/passwd" too. */
        while (*path == '/' || (path[0] == '.' && path[1] == '/'))
                path += path[0] == '/' ? 1 : 2;

        for (size_t i = 0; i < ELEMENTSOF(skip_dirs); i++)
                if (path_is_under(path, skip_dirs[i]))
                        return false;
        if (is_runtime_stdlib(path) || is_package_noise(path))
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
