/* store: the public record functions. Each checks its input (store_check.c), then calls the
 * backend through st->ops; get functions copy the backend's record into one mem block. */
#define LOG_MODULE "store"
#include "signaling/store.h"
#include "signaling/store_priv.h"
#include "signaling/password.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

/* A well-formed hash no password matches: unknown users cost the same scrypt as known ones. */
static const char store_dummy_hash[] = "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/* ---- copies: a record and its strings in one mem block ---- */

#define STR_FIELD(type, field) offsetof(struct type, field)
static const size_t account_strs[] = {
	STR_FIELD(store_account, username), STR_FIELD(store_account, languages),
	STR_FIELD(store_account, skills),
};
static const size_t customer_strs[] = {
	STR_FIELD(store_customer, name), STR_FIELD(store_customer, language),
	STR_FIELD(store_customer, topic),
};

static const char **str_at(const void *rec, size_t off)
{
	return (const char **)(uintptr_t)((const char *)rec + off);
}

int store_copy_h(const void *rec, struct store_copy *c)
{
	size_t total = c->size;
	for (size_t i = 0; i < c->nstrs; i++) {
		const char *s = *str_at(rec, c->strs[i]);
		total += s ? strlen(s) + 1 : 0;
	}
	char *copy = mem_alloc(total, NULL);
	if (!copy)
		return ENOMEM;
	memcpy(copy, rec, c->size);
	mem_deref(c->copy);   /* a get sees one record; keep the last if ever more */
	char *p = copy + c->size;
	for (size_t i = 0; i < c->nstrs; i++) {
		const char *s = *str_at(rec, c->strs[i]);
		if (!s)
			continue;
		size_t len = strlen(s) + 1;
		memcpy(p, s, len);
		*str_at(copy, c->strs[i]) = p;
		p += len;
	}
	c->copy = copy;
	return 0;
}

static int store_copy_account(const struct store_account *a, const char *pwhash, void *arg)
{
	(void)pwhash;
	return store_copy_h(a, arg);
}
static int store_copy_customer(const struct store_customer *c, void *arg)
{
	return store_copy_h(c, arg);
}

/* ---- accounts ---- */

static int store_account_check(struct store *st, const struct store_account *a)
{
	int err = store_username_check(a->username, st->errmsg, sizeof(st->errmsg));
	if (!err && (unsigned)a->role >= STORE_ROLE_COUNT)
		err = store_fail(st, EINVAL, "role must be agent, interpreter, supervisor or admin");
	if (!err)
		err = store_list_check("languages", a->languages, st->errmsg, sizeof(st->errmsg));
	if (!err)
		err = store_list_check("skills", a->skills, st->errmsg, sizeof(st->errmsg));
	return err;
}

int store_account_create(struct store *st, const struct store_account *a, const char *password,
			 int64_t *idp)
{
	char hash[PASSWORD_HASH_MAX];
	int err = store_account_check(st, a);
	if (err)
		return err;
	if (!password || !*password)
		return store_fail(st, EINVAL, "password is missing");
	err = password_hash(password, hash, sizeof(hash));
	if (err == EINVAL)
		return store_fail(st, err, "password must be %d to %d bytes long", PASSWORD_MIN_LEN,
				  PASSWORD_MAX_LEN);
	if (err)
		return store_fail(st, err, "cannot hash the password (OpenSSL failed)");
	err = st->ops->account_create(st, a, hash, idp);
	if (err == EEXIST)
		store_fail(st, err, "username '%s' is already taken", a->username);
	OPENSSL_cleanse(hash, sizeof(hash));
	return err;
}

static int store_account_fetch(struct store *st, const char *username, int64_t id,
			       struct store_account **ap)
{
	struct store_copy c = STORE_COPY(store_account, account_strs);
	int err = st->ops->account_get(st, username, id, store_copy_account, &c);
	if (err == ENOENT && username)
		store_fail(st, err, "no account '%s'", username);
	else if (err == ENOENT)
		store_fail(st, err, "no account %lld", (long long)id);
	*ap = err ? mem_deref(c.copy) : c.copy;
	return err;
}

int store_account_get(struct store *st, const char *username, struct store_account **ap)
{
	int err = store_username_check(username, st->errmsg, sizeof(st->errmsg));
	if (err)
		return err;
	return store_account_fetch(st, username, 0, ap);
}

int store_account_get_id(struct store *st, int64_t id, struct store_account **ap)
{
	int err = store_id_check(st, "account id", id);
	if (err)
		return err;
	return store_account_fetch(st, NULL, id, ap);
}

int store_account_list(struct store *st, store_account_h *h, void *arg)
{
	return st->ops->account_list(st, h, arg);
}

int store_account_remove(struct store *st, const char *username, uint64_t now_ms)
{
	int err = store_username_check(username, st->errmsg, sizeof(st->errmsg));
	if (err)
		return err;
	err = st->ops->account_remove(st, username, now_ms);
	if (err == ENOENT)
		store_fail(st, err, "no account '%s'", username);
	return err;
}

int store_account_set_disabled(struct store *st, const char *username, bool disabled)
{
	int err = store_username_check(username, st->errmsg, sizeof(st->errmsg));
	if (err)
		return err;
	err = st->ops->account_set_disabled(st, username, disabled);
	if (err == ENOENT)
		store_fail(st, err, "no account '%s'", username);
	return err;
}

