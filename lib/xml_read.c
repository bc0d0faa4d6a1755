/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hardened document reader. Hook stdin and network files are input we do not control, so
 * libxml2 runs with no network, no DTD loading and no entity substitution, and we refuse a
 * DOCTYPE outright the moment the parser meets it: libvirt never writes one, and an internal
 * subset is where XXE and "billion laughs" live. The size and the attributes per element are
 * capped before parsing, the depth while parsing. libxml2's messages go through a structured
 * handler on the parser context into the library's one-line error, never to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>

#include "xml_util.h"

struct read_state {
        int depth;
        bool failed;
        int line;
        char reason[512];
        startElementNsSAX2Func start_element;
        endElementNsSAX2Func end_element;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxt *, xmlFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDoc *, xmlFreeDoc)

/* Keeps a message to one printable line: libxml2's end with '\n' and may quote input bytes. */
static void one_line(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = '\0';
        for (char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
}

static int current_line(xmlParserCtxt *ctxt)
{
        return ctxt->input ? ctxt->input->line : 0;
}

/* Only the first failure is kept: later ones are usually its consequences. */
static void record_failure(xmlParserCtxt *ctxt, int line, const char *reason)
{
        struct read_state *st = ctxt->_private;

        if (st->failed)
                return;
        st->failed = true;
        st->line = line;
        snprintf(st->reason, sizeof(st->reason), "%s", reason);
        one_line(st->reason);
}

/* For our own refusals, from SAX callbacks: nothing after this point gets parsed. */
static void refuse(xmlParserCtxt *ctxt, const char *reason)
{
        record_failure(ctxt, current_line(ctxt), reason);
        xmlStopParser(ctxt);
}

static void on_error(void *data, xmlErrorPtr err)
{
        xmlParserCtxt *ctxt = data;
        char reason[512];

        /* Warnings (e.g. a relative namespace URI) do not make a document unusable. */
        if (!err || err->level < XML_ERR_ERROR)
                return;
        snprintf(reason, sizeof(reason), "malformed XML: %s",
                 err->message ? err->message : "unknown libxml2 error");
        record_failure(ctxt, err->line, reason);
}

static void refuse_doctype(void *data, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
        xmlParserCtxt *ctxt = data;

        (void)name, (void)external_id, (void)system_id;
        refuse(ctxt, "<!DOCTYPE> refused: libvirt never writes one, and it could declare entities "
                     "(XXE, entity expansion)");
}

static void on_start_element(void *data, const xmlChar *localname, const xmlChar *prefix,
                             const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                             int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
        xmlParserCtxt *ctxt = data;
        struct read_state *st = ctxt->_private;
        char reason[128];

        if (++st->depth > VFH_XML_MAX_DEPTH) {
                snprintf(reason, sizeof(reason), "<%s>: elements nested deeper than %d",
                         (const char *)localname, VFH_XML_MAX_DEPTH);
                refuse(ctxt, reason);
                return;
        }
        st->start_element(data, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
}

static void on_end_element(void *data, const xmlChar *localname, const xmlChar *prefix,
                           const xmlChar *uri)
{
        xmlParserCtxt *ctxt = data;
        struct read_state *st = ctxt->_private;

        st->depth--;
        st->end_element(data, localname, prefix, uri);
}

static void harden(xmlParserCtxt *ctxt, struct read_state *st)
{
        xmlSAXHandler *sax = ctxt->sax;

        ctxt->_private = st;
        st->start_element = sax->startElementNs;
        st->end_element = sax->endElementNs;
        sax->initialized = XML_SAX2_MAGIC; /* makes libxml2 use serror below */
        sax->serror = on_error;
        sax->error = NULL;
        sax->warning = NULL;
        sax->fatalError = NULL;
        sax->internalSubset = refuse_doctype;
        sax->externalSubset = refuse_doctype;
        sax->startElementNs = on_start_element;
        sax->endElementNs = on_end_element;
}

/* Never NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE: each would widen what input can do.
 * libvirt writes UTF-8 only, so a declared encoding is ignored and iconv never runs. */
#define READ_OPTIONS                                                                               \
        (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC)

static void ignore_generic_error(void *data, const char *fmt, ...)
{
        (void)data, (void)fmt;
}

/* Some libxml2 errors (encoding, I/O) are raised without the parser context and would go to
 * the thread's default handlers, which print to stderr. For the duration of one parse they
 * come to us instead; the caller's handlers are put back afterwards. */
struct saved_handlers {
        xmlStructuredErrorFunc structured;
        void *structured_data;
        xmlGenericErrorFunc generic;
        void *generic_data;
};

static void capture_global_errors(xmlParserCtxt *ctxt, struct saved_handlers *saved)
{
        *saved = (struct saved_handlers){xmlStructuredError, xmlStructuredErrorContext,
                                         xmlGenericError, xmlGenericErrorContext};
        xmlSetStructuredErrorFunc(ctxt, on_error);
        xmlSetGenericErrorFunc(NULL, ignore_generic_error);
}

static void restore_global_errors(const struct saved_handlers *saved)
{
        xmlSetStructuredErrorFunc(saved->structured_data, saved->structured);
        xmlSetGenericErrorFunc(saved->generic_data, saved->generic);
}

static int parse_hardened(vfh_ctx *ctx, const char *label, const char *xml, size_t len,
                          xmlDoc **ret)
{
        _cleanup_(xmlFreeParserCtxtp) xmlParserCtxt *ctxt = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *doc = NULL;
        struct read_state st = {};
        struct saved_handlers saved;

        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return -ENOMEM;
        harden(ctxt, &st);
        capture_global_errors(ctxt, &saved);
        doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, "UTF-8", READ_OPTIONS);
        restore_global_errors(&saved);
        if (st.failed)
                return vfh_errorf(ctx, EBADMSG, "%s line %d: %s", label, st.line, st.reason);
        if (!doc || !ctxt->wellFormed || !xmlDocGetRootElement(doc))
                return vfh_errorf(ctx, EBADMSG, "%s: malformed XML: no root element", label);
        *ret = TAKE_PTR(doc);
        return 0;
}

/* Where the construct whose body starts at xml[i] ends (just past `close`), counting lines. */
static size_t skip_past(const char *xml, size_t len, size_t i, const char *close,
                        unsigned int *line)
{
        size_t n = strlen(close);

        for (; i < len; i++) {
                if (len - i >= n && memcmp(xml + i, close, n) == 0)
                        return i + n;
                *line += xml[i] == '\n';
        }
        return len;
}

static bool starts_with(const char *xml, size_t len, size_t i, const char *s)
{
        size_t n = strlen(s);

        return len - i >= n && memcmp(xml + i, s, n) == 0;
}

/*
 * libxml2 2.9 checks a start tag's attributes for duplicates pairwise: a 1 MiB tag with 100k
 * attributes takes some 20 s, and libvirtd waits for the hook. This linear scan counts the
 * '=' outside quotes in each tag (comments, CDATA and PIs skipped) and refuses early; a
 * malformed document only ends the scan, the parser reports it.
 */
static int check_attribute_counts(vfh_ctx *ctx, const char *label, const char *xml, size_t len)
{
        unsigned int line = 1;
        size_t i = 0;

        while (i < len) {
                unsigned int attrs = 0, tag_line = line;
                char quote = 0;

                if (xml[i] != '<') {
                        line += xml[i++] == '\n';
                        continue;
                }
                if (starts_with(xml, len, i, "<!--")) {
                        i = skip_past(xml, len, i + 4, "-->", &line);
                        continue;
                }
                if (starts_with(xml, len, i, "<![CDATA[")) {
                        i = skip_past(xml, len, i + 9, "]]>", &line);
                        continue;
                }
                if (starts_with(xml, len, i, "<?")) {
                        i = skip_past(xml, len, i + 2, "?>", &line);
                        continue;
                }
                for (i++; i < len; i++) {
                        char c = xml[i];

                        line += c == '\n';
                        if (quote) {
                                quote = c == quote ? 0 : quote;
                        } else if (c == '"' || c == '\'') {
                                quote = c;
                        } else if (c == '>') {
                                i++;
                                break;
                        } else if (c == '=' && ++attrs > VFH_XML_MAX_ATTRIBUTES) {
                                return vfh_errorf(ctx, E2BIG,
                                                  "%s line %u: an element with more than %d "
                                                  "attributes; libvirt writes a handful",
                                                  label, tag_line, VFH_XML_MAX_ATTRIBUTES);
                        }
                }
        }
        return 0;
}

int xml_doc_read(vfh_ctx *ctx, const char *label, const char *xml, size_t len, struct xml_doc **ret)
{
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        int r;

        if (len == 0)
                return vfh_errorf(ctx, EINVAL, "%s: empty document", label);
        if (len > VFH_XML_MAX_SIZE)
                return vfh_errorf(ctx, EFBIG,
                                  "%s: document larger than the %d-byte limit; libvirt never "
                                  "writes one this large",
                                  label, VFH_XML_MAX_SIZE);
        r = check_attribute_counts(ctx, label, xml, len);
        if (r < 0)
                return r;
        xmlInitParser();
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->ctx = ctx;
        snprintf(d->label, sizeof(d->label), "%s", label);
        r = parse_hardened(ctx, label, xml, len, &d->doc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

int vfh_xml_read_fd(int fd, char **ret, size_t *len)
{
        return fd_read_up_to(fd, VFH_XML_MAX_SIZE + 1, ret, len);
}

void xml_doc_free(struct xml_doc *d)
{
        if (!d)
                return;
        xmlXPathFreeContext(d->xpath);
        xmlFreeDoc(d->doc);
        free(d);
}
