SELECT n.name AS name, 'node' AS kind FROM k8s.nodes n UNION ALL SELECT p.name, 'pod' FROM k8s.pods p UNION SELECT 'x', NULL ORDER BY name DESC, 2 LIMIT 3
