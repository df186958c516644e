SELECT coalesce(NULL, 2), ifnull(NULL, 'x'), array_length(split('a,b,c', ',')), array_contains(split('a,b', ','), 'b'),
       keys(json_decode('{"b":1,"a":2}')), has(json_decode('{"a":null}'), 'a'), typeof(1.5),
       int('42'), float('2.5'), string(12), bool('yes'), abs(-3), floor(-2.5), ceil(2.1), round(2.5)
-- => [[2,"x",3,true,["b","a"],true,"real",42,2.5E0,"12",true,3,-3,3,3]]
