/* host_crypto — see host_crypto.h.
 *
 * Theory of operation. The JavaScript side (web/crypto.js, node/crypto.js)
 * does all the checking the standards ask for (algorithm names, usages,
 * lengths, JWK members) and the conversions between formats; this file
 * only runs OpenSSL. Secret keys (HMAC, AES, KDF inputs) stay bytes in
 * JavaScript and are passed in for each call (host_crypto_sym.c has those
 * functions). Asymmetric keys live here:
 * an EVP_PKEY wrapped in an object of the class "CryptoKeyHandle" whose
 * finalizer frees it, so a key the program drops is freed by the garbage
 * collector, and a context's keys go with the context.
 *
 * Each function takes Uint8Arrays, strings and numbers only, throws a
 * TypeError when given anything else (the runtime's mistake, not the
 * program's), and answers null when OpenSSL refuses the operation (a bad
 * key, a wrong tag, a padding error): the JavaScript side turns that into
 * the DOMException or Node error the operation calls for. OpenSSL's error
 * queue is cleared after every failure.
 *
 * Under the sandbox no file may be opened, so host_crypto_warm() makes
 * OpenSSL do, before the filter closes, everything it does lazily: load
 * its configuration, seed its random generators, fetch every algorithm
 * and the encoders and decoders. */
#include "worker/host_crypto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "worker/host_crypto_args.h"
#include "worker/host_crypto_cipher.h"
#include "worker/host_crypto_sym.h"
#include "worker/jsval.h"

#define NAME_MAX_LEN HOST_CRYPTO_NAME_MAX
/* Larger RSA keys take minutes to generate. */
#define RSA_BITS_MAX 16384

/* --- key handles -------------------------------------------------------- */

static void key_finalize(JSObjectRef o)
{
	EVP_PKEY_free(JSObjectGetPrivate(o));
}

static JSClassRef key_class(void)
{
	static JSClassRef cls;
	if (!cls) {
		JSClassDefinition def = kJSClassDefinitionEmpty;
		def.className = "CryptoKeyHandle";
		def.finalize = key_finalize;
		cls = JSClassCreate(&def);
	}
	return cls;
}

/* Takes ownership of pk (freed here when the object cannot be made). */
static JSValueRef key_wrap(JSContextRef ctx, EVP_PKEY *pk)
{
	JSObjectRef o = JSObjectMake(ctx, key_class(), pk);
	if (!o) {
		EVP_PKEY_free(pk);
		return JSValueMakeNull(ctx);
	}
	return o;
}

/* The key of a handle argument (borrowed), or NULL. */
static EVP_PKEY *key_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i)
{
	if (i >= argc || !JSValueIsObjectOfClass(ctx, argv[i], key_class()))
		return NULL;
	return JSObjectGetPrivate((JSObjectRef)argv[i]);
}

static const char *key_kind(EVP_PKEY *pk)
{
	static const char *const kinds[] = { "RSA", "RSA-PSS", "EC", "ED25519", "X25519", "ED448", "X448" };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (EVP_PKEY_is_a(pk, kinds[i]))
			return kinds[i];
	return NULL;
}

static bool is_rsa(EVP_PKEY *pk)
{
	return EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS");
}

static bool has_private(EVP_PKEY *pk)
{
	BIGNUM *bn = NULL;
	size_t len = 0;
	int ok;
	if (is_rsa(pk))
		ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &bn);
	else if (EVP_PKEY_is_a(pk, "EC"))
		ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn);
	else
		ok = EVP_PKEY_get_raw_private_key(pk, NULL, &len);
	BN_clear_free(bn);
	ERR_clear_error();
	return ok == 1;
}

/* The byte length of a coordinate (and of half a P1363 signature). */
static size_t ec_field_bytes(EVP_PKEY *pk)
{
	return ((size_t)EVP_PKEY_get_bits(pk) + 7) / 8;
}

/* Caller frees *out with OPENSSL_free. */
static int encode_key(EVP_PKEY *pk, int selection, const char *type, const char *structure,
		      unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(pk, selection, type, structure, NULL);
	if (!ec)
		return -1;
	int ok = OSSL_ENCODER_CTX_get_num_encoders(ec) > 0 && OSSL_ENCODER_to_data(ec, out, outlen) == 1;
	OSSL_ENCODER_CTX_free(ec);
	return ok ? 0 : -1;
}

/* --- key generation, import and export ---------------------------------- */

