/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libc only: the qemu hook's front compiles this file too. */
#include <string.h>
#include <strings.h>

#include "start_scan.h"

#define WORD     "hostdev"
#define WORD_LEN (sizeof(WORD) - 1)

static bool contains(const char *xml, size_t len, const char *what)
{
        return memmem(xml, len, what, strlen(what)) != NULL;
}

/* UTF-16 and UTF-32 carry NUL bytes, EBCDIC does not start with an ASCII '<', and a
 * declaration may name an encoding (UTF-7) in which the word need not appear as ASCII. */
static bool plain_ascii_compatible(const char *xml, size_t len)
{
        size_t i = 0;

        if (memchr(xml, '\0', len))
                return false;
        while (i < len && strchr(" \t\r\n", xml[i]))
                i++;
        return i < len && xml[i] == '<' && !contains(xml, len, "<?xml");
}

static bool is_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
}

/* A start or end tag of <hostdev> or of a namespaced one such as our metadata's
 * <vfh:hostdev>: the word right after "<", "</" or "<prefix:". An attribute value, text or a
 * comment cannot put a literal "<" there. */
static bool is_element_name(const char *xml, size_t at)
{
        if (at >= 1 && xml[at - 1] == ':') {
                at--;
                while (at >= 1 && is_name_char(xml[at - 1]))
                        at--;
        }
        return (at >= 1 && xml[at - 1] == '<') ||
               (at >= 2 && xml[at - 2] == '<' && xml[at - 1] == '/');
}

/* The alias libvirt gives every <hostdev> once the guest is defined live: <alias
 * name='hostdevN'/>, the word directly after the attribute's opening quote and followed only
 * by digits up to the closing one. That is the name attribute of an <alias> element, never a
 * type attribute. */
static bool is_alias_name(const char *xml, size_t len, size_t at)
{
        static const char before[] = "<alias name='";
        size_t n = sizeof(before) - 1, end = at + WORD_LEN;

        if (at < n || memcmp(xml + at - n, before, n) != 0)
                return false;
        while (end < len && xml[end] >= '0' && xml[end] <= '9')
                end++;
        return end > at + WORD_LEN && end < len && xml[end] == '\'';
}

bool start_may_have_work(const char *xml, size_t len)
{
        if (!plain_ascii_compatible(xml, len) || contains(xml, len, "&#") ||
            contains(xml, len, "<!DOCTYPE"))
                return true;
        for (size_t i = 0; i + WORD_LEN <= len; i++)
                if ((xml[i] | 0x20) == 'h' && strncasecmp(xml + i, WORD, WORD_LEN) == 0 &&
                    !is_element_name(xml, i) && !is_alias_name(xml, len, i))
                        return true;
        return false;
}
