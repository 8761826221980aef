/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Version parsing and comparison, one scheme per packaging ecosystem, and the OSV range check built on
 * top of them. The matcher decides with these whether an installed package is affected by an advisory,
 * so each scheme reproduces its ecosystem's own tool exactly (dpkg, apk-tools, rpm, node-semver,
 * golang.org/x/mod/semver, pypa/packaging, Maven's ComparableVersion, RubyGems, NuGet.Versioning); the
 * few places where a tool's answer depends on the machine or on a bug in it are listed with each scheme
 * below and in the scheme's source file.
 *
 * Versions come from images and feeds and are hostile: every function accepts any NUL-terminated string,
 * reads nothing past its terminator, runs in time linear in the lengths of its inputs (100 KB versions
 * are fine) and never allocates: comparisons work on the strings in place, so the matcher can call them
 * millions of times. All functions are thread-safe (no shared state).
 *
 * Schemes and what they accept:
 *   VS_DPKG    Debian/Ubuntu: [epoch:]upstream[-revision], dpkg's verrevcmp. Accepts what
 *              `dpkg --compare-versions` accepts: its hard syntax errors (empty version, empty or
 *              non-numeric or too big epoch, empty upstream or revision, embedded blanks) are -EINVAL;
 *              what dpkg only warns about (upstream not starting with a digit, odd characters) compares
 *              as dpkg compares it. Bytes >= 0x80 order as dpkg built with a signed char (amd64, i386)
 *              orders them.
 *   VS_APK     Alpine, Wolfi, Chainguard: apk-tools 3 (apk-tools 2 differs only on zero-padded
 *              components such as 2.0 vs 2.007): digit{.digit}[letter]{_suffix[N]}[~hash][-rN]. Invalid
 *              versions (as apk_version_validate() decides) are -EINVAL.
 *   VS_RPM     Red Hat family, SUSE, …: [epoch:]version[-release], rpmvercmp() on each part with `~`
 *              and `^`; a missing epoch is 0, a missing release sorts before any release (rpm 4.18's
 *              rpmverCmp(), which `rpm.vercmp()` uses). Only the empty string is invalid.
 *   VS_SEMVER  npm, crates.io, Hex, Pub, …: SemVer 2.0.0 precedence (build metadata ignored). Accepted:
 *              MAJOR.MINOR.PATCH[-pre][+build] after node-semver's loose prefix (any mix of blanks, `v`
 *              and `=`), numbers with leading zeros compare by value (node-semver loose mode).
 *   VS_GO      Go modules and the Go toolchain: semver with a `v` prefix (optional here, as the Go vulndb
 *              writes it without), shorthands v1 and v1.2, no leading zeros; `+incompatible` is build
 *              metadata (ignored); pseudo-versions are prereleases and order as such. Toolchain tags
 *              "go1.21.3", "go1.21", "go1.21rc2", "go1.9beta2" compare as v1.21.3, v1.21.0,
 *              v1.21.0-rc.2 and v1.9.0-beta.2 (as the Go vulndb maps them).
 *   VS_PEP440  PyPI: PEP 440 as packaging.version.Version parses and orders it (epochs, implicit zeros,
 *              pre/post/dev spellings, local versions); anything Version() rejects is -EINVAL.
 *   VS_MAVEN   Maven: ComparableVersion of Maven 3.9 (identical to 3.8.7). Every string is valid. Like
 *              ComparableVersion, not transitive on some odd strings ("=b" < "0.0.0alpha00" < "release"
 *              yet "=b" > "release").
 *   VS_GEM     RubyGems: Gem::Version of RubyGems 3.5 and later; strings Gem::Version.correct? rejects
 *              are -EINVAL (the empty string is "0", as there).
 *   VS_NUGET   NuGet: NuGetVersion order (up to four numbers, case-insensitive prerelease labels,
 *              metadata ignored).
 *   VS_GENERIC anything else: runs of digits compare as numbers, runs of letters case-insensitively,
 *              other bytes separate; a letter run where the other version has a number or has ended
 *              marks a prerelease (1.0rc1 < 1.0 < 1.0.1). Every string is valid.
 */

#include "macro.h"