/* generate("RSA", bits, publicExponent) | generate("EC", curve) |
 * generate("ED25519" | "X25519" | "ED448" | "X448") -> handle or null */
static JSValueRef h_generate(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char kind[16], curve[NAME_MAX_LEN];
	if (!str_arg(ctx, argc, argv, 0, kind, sizeof kind))
		return type_error(ctx, exc, "generate");
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, kind, NULL);
	EVP_PKEY *pk = NULL;
	if (!c || EVP_PKEY_keygen_init(c) != 1)
		goto fail;
	if (!strcmp(kind, "RSA") || !strcmp(kind, "RSA-PSS")) {
		double bits;
		const unsigned char *e;
		size_t en;
		if (!num_arg(ctx, argc, argv, 1, &bits) || !u8_arg(ctx, argc, argv, 2, &e, &en)) {
			EVP_PKEY_CTX_free(c);
			return type_error(ctx, exc, "generate");
		}
		if (!(bits >= 256 && bits <= RSA_BITS_MAX))
			goto fail;
		BIGNUM *bn = BN_bin2bn(e, (int)en, NULL);
		int ok = bn && EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int)bits) == 1 &&
			 EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, bn) == 1;
		BN_free(bn);
		if (!ok)
			goto fail;
	} else if (!strcmp(kind, "EC")) {
		if (!str_arg(ctx, argc, argv, 1, curve, sizeof curve)) {
			EVP_PKEY_CTX_free(c);
			return type_error(ctx, exc, "generate");
		}
		if (EVP_PKEY_CTX_set_group_name(c, curve) != 1)
			goto fail;
	}
	if (EVP_PKEY_generate(c, &pk) != 1)
		goto fail;
	EVP_PKEY_CTX_free(c);
	return key_wrap(ctx, pk);
fail:
	EVP_PKEY_CTX_free(c);
	return refused(ctx);
}

/* decode(data, input, structure, keyType, selection, passphrase) -> handle or null
 * input "DER" | "PEM"; structure "SubjectPublicKeyInfo", "PrivateKeyInfo",
 * "type-specific" or "" (any); keyType "RSA", "EC", ... or ""; selection
 * "public", "private" or "" (either). Trailing bytes after a DER key are
 * refused. */
static JSValueRef h_decode(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	const unsigned char *d, *pass;
	size_t dn, passn;
	char input[8], structure[32], type[16], sel[16];
	if (!u8_arg(ctx, argc, argv, 0, &d, &dn) || !str_arg(ctx, argc, argv, 1, input, sizeof input) ||
	    !str_arg(ctx, argc, argv, 2, structure, sizeof structure) ||
	    !str_arg(ctx, argc, argv, 3, type, sizeof type) || !str_arg(ctx, argc, argv, 4, sel, sizeof sel) ||
	    !opt_u8_arg(ctx, argc, argv, 5, &pass, &passn))
		return type_error(ctx, exc, "decode");
	int selection = !strcmp(sel, "public") ? EVP_PKEY_PUBLIC_KEY : !strcmp(sel, "private") ? EVP_PKEY_KEYPAIR : 0;
	EVP_PKEY *pk = NULL;
	/* The two DER forms of Web Crypto: d2i is ~5 times faster than a
	 * decoder context. */
	if (!strcmp(input, "DER") && !type[0] && !pass &&
	    (!strcmp(structure, "SubjectPublicKeyInfo") || !strcmp(structure, "PrivateKeyInfo"))) {
		const unsigned char *p = d;
		if (structure[0] == 'S') {
			pk = d2i_PUBKEY(NULL, &p, (long)dn);
		} else {
			PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)dn);
			pk = p8 ? EVP_PKCS82PKEY(p8) : NULL;
			PKCS8_PRIV_KEY_INFO_free(p8);
		}
		if (!pk || p != d + dn || (structure[0] == 'P' && !has_private(pk))) {
			EVP_PKEY_free(pk);
			return refused(ctx);
		}
		return key_wrap(ctx, pk);
	}
	OSSL_DECODER_CTX *dc = OSSL_DECODER_CTX_new_for_pkey(&pk, input, structure[0] ? structure : NULL,
							     type[0] ? type : NULL, selection, NULL, NULL);
	if (!dc)
		return refused(ctx);
	if (pass)
		OSSL_DECODER_CTX_set_passphrase(dc, pass, passn);
	else
		OSSL_DECODER_CTX_set_passphrase(dc, (const unsigned char *)"", 0);
	const unsigned char *p = d;
	size_t left = dn;
	int ok = OSSL_DECODER_from_data(dc, &p, &left) == 1 && pk;
	OSSL_DECODER_CTX_free(dc);
	if (ok && !strcmp(input, "DER") && left != 0)
		ok = 0;
	if (ok && selection == EVP_PKEY_KEYPAIR && !has_private(pk))
		ok = 0;
	if (!ok) {
		EVP_PKEY_free(pk);
		return refused(ctx);
	}
	return key_wrap(ctx, pk);
}

