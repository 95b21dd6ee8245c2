/* catalog: the languages and topics a customer can choose (config `languages`, `topics`).
 *
 * A spec is "code:Name,code:Name,...": codes are what calls, accounts' languages/skills and
 * the store use ([A-Za-z0-9._-], 1 to 35 characters); names are shown to people (no control
 * characters, no comma; default: the code). The first item is the default. */
#include "signaling/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int catalog_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EINVAL;
}

static bool catalog_code_ok(const char *s, size_t len)
{
	if (len == 0 || len > SIG_CODE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

static bool catalog_label_ok(const char *s, size_t len)
{
	if (len == 0 || len > SIG_LABEL_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* [p, p+len) trimmed of blanks at both ends */
static void catalog_trim(const char **p, size_t *len)
{
	while (*len && isspace((unsigned char)**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*p)[*len - 1]))
		(*len)--;
}

static int catalog_item(struct catalog *cat, const char *p, size_t len, char *err, size_t errlen)
{
	const char *colon = memchr(p, ':', len);
	const char *code = p, *name = colon ? colon + 1 : p;
	size_t clen = colon ? (size_t)(colon - p) : len, nlen = colon ? len - clen - 1 : len;
	catalog_trim(&code, &clen);
	catalog_trim(&name, &nlen);
	if (!catalog_code_ok(code, clen))
		return catalog_fail(err, errlen, "\"%.*s\" is not a code (1 to %d of A-Z a-z 0-9 . _ -)",
				    (int)(clen > 40 ? 40 : clen), code, SIG_CODE_MAX);
	if (!catalog_label_ok(name, nlen))
		return catalog_fail(err, errlen, "the name of \"%.*s\" must be 1 to %d characters",
				    (int)clen, code, SIG_LABEL_MAX);
	if (cat->n == SIG_CATALOG_MAX)
		return catalog_fail(err, errlen, "more than %d items", SIG_CATALOG_MAX);
	struct catalog_item *it = &cat->v[cat->n];
	snprintf(it->code, sizeof(it->code), "%.*s", (int)clen, code);
	snprintf(it->name, sizeof(it->name), "%.*s", (int)nlen, name);
	if (catalog_find(cat, it->code))
		return catalog_fail(err, errlen, "\"%s\" is listed twice", it->code);
	cat->n++;
	return 0;
}

int catalog_parse(struct catalog *cat, const char *spec, char *err, size_t errlen)
{
	struct catalog c = {0};
	for (const char *p = spec; p && *p;) {
		size_t len = strcspn(p, ",");
		const char *item = p;
		size_t ilen = len;
		catalog_trim(&item, &ilen);
		if (ilen) {
			int e = catalog_item(&c, item, ilen, err, errlen);
			if (e)
				return e;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!c.n)
		return catalog_fail(err, errlen, "nothing listed");
	*cat = c;
	return 0;
}

const struct catalog_item *catalog_find(const struct catalog *cat, const char *code)
{
	for (size_t i = 0; code && i < cat->n; i++) {
		if (strcmp(cat->v[i].code, code) == 0)
			return &cat->v[i];
	}
	return NULL;
}

json_t *catalog_json(const struct catalog *cat)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < cat->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "code", cat->v[i].code, "name",
						   cat->v[i].name));
	return a;
}

int sig_catalog_check(const char *spec, char *err, size_t errlen)
{
	struct catalog cat;
	return catalog_parse(&cat, spec, err, errlen);
}
