/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The XML model: what vfiohook needs from libvirt's domain, network and networkport documents,
 * as plain structs. lib/xml*.c builds them; the planner and the hooks read them.
 *
 * Conventions:
 *  - Strings are NUL-terminated and owned by the struct; NULL means "absent in the XML".
 *  - has_X flags say whether a value was present; a zeroed struct means "nothing was said".
 *  - Host PCI addresses are already range-checked and normalised (struct pci_addr).
 *  - `line` is the element's line in the document, for messages.
 *  - Every array is an owned pointer plus a count.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "macro.h"
#include "vfiohook.h"

/* Documents larger than this are refused before libxml2 sees them. libvirt's own domain
 * documents are a few tens of KiB even for large guests. */
#define VFH_XML_MAX_SIZE (1024 * 1024)
/* Element nesting deeper than this is refused while parsing (libvirt's deepest is about 6;
 * third-party <metadata> gets the rest). */
#define VFH_XML_MAX_DEPTH 64
/* Attributes (and namespace declarations) on one element; libvirt writes at most a dozen. */
#define VFH_XML_MAX_ATTRIBUTES 256

#define VFH_UUID_STRLEN 37 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL */

#define VFH_METADATA_NS "urn:x-vfiohook:1"

/* An on/off attribute of our metadata; UNSET when left out (and then left alone). */
enum vfh_toggle {
        VFH_TOGGLE_UNSET = 0,
        VFH_TOGGLE_OFF,
        VFH_TOGGLE_ON,
};

/* A VF's administrative link state, as `ip link set … vf N state` names it. */
enum vfh_link_state {
        VFH_LINK_STATE_UNSET = 0,
        VFH_LINK_STATE_AUTO,
        VFH_LINK_STATE_ENABLE,
        VFH_LINK_STATE_DISABLE,
};

/* VF settings from our metadata (DESIGN.md §5). Anything not present is left alone. mac, vlan
 * and qos exist only for <vfh:hostdev>: libvirt owns them for interfaces and pools. */
struct vfh_vf_settings {
        enum vfh_toggle spoofchk;
        enum vfh_toggle trust;
        enum vfh_toggle query_rss;
        enum vfh_link_state state;
        bool has_min_tx_rate;
        unsigned int min_tx_rate; /* Mbit/s */
        bool has_max_tx_rate;
        unsigned int max_tx_rate; /* Mbit/s */
        bool has_mac;
        struct mac_addr mac;
        bool has_vlan;
        unsigned int vlan; /* 0..4095 */
        bool has_qos;
        unsigned int qos; /* 0..7 */
};

/* Layers settings: everything `over` sets replaces what `base` has; what it leaves out stays.
 * Pool defaults first, then the domain's own (DESIGN.md §5: domain settings override pool
 * settings). */
void vfh_vf_settings_merge(struct vfh_vf_settings *base, const struct vfh_vf_settings *over);

/* <vfh:interface mac=… | alias=…/> in a domain's metadata. */
struct vfh_meta_interface {
        bool has_mac;
        struct mac_addr mac;
        char *alias; /* "ua-…" */
        struct vfh_vf_settings settings;
        bool matched; /* an <interface> of the domain has this MAC or alias */
        unsigned int line;
};

/* <vfh:hostdev address=…/> in a domain's metadata. */
struct vfh_meta_hostdev {
        struct pci_addr address;
        struct vfh_vf_settings settings;
        bool matched; /* a PCI <hostdev> or hostdev <interface> of the domain has this address */
        unsigned int line;
};

/* <vfh:mdev uuid=… parent=… type=…/>: an mdev vfiohook creates for the guest. */
struct vfh_meta_mdev {
        char uuid[VFH_UUID_STRLEN];
        char *parent; /* name under /sys/class/mdev_bus/ */
        char *type;   /* mdev type, e.g. "i915-GVTg_V5_4" */
        bool matched; /* an mdev <hostdev> of the domain has this UUID */
        unsigned int line;
};

/* <vfh:pool …/> in a network's metadata: provisioning and pool-wide VF defaults. */
struct vfh_meta_pool {
        bool has_numvfs;
        unsigned int numvfs;
        enum vfh_toggle remove_on_stop;
        struct vfh_vf_settings settings; /* never has mac, vlan or qos */
        unsigned int line;
};

enum vfh_vlan_native_mode {
        VFH_VLAN_NATIVE_NONE = 0,
        VFH_VLAN_NATIVE_TAGGED,
        VFH_VLAN_NATIVE_UNTAGGED,
};

struct vfh_vlan_tag {
        unsigned int id; /* 0..4095 */
        enum vfh_vlan_native_mode native_mode;
};

