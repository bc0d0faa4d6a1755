/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal: its text form round-trips, its parser refuses anything broken, files are
 * replaced atomically in a run dir nobody else controls, and ownership follows live owners. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "support.h"

static vfh_ctx *ctx_at(const char *root)
{
        vfh_ctx *ctx = test_ctx_at(root);

        test_mkdir(root, "run");
        return ctx;
}

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

static struct journal *sample(vfh_ctx *ctx)
{
        struct journal *j = NULL;
        struct journal_record *rec;

        if (journal_new(ctx, JOURNAL_OWNER_DOMAIN, UUID, "guest one", &j) < 0)
                abort();
        rec = journal_append(j, "bind");
        journal_record_set(rec, "device", "0000:03:00.0");
        journal_record_set(rec, "driver", "e1000e");
        journal_record_set(rec, "override", "");
        rec->state = JOURNAL_DONE;
        rec = journal_append(j, "vf");
        journal_record_set(rec, "note", "a=b %c\nd");
        return j;
}

TEST(format_and_parse_round_trip)
{
        vfh_ctx *ctx = ctx_at(test_tmpdir());
        struct journal *j = sample(ctx), *back = NULL;
        char *text = NULL, *again = NULL, err[128];

        CHECK_INT(journal_format(j, &text), 0);
        CHECK_CONTAINS(text, "vfiohook-journal version=1\n");
        CHECK_CONTAINS(text, "owner kind=domain id=1b4e28ba-2fa1-11d2-883f-0016d3cca427 "
                             "name=guest%20one\n");
        CHECK_CONTAINS(text, "record 1 bind done device=0000:03:00.0 driver=e1000e override=\n");
        CHECK_CONTAINS(text, "record 2 vf intent note=a%3Db%20%25c%0Ad\n");
        CHECK_CONTAINS(text, "end records=2 next=3\n");
        CHECK_INT(journal_parse_buffer(text, strlen(text), &back, err, sizeof(err)), 0);
        if (back) {
                CHECK_STR(back->name, "guest one");
                CHECK_INT(back->n_records, 2);
                CHECK_STR(journal_record_get(&back->records[1], "note"), "a=b %c\nd");
                CHECK_INT(back->records[0].state, JOURNAL_DONE);
                CHECK_INT(back->next_seq, 3);
                CHECK_INT(journal_format(back, &again), 0);
                CHECK_STR(again, text);
        }
        free(text);
        free(again);
        journal_free(back);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

static void expect_refused(const char *text, const char *why)
{
        struct journal *j = NULL;
        char err[256];

        CHECK_INT(journal_parse_buffer(text, strlen(text), &j, err, sizeof(err)), -EBADMSG);
        CHECK(j == NULL);
        CHECK_CONTAINS(err, why);
}

TEST(parser_refuses_broken_journals)
{
        static const char head[] = "vfiohook-journal version=1\nowner kind=cli id=cli name=\n";
        char buf[512];

        expect_refused("", "no end line");
        expect_refused("vfiohook-journal version=2\n", "version 2 is not known");
        snprintf(buf, sizeof(buf), "%srecord 1 bind done device=x\n", head);
        expect_refused(buf, "no end line");
        snprintf(buf, sizeof(buf), "%srecord 1 bind done device=x\nend records=1 next=2", head);
        expect_refused(buf, "no newline");
        snprintf(buf, sizeof(buf), "%srecord 1 bind done device=x\nend records=2 next=2\n", head);
        expect_refused(buf, "counts 2 records");
        snprintf(buf, sizeof(buf),
                 "%srecord 2 bind done\nrecord 2 bind done\nend records=2 next=3\n", head);
        expect_refused(buf, "out of order");
        snprintf(buf, sizeof(buf), "%srecord 1 bind done a=1 a=2\nend records=1 next=2\n", head);
        expect_refused(buf, "duplicate key");
        snprintf(buf, sizeof(buf), "%srecord 1 bind done a=%%4\nend records=1 next=2\n", head);
        expect_refused(buf, "bad escape");
        snprintf(buf, sizeof(buf), "%srecord 1 bind maybe\nend records=1 next=2\n", head);
        expect_refused(buf, "bad record state");
        snprintf(buf, sizeof(buf), "%send records=0 next=1\ngarbage\n", head);
        expect_refused(buf, "after the end line");
        expect_refused("vfiohook-journal version=1\nowner kind=cli id=../x name=\n", "owner id");
        snprintf(buf, sizeof(buf), "%srecord 1 bind done  a=1\nend records=1 next=2\n", head);
        expect_refused(buf, "empty field");
}

TEST(save_load_and_remove_atomically)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = sample(ctx), *back = NULL;
        char path[PATH_MAX], **ids = NULL;
        struct stat st;

        CHECK_INT(journal_save(ctx, j), 0);
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0700);
        snprintf(path, sizeof(path), "%s/run/vfiohook/%s.journal", root, j->id);
        CHECK_INT(access(path, F_OK), 0);
        snprintf(path, sizeof(path), "%s/run/vfiohook/.%s.journal.tmp", root, j->id);
        CHECK(access(path, F_OK) < 0);
        CHECK_INT(journal_load(ctx, j->id, &back), 0);
        CHECK(back && back->n_records == 2);
        CHECK_INT(journal_list_ids(ctx, &ids), 0);
        CHECK(ids && ids[0] && strcmp(ids[0], j->id) == 0 && !ids[1]);
        journal_ids_free(ids);
        journal_drop(j, 1);
        journal_drop(j, 0);
        CHECK_INT(journal_save(ctx, j), 0); /* empty: the file goes */
        journal_free(back);
        back = NULL;
        CHECK_INT(journal_load(ctx, j->id, &back), -ENOENT);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(truncated_file_is_refused_with_its_name)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = NULL;

        test_write_file(root, "run/vfiohook/cli.journal",
                        "vfiohook-journal version=1\nowner kind=cli id=cli name=\n"
                        "record 1 bind done device=0000:03:00.0\n");
        CHECK_INT(journal_load(ctx, "cli", &j), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "/run/vfiohook/cli.journal: line 4: no end line");
        CHECK(j == NULL);
        vfh_ctx_unref(ctx);
}

