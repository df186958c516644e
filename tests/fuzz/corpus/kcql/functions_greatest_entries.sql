SELECT greatest(1, NULL, 2.5), least('b', 'a'), array_concat(split('a,b', ','), NULL), e.key, max_by(e.key, e.value), min_by(e.value, e.key)
FROM k8s.nodes n, UNNEST(entries(n.metadata.labels)) e WHERE n.spec.taints[key = 'x'] IS NULL GROUP BY e.key
