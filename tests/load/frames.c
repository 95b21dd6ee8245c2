/* frames: encode the load generator's audio and video once (libopus, libvpx). */
#include "tests/load/frames.h"

#include <errno.h>
#include <math.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#define FRAMES_RATE 48000
#define FRAMES_OPUS_SAMPLES 960         /* 20 ms */
#define FRAMES_VP8_DESC 4               /* X, I, M + 15-bit picture id */

/* payloads are appended to one store; pointers are fixed once it stops growing */
static int frames_store(struct frames *f, const uint8_t *a, size_t alen, const uint8_t *b,
			size_t blen)
{
	if (f->npkt_store == f->pkt_cap) {
		size_t cap = f->pkt_cap ? f->pkt_cap * 2 : 1024;
		struct frames_pkt *p = realloc(f->pkt_store, cap * sizeof(*p));
		if (!p)
			return ENOMEM;
		f->pkt_store = p;
		f->pkt_cap = cap;
	}
	if (f->store_len + alen + blen > f->store_cap) {
		size_t cap = f->store_cap ? f->store_cap * 2 : 1 << 20;
		while (cap < f->store_len + alen + blen)
			cap *= 2;
		uint8_t *s = realloc(f->store, cap);
		if (!s)
			return ENOMEM;
		f->store = s;
		f->store_cap = cap;
	}
	memcpy(f->store + f->store_len, a, alen);
	if (blen)
		memcpy(f->store + f->store_len + alen, b, blen);
	/* an offset for now: frames_fixup() turns it into a pointer */
	f->pkt_store[f->npkt_store++] = (struct frames_pkt){
		.data = (const uint8_t *)(uintptr_t)f->store_len, .len = (uint16_t)(alen + blen)};
	f->store_len += alen + blen;
	return 0;
}

static void frames_fixup(struct frames *f, size_t naudio_pkts)
{
	for (size_t i = 0; i < f->npkt_store; i++)
		f->pkt_store[i].data = f->store + (uintptr_t)f->pkt_store[i].data;
	f->audio = f->pkt_store;
	size_t next = naudio_pkts;
	for (unsigned i = 0; i < f->nvideo; i++) {
		f->video[i].pkts = f->pkt_store + next;
		next += f->video[i].npkts;
	}
}

/* a 440 Hz tone, beeping twice a second, 20 ms per packet */
static int frames_audio(struct frames *f, unsigned ms)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(FRAMES_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!enc)
		return ENOMEM;
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	int16_t pcm[FRAMES_OPUS_SAMPLES];
	uint8_t out[1500];
	f->naudio = ms / 20 ? ms / 20 : 1;
	for (unsigned i = 0; i < f->naudio && !err; i++) {
		for (unsigned s = 0; s < FRAMES_OPUS_SAMPLES; s++) {
			double t = (double)(i * FRAMES_OPUS_SAMPLES + s) / FRAMES_RATE;
			double gate = fmod(t, 0.5) < 0.3 ? 1.0 : 0.1;
			pcm[s] = (int16_t)(8000.0 * gate * sin(2 * M_PI * 440.0 * t));
		}
		int n = opus_encode(enc, pcm, FRAMES_OPUS_SAMPLES, out, sizeof(out));
		err = n < 0 ? EPROTO : frames_store(f, out, (size_t)n, NULL, 0);
		f->audio_bytes += n > 0 ? (uint64_t)n : 0;
	}
	opus_encoder_destroy(enc);
	return err;
}

/* a moving picture that does not compress to nothing: drifting gradients, a bouncing box,
 * and fresh noise every frame so that the CBR encoder really spends its bitrate */
static void frames_picture(vpx_image_t *img, unsigned n, uint32_t *rng)
{
	unsigned w = img->d_w, h = img->d_h;
	unsigned bx = (n * 7) % (w - 64), by = (n * 5) % (h - 64);
	for (unsigned y = 0; y < h; y++) {
		uint8_t *row = img->planes[0] + (size_t)y * (size_t)img->stride[0];
		for (unsigned x = 0; x < w; x++) {
			*rng = *rng * 1664525u + 1013904223u;
			int v = (int)((x + 2 * n) ^ (y + n)) & 0xff;
			if (x >= bx && x < bx + 64 && y >= by && y < by + 64)
				v = 235;
			v += (int)(*rng >> 28) - 8;
			row[x] = (uint8_t)(v < 16 ? 16 : v > 235 ? 235 : v);
		}
	}
	for (int p = 1; p < 3; p++)
		for (unsigned y = 0; y < (h + 1) / 2; y++)
			memset(img->planes[p] + (size_t)y * (size_t)img->stride[p],
			       (int)(128 + 40 * sin(n / 20.0 + p + y / 40.0)), (w + 1) / 2);
}