TEST(symlinked_or_open_run_dir_is_refused)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = NULL;
        char path[PATH_MAX];

        test_mkdir(root, "elsewhere");
        test_symlink(root, "run/vfiohook", "/elsewhere");
        CHECK_INT(journal_load(ctx, "cli", &j), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "is a symlink");
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        unlink(path);
        test_mkdir(root, "run/vfiohook");
        chmod(path, 0777);
        CHECK_INT(journal_load(ctx, "cli", &j), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "writable only by it");
        vfh_ctx_unref(ctx);
}

TEST(claims_hold_until_release_running_or_not)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = sample(ctx), *owner = NULL;
        char who[512];

        CHECK_INT(journal_save(ctx, j), 0);
        /* No pid file: between prepare and QEMU, or QEMU's exit and release, a domain looks
         * like this; its journal still claims, and the message says how to clear a stale one. */
        CHECK_INT(journal_find_claim(ctx, "device", "0000:03:00.0", NULL, &owner), 1);
        CHECK(owner && strcmp(owner->name, "guest one") == 0);
        CHECK_CONTAINS(journal_claim_describe(ctx, owner, who, sizeof(who)),
                       "domain 'guest one' (journal " UUID "), which is starting or stopping");
        CHECK_CONTAINS(who, "vfiohookctl recover --domain 'guest one'");
        journal_free(owner);
        owner = NULL;
        test_write_file(root, "run/libvirt/qemu/guest one.pid", "4242\n");
        test_mkdir(root, "proc/4242");
        CHECK_INT(journal_find_claim(ctx, "device", "0000:03:00.0", NULL, &owner), 1);
        CHECK_STR(journal_claim_describe(ctx, owner, who, sizeof(who)),
                  "running domain 'guest one' (journal " UUID ")");
        journal_free(owner);
        owner = NULL;
        CHECK_INT(journal_find_claim(ctx, "device", "0000:03:00.0", j->id, &owner), 0);
        CHECK_INT(journal_find_claim(ctx, "device", "0000:09:00.0", NULL, &owner), 0);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(lock_is_exclusive_and_times_out)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        int fd = -1, fd2 = -1;

        vfh_ctx_set_timeout_ms(ctx, 100);
        CHECK_INT(journal_lock(ctx, &fd), 0);
        CHECK(fd >= 0);
        CHECK_INT(journal_lock(ctx, &fd2), -ETIMEDOUT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "another vfiohook run still holds it");
        journal_unlock(fd);
        CHECK_INT(journal_lock(ctx, &fd2), 0);
        journal_unlock(fd2);
        vfh_ctx_unref(ctx);
}

