/* host_crypto_cipher — streaming ciphers for node:crypto's createCipheriv
 * and createDecipheriv (see host_crypto.c for the conventions). A cipher
 * context lives in C as long as the JavaScript Cipher holds its handle (an
 * object of the class "CipherHandle" whose finalizer frees it); update and
 * final are OpenSSL's. Only the ciphers of CIPHERS are offered, each
 * fetched by host_crypto_cipher_warm() before the sandbox closes. */
#include "worker/host_crypto_cipher.h"

#include <openssl/evp.h>

#include "worker/host_crypto_args.h"

/* Node's names. */
static const char *const CIPHERS[] = {
	"aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "aes-128-ecb", "aes-192-ecb", "aes-256-ecb",
	"aes-128-ctr", "aes-192-ctr", "aes-256-ctr", "aes-128-gcm", "aes-192-gcm", "aes-256-gcm",
	"aes-128-ofb", "aes-192-ofb", "aes-256-ofb", "aes-128-cfb", "aes-192-cfb", "aes-256-cfb",
	"chacha20-poly1305",
};

static bool known(const char *name)
{
	for (size_t i = 0; i < sizeof CIPHERS / sizeof CIPHERS[0]; i++)
		if (!strcmp(CIPHERS[i], name))
			return true;
	return false;
}

static void cipher_finalize(JSObjectRef o)
{
	EVP_CIPHER_CTX_free(JSObjectGetPrivate(o));
}

static JSClassRef cipher_class(void)
{
	static JSClassRef cls;
	if (!cls) {
		JSClassDefinition def = kJSClassDefinitionEmpty;
		def.className = "CipherHandle";
		def.finalize = cipher_finalize;
		cls = JSClassCreate(&def);
	}
	return cls;
}

static EVP_CIPHER_CTX *cipher_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[])
{
	if (argc < 1 || !JSValueIsObjectOfClass(ctx, argv[0], cipher_class()))
		return NULL;
	return JSObjectGetPrivate((JSObjectRef)argv[0]);
}

/* cipherInfo(name) -> { keyLength, ivLength, blockSize, aead } or null */
static JSValueRef h_info(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char name[32];
	if (!str_arg(ctx, argc, argv, 0, name, sizeof name))
		return type_error(ctx, exc, "cipherInfo");
	EVP_CIPHER *ci = known(name) ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
	if (!ci)
		return refused(ctx);
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	jsval_set(ctx, o, "keyLength", JSValueMakeNumber(ctx, EVP_CIPHER_get_key_length(ci)), 0);
	jsval_set(ctx, o, "ivLength", JSValueMakeNumber(ctx, EVP_CIPHER_get_iv_length(ci)), 0);
	jsval_set(ctx, o, "blockSize", JSValueMakeNumber(ctx, EVP_CIPHER_get_block_size(ci)), 0);
	jsval_set(ctx, o, "aead", JSValueMakeBoolean(ctx, (EVP_CIPHER_get_flags(ci) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0), 0);
	EVP_CIPHER_free(ci);
	return o;
}

/* cipherInit(name, encrypt, key, iv, tagLength) -> handle or null. The
 * JavaScript side checked the key and IV lengths (an AEAD IV may have any
 * non-zero length; tagLength is for decryption of a short tag). */
static JSValueRef h_init(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char name[32];
	const unsigned char *key, *iv;
	size_t kn, ivn;
	if (!str_arg(ctx, argc, argv, 0, name, sizeof name) || !u8_arg(ctx, argc, argv, 2, &key, &kn) ||
	    !opt_u8_arg(ctx, argc, argv, 3, &iv, &ivn))
		return type_error(ctx, exc, "cipherInit");
	int enc = bool_arg(ctx, argc, argv, 1);
	EVP_CIPHER *ci = known(name) ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
	EVP_CIPHER_CTX *c = ci ? EVP_CIPHER_CTX_new() : NULL;
	bool aead = ci && (EVP_CIPHER_get_flags(ci) & EVP_CIPH_FLAG_AEAD_CIPHER);
	int ok = c && (int)kn == EVP_CIPHER_get_key_length(ci) && EVP_CipherInit_ex2(c, ci, NULL, NULL, enc, NULL) == 1;
	if (ok && aead && ivn)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)ivn, NULL) == 1;
	else if (ok && !aead)
		ok = (int)ivn == EVP_CIPHER_get_iv_length(ci);
	if (ok)
		ok = EVP_CipherInit_ex2(c, NULL, key, ivn ? iv : NULL, enc, NULL) == 1;
	EVP_CIPHER_free(ci);
	if (!ok) {
		EVP_CIPHER_CTX_free(c);
		return refused(ctx);
	}
	JSObjectRef o = JSObjectMake(ctx, cipher_class(), c);
	if (!o)
		EVP_CIPHER_CTX_free(c);
	return o ? o : JSValueMakeNull(ctx);
}

