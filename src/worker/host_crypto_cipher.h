/* host_crypto_cipher — streaming ciphers (AES modes, ChaCha20-Poly1305) for
 * node:crypto's createCipheriv and createDecipheriv, on host.crypto. */
#ifndef CORRAL_HOST_CRYPTO_CIPHER_H
#define CORRAL_HOST_CRYPTO_CIPHER_H

#include <JavaScriptCore/JavaScript.h>

/* Defines cipherInfo, cipherInit, cipherUpdate, cipherFinal and cipherCtrl on o. */
void host_crypto_cipher_add(JSContextRef ctx, JSObjectRef o);
/* Fetches every offered cipher once (host_crypto_warm). */
void host_crypto_cipher_warm(void);

#endif