/* one encoded frame into RTP payloads of at most max_payload bytes, split evenly */
static int frames_packetize(struct frames *f, struct frames_video *v, const uint8_t *data,
			    size_t len, unsigned picid, unsigned max_payload)
{
	size_t room = max_payload - FRAMES_VP8_DESC;
	unsigned n = (unsigned)((len + room - 1) / room);
	size_t chunk = (len + n - 1) / n;
	int err = 0;
	v->npkts = 0;
	for (size_t off = 0; off < len && !err; off += chunk) {
		uint8_t desc[FRAMES_VP8_DESC] = {(uint8_t)(0x80 | (off == 0 ? 0x10 : 0)), 0x80,
						 (uint8_t)(0x80 | ((picid >> 8) & 0x7f)),
						 (uint8_t)picid};
		size_t c = len - off < chunk ? len - off : chunk;
		err = frames_store(f, desc, sizeof(desc), data + off, c);
		v->npkts++;
		f->video_packets++;
		f->video_bytes += c + sizeof(desc);
	}
	return err;
}

static int frames_encoder(vpx_codec_ctx_t *enc, const struct frames_config *c)
{
	vpx_codec_enc_cfg_t cfg;
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0))
		return EPROTO;
	cfg.g_w = c->width;
	cfg.g_h = c->height;
	cfg.g_timebase = (struct vpx_rational){1, (int)c->fps};
	cfg.rc_target_bitrate = c->video_kbps;
	cfg.rc_end_usage = VPX_CBR;
	cfg.g_lag_in_frames = 0;
	cfg.g_threads = 1;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.kf_mode = VPX_KF_DISABLED;
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 56;
	cfg.rc_undershoot_pct = 100;
	cfg.rc_overshoot_pct = 15;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.rc_buf_sz = 1000;
	if (vpx_codec_enc_init(enc, vpx_codec_vp8_cx(), &cfg, 0))
		return EPROTO;
	vpx_codec_control(enc, VP8E_SET_CPUUSED, -8);
	vpx_codec_control(enc, VP8E_SET_NOISE_SENSITIVITY, 0);
	return 0;
}

static int frames_video(struct frames *f, const struct frames_config *c)
{
	vpx_codec_ctx_t enc;
	vpx_image_t img;
	f->nvideo = c->video_ms * c->fps / 1000;
	f->fps = c->fps;
	f->video = calloc(f->nvideo, sizeof(*f->video));
	if (!f->video || !vpx_img_alloc(&img, VPX_IMG_FMT_I420, c->width, c->height, 16))
		return ENOMEM;
	int err = frames_encoder(&enc, c);
	bool inited = !err;
	uint32_t rng = 12345;
	for (unsigned i = 0; i < f->nvideo && !err; i++) {
		frames_picture(&img, i, &rng);
		if (vpx_codec_encode(&enc, &img, i, 1, i == 0 ? VPX_EFLAG_FORCE_KF : 0,
				     VPX_DL_REALTIME)) {
			err = EPROTO;
			break;
		}
		vpx_codec_iter_t it = NULL;
		const vpx_codec_cx_pkt_t *pkt;
		while (!err && (pkt = vpx_codec_get_cx_data(&enc, &it))) {
			if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
				continue;
			f->video[i].key = pkt->data.frame.flags & VPX_FRAME_IS_KEY;
			err = frames_packetize(f, &f->video[i], pkt->data.frame.buf, pkt->data.frame.sz,
					       i, c->max_payload);
		}
		if (!err && !f->video[i].npkts)
			err = frames_packetize(f, &f->video[i], (const uint8_t *)"\0", 1, i, c->max_payload);
	}
	if (inited)
		vpx_codec_destroy(&enc);
	vpx_img_free(&img);
	return err;
}

int frames_make(struct frames **fp, const struct frames_config *cfg)
{
	struct frames_config c = *cfg;
	c.audio_ms = c.audio_ms ? c.audio_ms : 2000;
	c.width = c.width ? c.width : 640;
	c.height = c.height ? c.height : 480;
	c.fps = c.fps ? c.fps : 30;
	c.video_kbps = c.video_kbps ? c.video_kbps : 1000;
	c.max_payload = c.max_payload > 100 && c.max_payload < 1400 ? c.max_payload : 1200;
	struct frames *f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	int err = frames_audio(f, c.audio_ms);
	size_t naudio_pkts = f->npkt_store;
	if (!err && c.video_ms)
		err = frames_video(f, &c);
	if (err) {
		frames_free(f);
		return err;
	}
	frames_fixup(f, naudio_pkts);
	*fp = f;
	return 0;
}

void frames_free(struct frames *f)
{
	if (!f)
		return;
	free(f->store);
	free(f->pkt_store);
	free(f->video);
	free(f);
}

double frames_video_bps(const struct frames *f)
{
	return f->nvideo ? (double)f->video_bytes * 8.0 * f->fps / f->nvideo : 0;
}

double frames_audio_bps(const struct frames *f)
{
	return f->naudio ? (double)f->audio_bytes * 8.0 * 50.0 / f->naudio : 0;
}
