/* srtp_gcm: AES-GCM for libsrtp2 on OpenSSL. See media/srtp_gcm.h.
 *
 * libsrtp2 drives a cipher in this order for every packet: set_iv (with the direction),
 * set_aad (once for SRTP, twice for SRTCP: header, then the index), then encrypt and get_tag,
 * or decrypt of ciphertext || tag. One EVP_CIPHER_CTX per srtp_cipher_t holds the expanded
 * key and GHASH tables; per packet OpenSSL only takes the new IV.
 *
 * Ownership: libsrtp2 owns each srtp_cipher_t (allocated by srtp_gcm_alloc together with our
 * state, in one block, struct srtp_gcm_cipher; freed by srtp_gcm_dealloc) and uses it from one
 * thread at a time (a leg's worker). The two EVP_CIPHERs are fetched once by
 * srtp_gcm_install() and kept for the life of the process. A capture (srtp_gcm_capture_begin)
 * hands out the addresses of a block and its EVP_CIPHER_CTX, never ownership: the holder
 * (srtp_session) only prefetches them, and they are valid while its srtp_t is. */
#define LOG_MODULE "srtp"
#include "media/srtp_gcm.h"

#include "base/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

enum {
	SRTP_GCM_IV_LEN = 12,
	SRTP_GCM_TAG_MAX = 16,
};

struct srtp_gcm_state {
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *evp;
	int tag_len;                      /* 8 or 16 */
	srtp_cipher_direction_t dir;      /* of the packet under way, from set_iv; also the
					   * direction the context runs in (any: re-init) */
};

struct srtp_gcm_variant {
	srtp_cipher_type_id_t id;
	int key_len_wsalt;                /* what libsrtp2 allocates with */
	const char *evp_name;
	const EVP_CIPHER *evp;            /* fetched by srtp_gcm_install() */
	const srtp_cipher_type_t *type;
};

/* Known answers: the GCM specification's test cases 4 (AES-128) and 16 (AES-256), also in
 * RFC 7714's references; checked by libsrtp2 when the types are installed. The keys carry
 * libsrtp2's 12-byte salt after them, which the cipher itself does not use. */
