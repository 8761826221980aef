/* SPDX-License-Identifier: Apache-2.0 */
/* A root filesystem directory analyzed as one layer. The walk is fd-relative (openat with O_NOFOLLOW), so
 * a symlink inside the tree can never lead us out of it, and it stays on the directory's file system. */

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "layer-internal.h"
#include "path-util.h"

struct fd_member {
        int fd;
        unsigned char buf[128 * 1024];
        uint64_t off;
};

static int fd_next_block(void *userdata, const void **data, size_t *n, int64_t *off) {
        struct fd_member *m = userdata;
        ssize_t k;
        do
                k = read(m->fd, m->buf, sizeof m->buf);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return negative_errno();
        if (k == 0)
                return 0;
        *data = m->buf;
        *n = (size_t) k;
        *off = (int64_t) m->off;
        m->off += (uint64_t) k;
        return 1;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

struct walk_state {
        struct layer_ctx *c;
        dev_t dev;
        struct fd_member *member; /* one read buffer for the whole walk */
};

static int walk_dir(struct walk_state *w, int dfd, char *path, size_t plen, unsigned depth) {
        struct layer_ctx *c = w->c;
        _cleanup_free_ char **names = NULL;
        size_t n = 0, alloc = 0;
        int r = 0;

        if (depth > PATH_MAX_DEPTH) {
                layer_ctx_warn(c, "not descending into '%s': deeper than %d levels", path, PATH_MAX_DEPTH);
                close(dfd);
                return 0;
        }
        DIR *d = fdopendir(dfd);
        if (!d) {
                r = negative_errno();
                close(dfd);
                return r;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n == alloc) {
                        alloc = alloc ? alloc * 2 : 64;
                        char **nn = realloc(names, alloc * sizeof *nn);
                        if (!nn) {
                                r = -ENOMEM;
                                goto out;
                        }
                        names = nn;
                }
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        r = -ENOMEM;
                        goto out;
                }
                n++;
        }
        qsort_safe(names, n, sizeof *names, cmp_names);

        for (size_t i = 0; i < n && r >= 0; i++) {
                const char *name = names[i];
                size_t nl = strlen(name);
                if (plen + 1 + nl > PATH_MAX_IMAGE) {
                        layer_ctx_warn(c, "skipping '%s/%s': path too long", path, name);
                        continue;
                }
                size_t sub = plen;
                if (plen)
                        path[sub++] = '/';
                memcpy(path + sub, name, nl + 1);

                struct stat st;
                if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        layer_ctx_warn(c, "skipping '%s': %s", path, strerror(errno));
                        goto next;
                }
                struct layer_file f = {
                        .path = path,
                        .mode = st.st_mode & 07777,
                        .uid = st.st_uid,
                        .gid = st.st_gid,
                };
                char target[PATH_MAX_IMAGE + 1];
                switch (st.st_mode & S_IFMT) {
                case S_IFREG: f.kind = LF_REG; f.size = (uint64_t) st.st_size; break;
                case S_IFDIR: f.kind = LF_DIR; break;
                case S_IFLNK: {
                        ssize_t k = readlinkat(dirfd(d), name, target, sizeof target - 1);
                        if (k < 0) {
                                layer_ctx_warn(c, "skipping symlink '%s': %s", path, strerror(errno));
                                goto next;
                        }
                        target[k] = 0;
                        f.kind = LF_SYMLINK;
                        f.link = target;
                        break;
                }
                case S_IFCHR: f.kind = LF_CHAR; break;
                case S_IFBLK: f.kind = LF_BLOCK; break;
                case S_IFIFO: f.kind = LF_FIFO; break;
                case S_IFSOCK: f.kind = LF_SOCKET; break;
                default: goto next;
                }
                const struct layer_file *stored = layer_ctx_add_file(c, &f, &r);
                if (r < 0)
                        break;
                if (!stored)
                        goto next;
                if (stored->kind == LF_DIR) {
                        if (st.st_dev != w->dev) {
                                layer_ctx_warn(c, "not descending into '%s': another file system is mounted there",
                                               path);
                                goto next;
                        }
                        int sfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sfd < 0) {
                                layer_ctx_warn(c, "cannot enter '%s': %s", path, strerror(errno));
                                goto next;
                        }
                        r = walk_dir(w, sfd, path, strlen(path), depth + 1);
                } else if (stored->kind == LF_REG && stored->size > 0) {
                        int ffd = openat(dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                        if (ffd < 0) {
                                layer_ctx_warn(c, "cannot read '%s': %s", path, strerror(errno));
                                goto next;
                        }
                        w->member->fd = ffd;
                        w->member->off = 0;
                        struct entry_reader rd = {
                                .next_block = fd_next_block,
                                .userdata = w->member,
                                .size = stored->size,
                                .limit = MIN(stored->size, c->opts->limits.max_stream_file),
                        };
                        r = layer_ctx_process_content(c, stored, &rd);
                        close(ffd);
                        if (r < 0 && r != -ENOMEM) {
                                layer_ctx_warn(c, "cannot read '%s': %s", path, strerror(-r));
                                r = 0;
                        }
                }
        next:
                path[plen] = 0;
        }
out:
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        closedir(d);
        return r;
}

int layer_analyze_dir(const char *root, const struct layer_options *opts, struct diag *d,
                      struct layer_result **ret) {
        struct layer_ctx c;
        struct stat st;
        char path[PATH_MAX_IMAGE + 1] = "";
        int r;

        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot open directory '%s': %s", root, strerror(errno));
        if (fstat(fd, &st) < 0) {
                r = diag_error(d, negative_errno(), "cannot stat '%s': %s", root, strerror(errno));
                close(fd);
                return r;
        }
        r = layer_ctx_init(&c, opts, d, root);
        if (r < 0) {
                close(fd);
                layer_ctx_done(&c);
                return r;
        }
        struct fd_member *m = malloc(sizeof *m);
        if (!m) {
                close(fd);
                layer_ctx_done(&c);
                return -ENOMEM;
        }
        struct walk_state w = { .c = &c, .dev = st.st_dev, .member = m };
        r = walk_dir(&w, fd, path, 0, 0);
        free(m);
        if (r < 0) {
                if (!diag_has_error(d))
                        diag_error(d, r, "cannot read directory '%s': %s", root, strerror(-r));
                layer_ctx_done(&c);
                return r;
        }
        *ret = TAKE_PTR(c.res);
        layer_ctx_done(&c);
        return 0;
}
