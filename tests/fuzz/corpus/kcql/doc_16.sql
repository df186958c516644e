SELECT count(*), count(p.spec.nodeName), count(DISTINCT p.spec.nodeName), sum(array_length(p.spec.containers)),
       min(p.name), max(p.status.containerStatuses[0].restartCount),
       round(avg(p.status.containerStatuses[0].restartCount) * 100) / 100,
       array_agg(DISTINCT p.metadata.namespace), string_agg(DISTINCT p.status.phase, '/')
FROM k8s.pods p
-- => [[9,6,3,11,"batch-job-1-q8w7e",7,1.17E0,["shop","jobs","kube-system"],"Running/Pending/Succeeded"]]