TEST(a_journal_file_over_the_limit_is_refused_and_a_long_one_is_read_whole)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = NULL, *back = NULL;
        char path[PATH_MAX], value[512];
        FILE *f;

        /* Longer than a page: the read buffer is sized by the file, not by the limit. */
        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_DOMAIN, UUID, "guest", &j), 0);
        memset(value, 'v', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        for (int i = 0; i < 40; i++)
                journal_record_set(journal_append(j, "bind"), "note", value);
        CHECK_INT(journal_save(ctx, j), 0);
        CHECK_INT(journal_load(ctx, UUID, &back), 0);
        CHECK_INT(back ? back->n_records : 0, 40);
        journal_free(back);
        journal_free(j);

        snprintf(path, sizeof(path), "%s/run/vfiohook/%s.journal", root, UUID);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
                for (size_t n = 0; n <= JOURNAL_MAX_BYTES; n += sizeof(value) - 1)
                        fputs(value, f);
                fclose(f);
        }
        back = NULL;
        CHECK_INT(journal_load(ctx, UUID, &back), -EFBIG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "cannot read it");
        CHECK(back == NULL);
        vfh_ctx_unref(ctx);
}

/* The state of record i as the file has it, or -1 when the file or the record is missing. */
static int state_on_disk(vfh_ctx *ctx, size_t i)
{
        struct journal *back = NULL;
        int state = -1;

        if (journal_load(ctx, UUID, &back) == 0 && i < back->n_records)
                state = (int)back->records[i].state;
        journal_free(back);
        return state;
}

TEST(a_batch_writes_each_intent_at_once_and_done_marks_with_the_next_write)
{
        vfh_ctx *ctx = ctx_at(test_tmpdir());
        struct journal *j = NULL;
        struct journal_record *rec;

        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_DOMAIN, UUID, "guest", &j), 0);
        journal_batch(j);
        rec = journal_append(j, "bind");
        CHECK_INT(journal_intent(ctx, j, rec), 0);
        CHECK_INT(state_on_disk(ctx, 0), JOURNAL_INTENT); /* before its change: always */
        CHECK_INT(journal_done(ctx, j, &j->records[0]), 0);
        CHECK_INT(state_on_disk(ctx, 0), JOURNAL_INTENT); /* "maybe done" until the next write */
        rec = journal_append(j, "bind");
        CHECK_INT(journal_intent(ctx, j, rec), 0);
        CHECK_INT(state_on_disk(ctx, 0), JOURNAL_DONE);
        CHECK_INT(state_on_disk(ctx, 1), JOURNAL_INTENT);
        CHECK_INT(journal_done(ctx, j, &j->records[1]), 0);
        CHECK_INT(journal_commit(ctx, j), 0);
        CHECK_INT(state_on_disk(ctx, 1), JOURNAL_DONE);
        /* Undone records go from memory at once, from the file at the commit. */
        CHECK_INT(journal_drop_undone(ctx, j, 1), 0);
        CHECK_INT(state_on_disk(ctx, 1), JOURNAL_DONE);
        CHECK_INT(journal_drop_undone(ctx, j, 0), 0);
        CHECK_INT(state_on_disk(ctx, 0), JOURNAL_DONE);
        CHECK_INT(journal_commit(ctx, j), 0);
        CHECK_INT(state_on_disk(ctx, 0), -1); /* empty: the file is gone */
        CHECK_INT(journal_commit(ctx, j), 0); /* nothing left to write */
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(without_a_batch_every_mark_and_drop_is_written_at_once)
{
        vfh_ctx *ctx = ctx_at(test_tmpdir());
        struct journal *j = NULL;

        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_DOMAIN, UUID, "guest", &j), 0);
        CHECK_INT(journal_intent(ctx, j, journal_append(j, "bind")), 0);
        CHECK_INT(journal_done(ctx, j, &j->records[0]), 0);
        CHECK_INT(state_on_disk(ctx, 0), JOURNAL_DONE);
        CHECK_INT(journal_drop_undone(ctx, j, 0), 0);
        CHECK_INT(state_on_disk(ctx, 0), -1);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

