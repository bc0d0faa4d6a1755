/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Value types every module shares: PCI addresses and Ethernet MACs, parsed and printed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct pci_addr {
        uint16_t domain;
        uint8_t bus;
        uint8_t slot;     /* 0..31 */
        uint8_t function; /* 0..7 */
};

/* "DDDD:BB:SS.F" plus the NUL, with room the compiler can prove. */
#define PCI_ADDR_STRLEN 16

/* Parses "DDDD:BB:SS.F" or "BB:SS.F" (hex, as lspci and sysfs print them). -EINVAL otherwise. */
int pci_addr_parse(const char *s, struct pci_addr *ret);
/* Builds an address from libvirt's attribute numbers (already parsed), checking ranges. */
int pci_addr_from_parts(unsigned long domain, unsigned long bus, unsigned long slot,
                        unsigned long function, struct pci_addr *ret);
/* Writes the normalised form into buf (at least PCI_ADDR_STRLEN) and returns buf. */
char *pci_addr_format(const struct pci_addr *a, char *buf);
bool pci_addr_equal(const struct pci_addr *a, const struct pci_addr *b);
/* Orders addresses as lspci lists them: domain, bus, slot, function. */
int pci_addr_compare(const struct pci_addr *a, const struct pci_addr *b);

struct mac_addr {
        uint8_t b[6];
};

#define MAC_ADDR_STRLEN 18

/* "52:54:00:6d:90:02" (either case, ':' or '-'). -EINVAL otherwise. */
int mac_addr_parse(const char *s, struct mac_addr *ret);
char *mac_addr_format(const struct mac_addr *m, char *buf);
bool mac_addr_is_zero(const struct mac_addr *m);
bool mac_addr_is_multicast(const struct mac_addr *m); /* includes broadcast */
bool mac_addr_equal(const struct mac_addr *a, const struct mac_addr *b);
