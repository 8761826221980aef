/* SPDX-License-Identifier: Apache-2.0 */
/* cgroups as the sensor sees them: which hierarchy to follow, which cgroups are containers', and their
 * ids (the inode of the cgroup's directory, which is the kernfs node id the kernel reports). */

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "runtime-internal.h"

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool rt_is_container_id(const char *s) {
        if (!s)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!is_hex(s[i]))
                        return false;
        return s[64] == 0;
}

int rt_cgroup_container_id(const char *path, char ret_id[static 65]) {
        size_t run = 0, i;
        for (i = 0;; i++) {
                char c = path[i];
                if (c && is_hex(c)) {
                        run++;
                        continue;
                }
                if (run == 64) {
                        memcpy(ret_id, path + i - 64, 64);
                        ret_id[64] = 0;
                        return 0;
                }
                run = 0;
                if (!c)
                        return -ENOENT;
        }
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_mount(const char *s, size_t n, char *out, size_t outlen) {
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < outlen; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        out[k++] = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) |
                                           (s[i + 3] - '0'));
                        i += 3;
                } else {
                        out[k++] = s[i];
                }
        }
        out[k] = 0;
}

/* Is tok one of the comma-separated items of list (n bytes)? */
static bool has_option(const char *list, size_t n, const char *tok) {
        size_t tl = strlen(tok), i = 0;
        while (i < n) {
                size_t j = i;
                while (j < n && list[j] != ',')
                        j++;
                if (j - i == tl && memcmp(list + i, tok, tl) == 0)
                        return true;
                i = j + 1;
        }
        return false;
}

static const char *const v1_controllers[] = {"memory", "pids",    "cpu",    "cpuacct",
                                             "blkio",  "devices", "freezer"};

/* The hierarchy id of a controller in /proc/cgroups ("memory\t4\t95\t1"), -1 when absent or disabled. */
static int proc_cgroups_hierarchy(const char *text, const char *ctl) {
        const char *p = text;
        size_t cl = strlen(ctl);
        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t) (eol - p) : strlen(p);
                if (n > cl && memcmp(p, ctl, cl) == 0 && (p[cl] == '\t' || p[cl] == ' ')) {
                        int h = -1, num = 0, enabled = 0;
                        char line[128];
                        snprintf(line, sizeof(line), "%.*s", (int) MIN(n, sizeof(line) - 1), p);
                        if (sscanf(line + cl, "%d %d %d", &h, &num, &enabled) == 3 && enabled)
                                return h;
                        return -1;
                }
                p = eol ? eol + 1 : NULL;
        }
        return -1;
}

int rt_cgroup_layout_parse(const char *mountinfo, const char *proc_cgroups, struct rt_cgroup_layout *ret) {
        char v2_mount[256] = "", v1_mount[ELEMENTSOF(v1_controllers)][256];
        bool v2_at_default = false;

        memset(v1_mount, 0, sizeof(v1_mount));
        for (const char *p = mountinfo; p && *p;) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t) (eol - p) : strlen(p);
                /* fields: id parent major:minor root mountpoint options [optional…] - fstype source super */
                const char *f[5] = {};
                size_t fl[5] = {};
                size_t i = 0, k = 0;
                while (k < 5 && i < n) {
                        while (i < n && p[i] == ' ')
                                i++;
                        f[k] = p + i;
                        while (i < n && p[i] != ' ')
                                i++;
                        fl[k] = (size_t) (p + i - f[k]);
                        k++;
                }
                const char *sep = NULL;
                for (size_t j = i; j + 2 < n; j++)
                        if (p[j] == ' ' && p[j + 1] == '-' && p[j + 2] == ' ') {
                                sep = p + j + 3;
                                break;
                        }
                if (k == 5 && sep) {
                        size_t rest = (size_t) (p + n - sep);
                        const char *fstype = sep;
                        size_t ftl = 0;
                        while (ftl < rest && fstype[ftl] != ' ')
                                ftl++;
                        const char *src = fstype + ftl + (ftl < rest ? 1 : 0);
                        const char *end = p + n;
                        while (src < end && *src != ' ')
                                src++;
                        const char *super = src < end ? src + 1 : end;
                        size_t sl = (size_t) (end - super);
                        char mnt[256];
                        unescape_mount(f[4], fl[4], mnt, sizeof(mnt));
                        if (ftl == 7 && memcmp(fstype, "cgroup2", 7) == 0) {
                                if (streq(mnt, "/sys/fs/cgroup"))
                                        v2_at_default = true;
                                if (!v2_mount[0] || v2_at_default)
                                        snprintf(v2_mount, sizeof(v2_mount), "%s", mnt);
                        } else if (ftl == 6 && memcmp(fstype, "cgroup", 6) == 0) {
                                for (size_t c = 0; c < ELEMENTSOF(v1_controllers); c++)
                                        if (!v1_mount[c][0] && has_option(super, sl, v1_controllers[c]))
                                                snprintf(v1_mount[c], sizeof(v1_mount[c]), "%s", mnt);
                        }
                }
                p = eol ? eol + 1 : NULL;
        }

        memset(ret, 0, sizeof(*ret));
        if (v2_at_default) {
                ret->v2 = true;
                snprintf(ret->mount, sizeof(ret->mount), "%s", v2_mount);
                return 0;
        }
        for (size_t c = 0; c < ELEMENTSOF(v1_controllers); c++) {
                if (!v1_mount[c][0])
                        continue;
                int h = proc_cgroups_hierarchy(proc_cgroups ? proc_cgroups : "", v1_controllers[c]);
                if (h <= 0)
                        continue;
                snprintf(ret->controller, sizeof(ret->controller), "%s", v1_controllers[c]);
                _Static_assert(sizeof(ret->mount) == sizeof(v1_mount[c]), "mount buffers differ");
                memcpy(ret->mount, v1_mount[c], sizeof(ret->mount)); /* NUL-terminated by snprintf above */
                ret->hierarchy = h;
                return 0;
        }
        if (v2_mount[0]) { /* controllers all on the unified hierarchy, mounted elsewhere */
                ret->v2 = true;
                snprintf(ret->mount, sizeof(ret->mount), "%s", v2_mount);
                return 0;
        }
        return -ENOENT;
}

