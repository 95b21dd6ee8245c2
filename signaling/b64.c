#include "signaling/b64.h"

#include <errno.h>

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_encode(const uint8_t *in, size_t n, bool url, char *out, size_t outsz)
{
	const char *abc = url ? b64_url : b64_std;
	if (outsz < B64_ENCODED_LEN(n) + 1)
		return ENOSPC;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		if (left > 1)
			out[o++] = abc[(v >> 6) & 63];
		if (left > 2)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
	return 0;
}

static int b64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int b64_decode(const char *in, size_t len, bool url, uint8_t *out, size_t outsz, size_t *outlen)
{
	if (len % 4 == 1)
		return EINVAL;
	size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	if (need > outsz)
		return ENOSPC;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in[i], url);
		if (v < 0)
			return EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)   /* leftover bits of the last character must be zero */
		return EINVAL;
	*outlen = o;
	return 0;
}
