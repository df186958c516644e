SELECT json_decode(p.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).kind,
       yaml_decode('replicas: 3').replicas, base64_decode('aGVsbG8=')
FROM k8s.pods p WHERE p.name = 'web-7d4b9c-abcde'
-- => [["Pod",3,"hello"]]