struct store_verify {
	struct store_copy copy;
	char hash[PASSWORD_HASH_MAX * 2];
};

static int store_verify_h(const struct store_account *a, const char *pwhash, void *arg)
{
	struct store_verify *v = arg;
	snprintf(v->hash, sizeof(v->hash), "%s", pwhash);
	return store_copy_h(a, &v->copy);
}

int store_account_verify(struct store *st, const char *username, const char *password,
			 struct store_account **ap)
{
	struct store_verify v = { .copy = STORE_COPY(store_account, account_strs) };
	char buf[STORE_ERRMSG_MAX];
	int err = store_username_check(username, buf, sizeof(buf)) ? ENOENT :
		  st->ops->account_get(st, username, 0, store_verify_h, &v);
	if (err && err != ENOENT) {
		mem_deref(v.copy.copy);
		if (ap)
			*ap = NULL;
		return err;
	}
	int perr = password_verify(password ? password : "", err ? store_dummy_hash : v.hash);
	if (perr == EINVAL && !err)
		log_warn("account '%s' has a malformed password hash", username);
	if (!err && perr)
		err = EACCES;
	if (err) {
		v.copy.copy = mem_deref(v.copy.copy);
		err = store_fail(st, EACCES, "unknown username or wrong password");
	} else if (((struct store_account *)v.copy.copy)->disabled) {
		v.copy.copy = mem_deref(v.copy.copy);
		err = store_fail(st, EPERM, "account '%s' is disabled", username);
	}
	OPENSSL_cleanse(v.hash, sizeof(v.hash));
	if (ap)
		*ap = v.copy.copy;
	else
		mem_deref(v.copy.copy);
	return err;
}

/* ---- customer sessions ---- */

int store_customer_create(struct store *st, const struct store_customer *c, int64_t *idp)
{
	static const uint8_t zero[STORE_TOKEN_HASH_LEN];
	int err = store_text_check(st, "customer name", c->name, STORE_NAME_MAX, false);
	if (!err)
		err = store_language_check(st, "customer language", c->language);
	if (!err)
		err = store_text_check(st, "topic", c->topic, STORE_TOPIC_MAX, false);
	if (!err && memcmp(c->token_hash, zero, sizeof(zero)) == 0)
		err = store_fail(st, EINVAL, "token hash is missing");
	if (err)
		return err;
	err = st->ops->customer_create(st, c, idp);
	if (err == EEXIST)
		store_fail(st, err, "a customer session with this token already exists");
	return err;
}

static int store_customer_fetch(struct store *st, const uint8_t *hash, int64_t id,
				struct store_customer **cp)
{
	struct store_copy c = STORE_COPY(store_customer, customer_strs);
	int err = st->ops->customer_find(st, hash, id, store_copy_customer, &c);
	if (err == ENOENT)
		store_fail(st, err, "no such customer session");
	*cp = err ? mem_deref(c.copy) : c.copy;
	return err;
}

int store_customer_find(struct store *st, const uint8_t token_hash[STORE_TOKEN_HASH_LEN],
			struct store_customer **cp)
{
	return store_customer_fetch(st, token_hash, 0, cp);
}

int store_customer_get(struct store *st, int64_t id, struct store_customer **cp)
{
	int err = store_id_check(st, "session id", id);
	if (err)
		return err;
	return store_customer_fetch(st, NULL, id, cp);
}

int store_customer_touch(struct store *st, int64_t id, uint64_t now_ms)
{
	int err = store_id_check(st, "session id", id);
	if (!err)
		err = st->ops->customer_touch(st, id, now_ms);
	if (err == ENOENT)
		store_fail(st, err, "no customer session %lld", (long long)id);
	return err;
}

int store_customer_update(struct store *st, const struct store_customer *c)
{
	int err = store_id_check(st, "session id", c->id);
	if (!err)
		err = store_text_check(st, "customer name", c->name, STORE_NAME_MAX, false);
	if (!err)
		err = store_language_check(st, "customer language", c->language);
	if (!err)
		err = store_text_check(st, "topic", c->topic, STORE_TOPIC_MAX, false);
	if (!err)
		err = st->ops->customer_update(st, c);
	if (err == ENOENT)
		store_fail(st, err, "no customer session %lld", (long long)c->id);
	return err;
}

/* ---- chat ---- */

int store_chat_append(struct store *st, const struct store_chat *m, int64_t *idp)
{
	int err = store_id_check(st, "session id", m->session_id);
	if (!err && (unsigned)m->sender_role >= STORE_PARTY_COUNT)
		err = store_fail(st, EINVAL, "sender role is not valid");
	if (!err)
		err = store_text_check(st, "sender name", m->sender_name, STORE_NAME_MAX, false);
	if (!err)
		err = store_text_check(st, "chat text", m->text, STORE_CHAT_MAX, true);
	if (err)
		return err;
	err = st->ops->chat_append(st, m, idp);
	if (err == ENOENT)
		store_fail(st, err, "no customer session %lld", (long long)m->session_id);
	return err;
}

int store_chat_list(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
		    store_chat_h *h, void *arg)
{
	return st->ops->chat_list(st, session_id, after_id, max, h, arg);
}
