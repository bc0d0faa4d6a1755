/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI address and MAC parsing: strict, so a typo is an error rather than another device. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* Reads exactly `digits` hex digits (or 1..digits when `exact` is false) and advances *s. */
static int hex_field(const char **s, int min_digits, int max_digits, unsigned long *ret)
{
        unsigned long v = 0;
        int n = 0;

        while (n < max_digits && isxdigit((unsigned char)(*s)[n])) {
                char c = (char)tolower((unsigned char)(*s)[n]);
                v = v * 16 + (unsigned long)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
                n++;
        }
        if (n < min_digits)
                return -EINVAL;
        *s += n;
        *ret = v;
        return 0;
}

static int expect(const char **s, char c)
{
        if (**s != c)
                return -EINVAL;
        (*s)++;
        return 0;
}

int pci_addr_from_parts(unsigned long domain, unsigned long bus, unsigned long slot,
                        unsigned long function, struct pci_addr *ret)
{
        if (domain > 0xffff || bus > 0xff || slot > 0x1f || function > 7)
                return -ERANGE;
        *ret = (struct pci_addr){(uint16_t)domain, (uint8_t)bus, (uint8_t)slot, (uint8_t)function};
        return 0;
}

int pci_addr_parse(const char *s, struct pci_addr *ret)
{
        unsigned long domain = 0, bus, slot, function;
        const char *p = s;
        bool has_domain = strchr(s, ':') != strrchr(s, ':');

        if (has_domain && (hex_field(&p, 4, 4, &domain) < 0 || expect(&p, ':') < 0))
                return -EINVAL;
        if (hex_field(&p, 2, 2, &bus) < 0 || expect(&p, ':') < 0 ||
            hex_field(&p, 2, 2, &slot) < 0 || expect(&p, '.') < 0 ||
            hex_field(&p, 1, 1, &function) < 0 || *p)
                return -EINVAL;
        return pci_addr_from_parts(domain, bus, slot, function, ret) < 0 ? -EINVAL : 0;
}

char *pci_addr_format(const struct pci_addr *a, char *buf)
{
        snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot,
                 a->function);
        return buf;
}

int pci_addr_compare(const struct pci_addr *x, const struct pci_addr *y)
{
        if (x->domain != y->domain)
                return x->domain < y->domain ? -1 : 1;
        if (x->bus != y->bus)
                return x->bus < y->bus ? -1 : 1;
        if (x->slot != y->slot)
                return x->slot < y->slot ? -1 : 1;
        return (int)x->function - (int)y->function;
}

bool pci_addr_equal(const struct pci_addr *a, const struct pci_addr *b)
{
        return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot &&
               a->function == b->function;
}

int mac_addr_parse(const char *s, struct mac_addr *ret)
{
        struct mac_addr m;
        const char *p = s;
        char sep = 0;

        for (int i = 0; i < 6; i++) {
                unsigned long v;

                if (i > 0) {
                        if (!sep && (*p == ':' || *p == '-'))
                                sep = *p;
                        if (expect(&p, sep ? sep : ':') < 0)
                                return -EINVAL;
                }
                if (hex_field(&p, 2, 2, &v) < 0)
                        return -EINVAL;
                m.b[i] = (uint8_t)v;
        }
        if (*p)
                return -EINVAL;
        *ret = m;
        return 0;
}

char *mac_addr_format(const struct mac_addr *m, char *buf)
{
        snprintf(buf, MAC_ADDR_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2],
                 m->b[3], m->b[4], m->b[5]);
        return buf;
}

bool mac_addr_is_zero(const struct mac_addr *m)
{
        static const struct mac_addr zero;

        return mac_addr_equal(m, &zero);
}

bool mac_addr_is_multicast(const struct mac_addr *m)
{
        return m->b[0] & 1;
}

bool mac_addr_equal(const struct mac_addr *a, const struct mac_addr *b)
{
        return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}