/* encode(handle, type, structure, private) -> Uint8Array (PEM as ASCII) or null */
static JSValueRef h_encode(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *pk = key_arg(ctx, argc, argv, 0);
	char type[8], structure[32];
	if (!pk || !str_arg(ctx, argc, argv, 1, type, sizeof type) ||
	    !str_arg(ctx, argc, argv, 2, structure, sizeof structure))
		return type_error(ctx, exc, "encode");
	bool priv = bool_arg(ctx, argc, argv, 3);
	if (priv && !has_private(pk))
		return refused(ctx);
	unsigned char *out;
	size_t n;
	if (encode_key(pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, type, structure, &out, &n))
		return refused(ctx);
	JSValueRef r = u8_result(ctx, out, n, exc);
	OPENSSL_clear_free(out, n);
	return r;
}

/* A key with only the public half of pk. Caller frees. */
static EVP_PKEY *public_of(EVP_PKEY *pk)
{
	unsigned char *der;
	size_t n;
	if (encode_key(pk, EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo", &der, &n))
		return NULL;
	const unsigned char *p = der;
	EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, (long)n);
	OPENSSL_free(der);
	return pub;
}

/* certKey(der) -> the public key of a DER X.509 certificate, or null */
static JSValueRef h_cert_key(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	const unsigned char *d;
	size_t dn;
	if (!u8_arg(ctx, argc, argv, 0, &d, &dn))
		return type_error(ctx, exc, "certKey");
	const unsigned char *p = d;
	X509 *x = d2i_X509(NULL, &p, (long)dn);
	EVP_PKEY *pk = x && p == d + dn ? X509_get_pubkey(x) : NULL;
	X509_free(x);
	return pk ? key_wrap(ctx, pk) : refused(ctx);
}

/* publicOf(handle) -> a new handle with the public key only */
static JSValueRef h_public_of(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *pk = key_arg(ctx, argc, argv, 0);
	if (!pk)
		return type_error(ctx, exc, "publicOf");
	EVP_PKEY *pub = public_of(pk);
	return pub ? key_wrap(ctx, pub) : refused(ctx);
}

static const char *curve_name(const char *group)
{
	if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
		return "P-256";
	if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
		return "P-384";
	if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
		return "P-521";
	return group;
}

static void set_bn(JSContextRef ctx, JSObjectRef o, const char *name, const BIGNUM *bn, size_t pad, JSValueRef *exc)
{
	size_t n = pad ? pad : (size_t)BN_num_bytes(bn);
	unsigned char *buf = malloc(n ? n : 1);
	if (!buf)
		return;
	if (BN_bn2binpad(bn, buf, (int)n) >= 0)
		jsval_set(ctx, o, name, u8_result(ctx, buf, n, exc), 0);
	OPENSSL_clear_free(buf, n ? n : 1);
}

/* info(handle) -> { kind, private, bits, curve?, publicExponent? } */
static JSValueRef h_info(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *pk = key_arg(ctx, argc, argv, 0);
	if (!pk)
		return type_error(ctx, exc, "info");
	const char *kind = key_kind(pk);
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	jsval_set(ctx, o, "kind", kind ? jsval_str(ctx, kind) : JSValueMakeNull(ctx), 0);
	jsval_set(ctx, o, "private", JSValueMakeBoolean(ctx, has_private(pk)), 0);
	jsval_set(ctx, o, "bits", JSValueMakeNumber(ctx, EVP_PKEY_get_bits(pk)), 0);
	if (kind && !strcmp(kind, "EC")) {
		char group[NAME_MAX_LEN];
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) == 1)
			jsval_set(ctx, o, "curve", jsval_str(ctx, curve_name(group)), 0);
	}
	if (kind && is_rsa(pk)) {
		BIGNUM *e = NULL;
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) == 1)
			set_bn(ctx, o, "publicExponent", e, 0, exc);
		BN_free(e);
	}
	ERR_clear_error();
	return o;
}