/* <vlan [trunk='yes']><tag id=… [nativeMode=…]/>…</vlan>; n_tags == 0 when absent. */
struct vfh_vlan {
        bool trunk;
        struct vfh_vlan_tag *tags;
        size_t n_tags;
};

/* A libvirt <network> (also the one inside <networkstatus> and <hookData>). */
struct vfh_network {
        char *name;
        bool has_uuid;
        char uuid[VFH_UUID_STRLEN];
        char *forward_mode; /* "hostdev", "nat", …; NULL without <forward> (isolated) */
        bool managed;       /* <forward managed='yes'>; missing means no, as in libvirt */
        char *driver_name;  /* <forward><driver name=…/> */
        char *driver_model; /* <forward><driver model=…/>: a VFIO variant driver */
        char **pf_devs;     /* <forward><pf dev=…/>: the PF netdevs the pool is built from */
        size_t n_pf_devs;
        struct pci_addr *addresses; /* <forward><address …/>: an explicit VF list, or the
                                       pool libvirt built (in the live status file) */
        size_t n_addresses;
        bool has_pool;
        struct vfh_meta_pool pool; /* our metadata */
        unsigned int line;
};

/* True for a <forward mode='hostdev'> network: a pool of VFs handed out as hostdevs. */
bool vfh_network_is_hostdev_pool(const struct vfh_network *net);

enum vfh_hostdev_type {
        VFH_HOSTDEV_PCI,
        VFH_HOSTDEV_MDEV,
        VFH_HOSTDEV_OTHER, /* usb, scsi, mode='capabilities', …: recorded, ignored */
};

/* <hostdev mode='subsystem' …> in <devices>. */
struct vfh_hostdev {
        enum vfh_hostdev_type type;
        char *type_name;  /* the literal mode/type, e.g. "subsystem/usb", for ignored ones */
        bool managed;     /* managed='yes'; missing means no, as in libvirt */
        bool has_address; /* PCI: the host-side <source><address>, normalised */
        struct pci_addr address;
        char *driver_name;  /* <driver name='vfio'/> or NULL */
        char *driver_model; /* <driver model=…/>: a VFIO variant driver (libvirt ≥ 10.0) */
        char uuid[VFH_UUID_STRLEN];          /* mdev: <source><address uuid=…/>; "" otherwise */
        char *model;                         /* mdev: the model attribute, e.g. "vfio-pci" */
        char *alias;                         /* <alias name=…/> */
        const struct vfh_meta_hostdev *meta; /* PCI: our settings for this address, or NULL */
        const struct vfh_meta_mdev *mdev;    /* mdev: our creation request, or NULL */
        unsigned int line;
};

enum vfh_interface_type {
        VFH_INTERFACE_HOSTDEV,
        VFH_INTERFACE_NETWORK,
        VFH_INTERFACE_OTHER, /* bridge, direct, user, …: recorded, ignored */
};

/* <interface> in <devices>. */
struct vfh_interface {
        enum vfh_interface_type type;
        char *type_name; /* the literal type attribute */
        bool managed;    /* managed='yes'; missing means no. Pools: vfh_interface_is_managed */
        bool has_mac;
        struct mac_addr mac;
        struct vfh_vlan vlan;
        char *driver_name;  /* <driver name=…/> */
        char *driver_model; /* <driver model=…/> */
        bool has_address;   /* type hostdev: <source><address type='pci' …/>, normalised */
        struct pci_addr address;
        char *alias;          /* <alias name=…/>; user aliases start with "ua-" */
        char *virtualport;    /* <virtualport type=…/>: noted; "" when it has no type */
        char *teaming;        /* <teaming type=…/> */
        char *source_network; /* type network: <source network=…/> */
        char *portgroup;      /* type network: <source portgroup=…/> */
        const struct vfh_network *network;     /* type network: the definition read from disk (NULL
                                                  with VFH_PARSE_NO_NETWORK_LOOKUP) */
        const struct vfh_meta_interface *meta; /* our settings (by MAC, else alias) or NULL */
        unsigned int line;
};

/* Whether libvirt itself will detach and reattach the interface's VF: its own managed
 * attribute, or for an interface on a network the network's <forward managed=…> (libvirt
 * copies that onto the VF it allocates). */
bool vfh_interface_is_managed(const struct vfh_interface *iface);

struct vfh_domain {
        char *name;
        bool has_uuid;
        char uuid[VFH_UUID_STRLEN];
        struct vfh_hostdev *hostdevs;
        size_t n_hostdevs;
        struct vfh_interface *interfaces;
        size_t n_interfaces;
        struct vfh_network **networks; /* every network the interfaces name, read once each */
        size_t n_networks;
        struct vfh_meta_interface *meta_interfaces;
        size_t n_meta_interfaces;
        struct vfh_meta_hostdev *meta_hostdevs;
        size_t n_meta_hostdevs;
        struct vfh_meta_mdev *meta_mdevs;
        size_t n_meta_mdevs;
};

