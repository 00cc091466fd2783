#include "srtp/srtp_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace tg {
namespace srtpcrypto {

namespace {

// The four ciphers, fetched from the default provider once per process (thread-safe static): keying a
// context then never searches the provider tables again.
struct Ciphers {
  EVP_CIPHER* ctr128;
  EVP_CIPHER* ctr256;
  EVP_CIPHER* gcm128;
  EVP_CIPHER* gcm256;
  Ciphers()
      : ctr128(EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr)),
        ctr256(EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr)),
        gcm128(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr)),
        gcm256(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)) {}
  ~Ciphers() {
    EVP_CIPHER_free(ctr128);
    EVP_CIPHER_free(ctr256);
    EVP_CIPHER_free(gcm128);
    EVP_CIPHER_free(gcm256);
  }
};
const Ciphers& ciphers() {
  static const Ciphers c;
  return c;
}
const EVP_CIPHER* pick(bool gcm, size_t keyLen) {
  const Ciphers& c = ciphers();
  if (keyLen == 16) return gcm ? c.gcm128 : c.ctr128;
  if (keyLen == 32) return gcm ? c.gcm256 : c.ctr256;
  return nullptr;
}

EVP_CIPHER_CTX* keyed(bool gcm, bool encrypt, const uint8_t* key, size_t keyLen) {
  const EVP_CIPHER* cipher = pick(gcm, keyLen);
  if (cipher == nullptr) return nullptr;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return nullptr;
  if (EVP_CipherInit_ex2(ctx, cipher, key, nullptr, encrypt ? 1 : 0, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

bool aad(EVP_CIPHER_CTX* ctx, const uint8_t* p, size_t n) {
  int out = 0;
  return n == 0 || EVP_CipherUpdate(ctx, nullptr, &out, p, static_cast<int>(n)) == 1;
}

}  // namespace

AesCtr::~AesCtr() { EVP_CIPHER_CTX_free(ctx_); }

bool AesCtr::init(const uint8_t* key, size_t keyLen) {
  EVP_CIPHER_CTX_free(ctx_);
  ctx_ = keyed(false, true, key, keyLen);
  return ctx_ != nullptr;
}

bool AesCtr::apply(const uint8_t iv[16], uint8_t* data, size_t len) {
  // A new IV on a keyed context: OpenSSL keeps the AES key schedule (no allocation, measured).
  if (ctx_ == nullptr || EVP_CipherInit_ex2(ctx_, nullptr, nullptr, iv, 1, nullptr) != 1) return false;
  int out = 0;
  return len == 0 || EVP_CipherUpdate(ctx_, data, &out, data, static_cast<int>(len)) == 1;
}

AesGcm::~AesGcm() {
  EVP_CIPHER_CTX_free(enc_);
  EVP_CIPHER_CTX_free(dec_);
}

bool AesGcm::init(const uint8_t* key, size_t keyLen, bool seal) {
  EVP_CIPHER_CTX_free(enc_);
  EVP_CIPHER_CTX_free(dec_);
  enc_ = dec_ = nullptr;
  EVP_CIPHER_CTX*& ctx = seal ? enc_ : dec_;
  ctx = keyed(true, seal, key, keyLen);
  return ctx != nullptr;
}

bool AesGcm::seal(const uint8_t iv[12], const uint8_t* a, size_t aLen, const uint8_t* a2, size_t a2Len,
                  uint8_t* data, size_t len, uint8_t tag[16]) {
  // GCM's default IV length is 12 octets (RFC 7714 §8.1), so only the IV changes per packet.
  if (enc_ == nullptr || EVP_CipherInit_ex2(enc_, nullptr, nullptr, iv, 1, nullptr) != 1) return false;
  if (!aad(enc_, a, aLen) || !aad(enc_, a2, a2Len)) return false;
  int out = 0;
  if (len > 0 && EVP_CipherUpdate(enc_, data, &out, data, static_cast<int>(len)) != 1) return false;
  if (EVP_CipherFinal_ex(enc_, data + len, &out) != 1) return false;  // GCM writes nothing here
  return EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

bool AesGcm::open(const uint8_t iv[12], const uint8_t* a, size_t aLen, const uint8_t* a2, size_t a2Len,
                  uint8_t* data, size_t len, const uint8_t tag[16]) {
  if (dec_ == nullptr || EVP_CipherInit_ex2(dec_, nullptr, nullptr, iv, 0, nullptr) != 1) return false;
  if (!aad(dec_, a, aLen) || !aad(dec_, a2, a2Len)) return false;
  int out = 0;
  if (len > 0 && EVP_CipherUpdate(dec_, data, &out, data, static_cast<int>(len)) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(dec_, EVP_CTRL_GCM_SET_TAG, 16, const_cast<uint8_t*>(tag)) != 1) return false;
  return EVP_CipherFinal_ex(dec_, data + len, &out) == 1;  // 0 = tag mismatch
}

void HmacSha1::init(const uint8_t* key, size_t keyLen) {
  uint8_t pad[64];
  std::memset(pad, 0x36, sizeof(pad));
  for (size_t i = 0; i < keyLen && i < 64; i++) pad[i] ^= key[i];
  SHA1_Init(&inner_);
  SHA1_Update(&inner_, pad, sizeof(pad));
  for (size_t i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
  SHA1_Init(&outer_);
  SHA1_Update(&outer_, pad, sizeof(pad));
  OPENSSL_cleanse(pad, sizeof(pad));
}

void HmacSha1::compute(const uint8_t* a, size_t aLen, const uint8_t* b, size_t bLen, uint8_t out[20]) const {
  SHA_CTX c = inner_;  // a copy of the keyed state: the per-packet cost is the message blocks only
  SHA1_Update(&c, a, aLen);
  if (bLen > 0) SHA1_Update(&c, b, bLen);
  uint8_t innerHash[20];
  SHA1_Final(innerHash, &c);
  c = outer_;
  SHA1_Update(&c, innerHash, sizeof(innerHash));
  SHA1_Final(out, &c);
}

bool deriveSessionKey(const uint8_t* masterKey, size_t keyLen, const uint8_t salt14[14], uint8_t label,
                      uint8_t* out, size_t n) {
  uint8_t iv[16] = {0};
  std::memcpy(iv, salt14, 14);
  iv[7] ^= label;  // key_id = label || r with r = 0 (kdr 0), XORed into the salt's octets 7..13
  AesCtr prf;
  if (!prf.init(masterKey, keyLen)) return false;
  std::memset(out, 0, n);
  return prf.apply(iv, out, n);
}

bool cipherAvailable(bool gcm, size_t keyLen) { return pick(gcm, keyLen) != nullptr; }

bool tagsEqual(const uint8_t* a, const uint8_t* b, size_t n) { return CRYPTO_memcmp(a, b, n) == 0; }

}  // namespace srtpcrypto
}  // namespace tg