/* equals(a, b) -> boolean */
static JSValueRef h_equals(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *a = key_arg(ctx, argc, argv, 0), *b = key_arg(ctx, argc, argv, 1);
	if (!a || !b)
		return type_error(ctx, exc, "equals");
	int r = EVP_PKEY_eq(a, b);
	ERR_clear_error();
	return JSValueMakeBoolean(ctx, r == 1 && has_private(a) == has_private(b));
}

static const struct {
	const char *jwk, *param;
} rsa_params[] = {
	{ "n", OSSL_PKEY_PARAM_RSA_N },
	{ "e", OSSL_PKEY_PARAM_RSA_E },
	{ "d", OSSL_PKEY_PARAM_RSA_D },
	{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
	{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
	{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
	{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
	{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
};

/* exportJwk(handle) -> { n, e, d, p, q, dp, dq, qi } | { x, y, d } | { x, d }:
 * each a Uint8Array (big-endian; EC coordinates and d padded to the field
 * size); private members only for a private key. */
static JSValueRef h_export_jwk(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *pk = key_arg(ctx, argc, argv, 0);
	if (!pk)
		return type_error(ctx, exc, "exportJwk");
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	bool priv = has_private(pk);
	if (is_rsa(pk)) {
		for (size_t i = 0; i < sizeof rsa_params / sizeof rsa_params[0]; i++) {
			if (i >= 2 && !priv)
				break;
			BIGNUM *bn = NULL;
			if (EVP_PKEY_get_bn_param(pk, rsa_params[i].param, &bn) == 1)
				set_bn(ctx, o, rsa_params[i].jwk, bn, 0, exc);
			BN_clear_free(bn);
		}
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		size_t fb = ec_field_bytes(pk);
		static const char *const names[] = { "x", "y", "d" };
		static const char *const params[] = { OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y,
						      OSSL_PKEY_PARAM_PRIV_KEY };
		for (size_t i = 0; i < (priv ? 3u : 2u); i++) {
			BIGNUM *bn = NULL;
			if (EVP_PKEY_get_bn_param(pk, params[i], &bn) == 1)
				set_bn(ctx, o, names[i], bn, fb, exc);
			BN_clear_free(bn);
		}
	} else {
		unsigned char buf[128];
		size_t n = sizeof buf;
		if (EVP_PKEY_get_raw_public_key(pk, buf, &n) == 1)
			jsval_set(ctx, o, "x", u8_result(ctx, buf, n, exc), 0);
		n = sizeof buf;
		if (priv && EVP_PKEY_get_raw_private_key(pk, buf, &n) == 1)
			jsval_set(ctx, o, "d", u8_result(ctx, buf, n, exc), 0);
		OPENSSL_cleanse(buf, sizeof buf);
	}
	ERR_clear_error();
	return o;
}

static bool member_u8(JSContextRef ctx, JSObjectRef o, const char *name, const unsigned char **p, size_t *n)
{
	JSValueRef v = jsval_get(ctx, o, name);
	if (!v || !JSValueIsObject(ctx, v) || JSValueGetTypedArrayType(ctx, v, NULL) != kJSTypedArrayTypeUint8Array)
		return false;
	*p = jsval_u8_bytes(ctx, (JSObjectRef)v, n);
	return *n <= INT_MAX / 2;
}

static EVP_PKEY *from_params(const char *type, int selection, OSSL_PARAM *params)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (!c || EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, &pk, selection, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(c);
	return pk;
}

/* An EC key from a public point (uncompressed or compressed) and maybe d.
 * A private key must match its point. */
static EVP_PKEY *ec_from(const char *curve, const unsigned char *pt, size_t ptn, const unsigned char *d, size_t dn)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *priv = d ? BN_bin2bn(d, (int)dn, NULL) : NULL;
	OSSL_PARAM *ps = NULL;
	EVP_PKEY *pk = NULL;
	if (!b || (d && !priv) ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, ptn) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    !(ps = OSSL_PARAM_BLD_to_param(b)))
		goto out;
	pk = from_params("EC", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, ps);
	if (pk && priv) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		if (!c || EVP_PKEY_pairwise_check(c) != 1) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		EVP_PKEY_CTX_free(c);
	}
out:
	OSSL_PARAM_free(ps);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(priv);
	return pk;
}

/* importJwk(kind, curve, members, private) -> handle or null; members as
 * exportJwk gives them (the JavaScript side checked which are present). */
static JSValueRef h_import_jwk(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char kind[16], curve[NAME_MAX_LEN];
	if (!str_arg(ctx, argc, argv, 0, kind, sizeof kind) || !str_arg(ctx, argc, argv, 1, curve, sizeof curve) ||
	    argc < 3 || !JSValueIsObject(ctx, argv[2]))
		return type_error(ctx, exc, "importJwk");
	JSObjectRef o = (JSObjectRef)argv[2];
	bool priv = bool_arg(ctx, argc, argv, 3);
	EVP_PKEY *pk = NULL;
	const unsigned char *p, *x, *y, *d;
	size_t n, xn, yn, dn;
	if (!strcmp(kind, "RSA")) {
		OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
		BIGNUM *bns[8] = { 0 };
		OSSL_PARAM *ps = NULL;
		bool ok = b != NULL;
		/* n and e, then d, then the CRT members, all or none. */
		size_t need = priv ? 3 : 2, count = priv ? 8 : 2;
		for (size_t i = 0; ok && i < count; i++) {
			if (!member_u8(ctx, o, rsa_params[i].jwk, &p, &n)) {
				ok = i >= need;
				break;
			}
			ok = (bns[i] = BN_bin2bn(p, (int)n, NULL)) && OSSL_PARAM_BLD_push_BN(b, rsa_params[i].param, bns[i]);
		}
		if (ok && (ps = OSSL_PARAM_BLD_to_param(b)))
			pk = from_params("RSA", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, ps);
		OSSL_PARAM_free(ps);
		OSSL_PARAM_BLD_free(b);
		for (size_t i = 0; i < 8; i++)
			BN_clear_free(bns[i]);
	} else if (!strcmp(kind, "EC")) {
		if (!member_u8(ctx, o, "x", &x, &xn) || !member_u8(ctx, o, "y", &y, &yn) || xn != yn || xn > 66 ||
		    (priv && !member_u8(ctx, o, "d", &d, &dn)))
			return refused(ctx);
		unsigned char pt[1 + 2 * 66];
		pt[0] = 4;
		memcpy(pt + 1, x, xn);
		memcpy(pt + 1 + xn, y, yn);
		pk = ec_from(curve, pt, 1 + xn + yn, priv ? d : NULL, priv ? dn : 0);
	} else {
		bool hx = member_u8(ctx, o, "x", &x, &xn);
		if (priv) {
			if (!member_u8(ctx, o, "d", &d, &dn))
				return refused(ctx);
			pk = EVP_PKEY_new_raw_private_key_ex(NULL, kind, NULL, d, dn);
			/* The public key given must be the private key's. */
			unsigned char pub[64];
			size_t pn = sizeof pub;
			if (pk && hx &&
			    (EVP_PKEY_get_raw_public_key(pk, pub, &pn) != 1 || pn != xn || memcmp(pub, x, xn))) {
				EVP_PKEY_free(pk);
				pk = NULL;
			}
		} else if (hx) {
			pk = EVP_PKEY_new_raw_public_key_ex(NULL, kind, NULL, x, xn);
		}
	}
	return pk ? key_wrap(ctx, pk) : refused(ctx);
}

/* importRaw(kind, curve, bytes) -> public key handle or null: an EC point,
 * or an Ed25519/X25519/... public key. */
static JSValueRef h_import_raw(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char kind[16], curve[NAME_MAX_LEN];
	const unsigned char *p;
	size_t n;
	if (!str_arg(ctx, argc, argv, 0, kind, sizeof kind) || !str_arg(ctx, argc, argv, 1, curve, sizeof curve) ||
	    !u8_arg(ctx, argc, argv, 2, &p, &n))
		return type_error(ctx, exc, "importRaw");
	EVP_PKEY *pk = !strcmp(kind, "EC") ? ec_from(curve, p, n, NULL, 0)
					   : EVP_PKEY_new_raw_public_key_ex(NULL, kind, NULL, p, n);
	return pk ? key_wrap(ctx, pk) : refused(ctx);
}

/* exportRaw(handle) -> the public key as bytes (an uncompressed EC point) */
static JSValueRef h_export_raw(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *pk = key_arg(ctx, argc, argv, 0);
	if (!pk)
		return type_error(ctx, exc, "exportRaw");
	unsigned char buf[1 + 2 * 66];
	size_t n = 0;
	if (EVP_PKEY_is_a(pk, "EC")) {
		size_t fb = ec_field_bytes(pk);
		BIGNUM *x = NULL, *y = NULL;
		int ok = fb <= 66 && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
			 EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
			 BN_bn2binpad(x, buf + 1, (int)fb) >= 0 && BN_bn2binpad(y, buf + 1 + fb, (int)fb) >= 0;
		BN_free(x);
		BN_free(y);
		if (!ok)
			return refused(ctx);
		buf[0] = 4;
		n = 1 + 2 * fb;
	} else {
		n = sizeof buf;
		if (EVP_PKEY_get_raw_public_key(pk, buf, &n) != 1)
			return refused(ctx);
	}
	return u8_result(ctx, buf, n, exc);
}

/* --- signatures, RSA encryption, key agreement -------------------------- */

/* Sets RSA padding on a signing or verifying context: pad "pss" (with
 * saltLen, OpenSSL's RSA_PSS_SALTLEN_* constants allowed) or "pkcs1". */
static int set_padding(EVP_PKEY_CTX *pc, const char *pad, int salt)
{
	if (!strcmp(pad, "pss"))
		return EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt) == 1 ? 0 : -1;
	if (!strcmp(pad, "pkcs1"))
		return EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 ? 0 : -1;
	return 0;
}

struct sig_args {
	EVP_PKEY *pk;
	char md[NAME_MAX_LEN], pad[8];
	double salt;
	bool p1363;
};

static bool sig_args(JSContextRef ctx, size_t argc, const JSValueRef argv[], struct sig_args *a)
{
	a->pk = key_arg(ctx, argc, argv, 0);
	a->salt = 0;
	if (!a->pk || !str_arg(ctx, argc, argv, 1, a->md, sizeof a->md) || !str_arg(ctx, argc, argv, 4, a->pad, sizeof a->pad))
		return false;
	num_arg(ctx, argc, argv, 5, &a->salt);
	a->p1363 = bool_arg(ctx, argc, argv, 6) && EVP_PKEY_is_a(a->pk, "EC");
	return a->salt >= -4 && a->salt <= INT_MAX;
}

/* sign(handle, hash, data, _, pad, saltLength, p1363) -> Uint8Array or null.
 * hash "" for Ed25519; an ECDSA signature is DER, or r||s with p1363. */
static JSValueRef h_sign(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct sig_args a;
	const unsigned char *d;
	size_t dn;
	if (!sig_args(ctx, argc, argv, &a) || !u8_arg(ctx, argc, argv, 2, &d, &dn))
		return type_error(ctx, exc, "sign");
	if (!has_private(a.pk))
		return refused(ctx);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	unsigned char *sig = NULL;
	size_t n = 0;
	JSValueRef r;
	if (!m || EVP_DigestSignInit_ex(m, &pc, a.md[0] ? a.md : NULL, NULL, NULL, a.pk, NULL) != 1 ||
	    set_padding(pc, a.pad, (int)a.salt) || EVP_DigestSign(m, NULL, &n, d, dn) != 1 ||
	    !(sig = OPENSSL_malloc(n)) || EVP_DigestSign(m, sig, &n, d, dn) != 1) {
		r = refused(ctx);
	} else if (a.p1363) {
		size_t half = ec_field_bytes(a.pk);
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		unsigned char out[2 * 66];
		const BIGNUM *rr, *ss;
		if (es && half <= 66) {
			ECDSA_SIG_get0(es, &rr, &ss);
			BN_bn2binpad(rr, out, (int)half);
			BN_bn2binpad(ss, out + half, (int)half);
			r = u8_result(ctx, out, 2 * half, exc);
		} else {
			r = refused(ctx);
		}
		ECDSA_SIG_free(es);
	} else {
		r = u8_result(ctx, sig, n, exc);
	}
	OPENSSL_free(sig);
	EVP_MD_CTX_free(m);
	return r;
}

/* verify(handle, hash, data, signature, pad, saltLength, p1363) -> boolean */
static JSValueRef h_verify(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct sig_args a;
	const unsigned char *d, *s;
	size_t dn, sn;
	if (!sig_args(ctx, argc, argv, &a) || !u8_arg(ctx, argc, argv, 2, &d, &dn) || !u8_arg(ctx, argc, argv, 3, &s, &sn))
		return type_error(ctx, exc, "verify");
	unsigned char *der = NULL;
	int dern = 0;
	if (a.p1363) {
		size_t half = ec_field_bytes(a.pk);
		if (sn != 2 * half)
			return JSValueMakeBoolean(ctx, false);
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *rr = BN_bin2bn(s, (int)half, NULL), *ss = BN_bin2bn(s + half, (int)half, NULL);
		if (!es || !rr || !ss || ECDSA_SIG_set0(es, rr, ss) != 1) {
			BN_free(rr);
			BN_free(ss);
			ECDSA_SIG_free(es);
			return refused(ctx);
		}
		dern = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (dern <= 0)
			return refused(ctx);
		s = der;
		sn = (size_t)dern;
	}
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok = m && EVP_DigestVerifyInit_ex(m, &pc, a.md[0] ? a.md : NULL, NULL, NULL, a.pk, NULL) == 1 &&
		 !set_padding(pc, a.pad, (int)a.salt) && EVP_DigestVerify(m, s, sn, d, dn) == 1;
	EVP_MD_CTX_free(m);
	OPENSSL_free(der);
	ERR_clear_error();
	return JSValueMakeBoolean(ctx, ok);
}

/* rsaCrypt(handle, encrypt, pad, hash, label, data) -> Uint8Array or null.
 * pad "oaep" (hash for OAEP and MGF1, label optional) or "pkcs1". */
static JSValueRef h_rsa_crypt(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *pk = key_arg(ctx, argc, argv, 0);
	char pad[8], md[NAME_MAX_LEN];
	const unsigned char *label, *d;
	size_t ln, dn;
	if (!pk || !str_arg(ctx, argc, argv, 2, pad, sizeof pad) || !str_arg(ctx, argc, argv, 3, md, sizeof md) ||
	    !opt_u8_arg(ctx, argc, argv, 4, &label, &ln) || !u8_arg(ctx, argc, argv, 5, &d, &dn))
		return type_error(ctx, exc, "rsaCrypt");
	bool enc = bool_arg(ctx, argc, argv, 1);
	if (!is_rsa(pk) || (!enc && !has_private(pk)))
		return refused(ctx);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	unsigned char *out = NULL;
	size_t n = 0;
	JSValueRef r;
	int ok = c && (enc ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) == 1;
	if (ok && !strcmp(pad, "oaep")) {
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_oaep_md_name(c, md, NULL) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, md, NULL) == 1;
		if (ok && ln) {
			void *copy = OPENSSL_memdup(label, ln);
			ok = copy && EVP_PKEY_CTX_set0_rsa_oaep_label(c, copy, (int)ln) == 1;
			if (!ok)
				OPENSSL_free(copy);
		}
	} else if (ok) {
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	}
	if (ok)
		ok = (enc ? EVP_PKEY_encrypt(c, NULL, &n, d, dn) : EVP_PKEY_decrypt(c, NULL, &n, d, dn)) == 1 &&
		     (out = OPENSSL_malloc(n ? n : 1)) &&
		     (enc ? EVP_PKEY_encrypt(c, out, &n, d, dn) : EVP_PKEY_decrypt(c, out, &n, d, dn)) == 1;
	r = ok ? u8_result(ctx, out, n, exc) : refused(ctx);
	OPENSSL_clear_free(out, n ? n : 1);
	EVP_PKEY_CTX_free(c);
	return r;
}

