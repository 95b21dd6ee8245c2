#define LOG_MODULE "token"
#include "signaling/token.h"
#include "signaling/b64.h"
#include "base/log.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

enum {
	TOKEN_VERSION = 1,
	TOKEN_PAYLOAD = 26,     /* version, kind, subject, expiry, nonce */
	TOKEN_MAC = 32,
	TOKEN_RAW = TOKEN_PAYLOAD + TOKEN_MAC,
};
_Static_assert(B64_ENCODED_LEN(TOKEN_RAW) == TOKEN_LEN, "TOKEN_LEN matches the layout");

static const char *const token_kinds[] = {
	[TOKEN_CUSTOMER] = "customer", [TOKEN_AGENT] = "agent",
	[TOKEN_INTERPRETER] = "interpreter", [TOKEN_SUPERVISOR] = "supervisor",
	[TOKEN_ADMIN] = "admin",
};
#define TOKEN_KIND_MAX TOKEN_ADMIN

static const char *const token_statuses[] = {
	[TOKEN_OK] = "ok", [TOKEN_MALFORMED] = "malformed",
	[TOKEN_BAD_SIGNATURE] = "bad_signature", [TOKEN_WRONG_KIND] = "wrong_kind",
	[TOKEN_EXPIRED] = "expired",
};

const char *token_kind_name(enum token_kind kind)
{
	return kind > TOKEN_ANY && kind <= TOKEN_KIND_MAX ? token_kinds[kind] : "?";
}

const char *token_status_name(enum token_status s)
{
	return (unsigned)s <= TOKEN_EXPIRED ? token_statuses[s] : "?";
}

static void token_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t token_get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static int token_read_key(struct token_key *k, const char *path)
{
	struct stat sb;
	int err = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno;
	if (fstat(fd, &sb) < 0) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size != TOKEN_KEY_LEN ||
	    read(fd, k->key, TOKEN_KEY_LEN) != TOKEN_KEY_LEN) {
		log_error("%s must be a file of exactly %d bytes (remove it to make a new key, "
			  "which logs everyone out)", path, TOKEN_KEY_LEN);
		err = EINVAL;
		goto out;
	}
	if (sb.st_mode & 077)
		log_warn("%s is readable by group or others (mode %03o); it should be 0600",
			 path, (unsigned)(sb.st_mode & 0777));
out:
	close(fd);
	return err;
}

/* Writes a fresh key to a temporary file and links it into place: never a partial key file. */
static int token_create_key(const char *dir, const char *path)
{
	char tmp[4096];
	uint8_t key[TOKEN_KEY_LEN];
	int err = 0, fd = -1;
	if (snprintf(tmp, sizeof(tmp), "%s/.secret.key.%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
		return ENAMETOOLONG;
	if (RAND_priv_bytes(key, sizeof(key)) != 1)
		return EIO;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	ssize_t n = write(fd, key, sizeof(key));
	if (n != (ssize_t)sizeof(key)) {
		err = n < 0 ? errno : EIO;
		goto out;
	}
	if (fsync(fd) < 0) {
		err = errno;
		goto out;
	}
	if (link(tmp, path) < 0 && errno != EEXIST)   /* EEXIST: another process won the race */
		err = errno;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	if (!err) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return err;
}

int token_key_load(struct token_key *k, const char *data_dir)
{
	char path[4096];
	struct stat sb;
	int err;
	if (stat(data_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		log_error("data directory %s does not exist", data_dir);
		return ENOENT;
	}
	if (snprintf(path, sizeof(path), "%s/secret.key", data_dir) >= (int)sizeof(path))
		return ENAMETOOLONG;
	err = token_read_key(k, path);
	if (err == ENOENT) {
		err = token_create_key(data_dir, path);
		if (!err) {
			log_info("created a new token key in %s", path);
			err = token_read_key(k, path);
		}
	}
	if (err && err != EINVAL)
		log_error("cannot load %s: %s", path, strerror(err));
	return err;
}

void token_key_set(struct token_key *k, const uint8_t key[TOKEN_KEY_LEN])
{
	memcpy(k->key, key, TOKEN_KEY_LEN);
}

void token_key_clear(struct token_key *k)
{
	OPENSSL_cleanse(k->key, sizeof(k->key));
}

static bool token_mac(const struct token_key *k, const uint8_t *payload, uint8_t mac[TOKEN_MAC])
{
	unsigned len = TOKEN_MAC;
	return HMAC(EVP_sha256(), k->key, TOKEN_KEY_LEN, payload, TOKEN_PAYLOAD, mac, &len) &&
	       len == TOKEN_MAC;
}

int token_issue(const struct token_key *k, enum token_kind kind, int64_t subject,
		uint64_t expires_ms, char *out, size_t outsz)
{
	uint8_t raw[TOKEN_RAW];
	if (kind <= TOKEN_ANY || kind > TOKEN_KIND_MAX)
		return EINVAL;
	if (outsz < TOKEN_STR_MAX)
		return ENOSPC;
	raw[0] = TOKEN_VERSION;
	raw[1] = (uint8_t)kind;
	token_put64(raw + 2, (uint64_t)subject);
	token_put64(raw + 10, expires_ms);
	if (RAND_bytes(raw + 18, 8) != 1)
		return EIO;
	if (!token_mac(k, raw, raw + TOKEN_PAYLOAD))
		return EIO;
	return b64_encode(raw, sizeof(raw), true, out, outsz);
}

enum token_status token_verify(const struct token_key *k, const char *token, enum token_kind kind,
			       uint64_t now_ms, struct token_claims *claims)
{
	uint8_t raw[TOKEN_RAW], mac[TOKEN_MAC];
	size_t len;
	if (!token || strnlen(token, TOKEN_LEN + 1) != TOKEN_LEN ||
	    b64_decode(token, TOKEN_LEN, true, raw, sizeof(raw), &len) || len != TOKEN_RAW)
		return TOKEN_MALFORMED;
	if (!token_mac(k, raw, mac) || CRYPTO_memcmp(mac, raw + TOKEN_PAYLOAD, TOKEN_MAC) != 0)
		return TOKEN_BAD_SIGNATURE;
	if (raw[0] != TOKEN_VERSION || raw[1] == TOKEN_ANY || raw[1] > TOKEN_KIND_MAX)
		return TOKEN_MALFORMED;
	if (kind != TOKEN_ANY && raw[1] != kind)
		return TOKEN_WRONG_KIND;
	uint64_t expires = token_get64(raw + 10);
	if (now_ms >= expires)
		return TOKEN_EXPIRED;
	if (claims) {
		claims->kind = (enum token_kind)raw[1];
		claims->subject = (int64_t)token_get64(raw + 2);
		claims->expires_ms = expires;
	}
	return TOKEN_OK;
}

void token_digest(const char *token, uint8_t out[TOKEN_DIGEST_LEN])
{
	SHA256((const unsigned char *)token, strlen(token), out);
}
