/* host_crypto — the OpenSSL half of Web Crypto and node:crypto: the
 * `host.crypto` object the runtime's web/crypto.js and node/crypto.js are
 * built on (MACs, KDFs, AES, key pairs, signatures, RSA encryption, key
 * agreement, key import and export). docs/internals/runtime.md lists its
 * members. */
#ifndef CORRAL_HOST_CRYPTO_H
#define CORRAL_HOST_CRYPTO_H

#include <JavaScriptCore/JavaScript.h>

/* A new object holding the crypto host functions, for ctx. */
JSObjectRef host_crypto_object(JSContextRef ctx);

/* Runs each algorithm once, so that OpenSSL loads its configuration, seeds
 * its generators and fetches every implementation before the sandbox's
 * system call filter closes (none of them may open a file later). */
void host_crypto_warm(void);

#endif
