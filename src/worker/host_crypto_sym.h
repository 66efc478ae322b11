/* host_crypto_sym — HMAC, digests, HKDF, PBKDF2 and AES for host.crypto
 * (host_crypto.c makes the object and calls these). */
#ifndef CORRAL_HOST_CRYPTO_SYM_H
#define CORRAL_HOST_CRYPTO_SYM_H

#include <JavaScriptCore/JavaScript.h>

/* Defines hmac, hash, hkdf, pbkdf2 and aes on o. */
void host_crypto_sym_add(JSContextRef ctx, JSObjectRef o);
/* Fetches and runs each digest, MAC, KDF and cipher once (host_crypto_warm). */
void host_crypto_sym_warm(void);

#endif