/* <networkport>: the network hook's view of one guest's VF (port-created/port-deleted). */
struct vfh_networkport {
        bool has_uuid;
        char uuid[VFH_UUID_STRLEN];
        char *owner_name; /* <owner><name> */
        bool has_owner_uuid;
        char owner_uuid[VFH_UUID_STRLEN];
        bool has_mac;
        struct mac_addr mac;
        struct vfh_vlan vlan;
        char *plug_type;  /* <plug type=…>, e.g. "hostdev-pci"; NULL without <plug> */
        bool has_managed; /* <plug managed=…> present */
        bool managed;
        char *driver_name;
        char *driver_model;
        bool has_address; /* hostdev-pci: <plug><address …/>, normalised */
        struct pci_addr address;
        unsigned int line;
};

enum vfh_document_kind {
        VFH_DOC_DOMAIN,
        VFH_DOC_NETWORK,
        VFH_DOC_NETWORKPORT,
        VFH_DOC_NETWORKSTATUS, /* /run/libvirt/network/NAME.xml: wraps <network> */
        VFH_DOC_HOOKDATA,      /* the network hook's stdin: <network> [+ <networkport>] */
};

/* Any document vfiohook reads, told apart by its root element. */
struct vfh_document {
        enum vfh_document_kind kind;
        struct vfh_domain *domain;           /* DOMAIN */
        struct vfh_network *network;         /* NETWORK, NETWORKSTATUS, HOOKDATA */
        struct vfh_networkport *networkport; /* NETWORKPORT; HOOKDATA when present */
};

/* "domain", "network", "networkport", "networkstatus", "hookdata". */
const char *vfh_document_kind_name(enum vfh_document_kind kind);

/*
 * Parsers. Each takes the whole document in memory (at most VFH_XML_MAX_SIZE bytes, need not
 * be NUL-terminated), refuses DOCTYPEs, entities, network access and deep nesting, and on
 * failure returns -errno with one line in vfh_ctx_last_error(): "domain XML line 23:
 * <hostdev>/<source>/<address bus='0x1ff'>: bus out of range (0-255)". They touch nothing but
 * the network definition files they read.
 *
 * vfh_domain_parse resolves every <interface type='network'> by reading the network's
 * definition (vfh_network_lookup).
 */
int vfh_domain_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_domain **ret);

enum vfh_parse_flags {
        /* Leave each <interface type='network'>'s network NULL (the name is still checked).
         * For hook calls that must not fail on a network that is gone by then: libvirt runs
         * qemu stopped/release before the network's own stopped hook, and reconnect must
         * never fail. */
        VFH_PARSE_NO_NETWORK_LOOKUP = 1u << 0,
        /* Read a domain's <name> and <uuid> only (plan_owner_id), for release and reconnect,
         * which act on the owner's journal and on nothing else in the XML. The document is
         * parsed and refused as always (size, DOCTYPE, depth, attributes, well-formedness, a
         * missing name, a bad UUID); devices and metadata are left empty, so a guest whose
         * metadata was edited while it ran is still released. */
        VFH_PARSE_OWNER_ONLY = 1u << 1,
};
int vfh_domain_parse_flags(vfh_ctx *ctx, const char *xml, size_t len, unsigned int flags,
                           struct vfh_domain **ret);
/* Accepts <network> or <networkstatus>. */
int vfh_network_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_network **ret);
int vfh_networkport_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_networkport **ret);
int vfh_document_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_document **ret);
int vfh_document_parse_flags(vfh_ctx *ctx, const char *xml, size_t len, unsigned int flags,
                             struct vfh_document **ret);

/* Reads a whole document from fd (a hook's stdin, a file) into a malloc'd buffer, stopping
 * one byte past VFH_XML_MAX_SIZE so that the parsers report an oversize document as such. */
int vfh_xml_read_fd(int fd, char **ret, size_t *len);

/* Reads NAME.xml from the context's network directories in order (through the sysroot) and
 * parses it. -EINVAL for a name with '/', "..", or empty; -ENOENT (naming the directories
 * searched) when no directory has it. */
int vfh_network_lookup(vfh_ctx *ctx, const char *name, struct vfh_network **ret);

/* Checks a network name before it becomes part of a path. */
bool vfh_network_name_is_valid(const char *name);

void vfh_domain_free(struct vfh_domain *domain);
void vfh_network_free(struct vfh_network *network);
void vfh_networkport_free(struct vfh_networkport *port);
void vfh_document_free(struct vfh_document *doc);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct vfh_domain *, vfh_domain_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vfh_network *, vfh_network_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vfh_networkport *, vfh_networkport_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vfh_document *, vfh_document_free)
