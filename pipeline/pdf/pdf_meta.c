#include "pdf/pdf_meta.h"

#include <lcms2.h>
#include <stdlib.h>
#include <string.h>

/* A metadata text in UTF-16 stays under PDF/A-2's 32,767-byte string
 * limit (ISO 19005-2 6.1.13). */
#define MAX_TEXT_BYTES 8000

/* ---- text ---- */

size_t kho_pdf_utf8_next(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1fu, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0fu, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* What XML 1.0 can carry, since the same text goes into the XMP. */
static int xml_char_ok(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd ||
	       (c >= 0x20 && c != 0xfffe && c != 0xffff);
}

static int check_text(const char *s, const char *what, size_t max,
		      kho_error *err)
{
	if (!s)
		return 0;
	if (strlen(s) > max)
		return kho_error_set(err, KHO_FAIL,
				     "cannot write the PDF: %s is longer than "
				     "%zu bytes",
				     what, max);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c;
		const size_t n = kho_pdf_utf8_next(p, &c);
		if (n == 0)
			return kho_error_set(err, KHO_FAIL,
					     "cannot write the PDF: %s is not "
					     "valid UTF-8",
					     what);
		if (!xml_char_ok(c))
			return kho_error_set(err, KHO_FAIL,
					     "cannot write the PDF: %s holds "
					     "control character U+%04X",
					     what, (unsigned)c);
		p += n;
	}
	return 0;
}

/* ---- XMP ---- */

typedef struct xmp_sink {
	kho_pdf_put_fn *put;
	void *ctx;
} xmp_sink;

static void xmp_put(const xmp_sink *sink, const char *s, size_t n)
{
	sink->put(sink->ctx, s, n);
}

static void xmp_str(const xmp_sink *sink, const char *s)
{
	xmp_put(sink, s, strlen(s));
}

static void xmp_escaped(const xmp_sink *sink, const char *s)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&':
			xmp_str(sink, "&amp;");
			break;
		case '<':
			xmp_str(sink, "&lt;");
			break;
		case '>':
			xmp_str(sink, "&gt;");
			break;
		case '"':
			xmp_str(sink, "&quot;");
			break;
		case '\'':
			xmp_str(sink, "&apos;");
			break;
		case '\r': /* kept: a parser folds a raw CR LF to LF */
			xmp_str(sink, "&#xD;");
			break;
		default:
			xmp_put(sink, p, 1);
		}
	}
}

/* One property: <tag>{open}text{close}</tag>, skipped when absent. */
static void xmp_prop(const xmp_sink *sink, const char *tag, const char *open,
		     const char *value, const char *close)
{
	if (!value)
		return;
	xmp_str(sink, "   <");
	xmp_str(sink, tag);
	xmp_str(sink, ">");
	xmp_str(sink, open);
	xmp_escaped(sink, value);
	xmp_str(sink, close);
	xmp_str(sink, "</");
	xmp_str(sink, tag);
	xmp_str(sink, ">\n");
}

/*
 * kho's own properties, and the PDF/A extension schema that PDF/A wants
 * for any namespace outside its predefined ones (ISO 19005-2 6.6.2.3.3).
 * The namespaces are declared on the elements that use them, so that the
 * packet without properties stays as it was.
 */
static void xmp_props(const xmp_sink *sink, const kho_pdf_meta *m)
{
	xmp_str(sink,
		"   <pdfaExtension:schemas "
		"xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\""
		"\n     "
		"xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\""
		"\n     xmlns:pdfaProperty="
		"\"http://www.aiim.org/pdfa/ns/property#\">\n"
		"    <rdf:Bag>\n"
		"     <rdf:li rdf:parseType=\"Resource\">\n"
		"      <pdfaSchema:schema>kho digitized "
		"result</pdfaSchema:schema>\n"
		"      <pdfaSchema:namespaceURI>" KHO_PDF_NS
		"</pdfaSchema:namespaceURI>\n"
		"      <pdfaSchema:prefix>kho</pdfaSchema:prefix>\n"
		"      <pdfaSchema:property>\n"
		"       <rdf:Seq>\n");
	for (size_t i = 0; i < m->n_props; i++) {
		xmp_str(sink, "        <rdf:li rdf:parseType=\"Resource\">"
			      "<pdfaProperty:name>");
		xmp_str(sink, m->props[i].name);
		xmp_str(sink, "</pdfaProperty:name><pdfaProperty:valueType>Text"
			      "</pdfaProperty:valueType><pdfaProperty:category>"
			      "external</pdfaProperty:category>"
			      "<pdfaProperty:description>");
		xmp_escaped(sink, m->props[i].description
					  ? m->props[i].description
					  : m->props[i].name);
		xmp_str(sink, "</pdfaProperty:description></rdf:li>\n");
	}
	xmp_str(sink, "       </rdf:Seq>\n"
		      "      </pdfaSchema:property>\n"
		      "     </rdf:li>\n"
		      "    </rdf:Bag>\n"
		      "   </pdfaExtension:schemas>\n");
	for (size_t i = 0; i < m->n_props; i++) {
		xmp_str(sink, "   <kho:");
		xmp_str(sink, m->props[i].name);
		xmp_str(sink, " xmlns:kho=\"" KHO_PDF_NS "\">");
		xmp_escaped(sink, m->props[i].value);
		xmp_str(sink, "</kho:");
		xmp_str(sink, m->props[i].name);
		xmp_str(sink, ">\n");
	}
}

