/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "addr.h"
#include "test.h"

TEST(pci_addr_round_trip)
{
        struct pci_addr a;
        char buf[PCI_ADDR_STRLEN];

        CHECK_INT(pci_addr_parse("0000:81:10.2", &a), 0);
        CHECK_STR(pci_addr_format(&a, buf), "0000:81:10.2");
        CHECK_INT(pci_addr_parse("03:00.1", &a), 0);
        CHECK_STR(pci_addr_format(&a, buf), "0000:03:00.1");
        CHECK_INT(pci_addr_parse("ABCD:FF:1F.7", &a), 0);
        CHECK_STR(pci_addr_format(&a, buf), "abcd:ff:1f.7");
}

TEST(pci_addr_rejects)
{
        static const char *const bad[] = {
            "",
            "0000:81:10",
            "0000:81:20.0",
            "0000:81:10.8",
            "000:81:10.2",
            "0000:81:10.2x",
            "0000:811:10.2",
            "../../etc",
            "0000:81:10.2\n",
            "g000:81:10.2",
            "0000::10.2",
        };
        struct pci_addr a;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_INT(pci_addr_parse(bad[i], &a), -EINVAL);
        CHECK_INT(pci_addr_from_parts(0x10000, 0, 0, 0, &a), -ERANGE);
        CHECK_INT(pci_addr_from_parts(0, 256, 0, 0, &a), -ERANGE);
        CHECK_INT(pci_addr_from_parts(0, 0, 32, 0, &a), -ERANGE);
        CHECK_INT(pci_addr_from_parts(0, 0, 0, 8, &a), -ERANGE);
}

TEST(mac_parse_and_classify)
{
        struct mac_addr m;
        char buf[MAC_ADDR_STRLEN];

        CHECK_INT(mac_addr_parse("52:54:00:6D:90:02", &m), 0);
        CHECK_STR(mac_addr_format(&m, buf), "52:54:00:6d:90:02");
        CHECK(!mac_addr_is_multicast(&m));
        CHECK_INT(mac_addr_parse("01-00-5e-00-00-01", &m), 0);
        CHECK(mac_addr_is_multicast(&m));
        CHECK_INT(mac_addr_parse("ff:ff:ff:ff:ff:ff", &m), 0);
        CHECK(mac_addr_is_multicast(&m));
        CHECK_INT(mac_addr_parse("00:00:00:00:00:00", &m), 0);
        CHECK(mac_addr_is_zero(&m));
        CHECK_INT(mac_addr_parse("52:54:00:6d:90", &m), -EINVAL);
        CHECK_INT(mac_addr_parse("52:54-00:6d:90:02", &m), -EINVAL);
        CHECK_INT(mac_addr_parse("52:54:00:6d:90:022", &m), -EINVAL);
}

TEST(addresses_sort_as_lspci_lists_them)
{
        struct pci_addr a, b;

        CHECK_INT(pci_addr_parse("0000:03:00.1", &a), 0);
        CHECK_INT(pci_addr_parse("0000:03:01.0", &b), 0);
        CHECK(pci_addr_compare(&a, &b) < 0);
        CHECK(pci_addr_compare(&b, &a) > 0);
        CHECK_INT(pci_addr_compare(&a, &a), 0);
        CHECK_INT(pci_addr_parse("0001:00:00.0", &b), 0);
        CHECK(pci_addr_compare(&a, &b) < 0);
        CHECK_INT(pci_addr_parse("0000:02:1f.7", &b), 0);
        CHECK(pci_addr_compare(&a, &b) > 0);
}
