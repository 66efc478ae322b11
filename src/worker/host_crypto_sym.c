/* host_crypto_sym — the symmetric half of host.crypto (see host_crypto.c
 * for the conventions): HMAC, digests by name, HKDF, PBKDF2 and AES in GCM,
 * CBC, CTR (with Web Crypto's counter) and KW modes. Keys are bytes passed
 * in with each call; nothing is kept between calls. */
#include "worker/host_crypto_sym.h"

#include <stdint.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "worker/host_crypto_args.h"

#define NAME_MAX_LEN HOST_CRYPTO_NAME_MAX

/* hmac(hash, key, data) -> Uint8Array */
static JSValueRef h_hmac(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char md[NAME_MAX_LEN];
	const unsigned char *k, *d;
	size_t kn, dn;
	if (!str_arg(ctx, argc, argv, 0, md, sizeof md) || !u8_arg(ctx, argc, argv, 1, &k, &kn) ||
	    !u8_arg(ctx, argc, argv, 2, &d, &dn))
		return type_error(ctx, exc, "hmac");
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t outlen = 0;
	/* A zero-length key must still be a pointer for OpenSSL. */
	static const unsigned char none[1];
	if (!EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, kn ? k : none, kn, d, dn, out, sizeof out, &outlen))
		return refused(ctx);
	return u8_result(ctx, out, outlen, exc);
}

/* hash(name, data) -> Uint8Array: any digest OpenSSL's default provider has. */
static JSValueRef h_hash(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char name[NAME_MAX_LEN];
	const unsigned char *d;
	size_t dn;
	if (!str_arg(ctx, argc, argv, 0, name, sizeof name) || !u8_arg(ctx, argc, argv, 1, &d, &dn))
		return type_error(ctx, exc, "hash");
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int outlen = 0;
	/* Extendable-output digests (SHAKE) have no fixed size: refused. */
	int ok = md && EVP_MD_get_size(md) > 0 && EVP_Digest(d, dn, out, &outlen, md, NULL) == 1;
	EVP_MD_free(md);
	if (!ok)
		return refused(ctx);
	return u8_result(ctx, out, outlen, exc);
}

/* pre: parameters set before the others (PBKDF2 checks the salt as it
 * reads it, so its PKCS#5 mode must be on first), or NULL. */
static JSValueRef kdf_run(JSContextRef ctx, const char *name, const OSSL_PARAM *pre, OSSL_PARAM *params, double len,
			  JSValueRef *exc)
{
	if (!(len >= 0 && len <= (1 << 24)))
		return refused(ctx);
	size_t n = (size_t)len;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	unsigned char *out = malloc(n ? n : 1);
	JSValueRef r;
	if (kc && out && (!pre || EVP_KDF_CTX_set_params(kc, pre) == 1) && EVP_KDF_derive(kc, out, n, params) == 1)
		r = u8_result(ctx, out, n, exc);
	else
		r = refused(ctx);
	if (out)
		OPENSSL_cleanse(out, n);
	free(out);
	EVP_KDF_CTX_free(kc);
	return r;
}

static const unsigned char empty_bytes[1];

/* hkdf(hash, key, salt, info, length) -> Uint8Array of length bytes */
static JSValueRef h_hkdf(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char md[NAME_MAX_LEN];
	const unsigned char *k, *s, *i;
	size_t kn, sn, in;
	double len;
	if (!str_arg(ctx, argc, argv, 0, md, sizeof md) || !u8_arg(ctx, argc, argv, 1, &k, &kn) ||
	    !u8_arg(ctx, argc, argv, 2, &s, &sn) || !u8_arg(ctx, argc, argv, 3, &i, &in) ||
	    !num_arg(ctx, argc, argv, 4, &len))
		return type_error(ctx, exc, "hkdf");
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(kn ? k : empty_bytes), kn),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(sn ? s : empty_bytes), sn),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(in ? i : empty_bytes), in),
		OSSL_PARAM_construct_end(),
	};
	/* No info at all: OpenSSL refuses a zero-length info parameter. */
	if (!in)
		p[3] = OSSL_PARAM_construct_end();
	return kdf_run(ctx, "HKDF", NULL, p, len, exc);
}