/* What a holder in another process does once it has the lock (run in the child). */
enum holder_end {
        HOLDER_UNLOCKS, /* journal_unlock, then stays alive until told to exit */
        HOLDER_DIES,    /* killed while it holds the lock: only the kernel releases it */
        HOLDER_WAITS,   /* keeps the lock until told to exit */
};

/* Forks a process that takes the global lock, says so, then ends as told. Returns its pid;
 * *go is written to let it exit. */
static pid_t fork_holder(const char *root, enum holder_end end, int *go)
{
        int held[2], release[2];
        char byte = 0;
        pid_t pid;

        if (pipe(held) < 0 || pipe(release) < 0)
                abort();
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                vfh_ctx *ctx = ctx_at(root);
                int fd = -1;

                if (journal_lock(ctx, &fd) < 0)
                        _exit(3);
                if (write(held[1], "h", 1) != 1)
                        _exit(4);
                /* Long enough for the parent to be waiting when the lock goes. */
                nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000}, NULL);
                if (end == HOLDER_DIES)
                        raise(SIGKILL);
                if (end == HOLDER_UNLOCKS)
                        journal_unlock(fd);
                _exit(read(release[0], &byte, 1) == 1 ? 0 : 5);
        }
        close(held[1]);
        close(release[0]);
        if (read(held[0], &byte, 1) != 1)
                abort();
        close(held[0]);
        *go = release[1];
        return pid;
}

/* Lets the holder exit (a dead one is not written to: that would raise SIGPIPE) and waits. */
static int reap(pid_t pid, int go, bool alive)
{
        int status = 0;

        if (alive && write(go, "g", 1) != 1)
                status = -1;
        close(go);
        waitpid(pid, &status, 0);
        return status;
}

TEST(waiter_takes_the_lock_when_the_holder_releases_it)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        int go, fd = -1, status;
        pid_t pid;

        /* Only a lost wake-up could make this wait for the whole timeout and fail. */
        vfh_ctx_set_timeout_ms(ctx, 60000);
        pid = fork_holder(root, HOLDER_UNLOCKS, &go);
        /* The holder is still alive: the lock came from its journal_unlock, not its exit. */
        CHECK_INT(journal_lock(ctx, &fd), 0);
        CHECK_INT(kill(pid, 0), 0);
        journal_unlock(fd);
        status = reap(pid, go, true);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        vfh_ctx_unref(ctx);
}

