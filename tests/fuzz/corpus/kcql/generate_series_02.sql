SELECT g, i, count(p.name) FROM generate_series(0, 3) AS g, GENERATE_SERIES(g, 0, -1) i LEFT JOIN k8s.pods p ON p.status.containerStatuses[0].restartCount = i GROUP BY g, i ORDER BY g DESC, i
