// The SRTP building blocks over OpenSSL 3: AES counter mode and AES-GCM through EVP cipher contexts that
// are keyed once and only re-IV'd per packet, HMAC-SHA1 (RFC 2104) over OpenSSL's SHA-1 with the keyed
// inner/outer states precomputed, and the RFC 3711 §4.3 key derivation. Nothing here allocates after
// init(): OpenSSL 3.0's EVP_MAC re-init duplicates its digest context (two mallocs per packet, measured
// with CRYPTO_set_mem_functions in native/test/srtp_diff_test.cc), so HMAC keeps its SHA_CTX states by
// value instead. No cipher or hash code of our own: only the RFC 2104 composition of two SHA-1 calls.
#pragma once
#include <cstddef>
#include <cstdint>

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA1_Init/Update/Final: the allocation-free SHA-1 of OpenSSL 3.0
#endif
#include <openssl/sha.h>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace tg {
namespace srtpcrypto {

// AES-128/256 in counter mode (RFC 3711 §4.1.1): the keystream for one packet starts at a 16-octet IV.
class AesCtr {
 public:
  AesCtr() = default;
  ~AesCtr();
  AesCtr(const AesCtr&) = delete;
  AesCtr& operator=(const AesCtr&) = delete;
  bool init(const uint8_t* key, size_t keyLen);  // 16 or 32
  // data ^= keystream(iv); false only if OpenSSL fails (never for a keyed context).
  bool apply(const uint8_t iv[16], uint8_t* data, size_t len);

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

// AEAD_AES_128_GCM / AEAD_AES_256_GCM with a 16-octet tag (RFC 7714 §5.2), keyed once for the one direction
// a session context needs (a sender only seals, a receiver only opens: half the per-leg cipher state).
class AesGcm {
 public:
  AesGcm() = default;
  ~AesGcm();
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;
  bool init(const uint8_t* key, size_t keyLen, bool seal);
  // Encrypts data in place and writes the 16-octet tag. aad2 may be null.
  bool seal(const uint8_t iv[12], const uint8_t* aad, size_t aadLen, const uint8_t* aad2, size_t aad2Len,
            uint8_t* data, size_t len, uint8_t tag[16]);
  // Decrypts in place; false when the tag does not verify (data is then unspecified).
  bool open(const uint8_t iv[12], const uint8_t* aad, size_t aadLen, const uint8_t* aad2, size_t aad2Len,
            uint8_t* data, size_t len, const uint8_t tag[16]);

 private:
  EVP_CIPHER_CTX* enc_ = nullptr;
  EVP_CIPHER_CTX* dec_ = nullptr;
};

// HMAC-SHA1 (RFC 2104) with the key's inner and outer pad states computed once.
class HmacSha1 {
 public:
  void init(const uint8_t* key, size_t keyLen);  // keyLen <= 64 (SRTP uses 20)
  // tag = HMAC(key, a || b), full 20 octets.
  void compute(const uint8_t* a, size_t aLen, const uint8_t* b, size_t bLen, uint8_t out[20]) const;

 private:
  SHA_CTX inner_{};
  SHA_CTX outer_{};
};

// RFC 3711 §4.3.1 with key_derivation_rate 0 (RFC 4568 default; the only rate libsrtp implements):
// out = AES-CM(masterKey, IV = (masterSalt XOR label << 48) * 2^16), first n octets. The salt is 14
// octets; RFC 7714 §11's 12-octet GCM salt is passed zero-padded to 14.
bool deriveSessionKey(const uint8_t* masterKey, size_t keyLen, const uint8_t salt14[14], uint8_t label,
                      uint8_t* out, size_t n);

// Whether this OpenSSL provides the cipher (probed once per process).
bool cipherAvailable(bool gcm, size_t keyLen);

// Constant-time comparison of authentication tags.
bool tagsEqual(const uint8_t* a, const uint8_t* b, size_t n);

}  // namespace srtpcrypto
}  // namespace tg
