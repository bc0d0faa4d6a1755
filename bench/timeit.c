/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-timeit [-n RUNS] [-w WARMUP] [-l LABEL] -- COMMAND ARGS...: runs the command RUNS times
 * (after WARMUP untimed runs) with its output sent to /dev/null and prints one line of wall
 * times in ms: min, median, mean and max. A small stand-in for hyperfine, which the machines
 * do not all have; a failing run is reported and stops the measurement, so a figure never
 * hides a command that did not work.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The run's wall time in ms, or a negative value when it did not exit 0. */
static double run_once(char **argv)
{
        double t0 = now_ms();
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                if (null >= 0)
                        dup2(null, STDOUT_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return now_ms() - t0;
}

static int compare_doubles(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        const char *label = NULL;
        int runs = 20, warmup = 2, c;
        double *t, sum = 0;

        while ((c = getopt(argc, argv, "+n:w:l:")) != -1) {
                if (c == 'n')
                        runs = atoi(optarg);
                else if (c == 'w')
                        warmup = atoi(optarg);
                else if (c == 'l')
                        label = optarg;
                else
                        return 2;
        }
        if (optind < argc && strcmp(argv[optind], "--") == 0)
                optind++;
        if (optind >= argc || runs < 1 || warmup < 0) {
                fprintf(stderr, "Usage: bench-timeit [-n RUNS] [-w WARMUP] [-l LABEL] -- "
                                "COMMAND ARGS...\n");
                return 2;
        }
        t = calloc((size_t)runs, sizeof(*t));
        if (!t)
                return 1;
        for (int i = 0; i < warmup + runs; i++) {
                double ms = run_once(argv + optind);

                if (ms < 0) {
                        fprintf(stderr, "bench-timeit: %s failed; no figure\n", argv[optind]);
                        free(t);
                        return 1;
                }
                if (i >= warmup) {
                        t[i - warmup] = ms;
                        sum += ms;
                }
        }
        qsort(t, (size_t)runs, sizeof(*t), compare_doubles);
        printf("%s%smin %.2f ms  median %.2f ms  mean %.2f ms  max %.2f ms  (%d runs)\n",
               label ? label : "", label ? ": " : "", t[0], t[runs / 2], sum / runs, t[runs - 1],
               runs);
        free(t);
        return 0;
}