void kho_pdf_xmp_emit(const kho_pdf_meta *m, kho_pdf_put_fn *put, void *ctx)
{
	static const char alt_open[] =
		"<rdf:Alt><rdf:li xml:lang=\"x-default\">";
	static const char alt_close[] = "</rdf:li></rdf:Alt>";
	const xmp_sink sink_ = {put, ctx};
	const xmp_sink *const sink = &sink_;

	if (m->xmp) {
		xmp_str(sink, m->xmp);
		return;
	}
	xmp_str(sink,
		"<?xpacket begin=\"\xef\xbb\xbf\" "
		"id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
		" <rdf:RDF "
		"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
		"  <rdf:Description rdf:about=\"\"\n"
		"    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
		"    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
		"    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n"
		"    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
		"   <dc:format>application/pdf</dc:format>\n");
	xmp_prop(sink, "dc:title", alt_open, m->title, alt_close);
	xmp_prop(sink, "dc:creator", "<rdf:Seq><rdf:li>", m->author,
		 "</rdf:li></rdf:Seq>");
	xmp_prop(sink, "dc:description", alt_open, m->subject, alt_close);
	xmp_prop(sink, "dc:identifier", "", m->identifier, "");
	xmp_prop(sink, "dc:publisher", "<rdf:Bag><rdf:li>", m->publisher,
		 "</rdf:li></rdf:Bag>");
	xmp_prop(sink, "dc:date", "<rdf:Seq><rdf:li>", m->date,
		 "</rdf:li></rdf:Seq>");
	xmp_prop(sink, "pdf:Keywords", "", m->keywords, "");
	xmp_prop(sink, "pdf:Producer", "", m->producer, "");
	xmp_prop(sink, "xmp:CreatorTool", "", m->creator, "");
	xmp_prop(sink, "xmp:CreateDate", "", m->created, "");
	/* The file is made once and never edited: modified = created, which
	 * PDF/A wants equal to the Info dictionary's ModDate. */
	xmp_prop(sink, "xmp:ModifyDate", "", m->created, "");
	xmp_str(sink, "   <pdfaid:part>2</pdfaid:part>\n"
		      "   <pdfaid:conformance>B</pdfaid:conformance>\n");
	if (m->n_props)
		xmp_props(sink, m);
	xmp_str(sink, "  </rdf:Description>\n"
		      " </rdf:RDF>\n"
		      "</x:xmpmeta>\n"
		      "<?xpacket end=\"w\"?>");
}

/* ---- dates ---- */

static int digits(const char *s, int n, int lo, int hi, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v >= lo && v <= hi ? 0 : -1;
}

/* "2026-11-30T01:02:03Z" or "...03+07:00" to "D:20261130010203Z" or
 * "D:20261130010203+07'00'"; -1 when it is neither form. */
static int pdf_date(const char *iso, char out[KHO_PDF_DATE_MAX])
{
	int y, mo, d, h, mi, s, oh = 0, om = 0;
	if (strlen(iso) < 20 || iso[4] != '-' || iso[7] != '-' ||
	    iso[10] != 'T' || iso[13] != ':' || iso[16] != ':' ||
	    digits(iso, 4, 0, 9999, &y) || digits(iso + 5, 2, 1, 12, &mo) ||
	    digits(iso + 8, 2, 1, 31, &d) || digits(iso + 11, 2, 0, 23, &h) ||
	    digits(iso + 14, 2, 0, 59, &mi) || digits(iso + 17, 2, 0, 60, &s))
		return -1;
	const char *const zone = iso + 19;
	if (strcmp(zone, "Z") == 0) {
		snprintf(out, KHO_PDF_DATE_MAX, "D:%04d%02d%02d%02d%02d%02dZ",
			 y, mo, d, h, mi, s);
		return 0;
	}
	if ((zone[0] != '+' && zone[0] != '-') || strlen(zone) != 6 ||
	    zone[3] != ':' || digits(zone + 1, 2, 0, 23, &oh) ||
	    digits(zone + 4, 2, 0, 59, &om))
		return -1;
	snprintf(out, KHO_PDF_DATE_MAX,
		 "D:%04d%02d%02d%02d%02d%02d%c%02d'%02d'", y, mo, d, h, mi, s,
		 zone[0], oh, om);
	return 0;
}

