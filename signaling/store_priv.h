/* store_priv: helpers shared by store*.c and the backends (internal to the store).
 * The checks return 0, or EINVAL/EMSGSIZE after putting the reason in st->errmsg. */
#ifndef SIGNALING_STORE_PRIV_H
#define SIGNALING_STORE_PRIV_H
#include "signaling/store.h"

bool store_utf8_valid(const char *s);
/* text of at most max bytes of valid UTF-8; NULL or "" is an error only when required */
int store_text_check(struct store *st, const char *what, const char *s, size_t max,
		     bool required);
/* 1..max characters from [a-z0-9] and extra */
int store_word_check(struct store *st, const char *what, const char *s, size_t max,
		     const char *extra);
/* "" or one tag of at most STORE_LANGUAGE_MAX characters [A-Za-z0-9._-] */
int store_language_check(struct store *st, const char *what, const char *lang);
int store_id_check(struct store *st, const char *what, int64_t id);   /* id > 0 */

/* Copies: a backend hands a record to store_copy_h() (as the list/get handler's arg) and it
 * becomes one mem block holding the record and the strings at the offsets strs[]. */
struct store_copy {
	size_t size;
	const size_t *strs;
	size_t nstrs;
	void *copy;     /* the result; NULL until a record was seen */
};
#define STORE_COPY(type, table) \
	{ sizeof(struct type), table, sizeof(table) / sizeof(table[0]), NULL }
int store_copy_h(const void *rec, struct store_copy *c);

#endif