TEST(waiter_takes_the_lock_when_the_holder_is_killed)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        int go, fd = -1, status;
        pid_t pid;

        vfh_ctx_set_timeout_ms(ctx, 60000);
        pid = fork_holder(root, HOLDER_DIES, &go);
        /* No touch from a dead holder: the waiter's own polls find the lock free. */
        CHECK_INT(journal_lock(ctx, &fd), 0);
        journal_unlock(fd);
        status = reap(pid, go, false);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        vfh_ctx_unref(ctx);
}

TEST(waiter_times_out_on_a_lock_held_elsewhere)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        int go, fd = -1, status;
        pid_t pid;

        vfh_ctx_set_timeout_ms(ctx, 200);
        pid = fork_holder(root, HOLDER_WAITS, &go);
        CHECK_INT(journal_lock(ctx, &fd), -ETIMEDOUT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "another vfiohook run still holds it after 200 ms");
        CHECK_INT(fd, -1);
        status = reap(pid, go, true);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* The holder's exit freed it. */
        CHECK_INT(journal_lock(ctx, &fd), 0);
        journal_unlock(fd);
        vfh_ctx_unref(ctx);
}

TEST(unlock_touches_the_lock_file_after_releasing_it)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        char path[PATH_MAX], buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int fd = -1, ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), other;
        struct stat before, after;

        CHECK_INT(journal_lock(ctx, &fd), 0);
        snprintf(path, sizeof(path), "%s/run/vfiohook/lock", root);
        CHECK_INT(stat(path, &before), 0);
        other = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(ifd >= 0 && other >= 0);
        CHECK(inotify_add_watch(ifd, path, IN_ACCESS) >= 0);
        CHECK_INT(read(ifd, buf, sizeof(buf)), -1); /* nothing yet */
        journal_unlock(fd);
        /* The event waiters sleep on is there, and by then the lock is free. */
        CHECK(read(ifd, buf, sizeof(buf)) >= (ssize_t)sizeof(struct inotify_event));
        CHECK_INT(flock(other, LOCK_EX | LOCK_NB), 0);
        /* Its content and mtime are as before (tests/unit/test_hostile.c compares them). */
        CHECK_INT(stat(path, &after), 0);
        CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec && after.st_size == 0);
        close(other);
        close(ifd);
        vfh_ctx_unref(ctx);
}

TEST(every_truncation_is_refused_and_mutations_never_crash)
{
        vfh_ctx *ctx = ctx_at(test_tmpdir());
        struct journal *j = sample(ctx), *back = NULL;
        unsigned int seed = 12345;
        char *text = NULL, err[128];
        size_t len;

        CHECK_INT(journal_format(j, &text), 0);
        len = strlen(text);
        /* A file cut anywhere short of its end is refused, never half-read. */
        for (size_t cut = 0; cut < len; cut++) {
                back = NULL;
                CHECK_INT(journal_parse_buffer(text, cut, &back, err, sizeof(err)), -EBADMSG);
                CHECK(back == NULL);
        }
        /* Random byte flips (a fixed seed, so a failure repeats): ASan watches every read. */
        for (int round = 0; round < 2000; round++) {
                char *copy = strdup(text);

                for (int k = 0; k < 3; k++) {
                        seed = seed * 1103515245u + 12345u;
                        copy[(seed >> 8) % len] = (char)(seed >> 20);
                }
                back = NULL;
                if (journal_parse_buffer(copy, len, &back, err, sizeof(err)) == 0)
                        CHECK(back != NULL && back->n_records <= 2);
                else
                        CHECK(back == NULL && err[0]);
                journal_free(back);
                free(copy);
        }
        free(text);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(journal_of_another_user_is_refused)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = sample(ctx), *back = NULL;
        char path[PATH_MAX];

        CHECK_INT(journal_save(ctx, j), 0);
        snprintf(path, sizeof(path), "%s/run/vfiohook/%s.journal", root, j->id);
        if (geteuid() != 0 || chown(path, 65534, 65534) < 0) {
                /* Only root can give a file away; as a user, a foreign file is made by hand. */
                CHECK_INT(journal_load(ctx, j->id, &back), 0);
                journal_free(back);
        } else {
                CHECK_INT(journal_load(ctx, j->id, &back), -EPERM);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), "not a regular file owned by uid 0");
                CHECK(back == NULL);
        }
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(held_owner_lock_means_running)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *j = sample(ctx), *owner = NULL;
        int fd = -1;

        CHECK_INT(journal_save(ctx, j), 0);
        CHECK(!journal_owner_running(ctx, j)); /* no pid file, no lock */
        CHECK_INT(journal_hold(ctx, j->id, &fd), 0);
        CHECK(journal_owner_running(ctx, j)); /* a hook is between prepare and QEMU */
        CHECK_INT(journal_find_claim(ctx, "device", "0000:03:00.0", "cli", &owner), 1);
        journal_free(owner);
        journal_unlock(fd);
        CHECK(!journal_owner_running(ctx, j));
        journal_free(j);
        vfh_ctx_unref(ctx);
}

