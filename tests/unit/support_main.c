/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs every TEST() of the executable and prints the closing "N passed, N failed" line. */
#include <sys/stat.h>

#include "test.h"

int test_failures;

extern const struct test_case __start_vfh_tests[];
extern const struct test_case __stop_vfh_tests[];

int main(void)
{
        int passed = 0, failed = 0;

        /* The files the tests write are the host's: as root writes them (the configuration must
         * not be writable by group or others), whatever the caller's umask. */
        umask(022);
        for (const struct test_case *t = __start_vfh_tests; t < __stop_vfh_tests; t++) {
                int before = test_failures;

                t->fn();
                if (test_failures == before) {
                        printf("ok - %s\n", t->name);
                        passed++;
                } else {
                        printf("not ok - %s\n", t->name);
                        failed++;
                }
        }
        if (passed + failed == 0) {
                fprintf(stderr, "no test registered\n");
                return 1;
        }
        printf("%d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
}
