#include "tls_channel.h"

#include <openssl/err.h>

#include <cerrno>
#include <new>

namespace kapi {

namespace {
// Records are read ahead into a buffer this large: one recv takes what the
// socket holds (several 16 KiB records) instead of a record header, then
// its body.
constexpr size_t kReadAhead = 128 * 1024;
}  // namespace

TlsChannel::TlsChannel(SSL_CTX* ctx, int fd) : ssl_(SSL_new(ctx)) {
  if (!ssl_ || SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  // A write interrupted by WantWrite may be retried from a moved buffer,
  // and may complete in parts.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_default_read_buffer_len(ssl_, kReadAhead);
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

IoStatus TlsChannel::handshake() {
  ERR_clear_error();
  return settle(SSL_connect(ssl_));
}

IoStatus TlsChannel::read(char* buf, size_t n, size_t& got) {
  ERR_clear_error();
  got = 0;
  return settle(SSL_read_ex(ssl_, buf, n, &got));
}

IoStatus TlsChannel::write(const char* buf, size_t n, size_t& put) {
  ERR_clear_error();
  put = 0;
  return settle(SSL_write_ex(ssl_, buf, n, &put));
}

IoStatus TlsChannel::settle(int ret) {
  if (ret > 0) return IoStatus::Done;
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return IoStatus::WantRead;
    case SSL_ERROR_WANT_WRITE:
      return IoStatus::WantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return IoStatus::Eof;
    case SSL_ERROR_SYSCALL:
      error_ = ERR_get_error();
      errno_ = saved_errno;
      return error_ == 0 && errno_ == 0 ? IoStatus::Truncated : IoStatus::Failed;
    default:
      error_ = ERR_get_error();
      errno_ = 0;
      // OpenSSL 3 reports a connection closed without close_notify this way.
      if (ERR_GET_REASON(error_) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return IoStatus::Truncated;
      return IoStatus::Failed;
  }
}

}  // namespace kapi
