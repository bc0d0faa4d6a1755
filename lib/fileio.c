/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-file reads and replacements in the run directory (journals, the names cache). */
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
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
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