/* derive(private handle, public handle) -> the shared secret or null */
static JSValueRef h_derive(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_PKEY *priv = key_arg(ctx, argc, argv, 0), *pub = key_arg(ctx, argc, argv, 1);
	if (!priv || !pub)
		return type_error(ctx, exc, "derive");
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	unsigned char *out = NULL;
	size_t n = 0;
	int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, pub) == 1 &&
		 EVP_PKEY_derive(c, NULL, &n) == 1 && (out = OPENSSL_malloc(n ? n : 1)) &&
		 EVP_PKEY_derive(c, out, &n) == 1;
	JSValueRef r = ok ? u8_result(ctx, out, n, exc) : refused(ctx);
	OPENSSL_clear_free(out, n ? n : 1);
	EVP_PKEY_CTX_free(c);
	return r;
}

/* --- the object and the warm-up ----------------------------------------- */

JSObjectRef host_crypto_object(JSContextRef ctx)
{
	static const struct {
		const char *name;
		JSObjectCallAsFunctionCallback cb;
	} fns[] = {
		{ "generate", h_generate }, { "decode", h_decode }, { "encode", h_encode },
		{ "publicOf", h_public_of }, { "certKey", h_cert_key }, { "info", h_info }, { "equals", h_equals },
		{ "exportJwk", h_export_jwk }, { "importJwk", h_import_jwk }, { "importRaw", h_import_raw },
		{ "exportRaw", h_export_raw }, { "sign", h_sign }, { "verify", h_verify },
		{ "rsaCrypt", h_rsa_crypt }, { "derive", h_derive },
	};
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		jsval_set(ctx, o, fns[i].name, jsval_make_fn(ctx, fns[i].name, fns[i].cb), 0);
	host_crypto_sym_add(ctx, o);
	host_crypto_cipher_add(ctx, o);
	return o;
}

