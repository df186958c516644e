SELECT quantity('1Gi') AS bytes, duration('1h30m') AS seconds
-- => [[1073741824,5400]]
