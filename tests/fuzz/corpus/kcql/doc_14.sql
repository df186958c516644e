SELECT lower('AbC'), upper('AbC'), contains('kube-proxy', 'proxy'), starts_with('kube-proxy', 'kube'),
       ends_with('kube-proxy', 'kube'), split('a,b', ','), replace('a.b', '.', '/'), length('café'),
       substr('café-ü', 4, 3), trim('  x '), concat('a', NULL, 1), array_join(split('a b', ' '), '+')
-- => [["abc","ABC",true,true,false,["a","b"],"a/b",4,"é-ü","x","a1","a+b"]]