/* Signs with pk and encodes it in every form; with decode, decodes each
 * encoding back (once is enough: a decoder context fetches every decoder,
 * and costs ~1 ms). */
static void warm_key(EVP_PKEY *pk, const char *md, bool decode)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t n = sizeof sig;
	if (m && EVP_DigestSignInit_ex(m, NULL, md, NULL, NULL, pk, NULL) == 1)
		EVP_DigestSign(m, sig, &n, (const unsigned char *)"x", 1);
	EVP_MD_CTX_free(m);
	static const struct {
		int sel;
		const char *type, *structure;
	} encs[] = {
		{ EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo" },
		{ EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo" },
		{ EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo" },
		{ EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo" },
		{ EVP_PKEY_KEYPAIR, "PEM", "type-specific" },
		{ EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific" },
	};
	for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++) {
		unsigned char *out;
		size_t len;
		if (encode_key(pk, encs[i].sel, encs[i].type, encs[i].structure, &out, &len))
			continue;
		size_t left = len;
		if (decode && (i == 1 || i == 2)) {
			EVP_PKEY *back = NULL;
			OSSL_DECODER_CTX *dc = OSSL_DECODER_CTX_new_for_pkey(&back, encs[i].type, NULL, NULL, 0, NULL, NULL);
			const unsigned char *p = out;
			if (dc)
				OSSL_DECODER_from_data(dc, &p, &left);
			OSSL_DECODER_CTX_free(dc);
			EVP_PKEY_free(back);
		}
		if (i == 0) {
			const unsigned char *p = out;
			EVP_PKEY_free(d2i_PUBKEY(NULL, &p, (long)len));
		} else if (i == 2) {
			const unsigned char *p = out;
			PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
			if (p8)
				EVP_PKEY_free(EVP_PKCS82PKEY(p8));
			PKCS8_PRIV_KEY_INFO_free(p8);
		}
		OPENSSL_clear_free(out, len);
	}
}

void host_crypto_warm(void)
{
	host_crypto_sym_warm();
	host_crypto_cipher_warm();
	/* One key goes through everything (signing, agreement, every
	 * encoder and decoder); for the other types, fetching their key
	 * management, signature, key exchange and asymmetric cipher is enough.
	 * Encoding more keys costs ~1 ms each. */
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (ec) {
		warm_key(ec, "SHA256", true);
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, ec, NULL);
		unsigned char s[66];
		size_t sn = sizeof s;
		if (c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, ec) == 1)
			EVP_PKEY_derive(c, s, &sn);
		if (c)
			EVP_PKEY_pairwise_check(c);
		EVP_PKEY_CTX_free(c);
		EVP_PKEY_free(ec);
	}
	static const char *const types[] = { "RSA", "RSA-PSS", "ED25519", "X25519", "ED448", "X448" };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		EVP_KEYMGMT_free(EVP_KEYMGMT_fetch(NULL, types[i], NULL));
		EVP_SIGNATURE_free(EVP_SIGNATURE_fetch(NULL, types[i], NULL));
		EVP_KEYEXCH_free(EVP_KEYEXCH_fetch(NULL, types[i], NULL));
		EVP_ASYM_CIPHER_free(EVP_ASYM_CIPHER_fetch(NULL, types[i], NULL));
	}
	/* The generators RSA key generation draws from. */
	BIGNUM *r = BN_new();
	if (r)
		BN_priv_rand(r, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
	BN_free(r);
	ERR_clear_error();
}
