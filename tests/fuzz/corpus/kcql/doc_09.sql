SELECT s.name, count(p.name) AS pods
FROM k8s.services s LEFT JOIN k8s.pods p
  ON p.metadata.namespace = s.namespace AND selector_matches(s.spec.selector, p.metadata.labels)
WHERE s.namespace = 'shop'
GROUP BY s.name ORDER BY s.name
-- => [["cart",1],["checkout",0],["external-db",0],["web",2]]
