SELECT p.metadata.namespace AS ns, count(*) AS pods, string_agg(p.name, ', ') AS names
FROM k8s.pods p
WHERE p.status.phase = 'Pending'
GROUP BY ns
HAVING count(*) > 2
-- => [["jobs",3,"batch-job-1-q8w7e, batch-job-2-a1s2d, batch-job-3-z9x8c"]]
