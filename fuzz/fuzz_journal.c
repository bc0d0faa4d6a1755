/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the journal reader. A journal is read back by release and `recover` after a
 * crash, an upgrade or tampering, so any byte string must give a journal or an error with a
 * message, never a crash. What parses must also survive a round trip: format(parse(x)) parses
 * again to a journal that formats to the same text, or release would undo something else than
 * what was recorded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *format_or_die(const struct journal *j)
{
        char *text = NULL;

        if (journal_format(j, &text) < 0 || !text)
                abort();
        return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_journal_ struct journal *j = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL, *text_again = NULL;
        char err[256];

        if (journal_parse_buffer((const char *)data, size, &j, err, sizeof(err)) < 0) {
                if (err[0] == '\0')
                        abort(); /* every refusal explains itself */
                return 0;
        }
        if (!j)
                abort(); /* success must hand back a journal */
        text = format_or_die(j);
        if (journal_parse_buffer(text, strlen(text), &again, err, sizeof(err)) < 0)
                abort(); /* we wrote something we cannot read back */
        text_again = format_or_die(again);
        if (strcmp(text, text_again) != 0)
                abort();
        return 0;
}