enum version_scheme {
        VS_DPKG,
        VS_APK,
        VS_RPM,
        VS_SEMVER,
        VS_GO,
        VS_PEP440,
        VS_MAVEN,
        VS_GEM,
        VS_NUGET,
        VS_GENERIC,
        _VERSION_SCHEME_MAX,
};

/* The scheme for an OSV ecosystem name ("Debian:12", "Alpine:v3.18", "PyPI", "Go", "crates.io",
 * "Red Hat:rhel_aus:8.4::appstream", …). Only the part before the first ':' counts, and case does not.
 * Returns the scheme (>= 0), or -EINVAL for an ecosystem whose versions cannot be ordered (GIT) or that
 * is unknown; a caller that still wants an answer can use VS_GENERIC. */
int version_scheme_for_ecosystem(const char *osv_ecosystem);
/* The same for a package-URL type ("deb", "apk", "rpm", "pypi", "npm", "cargo", "golang", "maven",
 * "gem", "nuget", …). */
int version_scheme_for_purl_type(const char *purl_type);
/* "dpkg", "apk", "rpm", "semver", "go", "pep440", "maven", "gem", "nuget", "generic"; NULL if out of
 * range. version_scheme_from_string() is the inverse (-EINVAL if unknown). */
const char *version_scheme_to_string(enum version_scheme s);
int version_scheme_from_string(const char *name);

/* Compares a with b in scheme s: *ret is set to <0, 0 or >0 (only the sign is meaningful). Returns 0,
 * -EINVAL if a or b is not a valid version in s (*ret untouched), or -EINVAL/-EOPNOTSUPP for a bad
 * scheme. compare(a, b) == -compare(b, a) for every pair of valid versions. */
int version_compare(enum version_scheme s, const char *a, const char *b, int *ret);
/* Whether v is accepted by version_compare() in scheme s. */
bool version_valid(enum version_scheme s, const char *v);

/* RPM helpers for callers that hold the parts separately (an rpmdb header): rpm's rpmvercmp() of two
 * strings (-1, 0, 1; no EVR splitting), and an EVR comparison from parts, as VS_RPM orders
 * "epoch:version-release": a NULL or empty epoch is 0 (epochs must be digits, else -EINVAL), a NULL
 * release sorts before any release. */
int version_rpmvercmp(const char *a, const char *b);
int version_rpm_evr_compare(const char *epoch_a, const char *version_a, const char *release_a,
                            const char *epoch_b, const char *version_b, const char *release_b, int *ret);

/* OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation) for ECOSYSTEM and SEMVER ranges:
 * the events of one range, in any order. "0" as introduced sorts before every version; a limit
 * containing '*' is infinity; without limit events there is no limit. Where the specification's sorted
 * walk is ambiguous or wrong, the answer is what OSV.dev computes for a record's affected versions:
 *   - a list alternating introduced and fixed/last_affected events (nearly every record) is the union of
 *     its intervals, which is the sorted walk's answer when they do not overlap and the intended one when
 *     they do (PYSEC-2021-114: [2.11, 2.11.7) and [0, 2.11.6) make 2.11.6 affected);
 *   - otherwise the sorted walk, where among equal versions an introduced directly followed by a closing
 *     event of that version applies first (so "introduced X, fixed X" is empty), then fixed and
 *     last_affected, then other introduced events (a range ending at X and one starting at X make X
 *     affected).
 * *ret is set to whether v is affected. Returns 0, or -EINVAL if v or any event's version is invalid in s
 * or an event kind is unknown (*ret untouched): the caller decides whether to fall back to another scheme
 * or to skip the advisory. At most 2n comparisons. */
enum version_event_kind {
        EV_INTRODUCED,
        EV_FIXED,
        EV_LAST_AFFECTED,
        EV_LIMIT,
};

struct version_event {
        enum version_event_kind kind;
        const char *version;
};

int version_in_range(enum version_scheme s, const char *v, const struct version_event *ev, size_t n,
                     bool *ret);
/* The same, and the upgrade target to report: when v is affected, *ret_fixed is the smallest fixed event
 * above v (one of ev[]'s strings), or NULL when the range has none; NULL when v is not affected. */
int version_in_range_fixed(enum version_scheme s, const char *v, const struct version_event *ev, size_t n,
                           bool *ret, const char **ret_fixed);
