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
// Runs an exec credential plugin; throws on failure (stderr included).
ExecCredential run_exec(const ExecConfig& exec, const Connection& cluster);

// Throws if `pem` is not a certificate or has expired / is not yet valid.
void check_client_certificate(const std::string& pem, const std::string& who);

// Strict base64 (whitespace ignored); nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view in);
// Standard base64 with padding (OpenSSL's encoder).
std::string base64_encode(std::string_view in);

// "~/x" for paths under $HOME.
std::string display_path(const std::string& p);

}  // namespace kapi
