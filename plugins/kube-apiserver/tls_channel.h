// A TLS session that OpenSSL runs directly on a connected, non-blocking
// socket (through a BIO of our own), for the HTTP client's requests and
// bodies.
//
// Why not Asio's ssl::stream: it reads the socket at most 17 KiB at a time
// into a buffer of its own and hands the bytes to OpenSSL through a BIO
// pair, so every byte of a LIST was copied twice more than needed and a
// 150,000-pod LIST took some 70,000 recv calls. Here OpenSSL reads ahead
// into its own record buffer (128 KiB) and decrypts there. The caller
// waits (poll) for what an operation asks for; nothing here blocks.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>

namespace kapi {

// What one operation on a non-blocking channel came to.
enum class IoStatus {
  Done,
  WantRead,   // call again once the socket is readable
  WantWrite,  // call again once the socket is writable
  Eof,        // the peer ended the session cleanly (close_notify)
  Truncated,  // the connection ended without close_notify
  Failed,     // error() or sys_errno() says why
};

class TlsChannel {
 public:
  // `ctx` gives the verification settings and client certificate; the
  // channel does not own `fd`.
  TlsChannel(SSL_CTX* ctx, int fd);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  SSL* native() const { return ssl_; }

  IoStatus handshake();
  // At most n bytes (one record's worth at a time) into buf; `got` is set on Done.
  IoStatus read(char* buf, size_t n, size_t& got);
  // Some of the n bytes; `put` is set on Done. After WantRead/WantWrite,
  // call again with the same bytes.
  IoStatus write(const char* buf, size_t n, size_t& put);

  // After Failed: OpenSSL's packed error code (0 for a system error), and errno.
  unsigned long error() const { return error_; }
  int sys_errno() const { return errno_; }

 private:
  IoStatus settle(int ret);

  SSL* ssl_ = nullptr;
  unsigned long error_ = 0;
  int errno_ = 0;
};

}  // namespace kapi
