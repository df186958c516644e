SELECT cidr_contains('10.0.0.0/8', '10.1.2.3'), cidr_overlaps('10.96.0.0/12', '10.244.0.0/16'),
       cidr_contains('fd00::/8', 'fd12:3456::1')
-- => [[true,false,true]]