/* pbkdf2(hash, password, salt, iterations, length) -> Uint8Array */
static JSValueRef h_pbkdf2(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char md[NAME_MAX_LEN];
	const unsigned char *pw, *s;
	size_t pn, sn;
	double iter, len;
	if (!str_arg(ctx, argc, argv, 0, md, sizeof md) || !u8_arg(ctx, argc, argv, 1, &pw, &pn) ||
	    !u8_arg(ctx, argc, argv, 2, &s, &sn) || !num_arg(ctx, argc, argv, 3, &iter) ||
	    !num_arg(ctx, argc, argv, 4, &len) || !(iter >= 1 && iter <= INT_MAX))
		return type_error(ctx, exc, "pbkdf2");
	uint64_t it = (uint64_t)iter;
	/* PKCS#5 mode: no lower bounds on the salt, the iteration count and
	 * the length, which Web Crypto and Node do not have either. */
	int pkcs5 = 1;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(pn ? pw : empty_bytes), pn),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(sn ? s : empty_bytes), sn),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &it),
		OSSL_PARAM_construct_end(),
	};
	const OSSL_PARAM pre[] = { OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5), OSSL_PARAM_construct_end() };
	return kdf_run(ctx, "PBKDF2", pre, p, len, exc);
}

/* --- AES ---------------------------------------------------------------- */

/* CTR mode with Web Crypto's counter: the last `bits` bits of the block
 * count, and wrap to zero without carrying into the nonce, where OpenSSL
 * would carry. The data is cut where the counter wraps. */
static int aes_ctr(EVP_CIPHER *ci, const unsigned char *key, const unsigned char *iv, unsigned bits,
		   const unsigned char *in, size_t n, unsigned char *out)
{
	unsigned char block[16];
	memcpy(block, iv, 16);
	unsigned __int128 ctr = 0, mask = bits >= 128 ? ~(unsigned __int128)0 : (((unsigned __int128)1 << bits) - 1);
	for (int i = 0; i < 16; i++)
		ctr = (ctr << 8) | block[i];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return -1;
	size_t done = 0;
	int rc = 0;
	while (done < n) {
		unsigned __int128 low = ctr & mask;
		/* Blocks left before the counter wraps (all of them at 128 bits). */
		unsigned __int128 room = bits >= 128 ? ~(unsigned __int128)0 : mask - low + 1;
		size_t want = n - done;
		if (room < ((unsigned __int128)want + 15) / 16)
			want = (size_t)room * 16;
		int l = 0, l2 = 0;
		if (EVP_EncryptInit_ex2(c, ci, key, block, NULL) != 1 ||
		    EVP_EncryptUpdate(c, out + done, &l, in + done, (int)want) != 1 ||
		    EVP_EncryptFinal_ex(c, out + done + l, &l2) != 1) {
			rc = -1;
			break;
		}
		done += want;
		ctr &= ~mask; /* the counter wrapped: zero, nonce kept */
		for (int i = 15; i >= 0; i--) {
			block[i] = (unsigned char)ctr;
			ctr >>= 8;
		}
		for (int i = 0; i < 16; i++)
			ctr = (ctr << 8) | block[i];
	}
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* aes(mode, encrypt, key, iv, data, aad, tagBytes, counterBits) -> Uint8Array
 * mode: "GCM" (data ends with the tag when decrypting; the tag is appended
 * when encrypting), "CBC" (PKCS#7 padding), "CTR", "KW" (RFC 3394). */
static JSValueRef h_aes(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char mode[8];
	const unsigned char *key, *iv, *in, *aad;
	size_t kn, ivn, n, aadn;
	double tagd = 0, ctrd = 0;
	if (!str_arg(ctx, argc, argv, 0, mode, sizeof mode) || !u8_arg(ctx, argc, argv, 2, &key, &kn) ||
	    !opt_u8_arg(ctx, argc, argv, 3, &iv, &ivn) || !u8_arg(ctx, argc, argv, 4, &in, &n) ||
	    !opt_u8_arg(ctx, argc, argv, 5, &aad, &aadn))
		return type_error(ctx, exc, "aes");
	int enc = bool_arg(ctx, argc, argv, 1);
	num_arg(ctx, argc, argv, 6, &tagd);
	num_arg(ctx, argc, argv, 7, &ctrd);
	if (kn != 16 && kn != 24 && kn != 32)
		return refused(ctx);
	bool gcm = !strcmp(mode, "GCM"), cbc = !strcmp(mode, "CBC"), ctr = !strcmp(mode, "CTR"),
	     kw = !strcmp(mode, "KW");
	if (!gcm && !cbc && !ctr && !kw)
		return type_error(ctx, exc, "aes");
	char name[32];
	snprintf(name, sizeof name, "AES-%zu-%s", kn * 8, kw ? "WRAP" : mode);
	size_t tag = gcm ? (size_t)tagd : 0;
	if ((gcm && (tag < 4 || tag > 16 || !ivn)) || ((cbc || ctr) && ivn != 16) ||
	    (ctr && !(ctrd >= 1 && ctrd <= 128)))
		return refused(ctx);
	if (gcm && !enc) {
		if (n < tag)
			return refused(ctx);
		n -= tag;
	}
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char *out = malloc(n + 32);
	JSValueRef r = NULL;
	int l = 0, l2 = 0;
	if (!ci || !c || !out)
		goto fail;
	if (ctr) {
		if (aes_ctr(ci, key, iv, (unsigned)ctrd, in, n, out))
			goto fail;
		r = u8_result(ctx, out, n, exc);
		goto done;
	}
	if (kw)
		EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex2(c, ci, NULL, NULL, enc, NULL) != 1)
		goto fail;
	if (gcm) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)ivn, NULL) != 1)
			goto fail;
		if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag, (void *)(in + n)) != 1)
			goto fail;
	}
	if (EVP_CipherInit_ex2(c, NULL, key, kw ? NULL : iv, enc, NULL) != 1)
		goto fail;
	if (gcm && aadn && EVP_CipherUpdate(c, NULL, &l, aad, (int)aadn) != 1)
		goto fail;
	l = 0;
	if (n && EVP_CipherUpdate(c, out, &l, in, (int)n) != 1)
		goto fail;
	if (EVP_CipherFinal_ex(c, out + l, &l2) != 1)
		goto fail;
	size_t total = (size_t)l + (size_t)l2;
	if (gcm && enc) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag, out + total) != 1)
			goto fail;
		total += tag;
	}
	r = u8_result(ctx, out, total, exc);
	goto done;
