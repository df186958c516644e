SELECT regex_match('v1.28.3', '^v\d+\.\d+'), regex_extract('registry.k8s.io/kube-proxy:v1.27.9', ':(v[0-9.]+)$')
-- => [[true,"v1.27.9"]]
