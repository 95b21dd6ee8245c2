/* srtp_gcm: AES-GCM (128 and 256) for libsrtp2, on OpenSSL's EVP.
 *
 * Debian's libsrtp2 does AES-GCM through NSS, which builds a PKCS#11 context, runs the AES
 * key schedule and the GHASH set-up, takes locks and allocates for every packet: about
 * 2 µs per 1200-byte packet, most of the relay's cost per forwarded packet. libsrtp2 lets a
 * program put its own implementation of a cipher type in (srtp_replace_cipher_type(), public
 * in <srtp2/cipher.h>): this one keeps one EVP_CIPHER_CTX per libsrtp cipher, keyed once,
 * and per packet only sets the IV. libsrtp2 still does all of SRTP (key derivation, IVs,
 * replay, streams); only the block cipher underneath changes.
 *
 * libsrtp2 checks the implementation when it is installed: it must pass the known-answer
 * tests of the type it replaces as well as its own (RFC 7714's test vectors for 128 bits). */
#ifndef MEDIA_SRTP_GCM_H
#define MEDIA_SRTP_GCM_H

/* Replaces libsrtp2's AES-GCM cipher types. Call after srtp_init(), from one thread, before
 * any SRTP session exists (a session keeps the implementation it was created with). 0, or
 * an errno-style code (the old implementation then stays in place). */
int srtp_gcm_install(void);

/* The cipher type for a key (with salt) of libsrtp2's AES-GCM 128 or 256 lengths, or NULL:
 * for tests, which drive it through srtp_cipher_type_alloc() and friends. */
struct srtp_cipher_type_t;
const struct srtp_cipher_type_t *srtp_gcm_type(int key_len_wsalt);

/* What a packet's SRTP operation reads first in our state: libsrtp2's srtp_cipher_t with our
 * state (one block) and OpenSSL's EVP_CIPHER_CTX. Addresses only, so that they can be
 * prefetched without reading anything (a stale pair costs a useless prefetch, never a read). */
struct srtp_gcm_lines {
	const void *block, *evp_ctx;
};

/* Record the lines of the first cipher srtp_gcm allocates on this thread until
 * srtp_gcm_capture_end(): around srtp_create(), which allocates a session's ciphers there and
 * then. libsrtp2's streams for later SSRCs share their template's cipher, so the first one
 * (the RTP cipher) is what every RTP packet of that srtp_t uses. *out stays zeroed when
 * libsrtp2 keeps its own cipher (AES-CM profiles) or OpenSSL's was not installed. */
void srtp_gcm_capture_begin(struct srtp_gcm_lines *out);
void srtp_gcm_capture_end(void);
/* start loading them (zeroed: nothing) */
void srtp_gcm_prefetch(const struct srtp_gcm_lines *l);

#endif