static const uint8_t srtp_gcm_key128[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static const uint8_t srtp_gcm_key256[SRTP_AES_GCM_256_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static uint8_t srtp_gcm_iv[SRTP_GCM_IV_LEN] = {  /* non-const: the test case type says so */
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t srtp_gcm_aad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
	0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t srtp_gcm_plain[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
	0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
	0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
	0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t srtp_gcm_cipher128[60 + 16] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4,
	0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac,
	0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac,
	0x84, 0xaa, 0x05, 0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const uint8_t srtp_gcm_cipher256[60 + 16] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42,
	0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55,
	0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56,
	0x82, 0x88, 0x38, 0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b,
};

static const srtp_cipher_test_case_t srtp_gcm_test128 = {
	SRTP_AES_GCM_128_KEY_LEN_WSALT, srtp_gcm_key128, srtp_gcm_iv,
	sizeof(srtp_gcm_plain), srtp_gcm_plain, sizeof(srtp_gcm_cipher128), srtp_gcm_cipher128,
	sizeof(srtp_gcm_aad), srtp_gcm_aad, SRTP_GCM_TAG_MAX, NULL,
};
static const srtp_cipher_test_case_t srtp_gcm_test256 = {
	SRTP_AES_GCM_256_KEY_LEN_WSALT, srtp_gcm_key256, srtp_gcm_iv,
	sizeof(srtp_gcm_plain), srtp_gcm_plain, sizeof(srtp_gcm_cipher256), srtp_gcm_cipher256,
	sizeof(srtp_gcm_aad), srtp_gcm_aad, SRTP_GCM_TAG_MAX, NULL,
};

static const srtp_cipher_type_t srtp_gcm_type128, srtp_gcm_type256;

static struct srtp_gcm_variant srtp_gcm_variants[] = {
	{SRTP_AES_GCM_128, SRTP_AES_GCM_128_KEY_LEN_WSALT, "AES-128-GCM", NULL, &srtp_gcm_type128},
	{SRTP_AES_GCM_256, SRTP_AES_GCM_256_KEY_LEN_WSALT, "AES-256-GCM", NULL, &srtp_gcm_type256},
};
enum { SRTP_GCM_NVARIANTS = sizeof(srtp_gcm_variants) / sizeof(srtp_gcm_variants[0]) };

/* the variant for a key length with salt, installed or not */
static const struct srtp_gcm_variant *srtp_gcm_variant(int key_len_wsalt)
{
	for (size_t i = 0; i < SRTP_GCM_NVARIANTS; i++)
		if (srtp_gcm_variants[i].key_len_wsalt == key_len_wsalt)
			return &srtp_gcm_variants[i];
	return NULL;
}

/* ... and only once its EVP_CIPHER is fetched */
static const struct srtp_gcm_variant *srtp_gcm_variant_by_key_len(int key_len)
{
	const struct srtp_gcm_variant *v = srtp_gcm_variant(key_len);
	return v && v->evp ? v : NULL;
}

/* libsrtp2's cipher and our state in one cache line: every call of a packet reads both */
struct srtp_gcm_cipher {
	srtp_cipher_t c;
	struct srtp_gcm_state st;
};
enum { SRTP_GCM_CIPHER_SIZE = 64 };
_Static_assert(sizeof(struct srtp_gcm_cipher) <= SRTP_GCM_CIPHER_SIZE, "one cache line");

/* srtp_gcm_capture_begin's target on this thread, NULL when no capture is open */
static _Thread_local struct srtp_gcm_lines *srtp_gcm_capture;

void srtp_gcm_capture_begin(struct srtp_gcm_lines *out)
{
	*out = (struct srtp_gcm_lines){0};
	srtp_gcm_capture = out;
}

void srtp_gcm_capture_end(void)
{
	srtp_gcm_capture = NULL;
}

static void srtp_gcm_capture_note(const struct srtp_gcm_cipher *b)
{
	if (!srtp_gcm_capture || srtp_gcm_capture->block)
		return;                        /* none open, or the first is taken */
	srtp_gcm_capture->block = b;
	srtp_gcm_capture->evp_ctx = b->st.ctx;
}

void srtp_gcm_prefetch(const struct srtp_gcm_lines *l)
{
	if (!l->block)
		return;
	__builtin_prefetch(l->block);
	__builtin_prefetch(l->evp_ctx);   /* its cipher, provider context and flags */
	__builtin_prefetch((const char *)l->evp_ctx + 64);
}

static srtp_err_status_t srtp_gcm_dealloc(srtp_cipher_pointer_t c)
{
	if (!c)
		return srtp_err_status_ok;
	struct srtp_gcm_state *st = c->state;
	if (st)
		EVP_CIPHER_CTX_free(st->ctx);  /* clears the expanded key */
	free(c);                           /* the block of struct srtp_gcm_cipher */
	return srtp_err_status_ok;
}

static srtp_err_status_t srtp_gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	const struct srtp_gcm_variant *v = srtp_gcm_variant_by_key_len(key_len);
	if (!cp || !v || (tag_len != 8 && tag_len != SRTP_GCM_TAG_MAX))
		return srtp_err_status_bad_param;
	struct srtp_gcm_cipher *b = aligned_alloc(64, SRTP_GCM_CIPHER_SIZE);
	if (!b)
		return srtp_err_status_alloc_fail;
	memset(b, 0, SRTP_GCM_CIPHER_SIZE);
	if (!(b->st.ctx = EVP_CIPHER_CTX_new())) {
		free(b);
		return srtp_err_status_alloc_fail;
	}
	b->st.evp = v->evp;
	b->st.tag_len = tag_len;
	b->st.dir = srtp_direction_any;
	b->c.state = &b->st;
	b->c.type = v->type;
	b->c.algorithm = (int)v->id;
	b->c.key_len = key_len;
	srtp_gcm_capture_note(b);
	*cp = &b->c;
	return srtp_err_status_ok;
}

/* the key only: libsrtp2 mixes the salt into the IVs itself */
static srtp_err_status_t srtp_gcm_init(void *state, const uint8_t *key)
{
	struct srtp_gcm_state *st = state;
	st->dir = srtp_direction_any;
	if (EVP_CipherInit_ex(st->ctx, st->evp, NULL, key, NULL, 1) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* A new IV for the next packet. EVP_CipherInit_ex() would do, but on OpenSSL 3.0 it asks the
 * provider for the IV length on every call (EVP_CIPHER_CTX_get_iv_length: a parameter
 * query with a strcmp per known name) before it hands the IV over. When the context already
 * runs in this direction with our 12-byte IV length (the previous packet's), the IV goes to
 * the provider directly: the GCM parameter "tlsivfixed" with length -1 replaces the whole
 * IV and resets the GCM state for the next AAD, as EVP_CipherInit_ex's does (the special
 * case TLS uses to restore an IV, in OpenSSL since 1.0.1). A new key or a change of
 * direction takes EVP_CipherInit_ex (libsrtp2's self-tests use one cipher both ways). */
static int srtp_gcm_iv_fast(struct srtp_gcm_state *st, uint8_t *iv)
{
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, iv,
						  (size_t)-1),
		OSSL_PARAM_END,
	};
	return EVP_CIPHER_CTX_set_params(st->ctx, p);
}

static srtp_err_status_t srtp_gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct srtp_gcm_state *st = state;
	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	if (st->dir == dir && srtp_gcm_iv_fast(st, iv) == 1)
		return srtp_err_status_ok;
	st->dir = srtp_direction_any;   /* until the full path succeeds */
	if (EVP_CipherInit_ex(st->ctx, NULL, NULL, NULL, iv, dir == srtp_direction_encrypt) != 1)
		return srtp_err_status_cipher_fail;
	st->dir = dir;
	return srtp_err_status_ok;
}

static srtp_err_status_t srtp_gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct srtp_gcm_state *st = state;
	int out;
	if (st->dir == srtp_direction_any || len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (len && EVP_CipherUpdate(st->ctx, NULL, &out, aad, (int)len) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* in place; the tag is fetched by get_tag */
static srtp_err_status_t srtp_gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct srtp_gcm_state *st = state;
	int out;
	if (st->dir != srtp_direction_encrypt || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (*len && EVP_CipherUpdate(st->ctx, buf, &out, buf, (int)*len) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t srtp_gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct srtp_gcm_state *st = state;
	uint8_t none[SRTP_GCM_TAG_MAX];
	int out;
	if (st->dir != srtp_direction_encrypt)
		return srtp_err_status_bad_param;
	if (EVP_CipherFinal_ex(st->ctx, none, &out) != 1 ||
	    EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_GET_TAG, st->tag_len, tag) != 1)
		return srtp_err_status_algo_fail;
	*len = (uint32_t)st->tag_len;
	return srtp_err_status_ok;
}

/* ciphertext || tag in place → plaintext; *len loses the tag. A wrong tag is auth_fail. */
static srtp_err_status_t srtp_gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct srtp_gcm_state *st = state;
	uint8_t none[SRTP_GCM_TAG_MAX];
	int out;
	if (st->dir != srtp_direction_decrypt || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (*len < (unsigned int)st->tag_len)
		return srtp_err_status_auth_fail;
	int n = (int)*len - st->tag_len;
	if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, st->tag_len, buf + n) != 1 ||
	    (n && EVP_CipherUpdate(st->ctx, buf, &out, buf, n) != 1))
		return srtp_err_status_cipher_fail;
	if (EVP_CipherFinal_ex(st->ctx, none, &out) != 1)
		return srtp_err_status_auth_fail;
	*len = (unsigned int)n;
	return srtp_err_status_ok;
}

static const srtp_cipher_type_t srtp_gcm_type128 = {
	srtp_gcm_alloc, srtp_gcm_dealloc, srtp_gcm_init, srtp_gcm_set_aad, srtp_gcm_encrypt,
	srtp_gcm_decrypt, srtp_gcm_set_iv, srtp_gcm_get_tag,
	"AES-128 GCM using OpenSSL (rapport)", &srtp_gcm_test128, SRTP_AES_GCM_128,
};
static const srtp_cipher_type_t srtp_gcm_type256 = {
	srtp_gcm_alloc, srtp_gcm_dealloc, srtp_gcm_init, srtp_gcm_set_aad, srtp_gcm_encrypt,
	srtp_gcm_decrypt, srtp_gcm_set_iv, srtp_gcm_get_tag,
	"AES-256 GCM using OpenSSL (rapport)", &srtp_gcm_test256, SRTP_AES_GCM_256,
};

const struct srtp_cipher_type_t *srtp_gcm_type(int key_len_wsalt)
{
	const struct srtp_gcm_variant *v = srtp_gcm_variant(key_len_wsalt);
	return v ? v->type : NULL;
}

int srtp_gcm_install(void)
{
	for (size_t i = 0; i < SRTP_GCM_NVARIANTS; i++) {
		struct srtp_gcm_variant *v = &srtp_gcm_variants[i];
		if (!v->evp)
			v->evp = EVP_CIPHER_fetch(NULL, v->evp_name, NULL);
		if (!v->evp) {
			log_warn("OpenSSL has no %s; libsrtp2 keeps its own", v->evp_name);
			return ENOSYS;
		}
		srtp_err_status_t st = srtp_replace_cipher_type(v->type, v->id);
		if (st != srtp_err_status_ok) {
			log_warn("libsrtp2 refused the OpenSSL %s (status %d); it keeps its own",
				 v->evp_name, (int)st);
			return EPROTO;
		}
	}
	return 0;
}