static struct journal *cli_claiming(vfh_ctx *ctx, const char *device)
{
        struct journal *j = NULL;
        struct journal_record *rec;

        if (journal_new(ctx, JOURNAL_OWNER_CLI, "cli", "cli", &j) < 0)
                abort();
        rec = journal_append(j, "bind");
        journal_record_set(rec, "device", device);
        rec->state = JOURNAL_DONE;
        return j;
}

TEST(claims_read_each_journal_once_and_answer_as_find_claim)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = ctx_at(root);
        struct journal *dom = sample(ctx), *cli = cli_claiming(ctx, "0000:05:00.0");
        struct journal_claims *claims = NULL;
        const struct journal *owner = NULL;
        char path[PATH_MAX];

        CHECK_INT(journal_save(ctx, dom), 0);
        CHECK_INT(journal_save(ctx, cli), 0);
        CHECK_INT(journal_claims_new(UUID, &claims), 0);
        /* The asker's own journal is never read: its devices pass. */
        CHECK_INT(journal_claims_find(ctx, claims, "device", "0000:03:00.0", &owner), 0);
        CHECK_INT(journal_claims_find(ctx, claims, "device", "0000:05:00.0", &owner), 1);
        CHECK(owner && owner->kind == JOURNAL_OWNER_CLI && strcmp(owner->id, "cli") == 0);
        /* Read once: later answers come from what was read, not from the run dir. */
        CHECK_INT(journal_remove(ctx, "cli"), 0);
        CHECK_INT(journal_claims_find(ctx, claims, "device", "0000:05:00.0", &owner), 1);
        CHECK_INT(journal_claims_find(ctx, claims, "device", "0000:09:00.0", &owner), 0);
        journal_claims_free(claims);

        /* Listed but removed before it was read: no claim, and no error. */
        CHECK_INT(journal_save(ctx, cli), 0);
        claims = NULL;
        CHECK_INT(journal_claims_new(NULL, &claims), 0);
        CHECK_INT(journal_claims_find(ctx, claims, "device", "0000:03:00.0", &owner), 1);
        CHECK_INT(journal_remove(ctx, "cli"), 0);
        CHECK_INT(journal_claims_find(ctx, claims, "device", "0000:05:00.0", &owner), 0);
        journal_claims_free(claims);

        /* A broken journal blocks every question that reaches it, each time, with its name. */
        snprintf(path, sizeof(path), "run/vfiohook/%s.journal", "broken");
        test_write_file(root, path, "not a journal\n");
        claims = NULL;
        CHECK_INT(journal_claims_new(UUID, &claims), 0);
        CHECK(journal_claims_find(ctx, claims, "device", "0000:03:00.0", &owner) < 0);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "broken");
        CHECK(journal_claims_find(ctx, claims, "device", "0000:05:00.0", &owner) < 0);
        journal_claims_free(claims);
        journal_free(cli);
        journal_free(dom);
        vfh_ctx_unref(ctx);
}
