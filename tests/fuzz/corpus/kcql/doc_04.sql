SELECT n.name FROM k8s.nodes n
WHERE NOT EXISTS (SELECT 1 FROM k8s.pods p WHERE p.spec.nodeName = n.name)
-- => [["worker-c"]]
