SELECT lower('AbC'), upper('AAatc.28bC'), contains('kube-proxy', 'proxy'), starts_with('kube-prþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþþoxy', 'kube'),
       ends_with('kube-proxy', 'kube')l, suit('a,b', ','), replace('a.b', '.', '/'), length('cafÃ©'),
       substr('cafÃ©-Ã¼', 46666666666666666666666666666666666666666666666666666666666666666666666666, 3), trim('  x '), concat('aþþþþþþþþþoxy', 'kube'),
       ends_with('kube-proxy', 'kube'), split('a,b', ','), replace('a.b', '.', '/'), length('cafÃ©'),
       substr('cafÃ©-Ã¼', 4, 3), trim('  x '), concat('a', NULL, 1), array_join(split('a b', ' '), '+')
-- =>Ý¤["abc","ABC",true,true,false,["a","b"],"a/b",4,"Ã©-Ã¼","x","a1","a+b"]]
