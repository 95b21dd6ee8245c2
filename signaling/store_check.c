/* store_check: names of the store's enums and the checks every record passes before any
 * backend sees it (limits, charsets, UTF-8). Shared by all backends, the CLI and signalling. */
#include "signaling/store.h"
#include "signaling/store_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const store_roles[STORE_ROLE_COUNT] = {
	"agent", "interpreter", "supervisor", "admin",
};
static const char *const store_parties[STORE_PARTY_COUNT] = {
	"customer", "agent", "interpreter", "supervisor", "system",
};
static const char *const store_offer_results[STORE_OFFER_RESULT_COUNT] = {
	"pending", "accepted", "declined", "timeout",
};
static const char *const store_interp_modes[STORE_INTERP_MODE_COUNT] = {
	"consecutive", "simultaneous",
};

static const char *store_name(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : "?";
}

static int store_parse(const char *const *names, unsigned n, const char *name, unsigned *v)
{
	for (unsigned i = 0; name && i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			*v = i;
			return 0;
		}
	}
	return EINVAL;
}

#define STORE_ENUM_NAMES(fn, type, table, count) \
	const char *fn##_name(enum type v) { return store_name(table, count, (unsigned)v); } \
	int fn##_parse(const char *name, enum type *v) \
	{ \
		unsigned u; \
		int err = store_parse(table, count, name, &u); \
		if (!err) \
			*v = (enum type)u; \
		return err; \
	}
STORE_ENUM_NAMES(store_role, store_role, store_roles, STORE_ROLE_COUNT)
STORE_ENUM_NAMES(store_party, store_party, store_parties, STORE_PARTY_COUNT)
STORE_ENUM_NAMES(store_offer_result, store_offer_result, store_offer_results,
		 STORE_OFFER_RESULT_COUNT)
STORE_ENUM_NAMES(store_interp_mode, store_interp_mode, store_interp_modes,
		 STORE_INTERP_MODE_COUNT)

int store_fail(struct store *st, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *store_errmsg(const struct store *st)
{
	return st->errmsg[0] ? st->errmsg : "no error";
}

static int check_fail(char *buf, size_t bufsz, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int check_fail(char *buf, size_t bufsz, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	return err;
}

/* length of the UTF-8 sequence at s, or 0 when it is not valid (overlong, surrogate,
 * beyond U+10FFFF, truncated) */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

bool store_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

int store_text_check(struct store *st, const char *what, const char *s, size_t max,
		     bool required)
{
	if (!s || !*s)
		return required ? store_fail(st, EINVAL, "%s is missing", what) : 0;
	size_t len = strnlen(s, max + 1);
	if (len > max)
		return store_fail(st, EMSGSIZE, "%s is %zu bytes; the limit is %zu", what,
				  strlen(s), max);
	if (!store_utf8_valid(s))
		return store_fail(st, EINVAL, "%s is not valid UTF-8", what);
	return 0;
}

static bool store_in_set(char c, const char *set)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(set, c));
}

/* a token of 1..max characters from [a-z0-9] plus extra */
static int store_token_check(const char *what, const char *s, size_t max, const char *extra,
			     char *buf, size_t bufsz)
{
	if (!s || !*s)
		return check_fail(buf, bufsz, EINVAL, "%s is missing", what);
	size_t len = strnlen(s, max + 1);
	if (len > max)
		return check_fail(buf, bufsz, EMSGSIZE, "%s is longer than %zu characters", what,
				  max);
	for (size_t i = 0; i < len; i++) {
		if (!store_in_set(s[i], extra))
			return check_fail(buf, bufsz, EINVAL,
					  "%s may only use the characters a-z 0-9 %s", what, extra);
	}
	return 0;
}

int store_username_check(const char *username, char *buf, size_t bufsz)
{
	return store_token_check("username", username, STORE_USERNAME_MAX, "._-", buf, bufsz);
}

int store_word_check(struct store *st, const char *what, const char *s, size_t max,
		     const char *extra)
{
	return store_token_check(what, s, max, extra, st->errmsg, sizeof(st->errmsg));
}

/* items of a list and single language tags: [A-Za-z0-9._-] */
static bool store_item_char(char c)
{
	return (c >= 'A' && c <= 'Z') || store_in_set(c, "._-");
}

int store_list_check(const char *what, const char *list, char *buf, size_t bufsz)
{
	size_t item = 0;
	if (!list || !*list)
		return 0;
	if (strnlen(list, STORE_LIST_MAX + 1) > STORE_LIST_MAX)
		return check_fail(buf, bufsz, EMSGSIZE, "%s is longer than %d characters", what,
				  STORE_LIST_MAX);
	for (const char *p = list;; p++) {
		if (*p == ',' || *p == '\0') {
			if (item == 0)
				return check_fail(buf, bufsz, EINVAL, "%s has an empty item", what);
			if (*p == '\0')
				return 0;
			item = 0;
		} else if (store_item_char(*p)) {
			item++;
		} else {
			return check_fail(buf, bufsz, EINVAL, "%s must be a comma-separated list of "
					  "A-Z a-z 0-9 . _ - items (no spaces)", what);
		}
	}
}

int store_language_check(struct store *st, const char *what, const char *lang)
{
	if (!lang || !*lang)
		return 0;
	if (strnlen(lang, STORE_LANGUAGE_MAX + 1) > STORE_LANGUAGE_MAX)
		return store_fail(st, EMSGSIZE, "%s is longer than %d characters", what,
				  STORE_LANGUAGE_MAX);
	for (const char *p = lang; *p; p++) {
		if (!store_item_char(*p) || *p == ',')
			return store_fail(st, EINVAL, "%s must be one language tag like \"en\" or "
					  "\"pt-BR\"", what);
	}
	return 0;
}

int store_id_check(struct store *st, const char *what, int64_t id)
{
	return id > 0 ? 0 : store_fail(st, EINVAL, "%s is missing", what);
}
