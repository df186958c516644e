SELECT n.metadata.name, condition(n, 'Ready').status AS ready
FROM k8s.nodes n
WHERE condition(n, 'Ready').status != 'True'
-- => [["worker-b","False"],["worker-c","Unknown"]]
