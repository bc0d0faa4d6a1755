/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-file reads and replacements: the run directory's files (journals, the names cache) and
 * the hooks' standard input. libc only: the qemu hook's front compiles this file too. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

int fd_write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* read(2) past EINTR: the byte count, 0 at the end, or -errno. */
static ssize_t read_some(int fd, char *buf, size_t size)
{
        for (;;) {
                ssize_t n = read(fd, buf, size);

                if (n >= 0 || errno != EINTR)
                        return n < 0 ? negative_errno() : n;
        }
}

int fd_read_all(int fd, size_t size_hint, size_t max, char **ret, size_t *ret_len)
{
        size_t cap = (size_hint < max ? size_hint : max) + 1;
        _cleanup_free_ char *buf = malloc(cap);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        size_t more = cap * 2 < max + 1 ? cap * 2 : max + 1;
                        char *p = realloc(buf, more);

                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        cap = more;
                }
                n = read_some(fd, buf + len, cap - len);
                if (n <= 0) {
                        if (n < 0)
                                return (int)n;
                        break;
                }
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int fd_read_up_to(int fd, size_t limit, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = malloc(limit ? limit : 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        while (len < limit) {
                ssize_t n = read_some(fd, buf + len, limit - len);

                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int file_replace_at(int dirfd, const char *name, const char *tmp, const char *text, size_t len,
                    unsigned int mode, bool durable)
{
        _cleanup_close_ int fd =
            openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
        int r;

        if (fd < 0)
                return negative_errno();
        r = fd_write_all(fd, text, len);
        if (r >= 0 && durable && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = negative_errno();
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = negative_errno();
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        /* The rename is durable only once the directory is. */
        return durable && fsync(dirfd) < 0 ? negative_errno() : 0;
}