/* dc:date as kho writes it: a calendar date, YYYY-MM-DD. */
static int is_xmp_date(const char *s)
{
	int y, mo, d;
	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
	       digits(s, 4, 0, 9999, &y) == 0 &&
	       digits(s + 5, 2, 1, 12, &mo) == 0 &&
	       digits(s + 8, 2, 1, 31, &d) == 0;
}

/* ---- the sRGB output profile ---- */

/*
 * lcms2 stamps the profile with the clock (header bytes 24..35) and may
 * give it an MD5 profile ID (84..99) that covers the stamp.  A fixed date
 * and a zero ID ("not computed", which ICC.1 allows) keep the PDF the same
 * from one run to the next.
 */
int kho_pdf_srgb_profile(uint8_t **out, size_t *size, kho_error *err)
{
	static const uint8_t fixed_date[12] = {
		0x07, 0xd0, 0x00, 0x01, 0x00, 0x01, /* 2000-01-01 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 00:00:00 */
	};
	uint8_t *buf = NULL;
	cmsUInt32Number n = 0;
	/* A private context keeps lcms2's error handler out of the
	 * process-wide state. */
	const cmsContext ctx = cmsCreateContext(NULL, NULL);
	const cmsHPROFILE profile = ctx ? cmsCreate_sRGBProfileTHR(ctx) : NULL;
	if (profile && cmsSaveProfileToMem(profile, NULL, &n) && n >= 128 &&
	    (buf = malloc(n)) && cmsSaveProfileToMem(profile, buf, &n)) {
		memcpy(buf + 24, fixed_date, sizeof(fixed_date));
		memset(buf + 84, 0, 16);
		*out = buf;
		*size = n;
	} else {
		free(buf);
		buf = NULL;
	}
	if (profile)
		cmsCloseProfile(profile);
	if (ctx)
		cmsDeleteContext(ctx);
	if (!buf)
		return kho_error_set(err, KHO_FATAL,
				     "cannot make the sRGB output profile: "
				     "lcms2 failed");
	return 0;
}

/* ---- checks ---- */

int kho_pdf_meta_check(const kho_pdf_meta *m, char date[KHO_PDF_DATE_MAX],
		       kho_error *err)
{
	const struct {
		const char *text, *what;
		size_t max;
	} fields[] = {
		{m->title, "the title", MAX_TEXT_BYTES},
		{m->author, "the author", MAX_TEXT_BYTES},
		{m->subject, "the subject", MAX_TEXT_BYTES},
		{m->keywords, "the keywords", MAX_TEXT_BYTES},
		{m->creator, "the creator", MAX_TEXT_BYTES},
		{m->producer, "the producer", MAX_TEXT_BYTES},
		{m->created, "the date", MAX_TEXT_BYTES},
		{m->identifier, "the identifier", MAX_TEXT_BYTES},
		{m->publisher, "the publisher", MAX_TEXT_BYTES},
		{m->date, "the document's date", MAX_TEXT_BYTES},
		/* A stream, not a string: no limit but memory's. */
		{m->xmp, "the XMP packet", SIZE_MAX},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(fields); i++) {
		const int rc = check_text(fields[i].text, fields[i].what,
					  fields[i].max, err);
		if (rc)
			return rc;
	}
	if (m->n_props > 64 || (m->n_props && !m->props))
		return kho_error_set(err, KHO_FAIL,
				     "cannot write the PDF: at most 64 "
				     "properties");
	for (size_t i = 0; i < m->n_props; i++) {
		const char *name = m->props[i].name;
		int ok = name && *name && strlen(name) <= 64;
		for (const char *p = name; ok && *p; p++)
			ok = (*p >= 'A' && *p <= 'Z') ||
			     (*p >= 'a' && *p <= 'z');
		if (!ok)
			return kho_error_set(err, KHO_FAIL,
					     "cannot write the PDF: property "
					     "%zu has no name of letters",
					     i + 1);
		if (!m->props[i].value)
			return kho_error_set(err, KHO_FAIL,
					     "cannot write the PDF: property "
					     "'%s' has no value",
					     name);
		int rc = check_text(m->props[i].value, name, MAX_TEXT_BYTES,
				    err);
		if (rc == 0)
			rc = check_text(m->props[i].description, name,
					MAX_TEXT_BYTES, err);
		if (rc)
			return rc;
	}
	if (m->date && !is_xmp_date(m->date))
		return kho_error_set(err, KHO_FAIL,
				     "cannot write the PDF: the document's "
				     "date '%s' is not YYYY-MM-DD",
				     m->date);
	date[0] = '\0';
	if (m->created && pdf_date(m->created, date))
		return kho_error_set(err, KHO_FAIL,
				     "cannot write the PDF: date '%s' is not "
				     "ISO 8601 'YYYY-MM-DDTHH:MM:SSZ'",
				     m->created);
	return 0;
}
