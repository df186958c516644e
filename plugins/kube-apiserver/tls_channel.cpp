#include "tls_channel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <new>

namespace kapi {

namespace {
// Records are read ahead into a buffer this large: one recv takes what the
// socket holds (several 16 KiB records) instead of a record header, then
// its body.
constexpr size_t kReadAhead = 128 * 1024;

// The socket as OpenSSL's BIO. Not OpenSSL's own socket BIO: it writes with
// write(), and a write to a connection the server has reset raises SIGPIPE,
// which would end the whole process (a plugin may not change how its host
// handles signals); send() with MSG_NOSIGNAL reports EPIPE instead.
int socket_fd(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

bool retryable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

int socket_write(BIO* b, const char* buf, int n) {
  BIO_clear_retry_flags(b);
  int r = static_cast<int>(::send(socket_fd(b), buf, static_cast<size_t>(n), MSG_NOSIGNAL));
  if (r < 0 && retryable(errno)) BIO_set_retry_write(b);
  return r;
}

int socket_read(BIO* b, char* buf, int n) {
  BIO_clear_retry_flags(b);
  int r = static_cast<int>(::recv(socket_fd(b), buf, static_cast<size_t>(n), 0));
  if (r < 0 && retryable(errno)) BIO_set_retry_read(b);
  if (r == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);  // how OpenSSL tells a cut connection from a closed one
  return r;
}

long socket_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
      return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    default:
      return 0;
  }
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kinspect socket");
    if (m) {
      BIO_meth_set_write(m, socket_write);
      BIO_meth_set_read(m, socket_read);
      BIO_meth_set_ctrl(m, socket_ctrl);
    }
    return m;
  }();
  return method;
}
}  // namespace

TlsChannel::TlsChannel(SSL_CTX* ctx, int fd) : ssl_(SSL_new(ctx)) {
  BIO* bio = ssl_ && socket_method() ? BIO_new(socket_method()) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: the SSL takes its one reference
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
