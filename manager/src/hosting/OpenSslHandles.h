#pragma once

// OpenSSL's C handles owned by std::unique_ptr with their free functions (private: no public
// header includes <openssl/*.h>).

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

namespace chatiere::manager::openssl {

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

}  // namespace chatiere::manager::openssl
