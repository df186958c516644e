// Resolving the connection to a cluster the way kubectl does: kubeconfig
// files (explicit path, KUBECONFIG list merged, ~/.kube/config), context
// selection, in-cluster service account; and exec credential plugins.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kapi {

struct ExecConfig {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  bool provide_cluster_info = false;
  std::string install_hint;
  std::string interactive_mode;  // Never | IfAvailable | Always ("" = IfAvailable)
  std::string where;  // "file: users[2].user.exec", for messages
};

struct Connection {
  std::string server;  // https://host:port[/prefix]
  std::string ca_pem;  // empty: system roots
  bool insecure = false;
  std::string tls_server_name;
  std::string proxy_url;
  std::string client_cert_pem, client_key_pem;
  std::string token, token_file;
  std::string username, password;
  std::optional<ExecConfig> exec;
  std::string context, cluster_name, user_name;
  std::string origin;  // "kubeconfig ~/.kube/config, context kind-kind" or "in-cluster service account"
};

// A resolved connection as text and back, so the first plugin worker of a
// run resolves the kubeconfig and the others start from its answer (ABI
// 1.2 share/adopt). The text holds credentials: it never leaves memory.
std::string connection_to_text(const Connection& c);
Connection connection_from_text(std::string_view text);

struct ResolveOptions {
  std::string kubeconfig;  // explicit path(s), ':'-separated; empty: $KUBECONFIG, then ~/.kube/config
  std::string context;     // empty: current-context
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

using LogFn = std::function<void(int level, const std::string&)>;

// nullopt when nothing is configured at all (no kubeconfig, not in a cluster).
// Throws std::runtime_error with "<file>: field '<path>': <problem>" messages.
std::optional<Connection> resolve_connection(const ResolveOptions& opts, const LogFn& log);

struct ExecCredential {
  std::string token;
  std::string cert_pem, key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;
};
// Runs an exec credential plugin; throws on failure or after `timeout`. The
// plugin's stderr is ours (as with kubectl): never part of the error.
ExecCredential run_exec(const ExecConfig& exec, const Connection& cluster,
                        std::chrono::seconds timeout = std::chrono::seconds(30));

// Throws if `pem` is not a certificate or has expired / is not yet valid.
void check_client_certificate(const std::string& pem, const std::string& who);

// Strict base64 (whitespace ignored); nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view in);
// Standard base64 with padding (OpenSSL's encoder).
std::string base64_encode(std::string_view in);

// The URL with any user:password (userinfo) replaced by "xxxxx", for
// messages: a password in a server or proxy URL must never reach a log,
// an error or a report.
std::string redact_url(std::string_view url);

// Throws when `value` (a token or other credential, from `source`) holds a
// CR, LF or other control character: sent as is it would add header lines
// to the request.
void check_header_safe(std::string_view value, const std::string& source);

// A kubeconfig, token, certificate or key file: only a regular file (a FIFO
// would hang, /dev/zero never end) and at most `max_bytes`. Throws
// "<what>: <path> is <problem>" or "<what>: cannot read <path>: <errno text>".
inline constexpr size_t kMaxConfigFileBytes = 16u << 20;
std::string read_config_file(const std::string& path, const std::string& what, size_t max_bytes = kMaxConfigFileBytes);

// "~/x" for paths under $HOME.
std::string display_path(const std::string& p);

}  // namespace kapi
