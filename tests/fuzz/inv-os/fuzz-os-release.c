/* SPDX-License-Identifier: Apache-2.0 */
/* os-release and the other files that identify a distribution: the analyzer and every parser. */
#include "arena.h"
#include "fuzz-inv.h"
#include "inventory/os-release.h"

static void check(const char *s)
{
        if (s && !text_field_ok(s, strlen(s), OS_RELEASE_VALUE_MAX))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {
                "etc/os-release",     "usr/lib/os-release", "etc/lsb-release",
                "etc/alpine-release", "etc/debian_version", "etc/redhat-release",
                "etc/system-release", "etc/centos-release", NULL,
        };
        fuzz_feed_paths(data, size, paths);

        struct arena *a = arena_new(0);
        if (!a)
                abort();
        for (size_t i = 0; paths[i]; i++) {
                struct os_release o;
                if (os_file_parse(paths[i], (const char *) data, size, a, &o) < 0)
                        abort();
                check(o.id);
                check(o.id_like);
                check(o.name);
                check(o.version);
                check(o.version_id);
                check(o.version_codename);
                check(o.pretty_name);
        }
        arena_free(a);
        return 0;
}
