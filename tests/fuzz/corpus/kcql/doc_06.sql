SELECT condition(n, 'Ready').reason, condition(n.status.conditions, 'DiskPressure').status
FROM k8s.nodes n WHERE n.name = 'worker-b'
-- => [["KubeletNotReady","False"]]
