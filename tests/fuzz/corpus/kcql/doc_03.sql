SELECT 1 = '1', 1 < 'a', NULL OR TRUE, 7 / 2, 'n=' || 3
-- => [[false,null,true,3.5E0,"n=3"]]
