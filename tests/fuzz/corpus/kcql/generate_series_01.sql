SELECT n, generate_series(n, 0, -1), generate_series(1, n, NULL) FROM UNNEST(generate_series(-3, 3, 2)) AS n WHERE array_length(generate_series(n, 10)) > 0