fail:
	r = refused(ctx);
done:
	if (out)
		OPENSSL_cleanse(out, n + 32);
	free(out);
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(ci);
	return r;
}

void host_crypto_sym_add(JSContextRef ctx, JSObjectRef o)
{
	static const struct {
		const char *name;
		JSObjectCallAsFunctionCallback cb;
	} fns[] = {
		{ "hmac", h_hmac }, { "hash", h_hash }, { "hkdf", h_hkdf }, { "pbkdf2", h_pbkdf2 }, { "aes", h_aes },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		jsval_set(ctx, o, fns[i].name, jsval_make_fn(ctx, fns[i].name, fns[i].cb), 0);
}

void host_crypto_sym_warm(void)
{
	static const char *const mds[] = { "SHA1", "SHA256", "SHA384", "SHA512", "MD5", "SHA224",
					   "SHA512-224", "SHA512-256", "SHA3-224", "SHA3-256", "SHA3-384",
					   "SHA3-512", "RIPEMD160" };
	unsigned char out[64];
	size_t outlen;
	for (size_t i = 0; i < sizeof mds / sizeof mds[0]; i++) {
		EVP_MD *md = EVP_MD_fetch(NULL, mds[i], NULL);
		unsigned int l;
		if (md)
			EVP_Digest("", 0, out, &l, md, NULL);
		EVP_MD_free(md);
	}
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, "k", 1, (const unsigned char *)"", 0, out, sizeof out, &outlen);
	static const char *const kdfs[] = { "HKDF", "PBKDF2" };
	for (size_t i = 0; i < 2; i++) {
		EVP_KDF *k = EVP_KDF_fetch(NULL, kdfs[i], NULL);
		EVP_KDF_CTX *kc = k ? EVP_KDF_CTX_new(k) : NULL;
		uint64_t it = 1;
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
			OSSL_PARAM_construct_octet_string(i ? OSSL_KDF_PARAM_PASSWORD : OSSL_KDF_PARAM_KEY, "k", 1),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, "s", 1),
			i ? OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &it) : OSSL_PARAM_construct_end(),
			OSSL_PARAM_construct_end(),
		};
		if (kc)
			EVP_KDF_derive(kc, out, 16, p);
		EVP_KDF_CTX_free(kc);
		EVP_KDF_free(k);
	}
	static const char *const modes[] = { "GCM", "CBC", "CTR", "WRAP" };
	static const unsigned char key[32], iv[16];
	for (int bits = 128; bits <= 256; bits += 64) {
		for (size_t i = 0; i < 4; i++) {
			char name[32];
			snprintf(name, sizeof name, "AES-%d-%s", bits, modes[i]);
			EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, name, NULL);
			EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
			unsigned char buf[64];
			int l;
			if (ci && c) {
				EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
				if (EVP_EncryptInit_ex2(c, ci, key, i == 3 ? NULL : iv, NULL) == 1)
					EVP_EncryptUpdate(c, buf, &l, key, 16);
			}
			EVP_CIPHER_CTX_free(c);
			EVP_CIPHER_free(ci);
		}
	}
}