/* cipherUpdate(handle, data) -> Uint8Array or null */
static JSValueRef h_update(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_CIPHER_CTX *c = cipher_arg(ctx, argc, argv);
	const unsigned char *d;
	size_t dn;
	if (!c || !u8_arg(ctx, argc, argv, 1, &d, &dn))
		return type_error(ctx, exc, "cipherUpdate");
	unsigned char *out = malloc(dn + 32);
	int l = 0;
	JSValueRef r = out && (!dn || EVP_CipherUpdate(c, out, &l, d, (int)dn) == 1) ? u8_result(ctx, out, (size_t)l, exc)
										: refused(ctx);
	free(out);
	return r;
}

/* cipherFinal(handle) -> Uint8Array, or null (bad padding, failed tag) */
static JSValueRef h_final(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_CIPHER_CTX *c = cipher_arg(ctx, argc, argv);
	if (!c)
		return type_error(ctx, exc, "cipherFinal");
	unsigned char out[64];
	int l = 0;
	return EVP_CipherFinal_ex(c, out, &l) == 1 ? u8_result(ctx, out, (size_t)l, exc) : refused(ctx);
}

/* cipherCtrl(handle, op, arg) -> boolean, or the tag for "getTag":
 * "aad" (arg the bytes), "setTag" (arg the tag), "getTag" (arg its
 * length), "padding" (arg a boolean). */
static JSValueRef h_ctrl(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	EVP_CIPHER_CTX *c = cipher_arg(ctx, argc, argv);
	char op[8];
	if (!c || !str_arg(ctx, argc, argv, 1, op, sizeof op))
		return type_error(ctx, exc, "cipherCtrl");
	const unsigned char *d;
	size_t dn;
	int ok = 0, l = 0;
	if (!strcmp(op, "padding")) {
		ok = EVP_CIPHER_CTX_set_padding(c, bool_arg(ctx, argc, argv, 2)) == 1;
	} else if (!strcmp(op, "getTag")) {
		double n = 0;
		unsigned char tag[16];
		if (!num_arg(ctx, argc, argv, 2, &n) || !(n >= 1 && n <= 16))
			return refused(ctx);
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)n, tag) != 1)
			return refused(ctx);
		return u8_result(ctx, tag, (size_t)n, exc);
	} else if (u8_arg(ctx, argc, argv, 2, &d, &dn)) {
		if (!strcmp(op, "aad"))
			ok = EVP_CipherUpdate(c, NULL, &l, d, (int)dn) == 1;
		else if (!strcmp(op, "setTag"))
			ok = dn >= 1 && dn <= 16 && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)dn, (void *)d) == 1;
	} else {
		return type_error(ctx, exc, "cipherCtrl");
	}
	ERR_clear_error();
	return JSValueMakeBoolean(ctx, ok);
}

void host_crypto_cipher_add(JSContextRef ctx, JSObjectRef o)
{
	static const struct {
		const char *name;
		JSObjectCallAsFunctionCallback cb;
	} fns[] = {
		{ "cipherInfo", h_info }, { "cipherInit", h_init }, { "cipherUpdate", h_update },
		{ "cipherFinal", h_final }, { "cipherCtrl", h_ctrl },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		jsval_set(ctx, o, fns[i].name, jsval_make_fn(ctx, fns[i].name, fns[i].cb), 0);
}

void host_crypto_cipher_warm(void)
{
	static const unsigned char key[32], iv[16];
	for (size_t i = 0; i < sizeof CIPHERS / sizeof CIPHERS[0]; i++) {
		EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, CIPHERS[i], NULL);
		EVP_CIPHER_CTX *c = ci ? EVP_CIPHER_CTX_new() : NULL;
		unsigned char out[64];
		int l;
		if (c && EVP_EncryptInit_ex2(c, ci, key, iv, NULL) == 1)
			EVP_EncryptUpdate(c, out, &l, key, 16);
		EVP_CIPHER_CTX_free(c);
		EVP_CIPHER_free(ci);
	}
	ERR_clear_error();
}