static int read_text(const char *path, size_t cap, struct buf *b) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        char chunk[4096];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return 0;
                if (b->len + (size_t) n > cap)
                        return -E2BIG;
                int r = buf_append(b, chunk, (size_t) n);
                if (r < 0)
                        return r;
        }
}

int rt_cgroup_detect(const char *root, struct rt_cgroup_layout *ret, struct diag *d) {
        _cleanup_(buf_free) struct buf mi = BUF_INIT(0), pc = BUF_INIT(0);
        char path[512];
        int r;

        if (!root)
                root = "";
        snprintf(path, sizeof(path), "%s/proc/self/mountinfo", root);
        if ((r = read_text(path, 4u << 20, &mi)) < 0)
                return diag_error(d, r, "cannot read '%s': %s", path, strerror(-r));
        snprintf(path, sizeof(path), "%s/proc/cgroups", root);
        (void) read_text(path, 1u << 20, &pc); /* absent on v2-only kernels without v1 support */
        r = rt_cgroup_layout_parse(mi.data ? mi.data : "", pc.data ? pc.data : "", ret);
        if (r < 0)
                return diag_error(d, r,
                                  "no cgroup hierarchy to follow: neither cgroup2 at /sys/fs/cgroup nor a "
                                  "v1 memory, pids or cpu controller is mounted");
        return 0;
}

int rt_cgroup_id(const char *mount, const char *relpath, uint64_t *ret) {
        char path[4096];
        struct stat st;
        if ((size_t) snprintf(path, sizeof(path), "%s%s", mount, relpath) >= sizeof(path))
                return -ENAMETOOLONG;
        if (stat(path, &st) < 0)
                return negative_errno();
        *ret = st.st_ino;
        return 0;
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define SCAN_DEPTH_MAX 8
#define SCAN_DIRS_MAX  200000

static int scan_dir(int dfd, char *rel, size_t rel_len, size_t relcap, int depth, size_t *budget,
                    int (*cb)(void *userdata, uint64_t id, const char *path), void *userdata) {
        _cleanup_(closedirp) DIR *dir = fdopendir(dfd);
        if (!dir) {
                close(dfd);
                return 0;
        }
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (*budget == 0)
                        return 0;
                (*budget)--;
                size_t nl = strlen(de->d_name);
                if (rel_len + 1 + nl + 1 > relcap)
                        continue;
                rel[rel_len] = '/';
                memcpy(rel + rel_len + 1, de->d_name, nl + 1);
                int sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0) {
                        rel[rel_len] = 0;
                        continue;
                }
                char id[65];
                if (rt_cgroup_container_id(rel, id) == 0) {
                        struct stat st;
                        if (fstat(sub, &st) == 0) {
                                int r = cb(userdata, st.st_ino, rel);
                                if (r < 0) {
                                        close(sub);
                                        return r;
                                }
                        }
                }
                if (depth + 1 < SCAN_DEPTH_MAX) {
                        int r = scan_dir(sub, rel, rel_len + 1 + nl, relcap, depth + 1, budget, cb,
                                         userdata);
                        if (r < 0)
                                return r;
                } else {
                        close(sub);
                }
                rel[rel_len] = 0;
        }
        return 0;
}

int rt_cgroup_scan(const char *mount, int (*cb)(void *userdata, uint64_t id, const char *path),
                   void *userdata) {
        char rel[4096] = "";
        size_t budget = SCAN_DIRS_MAX;
        int fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return scan_dir(fd, rel, 0, sizeof(rel), 0, &budget, cb, userdata);
}
